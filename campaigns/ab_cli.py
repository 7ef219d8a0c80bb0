"""``hookline campaign ab``: set, remove, show and decide a campaign's A/B subject test.

A thin layer over :mod:`campaigns.ab_test`. Exit status: 0 ok, 1 when subject B has
error-level lint findings (nothing is saved), 2 on a usage or input error.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from audiences.terminal import echo_json
from campaigns.command_context import EXIT_FAILED, open_campaigns

if TYPE_CHECKING:
    from audiences.db import Database
    from campaigns.models import Campaign
    from linter.model import Finding


@click.command("ab")
@click.argument("name")
@click.option(
    "--subject-b",
    help="Subject B, Jinja like the front matter's subject: "
    '"{{ first_name }}, free delivery on jazz CDs".',
)
@click.option(
    "--share",
    metavar="PERCENT",
    help="Share of the audience in the test, split evenly between A and B [default: 20%].",
)
@click.option(
    "--measure",
    metavar="opens|clicks",
    help="What picks the winner: unique opens or unique clicks per message sent [default: opens].",
)
@click.option(
    "--wait",
    metavar="DURATION",
    help="From the start of the send to the decision: 30m, 4h, 1d, 1h30m [default: 4h].",
)
@click.option("--off", is_flag=True, help="Remove the test from a draft.")
@click.option("--decide-now", is_flag=True, help="Pick the winner now, before the decide time.")
@click.option("--force", is_flag=True, help="Set subject B although it has lint errors.")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    help="Config file (default: ./config.toml or $HOOKLINE_CONFIG).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def ab_command(
    name: str,
    subject_b: str | None,
    share: str | None,
    measure: str | None,
    wait: str | None,
    off: bool,
    decide_now: bool,
    force: bool,
    config_path: Path | None,
    as_json: bool,
) -> None:
    """Test a second subject line on part of the audience; the rest gets the winner.

    \b
    When the send starts, SHARE of the audience is drawn at random and split
    evenly: half gets the template's subject (A), half gets subject B, and everyone
    else is held. After WAIT, the subject with the higher rate of unique opens (or
    clicks) per message sent wins (a tie goes to A), and the held recipients are
    sent the winner by `hookline scheduler` (or `hookline serve`), or by running
    `hookline campaign send NAME` again. Subject B is linted with the subject rules.

    \b
    Examples:
      hookline campaign ab jazz --subject-b "{{ first_name }}, free delivery on jazz CDs"
      hookline campaign ab jazz --subject-b "Jazz CDs at 60% off" --share 30% \\
          --measure clicks --wait 1d
      hookline campaign ab jazz --wait 2h        change a setting of the test
      hookline campaign ab jazz                  show the test and its figures
      hookline campaign ab jazz --decide-now     pick the winner now
      hookline campaign ab jazz --off            remove the test (drafts only)
    """
    changes = subject_b is not None or share is not None or measure is not None or wait is not None
    if sum((changes, off, decide_now)) > 1:
        raise click.UsageError("use one of: setting the test, --off, --decide-now")
    if force and not changes:
        raise click.UsageError("--force goes with --subject-b")
    with open_campaigns(config_path) as (_settings, db):
        if off:
            _remove(db, name, as_json)
        elif decide_now:
            _decide_now(db, name, as_json)
        elif changes:
            _set(db, name, subject_b, share, measure, wait, force, config_path, as_json)
        else:
            _show(db, name, as_json)


def _set(
    db: Database,
    name: str,
    subject_b: str | None,
    share: str | None,
    measure: str | None,
    wait: str | None,
    force: bool,
    config_path: Path | None,
    as_json: bool,
) -> None:
    from campaigns import ab_test
    from campaigns.campaign_store import get_campaign
    from linter.config import load_linter_config

    with db.session() as session, session.begin():
        campaign = get_campaign(session, name)
        plan = ab_test.merge_plan(ab_test.current_plan(campaign), subject_b, share, measure, wait)
        try:
            findings = ab_test.set_test(campaign, plan, load_linter_config(config_path), force)
        except ab_test.SubjectLintError as exc:
            for finding in exc.findings:
                click.echo(_finding_line(finding), err=True)
            click.echo(f"hookline campaign ab: {exc}", err=True)
            sys.exit(EXIT_FAILED)
    summary = {
        "campaign": name,
        "subject_b": plan.subject_b,
        "share": plan.share,
        "measure": plan.measure,
        "wait_seconds": plan.wait_seconds,
        "findings": [finding.to_dict() for finding in findings],
    }
    if as_json:
        echo_json(summary)
        return
    from campaigns.ab_testing.summary import describe_share, describe_wait

    click.echo(
        f"A/B test set on {name}: {describe_share(plan.share)} of the audience split "
        f"between subjects A and B, the winner by {plan.measure} after "
        f"{describe_wait(plan.wait_seconds)}."
    )
    click.echo(f"  subject B: {plan.subject_b}")
    for finding in findings:
        click.echo("  " + _finding_line(finding))
    if not findings:
        click.echo("  lint: no findings on subject B")


def _finding_line(finding: Finding) -> str:
    return f"subject B: {finding.code} [{finding.severity}] {finding.message} ({finding.name})"


def _remove(db: Database, name: str, as_json: bool) -> None:
    from campaigns import ab_test
    from campaigns.campaign_store import get_campaign

    with db.session() as session, session.begin():
        had = ab_test.remove_test(get_campaign(session, name))
    if as_json:
        echo_json({"campaign": name, "removed": had})
    elif had:
        click.echo(f"Removed the A/B test from {name}; it sends the template's subject to all.")
    else:
        click.echo(f"{name} had no A/B test.")


def _decide_now(db: Database, name: str, as_json: bool) -> None:
    from audiences.models import utcnow
    from campaigns import ab_test
    from campaigns.campaign_store import get_campaign

    with db.session() as session:
        campaign = get_campaign(session, name)
    with db.engine.begin() as connection:
        decision = ab_test.decide(connection, campaign.id, utcnow(), early=True)
    if decision is None:
        raise ab_test.AbTestError(_why_undecidable(campaign))
    if as_json:
        with db.session() as session:
            campaign = get_campaign(session, name)
            summary = ab_test.ab_summary(session.connection(), campaign)
        echo_json({"campaign": name, "released": decision.released, "ab_test": summary})
        return
    arms = decision.arms
    rates = ", ".join(
        f"{variant.upper()} {float(arms[variant].rate(decision.measure)):.1%} "
        f"of {arms[variant].sent:,} sent"
        for variant in ("a", "b")
    )
    click.echo(f"Subject {decision.winner.upper()} wins {name} on {decision.measure} ({rates}).")
    if decision.released:
        click.echo(
            f"{decision.released:,} held recipient(s) are queued with subject "
            f"{decision.winner.upper()}: `hookline campaign send {name}` (or the scheduler) "
            "sends them."
        )


def _why_undecidable(campaign: Campaign) -> str:
    if campaign.subject_b is None:
        return f"campaign {campaign.name!r} has no A/B test"
    if campaign.ab_winner is not None:
        return (
            f"campaign {campaign.name!r}: the A/B test is already decided "
            f"(subject {campaign.ab_winner.upper()} won)"
        )
    if campaign.started_at is None:
        return (
            f"campaign {campaign.name!r} hasn't started; `hookline campaign send "
            f"{campaign.name}` starts the test"
        )
    return f"campaign {campaign.name!r} is {campaign.state}; its A/B test can't be decided"


def _show(db: Database, name: str, as_json: bool) -> None:
    from campaigns import ab_test
    from campaigns.campaign_store import get_campaign

    with db.session() as session:
        campaign = get_campaign(session, name)
        summary = ab_test.ab_summary(session.connection(), campaign)
    if as_json:
        echo_json({"campaign": name, "ab_test": summary})
    elif summary is None:
        click.echo(f"{name} has no A/B test. Set one with `hookline campaign ab {name} --help`.")
    else:
        click.echo(ab_test.render_ab_summary(summary))
