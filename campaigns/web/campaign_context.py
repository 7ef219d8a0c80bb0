"""The campaign page's values: one campaign with its gate, schedule, progress and forms.

Shared by the page itself and by every action that shows it again with errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.exceptions import HTTPException

from campaigns.campaign_store import CampaignError, get_campaign
from campaigns.web.campaign_forms import (
    SCHEDULE_KINDS,
    WHEN_CHOICES,
    AbInput,
    WhenInput,
)
from campaigns.web.campaign_views import (
    ab_of,
    audience_of,
    findings_of,
    phase_of,
    progress_of,
    schedule_text,
)
from campaigns.web.context import WebContext
from campaigns.web.letter_runs import is_printing

# What a finished action says at the top of the campaign page (?done=KEY).
NOTICES = {
    "created": "Campaign created as a draft.",
    "started": "Sending started: the scheduler inside `hookline serve` sends the queued "
    "messages, a batch each tick.",
    "letters": "Printing started: the letters are being rendered to PDF in the background.",
    "scheduled": "Campaign scheduled.",
    "unscheduled": "Schedule removed; the campaign is a draft again.",
    "paused": "Campaign paused.",
    "resumed": "Campaign resumed.",
    "cancelled": "Campaign cancelled: nobody else will get it.",
    "ab-set": "A/B subject test saved.",
    "ab-removed": "A/B subject test removed.",
    "edited": "Campaign updated; the lint gate ran again.",
    "not-started": "The campaign was saved as a draft, but it couldn't be sent or scheduled "
    "now; try again from this page.",
    "gate-closed": "The campaign was saved as a draft but not sent or scheduled: the lint "
    "gate is closed. Fix the template, or override the gate with a reason below.",
}
WARNINGS = ("gate-closed", "not-started")
# Whether the page polls its progress: while a send runs or a schedule waits.
POLLING_PHASES = ("sending", "scheduled")


def load_campaign_page(web: WebContext, name: str) -> dict[str, Any]:
    """The values of ``/campaigns/{name}``; 404 when there is no such campaign."""
    with web.db.session() as session:
        try:
            campaign = get_campaign(session, name)
        except CampaignError as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from None
        ab = ab_of(session, campaign) if campaign.channel == "email" else None
    progress = progress_of(web.db, campaign.id)
    printing = campaign.channel == "letter" and is_printing(campaign.name)
    phase = phase_of(campaign)
    return {
        "campaign": campaign,
        "phase": phase,
        "printing": printing,
        "polling": phase in POLLING_PHASES or printing,
        "schedule": schedule_text(campaign),
        "findings": findings_of(campaign.lint_report),
        "gate_open": campaign.lint_errors == 0,
        "audience": audience_of(web.db, campaign.segment, web.settings.audience, campaign.channel),
        "progress": progress,
        "ab": ab,
        "timezone": web.settings.audience.timezone,
    }


def campaign_page(
    web: WebContext,
    name: str,
    *,
    errors: Mapping[str, str] | None = None,
    values: Mapping[str, Any] | None = None,
    done: str = "",
) -> dict[str, Any]:
    """The page's values with the forms filled (from ``values`` after a failed action)."""
    page = load_campaign_page(web, name)
    given = dict(values or {})
    return {
        **page,
        "errors": dict(errors or {}),
        "notice": NOTICES.get(done, ""),
        "notice_kind": "warn" if done in WARNINGS else "ok",
        "when": given.get("when") or WhenInput(when="at"),
        "ab_form": given.get("ab") or AbInput.of(page["campaign"]),
        "ab_findings": given.get("ab_findings", []),
        "reason": given.get("reason", ""),
        "when_choices": {kind: WHEN_CHOICES[kind] for kind in SCHEDULE_KINDS},
    }
