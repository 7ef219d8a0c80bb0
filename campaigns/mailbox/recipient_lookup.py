"""From a classified message to the ledger row it is about, or to none at all.

Two ways only, so nothing is ever guessed: our verified Message-ID (its campaign must
be the row's campaign), or, when a bounce quotes our ``X-Hookline-Campaign`` but not
the Message-ID, the failed address matching the contact of that campaign's row.
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from audiences.models import Contact
from campaigns.events import RecipientOrigin, recipient_origin
from campaigns.mailbox.classify import Classification
from campaigns.models import Recipient


def find_recipient(
    connection: Connection, classification: Classification
) -> RecipientOrigin | None:
    """The ledger row ``classification`` is about, or None when it can't be known."""
    ours = classification.ours
    if ours is not None:
        origin = recipient_origin(connection, ours.recipient_id)
        if origin is None or origin.campaign_id != ours.campaign_id:
            return None
        return origin
    campaign_id = classification.campaign_hint
    address = classification.recipient_address
    if campaign_id is None or not address:
        return None
    row = connection.execute(
        select(Recipient.id, Recipient.campaign_id, Recipient.contact_id)
        .join(Contact, Contact.id == Recipient.contact_id)
        .where(Recipient.campaign_id == campaign_id, Contact.email == address.lower())
    ).first()
    if row is None:
        return None
    return RecipientOrigin(row.id, row.campaign_id, row.contact_id)
