"""Re-wrap one plain-text paragraph of a template's source: the safe fix for W001.

Only whitespace changes. A word, a URL or a Jinja tag (``{{ ... }}``, ``{% ... %}``,
``{# ... #}``) is one token that is never split, even when the tag holds spaces, so
the words the reader gets stay exactly the same. Paragraphs whose layout is deliberate
(bullet lists, indented blocks, inline ``{% ... %}`` logic) are left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from linter.document import LineIndex
from linter.text_units import BULLET
from linter.wrap import wrap_words

# A token is a run of non-space characters in which a Jinja tag counts as one piece,
# spaces inside it included. A lone "{" that opens no tag is an ordinary character.
_TOKEN = re.compile(r"(?:\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}|\S)+", re.DOTALL)
_TAG_ONLY_LINE = re.compile(r"^\s*(?:(?:\{%.*?%\}|\{#.*?#\})\s*)+$")
_SIGNATURE = re.compile(r"^--\s*$")
_WHITESPACE = re.compile(r"\s+")
_MARKER = re.compile(r"^(?:[-*•+·–]|\d+[.)])$")
# An indent this deep (or a tab) marks a preformatted block rather than a paragraph.
_BLOCK_INDENT = 4


@dataclass(frozen=True)
class SourceParagraph:
    """Consecutive lines of the template source between two paragraph boundaries."""

    first_line: int
    last_line: int
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        """The paragraph's lines joined as they stand in the file."""
        return "\n".join(self.lines)


def tokens(text: str) -> list[str]:
    """The unbreakable pieces of ``text``: words, URLs and whole Jinja tags."""
    return _TOKEN.findall(text)


def _glue_markers(pieces: list[str]) -> list[str]:
    """Keep a lone "-", "*", "1." or "--" on the line of the word before it.

    At the start of a line such a token would turn running text into a list item or
    the signature line, so it must not be where a line breaks.
    """
    glued: list[str] = []
    for piece in pieces:
        if glued and (_MARKER.match(piece) or piece == "--"):
            glued[-1] = f"{glued[-1]} {piece}"
        else:
            glued.append(piece)
    return glued


def is_boundary(line: str) -> bool:
    """Whether a source line separates paragraphs.

    Blank lines do, and so do the signature line ``--`` and lines holding nothing but
    ``{% ... %}`` or ``{# ... #}`` tags: re-wrapping must not pull a tag line (or a
    ``{# hookline: ignore #}`` comment, which applies to the line after it) into text.
    """
    return not line.strip() or bool(_SIGNATURE.match(line) or _TAG_ONLY_LINE.match(line))


def paragraph_at(index: LineIndex, line: int, first_line: int = 1) -> SourceParagraph | None:
    """The paragraph around 1-based ``line``, not reaching above ``first_line``."""
    if line < first_line or line > index.line_count or is_boundary(index.line_text(line)):
        return None
    start = line
    while start - 1 >= first_line and not is_boundary(index.line_text(start - 1)):
        start -= 1
    end = line
    while end + 1 <= index.line_count and not is_boundary(index.line_text(end + 1)):
        end += 1
    lines = tuple(index.line_text(number) for number in range(start, end + 1))
    return SourceParagraph(start, end, lines)


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def can_rewrap(lines: tuple[str, ...] | list[str]) -> bool:
    """Whether the paragraph is running text that may be re-flowed.

    Not a bullet list, not an indented block (continuation lines indented, or a first
    line indented by a tab or four spaces) and no inline ``{% ... %}`` tag.
    """
    if not lines:
        return False
    if any(BULLET.match(line) for line in lines):
        return False
    if any("{%" in line for line in lines):
        return False
    first_indent = _indent(lines[0])
    if "\t" in first_indent or len(first_indent) >= _BLOCK_INDENT:
        return False
    return not any(_indent(line) for line in lines[1:])


def rewrap(lines: tuple[str, ...] | list[str], width: int) -> str | None:
    """The paragraph re-filled to ``width`` characters, or None when it must not change.

    The first line's indentation is kept. The result differs from the input only in
    whitespace; that is checked, and a paragraph that would change otherwise is refused.
    """
    if not can_rewrap(lines):
        return None
    original = "\n".join(lines)
    pieces = _glue_markers(tokens(original))
    if not pieces:
        return None
    wrapped = "\n".join(wrap_words(pieces, width, first=_indent(lines[0])))
    if _WHITESPACE.sub("", wrapped) != _WHITESPACE.sub("", original):
        return None
    return wrapped
