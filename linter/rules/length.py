"""Length rules: the body stays under the word limit (L001) and paragraphs stay short (R001)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from linter.html_text import Block
from linter.model import Severity, Span, Violation
from linter.registry import Rule
from linter.text_units import wrapped_line_count
from linter.view import ReaderView

_TOKEN = re.compile(r"\S+")
_HAS_WORD_CHAR = re.compile(r"[^\W_]", re.UNICODE)
MAX_PARAGRAPH_LINES = 4
# Enough words to find a place in the source without matching elsewhere.
SNIPPET_WORDS = 6


def _block_start(view: ReaderView, block: Block) -> Span:
    return view.source.locate(" ".join(block.text.split()[:SNIPPET_WORDS]))


def _fits_for_sure(text: str, width: int) -> bool:
    """Whether the paragraph can't reach a fifth line, without wrapping it.

    Greedy wrapping fills each line until the next word would pass ``width``, so each
    full line is at least ``width`` minus the longest word. Four full lines and a fifth
    need more text than ``MAX_PARAGRAPH_LINES * (width - longest)``.
    """
    parts = text.split()
    if not parts:
        return True
    total = sum(map(len, parts)) + len(parts) - 1
    return total <= MAX_PARAGRAPH_LINES * (width - max(map(len, parts)))


class BodyTooLong(Rule):
    """## What it does
    Counts the words of the body, the P.S. included and the footer (after `-- ` or in
    a `<footer>`) left out, and warns when there are more than `word-limit` (250 by
    default, in config.toml). A word is a whitespace-separated token with a letter or a
    digit, in every language, as word processors count: "60%" is a word, "–" is not,
    and each Vietnamese syllable ("tiết", "kiệm") is one. The finding points at the
    first word past the limit.

    ## Why is this bad?
    Readers skim, and a long mail buries the offer. The material says "Độ dài lý tưởng
    của một bức thư điện tử là dưới 250 từ." (The ideal length of an e-mail is under
    250 words.) It calls the length ideal ("lý tưởng"), so this is a warning.

    ## Example
    A 400-word mail that tells the story of the shop before it reaches the offer.

    Use instead:
    ```
    Hi An,

    You save 60% on every jazz CD until Friday, with free delivery in Hanoi.

    Shop the sale: https://shop.example.com/jazz
    ```
    """

    code = "L001"
    name = "body-too-long"
    severity = Severity.WARNING
    summary = "The body has more words than the word limit"

    def check(self, view: ReaderView) -> Iterator[Violation]:
        limit = view.config.word_limit
        past_limit: tuple[Block, list[str], int] | None = None
        total = 0
        for block in view.body_blocks:
            tokens = _TOKEN.findall(block.text)
            for index, token in enumerate(tokens):
                if _HAS_WORD_CHAR.search(token):
                    total += 1
                    if total == limit + 1:
                        past_limit = (block, tokens, index)
        if past_limit is None:
            return
        block, tokens, index = past_limit
        yield Violation(
            f"body has {total} words (limit {limit}): cut it to the offer and its benefits",
            self._word_span(view, block, tokens, index),
        )

    @staticmethod
    def _word_span(view: ReaderView, block: Block, tokens: list[str], index: int) -> Span:
        """The word at ``tokens[index]``, found by the words that follow it in its block."""
        block_span = _block_start(view, block)
        snippet = " ".join(tokens[index : index + SNIPPET_WORDS])
        found = view.source.find(snippet, block_span.line)
        if found is None:
            return view.source.locate(tokens[index], block_span.line)
        return Span.point(found.line, found.column, len(tokens[index]))


class ParagraphTooLong(Rule):
    """## What it does
    Wraps each paragraph of the body at `line-length` (67 characters by default) and
    warns when it takes more than four lines. List items and headings are not
    paragraphs: a list is the easy-to-read form this rule asks for. Hard line breaks
    inside a paragraph are ignored: the paragraph is measured as the reader's mail
    program reflows it. The footer is left out.

    ## Why is this bad?
    Long blocks of text are skipped, not read. The material says "Nên để khoảng ba đến
    bốn dòng trong một đoạn và khoảng cách giữa các dòng là gấp đôi." (Keep about three
    to four lines in a paragraph, with double spacing between lines.) It also says
    "Sử dụng các dấu gạch đầu dòng, dấu sao hoặc tô màu để nhấn mạnh các nội dung quan
    trọng" (use bullets, asterisks or colour to stress what matters).

    ## Example
    ```
    You save 60% on every jazz CD until Friday. The sale covers our whole jazz range,
    from the classic Blue Note pressings to new releases by young Vietnamese players.
    Delivery is free in Hanoi and takes two days. Elsewhere it costs 30.000đ. Every CD
    comes with a printed booklet, and you can return any of them within 30 days if it
    isn't what you hoped. The sale ends on Friday at midnight.
    ```

    Use instead:
    ```
    You save 60% on every jazz CD until Friday at midnight.

    - Free delivery in Hanoi, in two days (30.000đ elsewhere)
    - A printed booklet with every CD
    - 30 days to return any CD
    ```
    """

    code = "R001"
    name = "paragraph-too-long"
    severity = Severity.WARNING
    summary = "A paragraph is more than four lines long"

    def check(self, view: ReaderView) -> Iterator[Violation]:
        width = view.config.line_length
        for block in view.body_blocks:
            if block.kind != "p" or _fits_for_sure(block.text, width):
                continue
            lines = wrapped_line_count(block.text, width)
            if lines > MAX_PARAGRAPH_LINES:
                yield Violation(
                    f"Paragraph is {lines} lines long at {width} characters "
                    f"(at most {MAX_PARAGRAPH_LINES}): split it or use a list",
                    _block_start(view, block),
                )
