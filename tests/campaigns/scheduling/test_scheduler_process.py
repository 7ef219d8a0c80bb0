"""``hookline scheduler`` as a real process: killed before a schedule's time and started
again after it, stopped by signals, and two of them sharing one PostgreSQL database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tests.campaigns.conftest import Hookline
from tests.campaigns.scheduling.helpers import (
    DEADLINE_SECONDS,
    campaign,
    create_jazz,
    iso_in,
    ok,
    received,
    wait_past,
    wait_until,
)
from tests.campaigns.smtp_peer import SmtpPeer


class SchedulerProcess:
    """One ``hookline scheduler`` process, its output in a file."""

    def __init__(self, hookline: Hookline, name: str) -> None:
        self.name = name
        self.log_path = hookline.workdir / f"{name}.log"
        env = {key: value for key, value in os.environ.items() if not key.startswith("HOOKLINE_")}
        env.update(hookline.env)
        env["HOOKLINE_SCHEDULER_TICK_SECONDS"] = "0.5"
        command = [
            sys.executable,
            "-m",
            "campaigns.cli",
            "scheduler",
            "--config",
            str(hookline.config),
        ]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command, env=env, cwd=hookline.workdir, stdout=log, stderr=subprocess.STDOUT
            )

    def log(self) -> str:
        """What the process printed so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, text: str) -> None:
        """Wait until the log shows ``text`` (failing, with the log, if the process exits)."""

        def shown() -> bool:
            if self.process.poll() is not None and text not in self.log():
                raise AssertionError(f"{self.name} exited early:\n{self.log()}")
            return text in self.log()

        wait_until(shown)

    def stop(self, signum: int = signal.SIGTERM) -> int:
        """Send ``signum`` and return the exit status."""
        self.process.send_signal(signum)
        return self.process.wait(timeout=DEADLINE_SECONDS)

    def kill(self) -> None:
        """Kill outright, as a crash or a power cut would."""
        self.process.kill()
        self.process.wait(timeout=DEADLINE_SECONDS)


@pytest.fixture
def processes() -> Iterator[list[SchedulerProcess]]:
    """Started processes, killed if a test leaves one running."""
    started: list[SchedulerProcess] = []
    yield started
    for process in started:
        if process.process.poll() is None:
            process.kill()


def start(hookline: Hookline, name: str, started: list[SchedulerProcess]) -> SchedulerProcess:
    process = SchedulerProcess(hookline, name)
    started.append(process)
    process.wait_for("scheduler started")
    return process


def test_a_schedule_missed_while_the_scheduler_was_down_fires_once_after_a_restart(
    hookline: Hookline, smtp_peer: SmtpPeer, processes: list[SchedulerProcess]
) -> None:
    emails = create_jazz(hookline, people=5)
    first = start(hookline, "first", processes)
    at, instant = iso_in(4)
    ok(hookline.run("campaign", "schedule", "jazz", "--at", at))
    assert datetime.now(UTC) < instant, "the test machine is too slow for this test"
    first.kill()
    assert "fired" not in first.log()
    wait_past(instant)
    assert campaign(hookline, "jazz").state == "draft"
    assert smtp_peer.messages == []

    second = start(hookline, "second", processes)
    wait_until(lambda: campaign(hookline, "jazz").state == "done")
    assert second.stop(signal.SIGTERM) == 0, second.log()
    assert received(smtp_peer) == dict.fromkeys(emails, 1)
    assert {row.state for row in hookline.ledger("jazz").values()} == {"sent"}
    log = second.log()
    assert log.count("fired campaign-") == 1, log
    assert "started jazz: 5 recipient(s) queued" in log
    assert "Traceback" not in log
    assert "scheduler stopped" in log


def test_ctrl_c_stops_the_scheduler_with_status_130(
    sqlite_hookline: Hookline, processes: list[SchedulerProcess]
) -> None:
    process = start(sqlite_hookline, "interrupted", processes)
    assert process.stop(signal.SIGINT) == 130, process.log()
    assert "scheduler stopped" in process.log()


def test_two_schedulers_on_one_database_send_each_message_once(
    postgres_hookline: Hookline, smtp_peer: SmtpPeer, processes: list[SchedulerProcess]
) -> None:
    emails = create_jazz(postgres_hookline, people=40)
    one = start(postgres_hookline, "one", processes)
    two = start(postgres_hookline, "two", processes)
    at, instant = iso_in(3)
    ok(postgres_hookline.run("campaign", "schedule", "jazz", "--at", at))
    wait_past(instant)
    wait_until(lambda: campaign(postgres_hookline, "jazz").state == "done")
    assert one.stop() == 0, one.log()
    assert two.stop() == 0, two.log()
    assert received(smtp_peer) == dict.fromkeys(emails, 1)
    assert len(smtp_peer.messages) == len(emails)
    logs = one.log() + two.log()
    assert "started jazz: 40 recipient(s) queued" in logs
    assert logs.count("started jazz:") == 1, logs
    assert "Traceback" not in logs


def test_the_log_has_a_timestamp_on_each_line(
    sqlite_hookline: Hookline, processes: list[SchedulerProcess]
) -> None:
    process = start(sqlite_hookline, "stamped", processes)
    assert process.stop() == 0
    for line in process.log().splitlines():
        stamp, _, rest = line.partition(" ")
        assert datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ"), line
        assert rest.startswith("hookline scheduler: "), line
