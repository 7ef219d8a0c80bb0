"""Shared steps of the scheduler tests: times ahead, polling, and reading the results."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import Result
from sqlalchemy import func, inspect, select, table

from campaigns.campaign_store import get_campaign
from campaigns.models import Campaign
from campaigns.scheduling.job_store import JOBS_TABLE
from tests.campaigns.conftest import Hookline
from tests.campaigns.people import add_people
from tests.campaigns.smtp_peer import SmtpPeer

REPO = Path(__file__).resolve().parents[3]
JAZZ = REPO / "templates" / "en" / "jazz-sale.html.j2"
LINT_ERROR = REPO / "tests" / "fixtures" / "campaigns" / "templates" / "lint-error.html.j2"
SENDER = "Jazz Shop <news@shop.example.com>"
# A test gone badly wrong stops waiting after this long; a passing one polls briefly.
DEADLINE_SECONDS = 90.0


def ok(result: Result) -> Result:
    """The result, after checking the command succeeded."""
    assert result.exit_code == 0, result.output
    assert result.exception is None, repr(result.exception)
    return result


def create_jazz(
    hookline: Hookline, people: int = 3, name: str = "jazz", **fields: object
) -> list[str]:
    """Contacts and a draft campaign to them all; the contacts' addresses."""
    db = hookline.open_db()
    try:
        emails = add_people(db, people, prefix=f"{name}-fan", **fields) if people else []
    finally:
        db.engine.dispose()
    ok(hookline.run("campaign", "create", name, "--template", str(JAZZ), "--from", SENDER))
    return emails


def iso_in(seconds: float) -> tuple[str, datetime]:
    """An ISO 8601 time ``seconds`` from now (whole seconds, UTC), and that instant."""
    when = (datetime.now(UTC) + timedelta(seconds=seconds)).replace(microsecond=0)
    return when.isoformat(), when


def wait_until(condition: Callable[[], bool], timeout: float = DEADLINE_SECONDS) -> None:
    """Poll ``condition`` until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting after {timeout:.0f} s")
        time.sleep(0.1)


def wait_past(instant: datetime, margin: float = 0.2) -> None:
    """Sleep until ``instant`` (plus ``margin`` seconds) has passed."""
    left = (instant - datetime.now(UTC)).total_seconds() + margin
    if left > 0:
        time.sleep(left)


def job_count(hookline: Hookline) -> int:
    """Rows in the job table (0 when it was never created)."""
    db = hookline.open_db()
    try:
        if not inspect(db.engine).has_table(JOBS_TABLE):
            return 0
        with db.engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(table(JOBS_TABLE))) or 0)
    finally:
        db.engine.dispose()


def campaign(hookline: Hookline, name: str) -> Campaign:
    """The campaign as stored now."""
    db = hookline.open_db()
    try:
        with db.session() as session:
            return get_campaign(session, name)
    finally:
        db.engine.dispose()


def campaign_names(hookline: Hookline) -> list[str]:
    """Every campaign's name, oldest first."""
    db = hookline.open_db()
    try:
        with db.session() as session:
            return list(session.scalars(select(Campaign.name).order_by(Campaign.id)))
    finally:
        db.engine.dispose()


def received(peer: SmtpPeer) -> Counter[str]:
    """How many messages each recipient got at the SMTP peer."""
    return Counter(
        recipient for _sender, recipients, _body in peer.messages for recipient in recipients
    )
