"""``/templates``: the template files, the editor with live lint, saving, history, previews.

This module holds the list, creating a file, the editor, live lint and saving; the
history (:mod:`campaigns.web.template_history_pages`) and the previews and test send
(:mod:`campaigns.web.template_preview_pages`) are their own modules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from campaigns.web.context import PREFIX, WebContext, signed_in
from campaigns.web.template_editor_view import (
    EditorState,
    editor_page,
    lint_for,
    template_file,
)
from campaigns.web.template_files import (
    TemplateFile,
    TemplatePathError,
    check_relative,
    list_templates,
    normalise,
    read_text,
    resolve,
    skeleton,
)
from campaigns.web.template_history import (
    SaveConflictError,
    create_template,
    last_saves,
    save_template,
)
from campaigns.web.template_history_pages import TemplateHistoryPages
from campaigns.web.template_lint import LintView
from campaigns.web.template_preview_pages import TemplatePreviewPages

CHANNELS = ("email", "letter")


@dataclass(frozen=True)
class ListRow:
    """One row of the list: the file, its lint counts, who saved it last."""

    file: TemplateFile
    lint: LintView
    saved_by: str | None
    saved_at: datetime | None


def edit_url(path: str, **extra: str | int) -> str:
    """The editor's address for ``path``."""
    query = "".join(f"&{key}={quote(str(value))}" for key, value in extra.items())
    return f"{PREFIX}/templates/edit?path={quote(path)}{query}"


class TemplatePages:
    """The list, the editor, live lint and saving."""

    def __init__(self, web: WebContext) -> None:
        self.web = web

    def routes(self) -> list[BaseRoute]:
        """The routes."""
        return [
            Route("/templates", self.list_page, methods=["GET"]),
            Route("/templates/new", self.create, methods=["POST"]),
            Route("/templates/edit", self.edit, methods=["GET"]),
            Route("/templates/lint", self.lint, methods=["POST"]),
            Route("/templates/save", self.save, methods=["POST"]),
        ]

    def _rows(self) -> list[ListRow]:
        root = self.web.web.templates_dir
        with self.web.db.session() as session:
            saves = last_saves(session)
        rows = []
        for file in list_templates(root):
            text = read_text(resolve(root, file.path))
            who, at = saves.get(file.path, (None, None))
            rows.append(ListRow(file, lint_for(self.web, file.path, text), who, at))
        return rows

    async def _list(
        self,
        request: Request,
        errors: dict[str, str] | None = None,
        values: dict[str, str] | None = None,
    ) -> Response:
        rows = await run_in_threadpool(self._rows)
        return self.web.render(
            request,
            "templates/list.html",
            {
                "rows": rows,
                "errors": errors or {},
                "values": values or {"path": "", "channel": "email"},
                "channels": CHANNELS,
                "templates_dir": str(self.web.web.templates_dir),
            },
            status_code=400 if errors else 200,
        )

    async def list_page(self, request: Request) -> Response:
        """Every template file with its channel, language, subject and lint status."""
        return await self._list(request)

    async def create(self, request: Request) -> Response:
        """Create a file from a skeleton that lints clean, then open it (marketers)."""
        form = await self.web.form(request, role="marketer")
        relative = str(form.get("path", "")).strip()
        channel = str(form.get("channel", "email"))
        values = {"path": relative, "channel": channel}
        if channel not in CHANNELS:
            return await self._list(request, {"channel": "Choose email or letter."}, values)
        try:
            tidy = check_relative(relative)
            file = resolve(self.web.web.templates_dir, tidy)
        except TemplatePathError as exc:
            return await self._list(request, {"path": str(exc)}, values)
        who = signed_in(request).email

        def create() -> None:
            with self.web.db.session() as session, session.begin():
                create_template(session, file, tidy, skeleton(channel), who)

        try:
            await run_in_threadpool(create)
        except SaveConflictError as exc:
            return await self._list(request, {"path": str(exc)}, values)
        return RedirectResponse(edit_url(tidy, saved=1), status_code=303)

    async def edit(self, request: Request) -> Response:
        """The editor for ``?path=``."""
        target = template_file(self.web, request.query_params.get("path", ""))
        return await editor_page(self.web, request, target)

    async def lint(self, request: Request) -> Response:
        """The findings fragment for the posted text (any role: it changes nothing)."""
        form = await self.web.form(request, role="viewer")
        target = template_file(self.web, str(form.get("path", "")), must_exist=False)
        source = normalise(str(form.get("source", "")))
        lint = await run_in_threadpool(lint_for, self.web, target.path, source)
        return self.web.render(request, "templates/findings.html", {"lint": lint})

    async def save(self, request: Request) -> Response:
        """Write the file and record a version; a conflict shows the text back (marketers)."""
        form = await self.web.form(request, role="marketer")
        target = template_file(self.web, str(form.get("path", "")), must_exist=False)
        source = normalise(str(form.get("source", "")))
        base = str(form.get("base", ""))
        note = str(form.get("note", ""))
        who = signed_in(request).email

        def save() -> int:
            with self.web.db.session() as session, session.begin():
                return save_template(session, target.file, target.path, source, who, note, base)

        try:
            number = await run_in_threadpool(save)
        except SaveConflictError as exc:
            state = EditorState(source, base, str(exc), "error", note=note)
            return await editor_page(self.web, request, target, state, status_code=409)
        return RedirectResponse(edit_url(target.path, saved=number), status_code=303)


def routes(web: WebContext) -> list[BaseRoute]:
    """The template area's routes."""
    return [
        *TemplatePages(web).routes(),
        *TemplateHistoryPages(web).routes(),
        *TemplatePreviewPages(web).routes(),
    ]
