"""The segment query language's public API: a marketer's query -> a filter on Contact.

    city = "Hanoi" and last_purchase_at >= 90 days ago and not tag "vip"
    tier in ("Gold", "Platinum") or @big-spenders

Parsing and checking run no SQL, so a syntax error or an unknown field fails before
the database is touched; only ``@name`` look-ups read the ``segments`` table. Every
value becomes a bound parameter. The empty query means everyone: the caller adds
the sendable filter for its channel, as for any other query.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from audiences.models import Tag
from audiences.segment_compiler import CompileContext, check_tree, compile_tree
from audiences.segment_errors import (
    SegmentError,
    SegmentSyntaxError,
    UnknownFieldError,
    UnknownSegmentError,
)
from audiences.segment_parser import HasTag, Node, conditions, parse_query
from audiences.segments import resolve_segments
from audiences.settings import AudienceSettings

__all__ = [
    "SegmentError",
    "SegmentSyntaxError",
    "UnknownFieldError",
    "UnknownSegmentError",
    "segment_filter",
    "validate_query",
]


def segment_filter(
    session: Session, query: str, settings: AudienceSettings, today: date | None = None
) -> ColumnElement[bool]:
    """Compile the query (resolving @NAME from saved segments) to a filter on Contact; '' -> true().

    Relative dates count back from ``today``, by default today's date in the
    configured time zone. Raises :class:`SegmentError` (one of its subclasses) when
    the query can't run.
    """
    tree = parse_query(query)
    check_tree(tree, query)
    segments = resolve_segments(session, tree, query)
    local_today = today if today is not None else datetime.now(settings.zone).date()
    tag_ids = _tag_ids(session, [tree, *segments.values()])
    return compile_tree(tree, CompileContext(settings.zone, local_today, segments, tag_ids))


def _tag_ids(session: Session, trees: list[Node]) -> dict[str, int | None]:
    """The ids of the tags the trees name (None for a tag no contact has)."""
    names = {
        condition.tag.value.strip().lower()
        for tree in trees
        for condition in conditions(tree)
        if isinstance(condition, HasTag)
    }
    if not names:
        return {}
    rows = session.execute(select(Tag.name, Tag.id).where(Tag.name.in_(names)))
    found = {name: tag_id for name, tag_id in rows}
    return {name: found.get(name) for name in names}


def validate_query(session: Session, query: str) -> None:
    """Parse and resolve without compiling to SQL; raises SegmentError."""
    tree = parse_query(query)
    check_tree(tree, query)
    resolve_segments(session, tree, query)
