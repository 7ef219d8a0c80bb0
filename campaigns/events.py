"""Recording what recipients do: one row per open, click, unsubscribe, bounce, reply…

Every response path (the tracking endpoints, the bounce mailbox, offer codes, the
conversions import) records through :func:`record_events`, so the report reads one
table. Recording is idempotent where an event carries a ``dedup_key``: the same
bounce fetched twice or the same conversions file imported twice counts once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite

from campaigns.models import EVENT_KINDS, CampaignEvent, Recipient


@dataclass(frozen=True)
class Event:
    """An event to record; ``occurred_at`` is naive UTC like every stored time."""

    campaign_id: int
    recipient_id: int | None
    contact_id: int | None
    kind: str
    occurred_at: datetime
    url: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    source: str | None = None
    detail: str | None = None
    dedup_key: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise ValueError(f"unknown event kind {self.kind!r}; one of {', '.join(EVENT_KINDS)}")


@dataclass(frozen=True)
class RecipientOrigin:
    """Whose message a ledger row was: the campaign and the contact (None if forgotten)."""

    recipient_id: int
    campaign_id: int
    contact_id: int | None


def record_events(connection: Connection, events: Sequence[Event]) -> int:
    """Insert ``events`` in one statement; those whose dedup_key is known are skipped.

    Returns how many were new. The caller owns the transaction.
    """
    if not events:
        return 0
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(CampaignEvent)
        .on_conflict_do_nothing(index_elements=["dedup_key"])
        .returning(CampaignEvent.id)
    )
    return len(connection.execute(statement, [asdict(event) for event in events]).all())


def recipient_origin(connection: Connection, recipient_id: int) -> RecipientOrigin | None:
    """The campaign and contact of ledger row ``recipient_id``, or None if there is none."""
    row = connection.execute(
        select(Recipient.campaign_id, Recipient.contact_id).where(Recipient.id == recipient_id)
    ).first()
    if row is None:
        return None
    return RecipientOrigin(recipient_id, row.campaign_id, row.contact_id)
