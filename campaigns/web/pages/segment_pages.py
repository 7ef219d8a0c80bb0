"""``/segments``: the saved segments with their counts, and the segment builder.

The builder previews a query as it is typed (htmx posts ``/segments/preview``, open
to every role since it changes nothing): how many contacts it reaches, a sample of
them, or the fault marked in the query. Saving (marketers) goes through
:func:`audiences.segments.save_segment`, which checks the query again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from audiences.audience_query import count, sample
from audiences.segment_query import SegmentError
from audiences.segments import list_segments, save_segment
from audiences.sendable import CHANNELS
from campaigns.web.contact_search import full_name
from campaigns.web.context import PREFIX, WebContext
from campaigns.web.query_marks import mark_error

SAMPLE_SIZE = 10
CHANNEL_NAMES = {"email": "email", "mail": "post"}


@dataclass
class SavedSegment:
    """A saved segment as listed: its count now, or why it can't run any more."""

    name: str
    query: str
    count: int | None
    error: str


class SegmentPages:
    """The list and builder, the preview fragment, and saving."""

    def __init__(self, web: WebContext) -> None:
        self.web = web

    def routes(self) -> list[BaseRoute]:
        """The routes."""
        return [
            Route("/segments", self.builder, methods=["GET"]),
            Route("/segments", self.save, methods=["POST"]),
            Route("/segments/preview", self.preview, methods=["POST"]),
        ]

    def _saved(self) -> list[SavedSegment]:
        settings = self.web.settings.audience
        with self.web.db.session() as session:
            stored = [(segment.name, segment.query) for segment in list_segments(session)]
        listed = []
        for name, query in stored:
            try:
                listed.append(
                    SavedSegment(name, query, count(self.web.db, f"@{name}", settings), "")
                )
            except SegmentError as error:
                listed.append(SavedSegment(name, query, None, error.message))
        return listed

    async def _page(
        self,
        request: Request,
        name: str,
        query: str,
        errors: dict[str, Any] | None = None,
        status_code: int = 200,
    ) -> Response:
        saved = await run_in_threadpool(self._saved)
        return self.web.render(
            request,
            "segments/builder.html",
            {
                "saved": saved,
                "name": name,
                "query": query,
                "channel": "email",
                "channels": CHANNEL_NAMES,
                "errors": errors or {},
                "just_saved": request.query_params.get("saved", ""),
            },
            status_code=status_code,
        )

    async def builder(self, request: Request) -> Response:
        """The saved segments and the builder (``?q=`` and ``?name=`` prefill it)."""
        params = request.query_params
        return await self._page(request, params.get("name", ""), params.get("q", ""))

    def _preview(self, query: str, channel: str) -> dict[str, Any]:
        settings = self.web.settings.audience
        try:
            total = count(self.web.db, query, settings, channel)
            rows = sample(self.web.db, query, settings, channel, SAMPLE_SIZE) if total else []
        except SegmentError as error:
            return {"error": mark_error(error)}
        contacts = [
            {
                "email": row["email"],
                "name": full_name(row["first_name"], row["last_name"]),
                "tier": row["tier"],
            }
            for row in rows
        ]
        return {"error": None, "total": total, "contacts": contacts}

    async def preview(self, request: Request) -> Response:
        """The preview fragment: the count and a sample, or the query's fault."""
        form = await self.web.form(request, role="viewer")
        query = str(form.get("query", ""))
        channel = str(form.get("channel", "email"))
        if channel not in CHANNELS:
            channel = "email"
        values = await run_in_threadpool(self._preview, query, channel)
        values.update(query=query, channel=channel, channels=CHANNEL_NAMES)
        return self.web.render(request, "segments/preview.html", values)

    def _save(self, name: str, query: str) -> str:
        with self.web.db.session() as session, session.begin():
            return save_segment(session, name, query).name

    async def save(self, request: Request) -> Response:
        """Save the query under the name (marketers); faults are shown at their field."""
        form = await self.web.form(request, role="marketer")
        name = str(form.get("name", "")).strip()
        query = str(form.get("query", ""))
        errors: dict[str, Any] = {}
        if not name:
            errors["name"] = "Give the segment a name, to use it as @name."
        else:
            try:
                saved = await run_in_threadpool(self._save, name, query)
            except SegmentError as error:
                if error.query == name and error.query != query:
                    errors["name"] = error.message[:1].upper() + error.message[1:] + "."
                else:
                    errors["query"] = mark_error(error)
            else:
                return RedirectResponse(
                    f"{PREFIX}/segments?{urlencode({'saved': saved, 'name': saved, 'q': query})}",
                    status_code=303,
                )
        return await self._page(request, name, query, errors, status_code=400)


def routes(web: WebContext) -> list[BaseRoute]:
    """The segment routes."""
    return SegmentPages(web).routes()
