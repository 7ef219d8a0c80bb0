"""Everything about one contact for the contact page: what audiences and campaigns hold.

The audiences part comes from :func:`audiences.contacts.export_contact` (the same
record a subject access request gets); the campaigns part (what was sent to the
person and what they did) from the send ledger and the campaign events.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select

from audiences.contacts import export_contact
from audiences.db import Database
from audiences.models import Contact
from campaigns.models import Campaign, CampaignEvent, Recipient
from campaigns.web.contact_search import full_name, when

# Suppressions that stop e-mail now.
EMAIL_SUPPRESSION_CHANNELS = ("email", "all")
CONTACT_FIELDS = (
    ("first_name", "First name"),
    ("last_name", "Last name"),
    ("gender", "Gender"),
    ("birthday", "Birthday"),
    ("city", "City"),
    ("country", "Country"),
    ("address_line1", "Address"),
    ("address_line2", "Address line 2"),
    ("address_line3", "Address line 3"),
    ("postcode", "Postcode"),
    ("locale", "Locale"),
    ("timezone", "Time zone"),
    ("mail_consent", "Mail consent"),
    ("created_at", "Added"),
    ("updated_at", "Last changed"),
)


@dataclass
class ContactRecord:
    """The contact page's data; times are already formatted."""

    id: int
    email: str
    name: str
    email_consent: str | None
    details: list[tuple[str, str]]
    attrs: list[tuple[str, str]]
    tags: list[str]
    metrics: dict[str, Any]
    consent: list[dict[str, Any]]
    suppressions: list[dict[str, Any]]
    orders: list[dict[str, Any]]
    campaigns: list[dict[str, Any]]
    events: list[dict[str, Any]]

    @property
    def email_suppression(self) -> dict[str, Any] | None:
        """The suppression that stops e-mail to this address now, if any."""
        for suppression in self.suppressions:
            if suppression["channel"] in EMAIL_SUPPRESSION_CHANNELS:
                return suppression
        return None

    @property
    def sendable_by_email(self) -> bool:
        """Consent granted and not suppressed: what every e-mail audience requires."""
        return self.email_consent == "granted" and self.email_suppression is None


def _timed(rows: list[dict[str, Any]], *names: str) -> list[dict[str, Any]]:
    return [{**row, **{name: when(row.get(name)) for name in names}} for row in rows]


def load_contact(db: Database, contact_id: int) -> ContactRecord | None:
    """The contact with this id and everything held on them; None when there is none."""
    with db.session() as session:
        contact = session.get(Contact, contact_id)
        if contact is None:
            return None
        held = export_contact(session, contact.email)
        fields = held["contact"] or {}
        details = [
            (label, when(fields[name]) if name.endswith("_at") else str(fields[name]))
            for name, label in CONTACT_FIELDS
            if fields.get(name) not in (None, "")
        ]
        attrs = sorted((str(k), str(v)) for k, v in (fields.get("attrs") or {}).items())
        metrics = dict(held["metrics"] or {})
        for name in ("first_purchase_at", "last_purchase_at"):
            metrics[name] = when(metrics.get(name))
        ledger = session.execute(
            select(Campaign, Recipient)
            .join(Campaign, Campaign.id == Recipient.campaign_id)
            .where(Recipient.contact_id == contact_id)
            .order_by(Recipient.sent_at.is_(None), Recipient.sent_at, Recipient.id)
        ).all()
        campaigns = [
            {
                "name": campaign.name,
                "channel": campaign.channel,
                "campaign_state": campaign.state,
                "state": recipient.state,
                "variant": recipient.variant,
                "sent_at": when(recipient.sent_at),
                "detail": recipient.detail,
            }
            for campaign, recipient in ledger
        ]
        recipient_ids = select(Recipient.id).where(Recipient.contact_id == contact_id)
        happened = session.execute(
            select(CampaignEvent, Campaign.name)
            .join(Campaign, Campaign.id == CampaignEvent.campaign_id)
            .where(
                or_(
                    CampaignEvent.contact_id == contact_id,
                    CampaignEvent.recipient_id.in_(recipient_ids),
                )
            )
            .order_by(CampaignEvent.occurred_at, CampaignEvent.id)
        ).all()
        events = [
            {
                "campaign": name,
                "kind": event.kind,
                "occurred_at": when(event.occurred_at),
                "url": event.url,
                "amount": event.amount,
                "currency": event.currency,
                "source": event.source,
                "detail": event.detail,
            }
            for event, name in happened
        ]
        return ContactRecord(
            id=contact.id,
            email=contact.email,
            name=full_name(contact.first_name, contact.last_name),
            email_consent=contact.email_consent,
            details=details,
            attrs=attrs,
            tags=held["tags"],
            metrics=metrics,
            consent=_timed(held["consent"], "recorded_at", "confirmed_at"),
            suppressions=_timed(held["suppressions"], "created_at"),
            orders=_timed(held["orders"], "ordered_at"),
            campaigns=campaigns,
            events=events,
        )
