"""Last-touch attribution: the window's edges, the most recent message, and answered orders."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from audiences.db import Database
from campaigns.events import Event
from campaigns.models import Campaign
from campaigns.responses.attribution import attribute
from tests.campaigns.people import add_people
from tests.campaigns.responses.ledger_builder import (
    T0,
    add_campaign,
    add_events,
    add_order,
    add_recipient,
    contact_ids,
)

DAY = timedelta(days=1)


def attributed(db: Database, campaign_id: int, default_days: int = 14) -> list[str]:
    """The order ids the campaign earned, sorted."""
    with Session(db.engine) as session:
        campaign = session.get_one(Campaign, campaign_id)
        result = attribute(session.connection(), campaign, default_days)
    return sorted(order.order_id for order in result.orders)


def test_an_order_on_day_14_counts_and_one_on_day_15_does_not(db: Database) -> None:
    early, late, before, edge = contact_ids(db, add_people(db, 4))
    jazz = add_campaign(db, "jazz")
    for contact in (early, late, before, edge):
        add_recipient(db, jazz, contact, sent_at=T0)
    add_order(db, "DAY-14", early, "100", T0 + 14 * DAY)
    add_order(db, "DAY-15", late, "100", T0 + 15 * DAY)
    add_order(db, "BEFORE", before, "100", T0 - timedelta(minutes=1))
    add_order(db, "JUST-AFTER-14", edge, "100", T0 + 14 * DAY + timedelta(seconds=1))
    add_order(db, "SAME-MINUTE", edge, "100", T0)

    assert attributed(db, jazz) == ["DAY-14", "SAME-MINUTE"]


def test_the_campaigns_own_window_overrides_the_default(db: Database) -> None:
    (contact,) = contact_ids(db, add_people(db, 1))
    jazz = add_campaign(db, "jazz", attribution_days=30)
    add_recipient(db, jazz, contact, sent_at=T0)
    add_order(db, "DAY-20", contact, "100", T0 + 20 * DAY)
    add_order(db, "DAY-31", contact, "100", T0 + 31 * DAY)

    assert attributed(db, jazz) == ["DAY-20"]
    assert attributed(db, jazz, default_days=7) == ["DAY-20"]


def test_the_default_window_comes_from_the_caller(db: Database) -> None:
    (contact,) = contact_ids(db, add_people(db, 1))
    jazz = add_campaign(db, "jazz")
    add_recipient(db, jazz, contact, sent_at=T0)
    add_order(db, "DAY-5", contact, "100", T0 + 5 * DAY)

    assert attributed(db, jazz, default_days=4) == []
    assert attributed(db, jazz, default_days=5) == ["DAY-5"]


def test_an_order_counts_for_the_most_recent_campaign_sent_before_it(db: Database) -> None:
    (contact,) = contact_ids(db, add_people(db, 1))
    jazz = add_campaign(db, "jazz")
    rock = add_campaign(db, "rock", started_at=T0 + 5 * DAY)
    add_recipient(db, jazz, contact, sent_at=T0)
    add_recipient(db, rock, contact, sent_at=T0 + 5 * DAY)
    add_order(db, "BETWEEN", contact, "100", T0 + 3 * DAY)
    add_order(db, "AFTER-BOTH", contact, "100", T0 + 7 * DAY)

    assert attributed(db, jazz) == ["BETWEEN"]
    assert attributed(db, rock) == ["AFTER-BOTH"]


def test_a_later_message_whose_window_has_closed_leaves_the_order_to_the_earlier_one(
    db: Database,
) -> None:
    (contact,) = contact_ids(db, add_people(db, 1))
    jazz = add_campaign(db, "jazz")
    flash = add_campaign(db, "flash", attribution_days=1, started_at=T0 + 2 * DAY)
    add_recipient(db, jazz, contact, sent_at=T0)
    add_recipient(db, flash, contact, sent_at=T0 + 2 * DAY)
    add_order(db, "DAY-6", contact, "100", T0 + 6 * DAY)

    assert attributed(db, jazz) == ["DAY-6"]
    assert attributed(db, flash) == []


def test_messages_not_sent_earn_nothing(db: Database) -> None:
    bounced, queued = contact_ids(db, add_people(db, 2))
    jazz = add_campaign(db, "jazz")
    add_recipient(db, jazz, bounced, state="bounced", sent_at=T0, detail="5.1.1 DSN")
    add_recipient(db, jazz, queued, state="queued")
    add_order(db, "B", bounced, "100", T0 + DAY)
    add_order(db, "Q", queued, "100", T0 + DAY)

    assert attributed(db, jazz) == []


def test_an_order_that_is_a_responses_reference_is_marked_answered(db: Database) -> None:
    first, second = contact_ids(db, add_people(db, 2))
    jazz = add_campaign(db, "jazz")
    row = add_recipient(db, jazz, first, sent_at=T0)
    add_recipient(db, jazz, second, sent_at=T0)
    add_order(db, "ORD-1", first, "100", T0 + DAY)
    add_order(db, "ORD-2", second, "100", T0 + DAY)
    add_events(
        db,
        [
            Event(jazz, row, first, "response", T0 + DAY, detail="ORD-1", dedup_key="r:1"),
            # A response of another contact naming ORD-2 doesn't make ORD-2 answered.
            Event(jazz, row, first, "response", T0 + DAY, detail="ORD-2", dedup_key="r:2"),
        ],
    )

    with Session(db.engine) as session:
        result = attribute(session.connection(), session.get_one(Campaign, jazz), 14)

    assert sorted((order.order_id, order.answered) for order in result.orders) == [
        ("ORD-1", True),
        ("ORD-2", False),
    ]


def test_a_customer_is_won_when_their_first_order_ever_is_one_the_campaign_earned(
    db: Database,
) -> None:
    new, regular, later_touch = contact_ids(db, add_people(db, 3))
    jazz = add_campaign(db, "jazz")
    rock = add_campaign(db, "rock", started_at=T0 + DAY)
    new_row = add_recipient(db, jazz, new, sent_at=T0)
    add_recipient(db, jazz, regular, sent_at=T0)
    add_recipient(db, jazz, later_touch, sent_at=T0)
    add_recipient(db, rock, later_touch, sent_at=T0 + DAY)
    add_order(db, "NEW-1", new, "100", T0 + 2 * DAY)
    add_order(db, "NEW-2", new, "100", T0 + 3 * DAY)
    add_order(db, "OLD", regular, "100", T0 - 40 * DAY)
    add_order(db, "REGULAR", regular, "100", T0 + 2 * DAY)
    add_order(db, "ROCKS", later_touch, "100", T0 + 2 * DAY)

    with Session(db.engine) as session:
        result = attribute(session.connection(), session.get_one(Campaign, jazz), 14)

    assert sorted(order.order_id for order in result.orders) == ["NEW-1", "NEW-2", "REGULAR"]
    assert result.first_orders == {new_row}
