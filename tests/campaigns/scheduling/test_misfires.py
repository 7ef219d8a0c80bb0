"""Firing with ``hookline scheduler --once``: on time, late within the grace, too late,
and several missed cron runs coalesced into one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from campaigns.scheduling.job_store import STORE, job_id, job_scheduler
from tests.campaigns.conftest import Hookline
from tests.campaigns.scheduling.helpers import (
    LINT_ERROR,
    campaign,
    campaign_names,
    create_jazz,
    iso_in,
    job_count,
    ok,
    received,
    wait_past,
)
from tests.campaigns.smtp_peer import SmtpPeer


def test_a_job_missed_within_the_grace_runs_once_and_never_twice(
    hookline: Hookline, smtp_peer: SmtpPeer
) -> None:
    emails = create_jazz(hookline)
    at, instant = iso_in(3)
    ok(hookline.run("campaign", "schedule", "jazz", "--at", at))
    # No scheduler ran at the time; one starts later, well within the hour of grace.
    wait_past(instant)
    first = ok(hookline.run("scheduler", "--once"))
    assert "fired campaign-" in first.stderr
    assert "started jazz: 3 recipient(s) queued" in first.stderr
    assert received(smtp_peer) == dict.fromkeys(emails, 1)
    assert {row.state for row in hookline.ledger("jazz").values()} == {"sent"}
    stored = campaign(hookline, "jazz")
    assert stored.state == "done"
    assert stored.schedule is not None
    shown = instant.isoformat(sep=" ", timespec="seconds" if instant.second else "minutes")
    assert stored.schedule.startswith(f"at {shown} — started ")
    assert job_count(hookline) == 0
    # Again: nothing is due any more, and nobody gets a second message.
    second = ok(hookline.run("scheduler", "--once"))
    assert "fired" not in second.stderr
    assert received(smtp_peer) == dict.fromkeys(emails, 1)


def test_a_job_missed_beyond_the_grace_is_skipped_and_reported(
    hookline: Hookline, smtp_peer: SmtpPeer
) -> None:
    hookline.env["HOOKLINE_SCHEDULER_MISFIRE_GRACE_SECONDS"] = "1"
    create_jazz(hookline)
    at, instant = iso_in(3)
    ok(hookline.run("campaign", "schedule", "jazz", "--at", at))
    wait_past(instant + timedelta(seconds=1), margin=0.5)
    result = ok(hookline.run("scheduler", "--once"))
    assert "missed campaign-" in result.stderr
    assert "(jazz, due " in result.stderr
    assert "fired" not in result.stderr
    assert smtp_peer.messages == []
    assert hookline.ledger("jazz") == {}
    stored = campaign(hookline, "jazz")
    assert stored.state == "draft"
    assert stored.schedule is not None
    assert " — missed: no scheduler ran within 1 s of " in stored.schedule
    assert job_count(hookline) == 0
    rows = ok(hookline.run("campaign", "schedules", "--json")).stdout
    assert '"status": "missed: no scheduler ran within 1 s of' in rows
    assert '"next_run_at": null' in rows


def test_missed_cron_runs_are_coalesced_into_one_campaign(
    hookline: Hookline, smtp_peer: SmtpPeer
) -> None:
    emails = create_jazz(hookline)
    ok(hookline.run("campaign", "schedule", "jazz", "--cron", "* * * * *", "--timezone", "UTC"))
    parent_id = campaign(hookline, "jazz").id
    # The scheduler was down for five runs: the job's next run is five minutes ago.
    with job_scheduler(hookline.database_url) as jobs:
        jobs.modify_job(
            job_id(parent_id), STORE, next_run_time=datetime.now(UTC) - timedelta(minutes=5)
        )
    before = datetime.now(UTC).replace(second=0, microsecond=0)
    result = ok(hookline.run("scheduler", "--once"))
    after = datetime.now(UTC).replace(second=0, microsecond=0)
    assert result.stderr.count("fired campaign-") == 1
    copies = [name for name in campaign_names(hookline) if name != "jazz"]
    assert len(copies) == 1
    assert copies[0] in {f"jazz {before:%Y-%m-%d %H:%M}", f"jazz {after:%Y-%m-%d %H:%M}"}
    assert received(smtp_peer) == dict.fromkeys(emails, 1)
    assert campaign(hookline, copies[0]).state == "done"
    parent = campaign(hookline, "jazz")
    assert parent.state == "draft"
    assert (
        parent.schedule == f"cron * * * * * (UTC) — last run {copies[0][5:]} sent as {copies[0]!r}"
    )
    with job_scheduler(hookline.database_url) as jobs:
        job = jobs.get_job(job_id(parent_id), STORE)
    assert job is not None
    assert job.next_run_time > datetime.now(UTC) - timedelta(seconds=1)


def test_a_template_broken_after_scheduling_fails_at_fire_time(hookline: Hookline) -> None:
    create_jazz(hookline)
    at, instant = iso_in(3)
    ok(hookline.run("campaign", "schedule", "jazz", "--at", at))
    ok(hookline.run("campaign", "edit", "jazz", "--template", str(LINT_ERROR)))
    wait_past(instant)
    result = hookline.run("scheduler", "--once")
    assert result.exit_code == 1, result.output
    assert "failed campaign-" in result.stderr
    assert "LintGateError" in result.stderr
    assert "Traceback" not in result.output
    stored = campaign(hookline, "jazz")
    assert stored.state == "draft"
    assert stored.schedule is not None
    assert " — not started " in stored.schedule
    assert hookline.ledger("jazz") == {}
