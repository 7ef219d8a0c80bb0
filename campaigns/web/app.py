"""The web app's routes, mounted by ``hookline serve`` at ``/app`` (and ``/`` redirects there).

Each area is one module in :mod:`campaigns.web.pages` with a ``routes(web)`` function;
this module puts them together behind :class:`~campaigns.web.guard.SignInGuard`.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from audiences.db import Database
from campaigns.settings import CampaignSettings
from campaigns.web.context import PREFIX, STATIC, WebContext, is_htmx
from campaigns.web.guard import SignInGuard
from campaigns.web.web_settings import WebSettings

# The areas, in the order their routes match.
PAGE_MODULES = (
    "auth_pages",
    "home_page",
    "template_pages",
    "import_pages",
    "contact_pages",
    "segment_pages",
    "campaign_pages",
    "report_pages",
    "outbox_pages",
    "user_pages",
)


def page_routes(web: WebContext) -> list[BaseRoute]:
    """Every area's routes."""
    routes: list[BaseRoute] = []
    for name in PAGE_MODULES:
        module = importlib.import_module(f"campaigns.web.pages.{name}")
        routes.extend(module.routes(web))
    return routes


def web_app(web: WebContext) -> Starlette:
    """The app mounted at ``/app``."""

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        template = "error_fragment.html" if is_htmx(request) else "error.html"
        response = web.render(
            request,
            template,
            {"status": exc.status_code, "detail": exc.detail},
            status_code=exc.status_code,
        )
        if is_htmx(request):
            # htmx swaps only 2xx by default; show the refusal where the result would go.
            response.headers["HX-Retarget"] = "#flash"
            response.headers["HX-Reswap"] = "innerHTML"
        return response

    return Starlette(
        routes=[
            *page_routes(web),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ],
        middleware=[Middleware(SignInGuard, web=web)],
        exception_handlers={HTTPException: http_error},
    )


def web_routes(
    settings: CampaignSettings,
    db: Database,
    web_settings: WebSettings,
    config_path: Path | None = None,
) -> list[BaseRoute]:
    """The routes ``hookline serve`` adds: ``/`` (a redirect) and the app at ``/app``."""
    web = WebContext(settings, db, web_settings, config_path)

    async def to_app(request: Request) -> Response:
        return RedirectResponse(f"{PREFIX}/", status_code=303)

    return [
        Route("/", to_app, methods=["GET"]),
        Route(PREFIX, to_app, methods=["GET"]),
        Mount(PREFIX, app=web_app(web)),
    ]
