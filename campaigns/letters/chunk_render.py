"""Rendering one chunk of letters to a PDF file, in a worker process.

A chunk is ``[letters] chunk-size`` letters in ONE HTML document (the CSS parsed once,
each letter a ``<section>`` that starts a new sheet), rendered by WeasyPrint in one
go: per letter that is several times cheaper than a document each. Each letter's
first page is found by its anchor in the laid-out pages; its last page is the page
before the next letter's first.

The chunk's files are written before the parent records anything: the manifest rows
(``<key>.csv``), then the PDF under a temporary name, renamed into place. A chunk
whose rows the ledger does not mark ``sent`` is ignored when the batch is assembled.
"""

from __future__ import annotations

import csv
import gc
import re
import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from campaigns.composer import ComposerRecipe, MessageComposer
from campaigns.letters.letter_layout import (
    ANCHOR_PREFIX,
    PAPERS,
    LetterParts,
    address_lines,
    full_name,
    layout_css,
    letter_section,
    letters_document,
)
from campaigns.letters.letter_words import LetterWords, words_for
from campaigns.letters.qr_code import qr_data_uri
from campaigns.render.campaign_template import RenderError

MANIFEST_FIELDS = (
    "sequence",
    "email",
    "name",
    "address_line1",
    "address_line2",
    "address_line3",
    "city",
    "postcode",
    "country",
    "offer_code",
    "first_page",
    "last_page",
)
# In a chunk's own CSV the pages count from the chunk's first page, and the ledger
# row's id replaces the sequence, which only the assembled batch knows.
CHUNK_FIELDS = ("recipient_id", *MANIFEST_FIELDS[1:])

_BODY = re.compile(r"<body\b[^>]*>(.*)</body\s*>", re.IGNORECASE | re.DOTALL)
_STYLE = re.compile(r"<style\b[^>]*>(.*?)</style\s*>", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class LetterRecipe:
    """What a worker process needs to render a campaign's letters; picklable."""

    composer: ComposerRecipe
    paper_size: str
    return_address: tuple[str, ...]
    date_line: str
    reply_card: bool
    base_url: str
    chunk_folder: str


@dataclass(frozen=True)
class ChunkJob:
    """Letters to render together: (ledger row id, contact email, template variables)."""

    key: str
    letters: list[tuple[int, str, dict[str, Any]]]


@dataclass
class ChunkResult:
    """What became of a chunk: the rows printed, the pages, and the letters that failed."""

    key: str
    printed: list[int] = field(default_factory=list)
    pages: int = 0
    failed: dict[int, str] = field(default_factory=dict)


class _Worker:
    """One process's compiled campaign, built once by the pool's initializer."""

    def __init__(self, recipe: LetterRecipe) -> None:
        from weasyprint.text.fonts import FontConfiguration  # type: ignore[import-untyped]

        self.recipe = recipe
        self.composer = MessageComposer(
            _campaign(recipe.composer), recipe.composer.settings, recipe.composer.secret_key
        )
        template = self.composer.template
        self.lang = template.lang or "en"
        self.words: LetterWords = words_for(template.lang)
        self.fonts = FontConfiguration()
        self.layout = layout_css(PAPERS[recipe.paper_size])
        self.folder = Path(recipe.chunk_folder)

    def letter(self, recipient_id: int, context: dict[str, Any]) -> tuple[LetterParts, str]:
        """One letter's parts and its template CSS. Raises RenderError."""
        engine = self.composer.engine_variables(recipient_id)
        code = str(engine["offer_code"])
        url = f"{self.recipe.base_url}/r/{code}"
        data = {**context, **engine, "response_url": url}
        # The template's own CSS, not its inlined copy: the chunk's <head> carries it, and
        # elements without a style attribute share their computed styles across letters.
        html = self.composer.template.render_styled_html(data) or ""
        body = _BODY.search(html)
        inner = body.group(1) if body else html
        parts = LetterParts(
            recipient_id=recipient_id,
            name=full_name(context),
            address_lines=address_lines(context),
            offer_code=code,
            response_url=url,
            qr_uri=qr_data_uri(url),
            body_html=_STYLE.sub("", inner),
        )
        # The template's <style> goes in the chunk's head once, not in every letter.
        return parts, "\n".join(_STYLE.findall(html))

    def render(self, job: ChunkJob) -> ChunkResult:
        """Render the chunk's letters and write its PDF and CSV; letters fail alone.

        Python's cyclic garbage collector is paused for the chunk and run once after
        it: WeasyPrint allocates hundreds of thousands of objects per chunk and the
        collections they trigger cost about a tenth of the time, for garbage that is
        all freed together at the end anyway.
        """
        gc.disable()
        try:
            return self._render(job)
        finally:
            gc.enable()
            gc.collect()

    def _render(self, job: ChunkJob) -> ChunkResult:
        result = ChunkResult(job.key)
        letters: list[tuple[LetterParts, dict[str, Any], str]] = []
        styles: dict[str, None] = {}
        for recipient_id, email, context in job.letters:
            try:
                parts, css = self.letter(recipient_id, context)
            except RenderError as exc:
                result.failed[recipient_id] = f"render error: {exc}"
                continue
            letters.append((parts, context, email))
            styles.setdefault(css)
        if not letters:
            return result
        pages = self._pages([parts for parts, _, _ in letters], list(styles), result)
        rows = []
        for parts, context, email in letters:
            if parts.recipient_id in result.failed:
                continue
            first, last = pages[parts.recipient_id]
            lines = [str(context.get(f"address_line{n}") or "") for n in (1, 2, 3)]
            rows.append(
                (
                    parts.recipient_id,
                    email,
                    parts.name,
                    *lines,
                    context.get("city") or "",
                    context.get("postcode") or "",
                    context.get("country") or "",
                    parts.offer_code,
                    first,
                    last,
                )
            )
            result.printed.append(parts.recipient_id)
        result.pages = max((last for _, last in pages.values()), default=0)
        with (self.folder / f"{job.key}.csv").open("w", encoding="utf-8", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(CHUNK_FIELDS)
            writer.writerows(rows)
        return result

    def _pages(
        self, letters: list[LetterParts], styles: list[str], result: ChunkResult
    ) -> dict[int, tuple[int, int]]:
        """Lay out and write the chunk's PDF; each letter's first and last page (from 1)."""
        document = self._layout(letters, styles)
        if document is None:
            # Something in one letter broke the layout: find it by laying out alone.
            documents = []
            for letter in letters:
                alone = self._layout([letter], styles)
                if alone is None:
                    result.failed[letter.recipient_id] = "the letter could not be laid out"
                else:
                    documents.append(alone)
            if not documents:
                return {}
            document = documents[0].copy([page for doc in documents for page in doc.pages])
        # A letter's section spans its pages and its id is listed on each of them:
        # the first page that lists it is where the letter starts.
        starts: dict[int, int] = {}
        for number, page in enumerate(document.pages, start=1):
            for name in page.anchors:
                if name.startswith(ANCHOR_PREFIX):
                    starts.setdefault(int(name.removeprefix(ANCHOR_PREFIX)), number)
        firsts = sorted(starts.items(), key=lambda item: item[1])
        pages: dict[int, tuple[int, int]] = {}
        total = len(document.pages)
        for index, (recipient_id, first) in enumerate(firsts):
            last = firsts[index + 1][1] - 1 if index + 1 < len(firsts) else total
            pages[recipient_id] = (first, last)
        partial = self.folder / f".{result.key}.pdf.partial"
        document.write_pdf(partial)
        partial.replace(self.folder / f"{result.key}.pdf")
        return pages

    def _layout(self, letters: list[LetterParts], styles: list[str]) -> Any:
        from weasyprint import HTML  # type: ignore[import-untyped]

        sections = [
            letter_section(
                letter,
                self.words,
                self.recipe.date_line,
                self.recipe.return_address,
                self.recipe.reply_card,
            )
            for letter in letters
        ]
        html = letters_document(sections, styles, self.layout, self.lang)
        try:
            return HTML(string=html).render(font_config=self.fonts)
        except Exception:
            # WeasyPrint raises anything on content it can't lay out; the caller
            # then lays the letters out one at a time to find the culprit.
            return None


def _campaign(recipe: ComposerRecipe) -> Any:
    from campaigns.models import Campaign

    return Campaign(**recipe.campaign)


# The process's compiled campaign: one slot, filled by the pool's initializer.
_WORKER: list[_Worker] = []


def start_worker(recipe: LetterRecipe) -> None:
    """The pool's initializer: compile the campaign once in this process."""
    # Ctrl-C is the parent's to handle: it lets running chunks finish and records them.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _WORKER[:] = [_Worker(recipe)]
    # What the process holds from now on (modules, the compiled template, fonts) is
    # never garbage: keep it out of every later collection.
    gc.collect()
    gc.freeze()


def render_chunk(job: ChunkJob) -> ChunkResult:
    """Render one chunk in this worker process (after ``start_worker``)."""
    if not _WORKER:
        raise RuntimeError("start_worker must run in this process first")
    return _WORKER[0].render(job)
