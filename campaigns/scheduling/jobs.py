"""What a scheduled job does when it fires.

The functions are module-level and take plain arguments (the campaign id, and for
cron and local-time jobs the schedule itself), because APScheduler pickles a
reference to them into the job table. They find settings, the database and the lint
configuration in the running service (:mod:`campaigns.scheduling.runtime`).

Starting a campaign here does what ``hookline campaign send`` does first: the lint
gate again (the template may have been edited, the rules changed), then the ledger
snapshot. The sending itself happens in the periodic ``deliver_due`` task. Firing
twice is harmless: the snapshot is taken once (a conditional UPDATE), and a cron
occurrence's campaign name is unique.

Each returns a one-line summary for the scheduler's log, and raises CampaignError
(after noting the failure on the campaign) when the campaign could not be started.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import NoReturn
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from audiences.models import utcnow
from campaigns.campaign_store import CampaignError
from campaigns.models import Campaign
from campaigns.scheduling import runtime
from campaigns.scheduling.job_store import job_id
from campaigns.scheduling.local_times import assign_local_times
from campaigns.scheduling.schedule_spec import cron_trigger
from campaigns.scheduling.schedule_status import (
    description_of,
    note_status,
    stamp,
    with_status,
)
from campaigns.sending import StartResult, start

# A cron schedule is scanned at most this many occurrences back to find the one firing.
MAX_SCAN = 100_000


def _start(session: Session, campaign: Campaign, context: runtime.ServiceContext) -> StartResult:
    """The lint gate and the snapshot; an override given when scheduling still holds."""
    return start(session, campaign, context.settings, campaign.forced_reason, context.lint_config)


def _failed(context: runtime.ServiceContext, campaign_id: int, exc: CampaignError) -> NoReturn:
    """Note why the campaign wasn't started, then let the scheduler report the error."""
    reason = str(exc).splitlines()[0]
    note_status(context.db, campaign_id, f"not started {stamp(utcnow())}: {reason}")
    raise exc


def fire_at(campaign_id: int) -> str:
    """A one-off (``--at``) job: start the campaign; periodic delivery sends it."""
    context = runtime.current()
    try:
        with context.db.session() as session, session.begin():
            campaign = session.get(Campaign, campaign_id)
            if campaign is None:
                return f"campaign #{campaign_id} no longer exists; nothing to do"
            name = campaign.name
            result = _start(session, campaign, context)
            if result.snapshot is None:
                return f"{name} had already started; nothing to do"
            campaign.schedule = with_status(campaign.schedule, f"started {stamp(utcnow())}")
    except CampaignError as exc:
        _failed(context, campaign_id, exc)
    return f"started {name}: {result.snapshot:,} recipient(s) queued"


def fire_local(campaign_id: int, day_text: str, hh_mm: str) -> str:
    """A local-time job: start the campaign, each recipient due at HH:MM in their zone.

    The snapshot and the due times are committed together, so no sending loop can
    take a row before its time is set.
    """
    context = runtime.current()
    day = date.fromisoformat(day_text)
    at = time.fromisoformat(hh_mm)
    try:
        with context.db.session() as session, session.begin():
            campaign = session.get(Campaign, campaign_id)
            if campaign is None:
                return f"campaign #{campaign_id} no longer exists; nothing to do"
            name = campaign.name
            result = _start(session, campaign, context)
            if result.snapshot is None:
                return f"{name} had already started; nothing to do"
            due = assign_local_times(session, campaign.id, day, at, context.settings.audience.zone)
            campaign.schedule = with_status(campaign.schedule, f"started {stamp(utcnow())}")
    except CampaignError as exc:
        _failed(context, campaign_id, exc)
    return (
        f"started {name}: {result.snapshot:,} recipient(s) queued, each at {hh_mm} on "
        f"{day_text} in their own time zone ({len(due)} zone(s))"
    )


def latest_occurrence(
    crontab: str, zone: ZoneInfo, now: datetime, horizon_seconds: float
) -> datetime | None:
    """The schedule's last occurrence at or before ``now``, looking back ``horizon_seconds``.

    That is the occurrence being run: APScheduler runs a job at or after its time,
    within the misfire grace, and coalesces missed runs into the latest.
    """
    trigger = cron_trigger(crontab, zone)
    fire = trigger.get_next_fire_time(None, now - timedelta(seconds=horizon_seconds + 1))
    latest = None
    for _ in range(MAX_SCAN):
        if fire is None or fire > now:
            break
        latest = fire
        fire = trigger.get_next_fire_time(None, fire + timedelta(seconds=1))
    return latest


def occurrence_name(parent: str, occurrence: datetime) -> str:
    """``"{name} {YYYY-MM-DD HH:MM}"``, the occurrence in the schedule's zone."""
    return f"{parent} {occurrence:%Y-%m-%d %H:%M}"


def _copy(parent: Campaign, name: str, occurrence: datetime) -> Campaign:
    """A new draft with the parent's template snapshot, segment and sender."""
    return Campaign(
        name=name,
        channel=parent.channel,
        state="draft",
        template_path=parent.template_path,
        template_source=parent.template_source,
        text_source=parent.text_source,
        segment=parent.segment,
        from_addr=parent.from_addr,
        reply_to=parent.reply_to,
        forced_reason=parent.forced_reason,
        forced_at=parent.forced_at,
        attribution_days=parent.attribution_days,
        schedule=(
            f"occurrence {occurrence:%Y-%m-%d %H:%M} of {parent.name}: "
            f"{description_of(parent.schedule)}"
        ),
    )


def fire_cron(campaign_id: int, crontab: str, zone_name: str) -> str:
    """A cron job: send a new campaign, copied from the scheduled one, for this occurrence.

    The scheduled campaign stays a draft holding the schedule. The copy is named for
    the occurrence, so a second firing of the same occurrence (another scheduler on
    the same database) finds the name taken and does nothing.
    """
    context = runtime.current()
    zone = ZoneInfo(zone_name)
    now = datetime.now(UTC)
    occurrence = latest_occurrence(crontab, zone, now, context.scheduler.misfire_grace_seconds)
    occurrence = (occurrence or now).astimezone(zone)
    with context.db.session() as session:
        parent = session.get(Campaign, campaign_id)
        if parent is None or parent.state != "draft":
            state = "no longer exists" if parent is None else f"is {parent.state}"
            if context.remove_job is not None:
                context.remove_job(job_id(campaign_id))
            return f"campaign #{campaign_id} {state}; its cron schedule is removed"
        name = occurrence_name(parent.name, occurrence)
        taken = session.scalar(select(Campaign.id).where(Campaign.name == name))
    if taken is not None:
        return f"{name} exists already; nothing to do"
    try:
        with context.db.session() as session, session.begin():
            parent = session.get(Campaign, campaign_id)
            assert parent is not None
            child = _copy(parent, name, occurrence)
            session.add(child)
            session.flush()
            result = _start(session, child, context)
            parent.schedule = with_status(
                parent.schedule, f"last run {occurrence:%Y-%m-%d %H:%M} sent as {name!r}"
            )
    except IntegrityError:
        return f"{name} was created by another scheduler; nothing to do"
    except CampaignError as exc:
        _failed(context, campaign_id, exc)
    return f"started {name}: {result.snapshot or 0:,} recipient(s) queued"
