"""The page a letter is printed on: window-envelope address, date, body, response box.

The layout owns the paper: its size (``[letters] paper-size``) and margins, so the
recipient's address always lands in the envelope's window; a template's own ``@page``
rules are overridden. The template owns the body and its typography.

Window positions, measured from the sheet's top-left corner:

- A4: DIN 5008 form B, the DL and C5 *left* window envelope: the address field is
  20 mm from the left, 45 mm from the top, 90 x 45 mm. Its first line (the return
  zone) carries the sender's address in small type, so undeliverable mail comes back.
- US Letter: the #10 window envelope (window 7/8 in from the left, 4 1/2 x 1 1/8 in),
  with the sheet folded in three: the address field sits 2 in from the top.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from typing import Any

from campaigns.letters.letter_words import LetterWords

FONT_STACK = '"DejaVu Serif", "Noto Serif", serif'


@dataclass(frozen=True)
class Paper:
    """A sheet, its margins and its envelope window, in millimetres."""

    css_size: str
    margin_top: float
    margin_right: float
    margin_bottom: float
    margin_left: float
    window_left: float
    window_top: float
    window_width: float
    window_height: float
    address_size_pt: float


PAPERS = {
    "A4": Paper("A4", 20, 20, 20, 25, 20, 45, 90, 45, 10),
    "letter": Paper("letter", 19, 19, 19, 25.4, 22.2, 50.8, 101.6, 28.6, 9),
}


def layout_css(paper: Paper) -> str:
    """The stylesheet every letter shares, placed after the template's own."""
    window_top = paper.window_top - paper.margin_top
    window_left = paper.window_left - paper.margin_left
    # The window's box reaches from the top margin to the window's lower edge.
    head_height = window_top + paper.window_height
    return f"""
@page {{
  size: {paper.css_size};
  margin: {paper.margin_top}mm {paper.margin_right}mm {paper.margin_bottom}mm {paper.margin_left}mm;
}}
html, body {{ margin: 0; padding: 0; }}
body {{ font-family: {FONT_STACK}; }}
section.hl-letter {{ break-before: page; }}
/* Fewer boxes lay out faster: the blocks below hold text with line breaks (pre-line)
   rather than an element per line, and the window sits in the flow, not absolutely. */
/* The window is the whole head block: its top padding is the space above the window
   (clipping is at the padding box, so only the window's lower edge clips), its bottom
   margin the space down to the date. */
.hl-window {{
  margin: 0 0 6mm {window_left}mm; width: {paper.window_width}mm; height: {head_height}mm;
  padding: {window_top}mm 5mm 0; box-sizing: border-box; overflow: hidden; white-space: pre-line;
  font-family: {FONT_STACK}; font-size: {paper.address_size_pt}pt; line-height: 1.25;
}}
.hl-return {{
  font-size: 6.5pt; line-height: 1; padding: 1.5mm 0 0.8mm;
  border-bottom: 0.3pt solid #000; margin-bottom: 2mm; white-space: nowrap;
}}
.hl-date {{ text-align: right; margin: 0 0 6mm; }}
/* The QR code is the response box's background, drawn in its left padding: no box of
   its own to lay out (a float or a flex item costs several layout passes). */
.hl-response {{
  break-inside: avoid; margin-top: 8mm; border: 0.8pt solid #000;
  padding: 3mm 4mm 3mm 33mm; height: 24mm; font-family: {FONT_STACK}; white-space: pre-line;
  background: no-repeat 4mm 3mm / 24mm 24mm; image-rendering: pixelated;
}}
.hl-code {{ font-family: "DejaVu Sans Mono", "Noto Sans Mono", monospace; font-size: 14pt;
  font-weight: bold; letter-spacing: 0.5pt; }}
.hl-url {{ white-space: nowrap; font-size: 9pt; }}
.hl-card {{ break-before: page; font-family: {FONT_STACK}; }}
.hl-card h2 {{ font-size: 16pt; margin: 0 0 4mm; }}
.hl-card .hl-window {{ font-size: {paper.address_size_pt + 1}pt; }}
.hl-from {{ white-space: pre-line; }}
"""


@dataclass(frozen=True)
class LetterParts:
    """One recipient's letter, ready to lay out."""

    recipient_id: int
    name: str
    address_lines: tuple[str, ...]
    offer_code: str
    response_url: str
    qr_uri: str
    body_html: str


def address_lines(contact: Mapping[str, Any]) -> tuple[str, ...]:
    """The postal address block under the name: street lines, city and postcode, country."""
    city = " ".join(str(contact.get(key) or "").strip() for key in ("city", "postcode")).strip()
    lines = [str(contact.get(f"address_line{n}") or "").strip() for n in (1, 2, 3)]
    lines += [city, str(contact.get("country") or "").strip()]
    return tuple(line for line in lines if line)


def full_name(contact: Mapping[str, Any]) -> str:
    """The addressee's name as printed: first and last name."""
    parts = (str(contact.get(key) or "").strip() for key in ("first_name", "last_name"))
    return " ".join(part for part in parts if part)


ANCHOR_PREFIX = "hl-letter-"


def anchor(recipient_id: int) -> str:
    """The id of a letter's first element: where its first page is found."""
    return f"{ANCHOR_PREFIX}{recipient_id}"


def _lines(lines: tuple[str, ...]) -> str:
    # Shown with white-space: pre-line; a contact's own line breaks become spaces.
    return "\n".join(" ".join(escape(line).split()) for line in lines)


def _window(return_line: str, lines: tuple[str, ...]) -> str:
    return_zone = f'<div class="hl-return">{escape(return_line)}</div>' if return_line else ""
    return f'<div class="hl-window">{return_zone}{_lines(lines)}</div>'


def letter_section(
    letter: LetterParts,
    words: LetterWords,
    date_line: str,
    return_address: tuple[str, ...],
    reply_card: bool,
) -> str:
    """One letter as a ``<section>``: its pages start on a new sheet."""
    recipient = (letter.name, *letter.address_lines) if letter.name else letter.address_lines
    response = (
        f'<div class="hl-response" style="background-image: url({letter.qr_uri})">'
        f'{escape(words.code_label)}:\n<span class="hl-code">{escape(letter.offer_code)}</span>'
        f'\n{escape(words.scan_label)}\n<span class="hl-url">{escape(letter.response_url)}</span>'
        "</div>"
    )
    parts = [
        f'<section class="hl-letter" id="{anchor(letter.recipient_id)}">',
        _window(", ".join(return_address), recipient),
        f'<p class="hl-date">{escape(date_line)}</p>',
        letter.body_html,
        response,
    ]
    if reply_card:
        # Mailed back in the same window envelope: the sender's address is in the window.
        parts.append(
            '<div class="hl-card">'
            f"{_window(', '.join(recipient), return_address)}"
            f"<h2>{escape(words.reply_card_title)}</h2>"
            f"<p>{escape(words.reply_card_text)}</p>"
            f"{response}"
            f'<p class="hl-from">{escape(words.reply_from)}:\n{_lines(recipient)}</p>'
            "</div>"
        )
    parts.append("</section>")
    return "".join(parts)


def letters_document(
    sections: list[str], template_css: list[str], layout: str, lang: str = "en"
) -> str:
    """The HTML document of one chunk: the template's CSS and the layout's, then letters.

    ``lang`` lets the text engine pick the language's glyph forms and line breaks.
    """
    styles = "".join(f"<style>{css}</style>" for css in [*template_css, layout])
    return (
        f'<!doctype html><html lang="{escape(lang)}"><head><meta charset="utf-8">{styles}</head>'
        f"<body>{''.join(sections)}</body></html>"
    )
