"""Scheduling, unscheduling and listing campaigns: what the CLI commands call.

Scheduling checks everything before writing anything: the campaign exists and is a
draft, the schedule reads, and the lint gate is open (or overridden with a reason),
so a broken template fails now and not at 9 am. Then the campaign's ``schedule``
(and ``local_time``) is written and its job added to the job table, replacing any
earlier schedule of the same campaign.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from sqlalchemy import and_, or_, select, update

from audiences.db import Database
from audiences.models import utcnow
from campaigns.campaign_store import get_campaign, record_gate
from campaigns.models import Campaign
from campaigns.scheduling.job_store import STORE, campaign_of, job_id, job_scheduler
from campaigns.scheduling.schedule_spec import ScheduleError, ScheduleSpec
from campaigns.scheduling.schedule_status import description_of, status_of
from campaigns.scheduling.scheduler_settings import SchedulerSettings
from campaigns.settings import CampaignSettings
from linter.config import LinterConfig

# A cron occurrence is named "{name} YYYY-MM-DD HH:MM" (17 more characters), and
# campaign names have at most 100.
MAX_CRON_NAME = 100 - len(" YYYY-MM-DD HH:MM")


@dataclass(frozen=True)
class Scheduled:
    """A campaign's schedule as written: its description and next run."""

    campaign: str
    kind: str
    description: str
    next_run: datetime | None
    zone: tzinfo
    forced: bool = False
    replaced: bool = False

    def as_dict(self) -> dict[str, Any]:
        """For ``--json``."""
        return {
            "campaign": self.campaign,
            "kind": self.kind,
            "schedule": self.description,
            "next_run_at": _iso(self.next_run),
            "next_run_local": _iso(self.next_run, self.zone),
            "lint_gate": "overridden" if self.forced else "open",
            "replaced": self.replaced,
        }


def _iso(when: datetime | None, zone: tzinfo = UTC) -> str | None:
    return when.astimezone(zone).isoformat(timespec="seconds") if when is not None else None


def schedule_campaign(
    db: Database,
    settings: CampaignSettings,
    scheduler: SchedulerSettings,
    name: str,
    spec: ScheduleSpec,
    force_reason: str | None = None,
    lint_config: LinterConfig | None = None,
) -> Scheduled:
    """Schedule the draft ``name``; raises CampaignError (ScheduleError, LintGateError).

    The campaign's row is committed before the job is added, and put back if adding
    the job fails, so no job ever fires for a campaign that doesn't say it is scheduled.
    """
    from campaigns.sending import LintGateError

    with db.session() as session, session.begin():
        campaign = get_campaign(session, name)
        if campaign.state != "draft":
            raise ScheduleError(
                f"campaign {name!r} is {campaign.state}; only a draft can be scheduled"
            )
        if spec.kind == "cron" and len(name) > MAX_CRON_NAME:
            raise ScheduleError(
                f"campaign name {name!r} is too long for a cron schedule: each run is named "
                f"'{name} YYYY-MM-DD HH:MM', so keep it to {MAX_CRON_NAME} characters"
            )
        gate = record_gate(campaign, lint_config)
        if not gate.passed:
            if not force_reason:
                raise LintGateError(
                    f"campaign {name!r}: the template has {len(gate.errors)} error-level "
                    "finding(s):\n"
                    + gate.summary()
                    + '\nFix them, or schedule anyway with --force --reason "why".'
                )
            campaign.forced_reason = force_reason
            campaign.forced_at = utcnow()
        before = (campaign.schedule, campaign.local_time)
        campaign.schedule = spec.description
        campaign.local_time = spec.local_time
        campaign_id = campaign.id
        forced = bool(campaign.forced_reason)
    try:
        with job_scheduler(settings.database_url) as jobs:
            replaced = jobs.get_job(job_id(campaign_id), STORE) is not None
            job = jobs.add_job(
                spec.func,
                spec.trigger,
                args=spec.job_args(campaign_id),
                id=job_id(campaign_id),
                name=f"{name}: {spec.description}",
                jobstore=STORE,
                replace_existing=True,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=scheduler.misfire_grace_seconds,
            )
            next_run = job.next_run_time
    except BaseException:
        with db.engine.begin() as connection:
            connection.execute(
                update(Campaign)
                .where(Campaign.id == campaign_id)
                .values(schedule=before[0], local_time=before[1])
            )
        raise
    return Scheduled(name, spec.kind, spec.description, next_run, spec.zone, forced, replaced)


def unschedule_campaign(db: Database, settings: CampaignSettings, name: str) -> str:
    """Remove ``name``'s schedule (its job, and the description); what was removed."""
    with db.session() as session:
        campaign = get_campaign(session, name)
    with job_scheduler(settings.database_url) as jobs:
        job = jobs.get_job(job_id(campaign.id), STORE)
        lapsed = campaign.state == "draft" and campaign.schedule is not None
        if job is None and not lapsed:
            raise ScheduleError(
                f"campaign {name!r} has no pending schedule; "
                "`hookline campaign schedules` lists them"
            )
        if job is not None:
            jobs.remove_job(job.id, STORE)
    with db.engine.begin() as connection:
        connection.execute(
            update(Campaign)
            .where(Campaign.id == campaign.id)
            .values(schedule=None, local_time=None, updated_at=utcnow())
        )
    return description_of(campaign.schedule)


def _zone_of(trigger: Any) -> tzinfo:
    """The zone a trigger is described in: a cron's, or a one-off time's own offset."""
    zone = getattr(trigger, "timezone", None)
    if zone is None:
        run_date = getattr(trigger, "run_date", None)
        zone = run_date.tzinfo if run_date is not None else None
    return zone if isinstance(zone, tzinfo) else UTC


def list_schedules(db: Database, settings: CampaignSettings) -> list[dict[str, Any]]:
    """Every pending schedule, soonest first, then drafts whose schedule lapsed.

    A lapsed schedule is one that was missed (no scheduler ran within the misfire
    grace) or whose campaign couldn't be started; its status says which.
    """
    with job_scheduler(settings.database_url) as jobs:
        pending = {
            campaign_id: job
            for job in jobs.get_jobs(STORE)
            if (campaign_id := campaign_of(job.id)) is not None
        }
    with db.session() as session:
        campaigns = session.scalars(
            select(Campaign).where(
                or_(
                    Campaign.id.in_(pending),
                    and_(Campaign.state == "draft", Campaign.schedule.is_not(None)),
                )
            )
        ).all()
    rows = []
    for campaign in campaigns:
        job = pending.get(campaign.id)
        next_run = job.next_run_time if job is not None else None
        zone = _zone_of(job.trigger) if job is not None else UTC
        rows.append(
            {
                "campaign": campaign.name,
                "state": campaign.state,
                "schedule": description_of(campaign.schedule),
                "status": status_of(campaign.schedule) or ("pending" if job else "lapsed"),
                "local_time": campaign.local_time,
                "next_run_at": _iso(next_run),
                "next_run_local": _iso(next_run, zone),
            }
        )
    far = "9999"
    rows.sort(key=lambda row: (row["next_run_at"] is None, row["next_run_at"] or far))
    return rows
