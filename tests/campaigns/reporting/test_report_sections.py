"""Extra report sections (the A/B test's place): built into the JSON, rendered after the rest."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from audiences.db import Database
from campaigns.models import Campaign
from campaigns.reporting import ReportOptions, ReportSection, campaign_report, render_report
from tests.campaigns.people import add_people
from tests.campaigns.responses.ledger_builder import T0, add_campaign, add_recipient, contact_ids


def variants(connection: Connection, campaign: Campaign) -> dict[str, Any] | None:
    return {"winner": "b", "campaign": campaign.name}


def render_variants(section: dict[str, Any]) -> list[str]:
    return [f"  winner       {section['winner']}"]


def nothing(connection: Connection, campaign: Campaign) -> dict[str, Any] | None:
    return None


SECTIONS = [
    ReportSection("ab_test", "A/B subject test", variants, render_variants),
    ReportSection("empty", "Never shown", nothing, render_variants),
]


def test_an_extra_section_is_in_the_json_under_its_key_and_in_the_text(db: Database) -> None:
    (contact,) = contact_ids(db, add_people(db, 1))
    jazz = add_campaign(db, "jazz")
    add_recipient(db, jazz, contact, sent_at=T0)

    with Session(db.engine) as session:
        campaign = session.get_one(Campaign, jazz)
        report = campaign_report(session.connection(), campaign, ReportOptions(), SECTIONS)
    text = render_report(report, SECTIONS).splitlines()

    assert report["ab_test"] == {"winner": "b", "campaign": "jazz"}
    assert "empty" not in report
    start = text.index("A/B subject test")
    assert text[start + 1] == "  winner       b"
    assert text.index("Notes") > start
    assert "Never shown" not in text


def test_options_given_to_the_report_win_over_the_configuration(db: Database) -> None:
    (contact,) = contact_ids(db, add_people(db, 1))
    jazz = add_campaign(db, "jazz")
    add_recipient(db, jazz, contact, sent_at=T0)

    with Session(db.engine) as session:
        campaign = session.get_one(Campaign, jazz)
        options = ReportOptions(attribution_days=3, currency="USD")
        report = campaign_report(session.connection(), campaign, options, [])

    assert (report["attribution_days"], report["currency"]) == (3, "USD")
