"""The web app under test: a real ``hookline serve`` process, HTTP clients, and Chromium.

Each ``web`` fixture copies the project's config.toml and templates into a fresh
folder, creates three accounts (admin, marketer, viewer) and starts ``hookline serve``
there on a free port, with the scheduler ticking every second and mail going to the
built-in capture (var/outbox). Browser tests drive Debian's Chromium through
Playwright (``executable_path``; Playwright downloads no browser). Without Chromium
they are skipped, except in CI (``CI`` set), where they fail.

Screenshots go to ``$HOOKLINE_TEST_ARTIFACTS/web/`` (default ``var/test-artifacts``).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from click.testing import CliRunner, Result

from audiences.db import Database
from campaigns.cli import cli
from campaigns.database import open_campaign_database
from campaigns.web.accounts import create_user

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("HOOKLINE_TEST_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("HOOKLINE_TEST_ARTIFACTS", ROOT / "var" / "test-artifacts"))
PASSWORD = "correct horse battery"
ACCOUNTS = {
    "admin": "admin@shop.example",
    "marketer": "marketer@shop.example",
    "viewer": "viewer@shop.example",
}
# As the machine's notes say: without these, Chromium keeps dialling Google.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
HIDDEN_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class WebServer:
    """A running ``hookline serve`` in its own folder."""

    url: str
    workdir: Path
    env: dict[str, str]
    process: subprocess.Popen[str] | None = None
    output: list[str] = field(default_factory=list)

    @property
    def config(self) -> Path:
        """The config file the server runs with."""
        return self.workdir / "config.toml"

    @property
    def outbox(self) -> Path:
        """Where the built-in SMTP capture keeps messages."""
        return self.workdir / "var" / "outbox"

    def cli(self, *args: str, input: str | None = None) -> Result:
        """Run ``hookline ARGS --config CONFIG`` in-process, in the server's folder."""
        cwd = Path.cwd()
        os.chdir(self.workdir)
        try:
            return CliRunner().invoke(
                cli, [*args, "--config", str(self.config)], env=self.env, input=input
            )
        finally:
            os.chdir(cwd)

    def open_db(self) -> Database:
        """The server's database (the caller disposes of its engine)."""
        return open_campaign_database(f"sqlite:///{self.workdir / 'var' / 'hookline.db'}")

    def client(self, role: str = "marketer") -> SignedInClient:
        """An HTTP client signed in with the account of ``role``."""
        return sign_in(self.url, ACCOUNTS[role], PASSWORD)


@dataclass
class SignedInClient:
    """An httpx client with a session cookie, and the session's CSRF token."""

    http: httpx.Client
    csrf: str

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        """GET a path of the app."""
        return self.http.get(path, **kwargs)

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
        """POST a form with the CSRF token."""
        return self.http.post(path, data={"csrf_token": self.csrf, **(data or {})}, **kwargs)

    def htmx_post(self, path: str, data: dict[str, Any] | None = None) -> httpx.Response:
        """POST as htmx does: the token in the header, HX-Request set."""
        return self.http.post(
            path, data=data or {}, headers={"HX-Request": "true", "X-CSRF-Token": self.csrf}
        )


def csrf_of(html: str) -> str:
    """The CSRF token a page carries."""
    match = CSRF_META.search(html) or HIDDEN_CSRF.search(html)
    assert match is not None, "no CSRF token on the page"
    return match.group(1)


def sign_in(url: str, email: str, password: str) -> SignedInClient:
    """Sign in through the login form; the client keeps the cookie."""
    http = httpx.Client(base_url=url, timeout=30, follow_redirects=True)
    form = http.get("/app/login")
    assert form.status_code == 200, form.text
    answer = http.post(
        "/app/login",
        data={"email": email, "password": password, "csrf_token": csrf_of(form.text)},
    )
    assert answer.status_code == 200, answer.text
    home = http.get("/app/")
    assert home.status_code == 200 and str(home.url).endswith("/app/"), home.url
    return SignedInClient(http, csrf_of(home.text))


def prepare_site(workdir: Path) -> None:
    """Copy the config and templates into ``workdir`` and create the three accounts."""
    shutil.copy(ROOT / "config.toml", workdir / "config.toml")
    shutil.copytree(ROOT / "templates", workdir / "templates")
    db = open_campaign_database(f"sqlite:///{workdir / 'var' / 'hookline.db'}")
    try:
        with db.session() as session, session.begin():
            for role, email in ACCOUNTS.items():
                create_user(session, email, PASSWORD, role, role.title())
    finally:
        db.engine.dispose()


def start_server(workdir: Path, *extra: str) -> WebServer:
    """Start ``hookline serve`` in ``workdir`` and wait until it answers."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        "HOOKLINE_SENDING_BASE_URL": url,
        "HOOKLINE_SCHEDULER_TICK_SECONDS": "1",
        "HOOKLINE_CONFIG": str(workdir / "config.toml"),
    }
    server = WebServer(url, workdir, env)
    server.process = subprocess.Popen(
        [sys.executable, "-m", "campaigns.cli", "serve", "--port", str(port), *extra],
        env={**os.environ, **env},
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert server.process.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = server.process.stdout.readline()
        if not line:
            break
        server.output.append(line)
        if line.startswith("Serving http://"):
            return server
    stop_server(server)
    raise AssertionError("hookline serve did not start:\n" + "".join(server.output))


def stop_server(server: WebServer) -> str:
    """SIGTERM the server; returns its stderr (which must hold no traceback)."""
    process = server.process
    if process is None:
        return ""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    return err


@pytest.fixture
def web(tmp_path: Path) -> Iterator[WebServer]:
    """A fresh ``hookline serve`` with three accounts (see ACCOUNTS; password PASSWORD)."""
    workdir = tmp_path / "site"
    (workdir / "var").mkdir(parents=True)
    prepare_site(workdir)
    server = start_server(workdir)
    try:
        yield server
    finally:
        err = stop_server(server)
        assert "Traceback" not in err, err


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright."""
    if not Path(CHROMIUM).is_file():
        reason = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"browser tests need Chromium in CI: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


class Screens:
    """Screenshots of one test, numbered in the order taken."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    def shot(self, page: Page, name: str) -> Path:
        """Save a full-page PNG of ``page`` as NN-NAME.png."""
        self.count += 1
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{self.count:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def screens(request: pytest.FixtureRequest) -> Screens:
    """Where this test's screenshots go."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    return Screens(ARTIFACTS / "web" / name)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser tab (its own cookies) at desktop size."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()


def log_in(page: Page, server: WebServer, role: str = "marketer") -> None:
    """Sign in through the form, as a person would (keyboard)."""
    page.goto(f"{server.url}/app/login")
    page.get_by_label("Email").fill(ACCOUNTS[role])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url(f"{server.url}/app/")
