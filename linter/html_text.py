"""Reduce HTML to what the reader sees, and derive an email's plain-text part.

``html_blocks`` gives the visible text block by block, with links and whether each
block sits in the footer; the rules read it. ``html_to_text`` gives the text/plain part
the engine sends beside the HTML: paragraphs wrapped at 67 characters, each link
written as ``label <url>``, and no URL ever split across lines. The parser (lexbor) is
forgiving, so broken newsletters still produce text rather than an exception.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from selectolax.lexbor import LexborHTMLParser, LexborNode

from linter.wrap import DEFAULT_WIDTH, wrap_text

BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "center",
        "dd",
        "details",
        "dialog",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "html",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    ]
)
SKIP_TAGS = frozenset(
    ["head", "script", "style", "title", "noscript", "template", "svg", "math", "iframe", "object"]
)
HEADINGS = frozenset(["h1", "h2", "h3", "h4", "h5", "h6"])
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden|max-height\s*:\s*0")
_FOOTER = re.compile(r"footer", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u200b]+")


@dataclass
class Link:
    """A link the reader can click: where it goes and what it says."""

    href: str
    label: str
    in_footer: bool = False


@dataclass
class Block:
    """One visible paragraph, heading, list item or cell."""

    text: str
    kind: str = "p"
    in_footer: bool = False
    links: list[Link] = field(default_factory=list)
    # The text-part rendering: like ``text`` but with each link's URL written out.
    plain: str = ""


@dataclass
class _State:
    blocks: list[Block] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    plain: list[str] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    kind: str = "p"
    in_footer: bool = False
    in_pre: bool = False

    def flush(self) -> None:
        if not self.parts and not self.links:
            return  # most block boundaries have nothing pending
        text = _normalise("".join(self.parts), self.in_pre)
        plain = _normalise("".join(self.plain), self.in_pre)
        if text.strip() or self.links:
            self.blocks.append(
                Block(text.strip(), self.kind, self.in_footer, self.links, plain.strip())
            )
        self.parts, self.plain, self.links = [], [], []


def _normalise(text: str, preformatted: bool) -> str:
    if preformatted:
        return text
    if "\n" not in text:
        return _SPACES.sub(" ", text).strip()
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return "\n".join(line for line in lines if line)


def _hidden(node: LexborNode) -> bool:
    attributes = node.attributes
    if "hidden" in attributes:
        return True
    style = attributes.get("style") or ""
    return bool(_HIDDEN_STYLE.search(style.lower()))


def _is_footer(node: LexborNode) -> bool:
    attributes = node.attributes
    if node.tag == "footer" or attributes.get("role") == "contentinfo":
        return True
    marks = f"{attributes.get('class') or ''} {attributes.get('id') or ''}"
    return bool(_FOOTER.search(marks))


def _link_label(node: LexborNode) -> str:
    label = _SPACES.sub(" ", node.text(deep=True)).strip()
    if label:
        return label
    image = node.css_first("img[alt]")
    return (image.attributes.get("alt") or "").strip() if image is not None else ""


def plain_link(label: str, href: str) -> str:
    """How the text part writes a link: ``label <url>``, or the bare URL when they agree."""
    target = href[len("mailto:") :] if href.lower().startswith("mailto:") else href
    if not label or label in (href, target):
        return target
    return f"{label} <{target}>"


def _walk(node: LexborNode, state: _State) -> None:
    for child in node.iter(include_text=True):
        tag = child.tag
        if tag == "-text":
            text = child.text_content or ""
            if not state.in_pre:
                # A newline in HTML source is only white space; <br> is a line break.
                text = text.replace("\n", " ")
            state.parts.append(text)
            state.plain.append(text)
            continue
        if tag is None or tag.startswith("-") or tag in SKIP_TAGS or _hidden(child):
            continue
        if tag == "br":
            state.parts.append("\n")
            state.plain.append("\n")
        elif tag == "a" and child.attributes.get("href"):
            href = (child.attributes.get("href") or "").strip()
            label = _link_label(child)
            state.links.append(Link(href, label, state.in_footer))
            state.parts.append(label)
            state.plain.append(plain_link(label, href))
        elif tag in BLOCK_TAGS:
            _walk_block(child, state, tag)
        else:
            _walk(child, state)


def _walk_block(node: LexborNode, state: _State, tag: str) -> None:
    state.flush()
    saved = (state.kind, state.in_footer, state.in_pre)
    state.kind = "li" if tag == "li" else "h" if tag in HEADINGS else state.kind
    if tag == "pre":
        state.kind = "pre"
    if tag in {"p", "div", "td", "th"} and saved[0] not in {"li", "h"}:
        state.kind = "p"
    state.in_footer = saved[1] or _is_footer(node)
    state.in_pre = saved[2] or tag == "pre"
    _walk(node, state)
    state.flush()
    state.kind, state.in_footer, state.in_pre = saved


def html_blocks(html: str) -> list[Block]:
    """The visible blocks of an HTML document, in reading order."""
    parser = LexborHTMLParser(html)
    root = parser.body or parser.root
    state = _State()
    if root is not None:
        state.in_footer = _is_footer(root)
        try:
            _walk(root, state)
        except RecursionError:
            # Thousands of nested elements outrun the stack: read the text flat instead.
            state = _State(in_footer=state.in_footer)
            state.parts.append(root.text(deep=True, separator=" "))
        state.flush()
    return state.blocks


def blocks_to_text(blocks: list[Block], width: int = DEFAULT_WIDTH) -> str:
    """Lay blocks out as a plain-text body: wrapped paragraphs, dashed list items."""
    out: list[str] = []
    previous_kind = ""
    for block in blocks:
        if not block.plain:
            continue
        if block.kind == "pre":
            # Preformatted text keeps its own lines and indentation.
            text = block.plain
            if out:
                out.append("")
        elif block.kind == "li":
            text = wrap_text(block.plain, width, first="- ", rest="  ")
            if out and previous_kind != "li":
                out.append("")
        else:
            text = wrap_text(block.plain, width)
            if out:
                out.append("")
        out.append(text)
        previous_kind = block.kind
    return "\n".join(out) + ("\n" if out else "")


def html_to_text(html: str, width: int = DEFAULT_WIDTH) -> str:
    """The text/plain part for an HTML email: what the reader sees, wrapped at ``width``."""
    return blocks_to_text(html_blocks(html), width)
