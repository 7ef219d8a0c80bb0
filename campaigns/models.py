"""The campaigns' tables: a campaign, and its send ledger (one row per recipient).

The tables live in the contact database but in their own metadata and their own
Alembic history, so ``audiences`` never depends on ``campaigns``. The ledger's link to
a contact is a database-level foreign key (``ON DELETE SET NULL``, declared in the
migration): forgetting a contact keeps the campaign's counts but not the person.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from audiences.models import NAMING, utcnow

CAMPAIGN_STATES = ("draft", "sending", "paused", "cancelled", "done")
# queued -> sending -> sent | bounced | failed, or back to queued for a retry;
# skipped when the contact may no longer be written to when their turn comes;
# held while an A/B subject test runs, then queued with the winning subject.
RECIPIENT_STATES = ("queued", "held", "sending", "sent", "failed", "bounced", "skipped")
FINAL_STATES = ("sent", "failed", "bounced", "skipped")


class CampaignBase(DeclarativeBase):
    """Declarative base for the campaigns' own metadata."""

    metadata = MetaData(naming_convention=NAMING)


class Campaign(CampaignBase):
    """A template sent to a segment, with the exact text it sends."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    channel: Mapped[str] = mapped_column(String(16), default="email")
    state: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    template_path: Mapped[str] = mapped_column(String(500))
    # The template as it was when the campaign was created or last edited: a
    # campaign always knows exactly what it sent, whatever happens to the file.
    template_source: Mapped[str] = mapped_column(Text)
    text_source: Mapped[str | None] = mapped_column(Text)
    segment: Mapped[str] = mapped_column(Text, default="")
    from_addr: Mapped[str] = mapped_column(String(400))
    reply_to: Mapped[str | None] = mapped_column(String(400))
    lint_errors: Mapped[int] = mapped_column(Integer, default=0)
    lint_report: Mapped[str] = mapped_column(Text, default="")
    forced_reason: Mapped[str | None] = mapped_column(Text)
    forced_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)

    # Scheduling: a readable description of the schedule in force ("at …", "cron …",
    # "local 09:00"), and for local-time sends the wall-clock time each recipient gets
    # the message in their own time zone.
    schedule: Mapped[str | None] = mapped_column(Text)
    local_time: Mapped[str | None] = mapped_column(String(5))

    # A/B subject test: subject B, the share of the audience in the test (split evenly
    # between A and B), the measure that picks the winner, and when it is picked.
    subject_b: Mapped[str | None] = mapped_column(String(998))
    ab_share: Mapped[float | None] = mapped_column(Float)
    ab_measure: Mapped[str | None] = mapped_column(String(16))
    ab_wait_seconds: Mapped[int | None] = mapped_column(Integer)
    ab_decide_at: Mapped[datetime | None] = mapped_column(DateTime)
    ab_winner: Mapped[str | None] = mapped_column(String(1))

    # What the campaign cost (`hookline campaign cost`), for acquisition-cost figures.
    cost_amount: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    cost_staff: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    cost_service: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    # Days after a message during which the recipient's orders count for the
    # campaign; None takes [responses] attribution-days from the config.
    attribution_days: Mapped[int | None] = mapped_column(Integer)


class Recipient(CampaignBase):
    """One campaign to one contact: the send ledger's row, unique per pair."""

    __tablename__ = "campaign_recipients"
    __table_args__ = (
        UniqueConstraint("campaign_id", "contact_id"),
        Index("ix_campaign_recipients_campaign_id_state", "campaign_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(Integer, index=True)
    state: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime)
    smtp_code: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The contact's tier when the audience was snapshotted, for the report by tier.
    tier: Mapped[str | None] = mapped_column(String(16))
    # "a" or "b" in an A/B subject test; None when the campaign has one subject.
    variant: Mapped[str | None] = mapped_column(String(1))


EVENT_KINDS = (
    "open",
    "click",
    "unsubscribe",
    "bounce",
    "soft_bounce",
    "complaint",
    "reply",
    "response",
)


class CampaignEvent(CampaignBase):
    """One thing a recipient did (or their mail server said) about a campaign's message.

    ``dedup_key`` makes recording idempotent where the source can repeat itself: a
    bounce mailbox fetched twice, a conversions file imported twice, an offer code
    entered twice. Opens and clicks have none: every one counts, and the unique
    figures come from distinct ``recipient_id``.
    """

    __tablename__ = "campaign_events"
    __table_args__ = (Index("ix_campaign_events_campaign_id_kind", "campaign_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    recipient_id: Mapped[int | None] = mapped_column(Integer, index=True)
    contact_id: Mapped[int | None] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(16))
    url: Mapped[str | None] = mapped_column(Text)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    # Where it came from: pixel, link, one-click, page, mailto, dsn, arf, smtp, reply,
    # cli, import, api, qr.
    source: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(Text)
    dedup_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime, index=True)
