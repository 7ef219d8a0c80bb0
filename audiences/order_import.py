"""Import orders from a CSV file, streaming, then recompute the contacts' metrics.

Columns: ``email``, ``order_id``, ``amount`` and ``ordered_at`` (required), ``category``
and ``currency`` (optional; the configured currency when absent or empty). Other
columns are ignored. An order belongs to the contact with its address; an unknown
address is a rejected row (import the contacts first). Orders are inserted with
``ON CONFLICT (order_id) DO NOTHING``: an order already stored, or met earlier in the
file, is left as it is, so re-importing a file changes nothing.

Amounts: ``1250000``, ``1250000.50`` and ``1,250,000`` (comma thousands separators)
are read; at most two decimal places, no negative amounts. ``ordered_at``:
``YYYY-MM-DD`` or an ISO 8601 date-time. A time with an offset (``+07:00``, ``Z``) is
converted to UTC; a date or a time without one is read in the configured time zone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Table, select

from audiences.bulk_sql import (
    Commits,
    bulk_insert,
    import_connection,
    is_one_of,
    refresh_statistics,
)
from audiences.db import Database
from audiences.emails import InvalidEmailError, normalise_email
from audiences.import_file import (
    CsvSource,
    ImportFileError,
    ImportResult,
    RejectsWriter,
    check_utf8,
    normalise_column,
)
from audiences.metrics import recompute_metrics
from audiences.models import Contact, Order
from audiences.settings import AudienceSettings

# Orders per statement.
BATCH = 5000
REQUIRED = ("email", "order_id", "amount", "ordered_at")
OPTIONAL = ("category", "currency")
_AMOUNT = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")
_CURRENCY = re.compile(r"[A-Za-z]{3}")
# Numeric(16, 2): at most 14 digits before the point.
_MAX_AMOUNT = Decimal("1e14")
_ORDER_ID_LENGTH = 100
_CATEGORY_LENGTH = 100

_contacts: Table = Contact.__table__  # type: ignore[assignment]
_orders: Table = Order.__table__  # type: ignore[assignment]


# A rejected row: its line, the reason, and its cells as read.
_Reject = tuple[int, str, list[str]]


@dataclass
class _OrderRow:
    line: int
    cells: list[str]
    email: str
    order_id: str
    amount: Decimal
    currency: str
    ordered_at: datetime
    category: str | None


def import_orders(
    db: Database,
    path: Path,
    settings: AudienceSettings,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Import the orders in the CSV file at ``path``, then recompute every contact's metrics.

    ``progress(bytes_read, total_bytes)`` is called as the file streams. Bad rows (and
    rows whose address is no contact) go to ``FILE.rejects.csv`` with their line number
    and reason. Raises :class:`ImportFileError`, before writing anything, when the file
    can't be read, isn't UTF-8 or lacks a required column (and, mid-way, at a line the
    CSV reader can't get past).
    """
    check_utf8(path)
    with CsvSource(path) as source, RejectsWriter(path, source.header) as rejects:
        parser = _OrderColumns(source.header, path.name, settings)
        rows = 0
        with import_connection(db) as connection:
            writer = _OrderWriter(connection, rejects)
            batch: list[_OrderRow] = []
            pending: list[_Reject] = []
            for line, cells in source:
                rows += 1
                parsed = parser.parse(line, cells)
                if isinstance(parsed, str):
                    pending.append((line, parsed, cells))
                else:
                    batch.append(parsed)
                if len(batch) + len(pending) >= BATCH:
                    writer.write(batch, pending)
                    batch, pending = [], []
                    if progress:
                        progress(source.bytes_read, source.total_bytes)
            writer.write(batch, pending)
            # The metrics below aggregate the orders: plan them on fresh statistics.
            refresh_statistics(connection, _orders)
        if progress:
            progress(source.total_bytes, source.total_bytes)
        result = ImportResult(
            rows=rows,
            imported=rows - rejects.count,
            rejected=rejects.count,
            rejects_path=rejects.finish(),
            rejected_rows=rejects.kept,
        )
    recompute_metrics(db, settings)
    return result


class _OrderWriter:
    """Writes batches of orders, and the rejects that came with them, in file order."""

    def __init__(self, connection: Connection, rejects: RejectsWriter) -> None:
        self.connection = connection
        self.commits = Commits(connection)
        self.rejects = rejects

    def write(self, batch: list[_OrderRow], pending: list[_Reject]) -> None:
        """Insert one batch of orders; reject those whose address is no contact."""
        ids = _contact_ids(self.connection, batch)
        values = []
        for row in batch:
            contact_id = ids.get(row.email)
            if contact_id is None:
                pending.append((row.line, _unknown_email(row.email), row.cells))
                continue
            values.append(
                {
                    "order_id": row.order_id,
                    "contact_id": contact_id,
                    "amount": row.amount,
                    "currency": row.currency,
                    "ordered_at": row.ordered_at,
                    "category": row.category,
                }
            )
        if values:
            bulk_insert(
                self.connection,
                _orders,
                values,
                lambda insert: insert.on_conflict_do_nothing(index_elements=["order_id"]),
            )
        self.commits.wrote(len(values))
        for line, reason, cells in sorted(pending, key=lambda item: item[0]):
            self.rejects.add(line, reason, cells)


def _contact_ids(connection: Connection, batch: list[_OrderRow]) -> dict[str, int]:
    """Contact ids by the address as written (trimmed, lower-cased) in the batch.

    Addresses are stored normalised; most files write them the same way, so they are
    looked up as written first, and only the misses are normalised and looked up again.
    """
    wanted = {row.email for row in batch}
    ids = _lookup(connection, wanted)
    normalised: dict[str, str] = {}
    for email in wanted - ids.keys():
        try:
            stored = normalise_email(email)
        except InvalidEmailError:
            continue
        if stored != email:
            normalised[email] = stored
    if normalised:
        found = _lookup(connection, set(normalised.values()))
        ids.update(
            {email: found[stored] for email, stored in normalised.items() if stored in found}
        )
    return ids


def _lookup(connection: Connection, emails: set[str]) -> dict[str, int]:
    if not emails:
        return {}
    found = connection.execute(
        select(_contacts.c.email, _contacts.c.id).where(
            is_one_of(connection, _contacts.c.email, sorted(emails))
        )
    )
    return {email: contact_id for email, contact_id in found}


def _unknown_email(email: str) -> str:
    try:
        normalise_email(email)
    except InvalidEmailError as exc:
        return f"email: {exc}"
    return f"email: no contact has the address {email}; import the contacts first"


class _OrderColumns:
    """The header of an orders file, resolved once, and the parser of its rows."""

    def __init__(self, header: list[str], file_name: str, settings: AudienceSettings) -> None:
        self.width = len(header)
        self.zone: ZoneInfo = settings.zone
        self.currency = settings.currency
        positions = {normalise_column(cell): index for index, cell in enumerate(header)}
        missing = [name for name in REQUIRED if name not in positions]
        if missing:
            raise ImportFileError(
                f"{file_name} lacks the column{'s' if len(missing) > 1 else ''} "
                f"{', '.join(missing)}; an orders file needs {', '.join(REQUIRED)} "
                "(category and currency are optional)"
            )
        self.email, self.order_id, self.amount, self.ordered_at = (
            positions[name] for name in REQUIRED
        )
        self.category = positions.get("category", -1)
        self.currency_column = positions.get("currency", -1)

    def parse(self, line: int, cells: list[str]) -> _OrderRow | str:
        """The row's order, or the reason it is rejected (each bad field named)."""
        if len(cells) != self.width:
            return (
                f"the row has {len(cells)} fields but the header has {self.width}; "
                "check the quoting and the separators"
            )
        problems: list[str] = []
        email = cells[self.email].strip().lower()
        if not email:
            problems.append("email: the e-mail address is empty")
        order_id = cells[self.order_id].strip()
        if not order_id:
            problems.append("order_id: empty")
        elif len(order_id) > _ORDER_ID_LENGTH:
            problems.append(f"order_id: longer than {_ORDER_ID_LENGTH} characters")
        amount = _amount(cells[self.amount].strip())
        if isinstance(amount, str):
            problems.append(amount)
        ordered_at = _ordered_at(cells[self.ordered_at].strip(), self.zone)
        if isinstance(ordered_at, str):
            problems.append(ordered_at)
        category = (cells[self.category].strip() or None) if self.category >= 0 else None
        if category and len(category) > _CATEGORY_LENGTH:
            problems.append(f"category: longer than {_CATEGORY_LENGTH} characters")
        currency = self.currency
        if self.currency_column >= 0 and (written := cells[self.currency_column].strip()):
            if _CURRENCY.fullmatch(written):
                currency = written.upper()
            else:
                problems.append(f"currency: {written!r} is not a 3-letter code such as VND")
        if problems or isinstance(amount, str) or isinstance(ordered_at, str):
            return "; ".join(problems)
        return _OrderRow(line, cells, email, order_id, amount, currency, ordered_at, category)


def _amount(written: str) -> Decimal | str:
    if not written:
        return "amount: empty"
    if written.startswith("-"):
        return f"amount: {written!r} is negative; an order's amount is zero or more"
    if not _AMOUNT.fullmatch(written):
        return f"amount: {written!r} is not a number such as 1250000, 1,250,000 or 1250000.50"
    try:
        amount = Decimal(written.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        return f"amount: {written!r} is not a number"
    if amount >= _MAX_AMOUNT:
        return f"amount: {written!r} is too large"
    if amount != amount.quantize(Decimal("0.01")):
        return f"amount: {written!r} has more than two decimal places"
    return amount


def _ordered_at(written: str, zone: ZoneInfo) -> datetime | str:
    if not written:
        return "ordered_at: empty"
    try:
        moment = datetime.fromisoformat(written)
    except ValueError:
        return (
            f"ordered_at: {written!r} is not a date (YYYY-MM-DD) or an ISO date-time "
            "(YYYY-MM-DDTHH:MM:SS, optionally with an offset such as +07:00)"
        )
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC).replace(tzinfo=None)
