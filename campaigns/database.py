"""Opening the database for campaigns: the audiences' tables, then the campaigns' own.

The campaigns' migrations keep their own Alembic version table
(``campaigns_alembic_version``), so the two histories never tangle and ``audiences``
needs nothing from ``campaigns``.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.exc import OperationalError

from audiences.db import Database, DatabaseError, is_current, migrate, open_database

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "campaigns_alembic_version"


def open_campaign_database(url: str) -> Database:
    """Open the database at ``url`` with every audiences and campaigns migration applied."""
    db = open_database(url)
    try:
        if not is_current(db.engine, MIGRATIONS, VERSION_TABLE):
            migrate(db.engine, MIGRATIONS)
    except OperationalError as exc:
        db.engine.dispose()
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseError(f"cannot migrate the campaign tables: {reason}") from None
    return db
