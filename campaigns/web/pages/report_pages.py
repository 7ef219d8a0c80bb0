"""A campaign's report: every figure, charts, costs, and the JSON the CLI prints.

- ``GET /campaigns/{name}/report``: the page; htmx polls it every few seconds for
  the live part only (figures, charts, notes), so the costs form is left alone;
- ``GET /campaigns/{name}/report.json``: the dict of ``hookline campaign report --json``;
- ``POST /campaigns/{name}/cost``: record the campaign's costs (marketers), as
  ``hookline campaign cost`` does.

The report is built by :func:`campaigns.reporting.campaign_report` with the options
in force, exactly as the CLI builds it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from campaigns.campaign_store import CampaignError, get_campaign
from campaigns.reporting import campaign_report, options_in_force
from campaigns.web.context import PREFIX, WebContext, is_htmx
from campaigns.web.cost_form import CostForm, read_cost_form, record_costs
from campaigns.web.report_view import (
    by_link_chart,
    by_tier_chart,
    extra_sections,
    over_time_chart,
    view_helpers,
)

# How often the open page fetches fresh figures.
REFRESH_SECONDS = 5


class ReportPages:
    """The report page, its JSON, and the costs form."""

    def __init__(self, web: WebContext) -> None:
        self.web = web

    def routes(self) -> list[BaseRoute]:
        """The routes."""
        return [
            Route("/campaigns/{name}/report", self.page, methods=["GET"]),
            Route("/campaigns/{name}/report.json", self.as_json, methods=["GET"]),
            Route("/campaigns/{name}/cost", self.record_cost, methods=["POST"]),
        ]

    def report(self, name: str) -> dict[str, Any]:
        """The report of campaign ``name``, as ``hookline campaign report --json`` prints it.

        Raises a 404 for an unknown campaign.
        """
        options = options_in_force(self.web.config_path)
        with self.web.db.session() as session, session.begin():
            try:
                campaign = get_campaign(session, name)
            except CampaignError:
                raise HTTPException(404, f"There is no campaign named {name!r}.") from None
            report = campaign_report(session.connection(), campaign, options)
        report["generated_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        return report

    def _render(
        self,
        request: Request,
        report: dict[str, Any],
        costs: CostForm | None = None,
        status_code: int = 200,
    ) -> Response:
        name = report["campaign"]
        live = is_htmx(request) and request.headers.get("hx-target") == "report-live"
        context = {
            "report": report,
            "costs": costs or CostForm(),
            "recorded": request.query_params.get("recorded") == "1" and costs is None,
            "refresh_seconds": REFRESH_SECONDS,
            "base": f"{PREFIX}/campaigns/{quote(name, safe='')}",
            "charts": {
                "over_time": over_time_chart(report),
                "by_tier": by_tier_chart(report),
                "by_link": by_link_chart(report),
            },
            "sections": extra_sections(report),
            **view_helpers(),
        }
        template = "reports/live.html" if live else "reports/report.html"
        return self.web.render(request, template, context, status_code=status_code)

    async def page(self, request: Request) -> Response:
        """The report page (or, for the page's own poll, its live part)."""
        report = await run_in_threadpool(self.report, request.path_params["name"])
        return self._render(request, report)

    async def as_json(self, request: Request) -> Response:
        """The report as the CLI's ``--json`` prints it."""
        report = await run_in_threadpool(self.report, request.path_params["name"])
        body = json.dumps(report, ensure_ascii=False, indent=2) + "\n"
        return Response(body, media_type="application/json")

    async def record_cost(self, request: Request) -> Response:
        """Record the costs (marketers); errors come back beside their fields."""
        name = request.path_params["name"]
        form = await self.web.form(request, role="marketer")
        costs = read_cost_form(form)
        if costs.errors:
            report = await run_in_threadpool(self.report, name)
            return self._render(request, report, costs, status_code=400)

        def save() -> None:
            with self.web.db.session() as session, session.begin():
                try:
                    record_costs(session, name, costs.amounts)
                except CampaignError:
                    raise HTTPException(404, f"There is no campaign named {name!r}.") from None

        await run_in_threadpool(save)
        target = f"{PREFIX}/campaigns/{quote(name, safe='')}/report?recorded=1#costs"
        return RedirectResponse(target, status_code=303)


def routes(web: WebContext) -> list[BaseRoute]:
    """The report routes."""
    return ReportPages(web).routes()
