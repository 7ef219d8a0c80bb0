"""Drawing the A/B test groups at the start of a send, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from audiences.db import Database
from audiences.models import utcnow
from audiences.settings import AudienceSettings
from campaigns import ledger
from campaigns.ab_testing.split import arm_size, shuffle_key
from campaigns.database import open_campaign_database
from campaigns.models import Campaign, Recipient
from campaigns.sending import set_state
from tests.campaigns.people import add_people

SETTINGS = AudienceSettings()
FOUR_HOURS = 4 * 3600


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = open_campaign_database(database_url)
    yield database
    database.engine.dispose()


def make_campaign(
    db: Database, name: str = "jazz", subject_b: str | None = "Subject B", share: float = 0.2
) -> int:
    with db.session() as session, session.begin():
        campaign = Campaign(
            name=name,
            template_path="t.txt.j2",
            template_source='+++\nsubject = "Subject A"\n+++\nHi\n',
            segment="",
            from_addr="shop@example.com",
            lint_report="",
            subject_b=subject_b,
            ab_share=share if subject_b else None,
            ab_measure="opens" if subject_b else None,
            ab_wait_seconds=FOUR_HOURS if subject_b else None,
        )
        session.add(campaign)
        session.flush()
        return campaign.id


def start(db: Database, campaign_id: int) -> int | None:
    with db.session() as session, session.begin():
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        return ledger.start_campaign(session, campaign, SETTINGS)


def rows(db: Database, campaign_id: int) -> list[tuple[int, str, str | None]]:
    with db.engine.connect() as connection:
        return [
            (row.id, row.state, row.variant)
            for row in connection.execute(
                select(Recipient.id, Recipient.state, Recipient.variant)
                .where(Recipient.campaign_id == campaign_id)
                .order_by(Recipient.id)
            )
        ]


def campaign_row(db: Database, campaign_id: int) -> Campaign:
    with db.session() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        return campaign


def test_a_20_percent_test_of_100_contacts_sends_10_a_and_10_b_and_holds_80(db: Database) -> None:
    add_people(db, 100)
    campaign_id = make_campaign(db)

    assert start(db, campaign_id) == 100

    ledger_rows = rows(db, campaign_id)
    assert Counter((state, variant) for _id, state, variant in ledger_rows) == {
        ("queued", "a"): 10,
        ("queued", "b"): 10,
        ("held", None): 80,
    }
    campaign = campaign_row(db, campaign_id)
    assert campaign.started_at is not None
    assert campaign.ab_decide_at == campaign.started_at + timedelta(hours=4)
    assert campaign.ab_winner is None


def test_the_groups_are_a_random_sample_not_the_first_rows(db: Database) -> None:
    add_people(db, 100)
    campaign_id = make_campaign(db)
    start(db, campaign_id)

    ledger_rows = rows(db, campaign_id)
    tested = [index for index, (_id, _state, variant) in enumerate(ledger_rows) if variant]
    # Twenty of a hundred drawn at random: not the first twenty, and from all over.
    assert tested != list(range(20))
    assert min(tested) < 50 <= max(tested)


def test_the_draw_is_the_same_integer_hash_on_both_databases(db: Database) -> None:
    add_people(db, 50)
    campaign_id = make_campaign(db)
    start(db, campaign_id)
    modulus, multiplier = 2_147_483_647, 48_271
    seed = (campaign_id * 7_919 + 104_729) % modulus

    def expected(row_id: int) -> int:
        spread = (row_id * multiplier + seed) % modulus
        mixed = (spread * spread + seed) % modulus
        return (mixed * mixed + multiplier) % modulus

    with db.engine.connect() as connection:
        keys = connection.execute(
            select(Recipient.id, shuffle_key(campaign_id)).where(
                Recipient.campaign_id == campaign_id
            )
        ).all()
    assert all(key == expected(row_id) for row_id, key in keys)
    a_rows = sorted(keys, key=lambda pair: (pair[1], pair[0]))[:5]
    assert {row_id for row_id, _key in a_rows} == {
        row_id for row_id, _state, variant in rows(db, campaign_id) if variant == "a"
    }
    # A row id near PostgreSQL's int4 limit: the arithmetic must not overflow.
    big_id = 2_000_000_000
    with db.engine.begin() as connection:
        connection.execute(
            insert(Recipient).values(id=big_id, campaign_id=campaign_id, state="skipped")
        )
        big = connection.scalar(select(shuffle_key(campaign_id)).where(Recipient.id == big_id))
    assert big == expected(big_id)


def test_fewer_than_two_contacts_per_group_skips_the_test_and_everyone_gets_a(
    db: Database,
) -> None:
    add_people(db, 10)
    campaign_id = make_campaign(db, share=0.2)  # 10 × 20% / 2 = 1 per group

    assert start(db, campaign_id) == 10

    assert {(state, variant) for _id, state, variant in rows(db, campaign_id)} == {("queued", "a")}
    campaign = campaign_row(db, campaign_id)
    assert campaign.ab_winner == "a"


def test_a_campaign_without_subject_b_is_snapshotted_as_before(db: Database) -> None:
    add_people(db, 30)
    campaign_id = make_campaign(db, subject_b=None)

    assert start(db, campaign_id) == 30

    assert {(state, variant) for _id, state, variant in rows(db, campaign_id)} == {("queued", None)}
    campaign = campaign_row(db, campaign_id)
    assert (campaign.ab_decide_at, campaign.ab_winner) == (None, None)


def test_held_rows_are_never_claimed_and_keep_the_campaign_from_finishing(db: Database) -> None:
    add_people(db, 100)
    campaign_id = make_campaign(db)
    start(db, campaign_id)
    now = utcnow()
    with db.engine.begin() as connection:
        claimed = ledger.claim(connection, campaign_id, "w", 1000, 60, now)
        for recipient_id in claimed:
            ledger.record_outcome(connection, ledger.Outcome(recipient_id, "sent"), now)
        assert len(claimed) == 20
        assert ledger.claim(connection, campaign_id, "w", 1000, 60, now) == []
        # Nothing for a sending loop to wait on, yet the campaign is not done.
        assert ledger.unfinished(connection, campaign_id) == 0
        assert ledger.next_due(connection, campaign_id) is None
        assert not ledger.finish_if_complete(connection, campaign_id, now)
    assert campaign_row(db, campaign_id).state == "sending"


def test_cancelling_an_ab_campaign_skips_its_held_rows(db: Database) -> None:
    add_people(db, 100)
    campaign_id = make_campaign(db)
    start(db, campaign_id)

    set_state(db, campaign_row(db, campaign_id), "cancel")

    assert Counter(state for _id, state, _variant in rows(db, campaign_id)) == {"skipped": 100}


@pytest.mark.parametrize(
    ("share", "audience", "per_group"),
    [(0.2, 100, 10), (0.15, 10, 1), (0.07, 100, 4), (1.0, 7, 4), (0.2, 0, 0)],
)
def test_each_group_is_share_times_audience_over_two_rounded_half_up(
    share: float, audience: int, per_group: int
) -> None:
    assert arm_size(share, audience) == per_group
