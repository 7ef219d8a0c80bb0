"""P.S. rules: there is one (P001), it repeats the hook's offer (P002), a link follows (P003).

The P.S. is the body block that opens with a marker from ``ps.markers`` ("P.S.",
"PS:", "Tái bút", "T.B."), and everything after it up to the footer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from linter.html_text import Block
from linter.language import LanguageData, fold
from linter.model import Severity, Span, Violation
from linter.registry import Rule
from linter.text_units import contains_phrase, folded_tokens
from linter.urls import find_urls
from linter.view import ReaderView

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
MIN_CONTENT_LETTERS = 4
MAX_SHOWN_TERMS = 4


def _block_start(view: ReaderView, block: Block) -> Span:
    return view.source.locate(" ".join(block.text.split()[:6]))


def _without_urls(text: str) -> str:
    for start, end, _ in reversed(find_urls(text)):
        text = text[:start] + " " + text[end:]
    return text


def _benefits(language: LanguageData) -> Mapping[str, tuple[str, ...]]:
    table = language.value("postscript.benefits", {})
    if not isinstance(table, dict):
        raise TypeError(f"{language.code}: postscript.benefits must be a table of lists")
    return {str(group): tuple(str(word) for word in words) for group, words in table.items()}


@dataclass(frozen=True)
class OfferTerms:
    """What a piece of copy says about the offer, as comparable keys and their display."""

    terms: dict[str, str]

    def shared(self, other: OfferTerms) -> bool:
        """Whether the two share at least one term."""
        return not self.terms.keys().isdisjoint(other.terms)

    def __str__(self) -> str:
        shown = list(self.terms.values())
        more = ", ..." if len(shown) > MAX_SHOWN_TERMS else ""
        return ", ".join(shown[:MAX_SHOWN_TERMS]) + more


def offer_terms(text: str, language: LanguageData) -> OfferTerms:
    """Numbers (60, 60%, 200.000) and benefit words (save, miễn phí...) in ``text``.

    A number is kept by its digits, so "200.000đ" and "200,000 VND" are the same term;
    a benefit word by its group in ``postscript.benefits``, so "save" and "saving" are.
    """
    text = _without_urls(text)
    terms: dict[str, str] = {}
    for match in _NUMBER.finditer(text):
        digits = re.sub(r"[.,]", "", match.group()).lstrip("0") or "0"
        percent = "%" if text[match.end() : match.end() + 1] == "%" else ""
        terms.setdefault(f"#{digits}", match.group() + percent)
    tokens = folded_tokens(text)
    for group, phrases in _benefits(language).items():
        if any(contains_phrase(tokens, phrase) for phrase in phrases):
            terms.setdefault(fold(group), group)
    return OfferTerms(terms)


def content_words(text: str, language: LanguageData) -> OfferTerms:
    """Words of four letters or more that are not in ``postscript.stopwords``."""
    stopwords = language.words("postscript.stopwords")
    terms: dict[str, str] = {}
    for token in folded_tokens(_without_urls(text)):
        letters = sum(1 for ch in token if ch.isalpha())
        if letters >= MIN_CONTENT_LETTERS and token not in stopwords:
            terms.setdefault(token, token)
    return OfferTerms(terms)


class PsMissing(Rule):
    """## What it does
    Checks that the body has a P.S.: a paragraph that opens with "P.S.", "PS:", or in
    Vietnamese "Tái bút" or "T.B." (the markers are `ps.markers` in
    `linter/data/<lang>/common.toml`). The finding points at the last body paragraph.

    ## Why is this bad?
    After the subject and the hook, the P.S. is what readers look at. The material says
    "Nên kèm theo lời tái bút" (add a P.S.) and "Mặc dù không bắt buộc phải có lời tái
    bút, nhưng chính nó lại thu hút được sự quan tâm của người đọc." (Although a P.S. is
    not mandatory, it draws the reader's attention.) As it is not mandatory, this warns.

    ## Example
    ```
    You save 60% on every jazz CD until Friday.

    Shop the sale: https://shop.example.com/jazz
    ```

    Use instead:
    ```
    You save 60% on every jazz CD until Friday.

    Shop the sale: https://shop.example.com/jazz

    P.S. Your 60% saving ends Friday: https://shop.example.com/jazz
    ```
    """

    code = "P001"
    name = "ps-missing"
    severity = Severity.WARNING
    summary = "The body has no P.S."

    def check(self, view: ReaderView) -> Iterator[Violation]:
        if view.ps_index is not None:
            return
        span = (
            _block_start(view, view.body_blocks[-1])
            if view.body_blocks
            else view.source.body_start()
        )
        yield Violation("No P.S.: add one at the end that repeats the hook's offer", span)


class PsOffHook(Rule):
    """## What it does
    Checks that the P.S. repeats the offer of the hook (the first two sentences after
    the greeting) or of the subject. The heuristic:

    1. Take the *offer terms* of the hook and the subject: every number, percentage or
       amount ("60%", "200.000đ", compared by their digits), and every benefit word
       from `postscript.benefits` in `linter/data/<lang>/postscript.toml` ("save",
       "free", "gift", "off", "tiết kiệm", "giảm", "miễn phí", "quà", "ưu đãi"...). The
       words of one group are one term: "save" in the hook and "saving" in the P.S.
       match.
    2. The P.S. (with what follows it, up to the footer) must share at least one term.
    3. When neither the hook nor the subject has an offer term, the P.S. must share
       one word of four letters or more that is not in `postscript.stopwords`.

    URLs are left out, so a shared link does not count as a repeated offer.

    ## Why is this bad?
    A P.S. about something else wastes the second place readers look at. The material
    says "trong phần tái bút, nên nhắc lại “lưỡi câu” và tận dụng cơ hội này để làm nổi
    bật lời chào hàng của bạn." (In the P.S., repeat the hook and use the chance to
    highlight your offer.)

    ## Example
    ```
    You save 60% on every jazz CD until Friday.

    P.S. Follow us on Facebook for news from the shop.
    ```

    Use instead:
    ```
    You save 60% on every jazz CD until Friday.

    P.S. Your 60% saving ends Friday: https://shop.example.com/jazz
    ```
    """

    code = "P002"
    name = "ps-off-hook"
    severity = Severity.WARNING
    summary = "The P.S. does not repeat the hook's offer"

    def check(self, view: ReaderView) -> Iterator[Violation]:
        if not view.ps_blocks:
            return
        hook = " ".join([view.subject or "", *view.hook])
        ps = " ".join(block.text for block in view.ps_blocks)
        wanted = offer_terms(hook, view.language)
        found = offer_terms(ps, view.language)
        if not wanted.terms:
            wanted = content_words(hook, view.language)
            found = content_words(ps, view.language)
        if not wanted.terms or wanted.shared(found):
            return
        yield Violation(
            f"The P.S. does not repeat the hook's offer ({wanted}): restate it",
            _block_start(view, view.ps_blocks[0]),
        )


class PsNoLink(Rule):
    """## What it does
    Checks that a link follows the P.S.: in the P.S. itself or after it, before the
    footer. Unsubscribe and view-in-browser links don't count. Paper letters have no
    links, so this checks emails only.

    ## Why is this bad?
    A reader who got to the P.S. is ready to act; a link there lets them. The material
    says "Sau dòng tái bút, thường là đường link cuối cùng trong email." (After the
    P.S. usually comes the last link of the email.) "Usually" ("thường") makes this a
    warning.

    ## Example
    ```
    P.S. Your 60% saving ends Friday.
    ```

    Use instead:
    ```
    P.S. Your 60% saving ends Friday: https://shop.example.com/jazz
    ```
    """

    code = "P003"
    name = "ps-no-link"
    severity = Severity.WARNING
    summary = "No link follows the P.S."
    channels = frozenset({"email"})

    def check(self, view: ReaderView) -> Iterator[Violation]:
        if not view.ps_blocks:
            return
        links = [link for block in view.ps_blocks for link in block.links]
        if any(not view.is_engine_link(link) for link in links):
            return
        yield Violation(
            "No link follows the P.S.: end it with the offer's link",
            _block_start(view, view.ps_blocks[0]),
        )
