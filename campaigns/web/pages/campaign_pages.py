"""Campaigns: the list, the create form, one campaign's page with its progress, editing.

The changes made from a campaign's page (send, schedule, pause, the A/B test) are in
:mod:`campaigns.web.campaign_actions`; the report is ``report_pages``'s.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from audiences.segment_query import SegmentError
from campaigns.campaign_store import CampaignError, create_campaign, edit_campaign, get_campaign
from campaigns.letters.letter_settings import load_letter_settings
from campaigns.scheduling.schedule_spec import ScheduleSpec
from campaigns.sending import LintGateError
from campaigns.web.campaign_actions import CampaignActions, campaign_url
from campaigns.web.campaign_context import campaign_page, load_campaign_page
from campaigns.web.campaign_forms import (
    TYPED_QUERY,
    WHEN_CHOICES,
    CampaignInput,
    error_field,
    template_files,
    text,
)
from campaigns.web.campaign_views import audience_of, campaign_rows, saved_segments
from campaigns.web.context import WebContext
from linter.config_file import ConfigError
from linter.document import parse_document


class CampaignPages:
    """``/campaigns``, ``/campaigns/new``, ``/campaigns/{name}`` and its fragments."""

    def __init__(self, web: WebContext) -> None:
        self.web = web
        self.actions = CampaignActions(web)

    @property
    def folder(self) -> Path:
        """The templates folder the create form lists."""
        return self.web.web.templates_dir

    def routes(self) -> list[BaseRoute]:
        """The routes ("new" and "audience-count" before the campaign names)."""
        return [
            Route("/campaigns", self.index, methods=["GET"]),
            Route("/campaigns/new", self.new_form, methods=["GET"]),
            Route("/campaigns/new", self.create, methods=["POST"]),
            Route("/campaigns/audience-count", self.audience_count, methods=["GET"]),
            Route("/campaigns/{name}", self.show, methods=["GET"]),
            Route("/campaigns/{name}/progress", self.progress, methods=["GET"]),
            Route("/campaigns/{name}/edit", self.edit_form, methods=["GET"]),
            Route("/campaigns/{name}/edit", self.edit, methods=["POST"]),
            *self.actions.routes(),
        ]

    def _rows(self) -> list[dict[str, Any]]:
        with self.web.db.session() as session:
            return campaign_rows(session)

    async def index(self, request: Request) -> Response:
        """Every campaign, newest first, with its progress."""
        rows = await run_in_threadpool(self._rows)
        return self.web.render(request, "campaigns/list.html", {"rows": rows})

    def _form_values(
        self, typed: CampaignInput, errors: dict[str, str], *, edit: bool = False
    ) -> dict[str, Any]:
        with self.web.db.session() as session:
            segments = saved_segments(session)
        return {
            "form": typed,
            "errors": errors,
            "templates": template_files(self.folder),
            "folder": str(self.folder),
            "segments": segments,
            "typed_query": TYPED_QUERY,
            "when_choices": WHEN_CHOICES,
            "timezone": self.web.settings.audience.timezone,
            "edit": edit,
        }

    async def new_form(self, request: Request) -> Response:
        """The create form (viewers see it with every control disabled)."""
        values = await run_in_threadpool(self._form_values, CampaignInput(), {})
        return self.web.render(request, "campaigns/new.html", values)

    async def create(self, request: Request) -> Response:
        """Create the campaign, then send or schedule it as chosen."""
        form = await self.web.form(request, role="marketer")
        typed = CampaignInput.read(form)
        errors, done = await run_in_threadpool(self._create, typed)
        if errors:
            values = await run_in_threadpool(self._form_values, typed, errors)
            return self.web.render(request, "campaigns/new.html", values, status_code=400)
        return RedirectResponse(campaign_url(typed.name, done), status_code=303)

    def _create(self, typed: CampaignInput) -> tuple[dict[str, str], str]:
        """The errors by field, or none and the notice for the campaign page."""
        errors: dict[str, str] = {}
        with self.web.db.session() as session:
            typed.check(session, template_files(self.folder), new=True, errors=errors)
        spec = typed.when.spec(self.web.settings.audience.timezone, errors)
        if errors:
            return errors, ""
        try:
            return_address = load_letter_settings(self.web.config_path).return_address
            with self.web.db.session() as session, session.begin():
                create_campaign(
                    session,
                    typed.name,
                    self.folder / typed.template,
                    typed.segment,
                    typed.from_addr or None,
                    typed.reply_to or None,
                    self.web.lint_config(),
                    return_address=return_address,
                )
        except SegmentError as exc:
            return {"segment_query": exc.render()}, ""
        except (CampaignError, ConfigError) as exc:
            return {error_field(str(exc)): str(exc)}, ""
        return {}, self._then(typed, spec)

    def _then(self, typed: CampaignInput, spec: ScheduleSpec | None) -> str:
        """After creating: send now or schedule, as the form asked; the page's notice."""
        when = typed.when.when
        try:
            if when == "now":
                return self.actions.send_now(typed.name, None)
            if spec is not None:
                self.actions.schedule(typed.name, spec, None)
                return "scheduled"
        except LintGateError:
            return "gate-closed"
        except (CampaignError, ConfigError):
            return "not-started"
        return "created"

    async def show(self, request: Request) -> Response:
        """One campaign: details, lint gate, schedule, progress and the buttons."""
        name = request.path_params["name"]
        done = request.query_params.get("done", "")
        values = await run_in_threadpool(campaign_page, self.web, name, done=done)
        return self.web.render(request, "campaigns/show.html", values)

    async def progress(self, request: Request) -> Response:
        """The progress fragment; once the state has moved on, the page loads again.

        htmx follows ``HX-Redirect`` with a full load of the campaign's page (without
        the notice of the action that led there), so its buttons match the new state.
        """
        name = request.path_params["name"]
        values = await run_in_threadpool(load_campaign_page, self.web, name)
        seen = request.query_params.get("seen")
        moved = seen and seen != values["phase"]
        headers = {"HX-Redirect": campaign_url(name)} if moved else None
        return self.web.render(request, "campaigns/_progress.html", values, headers=headers)

    def _count(self, typed: CampaignInput) -> dict[str, Any]:
        channel = "email"
        if typed.template in template_files(self.folder):
            path = self.folder / typed.template
            channel = parse_document(str(path), path.read_text(encoding="utf-8")).channel
        if typed.segment_choice == TYPED_QUERY and not typed.segment_query:
            return {"count": "", "count_error": "Type a query to count its audience."}
        counted = audience_of(self.web.db, typed.segment, self.web.settings.audience, channel)
        failed = counted.startswith("the segment can't")
        return {"count": "" if failed else counted, "count_error": counted if failed else ""}

    async def audience_count(self, request: Request) -> Response:
        """How many contacts the segment on the form reaches now (an htmx fragment)."""
        typed = CampaignInput.read(request.query_params)
        values = await run_in_threadpool(self._count, typed)
        return self.web.render(request, "campaigns/_count.html", values)

    def _edit_values(self, name: str, typed: CampaignInput | None, errors: dict[str, str]) -> Any:
        with self.web.db.session() as session:
            try:
                campaign = get_campaign(session, name)
            except CampaignError as exc:
                raise HTTPException(status_code=404, detail=str(exc)) from None
            segments = saved_segments(session)
        if typed is None:
            typed = CampaignInput.of(campaign, self.folder, segments)
        return {**self._form_values(typed, errors, edit=True), "campaign": campaign}

    async def edit_form(self, request: Request) -> Response:
        """The edit form of a draft: template, segment, sender."""
        values = await run_in_threadpool(self._edit_values, request.path_params["name"], None, {})
        return self.web.render(request, "campaigns/edit.html", values)

    async def edit(self, request: Request) -> Response:
        """Change a draft; the lint gate runs again."""
        form = await self.web.form(request, role="marketer")
        name = request.path_params["name"]
        typed = CampaignInput.read(form)
        typed.name = name
        reread = text(form, "reread") == "1"
        errors = await run_in_threadpool(self._edit, name, typed, reread)
        if errors:
            values = await run_in_threadpool(self._edit_values, name, typed, errors)
            status = 409 if "state" in errors else 400
            return self.web.render(request, "campaigns/edit.html", values, status_code=status)
        return RedirectResponse(campaign_url(name, "edited"), status_code=303)

    def _edit(self, name: str, typed: CampaignInput, reread: bool) -> dict[str, str]:
        errors: dict[str, str] = {}
        with self.web.db.session() as session:
            typed.check(session, template_files(self.folder), new=False, errors=errors)
        if errors:
            return errors
        try:
            with self.web.db.session() as session, session.begin():
                campaign = get_campaign(session, name)
                template = self.folder / typed.template
                changed = str(template) != campaign.template_path
                edit_campaign(
                    session,
                    campaign,
                    template if changed or reread else None,
                    typed.segment,
                    typed.from_addr or None,
                    typed.reply_to,
                    self.web.lint_config(),
                )
        except SegmentError as exc:
            return {"segment_query": exc.render()}
        except CampaignError as exc:
            message = str(exc)
            return {"state" if "only a draft" in message else error_field(message): message}
        return {}


def routes(web: WebContext) -> list[BaseRoute]:
    """The campaign pages' routes."""
    return CampaignPages(web).routes()
