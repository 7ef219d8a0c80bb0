"""The plain-text part as a template of its own, derived once per campaign.

Converting each rendered HTML message to text (:func:`text_part`) is most of a
render's cost. Instead the HTML *template* is converted once: Jinja tags are swapped
for inert words, the linter's converter reads the blocks, and the tags are put back,
giving a text template with one line per block. Per message that template is
rendered and each block wrapped at 67 columns, exactly as the converter lays it out.

The derived template is used only when it can be trusted: no ``|safe`` output and no
preformatted block, every Jinja tag accounted for, and, for every ``[[preview]]`` of
the template (and the placeholder data), the same text as converting the rendered
HTML. Otherwise the caller converts each message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from jinja2 import ChainableUndefined, Template, TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from campaigns.render.css_inline import JINJA_TAG
from linter.html_text import Block, blocks_to_text, html_blocks, plain_link
from linter.wrap import DEFAULT_WIDTH

# One word of letters and digits: the converter keeps it whole and in place.
_PLACEHOLDER = "hltxt{:05d}q"
_PLACEHOLDERS = re.compile(r"hltxt(\d{5})q")
_UNSAFE = re.compile(r"\|\s*safe\b|\bautoescape\b|\bmarkup\b", re.IGNORECASE)
# Each layout line starts with its block's kind; a <br> inside a block is _BREAK.
_PARAGRAPH, _ITEM, _HEADING, _BREAK = "\x03", "\x02", "\x05", "\x04"
_KIND_MARK = {"li": _ITEM, "h": _HEADING}
_MARK_KIND = {_ITEM: "li", _HEADING: "h", _PARAGRAPH: "p"}
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u200b]+")
# A link whose text-part form depends on data: label and address, decided per message.
_LINK_OPEN, _LINK_SPLIT, _LINK_CLOSE = "\x06", "\x07", "\x08"
_LINK = re.compile("\x06(.*?)\x07(.*?)\x08", re.DOTALL)


def _finalize(value: Any) -> Any:
    # In HTML a value's line breaks are only white space; the blocks say where lines go.
    if value is None:
        return ""
    if isinstance(value, str):
        return value.replace("\n", " ")
    return value


_ENVIRONMENT = ImmutableSandboxedEnvironment(
    autoescape=False,
    undefined=ChainableUndefined,
    finalize=_finalize,
    keep_trailing_newline=True,
    auto_reload=False,
)


class TextTemplate:
    """A text part that renders without parsing HTML; build it with :func:`derive`."""

    def __init__(self, template: Template, width: int = DEFAULT_WIDTH) -> None:
        self.template = template
        self.width = width

    def render(self, context: Mapping[str, Any]) -> str:
        """The text part for one recipient (raises what Jinja raises)."""
        blocks = []
        for line in self.template.render(context).split("\n"):
            if not line or line[0] not in _MARK_KIND:
                continue
            plain = "\n".join(
                cleaned
                for piece in _resolve_links(line[1:]).split(_BREAK)
                if (cleaned := _SPACES.sub(" ", piece).strip())
            )
            if plain:
                blocks.append(Block("", _MARK_KIND[line[0]], plain=plain))
        return blocks_to_text(blocks, self.width)


def _dynamic_links(block: Block) -> str:
    """The block's text, with each link that depends on data left to decide per message.

    Whether a link is written ``label <url>``, ``url`` or just ``label`` depends on its
    rendered address and label (see ``linter.html_text``), so such links are marked
    and resolved after rendering.
    """
    plain = block.plain
    position = 0
    for link in block.links:
        if not (_PLACEHOLDERS.search(link.href) or _PLACEHOLDERS.search(link.label)):
            continue
        written = plain_link(link.label, link.href)
        found = plain.find(written, position)
        if found < 0:
            continue  # verification below rejects the template if this mattered
        marked = f"{_LINK_OPEN}{link.label}{_LINK_SPLIT}{link.href}{_LINK_CLOSE}"
        plain = plain[:found] + marked + plain[found + len(written) :]
        position = found + len(marked)
    return plain


def _resolve_links(text: str) -> str:
    return _LINK.sub(
        lambda m: (
            plain_link(_SPACES.sub(" ", m.group(1)).strip(), m.group(2).strip())
            if m.group(2).strip()
            else m.group(1)
        ),
        text,
    )


def derive(
    html_body: str,
    checks: Iterable[Mapping[str, Any]],
    render_html: Any,
    convert: Any,
) -> TextTemplate | None:
    """The text template for an HTML body, or None when it can't be trusted.

    ``render_html(context)`` renders the real HTML and ``convert(html)`` converts it,
    for the comparison on each context in ``checks``.
    """
    if _UNSAFE.search(html_body) or _PLACEHOLDERS.search(html_body):
        return None
    tags: list[str] = []

    def protect(match: re.Match[str]) -> str:
        tags.append(match.group(0))
        return _PLACEHOLDER.format(len(tags) - 1)

    blocks = html_blocks(JINJA_TAG.sub(protect, html_body))
    if any(block.kind == "pre" for block in blocks):
        return None
    lines = [
        _KIND_MARK.get(block.kind, _PARAGRAPH) + _dynamic_links(block).replace("\n", _BREAK)
        for block in blocks
    ]
    layout = "\n".join(lines)
    seen = [int(index) for index in _PLACEHOLDERS.findall(layout)]
    if len(seen) != len(set(seen)):
        return None
    statements = {i for i, tag in enumerate(tags) if not tag.startswith("{{")}
    if not statements <= set(seen):
        return None  # a branch or loop sat where the text can't follow it
    source = _PLACEHOLDERS.sub(lambda match: tags[int(match.group(1))], layout)
    try:
        text = TextTemplate(_ENVIRONMENT.from_string(source))
    except (TemplateSyntaxError, RecursionError, SyntaxError):
        return None
    try:
        for context in checks:
            if text.render(context) != convert(render_html(context)):
                return None
    except Exception:  # a preview the real render also can't handle: no evidence either way
        return None
    return text
