"""Why a segment query can't run, and how to show the marketer where.

Every error keeps the query it is about and the character offset of the fault, so a
CLI or web form can print the query with a caret under the fault. Public as
``audiences.segment_query``; kept here so the parser and compiler can raise them.
"""

from __future__ import annotations

import unicodedata


class SegmentError(Exception):
    """Base: a query that can't run.

    .query (str), .position (0-based char offset or None), .message (str).
    """

    def __init__(self, message: str, query: str, position: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.query = query
        self.position = position

    def render(self) -> str:
        """The query, a caret line under .position, and the message (one block of text)."""
        if self.position is None:
            return f"{self.query}\n{self.message}" if self.query else self.message
        start = self.query.rfind("\n", 0, self.position) + 1
        end = self.query.find("\n", self.position)
        line = self.query[start:] if end == -1 else self.query[start:end]
        return f"{line}\n{_caret_padding(line[: self.position - start])}^\n{self.message}"

    def within(self, segment: str) -> SegmentError:
        """The same error, raised while reading the saved segment ``@segment``."""
        return type(self)(f"in saved segment @{segment}: {self.message}", self.query, self.position)


class SegmentSyntaxError(SegmentError):
    """The query doesn't follow the grammar (a stray token, a missing value, ...)."""


class UnknownFieldError(SegmentError):
    """The query names a field that doesn't exist; the message suggests the nearest one."""


class UnknownSegmentError(SegmentError):
    """``@NAME`` is not a saved segment, or saved segments refer to each other in a cycle."""


def _caret_padding(prefix: str) -> str:
    """Blanks as wide on screen as ``prefix``: tabs kept, wide characters doubled."""
    padding: list[str] = []
    for char in prefix:
        if char == "\t":
            padding.append("\t")
        elif unicodedata.combining(char):
            continue
        elif unicodedata.east_asian_width(char) in ("W", "F"):
            padding.append("  ")
        else:
            padding.append(" ")
    return "".join(padding)
