"""Import contacts from a CSV file, streaming, in batches of set-based SQL.

Each batch of good rows is an upsert on the address (``ON CONFLICT (email) DO
UPDATE``), then the tags and consent records of the batch in bulk; a transaction is
committed every few batches (:data:`audiences.bulk_sql.COMMIT_ROWS` rows). So a
file of a million rows is read in bounded memory, and re-importing it updates the
same contacts instead of adding new ones.

What a row does to an existing contact: non-empty cells replace the stored values,
empty cells leave them alone, tags are added (never removed) and attributes are
merged key by key. Addresses that differ only in case are one contact; within a file
the later row wins. ``consent`` yes/true/1 records a "granted" e-mail consent, and
no/false/0 a "withdrawn" one, with the source ``import:<file name>``; a record is
only written when it changes the contact's status, so re-importing a file adds none.
An empty or absent consent cell records nothing, which leaves a new contact without
consent (not sendable by e-mail).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, func, select

from audiences.bulk_sql import (
    Commits,
    Insert,
    bulk_insert,
    import_connection,
    is_one_of,
    json_merge,
    refresh_statistics,
)
from audiences.contact_rows import ContactColumns, ContactRow
from audiences.db import Database
from audiences.emails import address_hash
from audiences.import_file import (
    CsvSource,
    ImportFileError,
    ImportResult,
    RejectedRow,
    RejectsWriter,
    check_utf8,
)
from audiences.models import ConsentRecord, Contact, Tag, contact_tags, utcnow
from audiences.settings import AudienceSettings

__all__ = ["ImportFileError", "ImportResult", "RejectedRow", "import_contacts"]

# Contacts per statement: big enough for fast bulk SQL, small enough for flat memory.
BATCH = 5000

Progress = Callable[[int, int], None]

_contacts: Table = Contact.__table__  # type: ignore[assignment]
_tags: Table = Tag.__table__  # type: ignore[assignment]
_consents: Table = ConsentRecord.__table__  # type: ignore[assignment]


def import_contacts(
    db: Database,
    path: Path,
    settings: AudienceSettings,
    progress: Progress | None = None,
) -> ImportResult:
    """Import the contacts in the CSV file at ``path``; see the module doc for the rules.

    ``progress(bytes_read, total_bytes)`` is called as the file streams. Bad rows go to
    ``FILE.rejects.csv`` with their line number and reason; every good row is kept.
    Raises :class:`ImportFileError`, before writing anything, when the file can't be
    read, isn't UTF-8 or has no email column (and, mid-way, at a line the CSV reader
    can't get past).
    """
    del settings  # Contacts need no setting today; the signature matches import_orders.
    check_utf8(path)
    with CsvSource(path) as source, RejectsWriter(path, source.header) as rejects:
        columns = ContactColumns(source.header, path.name)
        rows = 0
        with import_connection(db) as connection:
            writer = _BatchWriter(connection, columns, f"import:{path.name}")
            batch: dict[str, ContactRow] = {}
            for line, cells in source:
                rows += 1
                parsed = columns.parse(cells)
                if isinstance(parsed, str):
                    rejects.add(line, parsed, cells)
                    continue
                earlier = batch.get(parsed.email)
                if earlier is None:
                    batch[parsed.email] = parsed
                else:
                    earlier.merge(parsed)
                if len(batch) >= BATCH:
                    writer.write(list(batch.values()))
                    batch = {}
                    if progress:
                        progress(source.bytes_read, source.total_bytes)
            if batch:
                writer.write(list(batch.values()))
            refresh_statistics(connection, _contacts, contact_tags, _consents)
        if progress:
            progress(source.total_bytes, source.total_bytes)
        return ImportResult(
            rows=rows,
            imported=rows - rejects.count,
            rejected=rejects.count,
            rejects_path=rejects.finish(),
            rejected_rows=rejects.kept,
        )


class _BatchWriter:
    """Writes batches of good rows; knows which columns the file has."""

    def __init__(self, connection: Connection, columns: ContactColumns, source: str) -> None:
        self.connection = connection
        self.commits = Commits(connection)
        self.source = source
        self.fields = [name for _, name in columns.fields]
        if columns.birthday >= 0:
            self.fields.append("birthday")
        if columns.timezone >= 0:
            self.fields.append("timezone")
        self.has_attrs = bool(columns.attrs)
        self.has_tags = columns.tags >= 0
        self.has_consent = columns.consent >= 0
        # Tag name -> id, filled as tags are met; tags are few, so this stays small.
        self.tag_ids: dict[str, int] = {}

    def write(self, batch: list[ContactRow]) -> None:
        """Upsert one batch (addresses unique within it) and link its tags and consent."""
        now = utcnow()
        connection = self.connection
        current = self._current_consent(connection, batch) if self.has_consent else {}
        ids = self._upsert(connection, batch, now)
        if self.has_tags:
            self._link_tags(connection, batch, ids)
        if self.has_consent:
            records = [
                {
                    "contact_id": ids[row.email],
                    "channel": "email",
                    "status": row.consent,
                    "source": self.source,
                    "recorded_at": now,
                }
                for row in batch
                if row.consent is not None and row.consent != current.get(row.email)
            ]
            if records:
                bulk_insert(connection, _consents, records, lambda insert: insert)
        self.commits.wrote(len(batch))

    def _current_consent(
        self, connection: Connection, batch: list[ContactRow]
    ) -> dict[str, str | None]:
        emails = [row.email for row in batch if row.consent is not None]
        if not emails:
            return {}
        found = connection.execute(
            select(_contacts.c.email, _contacts.c.email_consent).where(
                is_one_of(connection, _contacts.c.email, emails)
            )
        )
        return {email: consent for email, consent in found}

    def _upsert(
        self, connection: Connection, batch: list[ContactRow], now: datetime
    ) -> dict[str, int]:
        values = []
        for row in batch:
            value: dict[str, object] = {
                "email": row.email,
                "email_hash": address_hash(row.email),
                "attrs": row.attrs,
                "created_at": now,
                "updated_at": now,
            }
            for name in self.fields:
                value[name] = row.fields.get(name)
            if self.has_consent:
                value["email_consent"] = row.consent
            values.append(value)
        wants_ids = self.has_tags or self.has_consent

        def upsert(insert: Insert) -> Any:
            new = insert.excluded
            changes: dict[str, Any] = {
                name: func.coalesce(new[name], _contacts.c[name]) for name in self.fields
            }
            changes["updated_at"] = new.updated_at
            if self.has_consent:
                changes["email_consent"] = func.coalesce(
                    new.email_consent, _contacts.c.email_consent
                )
            if self.has_attrs:
                changes["attrs"] = json_merge(connection, _contacts.c.attrs, new.attrs)
            statement = insert.on_conflict_do_update(index_elements=["email"], set_=changes)
            if wants_ids:
                return statement.returning(_contacts.c.email, _contacts.c.id)
            return statement

        returned = bulk_insert(connection, _contacts, values, upsert)
        if not wants_ids:
            return {}
        return {row.email: row.id for row in returned}

    def _link_tags(
        self, connection: Connection, batch: list[ContactRow], ids: dict[str, int]
    ) -> None:
        names = {tag for row in batch for tag in row.tags}
        missing = sorted(names - self.tag_ids.keys())
        if missing:
            bulk_insert(connection, _tags, [{"name": name} for name in missing], _do_nothing)
            found = connection.execute(
                select(_tags.c.name, _tags.c.id).where(is_one_of(connection, _tags.c.name, missing))
            )
            self.tag_ids.update({name: tag_id for name, tag_id in found})
        links = [
            {"contact_id": ids[row.email], "tag_id": self.tag_ids[tag]}
            for row in batch
            for tag in row.tags
        ]
        if links:
            bulk_insert(connection, contact_tags, links, _do_nothing)


def _do_nothing(insert: Insert) -> Any:
    return insert.on_conflict_do_nothing()
