"""Add sequences: welcome series on confirmed consent, birthdays and anniversaries

Revision ID: c0003
Revises: c0002
Create Date: 2026-11-29 22:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c0003"
down_revision = "c0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sequences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("segment", sa.Text(), nullable=False),
        sa.Column("from_addr", sa.String(length=400), nullable=False),
        sa.Column("reply_to", sa.String(length=400), nullable=True),
        sa.Column("send_at", sa.String(length=5), nullable=False),
        sa.Column("catch_up_days", sa.Integer(), nullable=False),
        sa.Column("forced_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("last_run_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sequences")),
        sa.UniqueConstraint("name", name=op.f("uq_sequences_name")),
    )
    op.create_table(
        "sequence_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sequence_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("delay_days", sa.Integer(), nullable=False),
        sa.Column("template_path", sa.String(length=500), nullable=False),
        sa.Column("template_source", sa.Text(), nullable=False),
        sa.Column("text_source", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["sequence_id"],
            ["sequences.id"],
            name=op.f("fk_sequence_steps_sequence_id_sequences"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sequence_steps")),
        sa.UniqueConstraint(
            "sequence_id", "position", name=op.f("uq_sequence_steps_sequence_id_position")
        ),
    )
    op.create_table(
        "sequence_campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=False),
        sa.Column("occurrence", sa.String(length=8), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["step_id"],
            ["sequence_steps.id"],
            name=op.f("fk_sequence_campaigns_step_id_sequence_steps"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_sequence_campaigns_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sequence_campaigns")),
        sa.UniqueConstraint(
            "step_id", "occurrence", name=op.f("uq_sequence_campaigns_step_id_occurrence")
        ),
        sa.UniqueConstraint("campaign_id", name=op.f("uq_sequence_campaigns_campaign_id")),
    )
    op.create_table(
        "sequence_enrolments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sequence_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("occurrence", sa.String(length=8), nullable=False),
        sa.Column("anchor_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sequence_id"],
            ["sequences.id"],
            name=op.f("fk_sequence_enrolments_sequence_id_sequences"),
            ondelete="CASCADE",
        ),
        # Declared here, not on the model, as for the send ledger: forgetting a
        # contact keeps the enrolment (and so the counts), not the person.
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_sequence_enrolments_contact_id_contacts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sequence_enrolments")),
        sa.UniqueConstraint(
            "sequence_id",
            "contact_id",
            "occurrence",
            name=op.f("uq_sequence_enrolments_sequence_id_contact_id_occurrence"),
        ),
    )
    op.create_index(
        "ix_sequence_enrolments_sequence_id_anchor_at",
        "sequence_enrolments",
        ["sequence_id", "anchor_at"],
    )
    op.create_index(
        op.f("ix_sequence_enrolments_contact_id"), "sequence_enrolments", ["contact_id"]
    )


def downgrade() -> None:
    op.drop_table("sequence_enrolments")
    op.drop_table("sequence_campaigns")
    op.drop_table("sequence_steps")
    op.drop_table("sequences")
