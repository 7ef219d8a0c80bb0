"""Importing orders from CSV, on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from audiences import order_import
from audiences.contact_import import ImportFileError, RejectedRow, import_contacts
from audiences.db import Database
from audiences.models import Contact, Order
from audiences.order_import import import_orders
from audiences.settings import AudienceSettings

FIXTURES = Path(__file__).parent.parent / "fixtures" / "audiences"
SETTINGS = AudienceSettings()


def fixture(tmp_path: Path, name: str) -> Path:
    """A copy of a fixture file in tmp_path, so the rejects file lands there too."""
    return Path(shutil.copy(FIXTURES / name, tmp_path / name))


@pytest.fixture
def with_contacts(db: Database, tmp_path: Path) -> Database:
    """The database with the contacts of contacts.csv."""
    import_contacts(db, fixture(tmp_path, "contacts.csv"), SETTINGS)
    return db


def orders(db: Database) -> dict[str, tuple[str, Decimal, str, datetime, str | None]]:
    with db.session() as session:
        rows = session.execute(
            select(Order, Contact.email).join(Contact, Contact.id == Order.contact_id)
        )
        return {
            order.order_id: (email, order.amount, order.currency, order.ordered_at, order.category)
            for order, email in rows
        }


def test_orders_join_their_contacts_and_bad_rows_are_rejected_with_reasons(
    with_contacts: Database, tmp_path: Path
) -> None:
    result = import_orders(with_contacts, fixture(tmp_path, "orders.csv"), SETTINGS)

    assert (result.rows, result.imported, result.rejected) == (9, 4, 5)
    assert result.rejected_rows == [
        RejectedRow(
            5, "email: no contact has the address nobody@example.com; import the contacts first"
        ),
        RejectedRow(6, "amount: '-5000' is negative; an order's amount is zero or more"),
        RejectedRow(7, "amount: '12.345' has more than two decimal places"),
        RejectedRow(
            8,
            "ordered_at: '04/03/2026' is not a date (YYYY-MM-DD) or an ISO date-time "
            "(YYYY-MM-DDTHH:MM:SS, optionally with an offset such as +07:00)",
        ),
        RejectedRow(9, "email: the e-mail address is empty"),
    ]
    assert result.rejects_path == tmp_path / "orders.rejects.csv"
    lines = result.rejects_path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "row,reason,email,order_id,amount,ordered_at,category"
    assert lines[1].endswith(",nobody@example.com,N-1,100000,2026-03-04,books")


def test_amounts_dates_and_time_zones_are_read_as_written(
    with_contacts: Database, tmp_path: Path
) -> None:
    import_orders(with_contacts, fixture(tmp_path, "orders.csv"), SETTINGS)

    stored = orders(with_contacts)
    # A date is midnight in the configured zone (UTC+7); an offset is converted to UTC;
    # a time without one is read in the configured zone; the address's case is ignored.
    an, emily = "an.nguyen@example.com", "emily.smith@example.com"
    assert stored == {
        "A-1": (an, Decimal("1250000"), "VND", datetime(2026, 2, 28, 17), "books"),
        "A-2": (an, Decimal("1250000.50"), "VND", datetime(2026, 3, 2, 3, 30), "music"),
        "E-1": (emily, Decimal("80000"), "VND", datetime(2026, 3, 3, 2), "films"),
    }


def test_the_same_order_id_twice_keeps_the_first_and_reimport_changes_nothing(
    with_contacts: Database, tmp_path: Path
) -> None:
    path = fixture(tmp_path, "orders.csv")
    import_orders(with_contacts, path, SETTINGS)
    first = orders(with_contacts)
    with with_contacts.session() as session:
        an = session.scalars(select(Contact).where(Contact.email == "an.nguyen@example.com")).one()

    result = import_orders(with_contacts, path, SETTINGS)

    assert result.rejected == 5
    # Line 10 repeats order A-1 with another amount: the stored order stays as it was.
    assert orders(with_contacts) == first
    assert first["A-1"][1] == Decimal("1250000")
    with with_contacts.session() as session:
        again = session.scalars(
            select(Contact).where(Contact.email == "an.nguyen@example.com")
        ).one()
    assert (again.orders_count, again.total_spent) == (an.orders_count, an.total_spent)


def test_the_import_recomputes_the_contacts_metrics(
    with_contacts: Database, tmp_path: Path
) -> None:
    import_orders(with_contacts, fixture(tmp_path, "orders.csv"), SETTINGS)

    with with_contacts.session() as session:
        an = session.scalars(select(Contact).where(Contact.email == "an.nguyen@example.com")).one()
        isla = session.scalars(
            select(Contact).where(Contact.email == "isla.jones@example.com")
        ).one()
    assert (an.orders_count, an.total_spent) == (2, Decimal("2500000.50"))
    assert an.first_purchase_at == datetime(2026, 2, 28, 17)
    assert an.last_purchase_at == datetime(2026, 3, 2, 3, 30)
    assert (isla.orders_count, isla.tier, isla.rfm_recency) == (0, None, None)


def test_currency_defaults_to_the_configured_one_and_a_column_can_set_it(
    with_contacts: Database, tmp_path: Path
) -> None:
    path = tmp_path / "currencies.csv"
    path.write_text(
        "email,order_id,amount,ordered_at,currency\n"
        "isla.jones@example.com,I-1,12.50,2026-01-05T10:00:00Z,gbp\n"
        "isla.jones@example.com,I-2,100000,2026-01-06,\n"
        "isla.jones@example.com,I-3,1,2026-01-07,pounds\n"
    )

    result = import_orders(with_contacts, path, AudienceSettings(currency="USD"))

    assert result.rejected_rows == [
        RejectedRow(4, "currency: 'pounds' is not a 3-letter code such as VND")
    ]
    stored = orders(with_contacts)
    assert (stored["I-1"][2], stored["I-1"][3]) == ("GBP", datetime(2026, 1, 5, 10))
    assert stored["I-2"][2] == "USD"
    assert stored["I-2"][4] is None


def test_orders_in_many_batches_are_all_kept(
    with_contacts: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(order_import, "BATCH", 2)

    result = import_orders(with_contacts, fixture(tmp_path, "orders.csv"), SETTINGS)

    assert [rejected.row for rejected in result.rejected_rows] == [5, 6, 7, 8, 9]
    assert set(orders(with_contacts)) == {"A-1", "A-2", "E-1"}


def test_an_orders_file_without_a_required_column_is_not_imported(
    db: Database, tmp_path: Path
) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("email,order,amount\nan@example.com,1,100\n")

    with pytest.raises(ImportFileError, match="lacks the columns order_id, ordered_at"):
        import_orders(db, path, SETTINGS)
