"""Scheduling campaigns from the web app: at a time, in local time, on a cron; unscheduling.

The server's scheduler ticks every second and picks new jobs up from the job table,
so a campaign scheduled a few seconds ahead is sent by the running server.
"""

from __future__ import annotations

import html
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from campaigns.scheduling.job_store import STORE, job_id, job_scheduler
from tests.web.conftest import SignedInClient, WebServer
from tests.web.test_campaign_pages import (
    BROKEN,
    campaign_form,
    error_after,
    import_contacts,
    outbox_messages,
    stored,
    wait_for,
    write_broken_template,
)

# [audience] timezone of the project's config.toml, which the test server copies.
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


def seconds_ahead(seconds: float) -> datetime:
    """A moment ``seconds`` from now, in the audience's time zone."""
    return datetime.now(ZONE) + timedelta(seconds=seconds)


def local_input(when: datetime) -> str:
    """What a datetime-local field (step 1) sends: wall-clock time, no offset."""
    return when.strftime("%Y-%m-%dT%H:%M:%S")


def described(when: datetime) -> str:
    """How the schedule describes a time typed into the form (seconds only when not 0)."""
    typed = when.replace(microsecond=0)
    return f"at {typed.isoformat(sep=' ', timespec='seconds' if typed.second else 'minutes')}"


def has_job(web: WebServer, name: str) -> bool:
    """Whether the job table holds a job for campaign ``name``."""
    campaign = stored(web, name)
    assert campaign is not None
    url = f"sqlite:///{web.workdir / 'var' / 'hookline.db'}"
    with job_scheduler(url) as jobs:
        return jobs.get_job(job_id(campaign.id), STORE) is not None


def page_text(client: SignedInClient, name: str) -> str:
    """The campaign page as text (entities decoded)."""
    answer = client.get(f"/app/campaigns/{name}")
    assert answer.status_code == 200
    return html.unescape(answer.text)


def test_a_campaign_scheduled_seconds_ahead_is_sent_after_that_time(
    web: WebServer,
) -> None:
    import_contacts(web)
    marketer = web.client("marketer")
    marketer.post("/app/campaigns/new", campaign_form("soon"))
    fire_at = seconds_ahead(4)
    answer = marketer.post(
        "/app/campaigns/soon/schedule", {"when": "at", "at": local_input(fire_at)}
    )
    assert answer.status_code == 200, answer.text
    text = html.unescape(answer.text)
    assert "Campaign scheduled." in text
    assert f"{described(fire_at)} (Asia/Ho_Chi_Minh)" in text
    assert ">scheduled<" in text
    assert 'hx-trigger="every 2s"' in text  # the page watches for the send
    assert outbox_messages(web) == []
    wait_for(lambda: len(outbox_messages(web)) == 3, "the scheduled send", seconds=60)
    sent_at = min(path.stat().st_mtime for path in outbox_messages(web))
    assert sent_at >= fire_at.timestamp() - 1  # file times are rounded by the filesystem

    def finished() -> bool:
        return "3 of 3 recipients have an outcome" in page_text(marketer, "soon")

    wait_for(finished, "the page to count three sent")
    campaign = stored(web, "soon")
    assert campaign is not None and campaign.state == "done"


def test_scheduling_on_create_and_unscheduling(web: WebServer) -> None:
    import_contacts(web)
    marketer = web.client("marketer")
    later = seconds_ahead(3600)
    answer = marketer.post(
        "/app/campaigns/new",
        campaign_form("later", when="at", at=local_input(later)),
    )
    assert answer.status_code == 200
    assert str(answer.url).endswith("?done=scheduled")
    assert has_job(web, "later")
    listing = html.unescape(marketer.get("/app/campaigns").text)
    assert described(later) in listing
    unscheduled = marketer.post("/app/campaigns/later/unschedule")
    assert "Schedule removed" in unscheduled.text
    assert not has_job(web, "later")
    campaign = stored(web, "later")
    assert campaign is not None and campaign.schedule is None and campaign.state == "draft"
    again = marketer.post("/app/campaigns/later/unschedule")
    assert again.status_code == 409
    assert "no pending schedule" in html.unescape(again.text)


def test_cron_and_local_time_schedules_are_stored_as_the_cli_stores_them(
    web: WebServer,
) -> None:
    import_contacts(web)
    marketer = web.client("marketer")
    marketer.post("/app/campaigns/new", campaign_form("weekly"))
    cron = marketer.post(
        "/app/campaigns/weekly/schedule",
        {"when": "cron", "cron": "0 9 * * MON", "cron_zone": "Europe/Paris"},
    )
    assert cron.status_code == 200, cron.text
    campaign = stored(web, "weekly")
    assert campaign is not None
    assert campaign.schedule == "cron 0 9 * * MON (Europe/Paris)"
    assert has_job(web, "weekly")

    marketer.post("/app/campaigns/new", campaign_form("morning"))
    local = marketer.post(
        "/app/campaigns/morning/schedule",
        {"when": "local", "local_time": "09:00", "local_date": "2099-12-01"},
    )
    assert local.status_code == 200, local.text
    campaign = stored(web, "morning")
    assert campaign is not None
    assert campaign.local_time == "09:00"
    assert campaign.schedule == "local 09:00 on 2099-12-01 (each recipient's time zone)"

    bad = marketer.post("/app/campaigns/morning/schedule", {"when": "cron", "cron": "61 * * * *"})
    assert bad.status_code == 400
    assert "Cron schedule" in error_after(bad.text, "cron")
    assert stored(web, "morning").schedule.startswith("local 09:00")  # type: ignore[union-attr]


def test_a_closed_gate_blocks_scheduling_until_a_reason_is_given(web: WebServer) -> None:
    import_contacts(web)
    write_broken_template(web)
    marketer = web.client("marketer")
    created = marketer.post(
        "/app/campaigns/new",
        campaign_form(
            "broken-later", template=BROKEN, when="at", at=local_input(seconds_ahead(600))
        ),
    )
    assert str(created.url).endswith("?done=gate-closed")
    assert not has_job(web, "broken-later")
    form = {"when": "at", "at": local_input(seconds_ahead(600))}
    refused = marketer.post("/app/campaigns/broken-later/schedule", form)
    assert refused.status_code == 409
    assert "lint gate is closed" in refused.text
    assert not has_job(web, "broken-later")
    forced = marketer.post(
        "/app/campaigns/broken-later/schedule", {**form, "reason": "Approved by the editor"}
    )
    assert forced.status_code == 200, forced.text
    assert has_job(web, "broken-later")
    campaign = stored(web, "broken-later")
    assert campaign is not None and campaign.forced_reason == "Approved by the editor"


def test_a_started_campaign_cannot_be_scheduled(web: WebServer) -> None:
    import_contacts(web)
    marketer = web.client("marketer")
    marketer.post("/app/campaigns/new", campaign_form("gone", when="now"))
    answer = marketer.post(
        "/app/campaigns/gone/schedule", {"when": "at", "at": local_input(seconds_ahead(600))}
    )
    assert answer.status_code == 409
    assert "only a draft can be scheduled" in html.unescape(answer.text)
