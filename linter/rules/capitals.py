"""Capitals and exclamation marks (C001, C002): copy that shouts is hard to read.

The material: "Tránh dùng toàn chữ hoa và quá nhiều câu cảm thán." Both rules find
rendered text back in the template source occurrence by occurrence, so each finding
points at the very word or "!!" the author wrote, and C002 can fix it in place.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from linter.html_text import Block
from linter.language import DATA_DIR, LanguageData, fold
from linter.model import Edit, Fix, Severity, Span, Violation
from linter.registry import Rule
from linter.urls import find_urls, is_url_token
from linter.view import ReaderView

_TOKEN = re.compile(r"\S+")
# A word: letters and digits, with inner apostrophes ("DON'T"); hyphens separate words.
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_RUN = re.compile(r"!{2,}")
_JINJA = r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}"
_HTML = r"<!--.*?-->|<(style|script|head|title)\b.*?</\1\s*>|<[^>]*>"
_MARKUP = {
    "html": re.compile(f"{_JINJA}|{_HTML}", re.DOTALL | re.IGNORECASE),
    "text": re.compile(_JINJA, re.DOTALL),
}
MAX_EXCLAMATIONS = 2


@dataclass(frozen=True)
class Currencies:
    """ISO 4217 codes, and those of them that also read as words ("ALL", "TOP")."""

    codes: frozenset[str]
    word_like: frozenset[str]


@cache
def currencies() -> Currencies:
    """The ISO 4217 codes from ``linter/data/iso4217.toml`` (language-independent)."""
    with (DATA_DIR / "iso4217.toml").open("rb") as handle:
        data = tomllib.load(handle)
    return Currencies(
        frozenset(str(code).upper() for code in data.get("codes", [])),
        frozenset(str(code).upper() for code in data.get("word_like", [])),
    )


@cache
def _acronyms(language: LanguageData, extra: tuple[str, ...]) -> frozenset[str]:
    return language.words("acronyms") | frozenset(fold(word) for word in extra)


def is_shouting(word: str, language: LanguageData, extra_acronyms: tuple[str, ...] = ()) -> bool:
    """Whether ``word`` is in capitals: 3+ letters, all upper-case, no digit, not exempt.

    Exempt are the language's ``acronyms``, ``extra_acronyms`` (config.toml's
    ``extend-acronyms``) and ISO 4217 codes, except codes that also read as words
    ("ALL", "TOP"), which count as shouting here. Any script counts: "ĐẶC" shouts,
    while letters without case (Chinese, Thai) never do. Punctuation around the word
    is ignored, so "FREE!" shouts too.
    """
    if word.upper() != word:
        return False  # has a lower-case letter: the common case, decided cheaply
    core = unicodedata.normalize("NFC", word).strip("\"'“”‘’«»()[]{}.,;:!?…*_-–—")
    if any(ch.isdigit() for ch in core):
        return False
    letters = [ch for ch in core if ch.isalpha()]
    if len(letters) < 3 or not all(ch.isupper() for ch in letters):
        return False
    if fold(core) in _acronyms(language, tuple(extra_acronyms)):
        return False
    upper = core.upper()
    money = currencies()
    return not (upper in money.codes and upper not in money.word_like)


class SourceCursor:
    """Finds rendered text in the template body in reading order, outside markup.

    Each search starts where the previous match ended, so the n-th occurrence in the
    rendered text maps to the n-th literal occurrence in the source. Text inside Jinja
    tags, HTML tags and comments is skipped: a "!" in ``{% if a != b %}`` is no
    exclamation.
    """

    def __init__(self, view: ReaderView) -> None:
        self.doc = view.doc
        self.start = self.doc.body_offset
        self.position = self.start
        pattern = _MARKUP["html" if self.doc.kind == "html" else "text"]
        self.masked = [m.span() for m in pattern.finditer(self.doc.text, self.start)]

    def _inside_markup(self, start: int, end: int) -> bool:
        return any(m_start < end and start < m_end for m_start, m_end in self.masked)

    def _search(self, pattern: re.Pattern[str], start: int, markup: bool) -> re.Match[str] | None:
        for match in pattern.finditer(self.doc.text, start):
            if markup or not self._inside_markup(*match.span()):
                return match
        return None

    def find(self, pattern: re.Pattern[str], markup: bool = False) -> re.Match[str] | None:
        """The next match after the cursor (else the first in the body); moves the cursor.

        With ``markup`` the search also looks inside Jinja and HTML tags, for text
        such as ``{% set title = "SALE" %}`` that the template outputs later.
        """
        match = self._search(pattern, self.position, markup) or self._search(
            pattern, self.start, markup
        )
        if match is not None:
            self.position = max(self.position, match.end())
        return match

    def span(self, start: int, end: int) -> Span:
        """The span of a source range."""
        return self.doc.index.span(start, end)


def _whole_word(word: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![^\W_]){re.escape(word)}(?![^\W_])")


def _block_start(view: ReaderView, block: Block) -> Span:
    return view.source.locate(" ".join(block.text.split()[:6]))


def _next_to_amount(tokens: list[str], index: int) -> bool:
    neighbours = tokens[max(0, index - 1) : index] + tokens[index + 1 : index + 2]
    return any(any(ch.isdigit() for ch in token) for token in neighbours)


class AllCaps(Rule):
    """## What it does
    Checks every word of the body and the footer for capitals: a word of three letters
    or more, every letter upper-case and no digit, such as "FREE", "HURRY" or
    "ĐẶC BIỆT". Known acronyms are fine: the language's `acronyms` list
    (`linter/data/<lang>/capitals.toml`), your own from `extend-acronyms` in
    config.toml, and ISO 4217 currency codes such as VND or USD. Codes that also read as
    words ("ALL", "TOP", "TRY") are a currency only next to an amount ("5000 ALL").
    URLs and e-mail addresses are skipped. Each occurrence is reported at its own
    column; a word that comes only from contact data or a preview is not reported, as
    the template cannot change it.

    ## Why is this bad?
    Text in capitals reads as shouting and is slower to read. The material says
    "Tránh dùng toàn chữ hoa và quá nhiều câu cảm thán." (Avoid writing in all capitals
    and too many exclamations.)

    ## Example
    ```
    HUGE SALE: save 60% on every jazz CD until Friday.
    ```

    Use instead:
    ```
    Save 60% on every jazz CD until Friday.
    ```
    """

    code = "C001"
    name = "all-caps"
    severity = Severity.ERROR
    summary = "A body word is written in capitals"

    def check(self, view: ReaderView) -> Iterator[Violation]:
        cursor = SourceCursor(view)
        extra = view.config.extend_acronyms
        money = currencies()
        for block in view.blocks:
            tokens = _TOKEN.findall(block.text)
            for index, token in enumerate(tokens):
                if is_url_token(token) or "@" in token:
                    continue
                for word in _WORD.findall(token):
                    if not is_shouting(word, view.language, extra):
                        continue
                    if word.upper() in money.word_like and _next_to_amount(tokens, index):
                        continue
                    pattern = _whole_word(word)
                    match = cursor.find(pattern) or cursor.find(pattern, markup=True)
                    if match is not None:
                        yield Violation(
                            f'"{word}" is in capitals: write it in normal case',
                            cursor.span(*match.span()),
                        )


_RUN = re.compile(r"!+")


def _exclamation_runs(text: str) -> Iterator[tuple[str, int, int]]:
    """Each run of "!" in ``text`` outside URLs: (its whitespace token, start, end in it)."""
    blanked = list(text)
    for start, end, _ in find_urls(text):
        blanked[start:end] = " " * (end - start)
    for token in _TOKEN.findall("".join(blanked)):
        if "!" not in token:
            continue
        for run in _RUN.finditer(token):
            yield token, run.start(), run.end()


def _run_pattern(length: int) -> re.Pattern[str]:
    return re.compile(rf"(?<!!)!{{{length}}}(?!!)")


@dataclass(frozen=True)
class _Located:
    length: int
    block: Block
    source: tuple[int, int] | None


class TooManyExclamations(Rule):
    """## What it does
    Checks that the body (the P.S. included, the footer not) has at most two "!" and
    that no "!!" appears in the body or the preheader. The subject's "!" are S004's.
    A "!" inside a URL or a Jinja tag (`!=`) doesn't count.

    The fix, when the run is literal text in the template, collapses "!!!" to "!".

    ## Why is this bad?
    A row of exclamations shouts like capitals and looks like spam. The material says
    "Tránh dùng toàn chữ hoa và quá nhiều câu cảm thán." (Avoid writing in all capitals
    and too many exclamations.)

    ## Example
    ```
    Save 60% today!!! Every jazz CD! Free delivery!
    ```

    Use instead:
    ```
    Save 60% on every jazz CD today, with free delivery!
    ```
    """

    code = "C002"
    name = "too-many-exclamations"
    severity = Severity.WARNING
    summary = 'More than two "!" in the body, or "!!" in the body or preheader'
    fixable = True

    def check(self, view: ReaderView) -> Iterator[Violation]:
        yield from self._preheader(view)
        cursor = SourceCursor(view)
        runs: list[_Located] = []
        for block in view.body_blocks:
            for token, start, end in _exclamation_runs(block.text):
                runs.append(_Located(end - start, block, self._find(cursor, token, start, end)))
        for run in runs:
            if run.length >= 2:
                yield self._run_violation(view, cursor, run)
        total = sum(run.length for run in runs)
        if total > MAX_EXCLAMATIONS:
            yield Violation(
                f'{total} "!" in the body (at most {MAX_EXCLAMATIONS})',
                self._nth_mark(view, cursor, runs, MAX_EXCLAMATIONS + 1),
            )

    @staticmethod
    def _find(cursor: SourceCursor, token: str, start: int, end: int) -> tuple[int, int] | None:
        """Where a run of "!" sits in the source, found by its whole token when it can be."""
        if token.count("!") == end - start:
            match = cursor.find(re.compile(re.escape(token)))
            if match is not None:
                return match.start() + start, match.start() + end
        match = cursor.find(_run_pattern(end - start))
        return match.span() if match is not None else None

    @staticmethod
    def _run_violation(view: ReaderView, cursor: SourceCursor, run: _Located) -> Violation:
        message = f'"{"!" * run.length}": use one "!" at most'
        if run.source is None:
            return Violation(message, _block_start(view, run.block))
        start, end = run.source
        span = cursor.span(start, end)
        fix = None
        if view.doc.text[start:end] == "!" * run.length:
            fix = Fix(f'Replace "{"!" * run.length}" with "!"', (Edit(span, "!"),))
        return Violation(message, span, fix)

    @staticmethod
    def _nth_mark(view: ReaderView, cursor: SourceCursor, runs: list[_Located], nth: int) -> Span:
        """The ``nth`` "!" of the body, or the start of its block when it isn't literal."""
        seen = 0
        for run in runs:
            if seen + run.length >= nth:
                if run.source is None:
                    return _block_start(view, run.block)
                offset = run.source[0] + nth - seen - 1
                return cursor.span(offset, offset + 1)
            seen += run.length
        return view.source.body_start()

    @staticmethod
    def _preheader(view: ReaderView) -> Iterator[Violation]:
        if not view.preheader or not _RUN.search(view.preheader):
            return
        doc = view.doc
        line = doc.front.key_lines.get("preheader")
        line_text = doc.index.line_text(line) if line is not None else ""
        key_end = line_text.find("=") + 1
        position = key_end
        for run in _RUN.finditer(view.preheader):
            message = f'"{run.group()}" in the preheader: use one "!" at most'
            found = (
                _run_pattern(len(run.group())).search(line_text, position)
                if line is not None and key_end > 0
                else None
            )
            if line is None or found is None:
                yield Violation(message, doc.key_span("preheader"))
                continue
            position = found.end()
            span = Span.point(line, found.start() + 1, len(found.group()))
            yield Violation(
                message, span, Fix(f'Replace "{found.group()}" with "!"', (Edit(span, "!"),))
            )
