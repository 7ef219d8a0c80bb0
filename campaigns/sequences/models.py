"""The sequences' tables: a sequence, its steps, their campaigns, and who is enrolled.

They live in the campaigns' metadata (and migration history). As in the send ledger,
an enrolment's link to a contact is a database-level foreign key declared in the
migration (``ON DELETE SET NULL``): forgetting a contact keeps the counts, not the
person.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from audiences.models import utcnow
from campaigns.models import CampaignBase

TRIGGERS = ("consent", "birthday", "anniversary")
# The triggers that come round every year: one enrolment and one campaign per step
# and per year.
YEARLY_TRIGGERS = ("birthday", "anniversary")
SEQUENCE_STATES = ("active", "paused")


class Sequence(CampaignBase):
    """A series of steps sent to each contact a trigger picks, on their own timeline."""

    __tablename__ = "sequences"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Short enough for "{name}/{year}/{position}" to fit a campaign name.
    name: Mapped[str] = mapped_column(String(80), unique=True)
    trigger: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default="active")
    segment: Mapped[str] = mapped_column(Text, default="")
    from_addr: Mapped[str] = mapped_column(String(400))
    reply_to: Mapped[str | None] = mapped_column(String(400))
    # Steps after day 0 (and every step of a yearly sequence) go out at this local
    # time ("HH:MM") in the contact's time zone, or the [audience] one.
    send_at: Mapped[str] = mapped_column(String(5), default="09:00")
    # A step more than this many days late is not sent (see runner).
    catch_up_days: Mapped[int] = mapped_column(Integer, default=3)
    # Why the lint gate was overridden for the steps' templates, if it was.
    forced_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    last_run_at: Mapped[datetime | None] = mapped_column(DateTime)


class SequenceStep(CampaignBase):
    """One step: its delay after the trigger and its template, stored as campaigns do."""

    __tablename__ = "sequence_steps"
    __table_args__ = (UniqueConstraint("sequence_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sequence_id: Mapped[int] = mapped_column(ForeignKey("sequences.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    delay_days: Mapped[int] = mapped_column(Integer)
    # The template as it was when the sequence was created: next year's birthday
    # campaign sends this text, whatever has happened to the file since.
    template_path: Mapped[str] = mapped_column(String(500))
    template_source: Mapped[str] = mapped_column(Text)
    text_source: Mapped[str | None] = mapped_column(Text)


class SequenceCampaign(CampaignBase):
    """The campaign that sends a step: one per step, or per step and year."""

    __tablename__ = "sequence_campaigns"
    __table_args__ = (UniqueConstraint("step_id", "occurrence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("sequence_steps.id", ondelete="CASCADE"))
    # "" for a consent series; the year ("2026") for a birthday or an anniversary.
    occurrence: Mapped[str] = mapped_column(String(8), default="")
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), unique=True
    )


class SequenceEnrolment(CampaignBase):
    """A contact on a sequence's timeline: once per sequence, or once a year."""

    __tablename__ = "sequence_enrolments"
    __table_args__ = (
        UniqueConstraint("sequence_id", "contact_id", "occurrence"),
        Index("ix_sequence_enrolments_sequence_id_anchor_at", "sequence_id", "anchor_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sequence_id: Mapped[int] = mapped_column(ForeignKey("sequences.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(Integer, index=True)
    occurrence: Mapped[str] = mapped_column(String(8), default="")
    # Where the contact's timeline starts (naive UTC): the confirmation of their
    # consent, or the day of the occasion at the sequence's local send time.
    anchor_at: Mapped[datetime] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
