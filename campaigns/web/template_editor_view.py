"""The editor page, shared by the handlers that show it (open, a refused save, a test send).

Also the one place a browser's ``path`` becomes a file: :func:`template_file` answers
400 for a path that is not a template inside the templates folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from campaigns.web.context import WebContext, signed_in
from campaigns.web.template_files import (
    TemplatePathError,
    check_relative,
    digest,
    lint_path,
    read_text,
    resolve,
)
from campaigns.web.template_lint import LintView, lint_text
from campaigns.web.web_models import TemplateVersion
from linter.document import parse_document


@dataclass(frozen=True)
class TemplateTarget:
    """A checked template path and its file."""

    path: str
    file: Path


def template_file(web: WebContext, relative: str, must_exist: bool = True) -> TemplateTarget:
    """The checked path (400 when unsafe or malformed, 404 when missing)."""
    root = web.web.templates_dir
    try:
        tidy = check_relative(relative)
        file = resolve(root, tidy)
    except TemplatePathError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
    if must_exist and not file.is_file():
        raise HTTPException(status_code=404, detail=f"There is no template {tidy}.")
    return TemplateTarget(tidy, file)


def lint_for(web: WebContext, path: str, text: str) -> LintView:
    """The findings of ``text`` as the template ``path``."""
    return lint_text(web.lint_config(), lint_path(web.web.templates_dir, path), text)


@dataclass(frozen=True)
class EditorState:
    """What the editor shows besides the file: the text, its base, a message."""

    source: str
    base: str
    notice: str = ""
    notice_kind: str = "ok"
    contact: str = ""
    note: str = ""


def _version_count(web: WebContext, path: str) -> int:
    with web.db.session() as session:
        count = session.scalar(
            select(func.count()).select_from(TemplateVersion).where(TemplateVersion.path == path)
        )
    return int(count or 0)


async def editor_page(
    web: WebContext,
    request: Request,
    target: TemplateTarget,
    state: EditorState | None = None,
    status_code: int = 200,
) -> Response:
    """The editor for ``target``: its text (or ``state``'s), findings and previews."""
    if state is None:
        text = await run_in_threadpool(read_text, target.file)
        state = EditorState(text, digest(text))
    lint = await run_in_threadpool(lint_for, web, target.path, state.source)
    versions = await run_in_threadpool(_version_count, web, target.path)
    document = parse_document(target.path, state.source)
    user = signed_in(request)
    return web.render(
        request,
        "templates/editor.html",
        {
            "template_path": target.path,
            "state": state,
            "lint": lint,
            "channel": document.channel,
            "kind": document.kind,
            "versions": versions,
            "can_edit": user.can("marketer"),
            "saved": request.query_params.get("saved", ""),
        },
        status_code=status_code,
    )
