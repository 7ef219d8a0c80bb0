"""What the reader sees of one rendered template: the view every copy rule reads.

A view is built per preview context. For a plain-text template the blocks are its
paragraphs; for HTML they are the visible blocks (see :mod:`linter.html_text`). The
text part is what the engine sends as text/plain: the rendered text itself, or for an
HTML email the converter's output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from linter.config import LinterConfig
from linter.document import TemplateDocument
from linter.html_text import Block, Link, blocks_to_text, html_blocks
from linter.language import LanguageData, fold
from linter.source_map import SourceMap
from linter.text_units import BULLET, is_greeting, sentences
from linter.urls import find_urls
from linter.variables import PREVIEW_UNSUBSCRIBE_URL, PREVIEW_VIEW_URL

_SIGNATURE = re.compile(r"^--\s*$")


def text_blocks(text: str) -> list[Block]:
    """Paragraphs of a plain-text body. Bullets are list items; ``-- `` opens the footer."""
    blocks: list[Block] = []
    in_footer = False
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            body = "\n".join(paragraph)
            links = [
                Link(url, _label_before(body, start), in_footer)
                for start, _, url in find_urls(body)
            ]
            kind = "li" if BULLET.match(paragraph[0]) else "p"
            blocks.append(Block(body, kind, in_footer, links, body))
            paragraph.clear()

    for line in text.split("\n"):
        if _SIGNATURE.match(line):
            flush()
            in_footer = True
        elif not line.strip():
            flush()
        elif BULLET.match(line):
            flush()
            paragraph.append(line.rstrip())
        else:
            paragraph.append(line.rstrip())
    flush()
    return blocks


def _label_before(text: str, url_start: int) -> str:
    line_start = text.rfind("\n", 0, url_start) + 1
    label = text[line_start:url_start].strip().rstrip(":-–>(<").strip()
    if not label and line_start > 0:
        previous_start = text.rfind("\n", 0, line_start - 1) + 1
        label = text[previous_start : line_start - 1].strip()
    return label


@dataclass
class ReaderView:
    """One rendering of a template, as its reader sees it."""

    doc: TemplateDocument
    language: LanguageData
    config: LinterConfig
    subject: str | None
    preheader: str | None
    rendered: str
    source: SourceMap
    preview_index: int = 0
    blocks: list[Block] = field(default_factory=list)
    text_part: str = ""
    # One-line notes for the report, such as "grammar: skipped (...)".
    notes: set[str] = field(default_factory=set)

    @classmethod
    def build(
        cls,
        doc: TemplateDocument,
        language: LanguageData,
        config: LinterConfig,
        rendered: str,
        subject: str | None,
        preheader: str | None,
        source: SourceMap,
        preview_index: int = 0,
    ) -> ReaderView:
        """Reduce the rendered body to blocks and derive its text part."""
        if doc.kind == "html":
            blocks = html_blocks(rendered)
            text_part = blocks_to_text(blocks, config.line_length)
        else:
            blocks = text_blocks(rendered)
            text_part = rendered
        return cls(
            doc,
            language,
            config,
            subject,
            preheader,
            rendered,
            source,
            preview_index,
            blocks,
            text_part,
        )

    @property
    def channel(self) -> str:
        """``email`` or ``letter``."""
        return self.doc.channel

    @property
    def lang(self) -> str:
        """The language code whose word lists apply."""
        return self.language.code

    @cached_property
    def body_blocks(self) -> list[Block]:
        """The blocks before the footer."""
        return [block for block in self.blocks if not block.in_footer]

    @cached_property
    def links(self) -> list[Link]:
        """Every link in the message, footer included."""
        return [link for block in self.blocks for link in block.links]

    def is_unsubscribe(self, link: Link) -> bool:
        """Whether a link is the unsubscribe link (by URL or by its label)."""
        if link.href.startswith(PREVIEW_UNSUBSCRIBE_URL):
            return True
        label = fold(link.label)
        return any(fold(word) in label for word in self.language.strings("unsubscribe_labels"))

    def is_engine_link(self, link: Link) -> bool:
        """Unsubscribe and view-in-browser links, which are not calls to action."""
        return self.is_unsubscribe(link) or link.href.startswith(PREVIEW_VIEW_URL)

    @cached_property
    def ps_index(self) -> int | None:
        """The index in :attr:`body_blocks` where the P.S. starts, if there is one."""
        markers = self.language.patterns("ps.markers")
        for index, block in enumerate(self.body_blocks):
            if any(marker.match(block.text) for marker in markers):
                return index
        return None

    @cached_property
    def main_blocks(self) -> list[Block]:
        """The body before the P.S."""
        end = self.ps_index if self.ps_index is not None else len(self.body_blocks)
        return self.body_blocks[:end]

    @cached_property
    def ps_blocks(self) -> list[Block]:
        """The P.S. and what follows it, up to the footer."""
        return [] if self.ps_index is None else self.body_blocks[self.ps_index :]

    @cached_property
    def hook(self) -> list[str]:
        """The first two sentences after the greeting."""
        text = "\n\n".join(block.text for block in self.main_blocks)
        found = [s for s in sentences(text) if s.strip()]
        while found and is_greeting(found[0], self.language):
            found.pop(0)
        return found[:2]

    def body_text(self, include_ps: bool = True) -> str:
        """The visible body before the footer, blocks separated by blank lines."""
        blocks = self.body_blocks if include_ps else self.main_blocks
        return "\n\n".join(block.text for block in blocks)
