"""Fixtures for the mailbox tests: the CLI on both databases, and campaigns really sent.

The SMTP peer is started once per test without the PIPELINING variant the campaign
tests use: how messages reach the peer is not what these tests check.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from sqlalchemy import select

from audiences.db import Database
from campaigns.models import Campaign
from tests.campaigns.conftest import Hookline, open_test_db
from tests.campaigns.mailbox.mail_samples import SENDER_ADDRESS
from tests.campaigns.smtp_peer import SmtpPeer

REPO = Path(__file__).resolve().parents[3]
JAZZ = REPO / "templates" / "en" / "jazz-sale.html.j2"
SENDER = f"Hookline Records <{SENDER_ADDRESS}>"


@pytest.fixture
def smtp_sink(plain_smtp_peer: SmtpPeer) -> SmtpPeer:
    """A plain SMTP peer on loopback that accepts everything."""
    return plain_smtp_peer


@pytest.fixture
def mail_hookline(plain_hookline: Hookline) -> Hookline:
    """The CLI on each kind of database (SQLite and PostgreSQL)."""
    return plain_hookline


@pytest.fixture
def mail_db(mail_hookline: Hookline) -> Iterator[Database]:
    """The test's database, open and migrated."""
    yield from open_test_db(mail_hookline)


@dataclass(frozen=True)
class SentCampaign:
    """A campaign sent through the SMTP peer: its id and each recipient's message."""

    name: str
    campaign_id: int
    messages: dict[str, EmailMessage]

    def message_id(self, address: str) -> str:
        """The Message-ID of the message sent to ``address``."""
        return str(self.messages[address]["Message-ID"])


def send_campaign(hookline: Hookline, peer: SmtpPeer, name: str, segment: str = "") -> SentCampaign:
    """Create ``name`` from the jazz template and send it to ``segment`` through the peer."""
    created = hookline.run(
        "campaign", "create", name, "--template", str(JAZZ), "--from", SENDER,
        "--segment", segment,
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    sent = hookline.run("campaign", "send", name)
    assert sent.exit_code == 0, sent.output
    db = hookline.open_db()
    try:
        with db.session() as session:
            campaign_id = session.scalars(select(Campaign.id).where(Campaign.name == name)).one()
    finally:
        db.engine.dispose()
    messages: dict[str, EmailMessage] = {}
    for _sender, recipients, content in peer.messages:
        message = BytesParser(policy=policy.default).parsebytes(content)
        assert isinstance(message, EmailMessage)
        if message["X-Hookline-Campaign"] == str(campaign_id):
            messages[recipients[0]] = message
    return SentCampaign(name, campaign_id, messages)
