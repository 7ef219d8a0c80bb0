"""Campaigns with a known ledger, events and orders, written straight into the database.

The report and attribution tests need exact figures, so they build the state they
report on row by row instead of sending mail: a campaign row, its ledger rows (state,
sent_at, tier), events through :func:`campaigns.events.record_events`, and orders.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from audiences.db import Database
from audiences.models import Contact, Order
from campaigns.events import Event, record_events
from campaigns.models import Campaign, Recipient
from tests.campaigns.conftest import Hookline, make_hookline

# When the test campaigns start sending: a Monday, 09:00 UTC.
T0 = datetime(2026, 3, 2, 9, 0)


class NoSmtp:
    """Stands in for the SMTP peer: nothing these tests run sends mail."""

    url = "smtp://127.0.0.1:9"


def cli_on(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Hookline:
    """The CLI on ``database_url``, in an empty working folder, with the test config."""
    return make_hookline(database_url, NoSmtp(), tmp_path, monkeypatch)  # type: ignore[arg-type]


def open_db(cli: Hookline) -> Iterator[Database]:
    """The migrated database of ``cli``, disposed of afterwards."""
    db = cli.open_db()
    try:
        yield db
    finally:
        db.engine.dispose()


def add_campaign(
    db: Database,
    name: str,
    *,
    attribution_days: int | None = None,
    state: str = "done",
    started_at: datetime = T0,
) -> int:
    """A campaign row (its template is never rendered here); its id."""
    with db.engine.begin() as connection:
        return int(
            connection.execute(
                insert(Campaign)
                .values(
                    name=name,
                    channel="email",
                    state=state,
                    template_path=f"templates/{name}.txt.j2",
                    template_source="Hi {{ first_name }}",
                    segment="",
                    from_addr="Jazz Shop <news@shop.example.com>",
                    lint_errors=0,
                    lint_report="",
                    created_at=started_at,
                    updated_at=started_at,
                    started_at=started_at,
                    attribution_days=attribution_days,
                )
                .returning(Campaign.id)
            ).scalar_one()
        )


def contact_ids(db: Database, emails: list[str]) -> list[int]:
    """The ids of the contacts with these addresses, in the same order."""
    with db.engine.connect() as connection:
        rows = connection.execute(
            select(Contact.email, Contact.id).where(Contact.email.in_(emails))
        )
        ids = {email: contact_id for email, contact_id in rows}
    return [ids[email] for email in emails]


def add_recipient(
    db: Database,
    campaign_id: int,
    contact_id: int,
    *,
    state: str = "sent",
    sent_at: datetime | None = None,
    tier: str | None = None,
    detail: str | None = None,
) -> int:
    """One ledger row; ``sent_at`` is required for a sent row. Its id."""
    if state == "sent":
        assert sent_at is not None, "a sent row needs its sent_at"
    with db.engine.begin() as connection:
        return int(
            connection.execute(
                insert(Recipient)
                .values(
                    campaign_id=campaign_id,
                    contact_id=contact_id,
                    state=state,
                    attempts=1 if state != "queued" else 0,
                    sent_at=sent_at,
                    updated_at=sent_at or T0,
                    tier=tier,
                    detail=detail,
                )
                .returning(Recipient.id)
            ).scalar_one()
        )


def add_order(
    db: Database,
    order_id: str,
    contact_id: int,
    amount: str,
    ordered_at: datetime,
    currency: str = "VND",
) -> None:
    """One order in the audiences' orders table."""
    with db.engine.begin() as connection:
        connection.execute(
            insert(Order).values(
                order_id=order_id,
                contact_id=contact_id,
                amount=Decimal(amount),
                currency=currency,
                ordered_at=ordered_at,
            )
        )


def add_events(db: Database, events: list[Event]) -> int:
    """Record events as every response path does; how many were new."""
    with db.engine.begin() as connection:
        return record_events(connection, events)


def event(
    campaign_id: int,
    recipient_id: int,
    kind: str,
    at: datetime,
    *,
    url: str | None = None,
    contact_id: int | None = None,
) -> Event:
    """An event of ``kind`` for one ledger row at ``at``."""
    return Event(campaign_id, recipient_id, contact_id, kind, at, url=url)


def hours(count: float) -> timedelta:
    """``count`` hours."""
    return timedelta(hours=count)
