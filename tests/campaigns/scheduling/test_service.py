"""``SchedulerService`` in-process, as ``hookline serve`` runs it: start, fire, shut down."""

from __future__ import annotations

import pytest

from campaigns.scheduling import runtime
from campaigns.scheduling.scheduler_settings import SchedulerSettings
from campaigns.scheduling.service import SchedulerService
from linter.config import load_linter_config
from tests.campaigns.conftest import Hookline
from tests.campaigns.scheduling.helpers import (
    campaign,
    create_jazz,
    iso_in,
    ok,
    received,
    wait_until,
)
from tests.campaigns.smtp_peer import SmtpPeer

FAST = SchedulerSettings(misfire_grace_seconds=3600, tick_seconds=0.5)


def test_a_running_service_fires_a_schedule_added_after_it_started(
    hookline: Hookline, smtp_peer: SmtpPeer
) -> None:
    emails = create_jazz(hookline)
    service = SchedulerService(
        hookline.settings(), scheduler=FAST, lint_config=load_linter_config(hookline.config)
    )
    service.start()
    try:
        assert runtime.running() is not None
        at, _instant = iso_in(2)
        ok(hookline.run("campaign", "schedule", "jazz", "--at", at))
        # Started, or noted as not started (then the assertion below says why).
        wait_until(lambda: " — " in (campaign(hookline, "jazz").schedule or ""))
        assert campaign(hookline, "jazz").state != "draft", campaign(hookline, "jazz").schedule
        wait_until(lambda: campaign(hookline, "jazz").state == "done")
    finally:
        service.shutdown()
    assert runtime.running() is None
    assert received(smtp_peer) == dict.fromkeys(emails, 1)


def test_starting_a_running_service_again_is_refused(hookline: Hookline) -> None:
    service = SchedulerService(hookline.settings(), scheduler=FAST)
    service.start()
    try:
        with pytest.raises(RuntimeError, match="already running"):
            service.start()
    finally:
        service.shutdown()
