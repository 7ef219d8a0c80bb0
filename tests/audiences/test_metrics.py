"""Order metrics, RFM scores and the customer pyramid, on SQLite and PostgreSQL.

The pyramid fixtures: contacts c01..c20 each have one order in June 2026 and k - 1
small old orders (1,000 each, in January 2024), where k is the contact's number. The
June order of contact k is worth ((7k mod 20) + 1) x 100,000, a shuffle of 1..20, so
spend, order count and recency rank the contacts in three different orders. A 21st
contact has no orders.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from audiences.contact_import import import_contacts
from audiences.db import Database
from audiences.metrics import recompute_metrics, tier_cuts
from audiences.models import Contact, Order
from audiences.order_import import import_orders
from audiences.settings import AudienceSettings, TierShares

FIXTURES = Path(__file__).parent.parent / "fixtures" / "audiences"
SETTINGS = AudienceSettings()
NOW = datetime(2026, 7, 1)


def window_rank(k: int) -> int:
    """The contact's place by June spend, 1 = spent the most."""
    return 21 - ((7 * k) % 20 + 1)


@pytest.fixture
def pyramid(db: Database, tmp_path: Path) -> dict[int, Contact]:
    """The 20 contacts of the pyramid fixtures, by number, metrics computed at NOW."""
    for name in ("pyramid_contacts.csv", "pyramid_orders.csv"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    import_contacts(db, tmp_path / "pyramid_contacts.csv", SETTINGS)
    import_orders(db, tmp_path / "pyramid_orders.csv", SETTINGS)
    recompute_metrics(db, SETTINGS, now=NOW)
    return {
        int(contact.email[1:3]): contact
        for contact in _contacts(db)
        if contact.email[1:3].isdigit()
    }


def _contacts(db: Database) -> list[Contact]:
    with db.session() as session:
        return list(session.scalars(select(Contact).order_by(Contact.email)))


def test_the_pyramid_is_5_15_30_50_percent_of_the_contacts_with_orders(
    pyramid: dict[int, Contact],
) -> None:
    tiers = [contact.tier for contact in pyramid.values()]

    assert [tiers.count(tier) for tier in ("Platinum", "Gold", "Iron", "Lead")] == [1, 3, 6, 10]


def test_tiers_follow_the_spend_in_the_window_from_the_top(pyramid: dict[int, Contact]) -> None:
    for k, contact in pyramid.items():
        rank = window_rank(k)
        expected = (
            "Platinum" if rank == 1 else "Gold" if rank <= 4 else "Iron" if rank <= 10 else "Lead"
        )
        assert contact.tier == expected, (k, rank)


def test_order_figures_are_counted_summed_and_dated(pyramid: dict[int, Contact]) -> None:
    c03 = pyramid[3]
    # One June order of 200,000 (7 x 3 mod 20 + 1 = 2) and two old ones of 1,000.
    assert (c03.orders_count, c03.total_spent, c03.spend_window) == (
        3,
        Decimal("202000.00"),
        Decimal("200000.00"),
    )
    # Dates are read in Asia/Ho_Chi_Minh (UTC+7) and stored in UTC.
    assert c03.first_purchase_at == datetime(2024, 1, 1, 17)
    assert c03.last_purchase_at == datetime(2026, 6, 17, 17)


def test_rfm_scores_are_quintiles_with_5_the_best(pyramid: dict[int, Contact]) -> None:
    for k, contact in pyramid.items():
        # Contact 1 bought last (June 20), contact 20 first (June 1); contact k has k orders.
        assert contact.rfm_recency == 5 - (k - 1) // 4, k
        assert contact.rfm_frequency == (k - 1) // 4 + 1, k
        # Total spend ranks like the June order: the old orders add at most 19,000.
        assert contact.rfm_monetary == 5 - (window_rank(k) - 1) // 4, k


def test_a_contact_without_orders_has_no_tier_no_rfm_and_zeros(
    db: Database, pyramid: dict[int, Contact]
) -> None:
    none = next(contact for contact in _contacts(db) if contact.email == "no.orders@example.com")

    assert (none.orders_count, none.total_spent, none.spend_window) == (0, Decimal(0), Decimal(0))
    assert (none.first_purchase_at, none.last_purchase_at) == (None, None)
    assert (none.rfm_recency, none.rfm_frequency, none.rfm_monetary, none.tier) == (
        None,
        None,
        None,
        None,
    )


def test_orders_only_before_the_window_make_a_contact_lead(
    db: Database, pyramid: dict[int, Contact]
) -> None:
    # A year later, every June order is out of the window: no one spent anything in it.
    recompute_metrics(db, SETTINGS, now=datetime(2027, 7, 2))

    contacts = _contacts(db)
    assert {contact.tier for contact in contacts if contact.orders_count} == {"Lead"}
    assert {contact.spend_window for contact in contacts} == {Decimal(0)}


def test_equal_spends_at_a_cut_go_to_the_higher_tier(db: Database) -> None:
    with db.session() as session:
        for number, amount in enumerate((500, 500, 100, 100, 100, 50, 50, 50, 50, 50, 10), 1):
            contact = Contact(email=f"t{number}@example.com", email_hash=f"{number}")
            session.add(contact)
            session.flush()
            session.add(
                Order(
                    order_id=f"T-{number}",
                    contact_id=contact.id,
                    amount=Decimal(amount),
                    currency="VND",
                    ordered_at=datetime(2026, 6, 1),
                )
            )
        session.commit()
    shares = TierShares(platinum=0.1, gold=0.2, iron=0.3)

    recompute_metrics(db, AudienceSettings(tiers=shares), now=NOW)

    # 11 customers: cuts at ranks 1, 3 and 6. Both 500s tie at rank 1, the three 100s at 3.
    assert [contact.tier for contact in sorted(_contacts(db), key=lambda c: c.id)] == [
        "Platinum", "Platinum", "Gold", "Gold", "Gold", "Iron", "Iron", "Iron", "Iron",
        "Iron", "Lead",
    ]  # fmt: skip


def test_metrics_of_a_contact_whose_orders_are_gone_are_cleared(
    db: Database, pyramid: dict[int, Contact]
) -> None:
    with db.session() as session:
        session.query(Order).filter(Order.contact_id == pyramid[20].id).delete()
        session.commit()

    recompute_metrics(db, SETTINGS, now=NOW)

    c20 = next(contact for contact in _contacts(db) if contact.email == "c20@example.com")
    assert (c20.orders_count, c20.tier, c20.rfm_monetary, c20.last_purchase_at) == (
        0,
        None,
        None,
        None,
    )


def test_recomputing_leaves_updated_at_alone(db: Database, pyramid: dict[int, Contact]) -> None:
    recompute_metrics(db, SETTINGS, now=datetime(2026, 8, 1))

    after = {contact.id: contact.updated_at for contact in _contacts(db)}
    assert all(after[contact.id] == contact.updated_at for contact in pyramid.values())


@pytest.mark.parametrize(
    ("customers", "cuts"),
    [(20, (1, 4, 10)), (0, (0, 0, 0)), (3, (0, 0, 1)), (1000, (50, 200, 500))],
)
def test_tier_cuts_round_each_share_down(customers: int, cuts: tuple[int, int, int]) -> None:
    assert tier_cuts(customers, TierShares()) == cuts
