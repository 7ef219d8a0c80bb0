"""``POST /api/responses`` over real HTTP: uvicorn on loopback serving just these routes."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import uvicorn
from sqlalchemy import select
from starlette.applications import Starlette

from audiences.db import Database
from campaigns.models import CampaignEvent
from campaigns.offer_codes import offer_code
from campaigns.responses.api import response_routes
from campaigns.responses.settings import ResponseSettings
from tests.campaigns.conftest import SECRET_KEY, Hookline
from tests.campaigns.people import add_people
from tests.campaigns.responses.ledger_builder import T0, add_campaign, add_recipient, contact_ids

TOKEN = "s3cret-token-for-tests"
TOKEN_ENV = "TEST_RESPONSES_TOKEN"


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]


@contextmanager
def serving(cli: Hookline, db: Database, environ: dict[str, str]) -> Iterator[str]:
    """uvicorn serving the responses routes on a free loopback port; yields the base URL.

    ``environ`` is the server's environment: the token variable (or not) and the key
    that signs offer codes.
    """
    environ = {"HOOKLINE_SECRET_KEY": SECRET_KEY, **environ}
    app = Starlette(
        routes=response_routes(
            db, cli.settings(), ResponseSettings(api_token_env=TOKEN_ENV), environ
        )
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def post(base: str, body: object, token: str | None = TOKEN, raw: bytes | None = None) -> Reply:
    """POST JSON to /api/responses; the status, the decoded body and the headers."""
    data = raw if raw is not None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"{base}/api/responses",
        data=data,
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Reply(
                response.status,
                json.loads(response.read()),
                {k.lower(): v for k, v in response.headers.items()},
            )
    except urllib.error.HTTPError as error:
        return Reply(
            error.code, json.loads(error.read()), {k.lower(): v for k, v in error.headers.items()}
        )


def two_codes(db: Database) -> list[str]:
    contacts = contact_ids(db, add_people(db, 2))
    campaign = add_campaign(db, "jazz")
    return [
        offer_code(SECRET_KEY, add_recipient(db, campaign, contact, sent_at=T0))
        for contact in contacts
    ]


def stored(db: Database) -> list[tuple[Any, ...]]:
    with db.engine.connect() as connection:
        rows = connection.execute(
            select(
                CampaignEvent.detail,
                CampaignEvent.amount,
                CampaignEvent.currency,
                CampaignEvent.source,
                CampaignEvent.occurred_at,
            ).order_by(CampaignEvent.id)
        )
        return [tuple(row) for row in rows]


def test_a_list_of_items_is_recorded_and_posting_it_again_is_harmless(
    cli: Hookline, db: Database
) -> None:
    first, second = two_codes(db)
    body = [
        {
            "code": first,
            "amount": 450000,
            "reference": "ORD-1",
            "occurred_at": "2026-03-03T10:00:00Z",
        },
        {"code": second.lower(), "amount": "19.90", "currency": "usd", "reference": "ORD-2"},
    ]
    with serving(cli, db, {TOKEN_ENV: TOKEN}) as base:
        created = post(base, body)
        repeated = post(base, body)

    assert created.status == 200
    assert created.body["recorded"] == 2 and created.body["duplicates"] == 0
    assert [(r["index"], r["campaign"], r["status"]) for r in created.body["results"]] == [
        (0, "jazz", "recorded"),
        (1, "jazz", "recorded"),
    ]
    assert repeated.status == 200
    assert [r["status"] for r in repeated.body["results"]] == ["duplicate", "duplicate"]
    rows = stored(db)
    assert [row[:4] for row in rows] == [
        ("ORD-1", Decimal("450000.00"), "VND", "api"),
        ("ORD-2", Decimal("19.90"), "USD", "api"),
    ]
    assert rows[0][4] == T0.replace(day=3, hour=10)


def test_a_single_object_is_one_item(cli: Hookline, db: Database) -> None:
    first, _ = two_codes(db)
    with serving(cli, db, {TOKEN_ENV: TOKEN}) as base:
        reply = post(base, {"code": first})

    assert reply.status == 200
    assert reply.body["results"] == [
        {"index": 0, "code": first, "campaign": "jazz", "status": "recorded"}
    ]


def test_a_bad_item_is_422_naming_its_index_and_field_and_nothing_is_recorded(
    cli: Hookline, db: Database
) -> None:
    first, second = two_codes(db)
    head, check = second.split("-")
    forged = f"{head}-{'ZZZZ' if check != 'ZZZZ' else 'YYYY'}"
    with serving(cli, db, {TOKEN_ENV: TOKEN}) as base:
        bad_amount = post(base, [{"code": first}, {"code": second, "amount": "-3"}])
        bad_code = post(base, [{"code": forged}])
        unknown_field = post(base, {"code": first, "coupon": "x"})
        no_code = post(base, [{"amount": 5}])

    assert bad_amount.status == 422
    assert bad_amount.body["error"] == "invalid"
    assert [(e["index"], e["field"]) for e in bad_amount.body["errors"]] == [(1, "amount")]
    assert "negative" in bad_amount.body["errors"][0]["message"]
    assert bad_code.status == 422
    assert [(e["index"], e["field"]) for e in bad_code.body["errors"]] == [(0, "code")]
    assert "check characters" in bad_code.body["errors"][0]["message"]
    assert (unknown_field.status, unknown_field.body["errors"][0]["field"]) == (422, "coupon")
    assert (no_code.status, no_code.body["errors"][0]["field"]) == (422, "code")
    assert stored(db) == []


def test_a_wrong_or_missing_token_is_401(cli: Hookline, db: Database) -> None:
    first, _ = two_codes(db)
    with serving(cli, db, {TOKEN_ENV: TOKEN}) as base:
        wrong = post(base, {"code": first}, token=TOKEN + "x")
        missing = post(base, {"code": first}, token=None)

    assert wrong.status == 401
    assert wrong.headers["www-authenticate"].startswith("Bearer")
    assert missing.status == 401
    assert stored(db) == []


def test_without_a_token_in_the_environment_the_api_is_disabled_with_503(
    cli: Hookline, db: Database
) -> None:
    first, _ = two_codes(db)
    with serving(cli, db, {}) as base:
        reply = post(base, {"code": first})

    assert reply.status == 503
    assert reply.body["error"] == "disabled"
    assert TOKEN_ENV in reply.body["message"]
    assert stored(db) == []


def test_a_body_that_is_not_json_is_400(cli: Hookline, db: Database) -> None:
    with serving(cli, db, {TOKEN_ENV: TOKEN}) as base:
        reply = post(base, None, raw=b"code=2K7-QX4M")

    assert reply.status == 400
    assert reply.body["error"] == "bad json"
