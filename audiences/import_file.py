"""Reading an import CSV: the UTF-8 check, the header, rows with line numbers, rejects.

Both importers (contacts and orders) stream their file through :class:`CsvSource`
and report bad rows through :class:`RejectsWriter`, so a file of any size is read in
bounded memory and every rejected row ends up in ``FILE.rejects.csv``.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Self

# Rejected rows kept in memory for the caller to print; all of them go to the file.
KEEP_REJECTED = 1000
_CHUNK = 1 << 20
_DELIMITERS = (",", ";", "\t")


@dataclass
class RejectedRow:
    """A row that was not imported: its line in the file (the header is line 1) and why."""

    row: int
    reason: str


@dataclass
class ImportResult:
    """What an import did.

    ``imported`` counts the good rows (a later duplicate of an address counts too; it
    updates the same contact). ``rejected_rows`` holds at most the first
    :data:`KEEP_REJECTED` rejects; every one is in ``rejects_path``.
    """

    rows: int
    imported: int
    rejected: int
    rejects_path: Path | None
    rejected_rows: list[RejectedRow] = field(default_factory=list)


class ImportFileError(Exception):
    """The file can't be read at all (missing, not CSV, no email column...)."""


def rejects_path_for(path: Path) -> Path:
    """Where the rejects of ``path`` go: ``contacts.csv`` -> ``contacts.rejects.csv``."""
    return path.with_name(f"{path.stem}.rejects.csv")


def check_utf8(path: Path) -> None:
    """Raise :class:`ImportFileError` unless the whole file is UTF-8 text without NUL bytes.

    The check runs before anything is written, so a file that can't be read leaves the
    database untouched. The message names the first bad byte, its offset and its line.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    lines = 1
    try:
        with path.open("rb") as raw:
            while chunk := raw.read(_CHUNK):
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    _not_utf8(path, chunk, exc.start, offset, lines)
                nul = chunk.find(b"\x00")
                if nul >= 0:
                    line = lines + chunk.count(b"\n", 0, nul)
                    raise ImportFileError(
                        f"{path.name} is not a CSV text file: it contains a NUL byte "
                        f"at offset {offset + nul} (line {line})"
                    )
                lines += chunk.count(b"\n")
                offset += len(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise ImportFileError(
            f"{path.name} is not UTF-8 text: it ends in the middle of a character; "
            "save it as UTF-8 (CSV UTF-8 in Excel)"
        ) from None
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc.strerror or exc}") from None


def _not_utf8(path: Path, chunk: bytes, start: int, offset: int, lines: int) -> None:
    # The decoder carries incomplete characters across chunks, so a start below zero
    # is possible in theory; clamp it to the chunk.
    start = max(start, 0)
    line = lines + chunk.count(b"\n", 0, start)
    raise ImportFileError(
        f"{path.name} is not UTF-8 text: byte 0x{chunk[start]:02X} at offset "
        f"{offset + start} (line {line}) is not valid UTF-8; save the file as UTF-8 "
        "(CSV UTF-8 in Excel)"
    )


def normalise_column(name: str) -> str:
    """A header cell as matched against known columns: trimmed, lower-case, ``_`` for spaces."""
    return "_".join(name.strip().lower().replace("-", " ").split())


class CsvSource:
    """A CSV file read row by row, with each row's first line number.

    The delimiter is the one of ``,``, ``;`` and tab that the header uses most (comma
    when it uses none). Completely empty lines are skipped. Use as a context manager.
    """

    def __init__(self, path: Path) -> None:
        try:
            self.total_bytes = path.stat().st_size
            self._raw: IO[bytes] = path.open("rb")
        except OSError as exc:
            raise ImportFileError(f"cannot read {path}: {exc.strerror or exc}") from None
        self.path = path
        self._text = io.TextIOWrapper(self._raw, encoding="utf-8-sig", newline="")
        first = self._text.readline()
        if not first.strip():
            self.close()
            raise ImportFileError(
                f"{path.name} has no header: its first line must name the columns, "
                "for example email,first_name,last_name"
            )
        counts = {delimiter: first.count(delimiter) for delimiter in _DELIMITERS}
        self.delimiter = max(_DELIMITERS, key=counts.__getitem__) if any(counts.values()) else ","
        #: The header cells as written.
        self.header: list[str] = next(csv.reader([first], delimiter=self.delimiter))
        self._reader = csv.reader(self._text, delimiter=self.delimiter)

    @property
    def bytes_read(self) -> int:
        """How far into the file the reader is, in bytes."""
        return min(self._raw.tell(), self.total_bytes)

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        """Yield ``(line number, cells)`` for every non-empty row after the header."""
        reader = self._reader
        line_before = 1
        try:
            for cells in reader:
                line = line_before + 1
                line_before = reader.line_num + 1
                if not cells or (len(cells) == 1 and not cells[0].strip()):
                    continue
                yield line, cells
        except csv.Error as exc:
            # Python's reader stops at a field over 128 KiB (a quote left open, mostly).
            raise ImportFileError(
                f"{self.path.name}, line {line_before + 1}: not readable as CSV ({exc}); "
                "the import stopped there: fix the file and import it again "
                "(rows already imported are updated, not duplicated)"
            ) from None

    def close(self) -> None:
        """Close the file."""
        self._text.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class RejectsWriter:
    """Writes rejected rows to ``FILE.rejects.csv``: ``row``, ``reason``, then the row as read.

    The file is created at the first reject. When an import rejects nothing, a rejects
    file left by an earlier import of the same file is removed, so the file on disk
    always describes the last import.
    """

    def __init__(self, path: Path, header: list[str]) -> None:
        self.path = rejects_path_for(path)
        self._header = header
        self._file: IO[str] | None = None
        self._write_row: Callable[[Iterable[str]], object] | None = None
        self.count = 0
        self.kept: list[RejectedRow] = []

    def add(self, line: int, reason: str, cells: list[str]) -> None:
        """Record one rejected row."""
        if self._write_row is None:
            try:
                self._file = self.path.open("w", encoding="utf-8", newline="")
            except OSError as exc:
                raise ImportFileError(
                    f"cannot write the rejects file {self.path}: {exc.strerror or exc}"
                ) from None
            self._write_row = csv.writer(self._file).writerow
            self._write_row(["row", "reason", *self._header])
        self._write_row([str(line), reason, *cells])
        self.count += 1
        if len(self.kept) < KEEP_REJECTED:
            self.kept.append(RejectedRow(line, reason))

    def finish(self) -> Path | None:
        """Close the file; the path of the rejects file, or ``None`` when nothing was rejected."""
        if self._file is not None:
            self._file.close()
            return self.path
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        return None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._file is not None:
            self._file.close()
