"""Deciding an A/B test from recorded opens and clicks, once, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from audiences.db import Database
from audiences.models import utcnow
from campaigns import ledger
from campaigns.ab_test import ab_summary, decide, decide_due, render_ab_summary
from campaigns.database import open_campaign_database
from campaigns.events import Event, record_events
from campaigns.models import Campaign, Recipient
from campaigns.settings import campaign_settings_from_mapping
from tests.campaigns.ab_testing.test_ab_split import campaign_row, make_campaign, rows, start
from tests.campaigns.people import add_people

SETTINGS = campaign_settings_from_mapping({})


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = open_campaign_database(database_url)
    yield database
    database.engine.dispose()


def started_test(db: Database, measure: str = "opens") -> int:
    """An A/B campaign of 100 contacts, started, with its 20 test messages sent."""
    add_people(db, 100)
    campaign_id = make_campaign(db)
    with db.engine.begin() as connection:
        connection.execute(
            update(Campaign).where(Campaign.id == campaign_id).values(ab_measure=measure)
        )
    start(db, campaign_id)
    now = utcnow()
    with db.engine.begin() as connection:
        for recipient_id in ledger.claim(connection, campaign_id, "w", 1000, 60, now):
            ledger.record_outcome(connection, ledger.Outcome(recipient_id, "sent"), now)
    return campaign_id


def group(db: Database, campaign_id: int, variant: str) -> list[int]:
    return [row_id for row_id, _state, v in rows(db, campaign_id) if v == variant]


def record(db: Database, campaign_id: int, kind: str, recipient_ids: list[int]) -> None:
    with db.engine.begin() as connection:
        record_events(
            connection,
            [
                Event(campaign_id, recipient_id, None, kind, utcnow(), source="test")
                for recipient_id in recipient_ids
            ],
        )


def after_decide_time(db: Database, campaign_id: int) -> datetime:
    decide_at = campaign_row(db, campaign_id).ab_decide_at
    assert decide_at is not None
    return decide_at + timedelta(seconds=1)


def test_more_opens_for_b_make_b_win_and_queue_the_held_rows_with_b(db: Database) -> None:
    campaign_id = started_test(db)
    b_rows = group(db, campaign_id, "b")
    record(db, campaign_id, "open", b_rows[:4])
    record(db, campaign_id, "open", b_rows[:4])  # opened twice: counts once
    record(db, campaign_id, "open", group(db, campaign_id, "a")[:1])

    assert decide_due(db, SETTINGS, after_decide_time(db, campaign_id)) == 1

    assert campaign_row(db, campaign_id).ab_winner == "b"
    assert Counter((state, variant) for _id, state, variant in rows(db, campaign_id)) == {
        ("sent", "a"): 10,
        ("sent", "b"): 10,
        ("queued", "b"): 80,
    }


def test_nothing_is_decided_before_the_decide_time(db: Database) -> None:
    campaign_id = started_test(db)
    decide_at = campaign_row(db, campaign_id).ab_decide_at
    assert decide_at is not None

    assert decide_due(db, SETTINGS, decide_at - timedelta(seconds=1)) == 0

    assert campaign_row(db, campaign_id).ab_winner is None
    assert Counter(state for _id, state, _v in rows(db, campaign_id))["held"] == 80


def test_deciding_twice_decides_once(db: Database) -> None:
    campaign_id = started_test(db)
    record(db, campaign_id, "open", group(db, campaign_id, "b")[:2])
    moment = after_decide_time(db, campaign_id)

    assert decide_due(db, SETTINGS, moment) == 1
    assert decide_due(db, SETTINGS, moment) == 0
    with db.engine.begin() as connection:
        assert decide(connection, campaign_id, moment, early=True) is None


def test_two_schedulers_deciding_at_once_decide_once(db: Database) -> None:
    campaign_id = started_test(db)
    record(db, campaign_id, "open", group(db, campaign_id, "b")[:2])
    moment = after_decide_time(db, campaign_id)
    barrier = threading.Barrier(2)
    results: list[int] = []

    def scheduler() -> None:
        barrier.wait()
        results.append(decide_due(db, SETTINGS, moment))

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [0, 1]
    assert Counter(v for _id, _state, v in rows(db, campaign_id)) == {"a": 10, "b": 90}


def test_a_tie_goes_to_subject_a(db: Database) -> None:
    campaign_id = started_test(db)
    record(db, campaign_id, "open", group(db, campaign_id, "a")[:3])
    record(db, campaign_id, "open", group(db, campaign_id, "b")[:3])

    assert decide_due(db, SETTINGS, after_decide_time(db, campaign_id)) == 1

    assert campaign_row(db, campaign_id).ab_winner == "a"
    assert Counter(v for _id, _state, v in rows(db, campaign_id)) == {"a": 90, "b": 10}


def test_measured_by_clicks_the_opens_do_not_count(db: Database) -> None:
    campaign_id = started_test(db, measure="clicks")
    record(db, campaign_id, "open", group(db, campaign_id, "b")[:8])
    record(db, campaign_id, "click", group(db, campaign_id, "a")[:2])
    record(db, campaign_id, "click", group(db, campaign_id, "b")[:1])

    assert decide_due(db, SETTINGS, after_decide_time(db, campaign_id)) == 1

    assert campaign_row(db, campaign_id).ab_winner == "a"


def test_the_rate_is_per_message_sent(db: Database) -> None:
    add_people(db, 100)
    campaign_id = make_campaign(db)
    start(db, campaign_id)
    a_rows, b_rows = group(db, campaign_id, "a"), group(db, campaign_id, "b")
    now = utcnow()
    with db.engine.begin() as connection:
        # All of A sent, only 2 of B: 2 opens of 10 (20%) lose to 1 open of 2 (50%).
        for recipient_id in a_rows + b_rows[:2]:
            connection.execute(
                update(Recipient).where(Recipient.id == recipient_id).values(state="sent")
            )
    record(db, campaign_id, "open", a_rows[:2] + b_rows[:1])

    with db.engine.begin() as connection:
        decision = decide(connection, campaign_id, now, early=True)

    assert decision is not None
    assert decision.winner == "b"
    assert (decision.arms["a"].sent, decision.arms["b"].sent) == (10, 2)


def test_a_paused_or_undecided_campaign_waits_for_the_scheduler(db: Database) -> None:
    campaign_id = started_test(db)
    with db.engine.begin() as connection:
        connection.execute(
            update(Campaign).where(Campaign.id == campaign_id).values(state="paused")
        )

    assert decide_due(db, SETTINGS, after_decide_time(db, campaign_id)) == 0
    with db.engine.begin() as connection:
        assert decide(connection, campaign_id, utcnow(), early=True) is not None


def test_the_summary_reports_each_group_and_after_the_decision_the_rest(db: Database) -> None:
    campaign_id = started_test(db)
    b_rows = group(db, campaign_id, "b")
    record(db, campaign_id, "open", b_rows[:5])
    record(db, campaign_id, "click", b_rows[:2])
    record(db, campaign_id, "open", group(db, campaign_id, "a")[:1])
    with db.engine.connect() as connection:
        before = ab_summary(connection, campaign_row(db, campaign_id))
    decide_due(db, SETTINGS, after_decide_time(db, campaign_id))
    now = utcnow()
    with db.engine.begin() as connection:
        released = ledger.claim(connection, campaign_id, "w", 1000, 60, now)
        for recipient_id in released:
            ledger.record_outcome(connection, ledger.Outcome(recipient_id, "sent"), now)
    record(db, campaign_id, "open", released[:8])

    with db.engine.connect() as connection:
        after = ab_summary(connection, campaign_row(db, campaign_id))

    assert before is not None
    assert after is not None
    assert (before["status"], before["held"], before["rollout"]) == ("testing", 80, None)
    assert before["variants"]["b"] == {
        "subject": "Subject B",
        "recipients": 10,
        "sent": 10,
        "unique_opens": 5,
        "unique_clicks": 2,
        "open_rate": 0.5,
        "click_rate": 0.2,
    }
    assert before["variants"]["a"]["subject"] == "Subject A"
    assert before["variants"]["a"]["open_rate"] == 0.1
    # The test groups keep their own figures once the rest got subject B.
    assert after["variants"] == before["variants"]
    assert (after["status"], after["winner"], after["held"]) == ("decided", "b", 0)
    assert after["rollout"]["recipients"] == after["rollout"]["sent"] == 80
    assert after["rollout"]["unique_opens"] == 8
    assert after["rollout"]["subject"] == "Subject B"
    text = render_ab_summary(after)
    assert "B (winner)" in text
    assert "rest" in text


def test_a_campaign_without_a_test_has_no_summary(db: Database) -> None:
    add_people(db, 3)
    campaign_id = make_campaign(db, subject_b=None)
    with db.engine.connect() as connection:
        assert ab_summary(connection, campaign_row(db, campaign_id)) is None
        assert connection.scalar(select(Campaign.ab_winner)) is None
