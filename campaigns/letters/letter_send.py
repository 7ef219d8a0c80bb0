"""``hookline campaign send`` for a letter campaign: counts, print run, batch files.

Before rendering, the send says how many letters it will render and who is skipped
and why (from the ledger's snapshot); then a progress bar while the chunks render;
then where the batch PDF and the manifest are, and the speed.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from sqlalchemy import Connection, func, select

from audiences.db import Database
from audiences.models import utcnow
from audiences.terminal import echo_json, progress_bar
from campaigns import ledger
from campaigns.campaign_store import get_campaign
from campaigns.command_context import EXIT_FAILED
from campaigns.composer import RECIPE_FIELDS, ComposerRecipe
from campaigns.letters.batch_files import Batch, assemble
from campaigns.letters.chunk_render import LetterRecipe
from campaigns.letters.letter_settings import LetterSettings, load_letter_settings
from campaigns.letters.letter_words import words_for
from campaigns.letters.print_run import RunStats, print_letters
from campaigns.models import Campaign, Recipient
from campaigns.settings import CampaignSettings, secret_key
from linter.document import parse_document


def skipped_by_reason(connection: Connection, campaign_id: int) -> dict[str, int]:
    """How many rows were skipped, by the reason in their ``detail``."""
    rows = connection.execute(
        select(Recipient.detail, func.count())
        .where(Recipient.campaign_id == campaign_id, Recipient.state == "skipped")
        .group_by(Recipient.detail)
        .order_by(func.count().desc(), Recipient.detail)
    )
    return {str(detail or "no reason recorded"): count for detail, count in rows}


def letter_recipe(
    campaign: Campaign, settings: CampaignSettings, letters: LetterSettings, folder: Path
) -> LetterRecipe:
    """What the worker processes need, from the campaign and the settings."""
    front = parse_document(campaign.template_path, campaign.template_source).front
    day = (campaign.started_at or campaign.created_at).date()
    return LetterRecipe(
        composer=ComposerRecipe(
            {name: getattr(campaign, name) for name in RECIPE_FIELDS},
            settings,
            secret_key(settings),
            False,
        ),
        paper_size=letters.paper_size,
        return_address=letters.return_address,
        date_line=words_for(front.lang).date_line(day, letters.place),
        reply_card=front.reply_card,
        base_url=settings.base_url,
        chunk_folder=str(folder / "chunks"),
    )


def render_queued_letters(
    db: Database,
    settings: CampaignSettings,
    letters: LetterSettings,
    campaign: Campaign,
    *,
    per_letter: bool = False,
    on_chunk: Callable[[RunStats], None] | None = None,
) -> tuple[RunStats, Batch]:
    """Render a started letter campaign's queued rows, then assemble its batch files.

    Prints nothing and never exits: ``hookline campaign send`` and the web app's
    "Print now" both call it. ``on_chunk`` hears the run's stats after each chunk.
    """
    folder = letters.output / campaign.name
    with db.engine.connect() as connection:
        queued = ledger.state_counts(connection, campaign.id).get("queued", 0)
    stats = RunStats()
    if queued:
        stats = print_letters(
            db.engine,
            campaign.id,
            letter_recipe(campaign, settings, letters, folder),
            letters.processes,
            letters.chunk_size,
            settings.lease_seconds,
            on_chunk=on_chunk,
        )
    with db.engine.begin() as connection:
        ledger.finish_if_complete(connection, campaign.id, utcnow())
        batch = assemble(connection, campaign.id, folder, per_letter)
    return stats, batch


def send_letters(
    db: Database,
    settings: CampaignSettings,
    name: str,
    config_path: Path | None,
    *,
    per_letter: bool,
    as_json: bool,
    snapshot: int | None,
) -> None:
    """Render a started letter campaign's queued rows and assemble its batch files."""
    letters = load_letter_settings(config_path)
    with db.session() as session:
        campaign = get_campaign(session, name)
        session.expunge(campaign)
    with db.engine.connect() as connection:
        counts = ledger.state_counts(connection, campaign.id)
        reasons = skipped_by_reason(connection, campaign.id)
    to_render = counts.get("queued", 0)
    if not as_json:
        if snapshot is not None:
            click.echo(f"Snapshot: {snapshot:,} contacts in the segment.")
        click.echo(
            f"To render: {to_render:,} letters"
            + (f" ({counts['sent']:,} already printed)." if counts.get("sent") else ".")
        )
        skipped = sum(reasons.values())
        if skipped:
            click.echo(f"Skipped: {skipped:,}")
            for reason, count in reasons.items():
                click.echo(f"  {count:>6,}  {reason}")
    try:
        if not to_render:
            stats, batch = render_queued_letters(
                db, settings, letters, campaign, per_letter=per_letter
            )
        else:
            with progress_bar(f"Rendering {name}", unit="rows") as advance:

                def show(run: RunStats) -> None:
                    if advance is not None:
                        advance(run.printed + run.failed + run.skipped, to_render)

                stats, batch = render_queued_letters(
                    db, settings, letters, campaign, per_letter=per_letter, on_chunk=show
                )
    except KeyboardInterrupt:
        click.echo(
            f"Interrupted. Run `hookline campaign send {name}` again to render the rest.",
            err=True,
        )
        sys.exit(130)
    with db.engine.connect() as connection:
        counts = ledger.state_counts(connection, campaign.id)
        reasons = skipped_by_reason(connection, campaign.id)
        failures = _failures(connection, campaign.id)
    report: dict[str, Any] = {
        "campaign": name,
        "rendered": stats.printed,
        "pages_rendered": stats.pages,
        "seconds": round(stats.seconds, 3),
        "letters_per_second": round(stats.printed / stats.seconds, 1) if stats.seconds else None,
        "printed": batch.letters,
        "pages": batch.pages,
        "failed": counts.get("failed", 0),
        "skipped": counts.get("skipped", 0),
        "skipped_by_reason": reasons,
        "failures": failures,
        "pdf": str(batch.pdf) if batch.pdf else None,
        "manifest": str(batch.manifest),
        "per_letter": str(batch.per_letter) if batch.per_letter else None,
    }
    if as_json:
        echo_json(report)
    else:
        _echo_report(report)
    if report["failed"]:
        sys.exit(EXIT_FAILED)


def _failures(connection: Connection, campaign_id: int) -> dict[str, str]:
    rows = connection.execute(
        select(Recipient.id, Recipient.detail).where(
            Recipient.campaign_id == campaign_id, Recipient.state == "failed"
        )
    )
    return {str(rid): str(detail) for rid, detail in rows}


def _echo_report(report: dict[str, Any]) -> None:
    if report["rendered"]:
        click.echo(
            f"Rendered {report['rendered']:,} letters ({report['pages_rendered']:,} pages) in "
            f"{report['seconds']:.1f} s: {report['letters_per_second']} letters/s."
        )
    for rid, reason in report["failures"].items():
        click.echo(f"Failed: ledger row {rid}: {reason}", err=True)
    if report["pdf"]:
        click.echo(
            f"{report['campaign']}: {report['printed']:,} letters on {report['pages']:,} pages "
            f"in {report['pdf']}"
        )
    else:
        click.echo(f"{report['campaign']}: no letters to print.")
    click.echo(f"Manifest: {report['manifest']}")
    if report["per_letter"]:
        click.echo(f"One PDF per letter in {report['per_letter']}")
