"""The permission rule (U001): every email lets the reader unsubscribe."""

from __future__ import annotations

from collections.abc import Iterator

from linter.model import Severity, Span, Violation
from linter.registry import Rule
from linter.variables import PREVIEW_UNSUBSCRIBE_URL
from linter.view import ReaderView


class NoUnsubscribe(Rule):
    """## What it does
    Checks that a rendered email outputs the engine's `{{ unsubscribe_url }}`, as a
    link's `href` or as text (a plain-text email prints the URL), or has a link labelled
    unsubscribe ("Unsubscribe", "Hủy đăng ký"...). Letters are exempt: a printed letter
    has no link and offers a response device instead.

    ## Why is this bad?
    The material separates "Email marketing cho phép (hay được sự cho phép của người
    nhận) - Solicited Commercial Email" (email marketing with the recipient's
    permission) from "Email marketing không được sự cho phép của người nhận -
    Unsolicited Commercial Email (UCE), còn gọi là Spam" (without permission, also
    called spam). Hookline sends only the first kind, and permission that can't be
    withdrawn is not permission: every email must carry a working unsubscribe.

    ## Example
    ```
    Shop the sale: https://shop.example.com/jazz
    ```

    Use instead:
    ```
    Shop the sale: https://shop.example.com/jazz

    --
    Unsubscribe: {{ unsubscribe_url }}
    ```
    """

    code = "U001"
    name = "no-unsubscribe"
    severity = Severity.ERROR
    summary = "An email never outputs `unsubscribe_url` or a link labelled unsubscribe"
    channels = frozenset({"email"})

    def check(self, view: ReaderView) -> Iterator[Violation]:
        if PREVIEW_UNSUBSCRIBE_URL in view.rendered:
            return
        if any(view.is_unsubscribe(link) for link in view.links):
            return
        yield Violation(
            "The email has no unsubscribe link; add `{{ unsubscribe_url }}` to the footer",
            self._end_of_body(view),
        )

    @staticmethod
    def _end_of_body(view: ReaderView) -> Span:
        """The last written line: the footer, where the unsubscribe link belongs."""
        index = view.doc.index
        for line in range(index.line_count, view.doc.body_start_line - 1, -1):
            text = index.line_text(line)
            if text.strip():
                return Span.point(line, 1, len(text))
        return view.source.body_start()
