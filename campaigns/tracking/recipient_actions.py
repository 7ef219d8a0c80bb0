"""What a recipient's unsubscribe and view links do in the database.

These run in the web server's thread pool (they are blocking SQLAlchemy calls), one
short transaction each. Unsubscribing is written at once, never batched: the law and
RFC 8058 want it to take effect immediately.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr

from sqlalchemy import select

from audiences.db import Database
from audiences.models import Contact
from campaigns.composer import MessageComposer
from campaigns.ledger import contact_context
from campaigns.models import Campaign, Recipient
from campaigns.render.campaign_template import RenderedContent
from campaigns.sending import composer_for
from campaigns.settings import CampaignSettings
from campaigns.tracking.pages import mask_address
from campaigns.unsubscribe import unsubscribe_recipient

# Compiled composers kept per campaign: compiling costs a few milliseconds, and a
# campaign's view links are followed many times.
COMPOSER_CACHE_SIZE = 32


@dataclass(frozen=True)
class UnsubscribeTarget:
    """Whom an unsubscribe link names: the masked address (None once forgotten), the sender."""

    masked: str | None
    sender: str


def sender_name(from_addr: str) -> str:
    """The display name of ``Name <addr>``, or the address when there is none."""
    name, address = parseaddr(from_addr)
    return name or address or from_addr


def unsubscribe_target(db: Database, recipient_id: int) -> UnsubscribeTarget | None:
    """The page's data for ledger row ``recipient_id``; None when there is no such row."""
    with db.engine.connect() as connection:
        row = connection.execute(
            select(Campaign.from_addr, Contact.email)
            .select_from(Recipient)
            .join(Campaign, Campaign.id == Recipient.campaign_id)
            .outerjoin(Contact, Contact.id == Recipient.contact_id)
            .where(Recipient.id == recipient_id)
        ).first()
    if row is None:
        return None
    masked = mask_address(row.email) if row.email is not None else None
    return UnsubscribeTarget(masked, sender_name(row.from_addr))


def unsubscribe(
    db: Database, recipient_id: int, source: str, ip: str | None
) -> UnsubscribeTarget | None:
    """Unsubscribe the recipient of row ``recipient_id`` now; None when there is no such row.

    Idempotent: a second POST finds the address suppressed and records nothing new.
    A forgotten contact is already suppressed for every channel: nothing to do.
    """
    target = unsubscribe_target(db, recipient_id)
    if target is None:
        return None
    if target.masked is not None:
        with db.engine.begin() as connection:
            unsubscribe_recipient(connection, recipient_id, source, ip=ip)
    return target


class MessageViewer:
    """Renders a recipient's message for the browser, with compiled composers cached."""

    def __init__(self, db: Database, settings: CampaignSettings) -> None:
        self.db = db
        self.settings = settings
        self._composers: OrderedDict[tuple[int, datetime | None], MessageComposer] = OrderedDict()
        self._lock = threading.Lock()

    def view(self, recipient_id: int) -> RenderedContent | None:
        """The message of row ``recipient_id`` as sent to its contact.

        None when the row doesn't exist or its contact was forgotten. Raises
        :class:`campaigns.render.campaign_template.RenderError` when it can't render.
        """
        with self.db.session() as session:
            recipient = session.get(Recipient, recipient_id)
            if recipient is None or recipient.contact_id is None:
                return None
            contact = session.get(Contact, recipient.contact_id)
            campaign = session.get(Campaign, recipient.campaign_id)
            if contact is None or campaign is None:
                return None
            context = contact_context(contact, sorted(tag.name for tag in contact.tags))
            composer = self._composer(campaign)
        return composer.render(recipient_id, context)

    def _composer(self, campaign: Campaign) -> MessageComposer:
        # A draft can still be edited: its updated_at tells a stale composer apart.
        key = (campaign.id, campaign.updated_at)
        with self._lock:
            composer = self._composers.get(key)
            if composer is not None:
                self._composers.move_to_end(key)
                return composer
        composer = composer_for(campaign, self.settings)
        with self._lock:
            self._composers[key] = composer
            while len(self._composers) > COMPOSER_CACHE_SIZE:
                self._composers.popitem(last=False)
        return composer
