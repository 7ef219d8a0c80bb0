"""Creating, finding, pausing and resuming sequences, and their steps' campaigns.

Each step is an email campaign named ``"{sequence}/{position}"`` (for a birthday or
an anniversary, ``"{sequence}/{year}/{position}"``, one per year). Step campaigns
are read, checked and linted by :mod:`campaigns.campaign_store`, exactly as
``hookline campaign create`` does, and started the way ``campaign send`` starts a
campaign, minus the audience snapshot: the runner queues each contact when their
step falls due.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from audiences.models import utcnow
from audiences.segment_query import validate_query
from campaigns.campaign_store import (
    CampaignError,
    check_address,
    check_name,
    load_template,  # the checks create_campaign runs on a template (see _read_step)
    record_gate,
)
from campaigns.lint_gate import GateResult
from campaigns.models import Campaign
from campaigns.sequences.local_time import parse_send_at
from campaigns.sequences.models import (
    TRIGGERS,
    YEARLY_TRIGGERS,
    Sequence,
    SequenceCampaign,
    SequenceStep,
)
from linter.config import LinterConfig

MAX_NAME = 80
MAX_STEPS = 20
MAX_DELAY_DAYS = 365
STEP_SPEC = re.compile(r"^\s*(\d{1,3})\s*:\s*(\S.*)$")


class SequenceError(CampaignError):
    """A sequence can't be created, found or changed; the message says why."""


@dataclass(frozen=True)
class StepSpec:
    """A step as typed: ``DAYS:TEMPLATE``."""

    delay_days: int
    template: Path


def parse_step(spec: str) -> StepSpec:
    """``"3:templates/sequences/welcome-2.html.j2"`` -> day 3 and that template."""
    match = STEP_SPEC.match(spec)
    if not match:
        raise SequenceError(
            f"--step {spec!r}: expected DAYS:TEMPLATE, like 0:templates/sequences/welcome-1.html.j2"
        )
    days = int(match.group(1))
    if days > MAX_DELAY_DAYS:
        raise SequenceError(f"--step {spec!r}: at most {MAX_DELAY_DAYS} days after the trigger")
    return StepSpec(days, Path(match.group(2).strip()))


def step_campaign_name(sequence: str, position: int, occurrence: str = "") -> str:
    """``welcome/1``, or ``birthday/2026/1`` for a yearly sequence's step."""
    return f"{sequence}/{occurrence}/{position}" if occurrence else f"{sequence}/{position}"


@dataclass(frozen=True)
class CreatedSequence:
    """The new sequence, its steps' lint verdicts, and the campaigns made now."""

    sequence: Sequence
    gates: list[GateResult]
    campaigns: list[Campaign]


def _read_step(
    position: int, spec: StepSpec, config: LinterConfig | None
) -> tuple[Campaign, GateResult]:
    """The step's template read, checked and linted as ``campaign create`` does.

    ``campaign_store.create_campaign`` itself refuses a "/" in names; that is what
    keeps a campaign created by hand from ever taking a step's name.
    """
    campaign = Campaign(name=f"step {position}", state="draft")
    try:
        load_template(campaign, spec.template)
    except CampaignError as exc:
        raise SequenceError(f"step {position}: {exc}") from None
    if campaign.channel != "email":
        raise SequenceError(
            f"step {position}: {spec.template} is a {campaign.channel}; sequence steps are emails"
        )
    return campaign, record_gate(campaign, config)


CREATE_ADVICE = 'fix them (`hookline lint PATH`) or create anyway with --force --reason "why"'
# A yearly step's text was linted when the sequence was created; only a change in the
# lint settings since then closes its gate.
YEARLY_ADVICE = "nothing is queued for it (did [linter] settings change since the sequence began?)"


def _gate_line(position: int, path: str, gate: GateResult, advice: str) -> str:
    first = gate.summary().splitlines()[0]
    return (
        f"step {position} ({path}): the lint gate is closed, {len(gate.errors)} "
        f"error-level finding(s), first: {first}; {advice.replace('PATH', path)}"
    )


def start_step_campaign(
    campaign: Campaign,
    sequence: Sequence,
    config: LinterConfig | None = None,
    now: datetime | None = None,
) -> GateResult:
    """Pass the lint gate (or the sequence's override) and leave the campaign sending.

    As ``campaigns.sending.start`` does, minus the snapshot. With the gate closed and
    no override the campaign stays a draft.
    """
    now = now or utcnow()
    gate = record_gate(campaign, config)
    if not gate.passed:
        if not sequence.forced_reason:
            return gate
        campaign.forced_reason = sequence.forced_reason
        campaign.forced_at = now
    campaign.state = "sending" if sequence.state == "active" else "paused"
    campaign.started_at = now
    return gate


def _step_campaign(sequence: Sequence, step: SequenceStep, occurrence: str) -> Campaign:
    return Campaign(
        name=step_campaign_name(sequence.name, step.position, occurrence),
        channel="email",
        template_path=step.template_path,
        template_source=step.template_source,
        text_source=step.text_source,
        segment=sequence.segment,
        from_addr=sequence.from_addr,
        reply_to=sequence.reply_to,
        state="draft",
        schedule=_schedule(sequence, step),
        local_time=sequence.send_at,
    )


def _schedule(sequence: Sequence, step: SequenceStep) -> str:
    when = {"consent": "confirmed consent", "birthday": "birthday", "anniversary": "anniversary"}
    timing = (
        "at once"
        if step.delay_days == 0 and sequence.trigger == "consent"
        else f"at {sequence.send_at} local"
    )
    return (
        f"sequence {sequence.name}, step {step.position}: "
        f"day {step.delay_days} after the {when[sequence.trigger]}, {timing}"
    )


def create_sequence(
    session: Session,
    name: str,
    trigger: str,
    steps: list[StepSpec],
    from_addr: str,
    reply_to: str | None = None,
    segment: str = "",
    send_at: str = "09:00",
    catch_up_days: int = 3,
    force_reason: str | None = None,
    lint_config: LinterConfig | None = None,
    now: datetime | None = None,
) -> CreatedSequence:
    """Create an active sequence and, for a consent series, its steps' campaigns.

    Every template is read and linted now; error-level findings refuse the sequence
    unless ``force_reason`` says why it may send anyway. A consent series only ever
    enrols contacts who confirm after ``now`` (its creation), so the existing list
    never gets a welcome. Raises SequenceError (or SegmentError for the query).
    """
    now = now or utcnow()
    check_name(name)
    if len(name) > MAX_NAME:
        raise SequenceError(f"sequence name {name!r}: at most {MAX_NAME} characters")
    if trigger not in TRIGGERS:
        raise SequenceError(f"unknown trigger {trigger!r}; use one of {', '.join(TRIGGERS)}")
    if not steps:
        raise SequenceError("a sequence needs at least one --step DAYS:TEMPLATE")
    if len(steps) > MAX_STEPS:
        raise SequenceError(f"a sequence has at most {MAX_STEPS} steps")
    for position, (before, after) in enumerate(pairwise(steps), start=2):
        if after.delay_days < before.delay_days:
            raise SequenceError(
                f"step {position} (day {after.delay_days}) comes before step "
                f"{position - 1} (day {before.delay_days}); list the steps in order of days"
            )
    try:
        parse_send_at(send_at)
    except ValueError as exc:
        raise SequenceError(f"--send-at {exc}") from None
    if catch_up_days < 1:
        raise SequenceError("--catch-up-days must be 1 or more")
    if session.scalar(select(Sequence.id).where(Sequence.name == name)) is not None:
        raise SequenceError(f"a sequence named {name!r} already exists")
    validate_query(session, segment)
    sequence = Sequence(
        name=name,
        trigger=trigger,
        state="active",
        segment=segment,
        from_addr=check_address(from_addr, "--from"),
        reply_to=check_address(reply_to, "--reply-to") if reply_to else None,
        send_at=send_at.strip(),
        catch_up_days=catch_up_days,
        forced_reason=force_reason or None,
        created_at=now,
        updated_at=now,
    )
    read = [_read_step(i, spec, lint_config) for i, spec in enumerate(steps, start=1)]
    if not force_reason:
        for position, (campaign, gate) in enumerate(read, start=1):
            if not gate.passed:
                raise SequenceError(
                    _gate_line(position, campaign.template_path, gate, CREATE_ADVICE)
                )
    session.add(sequence)
    session.flush()
    step_rows = [
        SequenceStep(
            sequence_id=sequence.id,
            position=position,
            delay_days=spec.delay_days,
            template_path=campaign.template_path,
            template_source=campaign.template_source,
            text_source=campaign.text_source,
        )
        for position, (spec, (campaign, _gate)) in enumerate(zip(steps, read, strict=True), 1)
    ]
    session.add_all(step_rows)
    session.flush()
    gates: list[GateResult] = []
    campaigns: list[Campaign] = []
    for step in step_rows:
        if sequence.trigger in YEARLY_TRIGGERS:
            # Made once a year, when the first contact of that year is enrolled.
            continue
        campaign, gate = add_step_campaign(session, sequence, step, "", lint_config, now)
        gates.append(gate)
        campaigns.append(campaign)
    return CreatedSequence(sequence, gates, campaigns)


def add_step_campaign(
    session: Session,
    sequence: Sequence,
    step: SequenceStep,
    occurrence: str,
    lint_config: LinterConfig | None = None,
    now: datetime | None = None,
) -> tuple[Campaign, GateResult]:
    """Create and start the campaign that sends ``step`` for ``occurrence``.

    Raises SequenceError, creating nothing, when the lint gate is closed and the
    sequence has no override: a step campaign is never left a draft, which
    ``campaign send`` would snapshot to the whole segment at once.
    """
    name = step_campaign_name(sequence.name, step.position, occurrence)
    if session.scalar(select(Campaign.id).where(Campaign.name == name)) is not None:
        raise SequenceError(f"a campaign named {name!r} already exists")
    campaign = _step_campaign(sequence, step, occurrence)
    gate = start_step_campaign(campaign, sequence, lint_config, now)
    if campaign.state == "draft":
        raise SequenceError(_gate_line(step.position, step.template_path, gate, YEARLY_ADVICE))
    session.add(campaign)
    session.flush()
    session.add(SequenceCampaign(step_id=step.id, occurrence=occurrence, campaign_id=campaign.id))
    session.flush()
    return campaign, gate


def get_sequence(session: Session, name: str) -> Sequence:
    """The sequence called ``name``, or a SequenceError that says how to find names."""
    sequence = session.scalar(select(Sequence).where(Sequence.name == name))
    if sequence is None:
        raise SequenceError(f"no sequence named {name!r}; `hookline sequence list` shows them")
    return sequence


def list_sequences(session: Session) -> list[Sequence]:
    """Every sequence, oldest first."""
    return list(session.scalars(select(Sequence).order_by(Sequence.id)))


def sequence_steps(session: Session, sequence_id: int) -> list[SequenceStep]:
    """The sequence's steps in order."""
    return list(
        session.scalars(
            select(SequenceStep)
            .where(SequenceStep.sequence_id == sequence_id)
            .order_by(SequenceStep.position)
        )
    )


def step_campaign_ids(session: Session, sequence_id: int) -> list[int]:
    """The ids of every campaign that sends one of the sequence's steps."""
    return list(
        session.scalars(
            select(SequenceCampaign.campaign_id)
            .join(SequenceStep, SequenceStep.id == SequenceCampaign.step_id)
            .where(SequenceStep.sequence_id == sequence_id)
        )
    )


def set_sequence_state(session: Session, sequence: Sequence, action: str) -> str:
    """Pause or resume a sequence and its step campaigns; returns the new state.

    Pausing also pauses the step campaigns, so messages already queued wait too;
    resuming lets them go. A step whose time passed more than the catch-up window
    ago while paused is not sent late (see :mod:`campaigns.sequences.runner`).
    """
    transitions = {"pause": ("active", "paused"), "resume": ("paused", "active")}
    if action not in transitions:
        raise SequenceError(f"unknown action {action!r}; use pause or resume")
    source, target = transitions[action]
    now = utcnow()
    changed = session.execute(
        update(Sequence)
        .where(Sequence.id == sequence.id, Sequence.state == source)
        .values(state=target, updated_at=now)
    ).rowcount  # type: ignore[attr-defined]
    if not changed:
        raise SequenceError(f"sequence {sequence.name!r} is {sequence.state}; can't {action} it")
    # A step campaign marked done sends again when the runner queues a new contact,
    # so a paused sequence pauses those too.
    sources, campaign_state = (
        (("sending", "done"), "paused")
        if action == "pause"
        else (
            ("paused",),
            "sending",
        )
    )
    ids = step_campaign_ids(session, sequence.id)
    if ids:
        session.execute(
            update(Campaign)
            .where(Campaign.id.in_(ids), Campaign.state.in_(sources))
            .values(state=campaign_state, updated_at=now)
        )
    session.expire(sequence)
    return target
