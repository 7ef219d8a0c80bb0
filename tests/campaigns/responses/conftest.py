"""Fixtures for the responses tests: the CLI and its database, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from audiences.db import Database
from tests.campaigns.conftest import Hookline
from tests.campaigns.responses.ledger_builder import cli_on, open_db


@pytest.fixture
def cli(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Hookline:
    """``hookline`` in-process on each kind of database (nothing here sends mail)."""
    return cli_on(database_url, tmp_path, monkeypatch)


@pytest.fixture
def db(cli: Hookline) -> Iterator[Database]:
    """The CLI's database, migrated."""
    yield from open_db(cli)
