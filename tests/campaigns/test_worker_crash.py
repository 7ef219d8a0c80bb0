"""Two ``hookline worker`` processes sharing a campaign, one of them killed mid-send.

The ledger's promise (campaigns.ledger): a worker killed outright loses no message,
and resends at most one per SMTP connection it had, once its lease has expired. Each
worker stamps its own Message-ID domain, so the peer can tell who sent what.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from campaigns.models import Campaign, Recipient
from tests.campaigns.conftest import Hookline
from tests.campaigns.people import add_people
from tests.campaigns.smtp_peer import SmtpPeer

REPO = Path(__file__).resolve().parents[2]
JAZZ = REPO / "templates" / "en" / "jazz-sale.html.j2"
SENDER = "Jazz Shop <news@shop.example.com>"
CONTACTS = 400
CONNECTIONS = 2
# Long enough for both workers to start, yet only for a test gone badly wrong.
DEADLINE_SECONDS = 120
MESSAGE_ID = re.compile(rb"^Message-ID: <[^@>]+@([^>]+)>", re.MULTILINE | re.IGNORECASE)


@dataclass
class Worker:
    """One ``hookline worker`` process and where its output goes."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path
    # The worker's Message-ID domain: which worker sent a message.
    domain: str

    def output(self) -> str:
        return f"--- {self.name} (exit {self.process.poll()}):\n" + self.log.read_text(
            encoding="utf-8", errors="replace"
        )


class Workers:
    """Starts ``hookline worker --campaign jazz --until-done`` processes."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.started: list[Worker] = []

    def start(self, hookline: Hookline, name: str) -> Worker:
        """One worker with two SMTP connections, 100 messages a second and 2-second leases."""
        domain = f"{name}.hooks.example.com"
        env = {key: value for key, value in os.environ.items() if not key.startswith("HOOKLINE_")}
        env.update(hookline.env)
        env.update(
            {
                "HOOKLINE_SENDING_LEASE_SECONDS": "2",
                "HOOKLINE_SMTP_RATE_PER_SECOND": "100",
                "HOOKLINE_SMTP_CONNECTIONS": str(CONNECTIONS),
                "HOOKLINE_SENDING_MESSAGE_ID_DOMAIN": domain,
            }
        )
        command = [
            sys.executable,
            "-m",
            "campaigns.cli",
            "worker",
            "--campaign",
            "jazz",
            "--until-done",
            "--config",
            str(hookline.config),
        ]
        log = self.folder / f"{name}.log"
        with log.open("wb") as handle:
            process = subprocess.Popen(
                command, env=env, cwd=hookline.workdir, stdout=handle, stderr=subprocess.STDOUT
            )
        worker = Worker(name, process, log, domain)
        self.started.append(worker)
        return worker


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Workers]:
    """Worker processes for the test; any still running afterwards are killed."""
    pool = Workers(tmp_path)
    yield pool
    for worker in pool.started:
        if worker.process.poll() is None:
            worker.process.kill()
            worker.process.wait()


def prepare_campaign(hookline: Hookline) -> list[str]:
    """400 contacts and the jazz campaign, started (snapshot taken) but not sent."""
    db = hookline.open_db()
    try:
        emails = add_people(db, CONTACTS)
    finally:
        db.engine.dispose()
    created = hookline.run("campaign", "create", "jazz", "--template", str(JAZZ), "--from", SENDER)
    assert created.exit_code == 0, created.output
    assert hookline.start("jazz") == CONTACTS
    return emails


def sent_count(hookline: Hookline) -> int:
    db = hookline.open_db()
    try:
        with db.engine.connect() as connection:
            return int(
                connection.scalar(select(func.count()).where(Recipient.state == "sent")) or 0
            )
    finally:
        db.engine.dispose()


def campaign_state(hookline: Hookline) -> str | None:
    db = hookline.open_db()
    try:
        with db.engine.connect() as connection:
            return connection.scalar(select(Campaign.state).where(Campaign.name == "jazz"))
    finally:
        db.engine.dispose()


def sender_domains(peer: SmtpPeer) -> list[tuple[str, str]]:
    """(envelope recipient, Message-ID domain) of every accepted message."""
    found: list[tuple[str, str]] = []
    for _sender, rcpts, content in peer.messages:
        match = MESSAGE_ID.search(content)
        assert match is not None, content[:500]
        found.extend((rcpt, match.group(1).decode()) for rcpt in rcpts)
    return found


def wait_for_exit(worker: Worker, *others: Worker) -> int:
    try:
        return worker.process.wait(timeout=DEADLINE_SECONDS)
    except subprocess.TimeoutExpired:
        pytest.fail(
            "the worker did not finish the campaign:\n"
            + "\n".join(w.output() for w in (worker, *others))
        )


def test_a_killed_worker_loses_no_message_and_resends_at_most_one_per_connection(
    postgres_hookline: Hookline, smtp_peer: SmtpPeer, workers: Workers
) -> None:
    hookline = postgres_hookline
    emails = prepare_campaign(hookline)
    victim = workers.start(hookline, "victim")
    survivor = workers.start(hookline, "survivor")

    # Kill the victim once the ledger shows progress and the victim has delivered some.
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        by_victim = sum(1 for _, domain in sender_domains(smtp_peer) if domain == victim.domain)
        if by_victim >= 10 and sent_count(hookline) >= 20:
            break
        if victim.process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(
                "the victim never got going:\n" + victim.output() + "\n" + survivor.output()
            )
        time.sleep(0.02)
    os.kill(victim.process.pid, signal.SIGKILL)
    victim.process.wait()
    exit_code = wait_for_exit(survivor, victim)

    delivered = sender_domains(smtp_peer)
    per_recipient = Counter(rcpt for rcpt, _ in delivered)
    duplicates = {rcpt: n for rcpt, n in per_recipient.items() if n > 1}
    senders = Counter(domain for _, domain in delivered)
    assert exit_code == 0, survivor.output()
    assert set(per_recipient) == set(emails), "a recipient got nothing"
    assert sum(n - 1 for n in duplicates.values()) <= CONNECTIONS, duplicates
    # A resend is of a message the victim had in flight: one copy from each worker.
    for rcpt in duplicates:
        assert sorted(d for r, d in delivered if r == rcpt) == [survivor.domain, victim.domain]
    assert senders[victim.domain] >= 10
    assert senders[survivor.domain] >= 1
    assert set(senders) == {victim.domain, survivor.domain}
    states = {row.state for row in hookline.ledger("jazz").values()}
    assert states == {"sent"}
    assert sent_count(hookline) == CONTACTS
    assert campaign_state(hookline) == "done"


def test_two_workers_on_one_sqlite_file_send_each_recipient_exactly_one_message(
    sqlite_hookline: Hookline, smtp_peer: SmtpPeer, workers: Workers
) -> None:
    hookline = sqlite_hookline
    emails = prepare_campaign(hookline)
    first = workers.start(hookline, "first")
    second = workers.start(hookline, "second")

    exit_codes = (wait_for_exit(first, second), wait_for_exit(second, first))

    delivered = sender_domains(smtp_peer)
    assert exit_codes == (0, 0), first.output() + second.output()
    assert Counter(rcpt for rcpt, _ in delivered) == Counter(emails)
    assert {domain for _, domain in delivered} == {first.domain, second.domain}
    assert {row.state for row in hookline.ledger("jazz").values()} == {"sent"}
    assert campaign_state(hookline) == "done"
