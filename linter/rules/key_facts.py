"""Key facts (F001): the body gives the price, the delivery and the deadline."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from linter.language import LanguageData
from linter.model import Severity, Span, Violation
from linter.registry import Rule
from linter.rules.capitals import currencies
from linter.urls import find_urls
from linter.view import ReaderView

FACTS = ("price", "delivery", "deadline")


@cache
def _currency_amount() -> re.Pattern[str]:
    """An amount with an ISO 4217 code on either side: "49 USD", "EUR 20", "200.000VND"."""
    codes = "|".join(sorted(currencies().codes))
    return re.compile(rf"\d\s?(?:{codes})(?![^\W\d_])|(?<![^\W\d_])(?:{codes})\s?\d")


@cache
def _fact_pattern(language: LanguageData, fact: str) -> re.Pattern[str]:
    """All of a fact's patterns as one alternation: one search instead of one each."""
    sources = language.strings(f"facts.{fact}")
    union = "|".join(f"(?:{source})" for source in sources) or "(?!)"
    return re.compile(union, re.IGNORECASE | re.UNICODE)


def present_facts(text: str, language: LanguageData) -> set[str]:
    """Which of price, delivery and deadline ``text`` states (patterns in ``facts``)."""
    for start, end, _ in reversed(find_urls(text)):
        text = text[:start] + " " + text[end:]
    found = {fact for fact in FACTS if _fact_pattern(language, fact).search(text)}
    if _currency_amount().search(text):
        found.add("price")
    return found


class MissingKeyFacts(Rule):
    """## What it does
    Checks that the body (the P.S. included, the footer not) states the three key facts
    of an offer, and names the ones it lacks:

    - **price**: an amount with a currency symbol ("$20", "200.000đ"), an ISO 4217 code
      ("49 USD") or a word ("20 dollars", "150 nghìn", "200k"), a percentage, or "free"
      / "miễn phí";
    - **delivery**: delivery, shipping, pick-up, download, "giao hàng", "vận chuyển",
      "nhận hàng"...;
    - **deadline**: a date ("Dec 12", "12/12", "2026-12-01", "12 tháng 12"), a weekday
      ("Friday", "thứ Sáu"), or a limit ("until", "ends", "by midnight", "last day",
      "today only", "đến hết", "hạn", "trước ngày", "chỉ hôm nay").

    The patterns are regular expressions under `facts` in
    `linter/data/<lang>/facts.toml`. URLs are left out, so a date inside a link does
    not count.

    ## Why is this bad?
    A reader who must go to the website to learn the price or the deadline often
    doesn't. The material says "Đưa ra đủ tất cả các dữ liệu quan trọng như giá thành,
    phương thức giao hàng và các thời hạn cuối cùng" (Give all the key data, such as
    the price, the delivery method and the deadlines) and "Không để khách hàng phải vào
    trang chủ để lấy các thông tin họ cần để đánh giá bức thư chào hàng." (Don't make
    customers visit the home page for the information they need to judge the offer.)

    ## Example
    ```
    Our jazz CDs are on sale. Visit the shop to see the prices.
    ```

    Use instead:
    ```
    You save 60% on every jazz CD until Friday, with free delivery in Hanoi.
    ```
    """

    code = "F001"
    name = "missing-key-facts"
    severity = Severity.WARNING
    summary = "The body lacks the price, the delivery method or the deadline"

    def check(self, view: ReaderView) -> Iterator[Violation]:
        present = present_facts(view.body_text(), view.language)
        missing = [fact for fact in FACTS if fact not in present]
        if missing:
            yield Violation(f"Missing key facts: {', '.join(missing)}", self._where(view))

    @staticmethod
    def _where(view: ReaderView) -> Span:
        """The hook, where the offer should be stated; else the body start."""
        if view.hook:
            return view.source.locate(" ".join(view.hook[0].split()[:6]))
        return view.source.body_start()
