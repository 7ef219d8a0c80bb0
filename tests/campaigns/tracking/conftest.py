"""Fixtures for the tracking tests: a started campaign and the app on a real socket."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from audiences.db import Database
from campaigns.models import CampaignEvent
from campaigns.tokens import TokenSigner
from campaigns.tracking.app import create_app
from campaigns.tracking.tracking_settings import TrackingSettings
from tests.campaigns.conftest import SECRET_KEY, Hookline
from tests.campaigns.people import add_people
from tests.campaigns.smtp_peer import SmtpPeer
from tests.campaigns.tracking.live_server import LiveServer, serve

REPO = Path(__file__).resolve().parents[3]
JAZZ = REPO / "templates" / "en" / "jazz-sale.html.j2"
SENDER = "Jazz Shop <news@shop.example.com>"
PEOPLE = 5
SIGNUP_SENDER = "Jazz Shop <hello@shop.example.com>"


@dataclass
class Tracked:
    """A started campaign ``jazz`` (PEOPLE recipients), its database, and the live app."""

    hookline: Hookline
    db: Database
    server: LiveServer
    client: httpx.Client
    recipients: dict[str, int]
    signer: TokenSigner
    peer: SmtpPeer

    @property
    def url(self) -> str:
        """The server's base URL."""
        return self.server.url

    def events(self, kind: str | None = None) -> list[CampaignEvent]:
        """Every event recorded so far (after writing the queued ones)."""
        self.server.flush()
        with self.db.session() as session:
            query = select(CampaignEvent).order_by(CampaignEvent.id)
            if kind is not None:
                query = query.where(CampaignEvent.kind == kind)
            return list(session.scalars(query))

    def event_count(self) -> int:
        """How many rows campaign_events holds."""
        self.server.flush()
        with self.db.engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(CampaignEvent)) or 0)


def create_campaign(hookline: Hookline, name: str) -> None:
    """Create a draft from the jazz template for everyone sendable."""
    result = hookline.run(
        "campaign", "create", name, "--template", str(JAZZ), "--segment", "", "--from", SENDER
    )
    assert result.exit_code == 0, result.output


@pytest.fixture
def tracked(
    hookline: Hookline, smtp_peer: SmtpPeer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Tracked]:
    """The jazz campaign started for PEOPLE contacts, and the tracking app serving it."""
    # The app runs in this process: it reads the key from the environment, as the CLI does.
    monkeypatch.setenv("HOOKLINE_SECRET_KEY", SECRET_KEY)
    db = hookline.open_db()
    try:
        add_people(db, PEOPLE, city="Hanoi")
        create_campaign(hookline, "jazz")
        assert hookline.start("jazz") == PEOPLE
        recipients = {email: row.id for email, row in hookline.ledger("jazz").items()}
        tracking = TrackingSettings(flush_interval=0.05, subscribe_from=SIGNUP_SENDER)
        app = create_app(hookline.settings(), db, tracking=tracking)
        with serve(app) as server, httpx.Client(base_url=server.url, timeout=30) as client:
            yield Tracked(
                hookline, db, server, client, recipients, TokenSigner(SECRET_KEY), smtp_peer
            )
    finally:
        db.engine.dispose()
