"""A template file as the linter sees it: TOML front matter, Jinja body, line index."""

from __future__ import annotations

import bisect
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from linter.model import Span

FENCE = "+++"
CHANNELS = ("email", "letter")
_TOML_LINE = re.compile(r"line (\d+)(?:, column (\d+))?")


@dataclass(frozen=True)
class FrontMatterError:
    """Why the front matter could not be read, and where."""

    message: str
    line: int
    column: int = 1


@dataclass
class FrontMatter:
    """The settings between the two ``+++`` lines."""

    subject: str | None = None
    preheader: str | None = None
    lang: str | None = None
    channel: str = "email"
    # Letters: print a reply card (the offer code and the recipient's address, to mail
    # back) after the letter.
    reply_card: bool = False
    previews: list[dict[str, Any]] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)
    key_lines: dict[str, int] = field(default_factory=dict)


class LineIndex:
    """Turns character offsets in a text into 1-based (line, column) and back."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0]
        self.starts.extend(match.end() for match in re.finditer("\n", text))

    def position(self, offset: int) -> tuple[int, int]:
        """The 1-based line and column of ``offset``."""
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self.starts, offset) - 1
        return line + 1, offset - self.starts[line] + 1

    def offset(self, line: int, column: int) -> int:
        """The character offset of a 1-based line and column."""
        line = max(1, min(line, len(self.starts)))
        return min(self.starts[line - 1] + column - 1, len(self.text))

    def span(self, start: int, end: int) -> Span:
        """The span covering ``text[start:end]``."""
        line, column = self.position(start)
        end_line, end_column = self.position(max(start, end))
        return Span(line, column, end_line, end_column)

    def line_text(self, line: int) -> str:
        """The text of a 1-based line, without its newline."""
        if line < 1 or line > len(self.starts):
            return ""
        start = self.starts[line - 1]
        end = self.starts[line] - 1 if line < len(self.starts) else len(self.text)
        return self.text[start:end]

    @property
    def line_count(self) -> int:
        """How many lines the text has."""
        return len(self.starts)


@dataclass
class TemplateDocument:
    """One template: where it is, what kind it is, its front matter and its body."""

    path: str
    text: str
    kind: str
    front: FrontMatter
    body: str
    body_offset: int
    front_error: FrontMatterError | None
    index: LineIndex
    has_front_matter: bool

    @property
    def body_start_line(self) -> int:
        """The file line on which the Jinja body starts."""
        return self.index.position(self.body_offset)[0]

    @property
    def channel(self) -> str:
        """``email`` or ``letter``."""
        return self.front.channel

    def key_span(self, key: str) -> Span:
        """Where a front-matter key is set, or the file's first line when it isn't."""
        line = self.front.key_lines.get(key, 1)
        return Span.point(line, 1, len(self.index.line_text(line)))


def kind_of(path: str) -> str:
    """``html`` for ``*.html.j2`` and ``*.html``, else ``text``."""
    name = Path(path).name.lower()
    return "html" if name.endswith((".html.j2", ".html", ".htm", ".htm.j2")) else "text"


def _split(text: str) -> tuple[str | None, int, int | None]:
    """Find the front matter: (its TOML, the body's offset, the TOML's start offset)."""
    if not text.startswith(FENCE):
        return None, 0, None
    first_newline = text.find("\n")
    if first_newline == -1 or text[:first_newline].strip() != FENCE:
        return None, 0, None
    closing = re.compile(r"^\+\+\+[ \t]*\r?$", re.MULTILINE)
    match = closing.search(text, first_newline + 1)
    if match is None:
        return text[first_newline + 1 :], len(text), first_newline + 1
    body_offset = match.end() + 1 if match.end() < len(text) else match.end()
    return text[first_newline + 1 : match.start()], body_offset, first_newline + 1


def _key_lines(toml_text: str, first_line: int) -> dict[str, int]:
    lines: dict[str, int] = {}
    in_table = False
    for number, line in enumerate(toml_text.splitlines(), start=first_line):
        stripped = line.strip()
        if stripped.startswith("["):
            in_table = True
            continue
        match = re.match(r"([A-Za-z0-9_-]+)\s*=", stripped)
        if match and not in_table:
            lines.setdefault(match.group(1), number)
    return lines


def _front_matter(raw: dict[str, Any]) -> tuple[FrontMatter, str | None]:
    """Typed front matter from the TOML table, and a message when a value is wrong."""
    front = FrontMatter(raw=raw)
    problems: list[str] = []
    for key in ("subject", "preheader", "lang"):
        value = raw.get(key)
        if value is None:
            continue
        if isinstance(value, str):
            setattr(front, key, value)
        else:
            problems.append(f"`{key}` must be a string")
    channel = raw.get("channel", "email")
    if channel in CHANNELS:
        front.channel = str(channel)
    else:
        problems.append(f"`channel` must be one of {', '.join(CHANNELS)}, not {channel!r}")
    reply_card = raw.get("reply_card", False)
    if isinstance(reply_card, bool):
        front.reply_card = reply_card
    else:
        problems.append("`reply_card` must be true or false")
    previews = raw.get("preview", [])
    if isinstance(previews, list) and all(isinstance(item, dict) for item in previews):
        front.previews = previews
    else:
        problems.append("`preview` must be an array of tables ([[preview]])")
    return front, ("; ".join(problems) or None)


def parse_document(path: str, text: str) -> TemplateDocument:
    """Split a template file into its front matter and body. Never raises."""
    text = text.replace("\r\n", "\n")
    index = LineIndex(text)
    toml_text, body_offset, toml_offset = _split(text)
    front = FrontMatter()
    error: FrontMatterError | None = None
    if toml_text is not None and toml_offset is not None:
        first_line = index.position(toml_offset)[0]
        if body_offset >= len(text) and not re.search(r"^\+\+\+", text[toml_offset:], re.M):
            error = FrontMatterError("front matter has no closing `+++` line", 1)
        try:
            raw = tomllib.loads(toml_text)
        except tomllib.TOMLDecodeError as exc:
            match = _TOML_LINE.search(str(exc))
            line = first_line + int(match.group(1)) - 1 if match else first_line
            column = int(match.group(2)) if match and match.group(2) else 1
            message = str(exc).split(" (at ")[0]
            error = error or FrontMatterError(
                f"front matter is not valid TOML: {message}", line, column
            )
        else:
            front, problem = _front_matter(raw)
            front.key_lines = _key_lines(toml_text, first_line)
            if problem and error is None:
                error = FrontMatterError(f"front matter: {problem}", first_line)
    return TemplateDocument(
        path=path,
        text=text,
        kind=kind_of(path),
        front=front,
        body=text[body_offset:],
        body_offset=body_offset,
        front_error=error,
        index=index,
        has_front_matter=toml_text is not None,
    )
