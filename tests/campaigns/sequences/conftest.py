"""Fixtures for the sequences tests: the CLI and a database of each kind, one SMTP peer.

The campaigns' ``hookline`` fixture also runs every test with and without SMTP
pipelining; sequences don't touch SMTP beyond the ordinary sending loop, so these
tests use one plain peer and keep the database matrix.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from audiences.db import Database
from tests.campaigns.conftest import Hookline, open_test_db
from tests.campaigns.smtp_peer import SmtpPeer


@pytest.fixture
def peer(plain_smtp_peer: SmtpPeer) -> SmtpPeer:
    """A plain SMTP peer on loopback."""
    return plain_smtp_peer


@pytest.fixture
def hookline(plain_hookline: Hookline) -> Hookline:
    """The CLI on each kind of database (SQLite and PostgreSQL) and the SMTP peer."""
    return plain_hookline


@pytest.fixture
def db(hookline: Hookline) -> Iterator[Database]:
    """The test's database, migrated."""
    yield from open_test_db(hookline)
