"""The text/plain part sent beside an HTML body.

The linter's converter is the single definition of "what the reader sees": the text
part must say what the HTML says (spam filters compare the two), so the engine uses
the same code the linter checks. It skips hidden elements, so the preheader, which is
hidden in the HTML, does not open the text part.
"""

from __future__ import annotations

from linter.html_text import html_to_text

TEXT_WIDTH = 67


def text_part(html: str) -> str:
    """The plain-text alternative of a rendered HTML message: 67-column lines,
    each link as ``label <url>``, no URL ever split.
    """
    return html_to_text(html, width=TEXT_WIDTH)
