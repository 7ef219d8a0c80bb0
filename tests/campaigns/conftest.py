"""Fixtures for the campaigns tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from audiences.db import Database
from audiences.models import Contact
from campaigns.campaign_store import get_campaign
from campaigns.cli import cli
from campaigns.database import open_campaign_database
from campaigns.models import Campaign, Recipient
from campaigns.sending import start
from campaigns.settings import CampaignSettings, load_campaign_settings
from linter.config import load_linter_config
from tests.campaigns.smtp_peer import SmtpPeer
from tests.conftest import empty_postgres

REPO = Path(__file__).resolve().parents[2]
SECRET_KEY = "integration-test-secret"
BASE_URL = "https://hooks.example.com"
# Attributes the test templates use, on top of those the repository's config declares.
TEST_ATTRIBUTES = ("divisor",)


@pytest.fixture(params=["plain", "pipelining"])
def smtp_peer(request: pytest.FixtureRequest) -> Iterator[SmtpPeer]:
    """A started SMTP peer on 127.0.0.1 with fault injection; stopped after the test.

    Every test runs against a server without and with PIPELINING (RFC 2920), the two
    ways the client speaks.
    """
    peer = SmtpPeer(pipelining=request.param == "pipelining").start()
    try:
        yield peer
    finally:
        peer.stop()


def write_test_config(folder: Path) -> Path:
    """A copy of the repository's config.toml that also declares TEST_ATTRIBUTES."""
    text = (REPO / "config.toml").read_text(encoding="utf-8")
    line = 'attributes = ["favourite_genre", "loyalty_points", "store"]'
    assert line in text, "config.toml's [linter] attributes line changed; update the fixture"
    declared = ", ".join(f'"{name}"' for name in ("favourite_genre", "loyalty_points", "store"))
    extra = ", ".join(f'"{name}"' for name in TEST_ATTRIBUTES)
    path = folder / "config.toml"
    path.write_text(text.replace(line, f"attributes = [{declared}, {extra}]"), encoding="utf-8")
    return path


@dataclass
class Hookline:
    """``hookline`` run in-process (CliRunner) against one database and the SMTP peer."""

    config: Path
    env: dict[str, str]
    database_url: str
    workdir: Path
    secret_key: str = SECRET_KEY

    def run(self, *args: str) -> Result:
        """Run ``hookline ARGS --config CONFIG``."""
        return CliRunner().invoke(cli, [*args, "--config", str(self.config)], env=self.env)

    def open_db(self) -> Database:
        """The database, migrated; the caller disposes of its engine."""
        return open_campaign_database(self.database_url)

    def settings(self) -> CampaignSettings:
        """The settings the CLI runs with."""
        return load_campaign_settings(self.config, self.env)

    def start(self, name: str) -> int | None:
        """Start sending ``name`` as ``campaign send`` does, but send nothing.

        Passes the lint gate and snapshots the audience into the ledger; returns the
        snapshot's size (None when the campaign had already started).
        """
        db = self.open_db()
        try:
            with db.session() as session, session.begin():
                campaign = get_campaign(session, name)
                result = start(
                    session, campaign, self.settings(), lint_config=load_linter_config(self.config)
                )
        finally:
            db.engine.dispose()
        return result.snapshot

    def ledger(self, name: str) -> dict[str, LedgerRow]:
        """The campaign's ledger rows by the contact's address."""
        db = self.open_db()
        try:
            with db.engine.connect() as connection:
                rows = connection.execute(
                    select(
                        Contact.email,
                        Recipient.id,
                        Recipient.state,
                        Recipient.attempts,
                        Recipient.smtp_code,
                        Recipient.detail,
                    )
                    .join(Campaign, Campaign.id == Recipient.campaign_id)
                    .join(Contact, Contact.id == Recipient.contact_id)
                    .where(Campaign.name == name)
                ).all()
        finally:
            db.engine.dispose()
        return {row[0]: LedgerRow(*row[1:]) for row in rows}


@dataclass(frozen=True)
class LedgerRow:
    """One recipient's row in the send ledger."""

    id: int
    state: str
    attempts: int
    smtp_code: int | None
    detail: str | None


def make_hookline(
    database_url: str, smtp_peer: SmtpPeer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Hookline:
    """The CLI wired to ``database_url`` and the SMTP peer, in an empty working folder.

    The working folder has no config.toml, so only ``--config`` can supply one, and no
    HOOKLINE_* variable of the developer's shell leaks in.
    """
    for key in list(os.environ):
        if key.startswith("HOOKLINE_"):
            monkeypatch.delenv(key)
    workdir = tmp_path / "work"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    env = {
        "HOOKLINE_DATABASE_URL": database_url,
        "HOOKLINE_SMTP_URL": smtp_peer.url,
        "HOOKLINE_SECRET_KEY": SECRET_KEY,
        "HOOKLINE_SMTP_RETRY_DELAY": "0.01",
        "HOOKLINE_SMTP_MAX_ATTEMPTS": "3",
        "HOOKLINE_SENDING_OUTBOX": str(tmp_path / "outbox"),
        "HOOKLINE_SENDING_BASE_URL": BASE_URL,
        "HOOKLINE_SENDING_UNSUBSCRIBE_MAILTO": "unsubscribe@shop.example.com",
    }
    return Hookline(write_test_config(tmp_path), env, database_url, workdir)


@pytest.fixture
def plain_smtp_peer() -> Iterator[SmtpPeer]:
    """One plain SMTP peer on loopback, for tests where how mail reaches it doesn't matter."""
    peer = SmtpPeer().start()
    try:
        yield peer
    finally:
        peer.stop()


@pytest.fixture
def plain_hookline(
    database_url: str,
    plain_smtp_peer: SmtpPeer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Hookline:
    """The CLI on each kind of database with one plain SMTP peer (no pipelining matrix)."""
    return make_hookline(database_url, plain_smtp_peer, tmp_path, monkeypatch)


def open_test_db(hookline: Hookline) -> Iterator[Database]:
    """``hookline``'s database, open and migrated, disposed of afterwards (for fixtures)."""
    db = hookline.open_db()
    try:
        yield db
    finally:
        db.engine.dispose()


@pytest.fixture
def hookline(
    database_url: str, smtp_peer: SmtpPeer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Hookline:
    """The CLI on each kind of database (SQLite and PostgreSQL) and the SMTP peer."""
    return make_hookline(database_url, smtp_peer, tmp_path, monkeypatch)


@pytest.fixture
def postgres_hookline(
    postgres_url: str, smtp_peer: SmtpPeer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Hookline:
    """The CLI on the (emptied) PostgreSQL test database only."""
    empty_postgres(postgres_url)
    return make_hookline(postgres_url, smtp_peer, tmp_path, monkeypatch)


@pytest.fixture
def sqlite_hookline(
    smtp_peer: SmtpPeer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Hookline:
    """The CLI on an SQLite file only."""
    return make_hookline(f"sqlite:///{tmp_path / 'hookline.db'}", smtp_peer, tmp_path, monkeypatch)


@pytest.fixture
def campaign_db(hookline: Hookline) -> Iterator[Database]:
    """An open, migrated Database on the test's database."""
    yield from open_test_db(hookline)
