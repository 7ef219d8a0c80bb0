"""Connecting to the contact database, and migrating it on first use.

SQLite (a file, the embedded default) and PostgreSQL (for scale) are supported. Every
command calls :func:`open_database`, which applies any pending Alembic migration, so a
new database needs no set-up step.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"


class DatabaseError(Exception):
    """The database can't be opened or migrated; the message says which and why."""


def normalise_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgresql://`` URLs."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _unicode_lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # SQLite's lower() folds ASCII only: "ĐỨC" would never match "Đức". Python's does.
    dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)
    cursor = dbapi_connection.cursor()
    # WAL lets the web app read while an import writes; foreign keys enforce cascades.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url``; an SQLite file's folder is created when missing."""
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseError(f"invalid database URL {url!r}: {exc}") from None
    shown = parsed.render_as_string(hide_password=True)
    try:
        if parsed.get_backend_name() == "sqlite":
            database = parsed.database or ""
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url)
            event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        return create_engine(url, pool_pre_ping=True)
    except OSError as exc:
        raise DatabaseError(
            f"cannot create the database folder for {shown}: {exc.strerror}"
        ) from None
    except ImportError as exc:
        raise DatabaseError(f"database URL {shown}: its driver is not installed ({exc})") from None
    except (ArgumentError, NoSuchModuleError) as exc:
        raise DatabaseError(
            f"database URL {shown}: {exc}; use sqlite:///PATH or postgresql://HOST/NAME"
        ) from None


def alembic_config(engine: Engine, script_location: Path = MIGRATIONS) -> Config:
    """Alembic's configuration, pointing at a package's migrations (these by default)."""
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.attributes["engine"] = engine
    return config


def is_current(
    engine: Engine, script_location: Path = MIGRATIONS, version_table: str = "alembic_version"
) -> bool:
    """Whether the database is at the newest migration of ``script_location``."""
    head = ScriptDirectory.from_config(alembic_config(engine, script_location)).get_current_head()
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": version_table})
        current = context.get_current_revision()
    return current == head


def migrate(engine: Engine, script_location: Path = MIGRATIONS) -> None:
    """Apply every pending migration of ``script_location``."""
    command.upgrade(alembic_config(engine, script_location), "head")


@dataclass
class Database:
    """An open, migrated database."""

    engine: Engine
    sessions: sessionmaker[Session]

    def session(self) -> Session:
        """A new session; use it as a context manager."""
        return self.sessions()


def open_database(url: str) -> Database:
    """Open the database at ``url``, creating and migrating it on first use."""
    engine = make_engine(url)
    try:
        if not is_current(engine):
            migrate(engine)
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseError(f"cannot open the database at {engine.url!r}: {reason}") from None
    return Database(engine, sessionmaker(engine, expire_on_commit=False))
