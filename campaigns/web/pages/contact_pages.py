"""``/contacts``: search the contacts, and everything held on one of them.

Read-only for every role: contacts change through imports (and unsubscribes,
bounces and forgetting, elsewhere), never by hand here.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from audiences.segment_query import SegmentError
from campaigns.web.contact_record import load_contact
from campaigns.web.contact_search import PAGE_SIZE, page_links, search_contacts
from campaigns.web.context import WebContext
from campaigns.web.query_marks import mark_error


def _page_number(value: str | None) -> int:
    try:
        return max(1, int(value or "1"))
    except ValueError:
        return 1


def routes(web: WebContext) -> list[BaseRoute]:
    """``/contacts`` and ``/contacts/{id}``."""

    async def search(request: Request) -> Response:
        """The search form and a page of results."""
        params = request.query_params
        text = params.get("q", "")
        query = params.get("segment", "")
        page = _page_number(params.get("page"))
        try:
            result = await run_in_threadpool(
                search_contacts, web.db, web.settings.audience, text, query, page
            )
        except SegmentError as error:
            return web.render(
                request,
                "contacts/search.html",
                {"text": text, "query": query, "result": None, "error": mark_error(error)},
                status_code=400,
            )
        return web.render(
            request,
            "contacts/search.html",
            {
                "text": text,
                "query": query,
                "result": result,
                "error": None,
                "links": page_links(text, query, result),
                "page_size": PAGE_SIZE,
            },
        )

    async def contact(request: Request) -> Response:
        """One contact: details, consent, suppressions, orders, campaigns and responses."""
        record = await run_in_threadpool(load_contact, web.db, request.path_params["contact_id"])
        if record is None:
            raise HTTPException(
                status_code=404, detail="No such contact (it may have been forgotten)."
            )
        return web.render(request, "contacts/contact.html", {"contact": record})

    return [
        Route("/contacts", search, methods=["GET"]),
        Route("/contacts/{contact_id:int}", contact, methods=["GET"]),
    ]
