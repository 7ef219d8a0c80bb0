"""The scheduler's periodic task for letters: print what a started letter campaign queued.

A letter campaign scheduled with ``campaign schedule`` (or from the web app) is
started by its job like an email campaign; this task, run each tick after
``deliver_due``, renders its queued rows into the batch PDF and manifest. Rows are
claimed under a lease, so a print run started by hand at the same time never prints
a letter twice.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from audiences.db import Database
from campaigns.letters.letter_settings import LetterSettings, load_letter_settings
from campaigns.models import Campaign, Recipient
from campaigns.scheduling import runtime
from campaigns.settings import CampaignSettings

log = logging.getLogger(__name__)


def due_letter_campaigns(db: Database) -> list[Campaign]:
    """Letter campaigns that are sending and have queued rows."""
    queued = (
        select(Recipient.id)
        .where(Recipient.campaign_id == Campaign.id, Recipient.state == "queued")
        .exists()
    )
    with db.session() as session:
        found = list(
            session.scalars(
                select(Campaign)
                .where(Campaign.state == "sending", Campaign.channel == "letter", queued)
                .order_by(Campaign.id)
            )
        )
        for campaign in found:
            session.expunge(campaign)
        return found


def print_due_letters(db: Database, settings: CampaignSettings, now: datetime) -> int:
    """Print every sending letter campaign's queued rows; how many letters were printed."""
    del now  # letters have no send time of their own: queued rows are due at once
    campaigns = due_letter_campaigns(db)
    if not campaigns:
        return 0
    # Imported only when there is something to print: WeasyPrint takes about a second
    # to import, which every tick of a scheduler without letters would otherwise pay.
    from campaigns.letters.letter_send import render_queued_letters

    context = runtime.running()
    letters: LetterSettings = (
        context.letters
        if context is not None and context.letters is not None
        else load_letter_settings()
    )
    printed = 0
    for campaign in campaigns:
        if context is not None and context.stop.is_set():
            break
        stats, batch = render_queued_letters(db, settings, letters, campaign)
        printed += stats.printed
        log.info(
            "printed %s: %d letters (%d failed); %s",
            campaign.name,
            stats.printed,
            stats.failed,
            batch.pdf or "no batch PDF yet",
        )
    return printed
