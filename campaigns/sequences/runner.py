"""One pass over the active sequences: enrol new contacts, then queue their due steps.

A step falls due ``delay_days`` after the contact's anchor: on day 0 of a consent
series at once, otherwise at the sequence's send time on the contact's own clock.
A due step becomes a row in the step campaign's send ledger (state ``queued``,
``next_attempt_at`` its due time, the contact's tier as a snapshot); the periodic
deliver job sends it like any other queued row. The ledger's unique
``(campaign_id, contact_id)`` makes a second insert a no-op, so nobody gets a step
twice, even from two runners at once, and each sequence is processed under a lock on
its row, so two runners take turns rather than racing.

Steps are only queued while the contact may be emailed: someone who unsubscribes
after step 1 gets nothing more. A step more than the sequence's ``catch_up_days``
late (the runner was stopped, the sequence paused, the contact not sendable then) is
not sent: a welcome or a birthday greeting weeks late does more harm than good.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Connection,
    Table,
    and_,
    case,
    exists,
    literal,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from audiences.bulk_sql import refresh_statistics
from audiences.db import Database
from audiences.models import Contact, utcnow
from audiences.segment_query import SegmentError
from audiences.sendable import sendable
from campaigns.models import FINAL_STATES, Campaign, Recipient
from campaigns.sequences.enrolment import enrol, first_purchase_year
from campaigns.sequences.local_time import (
    ZoneGroup,
    day_start_utc,
    last_due_day,
    local_time_utc,
    parse_send_at,
    zone_groups,
)
from campaigns.sequences.models import (
    YEARLY_TRIGGERS,
    Sequence,
    SequenceCampaign,
    SequenceEnrolment,
    SequenceStep,
)
from campaigns.sequences.sequence_store import SequenceError, add_step_campaign, sequence_steps
from campaigns.settings import CampaignSettings
from linter.config import LinterConfig

log = logging.getLogger("campaigns.sequences")

LEDGER_COLUMNS = [
    "campaign_id",
    "contact_id",
    "state",
    "attempts",
    "next_attempt_at",
    "updated_at",
    "tier",
]
# A pass that wrote this many rows refreshes the planner's statistics afterwards.
REFRESH_STATISTICS_FROM = 1000
WRITTEN_TABLES = (cast(Table, SequenceEnrolment.__table__), cast(Table, Recipient.__table__))
# Step campaigns the runner queues into: a done one is sent again for new rows; a
# paused or cancelled one (by hand, or with its sequence) gets nothing.
OPEN_STATES = ("sending", "done")


@dataclass
class SequenceRun:
    """What one pass did for one sequence."""

    name: str
    enrolled: int = 0
    queued: int = 0
    # Problems that held the sequence (or a step) back, one line each.
    problems: list[str] = field(default_factory=list)


@dataclass
class RunReport:
    """What one pass did, per sequence."""

    at: datetime
    sequences: list[SequenceRun] = field(default_factory=list)

    @property
    def enrolled(self) -> int:
        """Contacts enrolled in this pass."""
        return sum(run.enrolled for run in self.sequences)

    @property
    def queued(self) -> int:
        """Ledger rows queued in this pass."""
        return sum(run.queued for run in self.sequences)

    @property
    def problems(self) -> list[str]:
        """Every problem, prefixed with its sequence's name."""
        return [f"{run.name}: {problem}" for run in self.sequences for problem in run.problems]


def run_due_sequences(db: Database, settings: CampaignSettings, now: datetime) -> int:
    """Enrol and queue for every active sequence at ``now`` (naive UTC); rows queued.

    The scheduler's periodic task. A sequence that fails (a saved segment it names was
    deleted, say) is skipped and logged, and the others still run.
    """
    report = run_sequences(db, settings, now)
    for problem in report.problems:
        log.warning("sequence %s", problem)
    return report.queued


def run_sequences(
    db: Database,
    settings: CampaignSettings,
    now: datetime | None = None,
    lint_config: LinterConfig | None = None,
    on_sequence: Callable[[int, int], None] | None = None,
) -> RunReport:
    """One enrolment and queueing pass over the active sequences, with what it did.

    ``on_sequence(done, total)`` is called after each sequence, for a progress bar.
    Each sequence runs in its own transaction: one that fails is rolled back alone.
    """
    now = now or utcnow()
    report = RunReport(now)
    with db.engine.connect() as connection:
        active = connection.execute(
            select(Sequence.id, Sequence.name, Sequence.trigger)
            .where(Sequence.state == "active")
            .order_by(Sequence.id)
        ).all()
        if not active:
            return report
        groups = zone_groups(connection, settings.audience.zone)
        purchases = (
            first_purchase_year(connection)
            if any(row.trigger == "anniversary" for row in active)
            else None
        )
    for done, row in enumerate(active, start=1):
        run = SequenceRun(row.name)
        report.sequences.append(run)
        try:
            with db.session() as session, session.begin():
                _run_one(session, row.id, settings, now, groups, purchases, lint_config, run)
        except (SequenceError, SegmentError) as exc:
            run.enrolled = run.queued = 0
            run.problems.append(str(exc).splitlines()[0])
        if on_sequence is not None:
            on_sequence(done, len(active))
    if report.enrolled + report.queued >= REFRESH_STATISTICS_FROM:
        # As after an import: PostgreSQL's planner must know these tables grew, or
        # the next pass may loop over every enrolment once per contact.
        with db.engine.connect() as connection:
            refresh_statistics(connection, *WRITTEN_TABLES)
    return report


def _run_one(
    session: Session,
    sequence_id: int,
    settings: CampaignSettings,
    now: datetime,
    groups: list[ZoneGroup],
    purchases: int | None,
    lint_config: LinterConfig | None,
    run: SequenceRun,
) -> None:
    # The row lock (the write lock on SQLite) makes two runners take turns on a
    # sequence; the unique keys would keep them right anyway.
    locked = session.execute(
        update(Sequence)
        .where(Sequence.id == sequence_id, Sequence.state == "active")
        # updated_at kept as is: a run is not a change to the sequence.
        .values(last_run_at=utcnow(), updated_at=Sequence.updated_at)
        .execution_options(synchronize_session=False)
    )
    if not locked.rowcount:  # type: ignore[attr-defined]
        return  # paused since the pass began
    sequence = session.get_one(Sequence, sequence_id, populate_existing=True)
    run.enrolled = enrol(session, sequence, settings.audience, now, groups, purchases)
    steps = sequence_steps(session, sequence.id)
    campaigns = _step_campaigns(session, sequence, steps, now, lint_config, run)
    connection = session.connection()
    for step, campaign_id, occurrence in campaigns:
        run.queued += _queue_step(connection, sequence, step, occurrence, campaign_id, groups, now)
    _reopen_done([campaign_id for _, campaign_id, _ in campaigns], connection)


def _step_campaigns(
    session: Session,
    sequence: Sequence,
    steps: list[SequenceStep],
    now: datetime,
    lint_config: LinterConfig | None,
    run: SequenceRun,
) -> list[tuple[SequenceStep, int, str]]:
    """The open campaigns to queue into: (step, campaign id, occurrence).

    For a yearly sequence, the campaigns of each year with recent enrolments, made
    the first time they are needed.
    """
    horizon = now - timedelta(days=max(s.delay_days for s in steps) + sequence.catch_up_days + 2)
    occurrences = (
        session.scalars(
            select(SequenceEnrolment.occurrence)
            .where(SequenceEnrolment.sequence_id == sequence.id)
            .where(SequenceEnrolment.anchor_at >= horizon)
            .distinct()
        ).all()
        if sequence.trigger in YEARLY_TRIGGERS
        else [""]
    )
    existing = {
        (row.step_id, row.occurrence): (row.campaign_id, row.state)
        for row in session.execute(
            select(
                SequenceCampaign.step_id,
                SequenceCampaign.occurrence,
                SequenceCampaign.campaign_id,
                Campaign.state,
            )
            .join(Campaign, Campaign.id == SequenceCampaign.campaign_id)
            .where(
                SequenceCampaign.step_id.in_([s.id for s in steps]),
                SequenceCampaign.occurrence.in_(occurrences),
            )
        )
    }
    found: list[tuple[SequenceStep, int, str]] = []
    for occurrence in sorted(occurrences):
        for step in steps:
            if (step.id, occurrence) not in existing:
                if sequence.trigger not in YEARLY_TRIGGERS:
                    continue
                try:
                    campaign, _gate = add_step_campaign(
                        session, sequence, step, occurrence, lint_config, now
                    )
                except SequenceError as exc:
                    # This year's step waits; the other steps and years still go out.
                    run.problems.append(f"{occurrence}: {exc}")
                    continue
                existing[step.id, occurrence] = (campaign.id, campaign.state)
            campaign_id, state = existing[step.id, occurrence]
            if state in OPEN_STATES:
                found.append((step, campaign_id, occurrence))
    return found


def _queue_step(
    connection: Connection,
    sequence: Sequence,
    step: SequenceStep,
    occurrence: str,
    campaign_id: int,
    groups: list[ZoneGroup],
    now: datetime,
) -> int:
    """Queue the step for every enrolled, sendable contact whose turn has come."""
    enrolment = SequenceEnrolment
    # Those already queued are left to the unique (campaign_id, contact_id): a NOT
    # EXISTS on the ledger being filled can be planned, with stale statistics, as a
    # scan of the campaign's rows per contact.
    stamp = utcnow()
    queued = 0
    for condition, window, due in _due_parts(sequence, step, groups, now):
        rows = (
            select(
                literal(campaign_id),
                enrolment.contact_id,
                literal("queued"),
                literal(0),
                due,
                literal(stamp),
                Contact.tier,
            )
            .select_from(enrolment)
            .join(Contact, Contact.id == enrolment.contact_id)
            .where(
                enrolment.sequence_id == sequence.id,
                enrolment.occurrence == occurrence,
                window,
                condition,
                sendable("email"),
            )
        )
        dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
        table = Recipient.__table__
        statement = (
            dialect.insert(table)
            .from_select(LEDGER_COLUMNS, rows)
            .on_conflict_do_nothing(index_elements=["campaign_id", "contact_id"])
            .returning(table.c.id)
        )
        queued += len(connection.execute(statement).all())
    return queued


DuePart = tuple[ColumnElement[bool], ColumnElement[bool], ColumnElement[datetime]]


def _due_parts(
    sequence: Sequence, step: SequenceStep, groups: list[ZoneGroup], now: datetime
) -> list[DuePart]:
    """Per time zone: who it is, which anchors are due (in the window), and when.

    Day 0 of a consent series is due at the confirmation itself, in every zone.
    Otherwise a step is due at the send time on the anchor's local day plus the
    delay: the anchors of the catch-up window's days get one due time per day.
    """
    anchor = SequenceEnrolment.anchor_at
    window_days = sequence.catch_up_days
    if sequence.trigger == "consent" and step.delay_days == 0:
        window = and_(anchor <= now, anchor >= now - timedelta(days=window_days))
        return [(true(), window, anchor.expression)]
    at = parse_send_at(sequence.send_at)
    parts: list[DuePart] = []
    for group in groups:
        latest = last_due_day(now, at, group.zone) - timedelta(days=step.delay_days)
        days = [latest - timedelta(days=n) for n in range(window_days, -1, -1)]
        window = and_(
            anchor >= day_start_utc(days[0], group.zone),
            anchor < _next_day_start(days[-1], group.zone),
        )
        due = case(
            *(
                (
                    anchor < _next_day_start(day, group.zone),
                    literal(_due_at(day, step, at, group.zone)),
                )
                for day in days
            ),
            else_=literal(_due_at(days[-1], step, at, group.zone)),
        )
        parts.append((group.condition, window, due))
    return parts


def _next_day_start(day: date, zone: ZoneInfo) -> datetime:
    return day_start_utc(day + timedelta(days=1), zone)


def _due_at(anchor_day: date, step: SequenceStep, at: time, zone: ZoneInfo) -> datetime:
    return local_time_utc(anchor_day + timedelta(days=step.delay_days), at, zone)


def _reopen_done(campaign_ids: list[int], connection: Connection) -> None:
    """Send again a step campaign the deliver loop marked done before new rows came."""
    if not campaign_ids:
        return
    connection.execute(
        update(Campaign)
        .where(
            Campaign.id.in_(campaign_ids),
            Campaign.state == "done",
            exists(
                select(Recipient.id).where(
                    Recipient.campaign_id == Campaign.id, Recipient.state.not_in(FINAL_STATES)
                )
            ),
        )
        .values(state="sending", finished_at=None, updated_at=utcnow())
    )
