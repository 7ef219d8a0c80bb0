"""Recording a person's reply to one of our messages as a ``reply`` event.

The reply's own Message-ID is the dedup key, so a Reply-To mailbox read twice counts
each reply once. Automatic replies never get here (:mod:`campaigns.mailbox.auto_reply`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from campaigns.events import Event, RecipientOrigin, record_events
from campaigns.mailbox.bounce_handling import Effect
from campaigns.mailbox.classify import Classification


def record_reply(
    connection: Connection, origin: RecipientOrigin, message: Classification, now: datetime
) -> Effect:
    """Record the reply (detail: its subject); the caller owns the transaction."""
    event = Event(
        origin.campaign_id,
        origin.recipient_id,
        origin.contact_id,
        "reply",
        message.occurred_at or now,
        source="reply",
        detail=(message.subject or "")[:500] or None,
        dedup_key=f"reply:{message.identity}",
    )
    new = record_events(connection, [event])
    return Effect("reply" if new else "already_recorded", origin.recipient_id)
