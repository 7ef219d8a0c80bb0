"""``hookline campaign report``: every figure of a campaign with a known history, exactly.

The campaign "jazz" starts at T0 (09:00 UTC). Its ledger:

    row  contact  state    sent_at    tier      history
    r1   p1       sent     T0         Platinum  customer before; opens x3, clicks A x2,
                                                 responds 500,000 (ORD-1)
    r2   p2       sent     T0+1min    Gold      opens, clicks A and B, replies twice,
                                                 first order ORD-4 exactly 14 days later,
                                                 ORD-5 a day too late
    r3   p3       sent     T0+2min    Gold      opens x2, clicks B, responds without an
                                                 amount (ORD-3, 250,000, its first order)
    r4   p4       sent     T0+3min    Iron      customer before; opens, responds 19.90 USD,
                                                 complains 15 days later (too late to be lost)
    r5   p5       sent     T0+4min    -         customer before; unsubscribes 2 hours later
    r6   p6       sent     T0+5min    -         complains; first order ORD-7 after 2 days;
                                                 then campaign "rock" reaches them and
                                                 takes ORD-10
    r7   p7       bounced             -
    r8   p8       failed              Lead      two soft bounces
    r9   p9       skipped             -
    r10  p10      queued              -
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from click.testing import Result

from audiences.db import Database
from campaigns.offer_codes import offer_code
from tests.campaigns.conftest import SECRET_KEY, Hookline
from tests.campaigns.people import add_people
from tests.campaigns.responses.ledger_builder import (
    T0,
    add_campaign,
    add_events,
    add_order,
    add_recipient,
    contact_ids,
    event,
    hours,
)
from tests.campaigns.test_campaign_cli import assert_ok, assert_one_line_error

DAY = timedelta(days=1)
MINUTE = timedelta(minutes=1)
LINK_A = "https://shop.example.com/jazz"
LINK_B = "https://shop.example.com/vinyl"


def report_json(cli: Hookline, name: str = "jazz") -> dict[str, Any]:
    result = cli.run("campaign", "report", name, "--json")
    assert_ok(result)
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def record(cli: Hookline, row: int, *options: str) -> None:
    assert_ok(cli.run("response", "record", offer_code(SECRET_KEY, row), *options))


def build_jazz(cli: Hookline, db: Database) -> dict[str, int]:
    """The campaign of the module doc; the ledger row ids by name."""
    people = contact_ids(db, add_people(db, 10))
    p = dict(zip([f"p{i}" for i in range(1, 11)], people, strict=True))
    jazz = add_campaign(db, "jazz")
    r: dict[str, int] = {}
    sent = {"r1": "Platinum", "r2": "Gold", "r3": "Gold", "r4": "Iron", "r5": None, "r6": None}
    for offset, (name, tier) in enumerate(sent.items()):
        contact = p["p" + name[1:]]
        r[name] = add_recipient(db, jazz, contact, sent_at=T0 + offset * MINUTE, tier=tier)
    r["r7"] = add_recipient(db, jazz, p["p7"], state="bounced", detail="550 5.1.1 no such user")
    r["r8"] = add_recipient(
        db, jazz, p["p8"], state="failed", tier="Lead", detail="gave up after 3 attempts: 451"
    )
    r["r9"] = add_recipient(
        db, jazz, p["p9"], state="skipped", detail="the address was suppressed before their turn"
    )
    r["r10"] = add_recipient(db, jazz, p["p10"], state="queued")

    def on(row: str, kind: str, at: Any, url: str | None = None) -> Any:
        return event(jazz, r[row], kind, T0 + at, url=url)

    add_events(
        db,
        [
            on("r1", "open", hours(1)),
            on("r1", "open", hours(2)),
            on("r1", "open", hours(26)),
            on("r2", "open", hours(1)),
            on("r3", "open", hours(3)),
            on("r3", "open", hours(3.5)),
            on("r4", "open", hours(5)),
            on("r1", "click", hours(1), LINK_A),
            on("r1", "click", hours(2), LINK_A),
            on("r2", "click", hours(1), LINK_A),
            on("r2", "click", hours(1), LINK_B),
            on("r3", "click", hours(3), LINK_B),
            on("r5", "unsubscribe", hours(2)),
            on("r6", "complaint", DAY),
            on("r4", "complaint", 15 * DAY + hours(1)),
            on("r2", "reply", hours(4)),
            on("r2", "reply", hours(5)),
            on("r8", "soft_bounce", hours(1)),
            on("r8", "soft_bounce", hours(7)),
        ],
    )
    # Orders: before the campaign (customers), in the window, too late, and taken by rock.
    add_order(db, "ORD-0", p["p1"], "80000", T0 - 100 * DAY)
    add_order(db, "ORD-6", p["p4"], "300000", T0 - 10 * DAY)
    add_order(db, "ORD-8", p["p5"], "90000", T0 - 30 * DAY)
    add_order(db, "ORD-1", p["p1"], "500000", T0 + DAY)
    add_order(db, "ORD-3", p["p3"], "250000", T0 + 2 * DAY)
    add_order(db, "ORD-4", p["p2"], "1000000", T0 + MINUTE + 14 * DAY)
    add_order(db, "ORD-5", p["p2"], "700000", T0 + MINUTE + 15 * DAY)
    add_order(db, "ORD-7", p["p6"], "120000.50", T0 + 2 * DAY + 5 * MINUTE)
    add_order(db, "ORD-10", p["p6"], "300000", T0 + 3 * DAY)
    rock = add_campaign(db, "rock", started_at=T0 + 2 * DAY)
    add_recipient(db, rock, p["p6"], sent_at=T0 + 2 * DAY + 10 * MINUTE)
    # Responses through the CLI, as a shop assistant would type them.
    record(cli, r["r1"], "--amount", "500,000", "--reference", "ORD-1", "--at", iso(T0 + DAY))
    record(cli, r["r3"], "--reference", "ORD-3", "--at", iso(T0 + 2 * DAY))
    record(cli, r["r4"], "--amount", "19.90", "--currency", "USD", "--at", iso(T0 + hours(49)))
    return r


def iso(moment: Any) -> str:
    return f"{moment.isoformat()}+00:00"


def cost(cli: Hookline, *options: str) -> Result:
    return cli.run("campaign", "cost", "jazz", *options)


def test_report_json_gives_every_figure_exactly(cli: Hookline, db: Database) -> None:
    build_jazz(cli, db)
    assert_ok(cost(cli, "--amount", "3,000,000", "--staff", "1200000", "--service", "450000.50"))

    report = report_json(cli)

    ledger = ("recipients", "queued", "held", "sending", "sent", "failed", "bounced", "skipped")
    assert {key: report[key] for key in ledger} == {
        "recipients": 10,
        "queued": 1,
        "held": 0,
        "sending": 0,
        "sent": 6,
        "failed": 1,
        "bounced": 1,
        "skipped": 1,
    }
    engagement = (
        "opens",
        "unique_opens",
        "clicks",
        "unique_clicks",
        "unsubscribes",
        "complaints",
        "replies",
        "soft_bounces",
        "responses",
        "attributed_orders",
    )
    assert {key: report[key] for key in engagement} == {
        "opens": 7,
        "unique_opens": 4,
        "clicks": 5,
        "unique_clicks": 3,
        "unsubscribes": 1,
        "complaints": 2,
        "replies": 1,
        "soft_bounces": 2,
        "responses": 3,
        "attributed_orders": 2,
    }
    rates = (
        "delivery_rate",
        "bounce_rate",
        "open_rate",
        "click_rate",
        "click_to_open",
        "unsubscribe_rate",
        "complaint_rate",
        "response_rate",
    )
    assert {key: report[key] for key in rates} == {
        "delivery_rate": 0.6,
        "bounce_rate": 0.125,
        "open_rate": 0.6667,
        "click_rate": 0.5,
        "click_to_open": 0.75,
        "unsubscribe_rate": 0.1667,
        "complaint_rate": 0.3333,
        "response_rate": 0.5,
    }
    # 500,000 (r1) + 250,000 (r3's order) + 1,000,000 (ORD-4) + 120,000.50 (ORD-7).
    assert (report["revenue"], report["currency"]) == ("1870000.50", "VND")
    assert report["revenue_by_currency"] == {"USD": "19.90", "VND": "1870000.50"}
    assert report["attribution_days"] == 14
    assert report["cost"] == {
        "amount": "3000000.00",
        "staff": "1200000.00",
        "service": "450000.50",
        "total": "4650000.50",
    }
    # Gained: p2, p3, p6 (p1 was a customer). Lost: p5 (p4 complained too late).
    assert (report["customers_gained"], report["customers_lost"]) == (3, 1)
    assert report["cost_per_acquired_customer"] == "1000000.00"
    # 4,650,000.50 / (3 + 1) = 1,162,500.125, rounded half up.
    assert report["real_acquisition_cost"] == "1162500.13"
    assert report["real_cost_denominator"] == "gained+lost"
    assert report["by_tier"] == [
        tier_row("Platinum", 1, 1, 1, 1, 1, "500000.00"),
        tier_row("Gold", 2, 2, 2, 2, 1, "1250000.00"),
        tier_row("Iron", 1, 1, 1, 0, 1, "0.00"),
        tier_row("Lead", 1, 0, 0, 0, 0, "0.00"),
        tier_row("none", 5, 2, 0, 0, 0, "120000.50"),
    ]
    assert report["by_link"] == [
        {"url": LINK_A, "clicks": 3, "unique_clicks": 2},
        {"url": LINK_B, "clicks": 2, "unique_clicks": 2},
    ]
    reasons = {(item["state"], item["reason"]): item["count"] for item in report["reasons"]}
    assert reasons == {
        ("bounced", "550 5.1.1 no such user"): 1,
        ("failed", "gave up after 3 attempts: 451"): 1,
        ("skipped", "the address was suppressed before their turn"): 1,
    }
    assert any("transcription error" in note for note in report["notes"])
    assert any("USD" in note for note in report["notes"])


def tier_row(
    tier: str, recipients: int, sent: int, opens: int, clicks: int, responses: int, revenue: str
) -> dict[str, Any]:
    return {
        "tier": tier,
        "recipients": recipients,
        "sent": sent,
        "unique_opens": opens,
        "unique_clicks": clicks,
        "responses": responses,
        "revenue": revenue,
    }


def test_over_time_counts_events_per_hour_when_they_span_three_days_or_less(
    cli: Hookline, db: Database
) -> None:
    build_jazz(cli, db)

    timeline = report_json(cli)["over_time"]

    assert (timeline["unit"], timeline["timezone"]) == ("hour", "UTC")
    buckets = {bucket["start"]: bucket for bucket in timeline["buckets"]}
    # From the first event (10:00 on 2 March) to the last response (10:00 on 4 March).
    assert len(timeline["buckets"]) == 49
    assert timeline["buckets"][0]["start"] == "2026-03-02 10:00"
    assert timeline["buckets"][-1]["start"] == "2026-03-04 10:00"
    counts = ("opens", "clicks", "responses", "unsubscribes")

    def at(start: str) -> tuple[int, ...]:
        return tuple(buckets[start][name] for name in counts)

    assert at("2026-03-02 10:00") == (2, 3, 0, 0)
    assert at("2026-03-02 11:00") == (1, 1, 0, 1)
    assert at("2026-03-02 12:00") == (2, 1, 0, 0)
    assert at("2026-03-02 13:00") == (0, 0, 0, 0)
    assert at("2026-03-02 14:00") == (1, 0, 0, 0)
    assert at("2026-03-03 09:00") == (0, 0, 1, 0)
    assert at("2026-03-03 11:00") == (1, 0, 0, 0)
    assert at("2026-03-04 09:00") == (0, 0, 1, 0)
    assert at("2026-03-04 10:00") == (0, 0, 1, 0)
    assert sum(sum(bucket[name] for name in counts) for bucket in timeline["buckets"]) == 16


def test_over_time_counts_per_day_when_events_span_more_than_three_days(
    cli: Hookline, db: Database
) -> None:
    (contact,) = contact_ids(db, add_people(db, 1))
    jazz = add_campaign(db, "jazz")
    row = add_recipient(db, jazz, contact, sent_at=T0)
    add_events(
        db,
        [
            event(jazz, row, "open", T0 + hours(1)),
            event(jazz, row, "click", T0 + hours(20), url=LINK_A),
            event(jazz, row, "open", T0 + 4 * DAY),
        ],
    )

    timeline = report_json(cli)["over_time"]

    assert timeline["unit"] == "day"
    assert [(b["start"], b["opens"], b["clicks"]) for b in timeline["buckets"]] == [
        ("2026-03-02", 1, 0),
        ("2026-03-03", 0, 1),
        ("2026-03-04", 0, 0),
        ("2026-03-05", 0, 0),
        ("2026-03-06", 1, 0),
    ]


def test_report_text_shows_the_figures_aligned(cli: Hookline, db: Database) -> None:
    build_jazz(cli, db)
    assert_ok(cost(cli, "--amount", "3000000", "--staff", "1200000", "--service", "450000.50"))

    result = cli.run("campaign", "report", "jazz")

    assert_ok(result)
    lines = result.stdout.splitlines()
    assert lines[0] == "Campaign jazz (email, done)"

    def line(label: str) -> str:
        found = [text for text in lines if text.startswith(f"  {label} ")]
        assert found, f"no line for {label!r} in:\n{result.stdout}"
        return " ".join(found[0].split())

    assert line("recipients") == "recipients 10"
    assert line("sent") == "sent 6 60.00% delivered"
    assert line("bounced") == "bounced 1 12.50% of 8 attempted"
    assert line("queued") == "queued 1"
    assert not any(text.startswith("  held ") for text in lines)
    assert line("opens") == "opens 7 unique 4 open rate 66.67%"
    assert line("clicks") == "clicks 5 unique 3 click rate 50.00% click-to-open 75.00%"
    assert line("unsubscribes") == "unsubscribes 1 16.67%"
    assert line("complaints") == "complaints 2 33.33%"
    assert line("responses") == "responses 3 50.00%"
    assert line("attributed orders") == "attributed orders 2"
    assert line("revenue") == "revenue 1,870,000.50 VND"
    assert line("also") == "also 19.90 USD"
    assert line("customers gained") == "customers gained 3"
    assert line("customers lost") == "customers lost 1"
    assert line("cost per acquired customer") == (
        "cost per acquired customer 1,000,000.00 campaign ÷ gained"
    )
    assert line("real acquisition cost") == (
        "real acquisition cost 1,162,500.13 (campaign + staff + service) ÷ (gained + lost)"
    )
    assert line("Gold") == "Gold 2 2 2 2 1 1,250,000.00"
    assert line("none") == "none 5 2 0 0 0 120,000.50"
    links = [" ".join(text.split()) for text in lines if "https://" in text]
    assert links == [f"3 2 {LINK_A}", f"2 2 {LINK_B}"]
    assert line("2026-03-02 10:00").startswith("2026-03-02 10:00 2 3 0 0 █")
    assert line("2026-03-02 13:00") == "2026-03-02 13:00 0 0 0 0"
    assert "  … 18 hours without events" in lines
    assert "Reasons:" in lines
    assert any("550 5.1.1 no such user" in text for text in lines)
    notes = result.stdout[result.stdout.index("\nNotes\n") :]
    assert "transcription error" in notes


def test_a_campaign_with_nothing_sent_reports_rates_and_costs_as_null_and_n_a(
    cli: Hookline, db: Database
) -> None:
    (contact,) = contact_ids(db, add_people(db, 1))
    jazz = add_campaign(db, "jazz", state="sending")
    add_recipient(db, jazz, contact, state="queued")

    report = report_json(cli)
    text = cli.run("campaign", "report", "jazz").stdout

    assert report["open_rate"] is None and report["bounce_rate"] is None
    assert report["cost_per_acquired_customer"] is None
    assert report["real_acquisition_cost"] is None
    assert (report["revenue"], report["customers_gained"]) == ("0.00", 0)
    assert report["over_time"] == {"unit": None, "timezone": "UTC", "buckets": []}
    assert "open rate n/a" in " ".join(text.split())
    assert "real acquisition cost n/a" in " ".join(text.split())
    assert any("no cost recorded" in note for note in report["notes"])


def test_costs_without_customers_are_null_not_a_division_error(cli: Hookline, db: Database) -> None:
    (contact,) = contact_ids(db, add_people(db, 1))
    jazz = add_campaign(db, "jazz")
    add_recipient(db, jazz, contact, sent_at=T0)
    assert_ok(cost(cli, "--amount", "500000"))

    report = report_json(cli)

    assert report["cost"]["total"] == "500000.00"
    assert report["cost_per_acquired_customer"] is None
    assert report["real_acquisition_cost"] is None


def test_the_subtracting_denominator_divides_by_gained_minus_lost(
    cli: Hookline, db: Database
) -> None:
    build_jazz(cli, db)
    assert_ok(cost(cli, "--amount", "3000000", "--staff", "1200000", "--service", "450000.50"))
    cli.env["HOOKLINE_RESPONSES_REAL_COST_DENOMINATOR"] = "gained-lost"

    report = report_json(cli)
    text = " ".join(cli.run("campaign", "report", "jazz").stdout.split())

    # 4,650,000.50 / (3 - 1).
    assert report["real_acquisition_cost"] == "2325000.25"
    assert report["real_cost_denominator"] == "gained-lost"
    assert report["cost_per_acquired_customer"] == "1000000.00"
    assert "(campaign + staff + service) ÷ (gained - lost)" in text


def test_a_longer_attribution_window_in_the_config_counts_the_late_order(
    cli: Hookline, db: Database
) -> None:
    build_jazz(cli, db)
    cli.env["HOOKLINE_RESPONSES_ATTRIBUTION_DAYS"] = "15"

    report = report_json(cli)

    # ORD-5 (day 15) now counts; ORD-10 still belongs to rock, the later touch.
    assert (report["attributed_orders"], report["revenue"]) == (3, "2570000.50")
    assert report["attribution_days"] == 15


def test_an_order_recorded_as_a_response_is_counted_once(cli: Hookline, db: Database) -> None:
    (contact,) = contact_ids(db, add_people(db, 1))
    jazz = add_campaign(db, "jazz")
    row = add_recipient(db, jazz, contact, sent_at=T0)
    add_order(db, "ORD-1", contact, "400000", T0 + DAY)
    record(cli, row, "--amount", "400000", "--reference", "ORD-1", "--at", iso(T0 + DAY))

    report = report_json(cli)

    assert (report["responses"], report["attributed_orders"]) == (1, 0)
    assert report["revenue"] == "400000.00"


def test_the_last_touch_campaign_gets_the_order_in_its_report(cli: Hookline, db: Database) -> None:
    build_jazz(cli, db)

    rock = report_json(cli, "rock")

    assert (rock["sent"], rock["attributed_orders"], rock["revenue"]) == (1, 1, "300000.00")
    # p6's first order (ORD-7) came before rock's message: not rock's customer.
    assert rock["customers_gained"] == 0


def test_cost_records_the_amounts_and_keeps_those_left_out(cli: Hookline, db: Database) -> None:
    add_campaign(db, "jazz")

    first = cost(cli, "--amount", "30,000,000", "--staff", "12000000", "--json")
    second = cost(cli, "--amount", "25000000")

    assert json.loads(first.stdout) == {
        "campaign": "jazz",
        "currency": "VND",
        "amount": "30000000.00",
        "staff": "12000000.00",
        "service": None,
    }
    assert_ok(second)
    assert second.stdout.strip() == (
        "Recorded the cost of jazz: campaign 25,000,000.00, staff 12,000,000.00 VND."
    )
    assert report_json(cli)["cost"]["total"] == "37000000.00"


def test_a_negative_cost_is_refused_in_one_line(cli: Hookline, db: Database) -> None:
    add_campaign(db, "jazz")

    assert_one_line_error(cost(cli, "--amount", "-5"), 2, "--amount", "negative")
    assert_one_line_error(cost(cli, "--amount", "5", "--staff", "-1"), 2, "--staff", "negative")
    assert_one_line_error(cost(cli, "--amount", "lots"), 2, "--amount", "not a number")
    assert report_json(cli)["cost"]["total"] is None


def test_cost_of_an_unknown_campaign_is_a_one_line_error(cli: Hookline) -> None:
    assert_one_line_error(cost(cli, "--amount", "5"), 2, "no campaign named 'jazz'")


def test_cost_help_flags_the_materials_plus_lost(cli: Hookline) -> None:
    result = cli.run("campaign", "cost", "--help")

    assert_ok(result)
    text = " ".join(result.stdout.split())
    assert "transcription error" in text
    assert 'real-cost-denominator = "gained-lost"' in text
    assert "hookline campaign cost jazz --amount 30000000" in text


def test_a_bad_responses_config_value_is_a_one_line_error(
    cli: Hookline, db: Database, tmp_path: Path
) -> None:
    add_campaign(db, "jazz")
    cli.env["HOOKLINE_RESPONSES_REAL_COST_DENOMINATOR"] = "gained*lost"

    assert_one_line_error(
        cli.run("campaign", "report", "jazz"), 2, "real-cost-denominator", "gained*lost"
    )
