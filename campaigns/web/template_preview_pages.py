"""``/templates/preview``, ``/templates/preview.pdf``, ``/templates/contacts``, the test send.

A preview is the message itself, so it is served on its own with a strict policy
(no script, nothing loaded but images, inline styles allowed) into an
``<iframe sandbox="">``. GET renders the saved file; POST renders the text in the
editor (CSRF-checked; any role, it changes nothing). A render error is a short page
saying what and where, never a 500.
"""

from __future__ import annotations

from html import escape

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from campaigns.letters.letter_settings import load_letter_settings
from campaigns.web.context import WebContext, is_htmx, signed_in
from campaigns.web.template_editor_view import (
    EditorState,
    TemplateTarget,
    editor_page,
    template_file,
)
from campaigns.web.template_files import normalise, read_text
from campaigns.web.template_preview import (
    PreviewError,
    PreviewRecipient,
    contact_recipient,
    letter_pdf,
    render_preview,
    sample_recipient,
    search_contacts,
    send_test,
)

PREVIEW_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; img-src data: http: https:; "
    "style-src 'unsafe-inline'; frame-ancestors 'self'; base-uri 'none'; form-action 'none'",
    "X-Content-Type-Options": "nosniff",
}
PAGE_STYLE = (
    "body{font:15px/1.5 system-ui,sans-serif;margin:12px;color:#1f2933}"
    "pre{white-space:pre-wrap;font:14px/1.45 ui-monospace,monospace;margin:0}"
    ".error{border-left:4px solid #b42318;background:#fef3f2;padding:8px 12px}"
    ".subject{color:#52606d;border-bottom:1px solid #d9e2ec;padding-bottom:6px}"
)


def _page(title: str, body: str, status_code: int = 200) -> HTMLResponse:
    """A tiny standalone document for the preview frames."""
    html = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}'
        f"</title><style>{PAGE_STYLE}</style></head><body>{body}</body></html>"
    )
    return HTMLResponse(html, status_code=status_code, headers=PREVIEW_HEADERS)


def error_page(message: str) -> HTMLResponse:
    """What a frame shows when the text can't be rendered."""
    body = (
        '<div class="error" role="alert"><p><strong>This template can\'t be rendered.'
        f"</strong></p><p>{escape(message)}</p></div>"
    )
    return _page("Preview error", body, status_code=422)


class TemplatePreviewPages:
    """Previews as a contact (HTML, text part, letter PDF), contact search, test send."""

    def __init__(self, web: WebContext) -> None:
        self.web = web

    def routes(self) -> list[BaseRoute]:
        """The routes."""
        return [
            Route("/templates/preview", self.preview, methods=["GET", "POST"]),
            Route("/templates/preview.pdf", self.preview_pdf, methods=["GET", "POST"]),
            Route("/templates/contacts", self.contacts, methods=["GET"]),
            Route("/templates/test-send", self.test_send, methods=["POST"]),
        ]

    async def _input(self, request: Request) -> tuple[TemplateTarget, str, FormData | None]:
        """The template and text to render: the posted editor text, or the saved file."""
        if request.method == "POST":
            form = await self.web.form(request, role="viewer")
            target = template_file(self.web, str(form.get("path", "")), must_exist=False)
            return target, normalise(str(form.get("source", ""))), form
        target = template_file(self.web, request.query_params.get("path", ""))
        return target, await run_in_threadpool(read_text, target.file), None

    def _recipient(self, target: TemplateTarget, source: str, email: str) -> PreviewRecipient:
        if not email.strip():
            attributes = self.web.lint_config().attributes
            return sample_recipient(target.path, source, attributes)
        with self.web.db.session() as session:
            return contact_recipient(session, email.strip())

    @staticmethod
    def _field(request: Request, form: FormData | None, name: str, default: str = "") -> str:
        if form is not None:
            return str(form.get(name, default))
        return request.query_params.get(name, default)

    async def preview(self, request: Request) -> Response:
        """The message for one contact: ``part=html`` (default) or ``part=text``."""
        target, source, form = await self._input(request)
        part = self._field(request, form, "part", "html")
        email = self._field(request, form, "contact")

        def render() -> HTMLResponse:
            recipient = self._recipient(target, source, email)
            content = render_preview(self.web.settings, target.path, source, target.file, recipient)
            if part == "html" and content.html is not None:
                return HTMLResponse(content.html, headers=PREVIEW_HEADERS)
            subject = (
                f'<p class="subject">Subject: {escape(content.subject)}</p>'
                if content.subject
                else ""
            )
            body = f"{subject}<pre>{escape(content.text)}</pre>"
            return _page(f"Text part for {recipient.label}", body)

        try:
            return await run_in_threadpool(render)
        except PreviewError as exc:
            return error_page(str(exc))

    async def preview_pdf(self, request: Request) -> Response:
        """A letter printed for one contact, as the print run would print it."""
        target, source, form = await self._input(request)
        email = self._field(request, form, "contact")

        def render() -> bytes:
            recipient = self._recipient(target, source, email)
            letters = load_letter_settings(self.web.config_path)
            return letter_pdf(self.web.settings, letters, target.path, source, recipient)

        try:
            pdf = await run_in_threadpool(render)
        except PreviewError as exc:
            return error_page(str(exc))
        name = target.path.rsplit("/", 1)[-1].removesuffix(".j2").removesuffix(".html")
        return Response(
            pdf,
            media_type="application/pdf",
            # Only frame-ancestors (it replaces the app's policy): Chromium's PDF viewer
            # shows nothing under object-src 'none', and this PDF runs no script.
            headers={
                "Content-Security-Policy": "frame-ancestors 'self'",
                "X-Content-Type-Options": "nosniff",
                "Content-Disposition": f'inline; filename="{name}-preview.pdf"',
            },
        )

    async def contacts(self, request: Request) -> Response:
        """Options for the contact picker: contacts whose address or name matches."""
        text = request.query_params.get("contact", "") or request.query_params.get("q", "")

        def search() -> list[tuple[str, str]]:
            with self.web.db.session() as session:
                return search_contacts(session, text) if text.strip() else []

        found = await run_in_threadpool(search)
        return self.web.render(request, "templates/contact_options.html", {"found": found})

    async def test_send(self, request: Request) -> Response:
        """Mail the editor's text, as the chosen contact, to the signed-in user (marketers)."""
        form = await self.web.form(request, role="marketer")
        target = template_file(self.web, str(form.get("path", "")), must_exist=False)
        source = normalise(str(form.get("source", "")))
        email = str(form.get("contact", ""))
        me = signed_in(request).email

        def send() -> str:
            recipient = self._recipient(target, source, email)
            return send_test(self.web.settings, target.path, source, target.file, recipient, me)

        try:
            where = await run_in_threadpool(send)
            message, kind = f"Sent to {me} via {where}.", "ok"
        except PreviewError as exc:
            message, kind = f"Not sent: {exc}", "error"
        if is_htmx(request):
            return self.web.render(
                request, "templates/test_result.html", {"message": message, "kind": kind}
            )
        state = EditorState(source, str(form.get("base", "")), message, kind, contact=email)
        return await editor_page(self.web, request, target, state)
