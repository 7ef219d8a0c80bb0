"""``hookline demo``: the whole email loop on the embedded defaults, in one command.

It imports a handful of demo contacts (once), creates a campaign from the example
template (once), sends it through the built-in SMTP capture, and lists what arrived.
Run it again and nothing is sent twice: the ledger remembers.
"""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import func, select

from campaigns.command_context import open_campaigns

DEMO_CONTACTS = Path(__file__).parent / "demo_data" / "contacts.csv"
DEMO_CAMPAIGN = "demo-jazz-sale"
DEMO_TEMPLATE = Path("templates/en/jazz-sale.html.j2")
DEMO_SENDER = "Hookline Records <news@hookline.example>"


@click.command("demo")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    help="Config file (default: ./config.toml or $HOOKLINE_CONFIG).",
)
def demo_command(config_path: Path | None) -> None:
    """Import demo contacts, send the example campaign, and show the outbox.

    \b
    Everything stays on this machine: the database is var/hookline.db and, with no
    [smtp] url, mail goes to the built-in capture in var/outbox/. Then try:
      hookline outbox show ID             read a message
      hookline campaign report demo-jazz-sale
      hookline audience count 'tag "jazz"'
    """
    from audiences.contact_import import import_contacts
    from audiences.models import Contact
    from campaigns import ledger
    from campaigns.campaign_store import create_campaign, get_campaign
    from campaigns.models import Campaign
    from campaigns.sending import composer_for, send_campaign, smtp_transport, start
    from campaigns.smtp.outbox import list_outbox
    from linter.config import load_linter_config

    with open_campaigns(config_path) as (settings, db):
        with db.session() as session:
            contacts = session.scalar(select(func.count()).select_from(Contact)) or 0
        if not contacts:
            result = import_contacts(db, DEMO_CONTACTS, settings.audience)
            click.echo(f"Imported {result.imported} demo contacts.")
        with db.session() as session, session.begin():
            exists = session.scalar(select(Campaign.id).where(Campaign.name == DEMO_CAMPAIGN))
            if exists is None:
                if not DEMO_TEMPLATE.is_file():
                    raise click.ClickException(
                        f"{DEMO_TEMPLATE} not found; run the demo from the project folder"
                    )
                create_campaign(session, DEMO_CAMPAIGN, DEMO_TEMPLATE, 'tag "jazz"', DEMO_SENDER)
                click.echo(f"Created campaign {DEMO_CAMPAIGN} from {DEMO_TEMPLATE}.")
            campaign = get_campaign(session, DEMO_CAMPAIGN)
            started = start(session, campaign, settings, None, load_linter_config(config_path))
        if started.snapshot is None:
            click.echo(f"{DEMO_CAMPAIGN} was sent before; the ledger keeps it from going twice.")
        with smtp_transport(settings) as (url, captured):
            stats = send_campaign(db, campaign.id, composer_for(campaign, settings), settings, url)
        with db.engine.connect() as connection:
            counts = ledger.state_counts(connection, campaign.id)
    click.echo(
        f"Sent {stats.sent} message(s) now; the campaign's ledger: "
        + ", ".join(f"{state} {n}" for state, n in sorted(counts.items()))
        + "."
    )
    if captured:
        entries = list_outbox(settings.outbox)
        click.echo(f"The outbox ({settings.outbox}) holds {len(entries)} message(s):")
        for entry in entries[-5:]:
            click.echo(f"  {entry.id}  {entry.to:<26} {entry.subject}")
        click.echo("Read one with `hookline outbox show ID`; list all with `hookline outbox`.")
