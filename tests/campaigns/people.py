"""Contacts for campaign tests, inserted in bulk (consent as the importer records it)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select

from audiences.db import Database
from audiences.emails import address_hash
from audiences.models import Contact, Tag, contact_tags, utcnow


def add_people(
    db: Database,
    count: int,
    *,
    domain: str = "example.com",
    prefix: str = "person",
    consent: str | None = "granted",
    tags: tuple[str, ...] = (),
    **fields: Any,
) -> list[str]:
    """Add ``count`` contacts ``person0001@example.com``…; returns their addresses."""
    now = utcnow()
    emails = [f"{prefix}{i:04d}@{domain}" for i in range(1, count + 1)]
    rows = [
        {
            "email": email,
            "email_hash": address_hash(email),
            "first_name": f"Name{i:04d}",
            "attrs": {},
            "created_at": now,
            "updated_at": now,
            "email_consent": consent,
            **fields,
        }
        for i, email in enumerate(emails, start=1)
    ]
    with db.engine.begin() as connection:
        connection.execute(insert(Contact), rows)
        if tags:
            ids = connection.scalars(select(Contact.id).where(Contact.email.in_(emails))).all()
            for name in tags:
                tag_id = connection.scalar(select(Tag.id).where(Tag.name == name))
                if tag_id is None:
                    tag_id = connection.execute(insert(Tag).values(name=name)).inserted_primary_key[
                        0
                    ]
                connection.execute(
                    insert(contact_tags), [{"contact_id": i, "tag_id": tag_id} for i in ids]
                )
    return emails
