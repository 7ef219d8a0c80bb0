"""Fixtures for the letter tests: the CLI on both databases, PDFs read back by poppler."""

from __future__ import annotations

import csv
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from audiences.db import Database
from tests.campaigns.conftest import Hookline, make_hookline, open_test_db
from tests.campaigns.smtp_peer import SmtpPeer

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "letters"


@pytest.fixture
def letters(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Hookline]:
    """The CLI on each database, writing letters under tmp_path/letters in 2-letter chunks.

    Letters send no mail: one plain SMTP peer is enough (the shared ``hookline``
    fixture runs every test against two).
    """
    peer = SmtpPeer(pipelining=False).start()
    try:
        hookline = make_hookline(database_url, peer, tmp_path, monkeypatch)
        hookline.env.update(
            {
                "HOOKLINE_LETTERS_OUTPUT": str(tmp_path / "letters"),
                "HOOKLINE_LETTERS_CHUNK_SIZE": "2",
                "HOOKLINE_LETTERS_PROCESSES": "2",
                "HOOKLINE_LETTERS_PLACE": "Hà Nội",
            }
        )
        yield hookline
    finally:
        peer.stop()


@pytest.fixture
def letters_db(letters: Hookline) -> Iterator[Database]:
    """The open, migrated database of ``letters``."""
    yield from open_test_db(letters)


def pdf_pages(pdf: Path) -> list[str]:
    """Each page's text, as poppler's pdftotext extracts it."""
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return text.split("\f")[:-1]


def pdf_info(pdf: Path) -> dict[str, str]:
    """pdfinfo's fields."""
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    return {
        key.strip(): value.strip()
        for key, _, value in (line.partition(":") for line in out.stdout.splitlines())
    }


def manifest_rows(path: Path) -> list[dict[str, str]]:
    """The manifest's rows."""
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))
