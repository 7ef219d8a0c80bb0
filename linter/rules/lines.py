"""Line rules for the plain-text part of an email: W001 (line-too-long), W002 (link-split).

Both read ``view.text_part``, the text/plain body the engine sends: the rendered text of
a ``*.txt.j2`` template, or the HTML-to-text converter's output for ``*.html.j2``. Each
finding points back at the template's own line through the source map.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from linter.model import Edit, Fix, Severity, Span, Violation
from linter.registry import Rule
from linter.rewrap import SourceParagraph, paragraph_at, rewrap
from linter.text_units import BULLET
from linter.urls import find_urls
from linter.view import ReaderView
from linter.wrap import display_length

_URL_START = re.compile(r"(?:https?://|www\.|mailto:)", re.IGNORECASE)
_OPEN_ANGLE_URL = re.compile(r"<(?:https?://|www\.|mailto:)", re.IGNORECASE)
_URL_CHARS = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+$")
# What makes the next line's first token the rest of a URL rather than a word.
_CONTINUES = re.compile(r"[/=&?%#]|[A-Za-z0-9-]\.[A-Za-z]{2,}")
_DOMAIN_DOT = re.compile(r"\w\.\w")
_FRAGMENT_END = ("/", "-", "_", "=", "&", "?", ".", "%")
_HREF = re.compile(r"""\bhref\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
# Characters that may follow a URL on its line without being part of it.
_AFTER_URL = ">)]}\"'.,;:!?»…"
_PREFIX_WORDS = (6, 4, 3)


@dataclass(frozen=True)
class _Located:
    """Where a text-part line sits in the template source."""

    span: Span
    # True when the line (or its first words) was found; False for a fallback guess.
    found: bool


class _LineMapper:
    """Maps the lines of a text part, in order, to lines of the template source."""

    def __init__(self, view: ReaderView) -> None:
        self.source = view.source
        self.after_line = 0

    def locate(self, line: str) -> _Located:
        """The source span of ``line``: the whole line, its first words, or a guess.

        The search starts after the previous line's match, so a line repeated in the
        template maps to its own place, then at the previous line (a long HTML line
        gives several text lines), and only then anywhere.
        """
        words = line.split()
        candidates = [line.strip()]
        for count in _PREFIX_WORDS:
            for start in (0, 1):
                if len(words) > count + start:
                    candidates.append(" ".join(words[start : start + count]))
        starts = (self.after_line + 1, self.after_line, 0) if self.after_line else (0,)
        for first_line in starts:
            for candidate in candidates:
                span = self.source.find(candidate, first_line)
                if span is not None and span.line >= first_line:
                    self.after_line = span.line
                    return _Located(span, True)
        return _Located(self.source.locate(line, self.after_line), False)

    def find(self, snippet: str) -> Span | None:
        """The source span of a snippet (a URL, say) at or after the current line."""
        return self.source.find(snippet, self.after_line)


def _overflow_column(text: str, limit: int) -> int:
    """The 1-based column of the first character past ``limit`` (as the reader counts)."""
    # The count grows with the prefix, so the shortest prefix past the limit is found
    # by bisection: lines can be thousands of characters long.
    low, high = 1, len(text) + 1
    while low < high:
        middle = (low + high) // 2
        if display_length(text[:middle]) > limit:
            high = middle
        else:
            low = middle + 1
    return low


def _is_one_word(line: str) -> bool:
    """A line of one word, or a bullet and one word: it can't be wrapped shorter."""
    match = BULLET.match(line)
    rest = line[match.end() :] if match else line
    return len(rest.split()) <= 1


def _ends_in_url_within(line: str, limit: int) -> bool:
    """Whether the line ends in a URL that starts within ``limit`` characters (E501)."""
    urls = find_urls(line)
    if not urls:
        return False
    start, end, _ = urls[-1]
    if line[end:].strip(_AFTER_URL + " \t"):
        return False
    return display_length(line[:start]) < limit


class LineTooLong(Rule):
    """## What it does
    Checks every line of an email's plain-text part (what the engine sends as
    text/plain) and reports a line longer than `line-length` characters (67 by
    default). Characters are counted as the reader sees them: "ế" is one character
    however the file stores it. As ruff's E501 does, it lets through a line of one
    word and a line that ends in a URL starting within the limit, because a link must
    never be split.

    For `*.txt.j2` templates, `--fix` re-wraps the paragraph of the template source that
    holds the long line. Only whitespace changes: words, URLs and Jinja tags stay whole.
    Bullet lists, indented blocks and paragraphs with a `{% ... %}` tag inside a line
    are left alone; a line holding only tags separates paragraphs.
    For `*.html.j2` templates the text part is generated (wrapped, except `<pre>`
    text), so there is nothing in the source to re-wrap.

    Letters are exempt. The limit is the material's advice for e-mail (III.5), where a
    mail client may show the text part as it is sent. A letter has no text part: it is
    HTML that the print CSS sets on the page, so the page width, margins and font
    decide where its lines break, not the template. Its readability is still checked by
    the paragraph rule (R001), which counts lines wrapped at the same 67 characters.

    ## Why is this bad?
    The material: "Tối đa khoảng 67 chữ cái trong một dòng" (at most about 67
    letters, that is characters, in a line). Many mail clients show plain text as it
    is sent, so a long line runs off a phone screen or breaks in odd places.

    ## Example
    ```
    Hi {{ first_name }}, save 60% on every jazz CD until Friday night, with free delivery.
    ```

    Use instead:
    ```
    Hi {{ first_name }}, save 60% on every jazz CD until Friday night,
    with free delivery.
    ```
    """

    code = "W001"
    name = "line-too-long"
    severity = Severity.ERROR
    summary = "A line of the plain-text part is longer than 67 characters"
    channels = frozenset({"email"})
    scope = "view"
    fixable = True

    def check(self, view: ReaderView) -> Iterator[Violation]:
        limit = view.config.line_length
        mapper = _LineMapper(view)
        # One fix per source paragraph, however many of its lines are long.
        fixes: dict[int, Fix | None] = {}
        for raw in view.text_part.split("\n"):
            # A trailing space is format=flowed's soft break, not something the reader sees.
            line = raw.rstrip()
            if not line.strip():
                continue
            length = display_length(line)
            if length <= limit or _is_one_word(line) or _ends_in_url_within(line, limit):
                continue
            # Only long lines are looked up in the source: most lines fit, and the
            # mapper keeps its place from one long line to the next.
            located = mapper.locate(line)
            span = self._span(view, located)
            fix = None
            paragraph = self._paragraph(view, located)
            if paragraph is not None:
                if paragraph.first_line not in fixes:
                    fixes[paragraph.first_line] = self._fix(view, paragraph)
                fix = fixes[paragraph.first_line]
            yield Violation(f"Line too long ({length} > {limit} characters)", span, fix)

    @staticmethod
    def _span(view: ReaderView, located: _Located) -> Span:
        if view.doc.kind == "html" or not located.found:
            return located.span
        number = located.span.line
        text = view.doc.index.line_text(number)
        if display_length(text) > view.config.line_length:
            column = _overflow_column(text, view.config.line_length)
            return Span(number, column, number, len(text) + 1)
        return Span.point(number, 1, len(text))

    @staticmethod
    def _paragraph(view: ReaderView, located: _Located) -> SourceParagraph | None:
        """The source paragraph of a text template that holds the line, if it was found."""
        if view.doc.kind != "text" or not located.found:
            return None
        return paragraph_at(view.doc.index, located.span.line, view.doc.body_start_line)

    @staticmethod
    def _fix(view: ReaderView, paragraph: SourceParagraph) -> Fix | None:
        limit = view.config.line_length
        # A paragraph whose source lines all fit is long only through a variable's
        # value (or was matched by mistake): re-wrapping the source can't fix that.
        if all(display_length(line) <= limit for line in paragraph.lines):
            return None
        content = rewrap(paragraph.lines, limit)
        if content is None or content == paragraph.text:
            return None
        last = paragraph.lines[-1]
        span = Span(paragraph.first_line, 1, paragraph.last_line, len(last) + 1)
        message = f"Re-wrap the paragraph at {limit} characters"
        return Fix(message, (Edit(span, content),))


def _url_tail(line: str) -> str | None:
    """The line's last token when it is a URL, or a piece of one, left open at the end."""
    parts = line.split()
    if not parts:
        return None
    token = parts[-1].lstrip("<([\"'")
    if token.endswith((">", ")", "]")):
        return None
    if _URL_START.match(token):
        return token
    is_fragment = token.endswith(_FRAGMENT_END) and _URL_CHARS.match(token) is not None
    if is_fragment and ("/" in token or _DOMAIN_DOT.search(token)):
        return token
    return None


def _continues_url(next_line: str) -> bool:
    """Whether the next line opens with the rest of a URL: no space, URL characters only,
    and a path, query or domain character in it."""
    if not next_line or next_line[0].isspace():
        return False
    token = next_line.split(maxsplit=1)[0].rstrip(_AFTER_URL)
    return bool(token) and bool(_URL_CHARS.match(token)) and bool(_CONTINUES.search(token))


class LinkSplit(Rule):
    """## What it does
    Checks that no URL in an email's plain-text part is broken across two lines: a
    `<https://...` whose closing `>` is not on the same line, or a line that ends in a
    URL (or a piece of one ending in `/`, `-`, `_`, `=`, `&`, `?`, `.` or `%`) whose
    next line starts straight away with the rest of it. In HTML templates it also
    reports an `href` value with a line break in it.

    ## Why is this bad?
    The material: "Nên tránh việc cắt địa chỉ link thành hai dòng vì có thể gây ra
    những vấn đề về kỹ thuật." (Avoid cutting a link address into two lines, because
    it can cause technical problems.) A mail client makes only the first line
    clickable, so the reader lands on a broken page.

    ## Example
    ```
    Order before Friday: https://shop.example.com/jazz?utm_source=
    newsletter&utm_medium=email
    ```

    Use instead:
    ```
    Order before Friday:
    https://shop.example.com/jazz?utm_source=newsletter&utm_medium=email
    ```
    """

    code = "W002"
    name = "link-split"
    severity = Severity.ERROR
    summary = "A URL is broken across two lines"
    channels = frozenset({"email"})
    scope = "view"

    def check(self, view: ReaderView) -> Iterator[Violation]:
        broken_hrefs: set[str] = set()
        if view.doc.kind == "html":
            for violation, first_line in self._hrefs(view):
                broken_hrefs.add(first_line)
                yield violation
        yield from self._text_part(view, broken_hrefs)

    @staticmethod
    def _text_part(view: ReaderView, broken_hrefs: set[str]) -> Iterator[Violation]:
        """Split links in the text part; ``broken_hrefs`` (reported already) are skipped."""
        mapper = _LineMapper(view)
        lines = [line.rstrip() for line in view.text_part.split("\n")]
        for number, line in enumerate(lines):
            if not line.strip():
                continue
            next_line = lines[number + 1] if number + 1 < len(lines) else ""
            opened = [m for m in _OPEN_ANGLE_URL.finditer(line) if ">" not in line[m.end() :]]
            tail = _url_tail(line)
            if opened:
                token = line[opened[-1].start() :].split()[0]
                message = f"Link `{token}` has no closing `>` on its line"
            elif tail is not None and _continues_url(next_line):
                token = tail
                rest = next_line.split()[0]
                message = f"Link `{token}` is split: it goes on with `{rest}` on the next line"
            else:
                continue
            if token.lstrip("<") in broken_hrefs:
                continue
            # Only lines with a split link are looked up in the source.
            located = mapper.locate(line)
            span = mapper.find(token) or located.span
            yield Violation(message, span)

    @staticmethod
    def _hrefs(view: ReaderView) -> Iterator[tuple[Violation, str]]:
        """``href`` values with a line break, each with the text before the break."""
        doc = view.doc
        for match in _HREF.finditer(doc.text, doc.body_offset):
            group = 1 if match.group(1) is not None else 2
            value = match.group(group)
            if "\n" not in _JINJA.sub("", value):
                continue
            span = doc.index.span(match.start(group), match.end(group))
            first_line = value.split("\n", 1)[0].strip()
            yield Violation("The `href` value has a line break in it", span), first_line
