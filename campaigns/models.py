"""The campaigns' tables: a campaign, and its send ledger (one row per recipient).

The tables live in the contact database but in their own metadata and their own
Alembic history, so ``audiences`` never depends on ``campaigns``. The ledger's link to
a contact is a database-level foreign key (``ON DELETE SET NULL``, declared in the
migration): forgetting a contact keeps the campaign's counts but not the person.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from audiences.models import NAMING, utcnow

CAMPAIGN_STATES = ("draft", "sending", "paused", "cancelled", "done")
# queued -> sending -> sent | bounced | failed, or back to queued for a retry;
# skipped when the contact may no longer be written to when their turn comes.
RECIPIENT_STATES = ("queued", "sending", "sent", "failed", "bounced", "skipped")
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
