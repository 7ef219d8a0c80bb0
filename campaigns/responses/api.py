"""``POST /api/responses``: a shop's checkout reports the offer codes its customers used.

The body is one JSON object or a list of them, with the fields of a conversions CSV
(``code`` required; ``amount``, ``currency``, ``occurred_at``, ``reference``). The
request carries ``Authorization: Bearer <token>``, the token being the value of the
environment variable that ``[responses] api-token-env`` names
(``HOOKLINE_RESPONSES_TOKEN`` by default). Answers:

- 200 ``{"recorded": n, "duplicates": n, "results": [{"index", "code", "campaign",
  "status": "recorded" | "duplicate"}]}``; posting the same item again is harmless
  (it comes back as a duplicate), so a client may retry freely;
- 422 ``{"error": "invalid", "errors": [{"index", "field", "message"}]}`` when an item
  is wrong, naming the item and field; nothing of that request is recorded;
- 400 for a body that isn't JSON, 413 for one over :data:`MAX_BODY` bytes or
  :data:`MAX_ITEMS` items, 401 for a missing or wrong token, and 503 ``disabled``
  when the token variable is unset (the API is off until a token is chosen).
"""

from __future__ import annotations

import hmac
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from audiences.db import Database
from audiences.models import utcnow
from campaigns.events import record_events
from campaigns.responses.conversions import (
    FIELDS,
    Conversion,
    ConversionError,
    find_messages,
    missing_message,
    read_conversion,
    response_event,
)
from campaigns.responses.settings import ResponseSettings, load_response_settings
from campaigns.settings import CampaignSettings, secret_key

PATH = "/api/responses"
SOURCE = "api"
MAX_BODY = 1 << 20
MAX_ITEMS = 1000


@dataclass(frozen=True)
class _Problem:
    index: int | None
    field: str | None
    message: str

    def as_json(self) -> dict[str, object]:
        return {"index": self.index, "field": self.field, "message": self.message}


class _InvalidItemsError(Exception):
    def __init__(self, problems: list[_Problem]) -> None:
        super().__init__(problems[0].message)
        self.problems = problems


def response_routes(
    db: Database,
    settings: CampaignSettings,
    responses: ResponseSettings | None = None,
    environ: Mapping[str, str] | None = None,
) -> list[BaseRoute]:
    """The routes of the responses API, to mount in the web app.

    ``responses`` defaults to ``[responses]`` of the config file in force, and
    ``environ`` (where the token variable and ``HOOKLINE_SECRET_KEY`` are read, once)
    to ``os.environ``.
    """
    responses = responses or load_response_settings(environ=environ)
    environ = os.environ if environ is None else environ
    token = environ.get(responses.api_token_env, "")
    key = secret_key(settings, environ)
    currency, zone = settings.audience.currency, settings.audience.zone

    async def post_responses(request: Request) -> JSONResponse:
        if not token:
            return JSONResponse(
                {
                    "error": "disabled",
                    "message": f"the responses API is disabled: set {responses.api_token_env}",
                },
                status_code=503,
            )
        if not _authorised(request, token):
            return JSONResponse(
                {"error": "unauthorized", "message": "a valid Bearer token is required"},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="hookline"'},
            )
        body = await request.body()
        if len(body) > MAX_BODY:
            return _error(413, "too large", f"the body is over {MAX_BODY} bytes")
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            return _error(400, "bad json", f"the body is not JSON: {exc}")
        items = payload if isinstance(payload, list) else [payload]
        if len(items) > MAX_ITEMS:
            return _error(413, "too many", f"at most {MAX_ITEMS} items per request")
        try:
            conversions = _read_items(items, key, currency, zone)
            results = await run_in_threadpool(_record, db, key, conversions)
        except _InvalidItemsError as exc:
            return JSONResponse(
                {"error": "invalid", "errors": [p.as_json() for p in exc.problems]},
                status_code=422,
            )
        recorded = sum(1 for result in results if result["status"] == "recorded")
        return JSONResponse(
            {"recorded": recorded, "duplicates": len(results) - recorded, "results": results}
        )

    return [Route(PATH, post_responses, methods=["POST"])]


def _authorised(request: Request, token: str) -> bool:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    # compare_digest takes as long whatever the given token is, so it leaks nothing.
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )


def _error(status: int, error: str, message: str) -> JSONResponse:
    return JSONResponse({"error": error, "message": message}, status_code=status)


def _read_items(items: list[Any], key: str, currency: str, zone: ZoneInfo) -> list[Conversion]:
    """Every item read, or _InvalidItemsError with each item's fault (the index and field named)."""
    now = utcnow()
    problems: list[_Problem] = []
    conversions: list[Conversion] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            problems.append(_Problem(index, None, "each item must be a JSON object"))
            continue
        unknown = sorted(set(item) - set(FIELDS))
        if unknown:
            known = ", ".join(FIELDS)
            problems.append(
                _Problem(index, unknown[0], f"unknown field {unknown[0]!r}; known: {known}")
            )
            continue
        try:
            conversions.append(read_conversion(item, key, currency, zone, now))
        except ConversionError as exc:
            problems.append(_Problem(index, exc.field, str(exc)))
    if problems:
        raise _InvalidItemsError(problems)
    return conversions


def _record(db: Database, key: str, conversions: list[Conversion]) -> list[dict[str, object]]:
    """Record the items in one transaction, one by one so each gets its own status."""
    with db.engine.begin() as connection:
        messages = find_messages(connection, (c.recipient_id for c in conversions))
        missing = [
            _Problem(index, "code", str(missing_message(conversion.code)))
            for index, conversion in enumerate(conversions)
            if conversion.recipient_id not in messages
        ]
        if missing:
            raise _InvalidItemsError(missing)
        results: list[dict[str, object]] = []
        for index, conversion in enumerate(conversions):
            message = messages[conversion.recipient_id]
            new = record_events(connection, [response_event(key, conversion, message, SOURCE)])
            results.append(
                {
                    "index": index,
                    "code": conversion.code,
                    "campaign": message.campaign,
                    "status": "recorded" if new else "duplicate",
                }
            )
    return results
