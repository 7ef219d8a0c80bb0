"""``hookline campaign schedule | unschedule | schedules``: when a campaign goes out.

A thin layer over :mod:`campaigns.scheduling.schedules`. The jobs are kept in the
database; `hookline scheduler` (or `hookline serve`) fires them.
"""

from __future__ import annotations

from pathlib import Path

import click

from audiences.command_context import fail
from audiences.terminal import echo_json, text_table
from campaigns.command_context import open_campaigns
from campaigns.command_options import config_option, json_option
from linter.config_file import ConfigError


@click.command("schedule")
@click.argument("name")
@click.option(
    "--at",
    "at",
    metavar="WHEN",
    help="Send once at this ISO 8601 time, e.g. 2026-12-01T09:00+07:00. Without an "
    "offset it is read in --timezone or [audience] timezone.",
)
@click.option(
    "--cron",
    metavar="EXPR",
    help='Send a new copy at every occurrence of a 5-field crontab, e.g. "0 9 * * MON" '
    "(minute hour day month weekday; 0 or 7 is Sunday).",
)
@click.option(
    "--local-time",
    "local_time",
    metavar="HH:MM",
    help="Send so that each recipient gets it at HH:MM in their own time zone "
    "(contacts without one: [audience] timezone).",
)
@click.option(
    "--date",
    "on_date",
    metavar="YYYY-MM-DD",
    help="The date for --local-time (default: the first date on which no time zone "
    "has reached HH:MM yet).",
)
@click.option(
    "--timezone",
    "zone_name",
    metavar="ZONE",
    help="The IANA time zone for --cron, and for an --at time without an offset "
    "(default: [audience] timezone).",
)
@click.option("--force", is_flag=True, help="Schedule although the template has lint errors.")
@click.option("--reason", help="Why the lint gate is overridden (required with --force).")
@config_option
@json_option
def schedule_command(
    name: str,
    at: str | None,
    cron: str | None,
    local_time: str | None,
    on_date: str | None,
    zone_name: str | None,
    force: bool,
    reason: str | None,
    config_path: Path | None,
    as_json: bool,
) -> None:
    """Schedule the draft campaign NAME: once, on a cron schedule, or at a local time.

    \b
    Examples:
      hookline campaign schedule jazz --at 2026-12-01T09:00+07:00
      hookline campaign schedule jazz --at "2026-12-01 09:00"      in [audience] timezone
      hookline campaign schedule weekly --cron "0 9 * * MON" --timezone Europe/Paris
      hookline campaign schedule jazz --local-time 09:00 --date 2026-12-01

    \b
    The lint gate runs now, so a broken template fails at once rather than when the
    schedule fires (override it with --force --reason "why"). Scheduling again
    replaces the schedule; `hookline campaign unschedule NAME` removes it.
    --cron sends, at each occurrence, a new campaign copied from NAME and named
    "NAME YYYY-MM-DD HH:MM"; NAME stays a draft holding the schedule.
    --local-time starts the campaign when the first time zone on Earth reaches HH:MM
    and holds each message until its recipient's HH:MM.
    Nothing is sent unless `hookline scheduler` (or `hookline serve`) runs; a schedule
    missed by more than [scheduler] misfire-grace-seconds is skipped and reported.
    """
    from campaigns.scheduling.schedule_spec import spec_from_options
    from campaigns.scheduling.scheduler_settings import load_scheduler_settings
    from campaigns.scheduling.schedules import schedule_campaign
    from linter.config import load_linter_config

    if force and not reason:
        fail('--force needs --reason "why the lint gate is overridden"')
    with open_campaigns(config_path) as (settings, db):
        try:
            scheduler = load_scheduler_settings(config_path)
        except ConfigError as exc:
            fail(str(exc))
        spec = spec_from_options(
            at, cron, local_time, on_date, zone_name, settings.audience.timezone
        )
        scheduled = schedule_campaign(
            db,
            settings,
            scheduler,
            name,
            spec,
            reason if force else None,
            load_linter_config(config_path),
        )
    if as_json:
        echo_json(scheduled.as_dict())
        return
    verb = "Rescheduled" if scheduled.replaced else "Scheduled"
    click.echo(f"{verb} {name}: {scheduled.description}.")
    info = scheduled.as_dict()
    if info["next_run_at"]:
        local = info["next_run_local"]
        shown = f"{info['next_run_at']}" + (f" ({local})" if local != info["next_run_at"] else "")
        click.echo(f"  fires at {shown}")
    if scheduled.forced:
        click.echo("  lint gate: overridden")
    click.echo("  `hookline scheduler` (or `hookline serve`) must run for it to be sent.")


@click.command("unschedule")
@click.argument("name")
@config_option
def unschedule_command(name: str, config_path: Path | None) -> None:
    """Remove the schedule of campaign NAME; it stays a draft.

    \b
    Example:
      hookline campaign unschedule jazz
    """
    from campaigns.scheduling.schedules import unschedule_campaign

    with open_campaigns(config_path) as (settings, db):
        removed = unschedule_campaign(db, settings, name)
    click.echo(f"Unscheduled {name} (was: {removed}).")


@click.command("schedules")
@config_option
@json_option
def schedules_command(config_path: Path | None, as_json: bool) -> None:
    """List scheduled campaigns with their next run, soonest first.

    \b
    Examples:
      hookline campaign schedules
      hookline campaign schedules --json

    Drafts whose schedule was missed or couldn't start are listed last, with why.
    """
    from campaigns.scheduling.schedules import list_schedules

    with open_campaigns(config_path) as (settings, db):
        rows = list_schedules(db, settings)
    if as_json:
        echo_json(rows)
    elif not rows:
        click.echo("No schedules. Add one with `hookline campaign schedule --help`.")
    else:
        shown = [{**row, "next_run_at": row["next_run_at"] or "-"} for row in rows]
        click.echo(text_table(shown, ("campaign", "next_run_at", "schedule", "status")))
