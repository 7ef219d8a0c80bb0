"""Ctrl-C during `campaign send` stops cleanly, and running it again finishes the job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from audiences.db import Database
from campaigns.models import Recipient
from tests.campaigns.conftest import Hookline
from tests.campaigns.people import add_people
from tests.campaigns.smtp_peer import SmtpPeer
from tests.campaigns.test_sending_faults import JAZZ, create

REPO = Path(__file__).resolve().parents[2]


def _sent(db: Database) -> int:
    with db.engine.connect() as connection:
        count = connection.scalar(select(func.count()).where(Recipient.state == "sent"))
    return int(count or 0)


def test_an_interrupted_send_exits_130_and_a_second_run_sends_the_rest_once(
    sqlite_hookline: Hookline, smtp_peer: SmtpPeer
) -> None:
    hookline = sqlite_hookline
    db = hookline.open_db()
    emails = add_people(db, 300)
    create(hookline, "jazz", JAZZ)
    env = {key: value for key, value in os.environ.items() if not key.startswith("HOOKLINE_")}
    env.update(hookline.env)
    env["HOOKLINE_SMTP_RATE_PER_SECOND"] = "100"  # about three seconds for everyone
    arguments = ["hookline", "campaign", "send", "jazz", "--config", str(hookline.config)]
    # A runner may start the tests with SIGINT ignored, which children inherit; a user's
    # terminal doesn't, so the child restores Python's usual Ctrl-C handling first.
    command = [
        sys.executable,
        "-c",
        "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
        f"sys.argv = {arguments!r}; runpy.run_module('campaigns.cli', run_name='__main__')",
    ]
    process = subprocess.Popen(
        command,
        env=env,
        cwd=hookline.workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while _sent(db) < 20 and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()

    assert process.returncode == 130
    assert b"Interrupted. Run `hookline campaign send jazz` again to resume." in stderr
    assert b"Traceback" not in stderr
    with db.engine.connect() as connection:
        rows = connection.execute(select(Recipient.state, func.count()).group_by(Recipient.state))
        states = {state: count for state, count in rows}
    assert states.get("sending", 0) == 0
    assert 20 <= states["sent"] < 300

    result = hookline.run("campaign", "send", "jazz")

    assert result.exit_code == 0, result.output
    assert _sent(db) == 300
    received = Counter(rcpt for _, rcpts, _ in smtp_peer.messages for rcpt in rcpts)
    assert received == Counter(dict.fromkeys(emails, 1))
    db.engine.dispose()
