"""Showing a segment query's error in a page: the query with the fault marked, and why.

:class:`audiences.segment_query.SegmentError` knows the character offset of the fault;
this cuts the query there so a template can wrap the offending token in ``<mark>``,
the web page's version of the CLI's caret.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from audiences.segment_query import SegmentError

# The token at the fault: a quoted string (closed or not), a word or number, or one sign.
_TOKEN = re.compile(r'"[^"\n]*"?|[\w@.-]+|\S')


@dataclass(frozen=True)
class MarkedQuery:
    """A query cut around its fault: ``before`` + ``bad`` + ``after`` is the query."""

    before: str
    bad: str
    after: str
    message: str
    position: int | None
    line: int
    column: int

    @property
    def at_end(self) -> bool:
        """Whether the fault is the end of the query (something is missing there)."""
        return self.position is not None and not self.bad and not self.after.strip()


def mark_error(error: SegmentError) -> MarkedQuery:
    """The error's query cut at its fault, with its 1-based line and column."""
    query = error.query
    position = error.position
    if position is None:
        return MarkedQuery(query, "", "", error.message, None, 0, 0)
    position = max(0, min(position, len(query)))
    match = _TOKEN.match(query, position)
    end = match.end() if match else position
    line = query.count("\n", 0, position) + 1
    column = position - (query.rfind("\n", 0, position) + 1) + 1
    return MarkedQuery(
        query[:position], query[position:end], query[end:], error.message, position, line, column
    )
