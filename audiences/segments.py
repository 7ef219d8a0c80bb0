"""Saved segments: a name for a query, used anywhere a query goes as ``@name``.

Names are case-insensitive (stored lower-case, like tags): letters, digits, ``_``
and ``-``. A query is checked before it is saved, including every ``@name`` it
reaches, so a saved segment never refers to a missing one or to itself. Deleting or
re-saving a segment later can still break others; using them then says which.
"""

from __future__ import annotations

import difflib
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from audiences.models import Segment
from audiences.segment_compiler import check_tree
from audiences.segment_errors import SegmentError, UnknownSegmentError
from audiences.segment_parser import Node, SegmentRef, parse_query, references

NAME = re.compile(r"[a-z0-9_][a-z0-9_-]*")
NAME_LENGTH = 100


def save_segment(session: Session, name: str, query: str) -> Segment:
    """Check ``query`` and save it as ``name`` (replacing any query saved so); flush only."""
    name = _checked_name(name)
    tree = parse_query(query)
    check_tree(tree, query)
    resolve_segments(session, tree, query, saving=name)
    segment = get_segment(session, name)
    if segment is None:
        segment = Segment(name=name, query=query)
        session.add(segment)
    else:
        segment.query = query
    session.flush()
    return segment


def list_segments(session: Session) -> list[Segment]:
    """Every saved segment, by name."""
    return list(session.scalars(select(Segment).order_by(Segment.name)))


def get_segment(session: Session, name: str) -> Segment | None:
    """The segment saved as ``name`` (any case), or None."""
    return session.scalars(select(Segment).where(Segment.name == name.lower())).one_or_none()


def resolve_segments(
    session: Session, tree: Node, query: str, saving: str | None = None
) -> dict[str, Node]:
    """Load, parse and check every segment ``tree`` reaches, by name; raise SegmentError.

    ``saving`` names the segment ``tree`` is about to be saved as, so that a cycle
    back to it is caught before it is stored.
    """
    resolved: dict[str, Node] = {}

    def visit(tree: Node, query: str, chain: tuple[str, ...], inside: str | None) -> None:
        for ref in references(tree):
            if ref.name in chain:
                cycle = " -> ".join(f"@{name}" for name in (*chain, ref.name))
                error = UnknownSegmentError(
                    f"segments refer to each other in a cycle: {cycle}", query, ref.position
                )
                raise error.within(inside) if inside else error
            if ref.name in resolved:
                continue
            segment = get_segment(session, ref.name)
            if segment is None:
                error = _unknown(session, ref, query)
                raise error.within(inside) if inside else error
            try:
                child = parse_query(segment.query)
                check_tree(child, segment.query)
            except SegmentError as error:
                raise error.within(ref.name) from None
            visit(child, segment.query, (*chain, ref.name), ref.name)
            resolved[ref.name] = child

    visit(tree, query, (saving,) if saving else (), None)
    return resolved


def _unknown(session: Session, ref: SegmentRef, query: str) -> UnknownSegmentError:
    names = list(session.scalars(select(Segment.name)))
    nearest = difflib.get_close_matches(ref.name, names, n=1, cutoff=0.6)
    hint = f"; did you mean `@{nearest[0]}`?" if nearest else ""
    return UnknownSegmentError(f"no segment is saved as `@{ref.name}`{hint}", query, ref.position)


def _checked_name(name: str) -> str:
    stripped = name.strip()
    lowered = stripped.lower()
    match = NAME.match(lowered)
    if match is None or match.end() != len(lowered) or len(lowered) > NAME_LENGTH:
        position = min(match.end(), NAME_LENGTH) if match else 0
        raise SegmentError(
            f"a segment name is up to {NAME_LENGTH} letters, digits, _ and -", stripped, position
        )
    return lowered
