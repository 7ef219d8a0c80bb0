"""Unsubscribing the recipient of one message, by whichever route they took.

The one-click POST (RFC 8058), the confirmation page, and a mail to the
List-Unsubscribe mailto address all end here. Unsubscribing takes effect at once and
does three things in one transaction: it suppresses the address for email (so it
stays unsendable even if the contact is imported again), records the withdrawal of
email consent with its source as proof, and records an ``unsubscribe`` event for the
campaign's report. Doing it twice is harmless and counts once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from audiences.consent import record_consent
from audiences.models import Contact, utcnow
from audiences.suppressions import suppress
from campaigns.events import Event, recipient_origin, record_events


def unsubscribe_recipient(
    connection: Connection,
    recipient_id: int,
    source: str,
    occurred_at: datetime | None = None,
    ip: str | None = None,
) -> bool:
    """Unsubscribe the contact ledger row ``recipient_id`` was sent to.

    Returns False when the row doesn't exist (or its contact was forgotten) or the
    message was already unsubscribed from; the caller owns the transaction.
    """
    origin = recipient_origin(connection, recipient_id)
    if origin is None or origin.contact_id is None:
        return False
    occurred_at = occurred_at or utcnow()
    new = record_events(
        connection,
        [
            Event(
                origin.campaign_id,
                recipient_id,
                origin.contact_id,
                "unsubscribe",
                occurred_at,
                source=source,
                dedup_key=f"unsubscribe:{recipient_id}",
            )
        ],
    )
    session = Session(bind=connection)
    contact = session.scalars(select(Contact).where(Contact.id == origin.contact_id)).one()
    suppress(
        connection,
        contact.email_hash,
        "email",
        "unsubscribed",
        f"{source}, campaign {origin.campaign_id}",
    )
    if contact.email_consent != "withdrawn":
        record_consent(
            session,
            contact,
            "email",
            "withdrawn",
            f"unsubscribe ({source})",
            recorded_at=occurred_at,
            ip=ip,
            proof=f"campaign {origin.campaign_id}, message {recipient_id}",
        )
    session.flush()
    return bool(new)
