"""Importing contacts from CSV, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from audiences import contact_import
from audiences.contact_import import ImportFileError, RejectedRow, import_contacts
from audiences.db import Database
from audiences.models import ConsentRecord, Contact
from audiences.sendable import sendable
from audiences.settings import AudienceSettings

FIXTURES = Path(__file__).parent.parent / "fixtures" / "audiences"
SETTINGS = AudienceSettings()


def fixture(tmp_path: Path, name: str) -> Path:
    """A copy of a fixture file in tmp_path, so the rejects file lands there too."""
    return Path(shutil.copy(FIXTURES / name, tmp_path / name))


def contacts(db: Database) -> dict[str, Contact]:
    with db.session() as session:
        return {contact.email: contact for contact in session.scalars(select(Contact))}


def consent_records(db: Database) -> list[tuple[str, str, str]]:
    with db.session() as session:
        rows = session.execute(
            select(Contact.email, ConsentRecord.status, ConsentRecord.source)
            .join(ConsentRecord.contact)
            .order_by(ConsentRecord.id)
        )
        return [(email, status, source) for email, status, source in rows]


def sendable_emails(db: Database) -> set[str]:
    with db.session() as session:
        return set(session.scalars(select(Contact.email).where(sendable("email"))))


def test_good_rows_are_kept_and_each_bad_row_is_rejected_with_its_line_and_reason(
    db: Database, tmp_path: Path
) -> None:
    path = fixture(tmp_path, "contacts.csv")

    result = import_contacts(db, path, SETTINGS)

    assert (result.rows, result.imported, result.rejected) == (10, 5, 5)
    assert result.rejected_rows == [
        RejectedRow(3, "email: An email address must have an @-sign."),
        RejectedRow(4, "birthday: '12/04/1990' is not a date in the form YYYY-MM-DD"),
        RejectedRow(
            5, "timezone: 'Asia/Hanoi' is not an IANA time zone name (e.g. Asia/Ho_Chi_Minh)"
        ),
        RejectedRow(
            6,
            "consent: 'maybe' is not one of yes, no, true, false, 1, 0 "
            "(leave it empty for no consent)",
        ),
        RejectedRow(
            11,
            "the row has 10 fields but the header has 11; check the quoting and the separators",
        ),
    ]
    assert set(contacts(db)) == {
        "an.nguyen@example.com",
        "emily.smith@example.com",
        "george.brown@example.com",
        "isla.jones@example.com",
    }


def test_the_rejects_file_has_row_reason_and_the_original_cells(
    db: Database, tmp_path: Path
) -> None:
    path = fixture(tmp_path, "contacts.csv")

    result = import_contacts(db, path, SETTINGS)

    assert result.rejects_path == tmp_path / "contacts.rejects.csv"
    with result.rejects_path.open(encoding="utf-8", newline="") as file:
        rows = list(csv.reader(file))
    assert rows[0] == [
        "row",
        "reason",
        "email",
        "first_name",
        "last_name",
        "city",
        "country",
        "birthday",
        "timezone",
        "tags",
        "consent",
        "favourite_genre",
        "loyalty_points",
    ]
    assert [row[0] for row in rows[1:]] == ["3", "4", "5", "6", "11"]
    assert rows[2][1].startswith("birthday: ")
    assert rows[2][2:] == [
        "binh.tran@example.com", "Bình", "Trần", "Hue", "VN", "12/04/1990", "", "", "", "", ""
    ]  # fmt: skip
    # A row with a missing field is written as read: ten cells under eleven names.
    assert rows[5][2:] == ["hoa.vu@example.com", "Hoa", "Vũ", "Can Tho", "VN", *[""] * 5]


def test_a_quoted_cell_over_two_lines_is_one_row_numbered_by_its_first_line(
    db: Database, tmp_path: Path
) -> None:
    import_contacts(db, fixture(tmp_path, "contacts.csv"), SETTINGS)

    assert contacts(db)["george.brown@example.com"].city == "Manchester\n(Salford)"


def test_addresses_that_differ_only_in_case_are_one_contact_and_the_later_row_wins(
    db: Database, tmp_path: Path
) -> None:
    import_contacts(db, fixture(tmp_path, "contacts.csv"), SETTINGS)

    an = contacts(db)["an.nguyen@example.com"]
    # Line 10 repeats line 2 in capitals: its city and attribute win, its empty cells
    # keep line 2's values, and the tags of both rows add up.
    assert an.city == "Ho Chi Minh City"
    assert (an.first_name, an.last_name, an.country) == ("An", "Nguyễn", "VN")
    assert an.attrs == {"favourite_genre": "bolero", "loyalty_points": "120"}
    assert sorted(tag.name for tag in an.tags) == ["newsletter", "student", "vip"]


def test_duplicates_in_different_batches_collapse_the_same_way(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(contact_import, "BATCH", 2)

    result = import_contacts(db, fixture(tmp_path, "contacts.csv"), SETTINGS)

    assert (result.imported, result.rejected) == (5, 5)
    an = contacts(db)["an.nguyen@example.com"]
    assert (an.city, an.first_name) == ("Ho Chi Minh City", "An")
    assert sorted(tag.name for tag in an.tags) == ["newsletter", "student", "vip"]
    assert consent_records(db) == [
        ("an.nguyen@example.com", "granted", "import:contacts.csv"),
        ("emily.smith@example.com", "withdrawn", "import:contacts.csv"),
    ]


def test_fields_are_stored_checked_and_normalised(db: Database, tmp_path: Path) -> None:
    import_contacts(db, fixture(tmp_path, "contacts.csv"), SETTINGS)

    emily = contacts(db)["emily.smith@example.com"]
    assert (emily.first_name, emily.city, emily.country) == ("Emily", "London", "GB")
    assert emily.birthday is not None and emily.birthday.isoformat() == "1985-02-28"
    assert emily.timezone == "Europe/London"
    assert emily.email_hash and len(emily.email_hash) == 64
    assert emily.created_at is not None and emily.updated_at is not None


def test_other_columns_become_attributes_kept_as_text_exactly_as_written(
    db: Database, tmp_path: Path
) -> None:
    path = tmp_path / "attrs.csv"
    path.write_text("email,Loyalty Points,store\nan@example.com,0042,  Hàng Bài \n")

    import_contacts(db, path, SETTINGS)

    assert contacts(db)["an@example.com"].attrs == {"Loyalty Points": "0042", "store": "Hàng Bài"}


def test_reimport_updates_contacts_merges_attributes_and_adds_tags_without_duplicates(
    db: Database, tmp_path: Path
) -> None:
    import_contacts(db, fixture(tmp_path, "contacts.csv"), SETTINGS)
    before = contacts(db)

    result = import_contacts(db, fixture(tmp_path, "contacts_update.csv"), SETTINGS)

    assert (result.imported, result.rejected, result.rejects_path) == (3, 0, None)
    after = contacts(db)
    assert len(after) == 5
    an = after["an.nguyen@example.com"]
    assert an.id == before["an.nguyen@example.com"].id
    assert (an.first_name, an.city) == ("An", "Hue")
    assert an.attrs == {"favourite_genre": "bolero", "loyalty_points": "120", "store": "Hàng Bài"}
    assert sorted(tag.name for tag in an.tags) == ["lapsed", "newsletter", "student", "vip"]
    assert an.created_at == before["an.nguyen@example.com"].created_at
    assert an.updated_at > before["an.nguyen@example.com"].updated_at
    assert after["isla.jones@example.com"].city == "Leeds"
    assert after["new.person@example.com"].attrs == {"store": "online"}


def test_importing_the_same_file_twice_changes_no_contact_tag_or_consent_count(
    db: Database, tmp_path: Path
) -> None:
    path = fixture(tmp_path, "contacts.csv")
    import_contacts(db, path, SETTINGS)
    records = consent_records(db)

    import_contacts(db, path, SETTINGS)

    assert len(contacts(db)) == 4
    assert consent_records(db) == records
    assert len(contacts(db)["an.nguyen@example.com"].tags) == 3


def test_consent_yes_grants_no_withdraws_and_absent_records_nothing(
    db: Database, tmp_path: Path
) -> None:
    import_contacts(db, fixture(tmp_path, "contacts.csv"), SETTINGS)

    assert consent_records(db) == [
        ("an.nguyen@example.com", "granted", "import:contacts.csv"),
        ("emily.smith@example.com", "withdrawn", "import:contacts.csv"),
    ]
    stored = contacts(db)
    assert stored["an.nguyen@example.com"].email_consent == "granted"
    assert stored["emily.smith@example.com"].email_consent == "withdrawn"
    assert stored["george.brown@example.com"].email_consent is None
    assert sendable_emails(db) == {"an.nguyen@example.com"}


def test_a_later_import_can_withdraw_or_grant_consent(db: Database, tmp_path: Path) -> None:
    import_contacts(db, fixture(tmp_path, "contacts.csv"), SETTINGS)

    import_contacts(db, fixture(tmp_path, "contacts_update.csv"), SETTINGS)

    assert consent_records(db)[2:] == [
        ("an.nguyen@example.com", "withdrawn", "import:contacts_update.csv"),
        ("isla.jones@example.com", "granted", "import:contacts_update.csv"),
    ]
    assert sendable_emails(db) == {"isla.jones@example.com"}


@pytest.mark.parametrize(
    ("written", "status"),
    [("yes", "granted"), ("TRUE", "granted"), ("1", "granted"), ("No", "withdrawn"),
     ("false", "withdrawn"), ("0", "withdrawn")],
)  # fmt: skip
def test_every_consent_spelling_is_understood(
    db: Database, tmp_path: Path, written: str, status: str
) -> None:
    path = tmp_path / "consent.csv"
    path.write_text(f"email,consent\nan@example.com,{written}\n")

    import_contacts(db, path, SETTINGS)

    assert contacts(db)["an@example.com"].email_consent == status


def test_a_utf8_file_with_a_bom_and_semicolons_is_read(db: Database, tmp_path: Path) -> None:
    result = import_contacts(db, fixture(tmp_path, "contacts_bom_semicolons.csv"), SETTINGS)

    assert (result.imported, result.rejected) == (1, 0)
    an = contacts(db)["an@example.com"]
    assert (an.first_name, an.city) == ("An", "Hanoi")
    assert sorted(tag.name for tag in an.tags) == ["new", "vip"]


def test_a_value_longer_than_its_column_is_rejected_naming_the_field(
    db: Database, tmp_path: Path
) -> None:
    path = tmp_path / "long.csv"
    path.write_text(f"email,city\nan@example.com,{'x' * 201}\nbinh@example.com,Hue\n")

    result = import_contacts(db, path, SETTINGS)

    assert result.rejected_rows == [RejectedRow(2, "city: longer than 200 characters")]
    assert set(contacts(db)) == {"binh@example.com"}


def test_progress_is_reported_in_bytes_up_to_the_file_size(db: Database, tmp_path: Path) -> None:
    path = fixture(tmp_path, "contacts.csv")
    calls: list[tuple[int, int]] = []

    import_contacts(db, path, SETTINGS, progress=lambda done, total: calls.append((done, total)))

    size = path.stat().st_size
    assert calls[-1] == (size, size)
    assert all(total == size and 0 <= done <= size for done, total in calls)


def test_a_clean_import_removes_the_rejects_file_of_an_earlier_one(
    db: Database, tmp_path: Path
) -> None:
    path = fixture(tmp_path, "contacts.csv")
    assert import_contacts(db, path, SETTINGS).rejects_path is not None
    shutil.copy(FIXTURES / "contacts_update.csv", path)

    result = import_contacts(db, path, SETTINGS)

    assert result.rejects_path is None
    assert not (tmp_path / "contacts.rejects.csv").exists()


def test_only_the_first_thousand_rejects_are_kept_in_memory_but_all_are_written(
    db: Database, tmp_path: Path
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("email\n" + "not-an-address\n" * 1005)

    result = import_contacts(db, path, SETTINGS)

    assert (result.rows, result.rejected, len(result.rejected_rows)) == (1005, 1005, 1000)
    assert result.rejects_path is not None
    assert len(result.rejects_path.read_text().splitlines()) == 1006


def _count(db: Database) -> Any:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Contact))


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("missing.csv", "cannot read"),
        ("contacts_no_email_column.csv", "has no email column (found: e-mail address, "),
        ("contacts_latin1.csv", "is not UTF-8 text: byte 0xEC at offset 64 (line 3)"),
    ],
)
def test_a_file_that_cannot_be_read_raises_one_clear_error_and_imports_nothing(
    db: Database, tmp_path: Path, name: str, message: str
) -> None:
    path = tmp_path / name
    if (FIXTURES / name).exists():
        shutil.copy(FIXTURES / name, path)

    with pytest.raises(ImportFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        import_contacts(db, path, SETTINGS)

    assert _count(db) == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "has no header"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "is not UTF-8 text"),
        (b"email\nan@example.com\x00\n", "contains a NUL byte at offset 20 \\(line 2\\)"),
        (b"email,email\nan@example.com,b@example.com\n", "columns 'email' and 'email' both"),
    ],
)
def test_an_empty_binary_or_ambiguous_file_is_not_imported(
    db: Database, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "odd.csv"
    path.write_bytes(content)

    with pytest.raises(ImportFileError, match=message):
        import_contacts(db, path, SETTINGS)


def test_a_line_the_csv_reader_cannot_get_past_stops_the_import_naming_it(
    db: Database, tmp_path: Path
) -> None:
    path = tmp_path / "open_quote.csv"
    # A quote left open swallows the rest of the file into one huge field.
    path.write_text('email,city\nan@example.com,Hanoi\nbinh@example.com,"Hue\n' + "x" * 200_000)

    with pytest.raises(ImportFileError, match=r"line 3: not readable as CSV \(field larger"):
        import_contacts(db, path, SETTINGS)
