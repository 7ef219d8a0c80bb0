"""Cancelling a scheduled campaign removes its job, so nothing fires later."""

from __future__ import annotations

from tests.campaigns.conftest import Hookline
from tests.campaigns.scheduling.helpers import campaign, create_jazz, job_count, ok


def test_cancelling_a_scheduled_campaign_removes_its_job(hookline: Hookline) -> None:
    create_jazz(hookline)
    ok(hookline.run("campaign", "schedule", "jazz", "--at", "2030-12-01T09:00+07:00"))
    assert job_count(hookline) == 1
    result = ok(hookline.run("campaign", "cancel", "jazz"))
    assert "Campaign jazz is now cancelled." in result.stdout
    assert "Its schedule (at 2030-12-01" in result.stdout
    assert job_count(hookline) == 0
    stored = campaign(hookline, "jazz")
    assert (stored.state, stored.schedule) == ("cancelled", None)
    assert "No schedules" in ok(hookline.run("campaign", "schedules")).stdout


def test_cancelling_an_unscheduled_campaign_says_nothing_about_schedules(
    hookline: Hookline,
) -> None:
    create_jazz(hookline)
    result = ok(hookline.run("campaign", "cancel", "jazz"))
    assert "schedule" not in result.stdout
