"""``hookline response``: record conversions (offer codes brought back with a purchase).

A thin layer over :mod:`campaigns.responses`. Exit status: 0 ok (a response already
recorded is ok too), 1 when an import rejected rows, 2 on a usage or input error such
as an offer code that isn't ours.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from audiences.command_context import EXIT_OK, EXIT_REJECTED, fail, require_file
from audiences.terminal import echo_json, progress_bar
from campaigns.command_context import open_campaigns
from campaigns.command_options import config_option, json_option

# Rejected rows listed on the terminal; the rejects file has them all.
REJECTS_LISTED = 20


@click.group("response")
def response_group() -> None:
    """Responses: purchases made with a campaign's offer code.

    \b
    Every message carries its own offer code ({{ offer_code }} in a template, such
    as 2K7-QX4M). When a customer uses it, record it here, in bulk from a CSV file,
    or from the shop's checkout through POST /api/responses on `hookline serve`.
    `hookline campaign report NAME` then counts the response and its amount.
    A code is checked before anything is recorded: a mistyped or invented one is
    refused. Recording the same code (with the same order reference) twice counts
    once, so a file can be imported again safely.

    \b
    Examples:
      hookline response record 2K7-QX4M --amount 450000 --reference ORD-1042
      hookline response import conversions.csv
      hookline response window jazz 30          count orders up to 30 days after
      hookline campaign report jazz
    """


@response_group.command("record")
@click.argument("code")
@click.option("--amount", help="What the customer paid, e.g. 450000 or 450,000.50.")
@click.option("--currency", help="ISO 4217 code (default: [audience] currency).")
@click.option(
    "--at",
    "occurred_at",
    help="When: YYYY-MM-DD or an ISO date-time; without an offset it is read in "
    "[audience] timezone. Default: now.",
)
@click.option(
    "--reference",
    help="The shop's order id. Each reference is one response; the same code without "
    "a reference counts once. An order imported with this id is not counted twice.",
)
@config_option
@json_option
def record_command(
    code: str,
    amount: str | None,
    currency: str | None,
    occurred_at: str | None,
    reference: str | None,
    config_path: Path | None,
    as_json: bool,
) -> None:
    """Record that offer code CODE was used, as a response to its message.

    \b
    Examples:
      hookline response record 2K7-QX4M
      hookline response record 2k7-qx4m --amount 450000 --at 2026-12-01T14:30
      hookline response record 2K7-QX4M --amount 19.90 --currency USD --reference A-77

    Exit status: 0 when recorded or already recorded, 2 when the code is not one of
    ours (its check characters don't match) or a value can't be read.
    """
    from campaigns.responses.conversions import ConversionError, read_conversion, record_conversion
    from campaigns.settings import secret_key

    with open_campaigns(config_path) as (settings, db):
        key = secret_key(settings)
        fields = {
            "code": code,
            "amount": amount,
            "currency": currency,
            "occurred_at": occurred_at,
            "reference": reference,
        }
        try:
            conversion = read_conversion(
                fields, key, settings.audience.currency, settings.audience.zone
            )
            with db.engine.begin() as connection:
                message, new = record_conversion(connection, key, conversion, "cli")
        except ConversionError as exc:
            fail(str(exc))
    summary = {
        "code": code,
        "campaign": message.campaign,
        "recipient_id": message.recipient_id,
        "amount": None if conversion.amount is None else f"{conversion.amount:.2f}",
        "currency": conversion.currency,
        "occurred_at": conversion.occurred_at.isoformat(sep=" ", timespec="seconds"),
        "reference": conversion.reference,
        "status": "recorded" if new else "duplicate",
    }
    if as_json:
        echo_json(summary)
        return
    what = f"offer code {code}"
    if conversion.amount is not None:
        what += f", {conversion.amount:,.2f} {conversion.currency}"
    if conversion.reference:
        what += f", order {conversion.reference}"
    if new:
        click.echo(f"Recorded a response to campaign {message.campaign} ({what}).")
    else:
        click.echo(f"Already recorded: {what} (campaign {message.campaign}); nothing changed.")


@response_group.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--rejects",
    "rejects_path",
    type=click.Path(path_type=Path),
    help="Where rejected rows go (default: FILE.rejects.csv).",
)
@config_option
@json_option
def import_command(
    file: Path, rejects_path: Path | None, config_path: Path | None, as_json: bool
) -> None:
    """Record the conversions in a CSV file, one response per row.

    \b
    Columns (header names in any case):
      code         the offer code (required)
      amount       what was paid: 450000, 450,000 or 450000.50
      currency     ISO 4217 code (default: [audience] currency)
      occurred_at  YYYY-MM-DD or ISO date-time (default: now)
      reference    the shop's order id
    Other columns are ignored.

    Bad rows (a code that isn't ours, a bad amount or date) go to the rejects file
    with their row number and reason; the good rows are recorded. A row already
    recorded (same code and reference) is counted as a duplicate, so importing a
    file again changes nothing.

    \b
    Examples:
      hookline response import conversions.csv
      hookline response import conversions.csv --rejects bad.csv --json

    Exit status: 0 when every row was good, 1 when some were rejected, 2 when the
    file can't be read.
    """
    from audiences.import_file import ImportFileError
    from campaigns.responses.conversions_import import import_conversions
    from campaigns.settings import secret_key

    require_file(file)
    with (
        open_campaigns(config_path) as (settings, db),
        progress_bar(f"Importing {file.name}") as progress,
    ):
        try:
            result = import_conversions(
                db, file, secret_key(settings), settings.audience, rejects_path, progress
            )
        except ImportFileError as exc:
            fail(str(exc))
    rejects = str(result.rejects_path) if result.rejects_path else None
    if as_json:
        echo_json(
            {
                "file": str(file),
                "rows": result.rows,
                "recorded": result.recorded,
                "duplicates": result.duplicates,
                "rejected": result.rejected,
                "rejects_path": rejects,
                "rejected_rows": [
                    {"row": bad.row, "reason": bad.reason} for bad in result.rejected_rows
                ],
            }
        )
    else:
        click.echo(
            f"Read {result.rows:,} rows from {file}: {result.recorded:,} recorded, "
            f"{result.duplicates:,} already recorded, {result.rejected:,} rejected."
        )
        for bad in result.rejected_rows[:REJECTS_LISTED]:
            click.echo(f"{file}: row {bad.row}: {bad.reason}")
        more = result.rejected - min(len(result.rejected_rows), REJECTS_LISTED)
        if more > 0:
            click.echo(f"... and {more:,} more in {rejects}")
        if result.rejected:
            click.echo(f"Rejected rows written to {rejects}, each with its row number and reason.")
    sys.exit(EXIT_REJECTED if result.rejected else EXIT_OK)


@response_group.command("window")
@click.argument("name")
@click.argument("days", type=click.IntRange(min=0), required=False)
@config_option
@json_option
def window_command(name: str, days: int | None, config_path: Path | None, as_json: bool) -> None:
    """Show or set how many DAYS after a message orders count for campaign NAME.

    This is the campaign's attribution window. Without DAYS, show the window in
    force; 0 goes back to [responses] attribution-days (14 unless configured). When
    a contact got several campaigns, an order counts for the most recent one whose
    window covers it (last touch).

    \b
    Examples:
      hookline response window jazz
      hookline response window jazz 30
      hookline response window jazz 0
    """
    from campaigns.campaign_store import get_campaign
    from campaigns.responses.settings import load_response_settings
    from linter.config_file import ConfigError

    try:
        default = load_response_settings(config_path).attribution_days
    except ConfigError as exc:
        fail(str(exc))
    with (
        open_campaigns(config_path) as (_settings, db),
        db.session() as session,
        session.begin(),
    ):
        campaign = get_campaign(session, name)
        if days is not None:
            campaign.attribution_days = days or None
        own = campaign.attribution_days
    info = {"campaign": name, "attribution_days": own or default, "own": own is not None}
    if as_json:
        echo_json(info)
        return
    source = "set for this campaign" if own else "[responses] attribution-days"
    verb = "is now" if days is not None else "is"
    click.echo(f"Attribution window of {name} {verb} {own or default} days ({source}).")
