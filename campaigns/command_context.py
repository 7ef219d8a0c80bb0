"""What every ``hookline campaign`` command runs in: settings, the database, and errors.

Known failures become one line on stderr and exit status 2 (usage or input) or 1
(the command ran but its work failed, such as a closed lint gate), never a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from sqlalchemy.exc import OperationalError

from audiences.command_context import EXIT_USAGE, fail
from audiences.db import Database, DatabaseError
from campaigns.settings import CampaignSettings, load_campaign_settings
from linter.config_file import ConfigError

EXIT_FAILED = 1


@contextmanager
def open_campaigns(config_path: Path | None) -> Iterator[tuple[CampaignSettings, Database]]:
    """The settings and the migrated database; known errors become one line."""
    from audiences.segment_query import SegmentError
    from campaigns.campaign_store import CampaignError
    from campaigns.database import open_campaign_database
    from campaigns.render.dkim_signing import DkimKeyError
    from campaigns.sending import LintGateError
    from campaigns.smtp.smtp_client import SmtpConfigError
    from campaigns.smtp.smtp_url import SmtpUrlError

    try:
        settings = load_campaign_settings(config_path)
    except ConfigError as exc:
        fail(str(exc))
    except (TypeError, ValueError) as exc:
        fail(f"configuration: {exc}")
    try:
        db = open_campaign_database(settings.database_url)
    except DatabaseError as exc:
        fail(str(exc))
    try:
        yield settings, db
    except SegmentError as exc:
        click.echo(exc.render(), err=True)
        sys.exit(EXIT_USAGE)
    except LintGateError as exc:
        click.echo(f"{_command()}: {exc}", err=True)
        sys.exit(EXIT_FAILED)
    except (CampaignError, SmtpUrlError, DkimKeyError) as exc:
        fail(str(exc))
    except SmtpConfigError as exc:
        click.echo(f"{_command()}: error: SMTP: {exc}", err=True)
        sys.exit(EXIT_FAILED)
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        fail(f"database: {reason}")
    except OSError as exc:
        fail(f"{exc.filename}: {exc.strerror}" if exc.filename else str(exc))
    finally:
        db.engine.dispose()


def _command() -> str:
    context = click.get_current_context(silent=True)
    return context.command_path if context is not None else "hookline campaign"
