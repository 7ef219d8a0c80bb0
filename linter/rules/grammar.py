"""Grammar and spelling rules: G001 (grammar) and G002 (spelling).

Both ask the grammar backend chosen for the template's language (see
:mod:`linter.grammar.service`) about the visible body, block by block, footer left out.
Findings are only what the backend reports; when no backend serves the language the
rules report nothing and add one note to the report.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, ClassVar

from linter.grammar import service
from linter.grammar.backend import GrammarBackendError, GrammarIssue, IssueKind
from linter.jinja_render import preview_contexts
from linter.language import fold
from linter.model import Severity, Span, Violation
from linter.registry import Rule
from linter.urls import find_urls
from linter.view import ReaderView

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_EDGE_PUNCTUATION = "\"'“”‘’()[]{}<>.,;:!?…-–—"
_ALL_CAPS = re.compile(r"^[^\W\d_]{2,}$")
_ANCHOR_WORDS = (6, 3)
MAX_SUGGESTIONS = 3


def _strings(value: Any) -> Iterator[str]:
    """Every string inside a preview value (dicts and lists walked)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


class _Ignored:
    """What the backends must not be judged on: links, addresses, data and known words."""

    def __init__(self, view: ReaderView) -> None:
        config = view.config
        words = (
            *config.grammar.words,
            *config.extend_acronyms,
            *view.language.strings("acronyms"),
        )
        self.words = frozenset(fold(word) for word in words)
        contexts = preview_contexts(view.doc.front.previews, view.lang, config.attributes)
        context = contexts[min(view.preview_index, len(contexts) - 1)]
        # Contact data and the offer code come from variables: they are not the copy.
        values = {value.strip() for value in _strings(context) if len(value.strip()) >= 2}
        self.values = tuple(
            re.compile(rf"(?<!\w){re.escape(value)}(?!\w)") for value in sorted(values)
        )

    def ranges(self, text: str) -> list[tuple[int, int]]:
        """Spans of ``text`` that are URLs, e-mail addresses or rendered variables."""
        found = [(start, end) for start, end, _ in find_urls(text)]
        found += [match.span() for match in _EMAIL.finditer(text)]
        for pattern in self.values:
            found += [match.span() for match in pattern.finditer(text)]
        return found

    def skips(self, text: str, issue: GrammarIssue, ranges: list[tuple[int, int]]) -> bool:
        """Whether ``issue`` falls on something the rules don't judge."""
        if any(issue.start < end and start < issue.end for start, end in ranges):
            return True
        word = text[issue.start : issue.end].strip(_EDGE_PUNCTUATION)
        if fold(word) in self.words:
            return True
        # A word in capitals is C001's to judge (or an acronym); spelling it is noise.
        return issue.kind == "spelling" and bool(_ALL_CAPS.match(word)) and word.isupper()


def _message(issue: GrammarIssue) -> str:
    suggestions = [s for s in issue.suggestions if s.strip()][:MAX_SUGGESTIONS]
    if not suggestions:
        return issue.message
    shown = ", ".join(f'"{suggestion}"' for suggestion in suggestions)
    return f"{issue.message} (suggestions: {shown})"


def _find_anchor(view: ReaderView, words: list[str], after_line: int) -> Span | None:
    for count in _ANCHOR_WORDS:
        if len(words) >= count:
            span = view.source.find(" ".join(words[:count]), after_line)
            if span is not None:
                return span
    return None


def _issue_span(view: ReaderView, text: str, issue: GrammarIssue, after_line: int) -> Span:
    """Where the flagged words are in the template: found with the words that follow."""
    problem = text[issue.start : issue.end]
    anchor = _find_anchor(view, text[issue.start :].split(), after_line)
    if anchor is not None:
        return Span.point(anchor.line, anchor.column, len(problem.split("\n")[0]))
    return view.source.locate(problem, after_line)


class _GrammarRule(Rule):
    """Shared by G001 and G002: they differ only in the kind of issue they report."""

    issue_kind: ClassVar[IssueKind] = "grammar"
    severity = Severity.WARNING
    scope = "view"

    def check(self, view: ReaderView) -> Iterator[Violation]:
        grammar = view.config.grammar
        if not grammar.enabled:
            return
        choice = service.choose(view.lang, grammar)
        if choice.note:
            view.notes.add(choice.note)
        if choice.backend is None:
            return
        ignored = _Ignored(view)
        after_line = 0
        for block in view.body_blocks:
            # Offsets stay put: a line break becomes a space of the same length.
            text = block.text.replace("\n", " ")
            if not text.strip():
                continue
            try:
                issues = service.check(choice.backend, view.lang, grammar, text)
            except GrammarBackendError as exc:
                view.notes.add(f"grammar: skipped ({view.lang}: {exc})")
                return
            anchor = _find_anchor(view, text.split(), after_line)
            if anchor is not None:
                after_line = anchor.line
            ranges = ignored.ranges(text)
            for issue in issues:
                if issue.kind != self.issue_kind or ignored.skips(text, issue, ranges):
                    continue
                yield Violation(_message(issue), _issue_span(view, text, issue, after_line))


class GrammarError(_GrammarRule):
    """## What it does
    Checks the grammar of the visible body, block by block (the footer left out), with
    the grammar backend for the template's language: LanguageTool when
    `[linter.grammar] languagetool-url` (or `languagetool-path`) is set and reachable,
    else Harper for English. Links, e-mail addresses, the offer code, contact data and
    the words in `[linter.grammar] words` and the acronym lists are not judged. The
    message and the suggestions are the backend's. When no backend serves the language,
    nothing is reported and the report says `grammar: skipped (...)`.

    ## Why is this bad?
    The material asks for "Áp dụng nguyên tắc văn phạm và chữ viết đúng" (apply the
    rules of grammar and write correctly), and checks a letter with "Viết đúng ngữ
    pháp không?" (is the grammar correct?). A grammar slip in a sales email costs the
    reader's trust in the offer.

    ## Example
    ```
    Their is a gift for you in our jazz shop.
    ```

    Use instead:
    ```
    There is a gift for you in our jazz shop.
    ```
    """

    code = "G001"
    name = "grammar"
    summary = "The grammar backend reports a grammar mistake in the body"
    issue_kind = "grammar"


class SpellingError(_GrammarRule):
    """## What it does
    Checks the spelling of the visible body, block by block (the footer left out), with
    the grammar backend for the template's language (LanguageTool when configured and
    reachable, else Harper for English). Links, e-mail addresses, the offer code,
    contact data, words in capitals (C001 judges those) and the words in
    `[linter.grammar] words` and the acronym lists are accepted. Add brand and place
    names to `words`.

    ## Why is this bad?
    The material's checklist for a letter asks "Từ ngữ có sai chính tả không?" (are
    any words misspelt?) and tells the writer "Rà soát lại thư trước khi gửi" (review
    the mail before sending). A typo reads as carelessness, and spam filters notice it.

    ## Example
    ```
    Save 60% on every jazz CD, wiht free delivery.
    ```

    Use instead:
    ```
    Save 60% on every jazz CD, with free delivery.
    ```
    """

    code = "G002"
    name = "spelling"
    summary = "The grammar backend reports a misspelt word in the body"
    issue_kind = "spelling"
