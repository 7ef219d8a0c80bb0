"""Counting, sampling and exporting a segment, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from audiences import audience_query
from audiences.audience_query import COLUMNS, count, export_csv, sample
from audiences.consent import record_consent
from audiences.db import Database
from audiences.emails import address_hash
from audiences.models import Contact, Suppression, Tag
from audiences.segment_query import SegmentError
from audiences.settings import AudienceSettings

SETTINGS = AudienceSettings()


def _add(
    db: Database,
    email: str,
    *,
    city: str = "Hanoi",
    consent: str | None = "granted",
    tags: tuple[str, ...] = (),
    address: bool = False,
    attrs: dict[str, object] | None = None,
) -> None:
    with db.session() as session:
        known = {tag.name: tag for tag in session.query(Tag).all()}
        contact = Contact(
            email=email,
            email_hash=address_hash(email),
            first_name=email.split("@", maxsplit=1)[0].title(),
            city=city,
            country="VN" if address else None,
            address_line1="1 Tràng Tiền" if address else None,
            attrs=attrs or {},
            orders_count=2,
            total_spent=Decimal("1500000.50"),
        )
        contact.tags = [known.get(name) or Tag(name=name) for name in tags]
        session.add(contact)
        session.flush()
        if consent:
            record_consent(session, contact, "email", consent, "test")
        session.commit()


@pytest.fixture
def people(db: Database) -> Database:
    """Hanoi: an (vip, postal address), binh, dung (withdrew), giang (suppressed); Hue: chi."""
    _add(db, "an@example.com", tags=("vip", "a;b"), address=True, attrs={"store": "Hoàn Kiếm"})
    _add(db, "binh@example.com")
    _add(db, "chi@example.com", city="Hue", tags=("vip",))
    _add(db, "dung@example.com", consent="withdrawn", address=True)
    _add(db, "giang@example.com")
    with db.session() as session:
        session.add(
            Suppression(
                address_hash=address_hash("giang@example.com"), channel="all", reason="forgotten"
            )
        )
        session.commit()
    return db


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_count_is_the_query_among_contacts_sendable_by_email(people: Database) -> None:
    assert count(people, 'city = "Hanoi"', SETTINGS) == 2
    assert count(people, 'tag "vip"', SETTINGS) == 2


def test_the_empty_query_counts_everyone_sendable(people: Database) -> None:
    assert count(people, "", SETTINGS) == 3


def test_mail_counts_complete_postal_addresses_without_a_withdrawal(people: Database) -> None:
    assert count(people, "", SETTINGS, channel="mail") == 2


def test_an_unknown_channel_is_a_value_error(people: Database) -> None:
    with pytest.raises(ValueError, match="unknown channel 'sms'"):
        count(people, "", SETTINGS, channel="sms")


def test_a_bad_query_raises_before_any_sql_runs(people: Database) -> None:
    statements: list[str] = []
    event.listen(people.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    for query in ('ctiy = "Hanoi"', 'city = "Hanoi" and'):
        with pytest.raises(SegmentError):
            count(people, query, SETTINGS)
    assert statements == []


def test_sample_is_limited_ordered_and_json_ready(people: Database) -> None:
    rows = sample(people, "", SETTINGS, "email", 2)
    assert [row["email"] for row in rows] == ["an@example.com", "binh@example.com"]
    first = rows[0]
    assert tuple(first) == COLUMNS
    assert first["tags"] == ["a;b", "vip"]
    assert first["attrs"] == {"store": "Hoàn Kiếm"}
    assert first["orders"] == 2
    assert first["total_spent"] == "1500000.50"
    json.dumps(rows)


def test_export_writes_every_selected_row_across_batches(
    people: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audience_query, "BATCH", 1)
    target = tmp_path / "out.csv"
    assert export_csv(people, "", SETTINGS, "email", target) == 3
    rows = _csv(target)
    assert [row["email"] for row in rows] == [
        "an@example.com",
        "binh@example.com",
        "chi@example.com",
    ]
    assert tuple(rows[0]) == COLUMNS
    assert rows[0]["tags"] == "a;b;vip"
    assert json.loads(rows[0]["attrs"]) == {"store": "Hoàn Kiếm"}
    assert rows[1]["attrs"] == "" and rows[1]["tags"] == ""


def test_export_of_nobody_writes_the_header_only(people: Database, tmp_path: Path) -> None:
    target = tmp_path / "none.csv"
    assert export_csv(people, 'city = "Hue" and not tag "vip"', SETTINGS, "email", target) == 0
    assert target.read_text(encoding="utf-8").strip() == ",".join(COLUMNS)


def test_a_bad_query_leaves_an_existing_file_as_it_was(people: Database, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    target = folder / "out.csv"
    target.write_text("keep me\n", encoding="utf-8")
    with pytest.raises(SegmentError):
        export_csv(people, "ctiy = 1", SETTINGS, "email", target)
    assert target.read_text(encoding="utf-8") == "keep me\n"
    assert [path.name for path in folder.iterdir()] == ["out.csv"]


def test_an_export_failing_midway_leaves_the_old_file_and_no_temporary(
    people: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    target = folder / "out.csv"
    target.write_text("keep me\n", encoding="utf-8")
    cells = audience_query._csv_cells
    written: list[object] = []

    def fail_on_second_row(record: dict[str, Any]) -> Iterator[str]:
        written.append(record)
        if len(written) == 2:
            raise OSError(28, "No space left on device")
        return cells(record)

    monkeypatch.setattr(audience_query, "_csv_cells", fail_on_second_row)
    with pytest.raises(OSError, match="No space"):
        export_csv(people, "", SETTINGS, "email", target)
    assert target.read_text(encoding="utf-8") == "keep me\n"
    assert [path.name for path in folder.iterdir()] == ["out.csv"]


def test_a_value_is_bound_not_spliced_into_the_sql(people: Database) -> None:
    _add(people, "odd@example.com", city="x' OR 1=1 --")
    assert count(people, 'city = "x\' OR 1=1 --"', SETTINGS) == 1
    assert count(people, "city = \"x' OR '1'='1\"", SETTINGS) == 0


def test_export_reports_progress_in_rows_up_to_the_total(
    people: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audience_query, "BATCH", 2)
    calls: list[tuple[int, int]] = []
    export_csv(
        people, "", SETTINGS, "email", tmp_path / "out.csv", lambda *call: calls.append(call)
    )
    assert calls == [(0, 3), (2, 3), (3, 3)]
