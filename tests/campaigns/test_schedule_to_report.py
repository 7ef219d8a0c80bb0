"""The whole loop of issue 5 over real sockets: schedule, restart, send, track, report.

A campaign is scheduled a few seconds ahead. ``hookline serve`` (endpoints and
scheduler in one process) is started and stopped before that time, then started
again after it: the missed job fires once into the SMTP peer. The pixel and a link of
a received message are fetched over HTTP, a forged token records nothing, and the
message's one-click unsubscribe link makes the contact unsendable in the next
campaign. The report counts exactly that.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from typing import Any

import httpx
import pytest

from tests.campaigns.conftest import Hookline
from tests.campaigns.scheduling.helpers import create_jazz, iso_in, ok, wait_past, wait_until
from tests.campaigns.smtp_peer import SmtpPeer

PEOPLE = 3


def free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def loop(plain_hookline: Hookline, plain_smtp_peer: SmtpPeer) -> tuple[Hookline, SmtpPeer, str]:
    """The CLI on each database, a plain SMTP peer, and the base URL serve listens on."""
    base_url = f"http://127.0.0.1:{free_port()}"
    plain_hookline.env["HOOKLINE_SENDING_BASE_URL"] = base_url
    plain_hookline.env["HOOKLINE_SCHEDULER_TICK_SECONDS"] = "1"
    return plain_hookline, plain_smtp_peer, base_url


@contextmanager
def serving(hookline: Hookline) -> Iterator[subprocess.Popen[str]]:
    """``hookline serve`` with its scheduler, on the base URL's port; SIGTERM after."""
    process = subprocess.Popen(
        [sys.executable, "-m", "campaigns.cli", "serve", "--config", str(hookline.config)],
        env={**os.environ, **hookline.env},
        cwd=hookline.workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("Serving http://127.0.0.1:"), first + process.communicate()[1]
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            _, err = process.communicate(timeout=60)
            assert process.returncode == 0, err
            assert "Traceback" not in err


def parsed(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def html_of(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    assert part is not None
    content = part.get_content()
    assert isinstance(content, str)
    return content


def report(hookline: Hookline, name: str) -> dict[str, Any]:
    data = json.loads(ok(hookline.run("campaign", "report", name, "--json")).output)
    assert isinstance(data, dict)
    return data


def test_a_scheduled_campaign_fires_once_after_a_restart_and_its_responses_are_reported(
    loop: tuple[Hookline, SmtpPeer, str],
) -> None:
    hookline, peer, base_url = loop
    emails = create_jazz(hookline, PEOPLE)
    when_text, when = iso_in(8)
    ok(hookline.run("campaign", "schedule", "jazz", "--at", when_text))

    # Up and down before the time: nothing is sent.
    with serving(hookline):
        assert httpx.get(f"{base_url}/healthz").text == "ok"
    assert peer.messages == []

    wait_past(when, margin=1.0)
    with serving(hookline):
        wait_until(lambda: len(peer.messages) >= PEOPLE)
        time.sleep(2.5)  # two more scheduler ticks: a second firing would show now
        received = list(peer.messages)
        assert Counter(rcpt for _, rcpts, _ in received for rcpt in rcpts) == Counter(emails)

        message = parsed(received[0][2])
        html = html_of(message)
        pixel = re.search(rf'src="({re.escape(base_url)}/t/o/[^"]+)"', html)
        link = re.search(rf'href="({re.escape(base_url)}/t/c/[^"]+)"', html)
        assert pixel is not None and link is not None
        with httpx.Client() as client:
            opened = client.get(pixel.group(1))
            assert opened.status_code == 200
            assert opened.headers["content-type"] == "image/gif"
            clicked = client.get(link.group(1))
            assert clicked.status_code == 302
            assert clicked.headers["location"].startswith("http")
            # A forged click token (one character of the signature changed) is a 404.
            forged = link.group(1)[:-1] + ("A" if link.group(1)[-1] != "A" else "B")
            assert client.get(forged).status_code == 404
            assert client.get(f"{base_url}/t/o/1.AAAAAAAAAAAAAAAAAAAAAA").status_code == 404

            unsubscribe = re.search(r"<(http[^>]+/u/[^>]+)>", str(message["List-Unsubscribe"]))
            assert unsubscribe is not None
            done = client.post(unsubscribe.group(1), content=b"List-Unsubscribe=One-Click")
            assert done.status_code == 200
    unsubscribed = message["To"].addresses[0].addr_spec

    figures = report(hookline, "jazz")
    assert figures["recipients"] == PEOPLE
    assert figures["sent"] == PEOPLE
    assert (figures["opens"], figures["unique_opens"]) == (1, 1)
    assert (figures["clicks"], figures["unique_clicks"]) == (1, 1)
    assert figures["unsubscribes"] == 1

    # The next campaign's audience no longer holds the contact who unsubscribed.
    create_jazz(hookline, 0, name="next")
    assert hookline.start("next") == PEOPLE - 1
    assert unsubscribed in emails
    assert unsubscribed not in hookline.ledger("next")
