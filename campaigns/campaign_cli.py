"""``hookline campaign``: create, check, preview, send and report on campaigns.

A thin layer over :mod:`campaigns.campaign_store`, :mod:`campaigns.sending`,
:mod:`campaigns.delivery` and :mod:`campaigns.report`. Exit status: 0 ok, 1 when the
work failed (a closed lint gate, messages that failed), 2 on a usage or input error.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path
from typing import TYPE_CHECKING

import click
from sqlalchemy import func, select

from audiences.audience_query import count as audience_count
from audiences.terminal import echo_json, progress_bar, text_table
from campaigns.command_context import EXIT_FAILED, open_campaigns
from campaigns.command_options import config_option, json_option

if TYPE_CHECKING:
    from audiences.db import Database
    from campaigns.sending import StartResult
    from campaigns.settings import CampaignSettings
from linter.config import LinterConfig


@click.group("campaign")
def campaign_group() -> None:
    """Campaigns: a template sent once to every consented contact of a segment.

    \b
    A campaign keeps the template's text as it was when created, so it always
    knows exactly what it sent. Sending snapshots the audience into a ledger, one
    row per contact, so nobody gets a campaign twice, even when a send is
    interrupted and run again, or several workers share it.

    \b
    Start with:
      hookline campaign create jazz --template templates/en/jazz-sale.html.j2 \\
          --segment 'tag "jazz"' --from "Jazz Shop <news@shop.example.com>"
      hookline campaign preview jazz              one recipient's message
      hookline campaign test jazz --to me@example.com
      hookline campaign send jazz                 send, with a progress bar
      hookline campaign report jazz --json
      hookline outbox                             mail caught by the built-in capture

    With no [smtp] url (or $HOOKLINE_SMTP_URL), mail goes to a capture server on
    loopback that keeps every message in var/outbox/, so nothing leaves the machine.
    """


def _lint_config(config_path: Path | None) -> LinterConfig:
    """The lint gate's settings: [linter] of the config file this command reads."""
    from linter.config import load_linter_config

    return load_linter_config(config_path)


@campaign_group.command("create")
@click.argument("name")
@click.option(
    "--template",
    "template",
    required=True,
    type=click.Path(path_type=Path),
    help="The template (.html.j2 or .txt.j2). A .txt.j2 sibling of an HTML "
    "template becomes the plain-text part.",
)
@click.option(
    "--segment",
    default="",
    help="A segment query, or @NAME for a saved segment. Empty: everyone sendable.",
)
@click.option(
    "--from",
    "from_addr",
    help='Sender, e.g. "Jazz Shop <news@shop.vn>". Required for email; a letter '
    "prints [letters] return-address instead.",
)
@click.option("--reply-to", help="Where replies go (default: the sender).")
@click.option(
    "--channel",
    type=click.Choice(["email", "letter"]),
    help="email or letter. Default: the template's front matter `channel`; it must match.",
)
@config_option
@json_option
def create_command(
    name: str,
    template: Path,
    segment: str,
    from_addr: str | None,
    reply_to: str | None,
    channel: str | None,
    config_path: Path | None,
    as_json: bool,
) -> None:
    """Create a draft campaign NAME from a template and a segment.

    The template is linted now; a template with errors can be created but not
    sent (see `campaign send --force`).

    \b
    A letter (a template with channel = "letter") goes to contacts with a postal
    address; its sender is [letters] return-address in config.toml:
      hookline campaign create gift --template templates/letters/reply-card-gift.html.j2 \\
          --segment 'tier in ("Gold", "Platinum")' --channel letter
    """
    from campaigns.campaign_store import CampaignError, create_campaign
    from campaigns.ledger import CHANNEL_OF
    from campaigns.letters.letter_settings import load_letter_settings
    from linter.config_file import ConfigError

    with open_campaigns(config_path) as (settings, db):
        try:
            return_address = load_letter_settings(config_path).return_address
        except ConfigError as exc:
            raise CampaignError(str(exc)) from None
        with db.session() as session, session.begin():
            campaign, gate = create_campaign(
                session,
                name,
                template,
                segment,
                from_addr,
                reply_to,
                _lint_config(config_path),
                channel=channel,
                return_address=return_address,
            )
        audience = audience_count(db, segment, settings.audience, CHANNEL_OF[campaign.channel])
        summary = {
            "campaign": campaign.name,
            "channel": campaign.channel,
            "template": campaign.template_path,
            "from": campaign.from_addr,
            "segment": segment,
            "audience_now": audience,
            "lint_errors": len(gate.errors),
            "findings": len(gate.findings),
        }
        if as_json:
            echo_json(summary)
            return
        click.echo(f"Created campaign {name} ({campaign.channel}) from {template}.")
        if campaign.channel == "letter":
            click.echo(f"  audience now: {audience:,} contacts with a postal address")
            sender = campaign.from_addr or "none yet: set [letters] return-address"
            click.echo(f"  return address: {sender}")
        else:
            click.echo(f"  audience now: {audience:,} sendable contacts")
        if gate.errors:
            click.echo(f"  lint gate: closed, {len(gate.errors)} error(s):")
            click.echo("    " + gate.summary().replace("\n", "\n    "))
        else:
            click.echo(f"  lint gate: open ({len(gate.findings)} non-blocking finding(s))")


@campaign_group.command("edit")
@click.argument("name")
@click.option("--template", type=click.Path(path_type=Path), help="Take the text from this file.")
@click.option("--segment", help="A new segment query or @NAME.")
@click.option("--from", "from_addr", help="A new sender.")
@click.option("--reply-to", help="A new Reply-To ('' removes it).")
@config_option
def edit_command(
    name: str,
    template: Path | None,
    segment: str | None,
    from_addr: str | None,
    reply_to: str | None,
    config_path: Path | None,
) -> None:
    """Change a draft campaign: its text (re-read from a file), segment or sender."""
    from campaigns.campaign_store import edit_campaign, get_campaign

    with open_campaigns(config_path) as (_settings, db):
        with db.session() as session, session.begin():
            campaign = get_campaign(session, name)
            gate = edit_campaign(
                session,
                campaign,
                template,
                segment,
                from_addr,
                reply_to,
                _lint_config(config_path),
            )
        state = "open" if gate.passed else f"closed, {len(gate.errors)} error(s)"
        click.echo(f"Updated campaign {name}; lint gate {state}.")


@campaign_group.command("list")
@config_option
@json_option
def list_command(config_path: Path | None, as_json: bool) -> None:
    """List campaigns, newest first, with how many recipients each has sent to."""
    from campaigns.campaign_store import list_campaigns
    from campaigns.models import Recipient

    with open_campaigns(config_path) as (_settings, db), db.session() as session:
        sent = dict(
            session.execute(
                select(Recipient.campaign_id, func.count())
                .where(Recipient.state == "sent")
                .group_by(Recipient.campaign_id)
            ).all()
        )
        rows = [
            {
                "name": c.name,
                "channel": c.channel,
                "state": c.state,
                "sent": sent.get(c.id, 0),
                "lint_errors": c.lint_errors,
                "segment": c.segment,
                "created_at": c.created_at.isoformat(sep=" ", timespec="seconds"),
            }
            for c in list_campaigns(session)
        ]
    if as_json:
        echo_json(rows)
    elif not rows:
        click.echo("No campaigns yet. Create one with `hookline campaign create --help`.")
    else:
        click.echo(text_table(rows, ("name", "channel", "state", "sent", "lint_errors", "segment")))


@campaign_group.command("show")
@click.argument("name")
@config_option
@json_option
def show_command(name: str, config_path: Path | None, as_json: bool) -> None:
    """Show a campaign: template, sender, segment, lint verdict and ledger counts."""
    from campaigns.campaign_store import get_campaign
    from campaigns.ledger import state_counts

    with open_campaigns(config_path) as (_settings, db), db.session() as session:
        campaign = get_campaign(session, name)
        counts = state_counts(session.connection(), campaign.id)
    info = {
        "name": campaign.name,
        "channel": campaign.channel,
        "state": campaign.state,
        "template": campaign.template_path,
        "text_part": "from a .txt.j2 sibling" if campaign.text_source else "from the HTML",
        "from": campaign.from_addr,
        "reply_to": campaign.reply_to,
        "segment": campaign.segment,
        "lint_errors": campaign.lint_errors,
        "lint_report": campaign.lint_report.splitlines(),
        "forced_reason": campaign.forced_reason,
        "ledger": counts,
    }
    if as_json:
        echo_json(info)
        return
    for key in ("name", "channel", "state", "template", "text_part", "from", "reply_to", "segment"):
        click.echo(f"{key:<11} {info[key] if info[key] is not None else '-'}")
    gate = "open" if not campaign.lint_errors else f"closed ({campaign.lint_errors} errors)"
    if campaign.forced_reason:
        gate += f", overridden: {campaign.forced_reason}"
    click.echo(f"{'lint gate':<11} {gate}")
    for line in campaign.lint_report.splitlines():
        click.echo(f"  {line}")
    if counts:
        click.echo("ledger      " + ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items())))


def _preview_message(
    db: Database,
    settings: CampaignSettings,
    name: str,
    contact_email: str | None,
    to: str | None = None,
) -> bytes:
    """Render one message of the campaign for a real contact (or the template's preview)."""
    from audiences.contacts import find_contact
    from audiences.models import Contact
    from audiences.segment_query import segment_filter
    from audiences.sendable import sendable
    from campaigns.campaign_store import CampaignError, get_campaign
    from campaigns.ledger import contact_context
    from campaigns.sending import composer_for

    with db.session() as session:
        campaign = get_campaign(session, name)
        if contact_email:
            contact = find_contact(session, contact_email)
            if contact is None:
                raise CampaignError(f"no contact with the address {contact_email!r}")
        else:
            where = segment_filter(session, campaign.segment, settings.audience)
            contact = session.scalar(
                select(Contact).where(where, sendable("email")).order_by(Contact.id).limit(1)
            )
        composer = composer_for(campaign, settings)
        if contact is not None:
            context = contact_context(contact, sorted(tag.name for tag in contact.tags))
            address = contact.email
        else:
            from linter.document import parse_document

            previews = parse_document(
                campaign.template_path, campaign.template_source
            ).front.previews
            context = dict(previews[0]) if previews else {}
            address = str(context.get("email", "preview@example.com"))
    # Row id 0 belongs to no ledger row: its links and code resolve to nothing.
    return composer.compose(0, to or address, context, track=False)


@campaign_group.command("preview")
@click.argument("name")
@click.option(
    "--contact",
    "contact_email",
    help="Render as this contact (default: the first "
    "in the segment, or the template's [[preview]] data).",
)
@click.option("--output", "-o", type=click.Path(path_type=Path), help="Write an .eml file.")
@click.option(
    "--part",
    type=click.Choice(["raw", "text", "html"]),
    default="raw",
    show_default=True,
    help="Print the whole message, or one part.",
)
@config_option
def preview_command(
    name: str, contact_email: str | None, output: Path | None, part: str, config_path: Path | None
) -> None:
    """Render one recipient's message to stdout or an .eml file; nothing is sent."""
    from campaigns.render.campaign_template import RenderError

    with open_campaigns(config_path) as (settings, db):
        try:
            message = _preview_message(db, settings, name, contact_email)
        except RenderError as exc:
            click.echo(
                f"hookline campaign preview: this contact can't be rendered: {exc}", err=True
            )
            sys.exit(EXIT_FAILED)
    if output is not None:
        output.write_bytes(message)
        click.echo(f"Wrote {output} ({len(message):,} bytes).")
        return
    if part == "raw":
        click.echo(message.decode("utf-8", errors="replace"), nl=False)
        return
    parsed = BytesParser(policy=default_policy).parsebytes(message)
    body = parsed.get_body(preferencelist=("plain",) if part == "text" else ("html",))
    if body is None:
        click.echo(f"hookline campaign preview: the message has no {part} part", err=True)
        sys.exit(EXIT_FAILED)
    click.echo(body.get_content(), nl=False)


@campaign_group.command("test")
@click.argument("name")
@click.option("--to", "to", required=True, help="Where to send the test message.")
@click.option("--contact", "contact_email", help="Render as this contact.")
@config_option
def test_command(name: str, to: str, contact_email: str | None, config_path: Path | None) -> None:
    """Send one test message to --to, rendered as a contact; the ledger is not touched."""
    from campaigns.campaign_store import check_address
    from campaigns.composer import envelope_sender
    from campaigns.sending import connection_factory, smtp_transport
    from campaigns.smtp.smtp_client import Outcome

    with open_campaigns(config_path) as (settings, db):
        address = envelope_sender(check_address(to, "--to"))
        message = _preview_message(db, settings, name, contact_email, to=address)
        with db.session() as session:
            from campaigns.campaign_store import get_campaign

            sender = envelope_sender(get_campaign(session, name).from_addr)
        with smtp_transport(settings) as (url, captured):
            connection = connection_factory(url, settings)()
            try:
                result = connection.send(sender, address, message)
            finally:
                connection.close()
    if result.outcome != Outcome.SENT:
        click.echo(f"hookline campaign test: not sent: {result.detail}", err=True)
        sys.exit(EXIT_FAILED)
    where = f"the outbox ({settings.outbox})" if captured else url.display()
    click.echo(f"Sent a test of {name} to {address} via {where}.")


@campaign_group.command("send")
@click.argument("name")
@click.option("--force", is_flag=True, help="Send although the template has lint errors.")
@click.option("--reason", help="Why the lint gate is overridden (required with --force).")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Sending processes on this machine (each with [smtp] connections).",
)
@click.option(
    "--per-letter",
    is_flag=True,
    help="Letters: also write one PDF per letter in letters/ next to letters.pdf.",
)
@config_option
@json_option
def send_command(
    name: str,
    force: bool,
    reason: str | None,
    workers: int,
    per_letter: bool,
    config_path: Path | None,
    as_json: bool,
) -> None:
    """Send a campaign now, in the foreground, until every recipient has an outcome.

    \b
    The first run snapshots the audience into the ledger. Ctrl-C stops cleanly;
    run the command again to resume where it stopped. A finished campaign sends
    nothing more. Failed deliveries (4xx, dropped connections) are retried with
    backoff ([smtp] max-attempts, retry-delay); a 5xx is a hard bounce, and the
    address is suppressed.

    \b
    A letter campaign renders print-ready PDFs instead ([letters] in config.toml):
    it shows how many letters it renders and who is skipped and why, then writes
    {output}/NAME/letters.pdf and manifest.csv for the print house.
      hookline campaign send thank-you-letter --per-letter
    """
    from campaigns import ab_test, ledger
    from campaigns.campaign_store import get_campaign
    from campaigns.report import campaign_report
    from campaigns.sending import composer_for, send_campaign, smtp_transport, start

    if force and not reason:
        raise click.UsageError('--force needs --reason "why the lint gate is overridden"')
    with open_campaigns(config_path) as (settings, db):
        with db.session() as session, session.begin():
            campaign = get_campaign(session, name)
            started = start(
                session, campaign, settings, reason if force else None, _lint_config(config_path)
            )
        if campaign.channel == "letter" or per_letter:
            return _send_letters(
                db, settings, campaign.channel, name, config_path, per_letter, as_json, started
            )
        if started.snapshot is not None and not as_json:
            click.echo(f"Snapshot: {started.snapshot:,} recipients queued.")
        composer = composer_for(campaign, settings)
        with smtp_transport(settings) as (url, _captured):
            helpers = _spawn_workers(workers - 1, name, url.display(reveal=True), config_path)
            with db.engine.connect() as connection:
                # Rows held for an A/B decision aren't this send's work.
                total = sum(
                    count
                    for state, count in ledger.state_counts(connection, campaign.id).items()
                    if state != "held"
                )
            stop = threading.Event()
            try:
                with progress_bar(f"Sending {name}", unit="rows") as advance:

                    def show(stats: object) -> None:
                        if advance is not None:
                            with db.engine.connect() as connection:
                                left = ledger.unfinished(connection, campaign.id)
                            advance(total - left, total)

                    send_campaign(
                        db, campaign.id, composer, settings, url, stop=stop, on_batch=show
                    )
            except KeyboardInterrupt:
                stop.set()
                click.echo(
                    f"Interrupted. Run `hookline campaign send {name}` again to resume.", err=True
                )
                sys.exit(130)
            finally:
                for helper in helpers:
                    helper.wait()
        with db.session() as session:
            campaign = get_campaign(session, name)
            report = campaign_report(session.connection(), campaign)
            notes = ab_test.send_notes(session.connection(), campaign, report.get("held", 0))
    if as_json:
        echo_json(report)
    else:
        click.echo(
            f"{name}: {report['state']}. sent {report['sent']:,}, bounced {report['bounced']:,}, "
            f"failed {report['failed']:,}, skipped {report['skipped']:,} "
            f"of {report['recipients']:,}."
        )
        if report["state"] == "paused":
            click.echo(f"Paused. `hookline campaign resume {name}` continues it.")
        for note in notes:
            click.echo(note)
    if report["failed"]:
        sys.exit(EXIT_FAILED)


def _send_letters(
    db: Database,
    settings: CampaignSettings,
    channel: str,
    name: str,
    config_path: Path | None,
    per_letter: bool,
    as_json: bool,
    started: StartResult,
) -> None:
    """``send`` for a letter campaign: PDFs and a manifest (campaigns.letters)."""
    from campaigns.letters.letter_send import send_letters

    if channel != "letter":
        raise click.UsageError("--per-letter is for letter campaigns")
    send_letters(
        db,
        settings,
        name,
        config_path,
        per_letter=per_letter,
        as_json=as_json,
        snapshot=started.snapshot,
    )


def _spawn_workers(
    count: int, name: str, smtp_url: str, config_path: Path | None
) -> list[subprocess.Popen[bytes]]:
    """Extra sending processes for one campaign, sharing it through the ledger."""
    env = {**os.environ, "HOOKLINE_SMTP_URL": smtp_url}
    command = [
        sys.executable,
        "-m",
        "campaigns.cli",
        "worker",
        "--campaign",
        name,
        "--until-done",
        "--quiet",
    ]
    if config_path is not None:
        command += ["--config", str(config_path)]
    return [subprocess.Popen(command, env=env) for _ in range(count)]


def _change_state(name: str, action: str, config_path: Path | None) -> None:
    from campaigns.campaign_store import get_campaign
    from campaigns.sending import set_state

    with open_campaigns(config_path) as (settings, db):
        with db.session() as session:
            campaign = get_campaign(session, name)
        state = set_state(db, campaign, action)
        click.echo(f"Campaign {name} is now {state}.")
        if action == "cancel" and campaign.schedule is not None:
            # A cancelled campaign's job would only fail when it fires; remove it now.
            from campaigns.scheduling.schedule_spec import ScheduleError
            from campaigns.scheduling.schedules import unschedule_campaign

            try:
                removed = unschedule_campaign(db, settings, name)
            except ScheduleError:
                return
            click.echo(f"Its schedule ({removed}) was removed.")


@campaign_group.command("pause")
@click.argument("name")
@config_option
def pause_command(name: str, config_path: Path | None) -> None:
    """Pause a sending campaign; messages already handed to SMTP finish."""
    _change_state(name, "pause", config_path)


@campaign_group.command("resume")
@click.argument("name")
@config_option
def resume_command(name: str, config_path: Path | None) -> None:
    """Resume a paused campaign; a running worker (or `campaign send`) picks it up."""
    _change_state(name, "resume", config_path)


@campaign_group.command("cancel")
@click.argument("name")
@config_option
def cancel_command(name: str, config_path: Path | None) -> None:
    """Cancel a campaign; recipients not yet sent to are skipped, for good."""
    _change_state(name, "cancel", config_path)


@campaign_group.command("report")
@click.argument("name")
@config_option
@json_option
def report_command(name: str, config_path: Path | None, as_json: bool) -> None:
    """Report on a campaign: delivery, responses, revenue, costs, by tier, link and time.

    \b
    Delivery   recipients, sent, failed, bounced, skipped, and the reasons
    Responses  opens, clicks (unique too), unsubscribes, complaints, replies,
               responses (offer codes) and revenue, with their rates over sent
    Breakdowns by customer tier, by link, and over time
    Costs      cost per acquired customer and the "real" acquisition cost
               (after `hookline campaign cost NAME --amount X`)
    A/B test   each subject's figures and the winner, when the campaign has one

    \b
    Examples:
      hookline campaign report jazz
      hookline campaign report jazz --json | jq .by_link
    """
    from campaigns.campaign_store import get_campaign
    from campaigns.report import campaign_report, render_report
    from campaigns.reporting.options import options_in_force

    with open_campaigns(config_path) as (_settings, db), db.session() as session:
        report = campaign_report(
            session.connection(), get_campaign(session, name), options_in_force(config_path)
        )
    report["generated_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    if as_json:
        echo_json(report)
    else:
        click.echo(render_report(report))


from campaigns.ab_cli import ab_command  # noqa: E402

campaign_group.add_command(ab_command)

from campaigns.cost_cli import cost_command  # noqa: E402

campaign_group.add_command(cost_command)

from campaigns.schedule_cli import (  # noqa: E402
    schedule_command,
    schedules_command,
    unschedule_command,
)

campaign_group.add_command(schedule_command)
campaign_group.add_command(unschedule_command)
campaign_group.add_command(schedules_command)
