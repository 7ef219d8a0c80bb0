"""The send ledger on SQLite and PostgreSQL: snapshot once, claim under leases, recover."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from audiences.db import Database
from audiences.emails import address_hash
from audiences.models import Contact, Suppression, utcnow
from audiences.settings import AudienceSettings
from campaigns import ledger
from campaigns.database import open_campaign_database
from campaigns.models import Campaign, Recipient
from tests.campaigns.people import add_people

SETTINGS = AudienceSettings()


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = open_campaign_database(database_url)
    yield database
    database.engine.dispose()


def _campaign(db: Database, segment: str = "") -> Campaign:
    with db.session() as session, session.begin():
        campaign = Campaign(
            name="jazz",
            template_path="t.html.j2",
            template_source="",
            segment=segment,
            from_addr="shop@example.com",
            lint_report="",
        )
        session.add(campaign)
    return campaign


def _start(db: Database, campaign: Campaign) -> int | None:
    with db.session() as session, session.begin():
        fresh = session.get(Campaign, campaign.id)
        assert fresh is not None
        return ledger.start_campaign(session, fresh, SETTINGS)


def test_the_snapshot_holds_the_sendable_contacts_of_the_segment_once(db: Database) -> None:
    add_people(db, 5, tags=("jazz",))
    add_people(db, 3, prefix="rock")
    add_people(db, 2, prefix="nope", consent="withdrawn", tags=("jazz",))
    campaign = _campaign(db, 'tag "jazz"')
    assert _start(db, campaign) == 5
    assert _start(db, campaign) is None
    with db.session() as session:
        rows = session.scalars(select(Recipient)).all()
        assert len(rows) == 5
        assert {row.state for row in rows} == {"queued"}
        assert session.get(Campaign, campaign.id).state == "sending"  # type: ignore[union-attr]


def test_claims_never_overlap_and_leave_rows_that_are_not_due(db: Database) -> None:
    add_people(db, 10)
    campaign = _campaign(db)
    _start(db, campaign)
    now = utcnow()
    with db.engine.begin() as connection:
        first = ledger.claim(connection, campaign.id, "a", 4, 60, now)
        second = ledger.claim(connection, campaign.id, "b", 4, 60, now)
        connection.execute(
            update(Recipient)
            .where(Recipient.id.not_in(first + second))
            .values(next_attempt_at=now + timedelta(minutes=5))
        )
        third = ledger.claim(connection, campaign.id, "c", 4, 60, now)
    assert len(first) == len(second) == 4
    assert not set(first) & set(second)
    assert third == []


def test_an_expired_claim_can_be_taken_over(db: Database) -> None:
    add_people(db, 3)
    campaign = _campaign(db)
    _start(db, campaign)
    now = utcnow()
    with db.engine.begin() as connection:
        taken = ledger.claim(connection, campaign.id, "a", 10, 60, now)
        assert ledger.claim(connection, campaign.id, "b", 10, 60, now) == []
        later = now + timedelta(seconds=61)
        assert ledger.claim(connection, campaign.id, "b", 10, 60, later) == taken
        # The first owner lost its lease: it may not start sending these rows.
        assert not ledger.mark_sending(connection, taken[0], "a", 60, later)
        assert ledger.mark_sending(connection, taken[0], "b", 60, later)


def test_a_row_left_mid_send_by_a_dead_worker_is_queued_again(db: Database) -> None:
    add_people(db, 2)
    campaign = _campaign(db)
    _start(db, campaign)
    now = utcnow()
    with db.engine.begin() as connection:
        ids = ledger.claim(connection, campaign.id, "dead", 10, 30, now)
        assert ledger.mark_sending(connection, ids[0], "dead", 30, now)
        assert ledger.recover_expired(connection, campaign.id, now) == 0
        assert ledger.recover_expired(connection, campaign.id, now + timedelta(seconds=31)) == 1
        state = connection.scalar(select(Recipient.state).where(Recipient.id == ids[0]))
    assert state == "queued"


def test_a_contact_who_unsubscribed_after_the_snapshot_is_skipped_at_claim_time(
    db: Database,
) -> None:
    emails = add_people(db, 3)
    campaign = _campaign(db)
    _start(db, campaign)
    with db.engine.begin() as connection:
        connection.execute(
            Suppression.__table__.insert().values(
                address_hash=address_hash(emails[1]),
                channel="email",
                reason="unsubscribed",
                created_at=utcnow(),
            )
        )
        connection.execute(
            update(Contact).where(Contact.email == emails[2]).values(email_consent="withdrawn")
        )
        ids = ledger.claim(connection, campaign.id, "a", 10, 60)
        ready, skipped = ledger.load_claimed(connection, ids, "email")
    assert [r.email for r in ready] == [emails[0]]
    assert sorted(skipped.values()) == [
        "email consent was withdrawn before their turn",
        "the address was suppressed before their turn",
    ]


def test_a_claimed_contact_comes_with_the_template_variables(db: Database) -> None:
    add_people(db, 1, tags=("vip", "jazz"), city="Huế")
    campaign = _campaign(db)
    _start(db, campaign)
    with db.engine.begin() as connection:
        ids = ledger.claim(connection, campaign.id, "a", 10, 60)
        ready, _ = ledger.load_claimed(connection, ids, "email")
    context = ready[0].context
    assert context["first_name"] == "Name0001"
    assert context["city"] == "Huế"
    assert context["tags"] == ["jazz", "vip"]
    assert context["rfm"] == {"recency": None, "frequency": None, "monetary": None}


def test_a_forgotten_contact_keeps_the_row_but_not_the_person(db: Database) -> None:
    emails = add_people(db, 2)
    campaign = _campaign(db)
    _start(db, campaign)
    with db.engine.begin() as connection:
        connection.execute(Contact.__table__.delete().where(Contact.email == emails[0]))
        ids = ledger.claim(connection, campaign.id, "a", 10, 60)
        ready, skipped = ledger.load_claimed(connection, ids, "email")
    assert len(ids) == 2
    assert [r.email for r in ready] == [emails[1]]
    assert list(skipped.values()) == ["the contact was forgotten before their turn"]


def test_the_campaign_is_done_once_every_row_is_final(db: Database) -> None:
    add_people(db, 2)
    campaign = _campaign(db)
    _start(db, campaign)
    now = utcnow()
    with db.engine.begin() as connection:
        ids = ledger.claim(connection, campaign.id, "a", 10, 60, now)
        ledger.record_outcome(connection, ledger.Outcome(ids[0], "sent"), now)
        assert not ledger.finish_if_complete(connection, campaign.id, now)
        ledger.record_outcome(connection, ledger.Outcome(ids[1], "bounced", "550"), now)
        assert ledger.finish_if_complete(connection, campaign.id, now)
        assert connection.scalar(select(Campaign.state)) == "done"
        assert ledger.state_counts(connection, campaign.id) == {"sent": 1, "bounced": 1}
