"""Import conversions from a CSV file: one ``response`` event per row, idempotently.

Columns (header names in any case): ``code`` (required), ``amount``, ``currency``,
``occurred_at`` and ``reference`` (optional); other columns are ignored. The file is
read as the contact and order imports read theirs (:mod:`audiences.import_file`:
UTF-8 checked first, the delimiter guessed from the header, rows streamed), and every
bad row (an offer code that isn't ours, a bad amount or date) goes to a rejects file
with its row number and reason while the good rows are recorded. Each batch is
committed: an import that stops half-way can simply be run again, because a row
already recorded is a duplicate, not a second response.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from audiences.db import Database
from audiences.import_file import (
    CsvSource,
    ImportFileError,
    RejectedRow,
    RejectsWriter,
    check_utf8,
    normalise_column,
)
from audiences.models import utcnow
from audiences.settings import AudienceSettings
from campaigns.events import Event, record_events
from campaigns.responses.conversions import (
    FIELDS,
    Conversion,
    ConversionError,
    find_messages,
    missing_message,
    read_conversion,
    response_event,
)

__all__ = ["ConversionImportResult", "ImportFileError", "import_conversions"]

# Rows per transaction.
BATCH = 2000
SOURCE = "import"

Progress = Callable[[int, int], None]


@dataclass
class ConversionImportResult:
    """What an import did: rows read, responses recorded, duplicates, rejects."""

    rows: int
    recorded: int
    duplicates: int
    rejected: int
    rejects_path: Path | None
    rejected_rows: list[RejectedRow] = field(default_factory=list)


def import_conversions(
    db: Database,
    path: Path,
    secret_key: str,
    settings: AudienceSettings,
    rejects_path: Path | None = None,
    progress: Progress | None = None,
) -> ConversionImportResult:
    """Record the conversions in the CSV file at ``path``; see the module doc for the rules.

    Bad rows go to ``rejects_path`` (default ``FILE.rejects.csv``). Raises
    :class:`ImportFileError`, before recording anything, when the file can't be read,
    isn't UTF-8 or has no ``code`` column.
    """
    check_utf8(path)
    now = utcnow()
    with CsvSource(path) as source, RejectsWriter(path, source.header) as rejects:
        if rejects_path is not None:
            rejects.path = rejects_path
        positions = _columns(source.header, path.name)
        rows = recorded = 0
        with db.engine.connect() as connection:
            batch: list[tuple[int, list[str], Conversion]] = []
            pending: list[tuple[int, str, list[str]]] = []

            def flush() -> None:
                nonlocal recorded
                messages = find_messages(connection, (c.recipient_id for _, _, c in batch))
                events: list[Event] = []
                for line, cells, conversion in batch:
                    message = messages.get(conversion.recipient_id)
                    if message is None:
                        pending.append((line, str(missing_message(conversion.code)), cells))
                    else:
                        events.append(response_event(secret_key, conversion, message, SOURCE))
                recorded += record_events(connection, events)
                connection.commit()
                for line, reason, cells in sorted(pending, key=lambda item: item[0]):
                    rejects.add(line, reason, cells)
                batch.clear()
                pending.clear()

            for line, cells in source:
                rows += 1
                values = {
                    name: cells[index] if index < len(cells) else ""
                    for name, index in positions.items()
                }
                try:
                    conversion = read_conversion(
                        values, secret_key, settings.currency, settings.zone, now
                    )
                except ConversionError as exc:
                    pending.append((line, str(exc), cells))
                else:
                    batch.append((line, cells, conversion))
                if len(batch) + len(pending) >= BATCH:
                    flush()
                    if progress:
                        progress(source.bytes_read, source.total_bytes)
            flush()
        if progress:
            progress(source.total_bytes, source.total_bytes)
        good = rows - rejects.count
        return ConversionImportResult(
            rows=rows,
            recorded=recorded,
            duplicates=good - recorded,
            rejected=rejects.count,
            rejects_path=rejects.finish(),
            rejected_rows=rejects.kept,
        )


def _columns(header: list[str], file_name: str) -> dict[str, int]:
    """Where each known column is; ImportFileError without a ``code`` column."""
    positions: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = normalise_column(cell)
        if name in FIELDS and name not in positions:
            positions[name] = index
    if "code" not in positions:
        raise ImportFileError(
            f"{file_name} has no code column; a conversions file needs code "
            "(amount, currency, occurred_at and reference are optional)"
        )
    return positions
