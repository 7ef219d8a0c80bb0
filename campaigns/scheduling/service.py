"""The scheduler service: APScheduler over the job table, plus the periodic tick.

``hookline scheduler`` runs it in the foreground and ``hookline serve`` beside the web
app, both through the same API::

    service = SchedulerService(settings)
    service.start()        # a background thread; returns at once
    ...
    service.shutdown()     # finishes the jobs and messages in flight

Campaign jobs live in the database (see :mod:`campaigns.scheduling.job_store`) with
``coalesce=True``, ``max_instances=1`` and ``[scheduler] misfire-grace-seconds``: a
job missed while no scheduler ran fires once when one starts within the grace, and
is reported as missed (on the campaign too) beyond it. The periodic tick lives in
memory: every scheduler has its own, every ``[scheduler] tick-seconds``.

Several services may share one database: each fires the due jobs it sees, and the
send ledger makes a second firing a no-op (see :mod:`campaigns.scheduling.jobs`).
"""

from __future__ import annotations

import logging
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from apscheduler.events import (  # type: ignore[import-untyped]
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MISSED,
)
from apscheduler.executors.pool import ThreadPoolExecutor  # type: ignore[import-untyped]
from apscheduler.jobstores.memory import MemoryJobStore  # type: ignore[import-untyped]
from apscheduler.schedulers.background import (  # type: ignore[import-untyped]
    BackgroundScheduler,
)
from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]
from sqlalchemy import select

from audiences.models import utcnow
from campaigns.database import open_campaign_database
from campaigns.models import Campaign
from campaigns.scheduling import runtime
from campaigns.scheduling.job_store import (
    STORE,
    CampaignJobStore,
    campaign_of,
    manual_scheduler,
)
from campaigns.scheduling.periodic import PERIODIC_TASKS, run_periodic_tasks
from campaigns.scheduling.schedule_status import note_status, stamp
from campaigns.scheduling.scheduler_settings import SchedulerSettings, load_scheduler_settings
from campaigns.settings import CampaignSettings
from linter.config import LinterConfig

if TYPE_CHECKING:
    from campaigns.letters.letter_settings import LetterSettings

log = logging.getLogger("campaigns.scheduling")

PERIODIC_JOB = "periodic"
MEMORY_STORE = "memory"
JOB_THREADS = 4
REPORTED_EVENTS = EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED


class _ServiceScheduler(BackgroundScheduler):  # type: ignore[misc]
    """APScheduler's background scheduler, whose thread survives a failing database.

    In APScheduler 3.x an error while saving a job's next run time (the database gone
    for a moment) escapes the scheduling loop and ends its thread for good; here it
    is logged and the loop tries again after ``jobstore_retry_interval``.
    """

    def _process_jobs(self) -> float | None:
        try:
            wait: float | None = super()._process_jobs()
        except Exception as exc:
            log.error("scheduling loop: %s: %s; retrying", type(exc).__name__, exc)
            return float(self.jobstore_retry_interval)
        return wait


@dataclass
class OnceSummary:
    """What ``run_once`` did."""

    fired: int = 0
    missed: int = 0
    failed: int = 0
    periodic: dict[str, int | None] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """No job and no periodic task failed."""
        return not self.failed and all(v is not None for v in self.periodic.values())


class SchedulerService:
    """Fires scheduled campaigns and runs the periodic tasks; see the module docstring."""

    def __init__(
        self,
        settings: CampaignSettings,
        *,
        scheduler: SchedulerSettings | None = None,
        lint_config: LinterConfig | None = None,
        letters: LetterSettings | None = None,
        tasks: tuple[str, ...] = PERIODIC_TASKS,
    ) -> None:
        self.settings = settings
        self.letters = letters
        # Without explicit settings, [scheduler] of the config file in force.
        self.scheduler_settings = scheduler or load_scheduler_settings()
        self.lint_config = lint_config
        self.tasks = tasks
        self._stack: ExitStack | None = None
        self._scheduler: Any = None
        self._context: runtime.ServiceContext | None = None
        self._summary = OnceSummary()

    # -- the service ------------------------------------------------------------------

    def start(self) -> None:
        """Open the database and the SMTP transport, then start scheduling in a thread."""
        context = self._open()
        try:
            scheduler = self._background_scheduler()
            self._scheduler = scheduler
            context.remove_job = self._remove_job
            scheduler.start()
        except BaseException:
            self._scheduler = None
            self._close()
            raise
        log.info(
            "scheduler started (misfire grace %d s, tick %g s)",
            self.scheduler_settings.misfire_grace_seconds,
            self.scheduler_settings.tick_seconds,
        )

    def _background_scheduler(self) -> _ServiceScheduler:
        """The scheduler: campaign jobs in the database, the periodic tick in memory."""
        grace = self.scheduler_settings.misfire_grace_seconds
        scheduler = _ServiceScheduler(
            timezone=UTC,
            jobstores={
                STORE: CampaignJobStore(self.settings.database_url),
                MEMORY_STORE: MemoryJobStore(),
            },
            executors={"default": ThreadPoolExecutor(JOB_THREADS)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": grace},
        )
        scheduler.add_listener(self._on_event, REPORTED_EVENTS)
        scheduler.add_job(
            self._tick,
            IntervalTrigger(seconds=self.scheduler_settings.tick_seconds),
            id=PERIODIC_JOB,
            name="periodic tasks",
            jobstore=MEMORY_STORE,
            next_run_time=datetime.now(UTC),
            coalesce=True,
            max_instances=1,
            # However late a tick is, it runs: it only does what is due anyway.
            misfire_grace_time=None,
        )
        return scheduler

    def shutdown(self) -> None:
        """Stop: sending loops finish their message in flight, running jobs complete."""
        if self._context is not None:
            self._context.stop.set()
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=True)
        self._scheduler = None
        self._close()
        log.info("scheduler stopped")

    def run_once(self) -> OnceSummary:
        """Run the due jobs, then each periodic task, once; for cron and for tests."""
        self._summary = OnceSummary()
        context = self._open()
        try:
            scheduler = manual_scheduler(self.settings.database_url)
            self._scheduler = scheduler
            context.remove_job = self._remove_job
            try:
                scheduler.add_listener(self._on_event, REPORTED_EVENTS)
                scheduler.run_due_jobs()
                self._summary.periodic = run_periodic_tasks(
                    context.db, self.settings, utcnow(), self.tasks
                )
            finally:
                scheduler.shutdown(wait=True)
        finally:
            self._scheduler = None
            self._close()
        return self._summary

    # -- inside -----------------------------------------------------------------------

    def _open(self) -> runtime.ServiceContext:
        """The database, the SMTP transport and the context jobs read, installed."""
        from campaigns.sending import smtp_transport, worker_name

        if self._context is not None:
            raise RuntimeError("the scheduler service is already running")
        stack = ExitStack()
        db = open_campaign_database(self.settings.database_url)
        stack.callback(db.engine.dispose)
        try:
            # One transport (in the embedded default, the capture server) for the
            # service's lifetime rather than one per tick.
            url, _captured = stack.enter_context(smtp_transport(self.settings))
        except BaseException:
            stack.close()
            raise
        self._stack = stack
        self._context = runtime.ServiceContext(
            settings=self.settings,
            scheduler=self.scheduler_settings,
            db=db,
            lint_config=self.lint_config,
            letters=self.letters,
            smtp_url=url,
            owner=worker_name(),
        )
        runtime.install(self._context)
        return self._context

    def _close(self) -> None:
        runtime.install(None)
        self._context = None
        stack, self._stack = self._stack, None
        if stack is not None:
            stack.close()

    def _tick(self) -> None:
        """The periodic job: every registered task, in turn."""
        context = self._context
        if context is None or context.stop.is_set():
            return
        run_periodic_tasks(context.db, self.settings, utcnow(), self.tasks)

    def _remove_job(self, job_id: str) -> None:
        scheduler = self._scheduler
        if scheduler is not None:
            scheduler.remove_job(job_id, STORE)

    def _campaign_name(self, campaign_id: int) -> str:
        context = self._context
        if context is None:
            return f"campaign #{campaign_id}"
        with context.db.engine.connect() as connection:
            name = connection.scalar(select(Campaign.name).where(Campaign.id == campaign_id))
        return name or f"campaign #{campaign_id}"

    def _on_event(self, event: Any) -> None:
        """Log every campaign job fired, missed or failed; note misses on the campaign."""
        campaign_id = campaign_of(event.job_id)
        if campaign_id is None:
            return
        due = stamp(event.scheduled_run_time)
        try:
            if event.code == EVENT_JOB_EXECUTED:
                self._summary.fired += 1
                log.info("fired %s (due %s): %s", event.job_id, due, event.retval)
                self._poke_periodic()
            elif event.code == EVENT_JOB_MISSED:
                self._summary.missed += 1
                grace = self.scheduler_settings.misfire_grace_seconds
                context = self._context
                name = (
                    note_status(
                        context.db,
                        campaign_id,
                        f"missed: no scheduler ran within {grace} s of {due}",
                    )
                    if context is not None
                    else None
                )
                log.warning(
                    "missed %s (%s, due %s): no scheduler ran within %d s of it; skipped",
                    event.job_id,
                    name or f"campaign #{campaign_id}",
                    due,
                    grace,
                )
            elif event.code == EVENT_JOB_ERROR:
                self._summary.failed += 1
                reason = str(event.exception).splitlines()[0] if event.exception else "error"
                log.error(
                    "failed %s (%s, due %s): %s: %s",
                    event.job_id,
                    self._campaign_name(campaign_id),
                    due,
                    type(event.exception).__name__,
                    reason,
                )
        except Exception as exc:  # a listener must never take the scheduler down
            log.error("reporting %s: %s: %s", event.job_id, type(exc).__name__, exc)

    def _poke_periodic(self) -> None:
        """Send a campaign just started now rather than at the next tick."""
        scheduler = self._scheduler
        if isinstance(scheduler, _ServiceScheduler) and scheduler.running:
            try:
                scheduler.modify_job(
                    PERIODIC_JOB, jobstore=MEMORY_STORE, next_run_time=datetime.now(UTC)
                )
            except Exception as exc:
                log.debug("periodic tasks not advanced: %s", exc)
