"""Fixtures for the sequences tests: the CLI and a database of each kind, one SMTP peer.

The campaigns' ``hookline`` fixture also runs every test with and without SMTP
pipelining; sequences don't touch SMTP beyond the ordinary sending loop, so these
tests use one plain peer and keep the database matrix.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from audiences.db import Database
from tests.campaigns.conftest import Hookline, make_hookline
from tests.campaigns.smtp_peer import SmtpPeer


@pytest.fixture
def peer() -> Iterator[SmtpPeer]:
    """A plain SMTP peer on loopback."""
    server = SmtpPeer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def hookline(
    database_url: str, peer: SmtpPeer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Hookline:
    """The CLI on each kind of database (SQLite and PostgreSQL) and the SMTP peer."""
    return make_hookline(database_url, peer, tmp_path, monkeypatch)


@pytest.fixture
def db(hookline: Hookline) -> Iterator[Database]:
    """The test's database, migrated."""
    database = hookline.open_db()
    try:
        yield database
    finally:
        database.engine.dispose()
