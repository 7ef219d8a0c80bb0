"""What ``campaigns.schedule`` says: the schedule in force, then what last happened to it.

The column reads ``"<description> — <status>"``, for example ``"at 2026-12-01 09:00+07:00
— missed: no scheduler ran within 3600 s of 2026-12-01 02:00 UTC"``. Only the latest
status is kept; the description never changes until the campaign is rescheduled.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update

from audiences.db import Database
from audiences.models import utcnow
from campaigns.models import Campaign

SEPARATOR = " — "


def stamp(when: datetime) -> str:
    """An instant as ``YYYY-MM-DD HH:MM:SS UTC`` (naive values are taken as UTC)."""
    if when.tzinfo is not None:
        when = when.astimezone(UTC)
    return f"{when:%Y-%m-%d %H:%M:%S} UTC"


def description_of(schedule: str | None) -> str:
    """The schedule's description without its status."""
    return (schedule or "").split(SEPARATOR, 1)[0]


def status_of(schedule: str | None) -> str | None:
    """The status after the description, if any."""
    parts = (schedule or "").split(SEPARATOR, 1)
    return parts[1] if len(parts) == 2 else None


def with_status(schedule: str | None, status: str) -> str:
    """The description followed by ``status`` (replacing an older status)."""
    return f"{description_of(schedule)}{SEPARATOR}{status}"


def note_status(db: Database, campaign_id: int, status: str) -> str | None:
    """Record ``status`` on a scheduled campaign, in its own transaction; its name."""
    with db.engine.begin() as connection:
        row = connection.execute(
            select(Campaign.name, Campaign.schedule).where(Campaign.id == campaign_id)
        ).first()
        if row is None or row.schedule is None:
            return row.name if row is not None else None
        connection.execute(
            update(Campaign)
            .where(Campaign.id == campaign_id)
            .values(schedule=with_status(row.schedule, status), updated_at=utcnow())
        )
        return str(row.name)
