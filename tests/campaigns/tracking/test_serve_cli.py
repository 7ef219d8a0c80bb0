"""``hookline serve`` as a real process: it prints its URL, serves, and flushes on stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from sqlalchemy import func, select

from audiences.models import Contact
from campaigns.models import CampaignEvent
from campaigns.serve_cli import default_port
from campaigns.settings import campaign_settings_from_mapping
from campaigns.tokens import TokenSigner
from tests.campaigns.conftest import SECRET_KEY, Hookline
from tests.campaigns.people import add_people
from tests.campaigns.smtp_peer import SmtpPeer
from tests.campaigns.tracking.conftest import create_campaign
from tests.campaigns.tracking.test_double_opt_in import confirm_path, parse

OPENS = 150
CLICKS = 150


@contextmanager
def serve_process(
    hookline: Hookline, *, scheduler: bool = False, **env: str
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``hookline serve --no-scheduler --port 0`` as a subprocess, and its URL."""
    command = ["serve", "--port", "0", "--config", str(hookline.config)]
    if not scheduler:
        command.append("--no-scheduler")
    process = subprocess.Popen(
        [sys.executable, "-m", "campaigns.cli", *command],
        env={**os.environ, **hookline.env, **env},
        cwd=hookline.workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("Serving http://127.0.0.1:"), first + process.communicate()[1]
        yield process, first.split()[1]
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def event_count(hookline: Hookline) -> int:
    db = hookline.open_db()
    try:
        with db.engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(CampaignEvent)) or 0)
    finally:
        db.engine.dispose()


@pytest.mark.parametrize(("stop", "status"), [(signal.SIGTERM, 0), (signal.SIGINT, 130)])
def test_stopping_the_server_writes_every_queued_event(
    hookline: Hookline, stop: signal.Signals, status: int
) -> None:
    db = hookline.open_db()
    try:
        add_people(db, 3)
    finally:
        db.engine.dispose()
    create_campaign(hookline, "jazz")
    assert hookline.start("jazz") == 3
    rows = [row.id for row in hookline.ledger("jazz").values()]
    signer = TokenSigner(SECRET_KEY)
    # A flush interval of an hour: nothing is written until the server stops.
    with serve_process(
        hookline, HOOKLINE_TRACKING_FLUSH_INTERVAL="3600", HOOKLINE_TRACKING_FLUSH_BATCH="100000"
    ) as (process, url):
        with httpx.Client(base_url=url) as client:
            for i in range(OPENS):
                token = signer.recipient_token("open", rows[i % 3])
                assert client.get(f"/t/o/{token}").status_code == 200
            for i in range(CLICKS):
                token = signer.click_token(rows[i % 3], f"https://shop.example.com/{i}")
                assert client.get(f"/t/c/{token}").status_code == 302
        assert event_count(hookline) == 0
        process.send_signal(stop)
        out, err = process.communicate(timeout=60)
    assert process.returncode == status, err
    assert f"Stopped; {OPENS + CLICKS:,} open(s) and click(s) recorded." in out
    assert "Traceback" not in err
    assert event_count(hookline) == OPENS + CLICKS


def test_a_busy_port_is_one_line_and_exit_2(hookline: Hookline) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = hookline.run("serve", "--no-scheduler", "--port", str(port))
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert f"cannot listen on 127.0.0.1:{port}" in lines[0]


def test_the_default_port_is_the_base_urls_when_it_is_loopback() -> None:
    def port_for(base_url: str) -> int:
        return default_port(campaign_settings_from_mapping({"sending": {"base-url": base_url}}, {}))

    assert port_for("http://127.0.0.1:8123") == 8123
    assert port_for("http://localhost:9000/") == 9000
    assert port_for("http://[::1]:8124") == 8124
    assert port_for("http://127.0.0.1") == 8025
    assert port_for("https://hooks.example.com:8443") == 8025


def test_serve_help_teaches_with_examples(hookline: Hookline) -> None:
    result = hookline.run("serve", "--help")
    assert result.exit_code == 0
    assert "hookline serve --no-scheduler --port 0" in result.output
    assert "/t/o/TOKEN" in result.output


def test_a_signup_is_confirmed_through_the_served_process(
    hookline: Hookline, smtp_peer: SmtpPeer
) -> None:
    with serve_process(hookline) as (process, url), httpx.Client(base_url=url) as client:
        assert client.post("/subscribe", data={"email": "mai@example.org"}).status_code == 200
        assert contacts(hookline) == 0
        [(_sender, recipients, content)] = smtp_peer.messages
        assert recipients == ["mai@example.org"]
        path = confirm_path(parse(content))
        assert client.post(path).status_code == 200
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=60)
    assert process.returncode == 0
    assert contacts(hookline) == 1


def contacts(hookline: Hookline) -> int:
    db = hookline.open_db()
    try:
        with db.engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(Contact)) or 0)
    finally:
        db.engine.dispose()


def test_the_scheduler_runs_inside_serve_and_stops_with_it(hookline: Hookline) -> None:
    with serve_process(hookline, scheduler=True) as (process, url):
        assert httpx.get(f"{url}/healthz").text == "ok"
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "scheduler started" in err
    assert "scheduler stopped" in err
