"""A viewer can change nothing: every unsafe route of the running app answers 403.

The routes come from the app itself (``page_routes``), so a page added later is
covered without touching this test. The request carries a valid CSRF token, so the
403 is the role check, not the token check; the database and the templates folder
must be exactly as before.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator

import pytest
from sqlalchemy import inspect, text
from starlette.routing import BaseRoute, Mount, Route

from campaigns.settings import load_campaign_settings
from campaigns.web.app import page_routes
from campaigns.web.context import PREFIX, WebContext
from campaigns.web.web_settings import load_web_settings
from tests.web.conftest import WebServer

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
# Any account may sign out, and change its own password (sent empty here: refused as 400).
ALLOWED_FOR_VIEWERS = {"/app/logout": 303, "/app/account/password": 400}
# POSTs that only compute from the body and store nothing (lint, previews, counts):
# viewers see everything, so they may use them. Each must still change nothing (the
# snapshot) and answer without a server error.
READ_ONLY_POSTS = frozenset(
    {
        "/app/templates/lint",
        "/app/templates/preview",
        "/app/templates/preview.pdf",
        "/app/segments/preview",
    }
)
CHECKSUMMED = ("campaigns", "contacts", "segments", "template_versions", "web_users")
PARAM = re.compile(r"\{(\w+)(?::(\w+))?\}")
DUMMY_BY_CONVERTOR = {
    "int": "1",
    "float": "1",
    "path": "x",
    "uuid": "00000000-0000-0000-0000-000000000000",
}
# Names that exist in a fresh server's folder, so a handler can't answer 404 first.
REAL_VALUES = {"path": "en/jazz-sale.html.j2"}


def unsafe_routes(routes: list[BaseRoute], prefix: str = PREFIX) -> Iterator[tuple[str, str]]:
    """(method, path template) of every route, inside mounts too, taking a change."""
    for route in routes:
        if isinstance(route, Mount):
            yield from unsafe_routes(list(route.routes), prefix + route.path)
        elif isinstance(route, Route):
            for method in sorted(set(route.methods or ()) & set(UNSAFE)):
                yield method, prefix + route.path


def fill(path: str) -> str:
    """The path with each {param} replaced by a real or dummy value."""

    def value(match: re.Match[str]) -> str:
        name, convertor = match.group(1), match.group(2) or "str"
        return REAL_VALUES.get(name) or DUMMY_BY_CONVERTOR.get(convertor, "x")

    return PARAM.sub(value, path)


def snapshot(web: WebServer) -> dict[str, object]:
    """Row counts of every table, checksums of the key ones, and the templates folder."""
    state: dict[str, object] = {}
    db = web.open_db()
    try:
        tables = inspect(db.engine).get_table_names()
        with db.engine.connect() as connection:
            for table in tables:
                state[f"count:{table}"] = connection.execute(
                    text(f'SELECT count(*) FROM "{table}"')
                ).scalar_one()
            for table in CHECKSUMMED:
                assert table in tables, table
                rows = connection.execute(text(f'SELECT * FROM "{table}" ORDER BY 1')).all()
                state[f"sum:{table}"] = hashlib.sha256(repr(rows).encode()).hexdigest()
    finally:
        db.engine.dispose()
    folder = hashlib.sha256()
    templates = web.workdir / "templates"
    for path in sorted(templates.rglob("*")):
        folder.update(str(path.relative_to(templates)).encode())
        if path.is_file():
            folder.update(path.read_bytes())
    state["templates"] = folder.hexdigest()
    return state


def app_routes(web: WebServer, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """The running app's unsafe routes, built as ``hookline serve`` builds them."""
    monkeypatch.chdir(web.workdir)
    for key, value in web.env.items():
        monkeypatch.setenv(key, value)
    db = web.open_db()
    try:
        context = WebContext(
            load_campaign_settings(web.config), db, load_web_settings(web.config), web.config
        )
        return sorted(set(unsafe_routes(page_routes(context))))
    finally:
        db.engine.dispose()


def test_viewer_gets_403_on_every_change_and_nothing_changes(
    web: WebServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    routes = app_routes(web, monkeypatch)
    assert ("POST", "/app/users") in routes
    assert ("POST", "/app/users/{user_id:int}/disable") in routes
    viewer = web.client("viewer")
    before = snapshot(web)
    answers: dict[str, int] = {}
    for method, template in routes:
        path = fill(template)
        if path == "/app/logout":
            continue
        for headers in ({}, {"HX-Request": "true", "X-CSRF-Token": viewer.csrf}):
            answer = viewer.http.request(
                method,
                path,
                data={"csrf_token": viewer.csrf},
                headers=headers,
                follow_redirects=False,
            )
            answers[f"{method} {template}{' (htmx)' if headers else ''}"] = answer.status_code
    wrong = {}
    for key, status in answers.items():
        template = key.split()[1]
        if template in READ_ONLY_POSTS:
            if status >= 500:
                wrong[key] = status
        elif status != ALLOWED_FOR_VIEWERS.get(template, 403):
            wrong[key] = status
    assert wrong == {}, f"routes a viewer was not refused: {wrong}"
    assert snapshot(web) == before
    # The session survived it all, and signing out still works for a viewer.
    assert viewer.get("/app/", follow_redirects=False).status_code == 200
    assert viewer.post("/app/logout", follow_redirects=False).status_code == 303
    # The snapshot would have seen a change: a role, or a byte in a template.
    admin = web.client("admin")
    assert admin.post("/app/users/3/role", data={"role": "marketer"}).status_code == 200
    changed = snapshot(web)
    assert changed != before
    template = next((web.workdir / "templates").rglob("*.j2"))
    template.write_text(template.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert snapshot(web)["templates"] != changed["templates"]


def test_fill_puts_values_in_every_parameter() -> None:
    assert fill("/app/users/{user_id:int}/role") == "/app/users/1/role"
    assert fill("/app/templates/{path:path}/save") == "/app/templates/en/jazz-sale.html.j2/save"
    assert fill("/app/campaigns/{name}/send") == "/app/campaigns/x/send"
    assert list(
        unsafe_routes([Mount("/m", routes=[Route("/a", lambda r: None, methods=["PUT"])])])
    ) == [("PUT", "/app/m/a")]
