"""``hookline bounces`` and ``hookline replies``: read what comes back by mail.

A thin layer over :mod:`campaigns.mailbox`. Exit status: 0 ok (unmatched messages
are reported, not failures), 2 on a usage or input error: a bad mailbox URL, a
mailbox that can't be read, a refused login, a file that isn't there. Always one
line on stderr, never a traceback.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from audiences.command_context import fail
from audiences.terminal import echo_json, progress_bar
from campaigns.command_context import open_campaigns
from campaigns.command_options import config_option, json_option

if TYPE_CHECKING:
    from campaigns.mailbox.classify import Classification
    from campaigns.mailbox.fetch import FetchSummary
    from campaigns.settings import CampaignSettings
    from campaigns.tokens import TokenSigner

mailbox_option = click.option(
    "--mailbox",
    "mailbox_url",
    metavar="URL",
    help="Read this mailbox instead of the configured one: maildir:PATH, "
    "imaps://USER@HOST/FOLDER or imap://USER@HOST/FOLDER (STARTTLS).",
)
dry_run_option = click.option(
    "--dry-run",
    is_flag=True,
    help="Classify and match every message but record nothing and leave them unread.",
)

# Unmatched messages listed by the text report; --json lists every one.
UNMATCHED_SHOWN = 20
_SUMMARY_LINES = (
    ("hard_bounces", "hard bounces"),
    ("soft_bounces", "soft bounces"),
    ("complaints", "complaints"),
    ("replies", "replies"),
    ("auto_replies", "auto-replies"),
    ("unsubscribes", "unsubscribes"),
    ("ignored", "ignored"),
    ("unmatched", "unmatched"),
    ("already_recorded", "already recorded"),
    ("suppressed", "addresses suppressed"),
)


@click.group("bounces")
def bounces_group() -> None:
    """Bounces and spam complaints that come back by mail, recorded and suppressed.

    \b
    Mail servers that accept a message and fail to deliver it later send a
    bounce (a delivery report, RFC 3464) to the sender address; mailbox providers
    send spam complaints (ARF, RFC 5965) to the address in their feedback loop.
    Point both at a mailbox and fetch it now and then (cron, a systemd timer):
      hard bounce   event "bounce", the message's row bounced, the address suppressed
      soft bounce   event "soft_bounce"; [bounces] soft-bounce-limit soft-bounced
                    messages since the contact's last open or click suppress
                    the address
      complaint     event "complaint", the address suppressed
    The same fetch records replies and "unsubscribe TOKEN" mails sent to the
    List-Unsubscribe mailto address, when they land in this mailbox.

    \b
    Examples:
      hookline bounces fetch                         the [bounces] mailbox
      hookline bounces fetch --mailbox maildir:/var/mail/bounces --dry-run
      HOOKLINE_BOUNCES_PASSWORD=... hookline bounces fetch \\
          --mailbox imaps://bounces@mail.example.com/INBOX --json
      hookline bounces parse returned.eml            what one message would count as
    """


@click.group("replies")
def replies_group() -> None:
    """Replies to campaigns, counted once each in the campaign's report.

    \b
    A message whose In-Reply-To or References names one of our messages becomes a
    "reply" event for that recipient. Out-of-office and other automatic replies
    (RFC 3834: Auto-Submitted, X-Autoreply, Precedence: auto_reply) are counted
    apart and recorded nowhere. Bounces and complaints found here are handled as
    `hookline bounces fetch` does.

    \b
    Examples:
      hookline replies fetch                 the [replies] mailbox (empty: the bounce one)
      HOOKLINE_REPLIES_PASSWORD=... hookline replies fetch \\
          --mailbox imap://news@mail.example.com:143/INBOX
    """


@bounces_group.command("fetch")
@mailbox_option
@dry_run_option
@config_option
@json_option
def bounces_fetch_command(
    mailbox_url: str | None, dry_run: bool, config_path: Path | None, as_json: bool
) -> None:
    """Read the bounce mailbox's new messages and record what they say.

    Each message is handled in one transaction and then marked read (maildir:
    moved to cur/ with the S flag; IMAP: \\Seen), so the next fetch skips it. A
    message read again records nothing twice.
    """
    _fetch("bounces", mailbox_url, dry_run, config_path, as_json)


@replies_group.command("fetch")
@mailbox_option
@dry_run_option
@config_option
@json_option
def replies_fetch_command(
    mailbox_url: str | None, dry_run: bool, config_path: Path | None, as_json: bool
) -> None:
    """Read the Reply-To mailbox's new messages and record the replies."""
    _fetch("replies", mailbox_url, dry_run, config_path, as_json)


@bounces_group.command("parse")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@config_option
@json_option
def bounces_parse_command(file: Path, config_path: Path | None, as_json: bool) -> None:
    """Show what one message (an .eml file) would be recorded as; nothing is written.

    \b
    Handy when a customer asks why they were suppressed:
      hookline bounces parse returned.eml
      hookline bounces parse returned.eml --json
    """
    from campaigns.mailbox.classify import classify
    from campaigns.settings import load_campaign_settings
    from linter.config_file import ConfigError

    try:
        raw = file.read_bytes()
    except OSError as exc:
        fail(f"{file}: {exc.strerror}")
    try:
        settings = load_campaign_settings(config_path)
    except ConfigError as exc:
        fail(str(exc))
    message = classify(raw, _existing_signer(settings))
    if as_json:
        echo_json(message.as_dict())
    else:
        click.echo(_describe(message))


def _fetch(
    table: str, mailbox_url: str | None, dry_run: bool, config_path: Path | None, as_json: bool
) -> None:
    from campaigns.mailbox.fetch import fetch_mailbox
    from campaigns.mailbox.mailbox_settings import load_mailbox_settings, mailbox_password
    from campaigns.mailbox.mailbox_source import MailboxError, open_mailbox, parse_mailbox_url
    from campaigns.settings import secret_key
    from campaigns.tokens import TokenSigner
    from linter.config_file import ConfigError

    with open_campaigns(config_path) as (settings, db):
        try:
            mailboxes = load_mailbox_settings(config_path)
        except ConfigError as exc:
            fail(str(exc))
        url_text, password_table = (
            (mailbox_url, table) if mailbox_url else mailboxes.mailbox_for(table)
        )
        try:
            url = parse_mailbox_url(url_text)
            signer = TokenSigner(secret_key(settings))
            with (
                open_mailbox(url, mailbox_password(password_table)) as source,
                progress_bar(f"Reading {url.display()}", unit="rows") as advance,
            ):
                summary = fetch_mailbox(
                    db.engine,
                    source,
                    mailbox=url.display(),
                    signer=signer,
                    soft_bounce_limit=mailboxes.soft_bounce_limit,
                    dry_run=dry_run,
                    on_progress=advance,
                )
        except MailboxError as exc:
            fail(str(exc))
    if as_json:
        echo_json(summary.as_dict())
    else:
        click.echo(_render_summary(summary))


def _render_summary(summary: FetchSummary) -> str:
    if not summary.messages:
        return f"No new messages in {summary.mailbox}."
    lines = [f"Read {summary.messages:,} message(s) from {summary.mailbox}."]
    for name, label in _SUMMARY_LINES:
        value = getattr(summary, name)
        if value:
            lines.append(f"  {label:<21} {value:,}")
    if summary.unmatched_messages:
        lines.append("Unmatched (left in the mailbox for a person to read):")
        shown = summary.unmatched_messages[:UNMATCHED_SHOWN]
        lines.extend(f"  {item['key']}: {item['why']}" for item in shown)
        hidden = len(summary.unmatched_messages) - len(shown)
        if hidden:
            lines.append(f"  ... and {hidden:,} more (--json lists them all)")
    if summary.dry_run:
        lines.append("Dry run: nothing was recorded and every message was left unread.")
    return "\n".join(lines)


def _existing_signer(settings: CampaignSettings) -> TokenSigner | None:
    """The token signer, if a secret key exists; parsing never creates one."""
    from campaigns.settings import SECRET_ENV
    from campaigns.tokens import TokenSigner

    key = os.environ.get(SECRET_ENV)
    if not key:
        try:
            key = settings.secret_key_file.read_text(encoding="utf-8").strip()
        except OSError:
            return None
    return TokenSigner(key) if key else None


def _describe(message: Classification) -> str:
    rows: list[tuple[str, str | None]] = [
        ("kind", message.kind.replace("_", " ")),
        ("what", message.summary),
    ]
    if message.ours is not None:
        ours = message.ours
        rows.append(
            (
                "our message",
                f"campaign {ours.campaign_id}, ledger row {ours.recipient_id} ({ours.message_id})",
            )
        )
    elif message.campaign_hint is not None and message.recipient_address:
        rows.append(
            (
                "our message",
                f"campaign {message.campaign_hint} (X-Hookline-Campaign), the row of "
                f"{message.recipient_address}",
            )
        )
    elif message.kind == "unsubscribe" and message.unsubscribe_recipient is not None:
        rows.append(("our message", f"ledger row {message.unsubscribe_recipient} (signed token)"))
    elif message.kind not in ("auto_reply", "ignored", "unmatched"):
        rows.append(("our message", "none found: a fetch would count it as unmatched"))
    rows += [
        ("recipient", message.recipient_address),
        ("action", message.action),
        ("status", message.status),
        ("diagnostic", message.diagnostic),
        ("feedback", message.feedback_type),
        ("auto-reply", message.auto_reply),
        ("subject", message.subject),
        ("message-id", message.message_id),
        (
            "date",
            message.occurred_at.isoformat(sep=" ", timespec="seconds") + " UTC"
            if message.occurred_at
            else None,
        ),
    ]
    return "\n".join(f"{name:<12} {value}" for name, value in rows if value)
