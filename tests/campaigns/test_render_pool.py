"""Rendering in separate processes gives the same messages and outcomes as in-process."""

from __future__ import annotations

from dataclasses import replace

from audiences.db import Database
from campaigns.campaign_store import get_campaign
from campaigns.delivery import deliver
from campaigns.sending import composer_for, connection_factory, delivery_options
from campaigns.smtp.smtp_url import parse_smtp_url
from tests.campaigns.conftest import Hookline
from tests.campaigns.people import add_people
from tests.campaigns.smtp_peer import SmtpPeer
from tests.campaigns.test_sending_faults import RENDER_FAILS, create, deliveries, parse, part_text


def test_renderer_processes_send_everyone_once_and_fail_only_the_broken_contact(
    hookline: Hookline, campaign_db: Database, smtp_peer: SmtpPeer
) -> None:
    emails = add_people(campaign_db, 60, attrs={"divisor": 4})
    broken = add_people(campaign_db, 1, prefix="zero", attrs={"divisor": 0})[0]
    create(hookline, "prize", RENDER_FAILS)
    assert hookline.start("prize") == 61
    settings = hookline.settings()
    with campaign_db.session() as session:
        campaign = get_campaign(session, "prize")
    options = replace(delivery_options(settings), render_processes=2, render_pool_from=1)

    stats = deliver(
        campaign_db.engine,
        campaign.id,
        composer_for(campaign, settings),
        connection_factory(parse_smtp_url(smtp_peer.url), settings),
        "test-worker",
        options,
    )

    ledger = hookline.ledger("prize")
    assert (stats.sent, stats.failed) == (60, 1)
    assert ledger[broken].state == "failed"
    assert "division" in (ledger[broken].detail or "")
    assert dict(deliveries(smtp_peer)) == {e: 1 for e in emails}
    texts = {part_text(parse(message), "plain") for _, _, message in smtp_peer.messages}
    assert all("Your share of the prize draw is 25 points." in text for text in texts)
