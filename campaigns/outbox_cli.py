"""``hookline outbox``: read, clear and feed the outbox of captured mail.

A thin layer over :mod:`campaigns.smtp.outbox` and
:mod:`campaigns.smtp.capture_server`. Exit status: 0 ok (an empty outbox too), 2 on
a usage or input error (an unknown id, an unreadable directory, a port in use),
always as one ``hookline outbox: error: ...`` line rather than a traceback.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import NoReturn

import click

from campaigns.smtp.capture_server import CaptureServer
from campaigns.smtp.outbox import (
    OutboxEntry,
    OutboxError,
    clear_outbox,
    count_outbox,
    find_message,
    header_text,
    list_outbox,
    part_text,
    read_message,
)

DEFAULT_OUTBOX = Path("var/outbox")
OUTBOX_ENV = "HOOKLINE_OUTBOX_DIR"
EXIT_USAGE = 2
# Newest messages listed when --limit isn't given; enough to see a test send.
DEFAULT_LIMIT = 50
# Where the subcommands find the group's --outbox.
_OUTBOX_KEY = "hookline.outbox_dir"

_OUTBOX_HELP = f"The outbox directory (default: {DEFAULT_OUTBOX}, or ${OUTBOX_ENV})."


def _subcommand_outbox_option(function: click.decorators.FC) -> click.decorators.FC:
    """``--outbox`` after the subcommand name too, overriding the group's."""
    return click.option(
        "--outbox",
        "outbox_dir",
        type=click.Path(path_type=Path, file_okay=False),
        metavar="DIR",
        default=None,
        help=_OUTBOX_HELP,
    )(function)


@click.group("outbox", invoke_without_command=True)
@click.option(
    "--outbox",
    "outbox_dir",
    type=click.Path(path_type=Path, file_okay=False),
    metavar="DIR",
    default=DEFAULT_OUTBOX,
    envvar=OUTBOX_ENV,
    help=_OUTBOX_HELP,
)
@click.pass_context
def outbox_group(ctx: click.Context, outbox_dir: Path) -> None:
    """Mail captured instead of sent: list it, read it, clear it, or capture more.

    When no SMTP server is configured (no HOOKLINE_SMTP_URL), Hookline delivers
    to a capture server on 127.0.0.1 that keeps each message as an .eml file in
    the outbox, so a campaign can be tried end to end without mailing anyone.
    Each message's id is its file name without .eml; a unique prefix of it is
    enough. Run with no subcommand, it lists the newest messages.

    \b
    Examples:
      hookline outbox                        the newest messages
      hookline outbox list --json            every field, for scripts
      hookline outbox show 20260509T0735     headers and text of one message
      hookline outbox show 20260509T0735 --html > preview.html
      hookline outbox show 20260509T0735 --raw | less
      hookline outbox clear --yes
      hookline outbox serve --port 2525      capture mail from other programs
    """
    ctx.meta[_OUTBOX_KEY] = outbox_dir
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_command)


@outbox_group.command("list")
@_subcommand_outbox_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts instead of text.")
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=DEFAULT_LIMIT,
    show_default=True,
    help="Show only the N newest messages; 0 shows all.",
)
@click.pass_context
def list_command(ctx: click.Context, outbox_dir: Path | None, as_json: bool, limit: int) -> None:
    """List captured messages, oldest first and newest last.

    \b
    Examples:
      hookline outbox list
      hookline outbox list --limit 0 --json | jq '.[].subject'
    """
    outbox = _outbox(ctx, outbox_dir)
    try:
        total = count_outbox(outbox)
        entries = list_outbox(outbox, limit=limit or None)
    except OutboxError as exc:
        _fail(str(exc))
    if as_json:
        click.echo(json.dumps([_entry_json(entry) for entry in entries], indent=2))
        return
    if not entries:
        _say_empty(outbox)
        return
    id_width = max(len(entry.id) for entry in entries)
    to_width = min(30, max(len("TO"), *(len(entry.to) for entry in entries)))
    click.echo(f"{'ID':<{id_width}}  {'TO':<{to_width}}  SUBJECT")
    for entry in entries:
        click.echo(
            f"{entry.id:<{id_width}}  {_clip(entry.to, to_width):<{to_width}}  {entry.subject}"
        )
    shown = f"the {len(entries)} newest of {total}" if len(entries) < total else f"{total}"
    noun = "message" if total == 1 else "messages"
    click.echo(f"\n{shown} {noun} in {outbox}. Read one: hookline outbox show ID")


@outbox_group.command("show")
@_subcommand_outbox_option
@click.argument("message_id", metavar="ID")
@click.option("--html", "as_html", is_flag=True, help="Print the HTML part instead.")
@click.option("--raw", "as_raw", is_flag=True, help="Print the whole .eml file, as stored.")
@click.pass_context
def show_command(
    ctx: click.Context, outbox_dir: Path | None, message_id: str, as_html: bool, as_raw: bool
) -> None:
    """Show one message: From, To, Subject and Date, then its text part.

    ID is a message id from `hookline outbox list`, or a unique prefix of one.

    \b
    Examples:
      hookline outbox show 20260509T073525
      hookline outbox show 20260509T073525 --html > preview.html
    """
    outbox = _outbox(ctx, outbox_dir)
    if as_html and as_raw:
        _fail("choose one of --html and --raw")
    try:
        if as_raw:
            # click.echo writes bytes to the binary stream underneath, unchanged.
            click.echo(find_message(outbox, message_id).read_bytes(), nl=False)
            return
        message = read_message(outbox, message_id)
    except OutboxError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"cannot read message {message_id!r}: {exc.strerror or exc}")
    if as_html:
        html = part_text(message, "html")
        if html is None:
            _fail(f"message {message_id!r} has no HTML part")
        click.echo(html, nl=not html.endswith("\n"))
        return
    for name in ("From", "To", "Subject", "Date"):
        click.echo(f"{name + ':':<9}{header_text(message, name)}")
    click.echo()
    text = part_text(message, "plain")
    if text is None:
        hint = " (--html prints the HTML part)" if part_text(message, "html") else ""
        click.echo(f"(no text part{hint})")
    else:
        click.echo(text, nl=not text.endswith("\n"))


@outbox_group.command("clear")
@_subcommand_outbox_option
@click.option("--yes", "-y", is_flag=True, help="Don't ask for confirmation.")
@click.pass_context
def clear_command(ctx: click.Context, outbox_dir: Path | None, yes: bool) -> None:
    """Delete every captured message (asks first unless --yes)."""
    outbox = _outbox(ctx, outbox_dir)
    try:
        total = count_outbox(outbox)
        if total == 0:
            _say_empty(outbox)
            return
        noun = "message" if total == 1 else "messages"
        if not yes:
            click.confirm(f"Delete {total} {noun} from {outbox}?", abort=True)
        deleted = clear_outbox(outbox)
    except OutboxError as exc:
        _fail(str(exc))
    click.echo(f"Deleted {deleted} {'message' if deleted == 1 else 'messages'} from {outbox}.")


@outbox_group.command("serve")
@_subcommand_outbox_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=2525,
    show_default=True,
    help="Port to listen on; 0 picks a free one.",
)
@click.pass_context
def serve_command(ctx: click.Context, outbox_dir: Path | None, host: str, port: int) -> None:
    """Run the capture server in the foreground until Ctrl-C.

    Every message it receives is stored in the outbox, to read with
    `hookline outbox list`. Point Hookline, or any program that sends mail, at the
    SMTP URL it prints.

    \b
    Examples:
      hookline outbox serve
      hookline outbox serve --port 0 --outbox /tmp/mail
    """
    outbox = _outbox(ctx, outbox_dir)
    server = CaptureServer(outbox, host=host, port=port)
    try:
        url = server.start()
    except OSError as exc:
        _fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    try:
        if not _is_loopback(host):
            click.echo(
                f"hookline outbox: warning: {host} accepts mail from other machines", err=True
            )
        click.echo(f"Capturing mail into {outbox} at {url.display()} (Ctrl-C stops).")
        click.echo("Send Hookline's mail here with:")
        click.echo(f"  export HOOKLINE_SMTP_URL={url.display()}")
        _serve_forever(server)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    try:
        held = count_outbox(outbox)
    except OutboxError as exc:
        _fail(str(exc))
    click.echo(f"Stopped. The outbox holds {held} {'message' if held == 1 else 'messages'}.")


def _serve_forever(server: CaptureServer) -> None:
    """Block until Ctrl-C or SIGTERM; the server runs on its own thread meanwhile."""
    # `docker stop` and systemd send SIGTERM: stop as cleanly as on Ctrl-C.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        while True:
            time.sleep(3600)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _outbox(ctx: click.Context, given: Path | None) -> Path:
    if given is not None:
        return given
    outbox = ctx.meta.get(_OUTBOX_KEY, DEFAULT_OUTBOX)
    assert isinstance(outbox, Path)
    return outbox


def _fail(message: str) -> NoReturn:
    click.echo(f"hookline outbox: error: {message}", err=True)
    sys.exit(EXIT_USAGE)


def _say_empty(outbox: Path) -> None:
    click.echo(
        f"The outbox {outbox} is empty. Mail sent without HOOKLINE_SMTP_URL lands here; "
        "`hookline outbox serve` captures mail from other programs."
    )


def _entry_json(entry: OutboxEntry) -> dict[str, object]:
    fields = dataclasses.asdict(entry)
    fields["from"] = fields.pop("from_")
    fields["path"] = str(entry.path)
    return fields


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
