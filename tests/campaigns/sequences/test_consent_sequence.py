"""A welcome series on confirmed consent, on SQLite and PostgreSQL, sent to a real SMTP peer.

The timeline runs in 2025 (every due time is in the past, so the sending loop,
which claims rows due by the real clock, sends what the runner queued).
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from sqlalchemy import select

from audiences.consent import record_consent
from audiences.db import Database
from audiences.models import Contact
from campaigns.database import open_campaign_database
from campaigns.models import Recipient
from campaigns.sequences.runner import run_due_sequences, run_sequences
from campaigns.sequences.sequence_store import get_sequence, set_sequence_state
from campaigns.unsubscribe import unsubscribe_recipient
from tests.campaigns.conftest import Hookline
from tests.campaigns.people import add_people
from tests.campaigns.sequences.timeline import (
    add_contact,
    campaign_state,
    confirm,
    confirm_many,
    deliveries,
    ledger_rows,
    make_sequence,
    send,
)
from tests.campaigns.smtp_peer import SmtpPeer

# 2025-03-01 09:00 in Asia/Ho_Chi_Minh (UTC+7), the config's default zone.
CREATED = datetime(2025, 2, 28, 2, 0)
DAY0 = datetime(2025, 3, 1, 2, 0)
WELCOME = [
    "0:welcome-1.html.j2",
    "3:welcome-2.html.j2",
    "7:welcome-3.html.j2",
]


def _welcome(hookline: Hookline, db: Database, **options: object) -> None:
    make_sequence(hookline, db, "welcome", "consent", WELCOME, created_at=CREATED, **options)


def test_a_contact_confirming_after_creation_gets_each_step_once_on_its_day(
    hookline: Hookline, db: Database, peer: SmtpPeer
) -> None:
    settings = hookline.settings()
    _welcome(hookline, db)
    add_contact(db, "new@example.com", consent=None, timezone="Asia/Ho_Chi_Minh")
    add_contact(db, "paris@example.com", consent=None, timezone="Europe/Paris")
    add_contact(db, "old@example.com", consent=None)
    add_contact(db, "unconfirmed@example.com", consent=None)
    confirm(db, "old@example.com", CREATED - timedelta(days=30))
    confirm(db, "new@example.com", DAY0)
    confirm(db, "paris@example.com", DAY0 + timedelta(hours=1))
    with db.session() as session, session.begin():
        contact = session.scalars(
            select(Contact).where(Contact.email == "unconfirmed@example.com")
        ).one()
        # Granted, but never confirmed by the double opt-in link.
        record_consent(session, contact, "email", "granted", "import", recorded_at=DAY0)

    # Day 0: step 1 at once, for those who confirmed by now.
    assert run_due_sequences(db, settings, DAY0 + timedelta(minutes=5)) == 1
    assert run_due_sequences(db, settings, DAY0 + timedelta(hours=2)) == 1
    assert run_due_sequences(db, settings, DAY0 + timedelta(hours=2)) == 0
    first = ledger_rows(db, "welcome/1")
    assert first == {
        "new@example.com": ("queued", DAY0),
        "paris@example.com": ("queued", DAY0 + timedelta(hours=1)),
    }
    send(db, settings, peer, "welcome/1")
    assert campaign_state(db, "welcome/1") == "done"

    # Day 3, at 09:00 on each contact's own clock.
    day3 = DAY0 + timedelta(days=3)
    assert run_due_sequences(db, settings, day3 - timedelta(minutes=1)) == 0
    assert run_due_sequences(db, settings, day3) == 1
    paris_nine = datetime(2025, 3, 4, 8, 0)  # 09:00 CET
    assert run_due_sequences(db, settings, paris_nine - timedelta(minutes=1)) == 0
    assert run_due_sequences(db, settings, paris_nine) == 1
    assert ledger_rows(db, "welcome/2") == {
        "new@example.com": ("queued", day3),
        "paris@example.com": ("queued", paris_nine),
    }
    send(db, settings, peer, "welcome/2")

    # Day 7, and a later pass that finds nothing new: the step campaign marked done
    # by the sending loop opens again only when a contact is queued into it.
    assert run_due_sequences(db, settings, DAY0 + timedelta(days=7, hours=6)) == 2
    assert campaign_state(db, "welcome/1") == "done"
    send(db, settings, peer, "welcome/3")
    assert run_due_sequences(db, settings, DAY0 + timedelta(days=8)) == 0

    received = deliveries(peer, db)
    assert received == {
        (address, f"welcome/{step}"): 1
        for address in ("new@example.com", "paris@example.com")
        for step in (1, 2, 3)
    }


def test_a_contact_who_unsubscribes_after_step_one_gets_nothing_more(
    hookline: Hookline, db: Database, peer: SmtpPeer
) -> None:
    settings = hookline.settings()
    _welcome(hookline, db)
    add_contact(db, "stays@example.com", consent=None)
    add_contact(db, "leaves@example.com", consent=None)
    confirm(db, "stays@example.com", DAY0)
    confirm(db, "leaves@example.com", DAY0)
    assert run_due_sequences(db, settings, DAY0) == 2
    send(db, settings, peer, "welcome/1")
    with db.engine.begin() as connection:
        row = connection.scalar(
            select(Recipient.id)
            .join(Contact, Contact.id == Recipient.contact_id)
            .where(Contact.email == "leaves@example.com")
        )
        assert row is not None
        assert unsubscribe_recipient(connection, row, "one-click")

    assert run_due_sequences(db, settings, DAY0 + timedelta(days=3)) == 1
    assert run_due_sequences(db, settings, DAY0 + timedelta(days=7)) == 1
    send(db, settings, peer, "welcome/2")
    send(db, settings, peer, "welcome/3")

    received = deliveries(peer, db)
    assert [key for key in received if key[0] == "leaves@example.com"] == [
        ("leaves@example.com", "welcome/1")
    ]
    assert sum(1 for key in received if key[0] == "stays@example.com") == 3


def test_the_segment_decides_who_is_enrolled(hookline: Hookline, db: Database) -> None:
    settings = hookline.settings()
    _welcome(hookline, db, segment='city = "Hanoi"')
    add_contact(db, "hanoi@example.com", consent=None, city="Hanoi")
    add_contact(db, "hue@example.com", consent=None, city="Hue")
    confirm(db, "hanoi@example.com", DAY0)
    confirm(db, "hue@example.com", DAY0)

    report = run_sequences(db, settings, DAY0)

    assert (report.enrolled, report.queued) == (1, 1)
    assert set(ledger_rows(db, "welcome/1")) == {"hanoi@example.com"}


def test_a_paused_sequence_queues_nothing_and_resumes_within_its_catch_up_window(
    hookline: Hookline, db: Database
) -> None:
    settings = hookline.settings()
    _welcome(hookline, db)
    add_contact(db, "new@example.com", consent=None)
    confirm(db, "new@example.com", DAY0)
    assert run_due_sequences(db, settings, DAY0) == 1
    with db.session() as session, session.begin():
        set_sequence_state(session, get_sequence(session, "welcome"), "pause")
    assert campaign_state(db, "welcome/1") == "paused"

    assert run_due_sequences(db, settings, DAY0 + timedelta(days=3)) == 0
    assert run_due_sequences(db, settings, DAY0 + timedelta(days=7)) == 0
    assert ledger_rows(db, "welcome/2") == {}

    with db.session() as session, session.begin():
        set_sequence_state(session, get_sequence(session, "welcome"), "resume")
    assert campaign_state(db, "welcome/1") == "sending"
    # Step 3 (day 7) is a day late: within the window. Step 2 (day 3) is five days
    # late: past the three-day window, so it is not sent late.
    assert run_due_sequences(db, settings, DAY0 + timedelta(days=8)) == 1
    assert ledger_rows(db, "welcome/2") == {}
    assert ledger_rows(db, "welcome/3") == {"new@example.com": ("queued", DAY0 + timedelta(days=7))}


def test_two_runners_at_once_never_queue_a_step_twice(hookline: Hookline, db: Database) -> None:
    settings = hookline.settings()
    _welcome(hookline, db)
    emails = add_people(db, 300, prefix="signup")
    confirm_many(db, emails, DAY0)
    databases = [open_campaign_database(hookline.database_url) for _ in range(2)]
    barrier = threading.Barrier(2)
    queued: list[int] = []
    errors: list[BaseException] = []

    def runner(database: Database) -> None:
        try:
            barrier.wait()
            queued.append(run_due_sequences(database, settings, DAY0 + timedelta(hours=1)))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=runner, args=(database,)) for database in databases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for database in databases:
        database.engine.dispose()

    assert errors == []
    assert sorted(queued) == [0, 300]
    assert len(ledger_rows(db, "welcome/1")) == 300
    with db.engine.connect() as connection:
        rows = connection.execute(select(Recipient.campaign_id, Recipient.contact_id)).all()
    assert len(rows) == len(set(rows)) == 300
