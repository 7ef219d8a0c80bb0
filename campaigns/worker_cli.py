"""``hookline worker``: the sending loop as a process of its own.

Run one or more on any machine that reaches the database and the SMTP server. Each
claims batches of recipients under a lease (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL), so workers share campaigns without sending anyone the same campaign
twice. Stop one with Ctrl-C or SIGTERM: it finishes the messages in flight and hands
back what it claimed. If one is killed outright, its rows go back to the queue when
its lease expires ([sending] lease-seconds); at most one message per SMTP connection
of the dead worker can be sent twice.
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import click
from sqlalchemy import select

from campaigns.command_context import open_campaigns

if TYPE_CHECKING:
    from campaigns.composer import MessageComposer

POLL_SECONDS = 1.0


@click.command("worker")
@click.option("--campaign", "only", help="Send only this campaign.")
@click.option(
    "--until-done",
    is_flag=True,
    help="Exit when no campaign has work left (default: keep polling for new sends).",
)
@click.option("--quiet", is_flag=True, help="Don't announce the worker on stderr.")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    help="Config file (default: ./config.toml or $HOOKLINE_CONFIG).",
)
def worker_command(
    only: str | None, until_done: bool, quiet: bool, config_path: Path | None
) -> None:
    """Send every campaign that is sending, alongside any other workers.

    \b
    Examples:
      hookline worker                      poll for sending campaigns forever
      hookline worker --campaign jazz --until-done
    Start a send with `hookline campaign send NAME` (which also sends), or start
    several workers against one PostgreSQL database to share the load.
    """
    from campaigns import ledger
    from campaigns.campaign_store import get_campaign
    from campaigns.models import Campaign
    from campaigns.sending import send_due_rows, smtp_transport, worker_name

    stop = threading.Event()

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    owner = worker_name()
    with open_campaigns(config_path) as (settings, db), smtp_transport(settings) as (url, _):
        if not quiet:
            click.echo(f"worker {owner}: sending through {url.display()}", err=True)
        composers: dict[int, MessageComposer] = {}
        while not stop.is_set():
            with db.session() as session:
                if only is not None:
                    campaigns = [get_campaign(session, only)]
                    campaigns = [c for c in campaigns if c.state == "sending"]
                else:
                    campaigns = list(
                        session.scalars(
                            select(Campaign)
                            .where(Campaign.state == "sending", Campaign.channel == "email")
                            .order_by(Campaign.id)
                        )
                    )
            worked = False
            for campaign in campaigns:
                if stop.is_set():
                    break
                stats = send_due_rows(db, campaign, composers, settings, url, owner, stop)
                worked = worked or bool(stats.sent + stats.bounced + stats.failed + stats.retried)
            if until_done:
                with db.engine.connect() as connection:
                    pending = sum(ledger.unfinished(connection, c.id) for c in campaigns)
                if not pending:
                    break
            if not worked:
                stop.wait(POLL_SECONDS)
