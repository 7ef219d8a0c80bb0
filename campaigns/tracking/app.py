"""The ASGI app behind every link in a message: ``create_app`` for ``hookline serve``.

Routes (the URLs :mod:`campaigns.composer` writes into each message):

- ``GET /t/o/{token}``   the open pixel: a 1×1 GIF, never cached; records an ``open``.
- ``GET /t/c/{token}``   a tracked link: records a ``click`` and redirects (302) to the
  URL signed into the token. Only signed http(s) URLs: not an open redirect.
- ``GET /u/{token}``     "Unsubscribe … from … mail?" with a button; records nothing.
- ``POST /u/{token}``    unsubscribe at once: RFC 8058 one-click or the page's button.
- ``GET /v/{token}``     the message as sent to that recipient, in the browser.
- ``GET|POST /subscribe``, ``GET|POST /confirm/{token}``: double opt-in signup.
- ``GET /r/{code}``      a letter's QR landing page: the offer and a "Use my code"
  button; records nothing (link prefetchers).
- ``POST /r/{code}``     records a ``response`` (source ``qr``) for the offer code.
- ``GET /healthz``       "ok".

An altered or forged token or offer code gets a 404 and records nothing. Opens and clicks are only
queued here (:class:`~campaigns.tracking.event_writer.EventWriter` writes them in
batches); everything that reads or writes the database synchronously runs in the
thread pool, so the event loop only verifies signatures and queues.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from audiences.db import Database
from audiences.emails import InvalidEmailError, normalise_email
from campaigns.render.campaign_template import RenderError
from campaigns.settings import CampaignSettings, secret_key
from campaigns.tokens import ConfirmRequest, TokenSigner
from campaigns.tracking import pages, response_landing
from campaigns.tracking.event_writer import EventWriter
from campaigns.tracking.recipient_actions import MessageViewer, unsubscribe, unsubscribe_target
from campaigns.tracking.subscribe import (
    SignupLimiter,
    confirm_subscription,
    confirmation_message,
    send_confirmation,
)
from campaigns.tracking.tracking_settings import TrackingSettings, load_tracking_settings

log = logging.getLogger(__name__)

LifespanHook = tuple[Callable[[], None], Callable[[], None]]

NO_CACHE = {
    "Cache-Control": "no-store, no-cache, must-revalidate, max-age=0",
    "Pragma": "no-cache",
    "Expires": "0",
}
# Every page and redirect: a token in the URL must not leak to other sites by Referer.
_COMMON = {"Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff", **NO_CACHE}
_PAGE_HEADERS = {
    **_COMMON,
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
}
# A campaign's HTML loads its own images and styles, but never runs script or posts.
_MESSAGE_HEADERS = {
    **_COMMON,
    "Content-Security-Policy": "default-src 'none'; img-src * data:; "
    "style-src * 'unsafe-inline'; font-src * data:; form-action 'none'; "
    "frame-ancestors 'none'; base-uri 'none'",
}
_WEB_SCHEMES = ("http", "https")


def _page(html: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(html, status_code=status_code, headers=_PAGE_HEADERS)


def _not_found() -> HTMLResponse:
    return _page(pages.not_found_page(), 404)


def client_ip(request: Request) -> str | None:
    """The client's address (uvicorn applies X-Forwarded-For from trusted proxies)."""
    return request.client.host if request.client is not None else None


async def _form(request: Request) -> dict[str, str]:
    """The POSTed form's text fields; an unreadable body counts as empty."""
    try:
        form = await request.form()
    except Exception:  # a malformed body must not turn a POST into a 500
        return {}
    return {key: value for key, value in form.items() if isinstance(value, str)}


class TrackingEndpoints:
    """The request handlers, sharing the signer, the event writer and the database."""

    def __init__(
        self,
        settings: CampaignSettings,
        db: Database,
        tracking: TrackingSettings,
        writer: EventWriter,
    ) -> None:
        self.settings = settings
        self.db = db
        self.tracking = tracking
        self.writer = writer
        self.secret_key = secret_key(settings)
        self.signer = TokenSigner(self.secret_key)
        self.viewer = MessageViewer(db, settings)
        self.limiter = SignupLimiter(tracking.subscribe_per_hour)

    def routes(self) -> list[BaseRoute]:
        """The routes, in the order they match."""
        return [
            Route("/t/o/{token}", self.open_pixel, methods=["GET"]),
            Route("/t/c/{token}", self.click, methods=["GET"]),
            Route("/u/{token}", self.unsubscribe_page, methods=["GET"]),
            Route("/u/{token}", self.unsubscribe, methods=["POST"]),
            Route("/v/{token}", self.view, methods=["GET"]),
            Route("/subscribe", self.subscribe_form, methods=["GET"]),
            Route("/subscribe", self.subscribe, methods=["POST"]),
            Route("/confirm/{token}", self.confirm_page, methods=["GET"]),
            Route("/confirm/{token}", self.confirm, methods=["POST"]),
            Route("/r/{code}", self.response_page, methods=["GET"]),
            Route("/r/{code}", self.record_response, methods=["POST"]),
            Route("/healthz", self.healthz, methods=["GET"]),
        ]

    async def open_pixel(self, request: Request) -> Response:
        """The 1×1 GIF; queues an ``open`` (a HEAD, as link scanners send, counts nothing)."""
        recipient_id = self.signer.read_recipient("open", request.path_params["token"])
        if recipient_id is None:
            return _not_found()
        if request.method == "GET":
            self.writer.put(recipient_id, "open", source="pixel")
        return Response(pages.PIXEL_GIF, media_type="image/gif", headers=NO_CACHE)

    async def click(self, request: Request) -> Response:
        """Queue a ``click`` and redirect to the link signed into the token."""
        target = self.signer.read_click(request.path_params["token"])
        if target is None:
            return _not_found()
        parts = urlsplit(target.url)
        if parts.scheme.lower() not in _WEB_SCHEMES or not parts.netloc:
            return _not_found()
        if request.method == "GET":
            self.writer.put(target.recipient_id, "click", url=target.url, source="link")
        return RedirectResponse(target.url, status_code=302, headers=_COMMON)

    def unsubscribe_page(self, request: Request) -> Response:
        """Ask before unsubscribing: mail scanners follow links, and must not unsubscribe."""
        recipient_id = self.signer.read_recipient("unsubscribe", request.path_params["token"])
        if recipient_id is None:
            return _not_found()
        target = unsubscribe_target(self.db, recipient_id)
        if target is None:
            return _not_found()
        if target.masked is None:
            return _page(pages.unsubscribed_page(None, target.sender))
        return _page(pages.unsubscribe_page(target.masked, target.sender))

    async def unsubscribe(self, request: Request) -> Response:
        """Unsubscribe now, written before the response (RFC 8058: no login, no second step)."""
        recipient_id = self.signer.read_recipient("unsubscribe", request.path_params["token"])
        if recipient_id is None:
            return _not_found()
        form = await _form(request)
        source = "one-click" if form.get("List-Unsubscribe") == "One-Click" else "page"
        target = await run_in_threadpool(
            unsubscribe, self.db, recipient_id, source, client_ip(request)
        )
        if target is None:
            return _not_found()
        return _page(pages.unsubscribed_page(target.masked, target.sender))

    def view(self, request: Request) -> Response:
        """The recipient's message, rendered as it was sent (links untracked)."""
        recipient_id = self.signer.read_recipient("view", request.path_params["token"])
        if recipient_id is None:
            return _not_found()
        try:
            content = self.viewer.view(recipient_id)
        except RenderError as exc:
            log.warning("cannot render message %d for the browser: %s", recipient_id, exc)
            return _page(pages.message_unavailable_page(), 500)
        if content is None:
            return _not_found()
        if content.html is not None:
            return HTMLResponse(content.html, headers=_MESSAGE_HEADERS)
        return _page(pages.text_message_page(content.subject, content.text))

    async def subscribe_form(self, request: Request) -> Response:
        """The signup form."""
        return _page(pages.subscribe_page(self.tracking.list_name))

    async def subscribe(self, request: Request) -> Response:
        """Check the address and mail the confirmation link; store nothing."""
        form = await _form(request)
        list_name = self.tracking.list_name
        raw_email = form.get("email", "").strip()
        first_name = " ".join(form.get("first_name", "").split())[:200]
        if form.get("website"):
            # The honeypot was filled: a bot. Answer as for a person, send nothing.
            return _page(pages.check_inbox_page(list_name))
        try:
            email = normalise_email(raw_email)
        except InvalidEmailError as exc:
            error = f"That address cannot receive mail: {exc}"
            return _page(pages.subscribe_page(list_name, raw_email, first_name, error), 400)
        ip = client_ip(request) or ""
        if not self.limiter.allow(ip):
            return _page(pages.too_many_page(), 429)
        token = self.signer.confirm_token(email, first_name, ip)
        url = f"{self.settings.base_url}/confirm/{token}"
        message = confirmation_message(
            self.tracking, email, first_name, url, self.tracking.confirm_days
        )
        sent = await run_in_threadpool(
            send_confirmation, self.settings, self.tracking, email, message
        )
        if not sent:
            return _page(pages.mail_failed_page(), 503)
        return _page(pages.check_inbox_page(list_name))

    def _signup(self, request: Request) -> ConfirmRequest | None:
        return self.signer.read_confirm(request.path_params["token"], self.tracking.confirm_seconds)

    async def confirm_page(self, request: Request) -> Response:
        """A button to confirm: a GET alone (a mail scanner) subscribes nobody."""
        signup = self._signup(request)
        if signup is None:
            return _not_found()
        masked = pages.mask_address(signup.email)
        return _page(pages.confirm_page(masked, self.tracking.list_name))

    async def confirm(self, request: Request) -> Response:
        """Create the contact if new and record the confirmed consent, with its proof."""
        signup = self._signup(request)
        if signup is None:
            return _not_found()
        await run_in_threadpool(confirm_subscription, self.db, signup, client_ip(request))
        masked = pages.mask_address(signup.email)
        return _page(pages.confirmed_page(masked, self.tracking.list_name))

    def response_page(self, request: Request) -> Response:
        """A letter's QR code: the offer and a button; a GET (a prefetcher) records nothing."""
        offer = response_landing.find_offer(self.db, self.secret_key, request.path_params["code"])
        if offer is None:
            return _not_found()
        return _page(response_landing.offer_page(offer))

    def record_response(self, request: Request) -> Response:
        """The "Use my code" button: record the response once, and thank the reader."""
        offer = response_landing.find_offer(self.db, self.secret_key, request.path_params["code"])
        if offer is None:
            return _not_found()
        new = response_landing.record_qr_response(self.db, offer)
        return _page(response_landing.thanks_page(offer, new))

    async def healthz(self, request: Request) -> Response:
        """Liveness: the process answers."""
        return PlainTextResponse("ok", headers=NO_CACHE)


def create_app(
    settings: CampaignSettings,
    db: Database,
    *,
    extra_routes: Sequence[BaseRoute] = (),
    lifespan_hooks: Sequence[LifespanHook] = (),
    tracking: TrackingSettings | None = None,
) -> Starlette:
    """The tracking app on ``db``, with more routes and start/stop hooks from the caller.

    ``extra_routes`` are matched after the tracking routes (the conversions API, the
    web UI). ``lifespan_hooks`` are ``(start, stop)`` pairs: starts run in order at
    startup, stops in reverse at shutdown, before the event writer's final flush.
    ``tracking`` defaults to ``[tracking]`` of the config file in force.
    """
    tracking = tracking or load_tracking_settings()
    writer = EventWriter(
        db.engine, interval=tracking.flush_interval, batch_size=tracking.flush_batch
    )
    endpoints = TrackingEndpoints(settings, db, tracking, writer)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        writer.start()
        started: list[Callable[[], None]] = []
        try:
            for start, stop in lifespan_hooks:
                await run_in_threadpool(start)
                started.append(stop)
            yield
        finally:
            for stop in reversed(started):
                try:
                    await run_in_threadpool(stop)
                except Exception:
                    log.exception("a shutdown hook failed")
            # After the server stopped taking requests: every queued event is written.
            await run_in_threadpool(writer.close)

    app = Starlette(routes=[*endpoints.routes(), *extra_routes], lifespan=lifespan)
    app.state.writer = writer
    app.state.tracking = tracking
    return app
