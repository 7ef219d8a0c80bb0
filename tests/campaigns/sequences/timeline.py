"""Helpers for sequence tests: contacts on a calendar, sequences, and what was delivered."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path

from sqlalchemy import insert, select

from audiences.consent import record_consent
from audiences.db import Database
from audiences.emails import address_hash
from audiences.models import ConsentRecord, Contact, utcnow
from campaigns.campaign_store import get_campaign
from campaigns.models import Campaign, Recipient
from campaigns.sending import composer_for, send_campaign
from campaigns.sequences.models import Sequence
from campaigns.sequences.sequence_store import StepSpec, create_sequence, parse_step
from campaigns.settings import CampaignSettings
from campaigns.smtp.smtp_url import parse_smtp_url
from linter.config import load_linter_config
from tests.campaigns.conftest import Hookline
from tests.campaigns.smtp_peer import SmtpPeer

REPO = Path(__file__).resolve().parents[3]
TEMPLATES = REPO / "templates" / "sequences"
SENDER = "Hookline Records <hi@shop.example.com>"


def add_contact(
    db: Database,
    email: str,
    *,
    timezone: str | None = None,
    birthday: date | None = None,
    first_purchase_at: datetime | None = None,
    consent: str | None = "granted",
    city: str | None = None,
) -> int:
    """One contact with the fields a trigger reads; returns their id."""
    with db.session() as session, session.begin():
        contact = Contact(
            email=email,
            email_hash=address_hash(email),
            first_name=email.split("@", maxsplit=1)[0].title(),
            timezone=timezone,
            birthday=birthday,
            first_purchase_at=first_purchase_at,
            email_consent=consent,
            city=city,
        )
        session.add(contact)
        session.flush()
        return contact.id


def confirm(db: Database, email: str, at: datetime) -> None:
    """The contact confirms their subscription (double opt-in) at ``at``."""
    with db.session() as session, session.begin():
        contact = session.scalars(select(Contact).where(Contact.email == email)).one()
        record_consent(
            session,
            contact,
            "email",
            "granted",
            "signup form",
            recorded_at=at,
            proof="confirmation link",
            confirmed_at=at,
        )


def confirm_many(db: Database, emails: list[str], at: datetime) -> None:
    """Confirmed grants for many contacts in one statement (as an import would)."""
    with db.engine.begin() as connection:
        ids = connection.scalars(select(Contact.id).where(Contact.email.in_(emails))).all()
        connection.execute(
            insert(ConsentRecord),
            [
                {
                    "contact_id": contact_id,
                    "channel": "email",
                    "status": "granted",
                    "source": "signup form",
                    "recorded_at": at,
                    "confirmed_at": at,
                }
                for contact_id in ids
            ],
        )


def _step(spec: str) -> StepSpec:
    """``"3:welcome-2.html.j2"``, a template of templates/sequences, as a step."""
    days, name = spec.split(":")
    return parse_step(f"{days}:{TEMPLATES / name}")


def make_sequence(
    hookline: Hookline,
    db: Database,
    name: str,
    trigger: str,
    steps: list[str],
    created_at: datetime | None = None,
    **options: object,
) -> Sequence:
    """A sequence from ``DAYS:TEMPLATE`` specs (templates from templates/sequences)."""
    with db.session() as session, session.begin():
        return create_sequence(
            session,
            name,
            trigger,
            [_step(spec) for spec in steps],
            SENDER,
            lint_config=load_linter_config(hookline.config),
            now=created_at or utcnow(),
            **options,  # type: ignore[arg-type]
        ).sequence


def send(db: Database, settings: CampaignSettings, peer: SmtpPeer, name: str) -> None:
    """Send what is queued and due in campaign ``name`` to the peer."""
    with db.session() as session:
        campaign = get_campaign(session, name)
    send_campaign(
        db,
        campaign.id,
        composer_for(campaign, settings),
        settings,
        parse_smtp_url(peer.url),
        wait_for_retries=False,
    )


def deliveries(peer: SmtpPeer, db: Database) -> Counter[tuple[str, str]]:
    """How many messages each (recipient, campaign name) pair received at the peer."""
    with db.engine.connect() as connection:
        names = dict(connection.execute(select(Campaign.id, Campaign.name)).all())
    counts: Counter[tuple[str, str]] = Counter()
    for _sender, recipients, content in peer.messages:
        message = BytesParser(policy=default_policy).parsebytes(content)
        campaign = names[int(str(message["X-Hookline-Campaign"]))]
        for recipient in recipients:
            counts[recipient, campaign] += 1
    return counts


def ledger_rows(db: Database, name: str) -> dict[str, tuple[str, datetime | None]]:
    """Campaign ``name``'s ledger: each contact's address -> (state, next_attempt_at)."""
    with db.engine.connect() as connection:
        rows = connection.execute(
            select(Contact.email, Recipient.state, Recipient.next_attempt_at)
            .join(Recipient, Recipient.contact_id == Contact.id)
            .join(Campaign, Campaign.id == Recipient.campaign_id)
            .where(Campaign.name == name)
        ).all()
    return {email: (state, due) for email, state, due in rows}


def campaign_state(db: Database, name: str) -> str | None:
    """The state of campaign ``name``, None if there is none."""
    with db.engine.connect() as connection:
        return connection.scalar(select(Campaign.state).where(Campaign.name == name))
