"""Every audiences test runs on SQLite and on the real PostgreSQL server.

``database_url`` and ``postgres_url`` come from tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from audiences.db import Database, open_database


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """An open database of each kind."""
    database = open_database(database_url)
    yield database
    database.engine.dispose()
