"""Where scheduled jobs live: APScheduler's SQLAlchemy job store, in the project database.

One job per campaign (id ``campaign-<id>``), pickled with its trigger and plain
arguments into the ``scheduler_jobs`` table, so a schedule outlives any process. The
store here differs from APScheduler's in what several schedulers sharing a table
need: a job another scheduler already removed or updated is not an error (APScheduler
3.x would let that exception kill its scheduling thread), and two processes creating
the table at once don't fail.

:class:`ManualScheduler` is a scheduler without a thread of its own: the CLI starts
it paused to add, replace, list or remove jobs (APScheduler 3.x writes a job to the
store at once when the scheduler is started, paused or not), and ``hookline scheduler
--once`` runs its due jobs in the calling thread.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC
from typing import Any

from apscheduler.executors.debug import DebugExecutor  # type: ignore[import-untyped]
from apscheduler.jobstores.base import JobLookupError  # type: ignore[import-untyped]
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore  # type: ignore[import-untyped]
from apscheduler.schedulers.base import BaseScheduler  # type: ignore[import-untyped]
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from audiences.db import make_engine

JOBS_TABLE = "scheduler_jobs"
JOB_PREFIX = "campaign-"
STORE = "default"


def job_id(campaign_id: int) -> str:
    """The id of a campaign's job: one job per campaign, so rescheduling replaces it."""
    return f"{JOB_PREFIX}{campaign_id}"


def campaign_of(job_id_text: str) -> int | None:
    """The campaign id a job id names, or None for jobs that are not a campaign's."""
    if not job_id_text.startswith(JOB_PREFIX):
        return None
    tail = job_id_text[len(JOB_PREFIX) :]
    return int(tail) if tail.isdigit() else None


class CampaignJobStore(SQLAlchemyJobStore):  # type: ignore[misc]
    """The ``scheduler_jobs`` table, shared safely by several schedulers."""

    def __init__(self, database_url: str) -> None:
        # make_engine normalises the URL (psycopg 3) and sets SQLite's busy timeout,
        # which two processes writing one SQLite file need.
        super().__init__(engine=make_engine(database_url), tablename=JOBS_TABLE)

    def start(self, scheduler: Any, alias: str) -> None:
        """Attach to the scheduler and create the table if it is missing."""
        try:
            super().start(scheduler, alias)
        except (IntegrityError, ProgrammingError, OperationalError):
            # Another process created the table between the check and the CREATE.
            if not inspect(self.engine).has_table(JOBS_TABLE):
                raise

    def remove_job(self, job_id: str) -> None:
        """Remove a job; one already gone (removed by another scheduler) is not an error."""
        with suppress(JobLookupError):
            super().remove_job(job_id)

    def update_job(self, job: Any) -> None:
        """Save a job's new state; a job removed meanwhile stays removed."""
        with suppress(JobLookupError):
            super().update_job(job)


class ManualScheduler(BaseScheduler):  # type: ignore[misc]
    """A scheduler that runs nothing by itself: jobs are processed when asked."""

    def shutdown(self, wait: bool = True) -> None:
        """Shut down the job store (and its engine)."""
        super().shutdown(wait)

    def wakeup(self) -> None:
        """Nothing to wake: there is no scheduling thread."""

    def run_due_jobs(self) -> None:
        """Run every due job once, here and now (coalesced, misfires reported)."""
        self.resume()
        try:
            self._process_jobs()
        finally:
            self.pause()


def manual_scheduler(database_url: str) -> ManualScheduler:
    """A started, paused scheduler on the job table; jobs run in the caller's thread."""
    scheduler = ManualScheduler(
        timezone=UTC,
        jobstores={STORE: CampaignJobStore(database_url)},
        executors={"default": DebugExecutor()},
    )
    scheduler.start(paused=True)
    return scheduler


@contextmanager
def job_scheduler(database_url: str) -> Iterator[ManualScheduler]:
    """A paused scheduler for adding, replacing, listing and removing jobs."""
    scheduler = manual_scheduler(database_url)
    try:
        yield scheduler
    finally:
        scheduler.shutdown(wait=False)
