"""Work the scheduler does every tick: send started campaigns, and whatever else registers.

``PERIODIC_TASKS`` lists ``"module:function"`` references. Each function has the
signature ``function(db: Database, settings: CampaignSettings, now: datetime) -> int``
(``now`` in naive UTC, as timestamps are stored; it returns how much it did) and is
imported and called in turn. An error in one is logged and doesn't stop the others,
so a task still being written can't stop campaigns going out.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import or_, select

from audiences.db import Database
from audiences.models import utcnow
from campaigns import ledger
from campaigns.models import Campaign, Recipient
from campaigns.scheduling import runtime
from campaigns.settings import CampaignSettings
from campaigns.smtp.smtp_url import SmtpUrl

log = logging.getLogger("campaigns.scheduling")

PeriodicTask = Callable[[Database, CampaignSettings, datetime], int]

# Order matters: an A/B decision releases held rows and a sequence queues new ones, so
# both run before deliver_due sends what is due in the same tick.
PERIODIC_TASKS: tuple[str, ...] = (
    "campaigns.ab_test:decide_due",
    "campaigns.sequences.runner:run_due_sequences",
    "campaigns.scheduling.periodic:deliver_due",
    "campaigns.letters.letter_delivery:print_due_letters",
)


def load_task(reference: str) -> PeriodicTask:
    """The function a ``"module:function"`` reference names."""
    module_name, _, attribute = reference.partition(":")
    function = getattr(importlib.import_module(module_name), attribute)
    if not callable(function):
        raise TypeError(f"{reference} is not a function")
    task: PeriodicTask = function
    return task


def run_periodic_tasks(
    db: Database,
    settings: CampaignSettings,
    now: datetime,
    tasks: tuple[str, ...] = PERIODIC_TASKS,
) -> dict[str, int | None]:
    """Run each task once; what each returned, or None for one that failed (logged)."""
    done: dict[str, int | None] = {}
    for reference in tasks:
        try:
            done[reference] = int(load_task(reference)(db, settings, now))
        except Exception as exc:
            log.error("periodic task %s failed: %s: %s", reference, type(exc).__name__, exc)
            done[reference] = None
    return done


def due_campaigns(db: Database, now: datetime) -> list[Campaign]:
    """Email campaigns that are sending and have queued rows due by ``now``."""
    due_row = (
        select(Recipient.id)
        .where(
            Recipient.campaign_id == Campaign.id,
            Recipient.state == "queued",
            or_(Recipient.next_attempt_at.is_(None), Recipient.next_attempt_at <= now),
        )
        .exists()
    )
    with db.session() as session:
        return list(
            session.scalars(
                select(Campaign)
                .where(Campaign.state == "sending", Campaign.channel == "email", due_row)
                .order_by(Campaign.id)
            )
        )


@contextmanager
def _transport(settings: CampaignSettings) -> Iterator[SmtpUrl]:
    """The service's SMTP server, or one opened for this call when no service runs."""
    context = runtime.running()
    if context is not None and context.smtp_url is not None:
        yield context.smtp_url
        return
    from campaigns.sending import smtp_transport

    with smtp_transport(settings) as (url, _captured):
        yield url


def deliver_due(db: Database, settings: CampaignSettings, now: datetime) -> int:
    """Send every sending campaign's due rows; how many messages got an outcome.

    Retries not yet due, and local-time rows whose hour hasn't come, stay queued for
    a later tick. A campaign whose rows are all final is marked done.
    """
    from campaigns.sending import send_due_rows

    campaigns = due_campaigns(db, now)
    if not campaigns:
        return 0
    context = runtime.running()
    composers = context.composers if context is not None else {}
    stop = context.stop if context is not None else None
    owner = context.owner if context is not None else None
    handled = 0
    with _transport(settings) as url:
        for campaign in campaigns:
            if stop is not None and stop.is_set():
                break
            stats = send_due_rows(db, campaign, composers, settings, url, owner, stop)
            with db.engine.begin() as connection:
                finished = ledger.finish_if_complete(connection, campaign.id, utcnow())
            count = stats.sent + stats.bounced + stats.failed + stats.skipped
            handled += count
            if count or finished:
                log.info(
                    "sent %s: %d sent, %d bounced, %d failed, %d skipped, %d to retry%s",
                    campaign.name,
                    stats.sent,
                    stats.bounced,
                    stats.failed,
                    stats.skipped,
                    stats.retried,
                    "; done" if finished else "",
                )
    return handled
