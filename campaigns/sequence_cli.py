"""``hookline sequence``: welcome series, birthday and anniversary emails.

A thin layer over :mod:`campaigns.sequences`. Exit status: 0 ok, 1 when a run left
problems (a sequence or step held back), 2 on a usage or input error.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from audiences.command_context import fail
from audiences.terminal import echo_json, progress_bar, text_table
from campaigns.command_context import EXIT_FAILED, open_campaigns
from campaigns.command_options import config_option, json_option
from linter.config import LinterConfig
from linter.config_file import ConfigError


@click.group("sequence")
def sequence_group() -> None:
    """Sequences: emails each contact gets on their own timeline.

    \b
    A sequence starts for a contact when they confirm their subscription (a
    welcome series), on their birthday, or on the anniversary of their first
    purchase, in their own time zone. Each step is a campaign of its own
    (`hookline campaign show welcome/2`), so it has a stored text, the lint
    gate, a send ledger and a report; nobody ever gets a step twice.

    \b
    Start with:
      hookline sequence create welcome --trigger consent \\
          --step 0:templates/sequences/welcome-1.html.j2 \\
          --step 3:templates/sequences/welcome-2.html.j2 \\
          --step 7:templates/sequences/welcome-3.html.j2 \\
          --from "Hookline Records <hi@shop.example.com>"
      hookline sequence create birthday --trigger birthday \\
          --step 0:templates/sequences/birthday.html.j2 --from "Lan <lan@shop.example.com>"
      hookline sequence run          enrol and queue due steps now (cron, or the scheduler)
      hookline sequence show welcome
      hookline worker                send what is queued
    """


def _lint_config(config_path: Path | None) -> LinterConfig:
    from linter.config import load_linter_config

    return load_linter_config(config_path)


@sequence_group.command("create")
@click.argument("name")
@click.option(
    "--trigger",
    required=True,
    help="What starts a contact's timeline: consent (a confirmed opt-in after the "
    "sequence is created), birthday, or anniversary (of the first purchase).",
)
@click.option(
    "--step",
    "steps",
    multiple=True,
    metavar="DAYS:TEMPLATE",
    help="A step: days after the trigger, and the template. Repeat, in order of days.",
)
@click.option("--from", "from_addr", required=True, help='Sender, e.g. "Shop <hi@shop.vn>".')
@click.option("--reply-to", help="Where replies go (default: the sender).")
@click.option(
    "--segment",
    default="",
    help="A segment query (or @NAME) enrolled contacts must match. Empty: everyone.",
)
@click.option(
    "--send-at",
    help="Local time (HH:MM) steps go out, in each contact's time zone "
    "(default: [sequences] send-at, 09:00). Day 0 of a consent series goes at once.",
)
@click.option(
    "--catch-up-days",
    type=int,
    help="A step more than this many days late is not sent (default: [sequences] "
    "catch-up-days, 3).",
)
@click.option("--force", is_flag=True, help="Create although a template has lint errors.")
@click.option("--reason", help="Why the lint gate is overridden (required with --force).")
@config_option
@json_option
def create_command(
    name: str,
    trigger: str,
    steps: tuple[str, ...],
    from_addr: str,
    reply_to: str | None,
    segment: str,
    send_at: str | None,
    catch_up_days: int | None,
    force: bool,
    reason: str | None,
    config_path: Path | None,
    as_json: bool,
) -> None:
    """Create sequence NAME, active at once.

    \b
    Every template is stored with the sequence and linted now: error-level
    findings refuse it, unless --force --reason "why". A consent series enrols
    only contacts who confirm after now; the list you already have gets no welcome.

    \b
    Example:
      hookline sequence create welcome --trigger consent \\
          --step 0:templates/sequences/welcome-1.html.j2 \\
          --step 3:templates/sequences/welcome-2.html.j2 \\
          --from "Hookline Records <hi@shop.example.com>" --segment 'country = "VN"'
    """
    from campaigns.sequences.sequence_store import SequenceError, create_sequence, parse_step
    from campaigns.sequences.settings import load_sequence_settings

    if force and not reason:
        fail('--force needs --reason "why the lint gate is overridden"')
    try:
        defaults = load_sequence_settings(config_path)
    except ConfigError as exc:
        fail(str(exc))
    with open_campaigns(config_path) as (_settings, db):
        specs = [parse_step(spec) for spec in steps]
        if not specs:
            raise SequenceError("a sequence needs at least one --step DAYS:TEMPLATE")
        with db.session() as session, session.begin():
            created = create_sequence(
                session,
                name,
                trigger.strip().lower(),
                specs,
                from_addr,
                reply_to,
                segment,
                send_at or defaults.send_at,
                catch_up_days if catch_up_days is not None else defaults.catch_up_days,
                reason if force else None,
                _lint_config(config_path),
            )
            sequence = created.sequence
            step_lines = [f"day {spec.delay_days}: {spec.template}" for spec in specs]
            summary = {
                "sequence": sequence.name,
                "trigger": sequence.trigger,
                "state": sequence.state,
                "steps": step_lines,
                "campaigns": [campaign.name for campaign in created.campaigns],
                "send_at": sequence.send_at,
                "forced_reason": sequence.forced_reason,
            }
    if as_json:
        echo_json(summary)
        return
    click.echo(f"Created sequence {name} ({sequence.trigger}), active.")
    for position, line in enumerate(step_lines, start=1):
        click.echo(f"  step {position}: {line}")
    if created.campaigns:
        click.echo("  campaigns: " + ", ".join(c.name for c in created.campaigns))
    else:
        click.echo(f"  campaigns: {name}/YEAR/STEP, made each year as contacts are enrolled")
    if sequence.forced_reason:
        click.echo(f"  lint gate overridden: {sequence.forced_reason}")
    click.echo("`hookline sequence run` enrols and queues; the scheduler does it every tick.")


@sequence_group.command("list")
@config_option
@json_option
def list_command(config_path: Path | None, as_json: bool) -> None:
    """List sequences with their trigger, state, steps, enrolled contacts and sends."""
    from campaigns.sequences.sequence_report import enrolled_counts, sent_counts
    from campaigns.sequences.sequence_store import list_sequences, sequence_steps

    with open_campaigns(config_path) as (_settings, db), db.session() as session:
        enrolled = enrolled_counts(session)
        sent = sent_counts(session)
        rows = [
            {
                "name": s.name,
                "trigger": s.trigger,
                "state": s.state,
                "steps": len(sequence_steps(session, s.id)),
                "enrolled": enrolled.get(s.id, 0),
                "sent": sent.get(s.id, 0),
                "segment": s.segment,
            }
            for s in list_sequences(session)
        ]
    if as_json:
        echo_json(rows)
    elif not rows:
        click.echo("No sequences yet. Create one with `hookline sequence create --help`.")
    else:
        click.echo(
            text_table(rows, ("name", "trigger", "state", "steps", "enrolled", "sent", "segment"))
        )


@sequence_group.command("show")
@click.argument("name")
@config_option
@json_option
def show_command(name: str, config_path: Path | None, as_json: bool) -> None:
    """Show a sequence: its steps and campaigns, who is enrolled, and what each step sent."""
    from campaigns.sequences.sequence_report import sequence_summary
    from campaigns.sequences.sequence_store import get_sequence

    with open_campaigns(config_path) as (_settings, db), db.session() as session:
        info = sequence_summary(session, get_sequence(session, name))
    if as_json:
        echo_json(info)
        return
    for key in ("name", "trigger", "state", "segment", "from", "reply_to", "send_at"):
        value = info[key]
        click.echo(f"{key:<12} {value if value not in (None, '') else '-'}")
    click.echo(f"{'catch-up':<12} {info['catch_up_days']} day(s)")
    if info["forced_reason"]:
        click.echo(f"{'lint gate':<12} overridden: {info['forced_reason']}")
    click.echo(f"{'created':<12} {info['created_at']} UTC")
    last_run = info["last_run_at"]
    click.echo(f"{'last run':<12} {last_run + ' UTC' if last_run else 'never'}")
    enrolled = f"{info['enrolled']:,}"
    if info.get("enrolled_by_year"):
        enrolled += " (" + ", ".join(f"{y}: {n:,}" for y, n in info["enrolled_by_year"].items())
        enrolled += ")"
    click.echo(f"{'enrolled':<12} {enrolled}")
    rows = [
        {
            "step": step["position"],
            "day": step["day"],
            "waiting": step["waiting"],
            "sent": step["sent"],
            "bounced": step["bounced"],
            "failed": step["failed"],
            "skipped": step["skipped"],
        }
        for step in info["steps"]
    ]
    click.echo()
    click.echo(text_table(rows, tuple(rows[0]) if rows else ("step",)))
    click.echo()
    for step in info["steps"]:
        campaigns = ", ".join(f"{c['name']} ({c['state']})" for c in step["campaigns"])
        click.echo(
            f"step {step['position']} (day {step['day']}): {step['template']}"
            + (f" -> {campaigns}" if campaigns else "")
        )


def _change_state(name: str, action: str, config_path: Path | None) -> None:
    from campaigns.sequences.sequence_store import get_sequence, set_sequence_state

    with open_campaigns(config_path) as (_settings, db), db.session() as session, session.begin():
        state = set_sequence_state(session, get_sequence(session, name), action)
    click.echo(f"Sequence {name} is now {state}.")


@sequence_group.command("pause")
@click.argument("name")
@config_option
def pause_command(name: str, config_path: Path | None) -> None:
    """Pause a sequence: nobody is enrolled or queued, and queued steps wait.

    Steps whose time passes while paused go out on resume only if they are no more
    than the catch-up window late.
    """
    _change_state(name, "pause", config_path)


@sequence_group.command("resume")
@click.argument("name")
@config_option
def resume_command(name: str, config_path: Path | None) -> None:
    """Resume a paused sequence; the next run enrols and queues again."""
    _change_state(name, "resume", config_path)


def _parse_at(value: str, zone_name: str) -> datetime:
    """An ISO 8601 time as naive UTC; without an offset, it is local to ``zone_name``."""
    from zoneinfo import ZoneInfo

    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        fail(f"--at {value!r}: expected an ISO 8601 time like 2026-12-01T09:00+07:00")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone_name))
    return moment.astimezone(UTC).replace(tzinfo=None)


@sequence_group.command("run")
@click.option(
    "--at",
    "at",
    help="Run as if it were this time (ISO 8601; without an offset, in [audience] "
    "timezone). Default: now.",
)
@config_option
@json_option
def run_command(at: str | None, config_path: Path | None, as_json: bool) -> None:
    """Enrol new contacts and queue every step that is due, once, then exit.

    \b
    The scheduler runs this every tick; run it from cron otherwise, then let
    `hookline worker` (or the scheduler) send what was queued. Running it twice,
    or on two machines at once, never queues a step twice.

    \b
    Examples:
      hookline sequence run
      hookline sequence run --at 2026-12-01T09:00+07:00 --json
    """
    from audiences.models import utcnow
    from campaigns.sequences.runner import run_sequences

    with open_campaigns(config_path) as (settings, db):
        now = _parse_at(at, settings.audience.timezone) if at else utcnow()
        lint_config = _lint_config(config_path)
        with progress_bar("Sequences", unit="rows") as advance:
            report = run_sequences(db, settings, now, lint_config, on_sequence=advance)
    result = {
        "at": now.isoformat(timespec="seconds") + "Z",
        "enrolled": report.enrolled,
        "queued": report.queued,
        "sequences": [
            {"name": r.name, "enrolled": r.enrolled, "queued": r.queued, "problems": r.problems}
            for r in report.sequences
        ],
    }
    if as_json:
        echo_json(result)
    else:
        for run in report.sequences:
            click.echo(f"{run.name}: enrolled {run.enrolled:,}, queued {run.queued:,}")
        if not report.sequences:
            click.echo("No active sequences.")
        click.echo(f"Enrolled {report.enrolled:,} and queued {report.queued:,} at {result['at']}.")
    for problem in report.problems:
        click.echo(f"hookline sequence run: {problem}", err=True)
    if report.problems:
        sys.exit(EXIT_FAILED)
