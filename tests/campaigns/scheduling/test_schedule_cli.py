"""``hookline campaign schedule | unschedule | schedules`` on a real database."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from campaigns.scheduling.job_store import STORE, job_id, job_scheduler
from campaigns.scheduling.scheduler_settings import load_scheduler_settings
from campaigns.scheduling.service import SchedulerService
from tests.campaigns.conftest import Hookline
from tests.campaigns.scheduling.helpers import (
    LINT_ERROR,
    SENDER,
    campaign,
    create_jazz,
    job_count,
    ok,
)

LATER = "2030-12-01T09:00+07:00"


def test_schedule_at_writes_the_job_and_the_description(hookline: Hookline) -> None:
    create_jazz(hookline)
    result = ok(hookline.run("campaign", "schedule", "jazz", "--at", LATER))
    assert "Scheduled jazz: at 2030-12-01 09:00+07:00." in result.stdout
    assert job_count(hookline) == 1
    stored = campaign(hookline, "jazz")
    assert stored.schedule == "at 2030-12-01 09:00+07:00"
    assert stored.state == "draft"
    listed = json.loads(ok(hookline.run("campaign", "schedules", "--json")).stdout)
    assert listed == [
        {
            "campaign": "jazz",
            "state": "draft",
            "schedule": "at 2030-12-01 09:00+07:00",
            "status": "pending",
            "local_time": None,
            "next_run_at": "2030-12-01T02:00:00+00:00",
            "next_run_local": "2030-12-01T09:00:00+07:00",
        }
    ]


def test_schedule_json_reports_the_next_run(hookline: Hookline) -> None:
    create_jazz(hookline)
    result = ok(hookline.run("campaign", "schedule", "jazz", "--cron", "0 9 * * 1", "--json"))
    info = json.loads(result.stdout)
    assert info["kind"] == "cron"
    assert info["schedule"] == "cron 0 9 * * 1 (Asia/Ho_Chi_Minh)"
    next_local = datetime.fromisoformat(info["next_run_local"])
    assert (next_local.weekday(), next_local.hour, next_local.minute) == (0, 9, 0)
    assert info["lint_gate"] == "open"


def test_rescheduling_replaces_the_job(hookline: Hookline) -> None:
    create_jazz(hookline)
    ok(hookline.run("campaign", "schedule", "jazz", "--at", LATER))
    result = ok(hookline.run("campaign", "schedule", "jazz", "--cron", "0 9 * * MON"))
    assert "Rescheduled jazz: cron 0 9 * * MON (Asia/Ho_Chi_Minh)." in result.stdout
    assert job_count(hookline) == 1
    with job_scheduler(hookline.database_url) as jobs:
        (job,) = jobs.get_jobs(STORE)
        assert job.func_ref == "campaigns.scheduling.jobs:fire_cron"
        assert job.coalesce is True
        assert job.max_instances == 1
        assert job.misfire_grace_time == 3600


def test_unschedule_removes_the_job_and_the_description(hookline: Hookline) -> None:
    create_jazz(hookline)
    ok(
        hookline.run(
            "campaign", "schedule", "jazz", "--local-time", "09:00", "--date", "2030-12-01"
        )
    )
    assert campaign(hookline, "jazz").local_time == "09:00"
    result = ok(hookline.run("campaign", "unschedule", "jazz"))
    assert "Unscheduled jazz (was: local 09:00 on 2030-12-01" in result.stdout
    assert job_count(hookline) == 0
    stored = campaign(hookline, "jazz")
    assert (stored.schedule, stored.local_time, stored.state) == (None, None, "draft")
    assert "No schedules" in ok(hookline.run("campaign", "schedules")).stdout
    again = hookline.run("campaign", "unschedule", "jazz")
    assert again.exit_code == 2
    assert "has no pending schedule" in again.stderr


def test_a_schedule_survives_a_scheduler_restart(hookline: Hookline) -> None:
    create_jazz(hookline)
    ok(hookline.run("campaign", "schedule", "jazz", "--at", LATER))
    settings = hookline.settings()
    for _restart in range(2):
        service = SchedulerService(
            settings, scheduler=load_scheduler_settings(hookline.config, hookline.env)
        )
        service.start()
        service.shutdown()
    with job_scheduler(hookline.database_url) as jobs:
        job = jobs.get_job(job_id(campaign(hookline, "jazz").id), STORE)
    assert job is not None
    assert job.next_run_time == datetime(2030, 12, 1, 2, 0, tzinfo=UTC)
    rows = json.loads(ok(hookline.run("campaign", "schedules", "--json")).stdout)
    assert [row["campaign"] for row in rows] == ["jazz"]


def test_a_closed_lint_gate_fails_at_schedule_time(hookline: Hookline) -> None:
    ok(
        hookline.run(
            "campaign", "create", "broken", "--template", str(LINT_ERROR), "--from", SENDER
        )
    )
    result = hookline.run("campaign", "schedule", "broken", "--at", LATER)
    assert result.exit_code == 1, result.output
    assert "error-level finding" in result.stderr
    assert "Traceback" not in result.output
    assert job_count(hookline) == 0
    assert campaign(hookline, "broken").schedule is None
    forced = ok(
        hookline.run(
            "campaign", "schedule", "broken", "--at", LATER, "--force", "--reason", "legal text"
        )
    )
    assert "lint gate: overridden" in forced.stdout
    stored = campaign(hookline, "broken")
    assert stored.forced_reason == "legal text"
    assert stored.schedule is not None


@pytest.mark.parametrize(
    ("name", "options", "fragment"),
    [
        ("nobody", ["--at", LATER], "no campaign named 'nobody'"),
        ("jazz", ["--at", "next tuesday"], "--at 'next tuesday': expected ISO 8601"),
        ("jazz", ["--at", "2020-01-01T09:00+07:00"], "is in the past"),
        ("jazz", ["--cron", "0 9 * *"], "--cron '0 9 * *': expected 5 fields"),
        ("jazz", ["--cron", "61 9 * * *"], "--cron '61 9 * * *'"),
        ("jazz", ["--local-time", "9h"], "--local-time '9h': expected HH:MM"),
        ("jazz", ["--cron", "0 9 * * *", "--timezone", "Nowhere/Land"], "unknown time zone"),
        ("jazz", [], "give exactly one of --at, --cron and --local-time"),
        ("jazz", ["--at", LATER, "--force"], "--force needs --reason"),
        ("sent", ["--at", LATER], "campaign 'sent' is sending; only a draft can be scheduled"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(
    hookline: Hookline, name: str, options: list[str], fragment: str
) -> None:
    create_jazz(hookline)
    create_jazz(hookline, people=0, name="sent")
    hookline.start("sent")
    result = hookline.run("campaign", "schedule", name, *options)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert fragment in lines[0]
    assert "campaign schedule: error: " in lines[0]
    assert job_count(hookline) == 0
    assert campaign(hookline, "jazz").schedule is None
    assert campaign(hookline, "sent").schedule is None


def test_a_cron_schedule_needs_room_for_the_occurrence_names(hookline: Hookline) -> None:
    long_name = "n" * 90
    create_jazz(hookline, people=0, name=long_name)
    result = hookline.run("campaign", "schedule", long_name, "--cron", "0 9 * * *")
    assert result.exit_code == 2
    assert "too long for a cron schedule" in result.stderr
    ok(hookline.run("campaign", "schedule", long_name, "--at", LATER))


def test_schedules_lists_soonest_first(hookline: Hookline) -> None:
    create_jazz(hookline)
    create_jazz(hookline, people=0, name="early")
    ok(hookline.run("campaign", "schedule", "jazz", "--at", LATER))
    ok(hookline.run("campaign", "schedule", "early", "--at", "2030-01-01T09:00Z"))
    table = ok(hookline.run("campaign", "schedules")).stdout.splitlines()
    assert table[0].split() == ["campaign", "next_run_at", "schedule", "status"]
    assert table[2].startswith("early ")
    assert table[3].startswith("jazz ")
