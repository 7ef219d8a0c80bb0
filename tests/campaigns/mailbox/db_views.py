"""Reading back what a fetch recorded: events, suppressions, ledger rows."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from audiences.db import Database
from audiences.emails import address_hash
from audiences.models import Contact, Suppression
from campaigns.models import CampaignEvent, Recipient


@dataclass(frozen=True)
class EventRow:
    """One recorded event, with the contact's address."""

    email: str  # "" for a forgotten contact
    kind: str
    source: str | None
    detail: str | None
    campaign_id: int
    recipient_id: int | None


def events(db: Database, kind: str | None = None) -> list[EventRow]:
    """Every event (of ``kind``), oldest first."""
    query = (
        select(
            Contact.email,
            CampaignEvent.kind,
            CampaignEvent.source,
            CampaignEvent.detail,
            CampaignEvent.campaign_id,
            CampaignEvent.recipient_id,
        )
        .outerjoin(Contact, Contact.id == CampaignEvent.contact_id)
        .order_by(CampaignEvent.id)
    )
    if kind is not None:
        query = query.where(CampaignEvent.kind == kind)
    with db.engine.connect() as connection:
        return [EventRow(row[0] or "", *row[1:]) for row in connection.execute(query)]


def suppression_reason(db: Database, email: str) -> str | None:
    """Why ``email`` is suppressed for email, or None."""
    with db.engine.connect() as connection:
        return connection.scalar(
            select(Suppression.reason).where(
                Suppression.address_hash == address_hash(email), Suppression.channel == "email"
            )
        )


def suppressions(db: Database) -> dict[str, int]:
    """How many addresses are suppressed for each reason."""
    with db.engine.connect() as connection:
        rows = connection.execute(select(Suppression.reason)).scalars().all()
    counts: dict[str, int] = {}
    for reason in rows:
        counts[reason] = counts.get(reason, 0) + 1
    return counts


def consent(db: Database, email: str) -> str | None:
    """The contact's email consent."""
    with db.engine.connect() as connection:
        return connection.scalar(select(Contact.email_consent).where(Contact.email == email))


def row_of(db: Database, campaign_id: int, email: str) -> tuple[int, int]:
    """The ledger row id and contact id of ``email`` in a campaign."""
    with db.engine.connect() as connection:
        row = connection.execute(
            select(Recipient.id, Contact.id)
            .join(Contact, Contact.id == Recipient.contact_id)
            .where(Recipient.campaign_id == campaign_id, Contact.email == email)
        ).one()
    return int(row[0]), int(row[1])
