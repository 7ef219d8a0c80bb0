"""What a bounce, a complaint or a mailto unsubscribe does to the ledger and the suppressions.

Each function records its event with a ``dedup_key`` built from the incoming
message's own Message-ID and the ledger row, so a mailbox read twice records
nothing twice, and returns what happened. The caller owns the transaction.

- hard bounce: event ``bounce``; the row ``sent`` -> ``bounced`` (its SMTP code cleared:
  the server accepted the message, the bounce came later); the address suppressed.
- soft bounce: event ``soft_bounce``; once a contact has ``[bounces] soft-bounce-limit``
  soft-bounced messages, across campaigns, since their last open or click, the
  address is suppressed (``soft_bounce``).
- complaint: event ``complaint``; the address suppressed (``complaint``).
- mailto unsubscribe: :func:`campaigns.unsubscribe.unsubscribe_recipient`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, select, update

from audiences.models import Contact
from audiences.suppressions import suppress
from campaigns.events import Event, RecipientOrigin, recipient_origin, record_events
from campaigns.mailbox.classify import Classification
from campaigns.models import CampaignEvent, Recipient
from campaigns.unsubscribe import unsubscribe_recipient

ENGAGEMENT_KINDS = ("open", "click")


@dataclass(frozen=True)
class Effect:
    """What handling one message did: its outcome (a KIND, or ``already_recorded``)."""

    outcome: str
    recipient_id: int | None = None
    suppressed: bool = False


def record_hard_bounce(
    connection: Connection, origin: RecipientOrigin, message: Classification, now: datetime
) -> Effect:
    """Record a hard bounce; see the module docstring."""
    detail = bounce_detail(message)
    new = _record(connection, origin, message, "bounce", "dsn", detail, now)
    if not new:
        return Effect("already_recorded", origin.recipient_id)
    connection.execute(
        update(Recipient)
        .where(Recipient.id == origin.recipient_id, Recipient.state == "sent")
        .values(state="bounced", smtp_code=None, detail=f"bounced later: {detail}", updated_at=now)
    )
    suppressed = _suppress(
        connection, origin, "hard_bounce", f"{detail} (campaign {origin.campaign_id})"
    )
    return Effect("hard_bounce", origin.recipient_id, suppressed)


def record_soft_bounce(
    connection: Connection,
    origin: RecipientOrigin,
    message: Classification,
    limit: int,
    now: datetime,
) -> Effect:
    """Record a soft bounce, and suppress the address at the contact's ``limit``-th."""
    detail = bounce_detail(message)
    if not _record(connection, origin, message, "soft_bounce", "dsn", detail, now):
        return Effect("already_recorded", origin.recipient_id)
    suppressed = False
    if origin.contact_id is not None:
        count = soft_bounces_since_engagement(connection, origin.contact_id)
        if count >= limit:
            suppressed = _suppress(
                connection,
                origin,
                "soft_bounce",
                f"{count} soft bounces since the last open or click; last: {detail}",
            )
    return Effect("soft_bounce", origin.recipient_id, suppressed)


def record_complaint(
    connection: Connection, origin: RecipientOrigin, message: Classification, now: datetime
) -> Effect:
    """Record a spam complaint and suppress the address."""
    detail = message.diagnostic or message.feedback_type or "abuse"
    if not _record(connection, origin, message, "complaint", "arf", detail, now):
        return Effect("already_recorded", origin.recipient_id)
    suppressed = _suppress(
        connection, origin, "complaint", f"{detail} (campaign {origin.campaign_id})"
    )
    return Effect("complaint", origin.recipient_id, suppressed)


def record_mailto_unsubscribe(
    connection: Connection, message: Classification, now: datetime
) -> Effect:
    """Unsubscribe the recipient whose signed token the mail's subject carries."""
    recipient_id = message.unsubscribe_recipient
    if recipient_id is None or recipient_origin(connection, recipient_id) is None:
        return Effect("unmatched")
    new = unsubscribe_recipient(
        connection, recipient_id, "mailto", occurred_at=message.occurred_at or now
    )
    return Effect("unsubscribe" if new else "already_recorded", recipient_id, suppressed=new)


def soft_bounces_since_engagement(connection: Connection, contact_id: int) -> int:
    """The contact's soft-bounced messages, in every campaign, since their last open or click.

    Messages, not reports: a server that sends a "delayed" notice after 4, 8 and 24
    hours about one message has soft-bounced once.
    """
    engaged = connection.scalar(
        select(func.max(CampaignEvent.occurred_at)).where(
            CampaignEvent.contact_id == contact_id, CampaignEvent.kind.in_(ENGAGEMENT_KINDS)
        )
    )
    query = select(func.count(func.distinct(CampaignEvent.recipient_id))).where(
        CampaignEvent.contact_id == contact_id, CampaignEvent.kind == "soft_bounce"
    )
    if engaged is not None:
        query = query.where(CampaignEvent.occurred_at > engaged)
    return int(connection.scalar(query) or 0)


def bounce_detail(message: Classification) -> str:
    """``5.1.1 550 5.1.1 <x@example.com>... User unknown``: the status, then the diagnostic."""
    parts = [message.status, message.diagnostic]
    return " ".join(part for part in parts if part)[:1000] or message.summary


def _record(
    connection: Connection,
    origin: RecipientOrigin,
    message: Classification,
    kind: str,
    source: str,
    detail: str,
    now: datetime,
) -> bool:
    event = Event(
        origin.campaign_id,
        origin.recipient_id,
        origin.contact_id,
        kind,
        message.occurred_at or now,
        source=source,
        detail=detail,
        dedup_key=f"{source}:{message.identity}:{origin.recipient_id}",
    )
    return bool(record_events(connection, [event]))


def _suppress(connection: Connection, origin: RecipientOrigin, reason: str, detail: str) -> bool:
    """Suppress the contact's address for email; False when forgotten or already suppressed."""
    if origin.contact_id is None:
        return False
    address_hash = connection.scalar(
        select(Contact.email_hash).where(Contact.id == origin.contact_id)
    )
    if address_hash is None:
        return False
    return suppress(connection, address_hash, "email", reason, detail)
