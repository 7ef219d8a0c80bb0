"""What ``make run`` gives a newcomer, in Chromium: the first start, then every page.

``hookline serve --demo`` on an empty folder prints a one-time admin password and
loads the demo data. Signing in with that password leads to the password form
first. Then every page of the app, at a phone's width, needs no sideways scrolling,
labels every field, and starts with a "Skip to content" link for the keyboard; each
page is screenshotted at 375 px and at desktop width.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import ROOT, Screens, WebServer, start_server, stop_server

FIRST_START = re.compile(r"First start: sign in to the web app as (\S+) with the password (\S+)")
NEW_PASSWORD = "a new password for the admin"
PAGES = [
    "/app/",
    "/app/templates",
    "/app/templates/edit?path=en/jazz-sale.html.j2",
    "/app/templates/history?path=en/jazz-sale.html.j2",
    "/app/import",
    "/app/contacts",
    "/app/contacts/1",
    "/app/segments",
    "/app/campaigns",
    "/app/campaigns/new",
    "/app/campaigns/jazz-sale",
    "/app/campaigns/jazz-sale/report",
    "/app/outbox",
    "/app/users",
    "/app/account/password",
]
# A form control without a name a screen reader can read: no <label>, no aria-label(ledby).
UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(el => el.type !== 'hidden' && el.offsetParent !== null)
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !el.getAttribute('aria-labelledby'))
  .map(el => el.outerHTML.slice(0, 120))"""


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[WebServer]:
    """``hookline serve --demo`` in a folder with no database: the very first start."""
    workdir = tmp_path / "newcomer"
    workdir.mkdir()
    shutil.copy(ROOT / "config.toml", workdir / "config.toml")
    shutil.copytree(ROOT / "templates", workdir / "templates")
    server = start_server(workdir, "--demo")
    try:
        yield server
    finally:
        err = stop_server(server)
        assert "Traceback" not in err, err


def sign_in_first_time(page: Page, server: WebServer) -> None:
    """Sign in with the printed one-time password, and choose a new one."""
    assert server.process is not None and server.process.stdout is not None
    # The first-start notes follow the "Serving" line.
    said = "".join(server.output)
    while not FIRST_START.search(said):
        line = server.process.stdout.readline()
        assert line, said
        said += line
    match = FIRST_START.search(said)
    assert match is not None
    assert "Demo data: 300 contacts" in said
    email, password = match.groups()
    page.goto(f"{server.url}/app/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/app/account/password$"))
    page.get_by_label("Current password").fill(password)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label(re.compile("^(Repeat|Confirm)")).fill(NEW_PASSWORD)
    page.get_by_role("button", name=re.compile("Change password|Save")).click()
    expect(page).to_have_url(f"{server.url}/app/")


def test_the_first_start_and_every_page_at_a_phone_width(
    demo: WebServer, page: Page, screens: Screens
) -> None:
    sign_in_first_time(page, demo)
    figures = page.locator(".figures")
    expect(figures).to_contain_text("300")
    expect(figures).to_contain_text("4 campaigns")
    problems: dict[str, object] = {}
    for width in (375, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        for path in PAGES:
            response = page.goto(f"{demo.url}{path}")
            assert response is not None and response.status == 200, path
            page.wait_for_load_state("networkidle")
            name = re.sub(r"[^a-z0-9]+", "-", path.removeprefix("/app/")).strip("-") or "home"
            screens.shot(page, f"{width}-{name}")
            if width != 375:
                continue
            if not page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"):
                problems[f"{path}: scrolls sideways"] = page.evaluate(
                    "document.documentElement.scrollWidth"
                )
            unlabelled = page.evaluate(UNLABELLED)
            if unlabelled:
                problems[f"{path}: fields without a label"] = unlabelled
            # The keyboard's first stop is the skip link, and it leads to the content.
            page.keyboard.press("Tab")
            skip = page.get_by_role("link", name="Skip to content")
            expect(skip).to_be_focused()
    assert problems == {}
