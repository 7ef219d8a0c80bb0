"""The send ledger: one row per campaign and contact, and the states it moves through.

Starting a send snapshots the audience into the ledger once (the unique
``(campaign_id, contact_id)`` pair makes a second snapshot a no-op). Workers then
*claim* batches of queued rows under a lease, with ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL so several machines share a campaign without waiting on each other, and a
single atomic ``UPDATE … RETURNING`` on SQLite.

Exactly-once, and its one bound. Each message is marked ``sending`` (committed)
before its SMTP transaction starts and ``sent`` (committed, together with the next
message's ``sending``) when the server accepts it. A worker that dies leaves at most
one ``sending`` row per SMTP connection; when its lease expires, those rows are queued
again and resent. So a crash resends at most as many messages as the dead worker had
connections, and never loses one. Rows merely claimed, not yet ``sending``, were
never handed to SMTP and go back to the queue untouched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Table,
    and_,
    bindparam,
    case,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from audiences.models import Contact, Suppression, Tag, contact_tags, utcnow
from audiences.segment_query import segment_filter
from audiences.sendable import not_suppressed, sendable
from audiences.settings import AudienceSettings
from campaigns.ab_testing.split import split_audience
from campaigns.models import FINAL_STATES, Campaign, Recipient

CHANNEL_OF = {"email": "email", "letter": "mail"}


@dataclass(frozen=True)
class ClaimedRecipient:
    """A claimed row with the contact's data, ready to render."""

    recipient_id: int
    contact_id: int
    email: str
    attempts: int
    context: dict[str, Any]
    # "b" renders subject B of an A/B test; anything else the template's subject.
    variant: str | None = None


def start_campaign(session: Session, campaign: Campaign, settings: AudienceSettings) -> int | None:
    """Move a draft to ``sending`` and snapshot its audience; None if it already started.

    The state change is a conditional UPDATE, so of two commands starting the same
    campaign at once exactly one takes the snapshot. A campaign with subject B then
    has its A/B test groups drawn and the rest of the audience held (see
    :mod:`campaigns.ab_testing.split`), in the same transaction.
    """
    now = utcnow()
    started = session.execute(
        update(Campaign)
        .where(Campaign.id == campaign.id, Campaign.started_at.is_(None))
        .values(state="sending", started_at=now, updated_at=now)
    )
    if started.rowcount != 1:  # type: ignore[attr-defined]
        return None
    audience = segment_filter(session, campaign.segment, settings)
    channel = CHANNEL_OF.get(campaign.channel, "email")
    if channel == "mail":
        _snapshot_letters(session, campaign.id, audience, now)
    else:
        rows = select(
            literal(campaign.id),
            Contact.id,
            literal("queued"),
            literal(0),
            literal(now),
            Contact.tier,
        ).where(audience, sendable(channel))
        session.execute(
            insert(Recipient).from_select(
                ["campaign_id", "contact_id", "state", "attempts", "updated_at", "tier"], rows
            )
        )
    split_audience(session, campaign, now)
    # psycopg reports no row count for INSERT … SELECT through the ORM: count instead.
    return int(
        session.scalar(select(func.count()).where(Recipient.campaign_id == campaign.id)) or 0
    )


def _filled(column: Any) -> ColumnElement[bool]:
    return and_(column.is_not(None), func.trim(column) != "")


def mail_skip_reason() -> ColumnElement[str | None]:
    """Why a contact gets no letter, as SQL (NULL when one may be sent).

    The same checks as ``sendable("mail")``, one at a time, so the ledger says which
    one failed: "no postal address: postcode or city missing", "no mail consent",
    "mail suppressed: unsubscribed".
    """
    suppression = (
        select(Suppression.reason)
        .where(
            Suppression.address_hash == Contact.email_hash,
            Suppression.channel.in_(("mail", "all")),
        )
        .order_by(Suppression.id)
        .limit(1)
        .scalar_subquery()
    )
    return case(
        (~_filled(Contact.address_line1), literal("no postal address: address line missing")),
        (
            ~or_(_filled(Contact.city), _filled(Contact.postcode)),
            literal("no postal address: postcode or city missing"),
        ),
        (~_filled(Contact.country), literal("no postal address: country missing")),
        (Contact.mail_consent == "withdrawn", literal("no mail consent")),
        (~not_suppressed("mail"), literal("mail suppressed: ") + suppression),
        else_=null(),
    )


def _snapshot_letters(session: Session, campaign_id: int, audience: Any, now: datetime) -> None:
    """Snapshot the whole segment for a letter: those who can't get one are skipped at once.

    The reason goes in ``detail``, so the send shows who was left out and why. Rows
    are inserted in country and postcode order (the ledger id fixes the print order),
    which is how bulk-mail postage discounts want the letters sorted.
    """
    reason = mail_skip_reason()
    rows = (
        select(
            literal(campaign_id),
            Contact.id,
            case((reason.is_(None), literal("queued")), else_=literal("skipped")),
            reason,
            literal(0),
            literal(now),
            Contact.tier,
        )
        .where(audience)
        .order_by(Contact.country, Contact.postcode, Contact.id)
    )
    session.execute(
        insert(Recipient).from_select(
            ["campaign_id", "contact_id", "state", "detail", "attempts", "updated_at", "tier"],
            rows,
        )
    )


def recover_expired(connection: Connection, campaign_id: int, now: datetime) -> int:
    """Queue again the rows a dead worker left mid-send (lease expired); how many."""
    result = connection.execute(
        update(Recipient)
        .where(
            Recipient.campaign_id == campaign_id,
            Recipient.state == "sending",
            Recipient.lease_until < now,
        )
        .values(
            state="queued",
            lease_owner=None,
            lease_until=None,
            detail="queued again: its worker stopped during the SMTP transaction",
            updated_at=now,
        )
    )
    return int(result.rowcount)


def claim(
    connection: Connection,
    campaign_id: int,
    owner: str,
    limit: int,
    lease_seconds: float,
    now: datetime | None = None,
) -> list[int]:
    """Claim up to ``limit`` queued rows that are due, under a lease; their ids."""
    now = now or utcnow()
    due = (
        select(Recipient.id)
        .where(
            Recipient.campaign_id == campaign_id,
            Recipient.state == "queued",
            or_(Recipient.lease_until.is_(None), Recipient.lease_until < now),
            or_(Recipient.next_attempt_at.is_(None), Recipient.next_attempt_at <= now),
        )
        .order_by(Recipient.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    result = connection.execute(
        update(Recipient)
        .where(Recipient.id.in_(due.scalar_subquery()))
        .values(
            lease_owner=owner,
            lease_until=now + timedelta(seconds=lease_seconds),
            updated_at=now,
        )
        .returning(Recipient.id)
    )
    return sorted(row[0] for row in result)


def next_due(connection: Connection, campaign_id: int) -> datetime | None:
    """When the earliest retry of a queued row falls due (None: nothing waits)."""
    return connection.scalar(
        select(func.min(func.coalesce(Recipient.next_attempt_at, Recipient.lease_until))).where(
            Recipient.campaign_id == campaign_id, Recipient.state.in_(("queued", "sending"))
        )
    )


def contact_context(contact: Any, tags: list[str]) -> dict[str, Any]:
    """The template variables for one contact (the names linter.variables lists)."""
    return {
        "email": contact.email,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "gender": contact.gender,
        "birthday": contact.birthday,
        "city": contact.city,
        "country": contact.country,
        "address_line1": contact.address_line1,
        "address_line2": contact.address_line2,
        "address_line3": contact.address_line3,
        "postcode": contact.postcode,
        "locale": contact.locale,
        "timezone": contact.timezone,
        "tags": tags,
        "tier": contact.tier,
        "orders": contact.orders_count,
        "total_spent": contact.total_spent,
        "first_purchase_at": contact.first_purchase_at,
        "last_purchase_at": contact.last_purchase_at,
        "rfm": {
            "recency": contact.rfm_recency,
            "frequency": contact.rfm_frequency,
            "monetary": contact.rfm_monetary,
        },
        "attrs": dict(contact.attrs or {}),
    }


def load_claimed(
    connection: Connection, ids: list[int], channel: str
) -> tuple[list[ClaimedRecipient], dict[int, str]]:
    """The claimed rows' contacts; rows that may no longer be written to, with why.

    Consent and suppressions are checked again here, at claim time: a contact who
    unsubscribed after the snapshot but before their turn is skipped.
    """
    if not ids:
        return [], {}
    allowed = sendable(CHANNEL_OF.get(channel, "email"))
    rows = connection.execute(
        select(
            Recipient.id.label("recipient_id"),
            Recipient.attempts,
            Recipient.variant.label("variant"),
            Contact,
            case((allowed, True), else_=False).label("allowed"),
            (mail_skip_reason() if channel == "letter" else literal(None)).label("skip_reason"),
        )
        .select_from(Recipient)
        .outerjoin(Contact, Contact.id == Recipient.contact_id)
        .where(Recipient.id.in_(ids))
    ).all()
    contact_ids = [row.id for row in rows if row.id is not None]
    tags: dict[int, list[str]] = {}
    if contact_ids:
        for contact_id, name in connection.execute(
            select(contact_tags.c.contact_id, Tag.name)
            .join(Tag, Tag.id == contact_tags.c.tag_id)
            .where(contact_tags.c.contact_id.in_(contact_ids))
            .order_by(Tag.name)
        ):
            tags.setdefault(contact_id, []).append(name)
    ready: list[ClaimedRecipient] = []
    skipped: dict[int, str] = {}
    for row in rows:
        if row.id is None:
            skipped[row.recipient_id] = "the contact was forgotten before their turn"
        elif not row.allowed:
            skipped[row.recipient_id] = _why_not(row, channel)
        else:
            ready.append(
                ClaimedRecipient(
                    recipient_id=row.recipient_id,
                    contact_id=row.id,
                    email=row.email,
                    attempts=row.attempts,
                    context=contact_context(row, tags.get(row.id, [])),
                    variant=row.variant,
                )
            )
    return ready, skipped


def _why_not(row: Any, channel: str) -> str:
    if channel == "email" and row.email_consent != "granted":
        return "email consent was withdrawn before their turn"
    if channel == "letter":
        if row.skip_reason:
            return f"{row.skip_reason} before their turn"
        return "no complete postal address, mail consent withdrawn, or address suppressed"
    return "the address was suppressed before their turn"


def mark_skipped(connection: Connection, reasons: dict[int, str], now: datetime) -> None:
    """Final state ``skipped`` with the reason, for rows that must not be sent."""
    for recipient_id, reason in reasons.items():
        connection.execute(
            update(Recipient)
            .where(Recipient.id == recipient_id)
            .values(
                state="skipped", detail=reason, lease_owner=None, lease_until=None, updated_at=now
            )
        )


def mark_sending(
    connection: Connection, recipient_id: int, owner: str, lease_seconds: float, now: datetime
) -> bool:
    """Mark a claimed row ``sending``; False if this worker lost the row's lease."""
    result = connection.execute(
        update(Recipient)
        .where(
            Recipient.id == recipient_id,
            Recipient.state == "queued",
            Recipient.lease_owner == owner,
        )
        .values(
            state="sending",
            lease_until=now + timedelta(seconds=lease_seconds),
            updated_at=now,
        )
    )
    return bool(result.rowcount)


@dataclass(frozen=True)
class Outcome:
    """What became of one message: a final state, or a retry at a time."""

    recipient_id: int
    state: str
    detail: str | None = None
    smtp_code: int | None = None
    retry_at: datetime | None = None


def record_outcome(connection: Connection, outcome: Outcome, now: datetime) -> None:
    """Write a message's outcome: sent, bounced, failed, or queued again for a retry."""
    values: dict[str, Any] = {
        "state": outcome.state,
        "detail": outcome.detail,
        "smtp_code": outcome.smtp_code,
        "lease_owner": None,
        "lease_until": None,
        "updated_at": now,
        "attempts": Recipient.attempts + 1,
    }
    if outcome.state == "sent":
        values["sent_at"] = now
    if outcome.state == "queued":
        values["next_attempt_at"] = outcome.retry_at
    connection.execute(update(Recipient).where(Recipient.id == outcome.recipient_id).values(values))


def release(connection: Connection, campaign_id: int, owner: str, now: datetime) -> int:
    """Give back this worker's claimed-but-unsent rows at once (on pause or Ctrl-C)."""
    result = connection.execute(
        update(Recipient)
        .where(
            Recipient.campaign_id == campaign_id,
            Recipient.state == "queued",
            Recipient.lease_owner == owner,
        )
        .values(lease_owner=None, lease_until=None, updated_at=now)
    )
    return int(result.rowcount)


def cancel_queued(connection: Connection, campaign_id: int, now: datetime) -> int:
    """Skip every row not yet sent (queued, or held for an A/B decision): a cancelled campaign."""
    result = connection.execute(
        update(Recipient)
        .where(Recipient.campaign_id == campaign_id, Recipient.state.in_(("queued", "held")))
        .values(state="skipped", detail="the campaign was cancelled", updated_at=now)
    )
    return int(result.rowcount)


def state_counts(connection: Connection, campaign_id: int) -> dict[str, int]:
    """How many rows are in each state."""
    rows = connection.execute(
        select(Recipient.state, func.count())
        .where(Recipient.campaign_id == campaign_id)
        .group_by(Recipient.state)
    )
    return {state: count for state, count in rows}


def unfinished(connection: Connection, campaign_id: int) -> int:
    """Rows a sending loop still has to bring to a final state.

    Rows held for an A/B decision don't count: no loop can send them until the
    decision queues them, so a loop (or ``worker --until-done``) must not wait on them.
    """
    return int(
        connection.scalar(
            select(func.count()).where(
                Recipient.campaign_id == campaign_id,
                Recipient.state.not_in((*FINAL_STATES, "held")),
            )
        )
        or 0
    )


def finish_if_complete(connection: Connection, campaign_id: int, now: datetime) -> bool:
    """Mark a sending campaign ``done`` once every row is final; whether it is done.

    Held rows (an A/B test not yet decided) are not final: the campaign isn't done.
    """
    open_rows = connection.scalar(
        select(func.count()).where(
            Recipient.campaign_id == campaign_id, Recipient.state.not_in(FINAL_STATES)
        )
    )
    if open_rows:
        return False
    connection.execute(
        update(Campaign)
        .where(Campaign.id == campaign_id, Campaign.state == "sending")
        .values(state="done", finished_at=now, updated_at=now)
    )
    return True


# Statements built once: the ledger writer runs them thousands of times a second, and
# building an ORM statement costs more than running it.
_TABLE = Recipient.__table__
assert isinstance(_TABLE, Table)
_MARK_SENDING = (
    _TABLE.update()
    .where(
        _TABLE.c.id == bindparam("rid"),
        _TABLE.c.state == "queued",
        _TABLE.c.lease_owner == bindparam("owner"),
    )
    .values(state="sending", lease_until=bindparam("until"), updated_at=bindparam("now"))
)
_MARK_SENT = (
    _TABLE.update()
    .where(_TABLE.c.id == bindparam("rid"))
    .values(
        state="sent",
        detail=None,
        smtp_code=bindparam("code"),
        lease_owner=None,
        lease_until=None,
        sent_at=bindparam("now"),
        updated_at=bindparam("now"),
        attempts=_TABLE.c.attempts + 1,
    )
)


def mark_sending_many(
    connection: Connection, ids: list[int], owner: str, lease_seconds: float, now: datetime
) -> set[int]:
    """:func:`mark_sending` for several rows; the ids still leased to this worker."""
    until = now + timedelta(seconds=lease_seconds)
    return {
        rid
        for rid in ids
        if connection.execute(
            _MARK_SENDING, {"rid": rid, "owner": owner, "until": until, "now": now}
        ).rowcount
    }


def record_sent_many(
    connection: Connection, sent: list[tuple[int, int | None]], now: datetime
) -> None:
    """Mark rows ``sent`` with their SMTP reply codes, in one executemany."""
    if sent:
        connection.execute(
            _MARK_SENT, [{"rid": rid, "code": code, "now": now} for rid, code in sent]
        )
