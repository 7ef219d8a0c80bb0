"""``hookline response record``: one offer code, recorded once, or refused in one line."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select

from audiences.db import Database
from campaigns.models import CampaignEvent
from campaigns.offer_codes import offer_code
from tests.campaigns.conftest import SECRET_KEY, Hookline
from tests.campaigns.people import add_people
from tests.campaigns.responses.ledger_builder import T0, add_campaign, add_recipient, contact_ids
from tests.campaigns.test_campaign_cli import assert_ok, assert_one_line_error


def one_message(db: Database) -> tuple[int, int, str]:
    """A campaign "jazz" with one sent message; (campaign id, ledger row id, its code)."""
    (contact,) = contact_ids(db, add_people(db, 1))
    campaign = add_campaign(db, "jazz")
    row = add_recipient(db, campaign, contact, sent_at=T0, tier="Gold")
    return campaign, row, offer_code(SECRET_KEY, row)


def responses(db: Database) -> list[CampaignEvent]:
    with db.session() as session:
        return list(session.scalars(select(CampaignEvent).order_by(CampaignEvent.id)))


def test_record_stores_a_response_event_for_the_codes_message(cli: Hookline, db: Database) -> None:
    campaign, row, code = one_message(db)

    result = cli.run(
        "response",
        "record",
        code,
        "--amount",
        "450,000",
        "--at",
        "2026-03-03T10:30:00+07:00",
        "--reference",
        "ORD-1042",
    )

    assert_ok(result)
    assert result.stdout.strip() == (
        f"Recorded a response to campaign jazz (offer code {code}, 450,000.00 VND, order ORD-1042)."
    )
    (stored,) = responses(db)
    assert (stored.campaign_id, stored.recipient_id, stored.kind) == (campaign, row, "response")
    assert (stored.amount, stored.currency, stored.source) == (Decimal("450000.00"), "VND", "cli")
    assert stored.occurred_at == datetime(2026, 3, 3, 3, 30)
    assert stored.detail == "ORD-1042"
    assert stored.dedup_key == f"response:{code}:ORD-1042"


def test_record_without_a_time_reads_a_date_in_the_configured_time_zone(
    cli: Hookline, db: Database
) -> None:
    _, _, code = one_message(db)

    assert_ok(cli.run("response", "record", code, "--at", "2026-03-04", "--currency", "usd"))

    (stored,) = responses(db)
    # Midnight in Asia/Ho_Chi_Minh is 17:00 UTC the day before.
    assert stored.occurred_at == datetime(2026, 3, 3, 17, 0)
    assert (stored.amount, stored.currency, stored.detail) == (None, "USD", None)
    assert stored.dedup_key == f"response:{code}"


def test_recording_the_same_code_again_says_already_recorded_and_exits_0(
    cli: Hookline, db: Database
) -> None:
    _, _, code = one_message(db)
    assert_ok(cli.run("response", "record", code, "--reference", "A-1"))

    # Lower case, O for 0: the same code as a customer might type it.
    again = cli.run("response", "record", code.lower().replace("0", "o"), "--reference", "A-1")

    assert_ok(again)
    assert again.stdout.startswith("Already recorded:")
    assert len(responses(db)) == 1


def test_a_second_order_with_the_same_code_is_a_second_response(
    cli: Hookline, db: Database
) -> None:
    _, _, code = one_message(db)

    assert_ok(cli.run("response", "record", code, "--reference", "A-1", "--amount", "10"))
    assert_ok(cli.run("response", "record", code, "--reference", "A-2", "--amount", "20"))

    assert [event.detail for event in responses(db)] == ["A-1", "A-2"]


def test_a_forged_code_is_refused_in_one_line_and_nothing_is_recorded(
    cli: Hookline, db: Database
) -> None:
    _, _, code = one_message(db)
    head, check = code.split("-")
    forged = f"{head}-{'A' if check[0] != 'A' else 'B'}{check[1:]}"

    result = cli.run("response", "record", forged, "--amount", "100")

    assert_one_line_error(result, 2, forged, "check characters don't match", "mistyped")
    assert responses(db) == []


def test_a_genuine_code_whose_message_is_gone_is_refused(cli: Hookline, db: Database) -> None:
    one_message(db)
    code = offer_code(SECRET_KEY, 999_999)

    result = cli.run("response", "record", code)

    assert_one_line_error(result, 2, code, "belongs to no message")
    assert responses(db) == []


def test_a_bad_amount_or_date_is_a_one_line_error(cli: Hookline, db: Database) -> None:
    _, _, code = one_message(db)

    assert_one_line_error(
        cli.run("response", "record", code, "--amount", "-5"), 2, "amount", "negative"
    )
    assert_one_line_error(
        cli.run("response", "record", code, "--amount", "12.345"), 2, "two decimal places"
    )
    assert_one_line_error(
        cli.run("response", "record", code, "--at", "yesterday"), 2, "occurred_at", "yesterday"
    )
    assert responses(db) == []


def test_record_json_reports_the_status(cli: Hookline, db: Database) -> None:
    _, row, code = one_message(db)

    first = json.loads(cli.run("response", "record", code, "--amount", "99.5", "--json").stdout)
    second = json.loads(cli.run("response", "record", code, "--json").stdout)

    assert first["status"] == "recorded"
    assert (first["campaign"], first["recipient_id"], first["amount"]) == ("jazz", row, "99.50")
    assert second["status"] == "duplicate"


def test_window_sets_and_resets_a_campaigns_attribution_window(cli: Hookline, db: Database) -> None:
    add_campaign(db, "jazz")

    shown = cli.run("response", "window", "jazz")
    changed = cli.run("response", "window", "jazz", "30")
    after = json.loads(cli.run("response", "window", "jazz", "--json").stdout)
    reset = json.loads(cli.run("response", "window", "jazz", "0", "--json").stdout)

    assert shown.stdout.strip() == (
        "Attribution window of jazz is 14 days ([responses] attribution-days)."
    )
    assert changed.stdout.strip() == (
        "Attribution window of jazz is now 30 days (set for this campaign)."
    )
    assert after == {"campaign": "jazz", "attribution_days": 30, "own": True}
    assert reset == {"campaign": "jazz", "attribution_days": 14, "own": False}


def test_response_help_teaches_with_examples(cli: Hookline) -> None:
    result = cli.run("response", "record", "--help")

    assert_ok(result)
    assert "hookline response record 2K7-QX4M --amount" in result.stdout
    assert "Exit status" in result.stdout
