"""The changes a marketer makes to a campaign from its page: send, schedule, pause, A/B.

Each action reads its form through :meth:`WebContext.form` (CSRF and the marketer
role, else 403), calls the function the matching ``hookline campaign`` command calls,
and on success redirects back to the campaign page with a notice. A refusal shows the
page again with the library's message next to the form at fault: 400 for bad input,
409 for something the campaign's state or its lint gate doesn't allow.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from campaigns import ab_test
from campaigns.campaign_store import CampaignError, get_campaign
from campaigns.scheduling.schedule_spec import ScheduleError, ScheduleSpec
from campaigns.scheduling.scheduler_settings import load_scheduler_settings
from campaigns.scheduling.schedules import schedule_campaign, unschedule_campaign
from campaigns.sending import LintGateError, set_state, start
from campaigns.web.campaign_context import campaign_page
from campaigns.web.campaign_forms import AbInput, WhenInput, ab_error_field, relabel, text
from campaigns.web.context import PREFIX, WebContext
from campaigns.web.letter_runs import start_printing
from linter.config_file import ConfigError

GATE_CLOSED = (
    "The lint gate is closed: the template has {errors} error-level finding(s). Fix the "
    "template, or override the gate below with a reason."
)


def campaign_url(name: str, done: str = "") -> str:
    """The campaign page's address (with the notice to show)."""
    url = f"{PREFIX}/campaigns/{quote(name, safe='')}"
    return f"{url}?done={done}" if done else url


class ActionRefusedError(Exception):
    """An action the library refused; ``errors`` are keyed by the form field at fault."""

    def __init__(
        self, errors: dict[str, str], status: int = 409, values: dict[str, Any] | None = None
    ) -> None:
        super().__init__(next(iter(errors.values()), ""))
        self.errors = errors
        self.status = status
        self.values = values or {}


class CampaignActions:
    """``POST /campaigns/{name}/<action>``."""

    def __init__(self, web: WebContext) -> None:
        self.web = web

    def routes(self) -> list[BaseRoute]:
        """The routes."""
        actions: dict[str, Callable[[str, FormData], str]] = {
            "send": self._send,
            "schedule": self._schedule,
            "unschedule": self._unschedule,
            "pause": lambda name, form: self._set_state(name, "pause"),
            "resume": lambda name, form: self._set_state(name, "resume"),
            "cancel": lambda name, form: self._set_state(name, "cancel"),
            "ab": self._set_ab,
            "ab-remove": self._remove_ab,
        }
        return [
            Route(f"/campaigns/{{name}}/{action}", self._endpoint(work), methods=["POST"])
            for action, work in actions.items()
        ]

    def _endpoint(self, work: Callable[[str, FormData], str]) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            form = await self.web.form(request, role="marketer")
            name = request.path_params["name"]
            try:
                done = await run_in_threadpool(work, name, form)
            except ActionRefusedError as refused:
                values = await run_in_threadpool(
                    campaign_page, self.web, name, errors=refused.errors, values=refused.values
                )
                return self.web.render(
                    request, "campaigns/show.html", values, status_code=refused.status
                )
            return RedirectResponse(campaign_url(name, done), status_code=303)

        return endpoint

    def _gate_refusal(self, exc: LintGateError, field: str, **values: Any) -> ActionRefusedError:
        errors = str(exc).count("[error]")
        return ActionRefusedError({field: GATE_CLOSED.format(errors=errors)}, 409, values)

    def _send(self, name: str, form: FormData) -> str:
        """Send now, or send anyway with a reason when the lint gate is closed."""
        force = text(form, "force") == "1"
        reason = text(form, "reason")
        if force and not reason:
            raise ActionRefusedError({"reason": "Say why the lint gate is overridden."}, 400)
        try:
            return self.send_now(name, reason if force else None)
        except LintGateError as exc:
            raise self._gate_refusal(exc, "send") from None
        except CampaignError as exc:
            raise ActionRefusedError({"send": str(exc)}) from None

    def send_now(self, name: str, reason: str | None) -> str:
        """What ``hookline campaign send`` does first: the lint gate, then the snapshot.

        The scheduler in ``hookline serve`` sends an email campaign's queued rows;
        a letter campaign's are printed here in a background thread. Raises
        LintGateError or CampaignError; returns the notice for the page.
        """
        with self.web.db.session() as session, session.begin():
            campaign = get_campaign(session, name)
            channel = campaign.channel
            # A letter run that stopped half way is resumed by sending again.
            resumable = ("draft", "paused", "cancelled") + (
                ("sending",) if channel == "letter" else ()
            )
            if campaign.state not in resumable:
                raise CampaignError(
                    f"campaign {name!r} is {campaign.state}; only a draft can be sent"
                )
            start(session, campaign, self.web.settings, reason, self.web.lint_config())
        if channel == "letter":
            start_printing(self.web.db, self.web.settings, self.web.config_path, name)
            return "letters"
        return "started"

    def _schedule(self, name: str, form: FormData) -> str:
        """Schedule a draft: at a time, at each contact's local time, or on a cron."""
        when = WhenInput.read(form, default="at")
        reason = text(form, "reason")
        errors: dict[str, str] = {}
        if when.when not in ("at", "local", "cron"):
            errors["when"] = "Choose when: at a time, in local time, or on a cron schedule."
        spec = when.spec(self.web.settings.audience.timezone, errors)
        if errors or spec is None:
            raise ActionRefusedError(errors, 400, {"when": when, "reason": reason})
        try:
            self.schedule(name, spec, reason or None)
        except LintGateError as exc:
            raise self._gate_refusal(exc, "schedule", when=when, reason=reason) from None
        except (CampaignError, ConfigError) as exc:
            raise ActionRefusedError({"schedule": relabel(str(exc))}, 409, {"when": when}) from None
        return "scheduled"

    def schedule(self, name: str, spec: ScheduleSpec, reason: str | None) -> None:
        """What ``hookline campaign schedule`` does, with the server's settings."""
        schedule_campaign(
            self.web.db,
            self.web.settings,
            load_scheduler_settings(self.web.config_path),
            name,
            spec,
            reason,
            self.web.lint_config(),
        )

    def _unschedule(self, name: str, form: FormData) -> str:
        try:
            unschedule_campaign(self.web.db, self.web.settings, name)
        except CampaignError as exc:
            raise ActionRefusedError({"schedule": str(exc)}) from None
        return "unscheduled"

    def _set_state(self, name: str, action: str) -> str:
        """Pause, resume or cancel (a cancelled campaign's schedule goes too, as in the CLI)."""
        try:
            with self.web.db.session() as session:
                campaign = get_campaign(session, name)
            set_state(self.web.db, campaign, action)
        except CampaignError as exc:
            raise ActionRefusedError({"state": str(exc)}) from None
        if action == "cancel" and campaign.schedule is not None:
            # A schedule that had fired already has nothing pending to remove.
            with suppress(ScheduleError):
                unschedule_campaign(self.web.db, self.web.settings, name)
        return {"pause": "paused", "resume": "resumed", "cancel": "cancelled"}[action]

    def _set_ab(self, name: str, form: FormData) -> str:
        """Set or change a draft's A/B subject test."""
        typed = AbInput.read(form)
        if not typed.subject_b:
            raise ActionRefusedError({"subject_b": "Type subject B."}, 400, {"ab": typed})
        try:
            with self.web.db.session() as session, session.begin():
                campaign = get_campaign(session, name)
                plan = ab_test.merge_plan(
                    ab_test.current_plan(campaign),
                    typed.subject_b,
                    typed.share or None,
                    typed.measure or None,
                    typed.wait or None,
                )
                ab_test.set_test(campaign, plan, self.web.lint_config(), typed.force)
        except ab_test.SubjectLintError as exc:
            raise ActionRefusedError(
                {"subject_b": relabel(str(exc))},
                400,
                {"ab": typed, "ab_findings": exc.findings},
            ) from None
        except ab_test.AbTestError as exc:
            message = str(exc)
            status = 409 if "only a draft" in message or "has no subject" in message else 400
            raise ActionRefusedError(
                {ab_error_field(message): relabel(message)}, status, {"ab": typed}
            ) from None
        return "ab-set"

    def _remove_ab(self, name: str, form: FormData) -> str:
        try:
            with self.web.db.session() as session, session.begin():
                ab_test.remove_test(get_campaign(session, name))
        except CampaignError as exc:
            raise ActionRefusedError({"subject_b": str(exc)}) from None
        return "ab-removed"


def routes(web: WebContext) -> list[BaseRoute]:
    """The campaign actions' routes."""
    return CampaignActions(web).routes()
