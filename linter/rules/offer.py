"""Offer rules: one offer per message (O001) and a call to action to take it (A001).

A call to action is a link in the body (the footer aside) that is not the engine's
unsubscribe or view-in-browser link. Social sites and discount patterns live in
``linter/data/<lang>/offer.toml``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from linter.html_text import Link
from linter.model import Severity, Span, Violation
from linter.registry import Rule
from linter.rules.capitals import SourceCursor
from linter.view import ReaderView


def destination(href: str) -> str | None:
    """Where a link leads, as ``host/path`` without "www.", query, fragment or final
    slash; None for a link that goes nowhere on the web (mailto:, tel:, "#")."""
    raw = href.strip()
    if raw.lower().startswith("www."):
        raw = "http://" + raw
    parts = urlsplit(raw)
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        return None
    host = parts.hostname.lower().removeprefix("www.")
    return f"{host}{parts.path.rstrip('/')}"


def _is_social(target: str, view: ReaderView) -> bool:
    host = target.split("/", 1)[0]
    return any(
        host == domain or host.endswith("." + domain)
        for domain in view.language.words("offer_focus.social_domains")
    )


def _whole(snippet: str) -> re.Pattern[str]:
    """``snippet`` (or its HTML-escaped form) as a whole URL or amount: "/jazz" must not
    match inside "/jazz-sale", nor "5%" inside "25%"."""
    forms = "|".join(re.escape(form) for form in {snippet, html.escape(snippet, quote=False)})
    return re.compile(rf"(?<![\w/.,$€£¥₫-])(?:{forms})(?![\w/?=&%#~+-]|[.,]\w)")


def _locate(
    view: ReaderView, cursor: SourceCursor, snippet: str, markup: bool, fallback: str
) -> Span:
    """The next place ``snippet`` is written, in reading order, else near ``fallback``."""
    match = cursor.find(_whole(snippet), markup=markup)
    if match is None:
        return view.source.locate(fallback or snippet)
    return cursor.span(*match.span())


@dataclass(frozen=True)
class _Action:
    """A call to action in the body: its link, where it leads, where it is written."""

    link: Link
    target: str
    span: Span


def _actions(view: ReaderView) -> list[_Action]:
    """The body's calls to action, in reading order."""
    cursor = SourceCursor(view)
    actions: list[_Action] = []
    for block in view.body_blocks:
        for link in block.links:
            if view.is_engine_link(link):
                continue
            target = destination(link.href)
            if target is None or _is_social(target, view):
                continue
            # In HTML the URL sits in an href attribute, which is markup.
            span = _locate(view, cursor, link.href, view.doc.kind == "html", link.label)
            actions.append(_Action(link, target, span))
    return actions


def _discounts(view: ReaderView) -> Iterator[tuple[str, str, Span]]:
    """Each discount in the body, in reading order: (normalised, as written, where)."""
    cursor = SourceCursor(view)
    patterns = view.language.patterns("offer_focus.discounts")
    for block in view.body_blocks:
        found: list[tuple[int, str]] = []
        for pattern in patterns:
            found.extend(
                (m.start("amount"), m.group("amount")) for m in pattern.finditer(block.text)
            )
        for _, written in sorted(set(found)):
            amount = re.sub(r"\s+", "", written).casefold().replace(",", ".")
            yield amount, written, _locate(view, cursor, written, False, written)


class MultipleOffers(Rule):
    """## What it does
    Checks that the message makes one offer. It fires when calls to action (links in
    the body, not the footer) lead to different destinations, and when the body names
    different discounts ("20%" and "50%", "$10 off" and "$20 off"). Destinations are
    compared by host and path: "www.", query strings (tracking tags), fragments and a
    final "/" don't matter. Unsubscribe, view-in-browser, mailto: and social links
    don't count, and repeating the same offer in the P.S. is fine. A link to a site's
    home page (a logo) is navigation, not an offer, when another call to action goes
    deeper into the same site.

    ## Why is this bad?
    The material says: "Thư điện tử có một chủ đề và chỉ nên có một chủ đề mà thôi" (an
    e-mail has one topic and should have only one) and "Không đưa ra nhiều lời chào hàng
    một lúc vì có thể làm người đọc bối rối và làm loãng thông điệp" (don't make several
    offers at once: it can confuse the reader and dilute the message).

    ## Example
    ```
    Save 60% on jazz CDs: https://shop.example.com/jazz
    And 20% off vinyl: https://shop.example.com/vinyl
    ```

    Use instead:
    ```
    Save 60% on jazz CDs: https://shop.example.com/jazz

    P.S. Your 60% saving ends Friday: https://shop.example.com/jazz
    ```
    """

    code = "O001"
    name = "multiple-offers"
    severity = Severity.ERROR
    summary = "More than one offer: links to different destinations or different discounts"

    def check(self, view: ReaderView) -> Iterator[Violation]:
        yield from self._destinations(view)
        yield from self._amounts(view)

    @staticmethod
    def _destinations(view: ReaderView) -> Iterator[Violation]:
        first: _Action | None = None
        reported: set[str] = set()
        actions = _actions(view)
        # A link to a site's home page (a logo, "visit our shop") is navigation, not a
        # second offer, when another call to action goes deeper into the same site.
        deep_hosts = {a.target.split("/", 1)[0] for a in actions if "/" in a.target}
        actions = [a for a in actions if "/" in a.target or a.target not in deep_hosts]
        for action in actions:
            if first is None:
                first = action
            elif action.target not in (first.target, *reported):
                reported.add(action.target)
                yield Violation(
                    f"More than one offer: calls to action lead to {first.target} and "
                    f"{action.target}; keep one destination",
                    action.span,
                )

    @staticmethod
    def _amounts(view: ReaderView) -> Iterator[Violation]:
        first: tuple[str, str] | None = None
        reported: set[str] = set()
        for amount, written, span in _discounts(view):
            if first is None:
                first = (amount, written)
            elif amount not in (first[0], *reported):
                reported.add(amount)
                yield Violation(
                    f'More than one offer: the body names discounts of "{first[1]}" and '
                    f'"{written}"; keep one',
                    span,
                )


class NoCallToAction(Rule):
    """## What it does
    Checks that the body (the footer aside) has at least one link that tells the reader
    what to do: unsubscribe and view-in-browser links don't count. In a plain-text
    template a bare URL is a link.

    ## Why is this bad?
    The material says: "Hãy nói cho người đọc biết chính xác bạn muốn họ làm gì tiếp
    theo và đưa ra các đường dẫn mà họ có thể kích vào đó" (tell the reader exactly what
    you want them to do next and give links they can click to do it), for example "Hãy
    nhắp chuột vào đây để đăng ký" (click here to register). Without a link, interest
    dies in the inbox.

    ## Example
    ```
    You save 60% on every jazz CD until Friday.
    ```

    Use instead:
    ```
    You save 60% on every jazz CD until Friday.

    Shop the sale: https://shop.example.com/jazz
    ```
    """

    code = "A001"
    name = "no-call-to-action"
    severity = Severity.ERROR
    summary = "The body has no link telling the reader what to do"
    channels = frozenset({"email"})

    def check(self, view: ReaderView) -> Iterator[Violation]:
        for block in view.body_blocks:
            if any(not view.is_engine_link(link) for link in block.links):
                return
        yield Violation(
            "The body has no call to action: add a link that says what to do next, "
            'such as "Shop the sale: https://..."',
            view.source.body_start(),
        )
