"""The schema is created and migrated on first use, on both databases."""

from __future__ import annotations

from sqlalchemy import inspect, select

from audiences.consent import record_consent
from audiences.db import Database, is_current, open_database
from audiences.emails import address_hash
from audiences.models import Contact, Suppression
from audiences.sendable import sendable


def test_first_use_creates_every_table_and_reopening_changes_nothing(database_url: str) -> None:
    first = open_database(database_url)
    assert {"contacts", "consent_records", "suppressions", "orders", "segments", "tags"} <= set(
        inspect(first.engine).get_table_names()
    )
    assert is_current(first.engine)
    again = open_database(database_url)
    assert is_current(again.engine)


def _contact(db: Database, email: str) -> Contact:
    with db.session() as session:
        contact = Contact(email=email, email_hash=address_hash(email))
        session.add(contact)
        session.commit()
        return contact


def _sendable_emails(db: Database, channel: str) -> list[str]:
    with db.session() as session:
        return list(
            session.scalars(select(Contact.email).where(sendable(channel)).order_by(Contact.email))
        )


def test_the_latest_consent_record_decides(db: Database) -> None:
    _contact(db, "an@example.com")
    with db.session() as session:
        contact = session.scalars(select(Contact)).one()
        record_consent(session, contact, "email", "granted", "test")
        assert contact.email_consent == "granted"
        record_consent(session, contact, "email", "withdrawn", "test")
        assert contact.email_consent == "withdrawn"
        session.commit()
    assert _sendable_emails(db, "email") == []


def test_email_needs_consent_and_no_suppression(db: Database) -> None:
    for email in ("a@example.com", "b@example.com", "c@example.com"):
        _contact(db, email)
    with db.session() as session:
        for contact in session.scalars(select(Contact)):
            if contact.email != "c@example.com":
                record_consent(session, contact, "email", "granted", "test")
        session.add(
            Suppression(
                address_hash=address_hash("b@example.com"), channel="email", reason="hard_bounce"
            )
        )
        session.commit()
    assert _sendable_emails(db, "email") == ["a@example.com"]


def test_mail_needs_a_complete_address_and_no_withdrawal(db: Database) -> None:
    with db.session() as session:
        session.add_all(
            [
                Contact(
                    email="full@example.com",
                    email_hash=address_hash("full@example.com"),
                    address_line1="12 Hang Bai",
                    city="Hanoi",
                    country="VN",
                ),
                Contact(
                    email="part@example.com",
                    email_hash=address_hash("part@example.com"),
                    address_line1="12 Hang Bai",
                    country="VN",
                ),
                Contact(
                    email="no@example.com",
                    email_hash=address_hash("no@example.com"),
                    address_line1="1 Le Loi",
                    city="Hue",
                    country="VN",
                ),
            ]
        )
        session.commit()
        withdrawn = session.scalars(select(Contact).where(Contact.email == "no@example.com")).one()
        record_consent(session, withdrawn, "mail", "withdrawn", "phone call")
        session.commit()
    assert _sendable_emails(db, "mail") == ["full@example.com"]


def test_lower_folds_vietnamese_capitals_on_every_database(db: Database) -> None:
    from sqlalchemy import func

    with db.session() as session:
        assert session.scalar(select(func.lower("ĐỨC Ánh"))) == "đức ánh"
