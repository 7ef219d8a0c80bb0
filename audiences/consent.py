"""Consent per channel: every grant and withdrawal is a record with its proof.

The latest record decides (by time, then by insertion order). The contact keeps the
deciding status in ``email_consent`` / ``mail_consent`` so queries filter on an index.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from audiences.models import CHANNELS, CONSENT_STATUSES, ConsentRecord, Contact, utcnow


def record_consent(
    session: Session,
    contact: Contact,
    channel: str,
    status: str,
    source: str,
    *,
    recorded_at: datetime | None = None,
    ip: str | None = None,
    proof: str | None = None,
    confirmed_at: datetime | None = None,
) -> ConsentRecord:
    """Add a consent record and update the contact's status if it is now the latest."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}; use one of {', '.join(CHANNELS)}")
    if status not in CONSENT_STATUSES:
        raise ValueError(f"unknown consent status {status!r}; use granted or withdrawn")
    record = ConsentRecord(
        contact=contact,
        channel=channel,
        status=status,
        source=source,
        recorded_at=recorded_at or utcnow(),
        ip=ip,
        proof=proof,
        confirmed_at=confirmed_at,
    )
    session.add(record)
    session.flush()
    refresh_consent(session, contact, channel)
    return record


def latest_consent(session: Session, contact_id: int, channel: str) -> ConsentRecord | None:
    """The record that decides ``channel`` for the contact, if any."""
    return session.scalars(
        select(ConsentRecord)
        .where(ConsentRecord.contact_id == contact_id, ConsentRecord.channel == channel)
        .order_by(ConsentRecord.recorded_at.desc(), ConsentRecord.id.desc())
        .limit(1)
    ).first()


def refresh_consent(session: Session, contact: Contact, channel: str) -> None:
    """Set the contact's cached status for ``channel`` from its latest record."""
    latest = latest_consent(session, contact.id, channel)
    setattr(contact, f"{channel}_consent", latest.status if latest else None)
