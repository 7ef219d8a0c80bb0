"""A letter campaign's cost from ``[letters]``, and the cost per response, exactly.

The letter campaign "gift" (created from the example letter, its ledger written
directly: the letter send is not what is under test):

    row  contact  state    sent_at    history
    r1   p1       sent     T0         responds (code), first order 300,000 a day later
    r2   p2       sent     T0+1min    responds (code), first order 150,000 two days later
    r3   p3       sent     T0+2min    responds (code), no order
    r4   p4       sent     T0+3min    -
    r5   p5       sent     T0+4min    -
    r6   p6       failed              not printed: costs nothing

With print-cost 2,500 and postage 12,000 a letter costs 14,500, so the 5 letters sent
cost 72,500: 24,166.67 per response (72,500 ÷ 3, rounded half up) and 36,250.00 per
acquired customer (72,500 ÷ 2).
"""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update

from audiences.db import Database
from campaigns.models import Campaign
from tests.campaigns.conftest import Hookline
from tests.campaigns.people import add_people
from tests.campaigns.reporting.test_campaign_report import record, report_json
from tests.campaigns.responses.ledger_builder import (
    T0,
    add_campaign,
    add_order,
    add_recipient,
    contact_ids,
)
from tests.campaigns.test_campaign_cli import REPO, assert_ok

LETTER = REPO / "templates" / "letters" / "reply-card-gift.html.j2"
POSTAL = {"address_line1": "1 Trang Tien", "city": "Hanoi", "country": "VN"}
MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)


def set_letter_costs(cli: Hookline, print_cost: str, postage: str) -> None:
    """Write ``[letters] print-cost`` and ``postage`` into the test's config file."""
    text = cli.config.read_text(encoding="utf-8")
    for key, value in (("print-cost", print_cost), ("postage", postage)):
        text, found = re.subn(rf"(?m)^{key} = .*$", f"{key} = {value}", text)
        assert found == 1, f"config.toml has no single [letters] {key} line"
    cli.config.write_text(text, encoding="utf-8")


def build_gift(cli: Hookline, db: Database) -> dict[str, int]:
    """The letter campaign of the module doc; its ledger row ids by name."""
    assert_ok(cli.run("campaign", "create", "gift", "--template", str(LETTER)))
    with db.engine.begin() as connection:
        connection.execute(
            update(Campaign).where(Campaign.name == "gift").values(state="done", started_at=T0)
        )
        campaign_id = connection.scalar(select(Campaign.id).where(Campaign.name == "gift"))
    people = contact_ids(db, add_people(db, 6, **POSTAL))
    rows: dict[str, int] = {}
    for offset, contact in enumerate(people[:5]):
        sent_at = T0 + offset * MINUTE
        rows[f"r{offset + 1}"] = add_recipient(db, campaign_id, contact, sent_at=sent_at)
    rows["r6"] = add_recipient(db, campaign_id, people[5], state="failed", detail="no address")
    for name in ("r1", "r2", "r3"):
        record(cli, rows[name])
    add_order(db, "ORD-1", people[0], "300000", T0 + DAY)
    add_order(db, "ORD-2", people[1], "150000", T0 + 2 * DAY)
    return rows


def test_a_letter_campaign_is_costed_from_print_cost_and_postage(
    cli: Hookline, db: Database
) -> None:
    set_letter_costs(cli, "2500", "12000")
    build_gift(cli, db)

    report = report_json(cli, "gift")

    assert (report["channel"], report["sent"], report["failed"]) == ("letter", 5, 1)
    assert (report["responses"], report["customers_gained"]) == (3, 2)
    assert report["cost"] == {
        "amount": "72500.00",
        "staff": None,
        "service": None,
        "total": "72500.00",
    }
    assert report["cost_source"] == "letters"
    assert report["letter_costs"] == {
        "letters_sent": 5,
        "print_cost": "2500.00",
        "postage": "12000.00",
        "per_letter": "14500.00",
    }
    assert report["cost_per_response"] == "24166.67"
    assert report["cost_per_acquired_customer"] == "36250.00"
    assert report["real_acquisition_cost"] == "36250.00"
    assert any(
        "computed from [letters]" in note and "5 letters sent" in note for note in report["notes"]
    )
    assert not any(note.startswith("no cost recorded") for note in report["notes"])


def test_the_text_report_says_where_the_letter_cost_came_from(cli: Hookline, db: Database) -> None:
    set_letter_costs(cli, "2500", "12000")
    build_gift(cli, db)

    result = cli.run("campaign", "report", "gift")

    assert_ok(result)
    lines = [" ".join(text.split()) for text in result.stdout.splitlines()]
    assert lines[0] == "Campaign gift (letter, done)"
    assert (
        "campaign 72,500.00 5 letters × 14,500.00 (2,500.00 print + 12,000.00 postage, [letters])"
    ) in lines
    assert "cost per response 24,166.67 campaign ÷ responses" in lines
    assert "cost per acquired customer 36,250.00 campaign ÷ gained" in lines


def test_a_recorded_cost_replaces_the_computed_one(cli: Hookline, db: Database) -> None:
    set_letter_costs(cli, "2500", "12000")
    build_gift(cli, db)
    assert_ok(cli.run("campaign", "cost", "gift", "--amount", "90000", "--staff", "10000"))

    report = report_json(cli, "gift")

    assert report["cost"] == {
        "amount": "90000.00",
        "staff": "10000.00",
        "service": None,
        "total": "100000.00",
    }
    assert report["cost_source"] == "recorded"
    assert "letter_costs" not in report
    assert report["cost_per_response"] == "30000.00"
    assert report["cost_per_acquired_customer"] == "45000.00"
    assert report["real_acquisition_cost"] == "50000.00"
    text = cli.run("campaign", "report", "gift").stdout
    assert "campaign 90,000.00 recorded (campaign cost)" in [
        " ".join(line.split()) for line in text.splitlines()
    ]


def test_the_environment_overrides_the_letter_costs(cli: Hookline, db: Database) -> None:
    set_letter_costs(cli, "2500", "12000")
    build_gift(cli, db)
    cli.env["HOOKLINE_LETTERS_POSTAGE"] = "7500.50"

    report = report_json(cli, "gift")

    # 5 × (2,500 + 7,500.50) = 50,002.50; ÷ 3 responses = 16,667.50.
    assert report["cost"]["amount"] == "50002.50"
    assert report["letter_costs"]["per_letter"] == "10000.50"
    assert report["cost_per_response"] == "16667.50"
    assert report["cost_per_acquired_customer"] == "25001.25"


def test_a_letter_campaign_without_letter_costs_has_no_cost(cli: Hookline, db: Database) -> None:
    set_letter_costs(cli, "0", "0")
    build_gift(cli, db)

    report = report_json(cli, "gift")

    assert report["cost"]["total"] is None
    assert report["cost_source"] is None
    assert report["cost_per_response"] is None
    assert report["cost_per_acquired_customer"] is None
    notes = " ".join(report["notes"])
    assert "no cost recorded" in notes
    assert "[letters] print-cost and postage" in notes


def test_an_email_campaign_gets_a_cost_per_response_but_no_letter_cost(
    cli: Hookline, db: Database
) -> None:
    set_letter_costs(cli, "2500", "12000")
    people = contact_ids(db, add_people(db, 3))
    jazz = add_campaign(db, "jazz")
    rows = [add_recipient(db, jazz, contact, sent_at=T0) for contact in people]
    assert report_json(cli)["cost_source"] is None
    record(cli, rows[0])
    record(cli, rows[1])
    assert_ok(cli.run("campaign", "cost", "jazz", "--amount", "300000"))

    report = report_json(cli)

    assert report["cost"]["amount"] == "300000.00"
    assert report["cost_source"] == "recorded"
    assert report["cost_per_response"] == "150000.00"
    assert any("recorded with `hookline campaign cost`" in note for note in report["notes"])


def test_a_cost_over_no_responses_is_null(cli: Hookline, db: Database) -> None:
    set_letter_costs(cli, "2500", "12000")
    people = contact_ids(db, add_people(db, 1))
    jazz = add_campaign(db, "jazz")
    add_recipient(db, jazz, people[0], sent_at=T0)
    assert_ok(cli.run("campaign", "cost", "jazz", "--amount", "300000"))

    report = report_json(cli)

    assert report["cost_per_response"] is None
    text = " ".join(cli.run("campaign", "report", "jazz").stdout.split())
    assert "cost per response n/a campaign ÷ responses" in text
