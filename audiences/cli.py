"""``hookline audience``: import contacts and orders, query segments, answer data requests.

Each command is a thin layer over the library (:mod:`audiences.contact_import`,
:mod:`audiences.order_import`, :mod:`audiences.audience_query`,
:mod:`audiences.segments`, :mod:`audiences.contacts`). Exit status: 0 ok, 1 when an
import rejected rows, 2 on a usage or input error (a bad query, an unreadable file, a
database that can't be opened), always as a clear message rather than a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from audiences.command_context import (
    EXIT_OK,
    EXIT_REJECTED,
    fail,
    open_audience,
    require_file,
)
from audiences.terminal import echo_json, progress_bar, text_table

# Rejected rows listed on the terminal; the rejects file has them all.
REJECTS_LISTED = 20
# Columns of `show` as text (--json gives every field).
SHOW_COLUMNS = ("email", "first_name", "last_name", "city", "country", "tier", "total_spent")
SHOW_MAIL_COLUMNS = ("address_line1", "postcode")

config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    help="Config file (default: ./config.toml or $HOOKLINE_CONFIG). The database is "
    "[database] url there, or $HOOKLINE_DATABASE_URL.",
)
json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print JSON for scripts instead of text."
)
channel_option = click.option(
    "--channel",
    type=click.Choice(["email", "mail"]),
    default="email",
    show_default=True,
    help="Only contacts sendable on this channel.",
)


@click.group("audience")
def audience_group() -> None:
    """Contacts, orders and segments: who a campaign can reach.

    The database is created and migrated on first use: an SQLite file
    (var/hookline.db) unless [database] url or $HOOKLINE_DATABASE_URL names another,
    for example postgresql://127.0.0.1/hookline.

    Every query counts only contacts sendable on its channel: for email, consent
    granted and no suppression; for mail, a complete postal address. An empty query
    means everyone sendable, and @NAME uses a saved segment.

    \b
    Queries:
      city = "Hanoi" and tier in ("Gold", "Platinum")
      last_purchase_at >= 90 days ago and not tag "vip"
      orders >= 2 or total_spent between 1000000 and 5000000
      birthday is not empty and attr.store = "Hoàn Kiếm" and @newsletter
    A misspelt field is named with the nearest one; a syntax error is shown with a
    caret under it. Neither runs anything.

    \b
    Examples:
      hookline audience import contacts.csv
      hookline audience import-orders orders.csv
      hookline audience count 'city = "Hanoi"' --json
      hookline audience segment save hanoi 'city = "Hanoi"'
      hookline audience export @hanoi hanoi.csv
      hookline audience forget lan@example.com
    """


def _import(
    kind: str,
    path: Path,
    config_path: Path | None,
    as_json: bool,
) -> None:
    """Run an importer with a progress bar, report, and exit 0, 1 (rejects) or 2."""
    require_file(path)
    with (
        open_audience(config_path) as (settings, db),
        progress_bar(f"Importing {path.name}") as progress,
    ):
        if kind == "contacts":
            from audiences.contact_import import import_contacts

            result = import_contacts(db, path, settings, progress)
        else:
            from audiences.order_import import import_orders

            result = import_orders(db, path, settings, progress)
    rejects = str(result.rejects_path) if result.rejects_path else None
    if as_json:
        echo_json(
            {
                "file": str(path),
                "rows": result.rows,
                "imported": result.imported,
                "rejected": result.rejected,
                "rejects_path": rejects,
                "rejected_rows": [
                    {"row": bad.row, "reason": bad.reason} for bad in result.rejected_rows
                ],
            }
        )
    else:
        click.echo(f"Imported {result.imported} of {result.rows} rows from {path}.")
        for bad in result.rejected_rows[:REJECTS_LISTED]:
            click.echo(f"{path}: row {bad.row}: {bad.reason}")
        more = result.rejected - min(len(result.rejected_rows), REJECTS_LISTED)
        if more > 0:
            click.echo(f"... and {more} more in {rejects}")
        if result.rejected:
            click.echo(
                f"{result.rejected} rejected row(s) written to {rejects}, "
                "each with its row number and reason."
            )
    sys.exit(EXIT_REJECTED if result.rejected else EXIT_OK)


@audience_group.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@json_option
@config_option
def import_command(file: Path, as_json: bool, config_path: Path | None) -> None:
    """Import or update contacts from a CSV file.

    A contact is matched by e-mail address (any case), so importing a file again
    updates rather than duplicates. Every bad row is reported with its row number and
    reason, and written to FILE.rejects.csv (row number, reason, then the row as read);
    the good rows are imported.

    \b
    Examples:
      hookline audience import contacts.csv
      hookline audience import contacts.csv --json > report.json

    Exit status: 0 when every row was imported, 1 when some were rejected, 2 when the
    file can't be read.
    """
    _import("contacts", file, config_path, as_json)


@audience_group.command("import-orders")
@click.argument("file", type=click.Path(path_type=Path))
@json_option
@config_option
def import_orders_command(file: Path, as_json: bool, config_path: Path | None) -> None:
    """Import orders and recompute spend and tiers.

    Orders come from a CSV file; each contact's spend, RFM scores and tier are
    recomputed afterwards.

    Orders are matched to contacts by e-mail address; an order is identified by its
    order id, so importing a file again changes nothing. Bad rows are reported and
    written to FILE.rejects.csv, as for `hookline audience import`.

    \b
    Examples:
      hookline audience import-orders orders.csv
      hookline audience count 'tier = "Platinum"'   # then query the tiers

    Exit status: 0 when every row was imported, 1 when some were rejected, 2 when the
    file can't be read.
    """
    _import("orders", file, config_path, as_json)


@audience_group.command("count")
@click.argument("query", default="", required=False)
@channel_option
@json_option
@config_option
def count_command(query: str, channel: str, as_json: bool, config_path: Path | None) -> None:
    """Count the contacts a segment reaches.

    Only contacts sendable on the channel that QUERY selects are counted.

    An empty or missing QUERY counts everyone sendable on the channel. A query that
    can't be read is shown with a caret under the fault; nothing runs.

    \b
    Examples:
      hookline audience count
      hookline audience count 'city = "Hanoi"'
      hookline audience count '@hanoi' --channel mail --json    {"count": 42}

    Exit status: 0, or 2 when the query or the database is at fault.
    """
    from audiences.audience_query import count

    with open_audience(config_path) as (settings, db):
        total = count(db, query, settings, channel)
    if as_json:
        echo_json({"count": total})
    else:
        click.echo(f"{total} contact(s) sendable by {channel}.")


@audience_group.command("show")
@click.argument("query", default="", required=False)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="Rows to show.",
)
@channel_option
@json_option
@config_option
def show_command(
    query: str, limit: int, channel: str, as_json: bool, config_path: Path | None
) -> None:
    """Show a sample of a segment's contacts.

    The first contacts QUERY selects among those sendable on the channel.

    The text table has the main columns; --json gives every field of each contact,
    with the total count.

    \b
    Examples:
      hookline audience show 'city = "Hanoi"'
      hookline audience show @hanoi --limit 50 --json

    Exit status: 0, or 2 when the query or the database is at fault.
    """
    from audiences.audience_query import count, sample

    with open_audience(config_path) as (settings, db):
        rows = sample(db, query, settings, channel, limit)
        total = count(db, query, settings, channel) if len(rows) == limit else len(rows)
    if as_json:
        echo_json({"count": total, "contacts": rows})
        return
    if not rows:
        click.echo(f"No contact sendable by {channel} matches.")
        return
    columns = SHOW_COLUMNS + (SHOW_MAIL_COLUMNS if channel == "mail" else ())
    click.echo(text_table(rows, columns))
    click.echo(f"Showing {len(rows)} of {total} contact(s) sendable by {channel}.")


@audience_group.command("export")
@click.argument("query")
@click.argument("file", type=click.Path(path_type=Path))
@channel_option
@json_option
@config_option
def export_command(
    query: str, file: Path, channel: str, as_json: bool, config_path: Path | None
) -> None:
    """Write the contacts a segment selects to a CSV file.

    Every contact QUERY selects among those sendable on the channel goes to FILE.

    Columns: e-mail, names, address, locale, consent, metrics, tags (separated by ;)
    and attrs (a JSON object). Use '' as QUERY for everyone sendable. The file is
    written only for people with access to it (mode 600) and replaced only once the
    export is complete.

    \b
    Examples:
      hookline audience export 'city = "Hanoi"' hanoi.csv
      hookline audience export @hanoi letters.csv --channel mail

    Exit status: 0, or 2 when the query, the file or the database is at fault.
    """
    from audiences.audience_query import export_csv

    if file.is_dir():
        fail(f"{file}: is a folder; name the CSV file to write")
    if not file.parent.is_dir():
        fail(f"{file}: the folder {file.parent} does not exist")
    with (
        open_audience(config_path) as (settings, db),
        progress_bar(f"Exporting to {file.name}", unit="rows") as progress,
    ):
        written = export_csv(db, query, settings, channel, file, progress)
    if as_json:
        echo_json({"exported": written, "file": str(file), "channel": channel})
    else:
        click.echo(f"Exported {written} contact(s) sendable by {channel} to {file}.")


@audience_group.group("segment")
def segment_group() -> None:
    """Save queries by name, to use as @NAME.

    \b
    Examples:
      hookline audience segment save hanoi 'city = "Hanoi"'
      hookline audience segment list
      hookline audience count @hanoi
    """


@segment_group.command("save")
@click.argument("name")
@click.argument("query")
@json_option
@config_option
def segment_save_command(name: str, query: str, as_json: bool, config_path: Path | None) -> None:
    """Save QUERY as segment NAME (replacing one of that name), usable as @NAME.

    The query is checked first; a bad one is shown with a caret and nothing is saved.

    \b
    Examples:
      hookline audience segment save hanoi 'city = "Hanoi"'
      hookline audience segment save hanoi-gold '@hanoi and tier = "Gold"'
    """
    from audiences.audience_query import count
    from audiences.segments import save_segment

    with open_audience(config_path) as (settings, db):
        with db.session() as session:
            saved = save_segment(session, name, query).name
            session.commit()
        total = count(db, f"@{saved}", settings)
    if as_json:
        echo_json({"name": saved, "query": query, "count": total})
    else:
        click.echo(f"Saved @{saved}: {query}  ({total} contact(s) sendable by email now)")


@segment_group.command("list")
@json_option
@config_option
def segment_list_command(as_json: bool, config_path: Path | None) -> None:
    """List the saved segments with their queries.

    \b
    Examples:
      hookline audience segment list
      hookline audience segment list --json
    """
    from audiences.segments import list_segments

    with open_audience(config_path) as (_settings, db), db.session() as session:
        segments = [(segment.name, segment.query) for segment in list_segments(session)]
    if as_json:
        echo_json([{"name": name, "query": query} for name, query in segments])
        return
    if not segments:
        click.echo("No saved segment yet; save one with: hookline audience segment save NAME QUERY")
        return
    width = max(len(name) for name, _query in segments) + 1
    for name, query in segments:
        click.echo(f"@{name.ljust(width)} {query}")


@audience_group.command("forget")
@click.argument("email")
@json_option
@config_option
def forget_command(email: str, as_json: bool, config_path: Path | None) -> None:
    """Erase a person's data; keep a suppression.

    Everything held on EMAIL goes except a suppression of the address's hash.

    The contact, their consent records and tags are deleted; their orders stay, no
    longer linked to anyone. The address's SHA-256 is suppressed on every channel, so
    importing it again can't make it sendable. This can't be undone. An address not
    in the database is suppressed all the same.

    \b
    Examples:
      hookline audience export-contact lan@example.com > lan.json   # first, if asked
      hookline audience forget lan@example.com
    """
    from audiences.contacts import forget_contact

    with open_audience(config_path) as (_settings, db), db.session() as session:
        erased = forget_contact(session, email)
        session.commit()
    if as_json:
        echo_json({"email": email, "erased": erased, "suppressed": True})
    elif erased:
        click.echo(f"Forgot {email}: contact erased, address suppressed on every channel.")
    else:
        click.echo(f"No contact {email}; the address is suppressed on every channel.")


@audience_group.command("export-contact")
@click.argument("email")
@click.option(
    "--json", "as_json", is_flag=True, help="Accepted like elsewhere; the output is JSON anyway."
)
@config_option
def export_contact_command(email: str, as_json: bool, config_path: Path | None) -> None:
    """Print everything held on one person as JSON.

    For a subject access request about EMAIL.

    It has every stored field and attrs, tags, the consent history with its proof,
    orders, derived metrics (spend, RFM, tier) and the suppressions of the address.

    \b
    Examples:
      hookline audience export-contact lan@example.com > lan.json
    """
    from audiences.contacts import export_contact

    del as_json  # always JSON
    with open_audience(config_path) as (_settings, db), db.session() as session:
        exported = export_contact(session, email)
    echo_json(exported)
