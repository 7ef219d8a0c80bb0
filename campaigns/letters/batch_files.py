"""The print house's files: the batch PDF, the manifest, and per-letter PDFs on request.

Assembled from the chunks the ledger marks printed (``detail`` = ``chunk <key>``), in
key order, which is ledger order: a chunk file left by an interrupted run whose rows
were never recorded is not part of the batch. ``letters.pdf`` is joined by poppler's
``pdfunite`` in its own process (the parent's memory doesn't grow with the batch),
then renamed into place; ``manifest.csv`` numbers the letters and turns each chunk's
page numbers into the batch's. A rerun that printed more letters assembles both
again from all the chunks.
"""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, select

from campaigns.letters.chunk_render import MANIFEST_FIELDS
from campaigns.letters.print_run import CHUNK_DETAIL, LetterError
from campaigns.models import Recipient


@dataclass(frozen=True)
class Batch:
    """What was assembled."""

    pdf: Path | None
    manifest: Path
    letters: int
    pages: int
    per_letter: Path | None = None


def printed_chunks(connection: Connection, campaign_id: int) -> list[str]:
    """The keys of the chunks whose letters the ledger marks sent, in print order."""
    details = connection.scalars(
        select(Recipient.detail)
        .where(
            Recipient.campaign_id == campaign_id,
            Recipient.state == "sent",
            Recipient.detail.like(f"{CHUNK_DETAIL}%"),
        )
        .distinct()
    )
    return sorted(str(detail).removeprefix(CHUNK_DETAIL) for detail in details)


def _chunk_rows(chunk_folder: Path, key: str) -> list[dict[str, str]]:
    with (chunk_folder / f"{key}.csv").open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def assemble(
    connection: Connection, campaign_id: int, folder: Path, per_letter: bool = False
) -> Batch:
    """Write ``letters.pdf`` and ``manifest.csv`` (and ``letters/`` when asked) in ``folder``."""
    chunk_folder = folder / "chunks"
    keys = printed_chunks(connection, campaign_id)
    printed_in = {
        int(rid): str(detail).removeprefix(CHUNK_DETAIL)
        for rid, detail in connection.execute(
            select(Recipient.id, Recipient.detail).where(
                Recipient.campaign_id == campaign_id,
                Recipient.state == "sent",
                Recipient.detail.like(f"{CHUNK_DETAIL}%"),
            )
        )
    }
    manifest = folder / "manifest.csv"
    partial = folder / ".manifest.csv.partial"
    sequence = offset = 0
    spans: list[tuple[str, list[tuple[int, str, int, int]]]] = []
    with partial.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(MANIFEST_FIELDS)
        for key in keys:
            letters = []
            rows = _chunk_rows(chunk_folder, key)
            for row in rows:
                if printed_in.get(int(row["recipient_id"])) != key:
                    # Re-rendered in a later chunk after a crash: listed there. Its
                    # pages here are still counted, so the numbers match the PDF.
                    continue
                sequence += 1
                first, last = int(row["first_page"]), int(row["last_page"])
                fields = (row[name] for name in MANIFEST_FIELDS[1:-2])
                writer.writerow([sequence, *fields, first + offset, last + offset])
                letters.append((sequence, row["name"], first, last))
            spans.append((key, letters))
            # Every page of a chunk belongs to a letter: its last letter ends it.
            offset += max((int(row["last_page"]) for row in rows), default=0)
    partial.replace(manifest)
    pdf = _join([chunk_folder / f"{key}.pdf" for key in keys], folder / "letters.pdf")
    split_folder = _split(chunk_folder, spans, folder / "letters", sequence) if per_letter else None
    return Batch(pdf, manifest, sequence, offset, split_folder)


def _join(chunks: list[Path], target: Path) -> Path | None:
    """Concatenate the chunk PDFs into ``target`` without loading them here."""
    if not chunks:
        target.unlink(missing_ok=True)
        return None
    partial = target.with_name(f".{target.name}.partial")
    if len(chunks) == 1:
        shutil.copyfile(chunks[0], partial)
    else:
        if shutil.which("pdfunite") is None:
            raise LetterError(
                "pdfunite (poppler-utils) is needed to join the letters: apt-get install "
                "poppler-utils, or run .ci/system-deps"
            )
        done = subprocess.run(
            ["pdfunite", *map(str, chunks), str(partial)],
            check=False,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            reason = (done.stderr.strip().splitlines() or ["no reason given"])[-1]
            raise LetterError(f"pdfunite could not join the letters: {reason}")
    partial.replace(target)
    return target


def file_name(sequence: int, name: str, width: int) -> str:
    """``0001-nguyen-van-an.pdf``: the sequence, then the name in plain ASCII."""
    plain = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    plain = plain.encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:60] or "letter"
    return f"{sequence:0{width}d}-{slug}.pdf"


def _split(
    chunk_folder: Path,
    spans: list[tuple[str, list[tuple[int, str, int, int]]]],
    target: Path,
    total: int,
) -> Path:
    """One PDF per letter, read one chunk at a time."""
    from pypdf import PdfReader, PdfWriter

    target.mkdir(parents=True, exist_ok=True)
    width = max(4, len(str(total)))
    for key, letters in spans:
        reader = PdfReader(chunk_folder / f"{key}.pdf")
        for sequence, name, first, last in letters:
            writer = PdfWriter()
            for number in range(first, last + 1):
                writer.add_page(reader.pages[number - 1])
            with (target / file_name(sequence, name, width)).open("wb") as file:
                writer.write(file)
    return target
