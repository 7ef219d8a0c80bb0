"""``hookline scheduler``: fire scheduled campaigns and send them, in the foreground.

Each job fired, missed or failed is one line on stderr with a UTC timestamp. SIGTERM
stops it with exit status 0, Ctrl-C with 130, both after the messages in flight
have their outcome recorded. ``--once`` runs what is due and exits, for cron or tests.
"""

from __future__ import annotations

import logging
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

import click

from audiences.command_context import fail
from campaigns.command_context import EXIT_FAILED, open_campaigns
from linter.config_file import ConfigError

EXIT_INTERRUPTED = 130
# How often the foreground process looks for a stop signal.
SIGNAL_POLL_SECONDS = 0.2


class _OneLineFormatter(logging.Formatter):
    """``2026-12-01T02:00:03Z hookline scheduler: message``, never a traceback."""

    def format(self, record: logging.LogRecord) -> str:
        """The message on one line; an exception becomes its type and first line."""
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            first = str(exc).splitlines()[0] if str(exc) else ""
            message = f"{message}: {type(exc).__name__}: {first}"
        when = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return f"{when} hookline scheduler: " + message.replace("\n", " ")


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a line is logged, not when it was made."""

    def emit(self, record: logging.LogRecord) -> None:
        """Log to the current stderr."""
        self.stream = sys.stderr
        super().emit(record)


class _QuietApscheduler(logging.Filter):
    """Drop APScheduler's notes that the service already reports in its own words."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep everything but "maximum number of running instances" notes."""
        return "maximum number of running instances" not in record.getMessage()


def configure_logging(quiet: bool = False) -> None:
    """The service's log lines on stderr; APScheduler's own only for store problems."""
    handler = _StderrHandler()
    handler.setFormatter(_OneLineFormatter())
    handler.addFilter(_QuietApscheduler())
    # The scheduler's own lines, and those of the periodic tasks it runs.
    for name in ("campaigns.scheduling", "campaigns.sequences", "campaigns.ab_testing"):
        ours = logging.getLogger(name)
        ours.handlers[:] = [handler]
        ours.setLevel(logging.WARNING if quiet else logging.INFO)
        ours.propagate = False
    apscheduler = logging.getLogger("apscheduler")
    apscheduler.handlers[:] = [handler]
    apscheduler.setLevel(logging.WARNING)
    apscheduler.propagate = False
    # Executors log each missed or failed run with a traceback; the service reports
    # those itself, in one line.
    logging.getLogger("apscheduler.executors").setLevel(logging.CRITICAL + 1)


@click.command("scheduler")
@click.option("--once", is_flag=True, help="Run what is due (jobs, then periodic work) and exit.")
@click.option("--quiet", is_flag=True, help="Log only what was missed or failed.")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    help="Config file (default: ./config.toml or $HOOKLINE_CONFIG).",
)
def scheduler_command(once: bool, quiet: bool, config_path: Path | None) -> None:
    """Fire scheduled campaigns and send the started ones, until stopped.

    \b
    Examples:
      hookline scheduler                          run in the foreground (Ctrl-C stops)
      hookline scheduler --once                   from cron: what is due, then exit
      hookline campaign schedule jazz --at 2026-12-01T09:00+07:00
      hookline campaign schedules                 what will fire, and when

    \b
    Schedules are kept in the database, so the scheduler can be stopped and started
    again: a job missed meanwhile fires once if it is no later than [scheduler]
    misfire-grace-seconds, and is skipped and reported otherwise. Every [scheduler]
    tick-seconds it sends the campaigns that are sending. Several schedulers may share
    one database; the send ledger keeps anyone from getting a campaign twice.
    Exit status: 0 (SIGTERM, or --once without failures), 1 (--once with a failed job
    or task), 2 (bad configuration), 130 (Ctrl-C).
    """
    from campaigns.letters.letter_settings import load_letter_settings
    from campaigns.scheduling.scheduler_settings import load_scheduler_settings
    from campaigns.scheduling.service import SchedulerService
    from linter.config import load_linter_config

    configure_logging(quiet)
    with open_campaigns(config_path) as (settings, _db):
        try:
            scheduler = load_scheduler_settings(config_path)
            letters = load_letter_settings(config_path)
        except ConfigError as exc:
            fail(str(exc))
        service = SchedulerService(
            settings,
            scheduler=scheduler,
            lint_config=load_linter_config(config_path),
            letters=letters,
        )
        if once:
            summary = service.run_once()
            if not summary.ok:
                sys.exit(EXIT_FAILED)
            return
        received: list[int] = []

        def request_stop(signum: int, _frame: FrameType | None) -> None:
            received.append(signum)

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        service.start()
        try:
            while not received:
                time.sleep(SIGNAL_POLL_SECONDS)
        finally:
            service.shutdown()
    if received[0] == signal.SIGINT:
        sys.exit(EXIT_INTERRUPTED)
