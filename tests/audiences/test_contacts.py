"""Finding, exporting and forgetting one person, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from audiences.consent import record_consent
from audiences.contacts import export_contact, find_contact, forget_contact
from audiences.db import Database
from audiences.emails import InvalidEmailError, address_hash
from audiences.models import ConsentRecord, Contact, Order, Suppression, Tag, contact_tags
from audiences.sendable import sendable


def _add_person(db: Database, email: str = "lan@example.com") -> int:
    """A contact with a tag, granted consent with proof, an order and metrics."""
    with db.session() as session:
        contact = Contact(
            email=email,
            email_hash=address_hash(email),
            first_name="Lan",
            last_name="Nguyễn",
            birthday=date(1990, 5, 17),
            city="Hanoi",
            country="VN",
            attrs={"store": "Hoàn Kiếm"},
            orders_count=1,
            total_spent=Decimal("250000.00"),
            tier="Gold",
        )
        contact.tags.append(Tag(name="vip"))
        session.add(contact)
        session.flush()
        record_consent(
            session,
            contact,
            "email",
            "granted",
            "signup form",
            recorded_at=datetime(2026, 1, 2, 3, 4, 5),
            ip="203.0.113.9",
            proof="double opt-in token abc",
        )
        session.add(
            Order(
                order_id="A-1",
                contact_id=contact.id,
                amount=Decimal("250000.00"),
                currency="VND",
                ordered_at=datetime(2026, 2, 1, 10, 0),
                category="books",
            )
        )
        session.commit()
        return contact.id


def test_find_contact_ignores_case_and_surrounding_space(db: Database) -> None:
    contact_id = _add_person(db)
    with db.session() as session:
        found = find_contact(session, "  LAN@Example.COM ")
        assert found is not None and found.id == contact_id
        assert find_contact(session, "nobody@example.com") is None


def test_find_contact_rejects_a_string_that_is_not_an_address(db: Database) -> None:
    with db.session() as session, pytest.raises(InvalidEmailError):
        find_contact(session, "lan@")


def test_export_contact_holds_every_field_tag_consent_proof_order_and_metric(
    db: Database,
) -> None:
    _add_person(db)
    with db.session() as session:
        exported = export_contact(session, "lan@example.com")
    json.dumps(exported)  # serialisable as is
    assert exported["found"] is True
    contact = exported["contact"]
    assert contact["email"] == "lan@example.com"
    assert contact["last_name"] == "Nguyễn"
    assert contact["birthday"] == "1990-05-17"
    assert contact["attrs"] == {"store": "Hoàn Kiếm"}
    assert contact["email_consent"] == "granted"
    assert {"address_line1", "postcode", "locale", "created_at"} <= set(contact)
    assert exported["metrics"]["tier"] == "Gold"
    assert exported["metrics"]["total_spent"] == "250000.00"
    assert exported["metrics"]["orders_count"] == 1
    assert exported["tags"] == ["vip"]
    [consent] = exported["consent"]
    assert consent["proof"] == "double opt-in token abc"
    assert consent["ip"] == "203.0.113.9"
    assert consent["recorded_at"] == "2026-01-02T03:04:05"
    [order] = exported["orders"]
    assert order["order_id"] == "A-1" and order["amount"] == "250000.00"
    assert exported["suppressions"] == []


def test_forget_deletes_contact_consent_and_tag_links_and_keeps_the_tag(db: Database) -> None:
    _add_person(db)
    with db.session() as session:
        assert forget_contact(session, "Lan@Example.com") is True
        session.commit()
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Contact)) == 0
        assert session.scalar(select(func.count()).select_from(ConsentRecord)) == 0
        assert session.scalar(select(func.count()).select_from(contact_tags)) == 0
        assert session.scalars(select(Tag.name)).all() == ["vip"]


def test_forget_keeps_the_orders_detached(db: Database) -> None:
    _add_person(db)
    with db.session() as session:
        forget_contact(session, "lan@example.com")
        session.commit()
    with db.session() as session:
        order = session.scalars(select(Order)).one()
        assert order.order_id == "A-1"
        assert order.contact_id is None


def test_forget_leaves_only_a_forgotten_suppression_of_the_hash(db: Database) -> None:
    _add_person(db)
    with db.session() as session:
        forget_contact(session, "lan@example.com")
        session.commit()
    with db.session() as session:
        exported = export_contact(session, "lan@example.com")
    assert exported["found"] is False
    assert exported["contact"] is None and exported["metrics"] is None
    assert exported["tags"] == exported["consent"] == exported["orders"] == []
    [suppression] = exported["suppressions"]
    assert suppression["channel"] == "all"
    assert suppression["reason"] == "forgotten"
    assert suppression["address_hash"] == address_hash("lan@example.com")
    assert "lan" not in json.dumps(exported["suppressions"])


def test_forgetting_twice_keeps_one_suppression(db: Database) -> None:
    _add_person(db)
    with db.session() as session:
        assert forget_contact(session, "lan@example.com") is True
        session.commit()
    with db.session() as session:
        assert forget_contact(session, "lan@example.com") is False
        session.commit()
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Suppression)) == 1


def test_forgetting_an_unknown_address_suppresses_it_for_a_later_import(db: Database) -> None:
    with db.session() as session:
        assert forget_contact(session, "later@example.com") is False
        session.commit()
    with db.session() as session:
        contact = Contact(email="later@example.com", email_hash=address_hash("later@example.com"))
        session.add(contact)
        session.flush()
        record_consent(session, contact, "email", "granted", "import")
        session.commit()
    with db.session() as session:
        assert session.scalars(select(Contact.email).where(sendable("email"))).all() == []
        assert session.scalars(select(Contact.email).where(sendable("mail"))).all() == []


def test_forget_keeps_an_existing_suppression_of_another_channel(db: Database) -> None:
    _add_person(db)
    with db.session() as session:
        session.add(
            Suppression(
                address_hash=address_hash("lan@example.com"), channel="email", reason="complaint"
            )
        )
        session.commit()
        forget_contact(session, "lan@example.com")
        session.commit()
    with db.session() as session:
        reasons = session.scalars(select(Suppression.reason).order_by(Suppression.id)).all()
    assert reasons == ["complaint", "forgotten"]
