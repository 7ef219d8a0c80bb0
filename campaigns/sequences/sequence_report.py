"""What a sequence has done: who is enrolled, and each step's ledger counts.

A step's figures add up its campaigns (one per year for a birthday or an
anniversary); ``waiting`` counts rows queued, held or being sent.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaigns.models import FINAL_STATES, Campaign, Recipient
from campaigns.sequences.models import (
    YEARLY_TRIGGERS,
    Sequence,
    SequenceCampaign,
    SequenceEnrolment,
    SequenceStep,
)
from campaigns.sequences.sequence_store import sequence_steps


def _time(value: Any) -> str | None:
    return value.isoformat(sep=" ", timespec="seconds") if value is not None else None


def enrolled_counts(session: Session) -> dict[int, int]:
    """Enrolments per sequence id."""
    return {
        sequence_id: count
        for sequence_id, count in session.execute(
            select(SequenceEnrolment.sequence_id, func.count()).group_by(
                SequenceEnrolment.sequence_id
            )
        )
    }


def sent_counts(session: Session) -> dict[int, int]:
    """Messages sent per sequence id, over every step and year."""
    return {
        sequence_id: count
        for sequence_id, count in session.execute(
            select(SequenceStep.sequence_id, func.count())
            .join(SequenceCampaign, SequenceCampaign.step_id == SequenceStep.id)
            .join(Recipient, Recipient.campaign_id == SequenceCampaign.campaign_id)
            .where(Recipient.state == "sent")
            .group_by(SequenceStep.sequence_id)
        )
    }


def sequence_summary(session: Session, sequence: Sequence) -> dict[str, Any]:
    """Everything ``hookline sequence show`` prints, as plain data for JSON."""
    steps = sequence_steps(session, sequence.id)
    counts: dict[int, dict[str, int]] = {step.id: {} for step in steps}
    for step_id, state, count in session.execute(
        select(SequenceCampaign.step_id, Recipient.state, func.count())
        .join(Recipient, Recipient.campaign_id == SequenceCampaign.campaign_id)
        .where(SequenceCampaign.step_id.in_(counts))
        .group_by(SequenceCampaign.step_id, Recipient.state)
    ):
        counts[step_id][state] = count
    campaigns: dict[int, list[dict[str, str]]] = {step.id: [] for step in steps}
    for step_id, occurrence, name, state in session.execute(
        select(SequenceCampaign.step_id, SequenceCampaign.occurrence, Campaign.name, Campaign.state)
        .join(Campaign, Campaign.id == SequenceCampaign.campaign_id)
        .where(SequenceCampaign.step_id.in_(campaigns))
        .order_by(SequenceCampaign.occurrence)
    ):
        campaigns[step_id].append({"name": name, "state": state, "occurrence": occurrence})
    by_occurrence = dict(
        session.execute(
            select(SequenceEnrolment.occurrence, func.count())
            .where(SequenceEnrolment.sequence_id == sequence.id)
            .group_by(SequenceEnrolment.occurrence)
            .order_by(SequenceEnrolment.occurrence)
        ).all()
    )
    summary: dict[str, Any] = {
        "name": sequence.name,
        "trigger": sequence.trigger,
        "state": sequence.state,
        "segment": sequence.segment,
        "from": sequence.from_addr,
        "reply_to": sequence.reply_to,
        "send_at": sequence.send_at,
        "catch_up_days": sequence.catch_up_days,
        "forced_reason": sequence.forced_reason,
        "created_at": _time(sequence.created_at),
        "last_run_at": _time(sequence.last_run_at),
        "enrolled": sum(by_occurrence.values()),
        "steps": [
            {
                "position": step.position,
                "day": step.delay_days,
                "template": step.template_path,
                "campaigns": campaigns[step.id],
                "waiting": sum(
                    n for state, n in counts[step.id].items() if state not in FINAL_STATES
                ),
                "sent": counts[step.id].get("sent", 0),
                "bounced": counts[step.id].get("bounced", 0),
                "failed": counts[step.id].get("failed", 0),
                "skipped": counts[step.id].get("skipped", 0),
            }
            for step in steps
        ],
    }
    if sequence.trigger in YEARLY_TRIGGERS:
        summary["enrolled_by_year"] = by_occurrence
    return summary
