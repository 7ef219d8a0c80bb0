"""Point findings on rendered text back at the template's own line and column.

Most of what a reader sees is literal text in the template, so a snippet of rendered
text is found in the template source: exactly, then word by word across line breaks,
tags and entities, then by its longest word. Text that comes only from a variable
falls back to the first line of the body.
"""

from __future__ import annotations

import html
import re

from linter.document import TemplateDocument
from linter.model import Span

_GAP = r"(?:\s|<[^>]*>|&[#\w]+;|\{\{[^}]*\}\}|\{%[^%]*%\})+"
_WORDS = re.compile(r"\S+")
MAX_WORDS = 8


class SourceMap:
    """Finds rendered snippets in one template's source."""

    def __init__(self, doc: TemplateDocument) -> None:
        self.doc = doc
        self._cache: dict[tuple[str, int], Span | None] = {}

    def body_start(self) -> Span:
        """The first line of the body (or of the file)."""
        line = self.doc.body_start_line
        return Span.point(line, 1, len(self.doc.index.line_text(line)))

    def find(self, snippet: str, after_line: int = 0) -> Span | None:
        """The span of ``snippet`` in the body source, or None when it isn't there."""
        snippet = snippet.strip()
        if not snippet:
            return None
        key = (snippet, after_line)
        if key not in self._cache:
            self._cache[key] = self._search(snippet, after_line)
        return self._cache[key]

    def locate(self, snippet: str, after_line: int = 0) -> Span:
        """Like :meth:`find`, falling back to its longest word, then to the body start."""
        found = self.find(snippet, after_line)
        if found is not None:
            return found
        words = sorted(_WORDS.findall(snippet), key=len, reverse=True)
        for word in words[:3]:
            if len(word) >= 3:
                found = self.find(word, after_line)
                if found is not None:
                    return found
        return self.body_start()

    def _start(self, after_line: int) -> int:
        start = self.doc.body_offset
        if after_line > 0:
            start = max(start, self.doc.index.offset(after_line, 1))
        return start

    def _search(self, snippet: str, after_line: int) -> Span | None:
        text = self.doc.text
        start = self._start(after_line)
        for candidate in (snippet, html.escape(snippet, quote=False)):
            position = text.find(candidate, start)
            if position >= 0:
                return self.doc.index.span(position, position + len(candidate))
        words = _WORDS.findall(snippet)[:MAX_WORDS]
        if len(words) > 1:
            pattern = _GAP.join(re.escape(html.escape(word, quote=False)) for word in words)
            match = re.compile(pattern).search(text, start)
            if match:
                return self.doc.index.span(match.start(), match.end())
        if after_line > 0:
            return self._search(snippet, 0)
        return None
