"""The letter's response device (D001): a way for the reader to answer a paper letter.

A letter can't carry an unsubscribe link or a tracked click, so what it needs instead
is something the reader sends or brings back: the personal offer code
(``{{ offer_code }}``, entered at checkout, in the shop or on the QR landing page) or a
reply card that the engine prints after the letter (``reply_card = true``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from linter.context import TemplateContext
from linter.jinja_render import ParsedTemplate, undeclared_names
from linter.model import Severity, Violation
from linter.registry import Rule

OFFER_CODE = "offer_code"
# When the body doesn't parse (T001 reports that), a plain mention of the variable in a
# Jinja expression is the best evidence left; guessing "missing" would add a false error.
_OFFER_CODE_MENTION = re.compile(r"\{\{[^}]*\boffer_code\b")


def uses_offer_code(ctx: TemplateContext) -> bool:
    """Whether the body outputs or reads the engine's ``offer_code`` variable.

    A template that sets its own ``offer_code`` (``{% set offer_code = "X" %}``) prints
    the same text to everyone, which is no personal code, so it doesn't count.
    """
    if isinstance(ctx.parsed, ParsedTemplate):
        return any(name == OFFER_CODE for name, _ in undeclared_names(ctx.parsed.ast))
    return _OFFER_CODE_MENTION.search(ctx.doc.body) is not None


class ResponseDeviceMissing(Rule):
    """## What it does
    Checks that a letter (`channel = "letter"` in the front matter) gives the reader a
    way to respond: its body uses the personal offer code `{{ offer_code }}`, or its
    front matter sets `reply_card = true` so that the engine prints a reply card (the
    offer code and the recipient's address, to cut off and mail back) after the letter.
    The finding points at the front matter's `channel` line (or `reply_card = false`
    when the template sets it). Emails are not checked: their response is a link.

    ## Why is this bad?
    The material lists the forms of direct mail, "Thư tín (letter), Tập quảng cáo
    (brochure)", and says they "Thường đi kèm với thư trả lời và phong bì trả lời"
    (usually come with a reply letter and a reply envelope). On paper there is no link
    to click: without a code or a card the reader has no easy way to answer, and the
    campaign can't tell which letters brought a customer back, so its report shows no
    responses and no cost per response. Hookline records a letter's responses by its
    offer code: typed in with `hookline response record CODE`, imported, or entered on
    the QR landing page.

    ## Example
    ```
    +++
    channel = "letter"
    +++
    <p>Dear {{ first_name }}, you get 20% off every jazz record until 31 January.</p>
    ```

    Use instead:
    ```
    +++
    channel = "letter"
    reply_card = true
    +++
    <p>Dear {{ first_name }}, you get 20% off every jazz record until 31 January.</p>
    <p>Your personal code is <strong>{{ offer_code }}</strong>.</p>
    ```
    """

    code = "D001"
    name = "response-device-missing"
    severity = Severity.ERROR
    summary = "A letter has neither an `offer_code` nor a reply card"
    channels = frozenset({"letter"})
    scope = "template"

    def check_template(self, ctx: TemplateContext) -> Iterator[Violation]:
        front = ctx.doc.front
        if front.reply_card or uses_offer_code(ctx):
            return
        key = "reply_card" if "reply_card" in front.key_lines else "channel"
        yield Violation(
            "The letter has no response device: print the reader's personal code with "
            "`{{ offer_code }}`, or set `reply_card = true` in the front matter",
            ctx.doc.key_span(key),
        )
