"""The hook rule (H001): the first sentences after the greeting face the reader.

Word lists live in ``linter/data/<lang>/hook.toml``; Vietnamese pronouns are several
words long ("chúng tôi", "quý khách"), so they are matched as token sequences.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from linter.model import Severity, Span, Violation
from linter.registry import Rule
from linter.text_units import count_phrases, folded_tokens
from linter.view import ReaderView


def _tokens(text: str) -> list[str]:
    return [token.replace("’", "'") for token in folded_tokens(text)]


@lru_cache(maxsize=1024)
def _phrase_pattern(phrase: str) -> re.Pattern[str] | None:
    """A phrase as a whole-word pattern across any punctuation (compiled once)."""
    words = [re.escape(word) for word in folded_tokens(phrase)]
    if not words:
        return None
    pattern = r"(?<![^\W_])" + r"\W+".join(words) + r"(?![^\W_])"
    return re.compile(pattern.replace("'", "['’]"), re.IGNORECASE)


def _first_phrase(sentence: str, phrases: tuple[str, ...]) -> str | None:
    """The earliest of ``phrases`` in ``sentence``, as written there."""
    best: re.Match[str] | None = None
    for phrase in phrases:
        pattern = _phrase_pattern(phrase)
        if pattern is None:
            continue
        match = pattern.search(sentence)
        if match and (best is None or match.start() < best.start()):
            best = match
    return best.group(0) if best else None


class HookNotReaderFocused(Rule):
    """## What it does
    Reads the hook, the first two sentences after the greeting, and fires when it
    speaks of the sender ("we", "our", "us", "chúng tôi", "công ty") and never of the
    reader ("you", "your", "bạn", "quý khách", "anh", "chị").

    ## Why is this bad?
    The material says: "Lưỡi câu nằm trong một hay hai câu đầu tiên" (the hook lies in
    the first one or two sentences); "Phải rõ ràng, kích thích tâm lý hưởng lợi và hấp
    dẫn" (it must be clear, appeal to the wish to gain, and be attractive); "Hướng ngoại
    và tập trung vào việc “khách hàng sẽ được cái gì” chứ không phải tập trung vào “chúng
    tôi chào bán cái gì”" (outward-looking, focused on "what the customer gets", not on
    "what we are selling"). Half of readers read only those first sentences.

    ## Example
    ```
    Hi {{ first_name }},

    We are proud to announce our new jazz collection. Our team worked hard on it.
    ```

    Use instead:
    ```
    Hi {{ first_name }},

    You save 60% on every jazz CD until Friday. Your order ships free in Hanoi.
    ```
    """

    code = "H001"
    name = "hook-not-reader-focused"
    severity = Severity.WARNING
    summary = "The first two sentences speak of the sender, not of the reader"

    def check(self, view: ReaderView) -> Iterator[Violation]:
        hook = view.hook
        we = view.language.strings("hook_focus.we")
        you = view.language.strings("hook_focus.you")
        tokens = _tokens(" ".join(hook))
        if not count_phrases(tokens, we) or count_phrases(tokens, you):
            return
        sentence = next(s for s in hook if count_phrases(_tokens(s), we))
        word = _first_phrase(sentence, we) or sentence
        yield Violation(
            f'The hook speaks of the sender ("{word}") and not of the reader; say what '
            "the reader gets",
            self._span(view, sentence, word),
        )

    @staticmethod
    def _span(view: ReaderView, sentence: str, word: str) -> Span:
        """The we-word on the sentence's line when it's there, else the sentence."""
        span = view.source.locate(sentence)
        text = view.doc.index.line_text(span.line)
        pattern = r"(?<![^\W_])" + r"\s+".join(map(re.escape, word.split())) + r"(?![^\W_])"
        match = re.compile(pattern, re.IGNORECASE).search(text, span.column - 1)
        if match is None:
            return span
        return Span.point(span.line, match.start() + 1, len(match.group(0)))
