"""The start page: what is in the database, and where to go next."""

from __future__ import annotations

from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from audiences.models import Contact, Segment
from campaigns.models import Campaign
from campaigns.web.context import WebContext


def _counts(web: WebContext) -> dict[str, int]:
    with web.db.session() as session:
        return {
            "contacts": session.scalar(select(func.count()).select_from(Contact)) or 0,
            "segments": session.scalar(select(func.count()).select_from(Segment)) or 0,
            "campaigns": session.scalar(select(func.count()).select_from(Campaign)) or 0,
        }


def routes(web: WebContext) -> list[BaseRoute]:
    """``/``: the start page."""

    async def home(request: Request) -> Response:
        counts = await run_in_threadpool(_counts, web)
        return web.render(request, "home.html", {"counts": counts})

    return [Route("/", home, methods=["GET"])]
