"""The job functions fired twice, as two schedulers on one database would, and the
periodic tasks: one failing task doesn't stop the others."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from audiences.db import Database
from audiences.models import utcnow
from campaigns.scheduling import jobs, runtime
from campaigns.scheduling.periodic import PERIODIC_TASKS, load_task, run_periodic_tasks
from campaigns.scheduling.scheduler_settings import load_scheduler_settings
from campaigns.settings import CampaignSettings
from linter.config import load_linter_config
from tests.campaigns.conftest import Hookline
from tests.campaigns.scheduling.helpers import (
    campaign,
    campaign_names,
    create_jazz,
    ok,
    received,
)
from tests.campaigns.smtp_peer import SmtpPeer

LATER = "2030-12-01T09:00+07:00"


@pytest.fixture
def service_context(hookline: Hookline) -> Iterator[runtime.ServiceContext]:
    """What a running scheduler service gives its jobs, installed for the test."""
    db = hookline.open_db()
    context = runtime.ServiceContext(
        settings=hookline.settings(),
        scheduler=load_scheduler_settings(hookline.config, hookline.env),
        db=db,
        lint_config=load_linter_config(hookline.config),
    )
    try:
        with runtime.installed(context):
            yield context
    finally:
        db.engine.dispose()


def test_a_one_off_job_fired_twice_snapshots_the_audience_once(
    hookline: Hookline, service_context: runtime.ServiceContext
) -> None:
    create_jazz(hookline)
    ok(hookline.run("campaign", "schedule", "jazz", "--at", LATER))
    campaign_id = campaign(hookline, "jazz").id
    assert jobs.fire_at(campaign_id) == "started jazz: 3 recipient(s) queued"
    assert jobs.fire_at(campaign_id) == "jazz had already started; nothing to do"
    assert len(hookline.ledger("jazz")) == 3
    assert campaign(hookline, "jazz").state == "sending"


def test_a_cron_occurrence_fired_twice_makes_one_campaign(
    hookline: Hookline, service_context: runtime.ServiceContext
) -> None:
    create_jazz(hookline)
    ok(hookline.run("campaign", "schedule", "jazz", "--cron", "0 * * * *", "--timezone", "UTC"))
    parent = campaign(hookline, "jazz")
    first = jobs.fire_cron(parent.id, "0 * * * *", "UTC")
    second = jobs.fire_cron(parent.id, "0 * * * *", "UTC")
    (copy,) = [name for name in campaign_names(hookline) if name != "jazz"]
    assert copy.endswith(":00")
    assert first == f"started {copy}: 3 recipient(s) queued"
    assert second == f"{copy} exists already; nothing to do"
    started = campaign(hookline, copy)
    assert started.state == "sending"
    assert started.template_source == parent.template_source
    assert started.segment == parent.segment
    assert started.from_addr == parent.from_addr
    assert started.schedule == f"occurrence {copy[5:]} of jazz: cron 0 * * * * (UTC)"
    assert len(hookline.ledger(copy)) == 3
    assert campaign(hookline, "jazz").state == "draft"


def test_a_cron_job_whose_campaign_is_no_longer_a_draft_removes_itself(
    hookline: Hookline, service_context: runtime.ServiceContext
) -> None:
    create_jazz(hookline)
    ok(hookline.run("campaign", "schedule", "jazz", "--cron", "0 9 * * *"))
    ok(hookline.run("campaign", "cancel", "jazz"))
    parent_id = campaign(hookline, "jazz").id
    removed: list[str] = []
    service_context.remove_job = removed.append
    summary = jobs.fire_cron(parent_id, "0 9 * * *", "Asia/Ho_Chi_Minh")
    assert summary == f"campaign #{parent_id} is cancelled; its cron schedule is removed"
    assert removed == [f"campaign-{parent_id}"]
    assert campaign_names(hookline) == ["jazz"]


def explode(db: Database, settings: CampaignSettings, now: object) -> int:
    """A periodic task that fails."""
    raise RuntimeError("this task is broken")


def test_a_failing_periodic_task_doesnt_stop_the_others(
    hookline: Hookline, smtp_peer: SmtpPeer, caplog: pytest.LogCaptureFixture
) -> None:
    emails = create_jazz(hookline)
    hookline.start("jazz")
    tasks = (
        "tests.campaigns.scheduling.test_jobs:explode",
        "campaigns.scheduling.not_written_yet:run_due",
        "campaigns.scheduling.periodic:deliver_due",
    )
    db = hookline.open_db()
    try:
        done = run_periodic_tasks(db, hookline.settings(), utcnow(), tasks)
    finally:
        db.engine.dispose()
    assert done == {
        "tests.campaigns.scheduling.test_jobs:explode": None,
        "campaigns.scheduling.not_written_yet:run_due": None,
        "campaigns.scheduling.periodic:deliver_due": 3,
    }
    assert "RuntimeError: this task is broken" in caplog.text
    assert tasks[-1] in PERIODIC_TASKS
    assert "ModuleNotFoundError" in caplog.text
    assert received(smtp_peer) == dict.fromkeys(emails, 1)
    assert campaign(hookline, "jazz").state == "done"


def test_every_registered_periodic_task_can_be_loaded_and_sending_runs_after_deciding() -> None:
    # A typo in a reference would only show as a log line at every tick.
    for reference in PERIODIC_TASKS:
        assert callable(load_task(reference)), reference
    # Email goes out before letters are printed: a long print run must not hold it up.
    assert PERIODIC_TASKS[-2:] == (
        "campaigns.scheduling.periodic:deliver_due",
        "campaigns.letters.letter_delivery:print_due_letters",
    )
    assert "campaigns.ab_test:decide_due" in PERIODIC_TASKS
    assert "campaigns.sequences.runner:run_due_sequences" in PERIODIC_TASKS
