"""Suppressing an address: after a hard bounce, a complaint or an unsubscribe.

A suppression is kept by the address's hash, so it outlives the contact, and it is
idempotent: suppressing an address twice for a channel keeps the first record.
"""

from __future__ import annotations

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite

from audiences.models import SUPPRESSION_REASONS, Suppression, utcnow


def suppress(
    connection: Connection, address_hash: str, channel: str, reason: str, detail: str | None = None
) -> bool:
    """Suppress ``address_hash`` on ``channel``; False when it already was."""
    if reason not in SUPPRESSION_REASONS:
        raise ValueError(f"unknown suppression reason {reason!r}")
    values = {
        "address_hash": address_hash,
        "channel": channel,
        "reason": reason,
        "detail": detail,
        "created_at": utcnow(),
    }
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(Suppression)
        .values(values)
        .on_conflict_do_nothing(index_elements=["address_hash", "channel"])
    )
    return bool(connection.execute(statement).rowcount)
