"""One person's data: find it, hand it over as JSON, or forget it.

Forgetting deletes the contact with its consent records and tag links, detaches their
orders (which the shop still needs for its books) and keeps a suppression of the
address's hash for every channel, so a later import can't make the person sendable
again. Nothing else about them is kept.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from audiences.emails import address_hash, normalise_email
from audiences.metrics import DERIVED_FIELDS
from audiences.models import Base, ConsentRecord, Contact, Order, Suppression

# Columns of the contact that audiences.metrics derives from orders; exported apart
# from what the person or the shop told us.
METRIC_FIELDS = DERIVED_FIELDS


def find_contact(session: Session, email: str) -> Contact | None:
    """The contact with this address (any case), or None.

    Raises :class:`audiences.emails.InvalidEmailError` when ``email`` is not an address.
    """
    normalised = normalise_email(email)
    return session.scalars(select(Contact).where(Contact.email == normalised)).first()


def forget_contact(session: Session, email: str) -> bool:
    """Erase everything held on ``email`` except a suppression of its hash.

    Returns True when a contact was found and deleted. The suppression (channel "all",
    reason "forgotten") is recorded either way, so an address forgotten before it was
    ever imported still can't become sendable. The caller commits.
    """
    normalised = normalise_email(email)
    contact = find_contact(session, normalised)
    hashed = contact.email_hash if contact is not None else address_hash(normalised)
    if contact is not None:
        # The foreign key says ON DELETE SET NULL too; doing it here keeps the session's
        # view of the orders right and does not depend on SQLite's foreign_keys pragma.
        session.execute(update(Order).where(Order.contact_id == contact.id).values(contact_id=None))
        session.delete(contact)
    already = session.scalars(
        select(Suppression.id).where(
            Suppression.address_hash == hashed, Suppression.channel == "all"
        )
    ).first()
    if already is None:
        session.add(Suppression(address_hash=hashed, channel="all", reason="forgotten"))
    session.flush()
    return contact is not None


def export_contact(session: Session, email: str) -> dict[str, Any]:
    """Everything held on ``email``, as a JSON-serialisable dict.

    Keys: ``email`` (as asked, normalised), ``address_hash``, ``found``, ``contact``
    (every stored field, ``attrs`` included, or None), ``metrics`` (what is derived from
    orders, or None), ``tags``, ``consent`` (the full history with proof), ``orders``
    and ``suppressions`` (those of the address's hash, which outlive the contact).
    Dates are ISO 8601 strings; money is a decimal string, so nothing is rounded.
    """
    normalised = normalise_email(email)
    contact = find_contact(session, normalised)
    hashed = contact.email_hash if contact is not None else address_hash(normalised)
    suppressions = session.scalars(
        select(Suppression).where(Suppression.address_hash == hashed).order_by(Suppression.id)
    ).all()
    export: dict[str, Any] = {
        "email": normalised,
        "address_hash": hashed,
        "found": contact is not None,
        "contact": None,
        "metrics": None,
        "tags": [],
        "consent": [],
        "orders": [],
        "suppressions": [_row(suppression) for suppression in suppressions],
    }
    if contact is None:
        return export
    fields = _row(contact)
    export["contact"] = {k: v for k, v in fields.items() if k not in METRIC_FIELDS}
    export["metrics"] = {k: v for k, v in fields.items() if k in METRIC_FIELDS}
    export["tags"] = sorted(tag.name for tag in contact.tags)
    records = session.scalars(
        select(ConsentRecord)
        .where(ConsentRecord.contact_id == contact.id)
        .order_by(ConsentRecord.recorded_at, ConsentRecord.id)
    ).all()
    export["consent"] = [_row(record) for record in records]
    orders = session.scalars(
        select(Order).where(Order.contact_id == contact.id).order_by(Order.ordered_at, Order.id)
    ).all()
    export["orders"] = [_row(order) for order in orders]
    return export


def _row(instance: Base) -> dict[str, Any]:
    """Every column of a model instance, as JSON-ready values."""
    return {
        column.key: json_value(getattr(instance, column.key))
        for column in instance.__table__.columns
    }


def json_value(value: object) -> Any:
    """A stored value as JSON: dates as ISO 8601, money as a decimal string."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value
