"""What every ``hookline audience`` command runs in: settings, the database, and errors.

:func:`open_audience` loads the settings, opens (and on first use creates and
migrates) the database, and turns each known failure into one line on stderr and
exit status 2: a bad config value, a database URL that can't work, an unreadable
file, a query that can't run (shown with a caret), a bad address. Anything else is a
bug, left to the ``hookline`` entry point.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from audiences.db import Database, DatabaseError, open_database
from audiences.settings import AudienceSettings, load_audience_settings
from linter.config_file import ConfigError

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2


def fail(message: str) -> NoReturn:
    """Print one error line naming the command, and exit 2."""
    context = click.get_current_context(silent=True)
    name = context.command_path if context is not None else "hookline audience"
    click.echo(f"{name}: error: {message}", err=True)
    sys.exit(EXIT_USAGE)


@contextmanager
def open_audience(config_path: Path | None) -> Iterator[tuple[AudienceSettings, Database]]:
    """The settings and the migrated database, disposed of on the way out.

    Known errors, while opening or inside the ``with`` block, become one line (or the
    query with a caret) and exit 2.
    """
    from audiences.contact_import import ImportFileError
    from audiences.segment_query import SegmentError

    try:
        settings = load_audience_settings(config_path)
    except ConfigError as exc:
        fail(str(exc))
    except (TypeError, ValueError) as exc:  # a value of the wrong type in [audience]
        fail(f"configuration: {exc}")
    db = _open(settings.database_url)
    try:
        yield settings, db
    except SegmentError as exc:
        click.echo(exc.render(), err=True)
        sys.exit(EXIT_USAGE)
    except ImportFileError as exc:
        fail(str(exc))
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        fail(f"database: {reason}")
    except OSError as exc:
        fail(f"{exc.filename}: {exc.strerror}" if exc.filename else str(exc))
    except ValueError as exc:  # a bad address, segment name or value; the message says which
        fail(str(exc))
    finally:
        db.engine.dispose()


def require_file(path: Path) -> None:
    """Fail before touching the database when an input file is missing."""
    if not path.exists():
        fail(f"{path}: no such file")
    if not path.is_file():
        fail(f"{path}: not a file")


def _shown(url: str) -> str:
    """The URL with any password masked, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "the configured URL"


def _open(url: str) -> Database:
    """Open the database; a URL that can't work is one line naming it (password hidden)."""
    try:
        return open_database(url)
    except DatabaseError as exc:
        fail(str(exc))
    except ArgumentError as exc:  # an unknown dialect among others
        fail(f"database URL {_shown(url)}: {exc}; use sqlite:///PATH or postgresql://HOST/NAME")
    except ImportError as exc:
        fail(f"database URL {_shown(url)}: its driver is not installed ({exc})")
    except OSError as exc:
        fail(f"database URL {_shown(url)}: {exc.strerror or exc}: {exc.filename}")
