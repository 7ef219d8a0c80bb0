"""Bulk SQL for the importers, on SQLite and PostgreSQL: upserts, lookups, statistics.

Both dialects spell an upsert the same way in SQLAlchemy, through their own ``insert``
constructs. The rows of a batch travel as one JSON parameter, read back as rows by the
database (``json_to_recordset`` on PostgreSQL, ``json_each`` on SQLite): the statement
text is the same for every batch, the rows are parsed in C, and neither SQLAlchemy nor
the driver handles a million values one by one (which took most of an import's time).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    Connection,
    CursorResult,
    Select,
    Table,
    bindparam,
    cast,
    column,
    func,
    select,
    true,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import Text

from audiences.db import Database

# SQLite's page cache during an import, in KiB. The default (2 MiB) is far smaller than
# the indexes of a million contacts, and every batch would reread their pages.
IMPORT_CACHE_KIB = 64 * 1024
_DEFAULT_CACHE_KIB = 2000
# Rows per transaction: a few batches. A commit makes SQLite write out every index page
# the transaction touched, and a million random addresses touch most of them, so one
# commit per 5,000-row batch spent a quarter of an import committing. PostgreSQL does
# not mind. A failed import keeps what was committed; re-running it is harmless.
COMMIT_ROWS = 50_000

Insert = sqlite.Insert | postgresql.Insert
# Adds the ON CONFLICT clause (and RETURNING, if any) to an INSERT.
Conflict = Callable[[Insert], Any]


@contextmanager
def import_connection(db: Database) -> Iterator[Connection]:
    """One connection for a whole import, committed at the end (rolled back on an error).

    On SQLite the page cache is raised to :data:`IMPORT_CACHE_KIB` for the import and
    set back afterwards, so memory stays bounded and the pooled connection stays small.
    """
    with db.engine.connect() as connection:
        tuned = connection.dialect.name == "sqlite"
        if tuned:
            connection.exec_driver_sql(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
            connection.commit()
        try:
            yield connection
            connection.commit()
        finally:
            if tuned:
                connection.rollback()
                connection.exec_driver_sql(f"PRAGMA cache_size = -{_DEFAULT_CACHE_KIB}")
                connection.commit()


class Commits:
    """Commits an import's transaction every :data:`COMMIT_ROWS` rows written."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.pending = 0

    def wrote(self, rows: int) -> None:
        """Count ``rows`` written; commit when enough have been."""
        self.pending += rows
        if self.pending >= COMMIT_ROWS:
            self.connection.commit()
            self.pending = 0


def dialect_insert(connection: Connection, table: Table) -> Insert:
    """An INSERT for ``table`` that supports ``on_conflict_do_update`` / ``_do_nothing``."""
    name = connection.dialect.name
    if name == "sqlite":
        return sqlite.insert(table)
    if name == "postgresql":
        return postgresql.insert(table)
    raise ValueError(f"unsupported database {name!r}; use SQLite or PostgreSQL")


def bulk_insert(
    connection: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    conflict: Conflict,
) -> CursorResult[Any]:
    """Insert ``rows`` (dicts with the same keys) in one go; ``conflict`` finishes the INSERT."""
    columns = list(rows[0])
    batch = bindparam("batch", type_=Text)
    rows_in: Select[Any]
    if connection.dialect.name == "postgresql":
        source = (
            func.json_to_recordset(cast(batch, JSON))
            .table_valued(*(column(name, table.c[name].type) for name in columns))
            .render_derived(name="batch", with_types=True)
        )
        rows_in = select(*source.c)
    else:
        each = func.json_each(batch).table_valued("value")
        rows_in = select(
            *(func.json_extract(each.c.value, f'$."{name}"').label(name) for name in columns)
        ).where(true())  # SQLite needs a WHERE to tell ON CONFLICT from a join's ON.
    statement = conflict(dialect_insert(connection, table).from_select(columns, rows_in))
    return connection.execute(statement, {"batch": json.dumps(rows, default=_json_value)})


def _json_value(value: object) -> str:
    # Times travel in the text form SQLAlchemy stores in SQLite; PostgreSQL reads it too.
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot send {type(value).__name__} to the database as JSON")


def is_one_of(
    connection: Connection, column: ColumnElement[Any], values: Sequence[Any]
) -> ColumnElement[bool]:
    """``column IN (values)``; on PostgreSQL the values travel as one JSON parameter.

    (A 5,000-element ``= ANY(:array)`` took twice as long: psycopg adapts the array
    element by element.)
    """
    if connection.dialect.name == "postgresql":
        listed = func.json_array_elements_text(
            cast(bindparam(None, json.dumps(list(values)), type_=Text), JSON)
        )
        return column.in_(select(listed))
    return column.in_(values)


def json_merge(
    connection: Connection, current: ColumnElement[Any], new: ColumnElement[Any]
) -> ColumnElement[Any]:
    """The JSON object ``current`` with the keys of ``new`` added or replaced."""
    if connection.dialect.name == "postgresql":
        return cast(cast(current, JSONB).op("||")(cast(new, JSONB)), JSON)
    return func.json_patch(current, new)


def refresh_statistics(connection: Connection, *tables: Table) -> None:
    """Run ANALYZE on ``tables`` after a bulk change, and commit.

    Without fresh statistics the planners guess: SQLite then filters a segment through
    the first index it finds (often the two-valued ``email_consent``) instead of the
    selective one, and PostgreSQL waits for autovacuum to notice a million new rows.
    """
    for table in tables:
        connection.exec_driver_sql(f"ANALYZE {table.name}")
    connection.commit()
