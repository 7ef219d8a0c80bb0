"""The batched event writer on both databases: what it writes, and that close loses nothing."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import func, insert, select

from audiences.db import Database
from audiences.models import Contact, utcnow
from campaigns.database import open_campaign_database
from campaigns.models import Campaign, CampaignEvent, Recipient
from campaigns.tracking.event_writer import EventWriter
from tests.campaigns.people import add_people


@pytest.fixture
def ledger_db(database_url: str) -> Iterator[tuple[Database, list[int]]]:
    """A database with one campaign and a ledger of three rows; the row ids."""
    db = open_campaign_database(database_url)
    try:
        add_people(db, 3)
        with db.engine.begin() as connection:
            connection.execute(
                insert(Campaign).values(
                    name="jazz",
                    template_path="jazz.txt.j2",
                    template_source="Hi",
                    from_addr="news@shop.example.com",
                )
            )
            campaign_id = connection.scalar(select(Campaign.id).where(Campaign.name == "jazz"))
            contacts = connection.scalars(select(Contact.id).order_by(Contact.id)).all()
            connection.execute(
                insert(Recipient),
                [{"campaign_id": campaign_id, "contact_id": c, "state": "sent"} for c in contacts],
            )
            rows = list(connection.scalars(select(Recipient.id).order_by(Recipient.id)))
        yield db, rows
    finally:
        db.engine.dispose()


def events(db: Database) -> list[tuple[int, int | None, int | None, str, str | None]]:
    with db.engine.connect() as connection:
        return [
            tuple(row)  # type: ignore[misc]
            for row in connection.execute(
                select(
                    CampaignEvent.campaign_id,
                    CampaignEvent.recipient_id,
                    CampaignEvent.contact_id,
                    CampaignEvent.kind,
                    CampaignEvent.url,
                ).order_by(CampaignEvent.id)
            )
        ]


def test_events_take_campaign_and_contact_from_the_ledger(
    ledger_db: tuple[Database, list[int]],
) -> None:
    db, rows = ledger_db
    writer = EventWriter(db.engine, batch_size=2)
    writer.put(rows[0], "open", source="pixel")
    writer.put(rows[2], "click", url="https://shop.example.com/", source="link")
    writer.put(999_999, "open", source="pixel")
    writer.flush()
    with db.engine.connect() as connection:
        recipients = {
            row.id: (row.campaign_id, row.contact_id)
            for row in connection.execute(select(Recipient))
        }
    campaign0, contact0 = recipients[rows[0]]
    campaign2, contact2 = recipients[rows[2]]
    assert events(db) == [
        (campaign0, rows[0], contact0, "open", None),
        (campaign2, rows[2], contact2, "click", "https://shop.example.com/"),
    ]
    assert writer.pending == 0


def test_closing_writes_everything_still_queued(ledger_db: tuple[Database, list[int]]) -> None:
    db, rows = ledger_db
    # An interval far longer than the test: only close() can write these.
    writer = EventWriter(db.engine, interval=3600, batch_size=1_000_000)
    writer.start()
    now = utcnow()
    for i in range(1_234):
        writer.put(rows[i % 3], "open", source="pixel", occurred_at=now)
    writer.close()
    with db.engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(CampaignEvent)) == 1_234
    assert writer.pending == 0


def test_the_thread_writes_a_full_batch_without_being_asked(
    ledger_db: tuple[Database, list[int]],
) -> None:
    db, rows = ledger_db
    writer = EventWriter(db.engine, interval=3600, batch_size=10)
    writer.start()
    try:
        for _ in range(10):
            writer.put(rows[0], "open")
        # The batch is full: the thread writes it long before its hour-long interval.
        deadline = time.monotonic() + 60
        while writer.written < 10 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert writer.written == 10
        assert len(events(db)) == 10
    finally:
        writer.close()
