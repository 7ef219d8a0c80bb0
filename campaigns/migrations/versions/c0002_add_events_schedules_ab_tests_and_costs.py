"""Add response events, schedules, A/B subject tests and campaign costs

Revision ID: c0002
Revises: c0001
Create Date: 2026-11-29 21:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c0002"
down_revision = "c0001"
branch_labels = None
depends_on = None


def campaign_columns() -> tuple[sa.Column[object], ...]:
    """The columns added to ``campaigns`` (new objects each call: a Column has one table)."""
    return (
        sa.Column("schedule", sa.Text(), nullable=True),
        sa.Column("local_time", sa.String(length=5), nullable=True),
        sa.Column("subject_b", sa.String(length=998), nullable=True),
        sa.Column("ab_share", sa.Float(), nullable=True),
        sa.Column("ab_measure", sa.String(length=16), nullable=True),
        sa.Column("ab_wait_seconds", sa.Integer(), nullable=True),
        sa.Column("ab_decide_at", sa.DateTime(), nullable=True),
        sa.Column("ab_winner", sa.String(length=1), nullable=True),
        sa.Column("cost_amount", sa.Numeric(16, 2), nullable=True),
        sa.Column("cost_staff", sa.Numeric(16, 2), nullable=True),
        sa.Column("cost_service", sa.Numeric(16, 2), nullable=True),
        sa.Column("attribution_days", sa.Integer(), nullable=True),
    )


def recipient_columns() -> tuple[sa.Column[object], ...]:
    """The columns added to ``campaign_recipients``."""
    return (
        sa.Column("tier", sa.String(length=16), nullable=True),
        sa.Column("variant", sa.String(length=1), nullable=True),
    )


def upgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        for column in campaign_columns():
            batch.add_column(column)
    with op.batch_alter_table("campaign_recipients") as batch:
        for column in recipient_columns():
            batch.add_column(column)
    op.create_table(
        "campaign_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("amount", sa.Numeric(16, 2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("dedup_key", sa.String(length=200), nullable=True),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_events_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        # As for the ledger: forgetting a contact keeps the event, not the person.
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_campaign_events_contact_id_contacts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_events")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_campaign_events_dedup_key")),
    )
    op.create_index(
        "ix_campaign_events_campaign_id_kind", "campaign_events", ["campaign_id", "kind"]
    )
    op.create_index(op.f("ix_campaign_events_recipient_id"), "campaign_events", ["recipient_id"])
    op.create_index(op.f("ix_campaign_events_contact_id"), "campaign_events", ["contact_id"])
    op.create_index(op.f("ix_campaign_events_occurred_at"), "campaign_events", ["occurred_at"])


def downgrade() -> None:
    op.drop_table("campaign_events")
    with op.batch_alter_table("campaign_recipients") as batch:
        for name in (column.name for column in recipient_columns()):
            batch.drop_column(name)
    with op.batch_alter_table("campaigns") as batch:
        for name in (column.name for column in campaign_columns()):
            batch.drop_column(name)
