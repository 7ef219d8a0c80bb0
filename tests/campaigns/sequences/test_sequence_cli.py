"""``hookline sequence``, end to end: the CLI on a real database and a real SMTP peer."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import delete

from audiences.db import Database
from audiences.models import Segment, utcnow
from campaigns.cli import cli
from campaigns.sequences.local_time import local_date
from tests.campaigns.conftest import Hookline
from tests.campaigns.sequences.timeline import (
    REPO,
    SENDER,
    TEMPLATES,
    add_contact,
    confirm,
    deliveries,
    ledger_rows,
)
from tests.campaigns.smtp_peer import SmtpPeer

LINT_ERROR = REPO / "tests" / "fixtures" / "campaigns" / "templates" / "lint-error.html.j2"


def step(days: int, name: str) -> str:
    return f"{days}:{TEMPLATES / name}"


WELCOME_STEPS = (
    "--step",
    step(0, "welcome-1.html.j2"),
    "--step",
    step(3, "welcome-2.html.j2"),
    "--step",
    step(7, "welcome-3.html.j2"),
)


def ok(result: Result) -> Result:
    assert result.exit_code == 0, result.output
    assert result.exception is None, repr(result.exception)
    return result


def as_json(result: Result) -> Any:
    return json.loads(ok(result).stdout)


def one_line_error(result: Result, exit_code: int, *fragments: str) -> str:
    """One line on stderr with every fragment, the exit status, no traceback, no stdout."""
    assert result.exit_code == exit_code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def create_welcome(hookline: Hookline, *extra: str) -> Result:
    return hookline.run(
        "sequence",
        "create",
        "welcome",
        "--trigger",
        "consent",
        *WELCOME_STEPS,
        "--from",
        SENDER,
        *extra,
    )


def test_create_makes_one_sending_campaign_per_step(hookline: Hookline) -> None:
    created = as_json(create_welcome(hookline, "--json"))

    assert created["campaigns"] == ["welcome/1", "welcome/2", "welcome/3"]
    assert created["state"] == "active"
    campaigns = as_json(hookline.run("campaign", "list", "--json"))
    assert {(c["name"], c["state"]) for c in campaigns} == {
        ("welcome/1", "sending"),
        ("welcome/2", "sending"),
        ("welcome/3", "sending"),
    }
    shown = as_json(hookline.run("campaign", "show", "welcome/2", "--json"))
    assert shown["template"].endswith("welcome-2.html.j2")
    assert shown["lint_errors"] == 0


def test_a_yearly_sequence_makes_its_campaigns_when_a_year_needs_them(hookline: Hookline) -> None:
    result = ok(
        hookline.run(
            "sequence",
            "create",
            "birthday",
            "--trigger",
            "birthday",
            "--step",
            step(0, "birthday.html.j2"),
            "--from",
            SENDER,
            "--send-at",
            "10:30",
        )
    )
    assert "birthday/YEAR/STEP" in result.stdout
    assert as_json(hookline.run("campaign", "list", "--json")) == []
    listed = as_json(hookline.run("sequence", "list", "--json"))
    assert listed == [
        {
            "name": "birthday",
            "trigger": "birthday",
            "state": "active",
            "steps": 1,
            "enrolled": 0,
            "sent": 0,
            "segment": "",
        }
    ]
    assert as_json(hookline.run("sequence", "show", "birthday", "--json"))["send_at"] == "10:30"


def test_run_queues_a_new_subscriber_and_campaign_send_delivers_only_them(
    hookline: Hookline, db: Database, peer: SmtpPeer
) -> None:
    add_contact(db, "listed@example.com")  # on the list before the sequence
    ok(create_welcome(hookline))
    add_contact(db, "new@example.com", consent=None)
    confirm(db, "new@example.com", utcnow())

    first = as_json(hookline.run("sequence", "run", "--json"))
    again = as_json(hookline.run("sequence", "run", "--json"))
    ok(hookline.run("campaign", "send", "welcome/1"))

    assert (first["enrolled"], first["queued"]) == (1, 1)
    assert (again["enrolled"], again["queued"]) == (0, 0)
    assert deliveries(peer, db) == {("new@example.com", "welcome/1"): 1}
    shown = as_json(hookline.run("sequence", "show", "welcome", "--json"))
    assert shown["enrolled"] == 1
    assert [(s["position"], s["day"], s["waiting"], s["sent"]) for s in shown["steps"]] == [
        (1, 0, 0, 1),
        (2, 3, 0, 0),
        (3, 7, 0, 0),
    ]
    text = ok(hookline.run("sequence", "show", "welcome")).stdout
    assert "step 1 (day 0):" in text
    assert "welcome/1 (done)" in text


def test_run_at_reads_a_time_without_offset_in_the_audience_zone(
    hookline: Hookline, db: Database
) -> None:
    ok(create_welcome(hookline))
    add_contact(db, "new@example.com", consent=None, timezone="Asia/Ho_Chi_Minh")
    confirmed = utcnow() + timedelta(minutes=1)
    confirm(db, "new@example.com", confirmed)
    enrolled = as_json(
        hookline.run("sequence", "run", "--at", f"{confirmed.isoformat()}Z", "--json")
    )
    assert enrolled["enrolled"] == 1
    day3 = local_date(confirmed, ZoneInfo("Asia/Ho_Chi_Minh")) + timedelta(days=3)

    # Read in [audience] timezone (Asia/Ho_Chi_Minh), 08:59 is a minute early...
    early = as_json(hookline.run("sequence", "run", "--at", f"{day3}T08:59", "--json"))
    assert early["at"] == f"{day3}T01:59:00Z"
    assert ledger_rows(db, "welcome/2") == {}
    # ...and 09:00 is on time.
    ok(hookline.run("sequence", "run", "--at", f"{day3}T09:00"))
    due = datetime.combine(day3, time(2, 0))
    assert ledger_rows(db, "welcome/2") == {"new@example.com": ("queued", due)}


def test_pause_and_resume_the_sequence_and_its_campaigns(hookline: Hookline) -> None:
    ok(create_welcome(hookline))

    assert "now paused" in ok(hookline.run("sequence", "pause", "welcome")).stdout
    campaigns = as_json(hookline.run("campaign", "list", "--json"))
    assert {c["state"] for c in campaigns} == {"paused"}
    one_line_error(hookline.run("sequence", "pause", "welcome"), 2, "is paused")
    report = as_json(hookline.run("sequence", "run", "--json"))
    assert report["sequences"] == []
    assert "now active" in ok(hookline.run("sequence", "resume", "welcome")).stdout
    campaigns = as_json(hookline.run("campaign", "list", "--json"))
    assert {c["state"] for c in campaigns} == {"sending"}


@pytest.mark.parametrize(
    ("arguments", "fragments"),
    [
        (("--trigger", "signup", "--step", step(0, "welcome-1.html.j2")), ("unknown trigger",)),
        (("--trigger", "consent", "--step", "x:welcome.html.j2"), ("DAYS:TEMPLATE",)),
        (("--trigger", "consent", "--step", "0:no/such.html.j2"), ("no such template",)),
        (("--trigger", "consent"), ("at least one --step",)),
        (
            (
                "--trigger",
                "consent",
                "--step",
                step(3, "welcome-2.html.j2"),
                "--step",
                step(0, "welcome-1.html.j2"),
            ),
            ("order of days",),
        ),
        (("--trigger", "consent", "--step", f"0:{LINT_ERROR}"), ("lint gate is closed",)),
        (
            ("--trigger", "consent", "--step", f"0:{LINT_ERROR}", "--force"),
            ("--force needs --reason",),
        ),
        (
            ("--trigger", "birthday", "--step", step(0, "birthday.html.j2"), "--send-at", "9am"),
            ("HH:MM",),
        ),
        (
            ("--trigger", "birthday", "--step", str(REPO / "templates/en/letter.html.j2")),
            ("DAYS:TEMPLATE",),
        ),
        (
            ("--trigger", "birthday", "--step", f"0:{REPO / 'templates/en/letter.html.j2'}"),
            ("is a letter",),
        ),
    ],
)
def test_create_refuses_bad_input_in_one_line(
    hookline: Hookline, arguments: tuple[str, ...], fragments: tuple[str, ...]
) -> None:
    result = hookline.run("sequence", "create", "bad", *arguments, "--from", SENDER)

    one_line_error(result, 2, *fragments)
    assert as_json(hookline.run("sequence", "list", "--json")) == []
    assert as_json(hookline.run("campaign", "list", "--json")) == []


def test_force_with_a_reason_creates_despite_lint_errors(hookline: Hookline) -> None:
    result = hookline.run(
        "sequence",
        "create",
        "forced",
        "--trigger",
        "consent",
        "--step",
        f"0:{LINT_ERROR}",
        "--from",
        SENDER,
        "--force",
        "--reason",
        "legal wording",
        "--json",
    )

    assert as_json(result)["forced_reason"] == "legal wording"
    shown = as_json(hookline.run("campaign", "show", "forced/1", "--json"))
    assert shown["forced_reason"] == "legal wording"
    assert shown["state"] == "sending"


def test_names_are_unique_and_unknown_names_say_how_to_find_them(hookline: Hookline) -> None:
    ok(create_welcome(hookline))

    one_line_error(create_welcome(hookline), 2, "already exists")
    one_line_error(hookline.run("sequence", "show", "nope"), 2, "no sequence named 'nope'")
    one_line_error(hookline.run("sequence", "resume", "nope"), 2, "sequence list")
    one_line_error(hookline.run("sequence", "run", "--at", "soon"), 2, "ISO 8601")


def test_help_teaches_with_examples() -> None:
    for command in ((), ("create",), ("run",)):
        text = ok(CliRunner().invoke(cli, ["sequence", *command, "--help"])).stdout
        assert "hookline sequence" in text, command
    assert "DAYS:TEMPLATE" in CliRunner().invoke(cli, ["sequence", "create", "--help"]).stdout


def test_the_example_templates_pass_the_linter() -> None:
    result = CliRunner().invoke(
        cli, ["lint", str(TEMPLATES), "--no-grammar", "--config", str(REPO / "config.toml")]
    )

    assert result.exit_code == 0, result.output
    assert "All checks passed (5 files)" in result.stdout


def test_the_config_sets_the_default_send_time(hookline: Hookline) -> None:
    hookline.env["HOOKLINE_SEQUENCES_SEND_AT"] = "10:15"
    ok(create_welcome(hookline))
    assert as_json(hookline.run("sequence", "show", "welcome", "--json"))["send_at"] == "10:15"

    hookline.env["HOOKLINE_SEQUENCES_SEND_AT"] = "ten"
    result = hookline.run(
        "sequence",
        "create",
        "other",
        "--trigger",
        "birthday",
        "--step",
        step(0, "birthday.html.j2"),
        "--from",
        SENDER,
    )
    one_line_error(result, 2, "[sequences] send-at")


def test_run_exits_1_and_names_a_sequence_held_back(hookline: Hookline, db: Database) -> None:
    ok(hookline.run("audience", "segment", "save", "hanoi", 'city = "Hanoi"'))
    ok(create_welcome(hookline, "--segment", "@hanoi"))
    with db.engine.begin() as connection:
        connection.execute(delete(Segment))

    result = hookline.run("sequence", "run")

    assert result.exit_code == 1, result.output
    assert "welcome: enrolled 0, queued 0" in result.stdout
    assert result.stderr.startswith("hookline sequence run: welcome: ")
    assert "hanoi" in result.stderr
