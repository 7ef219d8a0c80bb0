"""The outbox: mail the built-in SMTP capture kept instead of sending ([sending] outbox).

- ``GET /outbox``: the captured messages, newest first, a page at a time;
- ``GET /outbox/{id}``: one message: headers, the HTML part in a sandboxed frame,
  the text part, attachments and the source;
- ``GET /outbox/{id}/html``, ``/text``, ``/raw`` (the .eml), ``/attachments/{n}``;
- ``POST /outbox/clear``: delete every captured message (admins).

A thin layer over :mod:`campaigns.smtp.outbox`, as ``hookline outbox`` is.
"""

from __future__ import annotations

from email.message import EmailMessage
from math import ceil
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from campaigns.smtp.outbox import (
    OutboxError,
    clear_outbox,
    count_outbox,
    find_message,
    list_outbox,
    part_text,
    read_message,
)
from campaigns.web.context import PREFIX, WebContext
from campaigns.web.mail_view import (
    FRAME_POLICY,
    MESSAGE_ID,
    attachment_bytes,
    attachments,
    html_for_frame,
    readable_date,
    shown_headers,
)

PAGE_SIZE = 50
# The source shown on the message page is cut here; the download has all of it.
SOURCE_CHARS = 200_000


def _page_number(request: Request) -> int:
    try:
        return max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        return 1


def _disposition(kind: str, filename: str) -> str:
    """A Content-Disposition with a plain ASCII name (no quotes, slashes or controls)."""
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in filename)
    return f'{kind}; filename="{safe or "download"}"'


class OutboxPages:
    """The outbox list, a message's pages, and clearing."""

    def __init__(self, web: WebContext) -> None:
        self.web = web

    @property
    def outbox(self) -> Path:
        """The capture folder ([sending] outbox)."""
        return self.web.settings.outbox

    @property
    def capturing(self) -> bool:
        """Whether mail goes to the capture: no [smtp] url is configured."""
        return not self.web.settings.smtp.url

    def routes(self) -> list[BaseRoute]:
        """The routes."""
        return [
            Route("/outbox", self.list_page, methods=["GET"]),
            Route("/outbox/clear", self.clear, methods=["POST"]),
            Route("/outbox/{id}", self.message_page, methods=["GET"]),
            Route("/outbox/{id}/html", self.html, methods=["GET"]),
            Route("/outbox/{id}/text", self.text, methods=["GET"]),
            Route("/outbox/{id}/raw", self.raw, methods=["GET"]),
            Route("/outbox/{id}/attachments/{number:int}", self.attachment, methods=["GET"]),
        ]

    def _listing(self, page: int) -> dict[str, Any]:
        try:
            total = count_outbox(self.outbox)
            newest = list_outbox(self.outbox, limit=page * PAGE_SIZE) if total else []
        except OutboxError as exc:
            return {"error": str(exc), "entries": [], "total": 0, "pages": 1}
        entries = list(reversed(newest))[(page - 1) * PAGE_SIZE :]
        return {
            "error": "",
            "entries": entries,
            "total": total,
            "pages": max(1, ceil(total / PAGE_SIZE)),
        }

    async def list_page(self, request: Request) -> Response:
        """The captured messages, newest first."""
        page = _page_number(request)
        listing = await run_in_threadpool(self._listing, page)
        cleared = request.query_params.get("cleared")
        return self.web.render(
            request,
            "outbox/list.html",
            {
                **listing,
                "page": page,
                "capturing": self.capturing,
                "outbox": str(self.outbox),
                "cleared": int(cleared) if cleared and cleared.isdigit() else None,
                "readable_date": readable_date,
            },
        )

    def _path(self, message_id: str) -> Path:
        """The message's file, or a 404 for an unknown (or malformed, or partial) id."""
        unknown = HTTPException(404, f"There is no message {message_id!r} in the outbox.")
        if not MESSAGE_ID.match(message_id):
            raise unknown
        try:
            path = find_message(self.outbox, message_id)
        except OutboxError:
            raise unknown from None
        # The CLI takes a unique prefix; a page's address names one message for good.
        if path.stem != message_id:
            raise unknown
        return path

    def _message(self, message_id: str) -> EmailMessage:
        self._path(message_id)
        try:
            return read_message(self.outbox, message_id)
        except OutboxError as exc:
            raise HTTPException(404, str(exc)) from None

    def _source(self, message_id: str) -> bytes:
        try:
            return self._path(message_id).read_bytes()
        except OSError:
            raise HTTPException(404, f"Message {message_id!r} can't be read.") from None

    def _details(self, message_id: str) -> dict[str, Any]:
        message = self._message(message_id)
        source = self._source(message_id)
        text = source[:SOURCE_CHARS].decode("utf-8", "replace")
        return {
            "id": message_id,
            "subject": message.get("Subject", ""),
            "headers": shown_headers(message),
            "has_html": part_text(message, "html") is not None,
            "text": part_text(message, "plain"),
            "attachments": attachments(message),
            "source": text,
            "source_cut": len(source) > SOURCE_CHARS,
            "size": len(source),
        }

    async def message_page(self, request: Request) -> Response:
        """One message, every part of it."""
        details = await run_in_threadpool(self._details, request.path_params["id"])
        return self.web.render(request, "outbox/message.html", details)

    async def html(self, request: Request) -> Response:
        """The HTML part, inert (no script), its links opening outside the frame."""
        message_id = request.path_params["id"]
        message = await run_in_threadpool(self._message, message_id)
        html = part_text(message, "html")
        if html is None:
            raise HTTPException(404, f"Message {message_id!r} has no HTML part.")
        return Response(
            html_for_frame(html),
            media_type="text/html; charset=utf-8",
            headers={"Content-Security-Policy": FRAME_POLICY},
        )

    async def text(self, request: Request) -> Response:
        """The text part, as plain text."""
        message_id = request.path_params["id"]
        message = await run_in_threadpool(self._message, message_id)
        text = part_text(message, "plain")
        if text is None:
            raise HTTPException(404, f"Message {message_id!r} has no text part.")
        return Response(text, media_type="text/plain; charset=utf-8")

    async def raw(self, request: Request) -> Response:
        """The whole .eml file, as stored, to download."""
        message_id = request.path_params["id"]
        source = await run_in_threadpool(self._source, message_id)
        return Response(
            source,
            media_type="message/rfc822",
            headers={"Content-Disposition": _disposition("attachment", f"{message_id}.eml")},
        )

    async def attachment(self, request: Request) -> Response:
        """One attachment, always as a download (never shown in the app's origin)."""
        message_id = request.path_params["id"]
        message = await run_in_threadpool(self._message, message_id)
        found = attachment_bytes(message, request.path_params["number"])
        if found is None:
            raise HTTPException(404, f"Message {message_id!r} has no such attachment.")
        attached, data = found
        return Response(
            data,
            media_type="application/octet-stream",
            headers={"Content-Disposition": _disposition("attachment", attached.filename)},
        )

    async def clear(self, request: Request) -> Response:
        """Delete every captured message (admins only)."""
        await self.web.form(request, role="admin")
        try:
            deleted = await run_in_threadpool(clear_outbox, self.outbox)
        except OutboxError as exc:
            raise HTTPException(500, str(exc)) from None
        return RedirectResponse(f"{PREFIX}/outbox?cleared={deleted}", status_code=303)


def routes(web: WebContext) -> list[BaseRoute]:
    """The outbox routes."""
    return OutboxPages(web).routes()
