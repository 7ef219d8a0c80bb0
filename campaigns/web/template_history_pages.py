"""``/templates/history``, ``/templates/version`` and ``/templates/restore``.

Every save is a numbered version in ``template_versions``; a version can be read,
compared with the file as it is now, and restored, which saves its text again as a
new version (nothing is ever rewritten).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from campaigns.web.context import PREFIX, WebContext, signed_in
from campaigns.web.template_editor_view import TemplateTarget, template_file
from campaigns.web.template_files import read_text
from campaigns.web.template_history import save_template, version_source, versions


@dataclass(frozen=True)
class DiffLine:
    """One line of a unified diff and how to show it (add, remove, hunk, same)."""

    kind: str
    text: str


def unified_diff(old: str, new: str, old_name: str, new_name: str) -> list[DiffLine]:
    """The changes from ``old`` to ``new``, as lines tagged for colouring."""
    lines = difflib.unified_diff(
        old.splitlines(), new.splitlines(), old_name, new_name, lineterm="", n=3
    )
    result = []
    for line in lines:
        if line.startswith(("+++", "---")):
            kind = "head"
        elif line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "remove"
        else:
            kind = "same"
        result.append(DiffLine(kind, line))
    return result


def history_url(path: str, **extra: str | int) -> str:
    """The history page of ``path``."""
    query = "".join(f"&{key}={quote(str(value))}" for key, value in extra.items())
    return f"{PREFIX}/templates/history?path={quote(path)}{query}"


def _version_number(raw: object) -> int:
    try:
        number = int(str(raw))
    except ValueError:
        raise HTTPException(status_code=400, detail="A version is a whole number.") from None
    if number < 1:
        raise HTTPException(status_code=400, detail="Versions count from 1.")
    return number


class TemplateHistoryPages:
    """A template's versions: the list, one version with its diff, restoring one."""

    def __init__(self, web: WebContext) -> None:
        self.web = web

    def routes(self) -> list[BaseRoute]:
        """The routes."""
        return [
            Route("/templates/history", self.history, methods=["GET"]),
            Route("/templates/version", self.version, methods=["GET"]),
            Route("/templates/restore", self.restore, methods=["POST"]),
        ]

    def _source(self, target: TemplateTarget, number: int) -> str:
        with self.web.db.session() as session:
            source = version_source(session, target.path, number)
        if source is None:
            raise HTTPException(status_code=404, detail=f"{target.path} has no version {number}.")
        return source

    async def history(self, request: Request) -> Response:
        """The versions of ``?path=``, newest first."""
        target = template_file(self.web, request.query_params.get("path", ""), must_exist=False)

        def load() -> list[object]:
            with self.web.db.session() as session:
                return list(versions(session, target.path))

        rows = await run_in_threadpool(load)
        if not rows and not target.file.is_file():
            raise HTTPException(status_code=404, detail=f"There is no template {target.path}.")
        return self.web.render(
            request,
            "templates/history.html",
            {
                "template_path": target.path,
                "rows": rows,
                "restored": request.query_params.get("restored", ""),
                "can_edit": signed_in(request).can("marketer"),
            },
        )

    async def version(self, request: Request) -> Response:
        """One version's text, and what changed between it and the file now."""
        target = template_file(self.web, request.query_params.get("path", ""), must_exist=False)
        number = _version_number(request.query_params.get("version", ""))
        source = await run_in_threadpool(self._source, target, number)
        current = await run_in_threadpool(read_text, target.file) if target.file.is_file() else ""
        diff = unified_diff(source, current, f"version {number}", "now")
        return self.web.render(
            request,
            "templates/version.html",
            {
                "template_path": target.path,
                "number": number,
                "source": source,
                "diff": diff,
                "can_edit": signed_in(request).can("marketer"),
            },
        )

    async def restore(self, request: Request) -> Response:
        """Save an old version's text again, as a new version (marketers)."""
        form = await self.web.form(request, role="marketer")
        target = template_file(self.web, str(form.get("path", "")), must_exist=False)
        number = _version_number(form.get("version", ""))
        who = signed_in(request).email
        source = await run_in_threadpool(self._source, target, number)

        def restore() -> int:
            with self.web.db.session() as session, session.begin():
                return save_template(
                    session, target.file, target.path, source, who, f"Restored version {number}"
                )

        new = await run_in_threadpool(restore)
        return RedirectResponse(history_url(target.path, restored=new), status_code=303)
