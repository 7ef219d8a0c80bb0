"""Run a segment query: count, sample or export the sendable contacts it selects.

Every function here applies the query AND :func:`audiences.sendable.sendable` for the
channel, so no caller can reach a contact without consent or with a suppression. The
query is parsed and checked before any SQL runs: a bad one raises
:class:`audiences.segment_query.SegmentError`.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.orm import Session

from audiences.contacts import json_value
from audiences.db import Database
from audiences.models import Contact, Tag, contact_tags
from audiences.segment_query import segment_filter
from audiences.sendable import CHANNELS, sendable
from audiences.settings import AudienceSettings

# The fields of a sample or an export, in CSV column order: the name shown -> the
# contact's column. Names are those of the segment language where it has the field
# (``orders``, ``rfm.recency``), so what `show` prints can be pasted into a query.
# Internal keys (id, the address hash, bookkeeping times) are left out.
FIELDS: dict[str, str] = {
    "email": "email",
    "first_name": "first_name",
    "last_name": "last_name",
    "gender": "gender",
    "birthday": "birthday",
    "city": "city",
    "country": "country",
    "address_line1": "address_line1",
    "address_line2": "address_line2",
    "address_line3": "address_line3",
    "postcode": "postcode",
    "locale": "locale",
    "timezone": "timezone",
    "email_consent": "email_consent",
    "mail_consent": "mail_consent",
    "orders": "orders_count",
    "total_spent": "total_spent",
    "spend_window": "spend_window",
    "first_purchase_at": "first_purchase_at",
    "last_purchase_at": "last_purchase_at",
    "rfm.recency": "rfm_recency",
    "rfm.frequency": "rfm_frequency",
    "rfm.monetary": "rfm_monetary",
    "tier": "tier",
}
COLUMNS = (*FIELDS, "tags", "attrs")
TAG_SEPARATOR = ";"
# Joins tag names inside the query; a control character no tag name contains.
_AGGREGATE_SEPARATOR = "\x1f"
# Rows fetched per round trip when streaming an export (a server-side cursor on
# PostgreSQL), so memory stays flat however large the audience.
BATCH = 1000


def audience_filter(
    session: Session, query: str, settings: AudienceSettings, channel: str = "email"
) -> ColumnElement[bool]:
    """The WHERE clause: the segment query and sendability on ``channel``.

    Raises ``SegmentError`` for a bad query and ``ValueError`` for an unknown channel,
    both before any SQL runs.
    """
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}; use one of {', '.join(CHANNELS)}")
    return and_(segment_filter(session, query, settings), sendable(channel))


def count(db: Database, query: str, settings: AudienceSettings, channel: str = "email") -> int:
    """How many contacts the query selects among those sendable on ``channel``."""
    with db.session() as session:
        where = audience_filter(session, query, settings, channel)
        total = session.scalar(select(func.count()).select_from(Contact).where(where))
        return int(total or 0)


def sample(
    db: Database, query: str, settings: AudienceSettings, channel: str, limit: int
) -> list[dict[str, Any]]:
    """The first ``limit`` selected contacts (oldest first) as JSON-ready dicts.

    Keys are :data:`COLUMNS`; ``tags`` is a sorted list and ``attrs`` a dict.
    """
    with db.session() as session:
        where = audience_filter(session, query, settings, channel)
        rows = session.execute(_select(where).limit(limit)).all()
        return [_as_dict(row._mapping) for row in rows]


def export_csv(
    db: Database,
    query: str,
    settings: AudienceSettings,
    channel: str,
    path: Path,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write every selected contact to ``path`` as CSV; return how many were written.

    Rows are streamed in batches. The file is written beside ``path`` and moved into
    place at the end, so a failed export leaves any existing file as it was. ``tags``
    are joined with ``;`` and ``attrs`` is a JSON object. ``progress(rows_written,
    total_rows)``, when given, is called after each batch (the total costs one count).
    """
    with db.session() as session:
        where = audience_filter(session, query, settings, channel)
        total = 0
        if progress is not None:
            total = int(session.scalar(select(func.count()).select_from(Contact).where(where)) or 0)
            progress(0, total)
        stream = session.execute(_select(where).execution_options(yield_per=BATCH))
        written = 0
        handle, temporary = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=".tmp", dir=path.parent
        )
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
                writer = csv.writer(out)
                writer.writerow(COLUMNS)
                for row in stream:
                    writer.writerow(_csv_cells(_as_dict(row._mapping)))
                    written += 1
                    if progress is not None and written % BATCH == 0:
                        progress(written, max(total, written))
            Path(temporary).replace(path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        if progress is not None:
            progress(written, written)
        return written


def _select(where: ColumnElement[bool]) -> Select[Any]:
    # One correlated aggregate per row keeps tags out of a join that would repeat rows.
    tags = (
        select(func.aggregate_strings(Tag.name, _AGGREGATE_SEPARATOR))
        .join(contact_tags, contact_tags.c.tag_id == Tag.id)
        .where(contact_tags.c.contact_id == Contact.id)
        .scalar_subquery()
    )
    columns = [getattr(Contact, column).label(name) for name, column in FIELDS.items()]
    return select(*columns, tags.label("tags"), Contact.attrs).where(where).order_by(Contact.id)


def _as_dict(mapping: Any) -> dict[str, Any]:
    record = {name: json_value(mapping[name]) for name in FIELDS}
    tags = mapping["tags"]
    record["tags"] = sorted(tags.split(_AGGREGATE_SEPARATOR)) if tags else []
    record["attrs"] = mapping["attrs"] or {}
    return record


def _csv_cells(record: dict[str, Any]) -> Iterator[str]:
    for name in COLUMNS:
        value = record[name]
        if name == "tags":
            yield TAG_SEPARATOR.join(value)
        elif name == "attrs":
            yield json.dumps(value, ensure_ascii=False, sort_keys=True) if value else ""
        else:
            yield "" if value is None else str(value)
