"""Which orders a campaign earned: last-touch attribution within an attribution window.

An order in the ``orders`` table counts for a campaign when its contact was sent the
campaign's message at most ``N`` days before the order (``sent_at <= ordered_at <=
sent_at + N days``; ``N`` is the campaign's ``attribution_days``, else ``[responses]
attribution-days``). When several messages' windows cover the order, the most recent
message before it takes it (last touch), so an order counts for one campaign only.

An order whose ``order_id`` is the reference of one of the contact's ``response``
events was already counted as that response: it is returned with ``answered`` set,
so the report counts it once.

The work is two indexed queries (the campaign's candidate orders, and the other
messages those contacts were sent in the same period) and the exact window and
last-touch comparison in Python, which reads the same on SQLite and PostgreSQL
(their date arithmetic differs, and SQLite's rounds).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Connection, exists, func, select

from audiences.models import Order
from campaigns.models import Campaign, CampaignEvent, Recipient

# Contact ids per IN list.
_CHUNK = 1000


def attribution_days(campaign: Campaign, default: int) -> int:
    """The campaign's attribution window in days: its own, or ``default``."""
    return campaign.attribution_days or default


@dataclass(frozen=True)
class Touch:
    """One message sent to a contact, and how long orders after it count for its campaign."""

    recipient_id: int
    campaign_id: int
    sent_at: datetime
    days: int

    def covers(self, moment: datetime) -> bool:
        """Whether ``moment`` falls within this message's attribution window."""
        return self.sent_at <= moment <= self.sent_at + timedelta(days=self.days)


@dataclass(frozen=True)
class AttributedOrder:
    """An order the campaign earned, with the ledger row (and its tier) that earned it."""

    order_id: str
    contact_id: int
    recipient_id: int
    tier: str | None
    amount: Decimal
    currency: str
    ordered_at: datetime
    # The order is the reference of a response event: already counted as a response.
    answered: bool


@dataclass(frozen=True)
class Attribution:
    """What the campaign earned: its orders, and the recipients whose first order it was."""

    days: int
    orders: list[AttributedOrder]
    # Ledger rows whose contact's first order ever is among ``orders``.
    first_orders: set[int]


def _winner(touches: Iterable[Touch], moment: datetime) -> Touch | None:
    """The most recent message whose window covers ``moment`` (ties: the later row)."""
    covering = [touch for touch in touches if touch.covers(moment)]
    return max(covering, key=lambda t: (t.sent_at, t.recipient_id), default=None)


def attribute(connection: Connection, campaign: Campaign, default_days: int) -> Attribution:
    """The orders ``campaign`` earned by last touch, and the customers it won."""
    days = attribution_days(campaign, default_days)
    sent = (Recipient.campaign_id == campaign.id, Recipient.state == "sent")
    first_sent, last_sent = connection.execute(
        select(func.min(Recipient.sent_at), func.max(Recipient.sent_at)).where(*sent)
    ).one()
    if first_sent is None or last_sent is None:
        return Attribution(days, [], set())
    until = last_sent + timedelta(days=days)
    answered = exists().where(
        CampaignEvent.contact_id == Order.contact_id,
        CampaignEvent.kind == "response",
        CampaignEvent.detail == Order.order_id,
    )
    candidates = connection.execute(
        select(
            Order.order_id,
            Order.contact_id,
            Order.amount,
            Order.currency,
            Order.ordered_at,
            Recipient.id,
            Recipient.sent_at,
            Recipient.tier,
            answered.label("answered"),
        )
        .join(Recipient, Recipient.contact_id == Order.contact_id)
        .where(
            *sent,
            Order.ordered_at >= Recipient.sent_at,
            # Redundant bounds, but they let the planner use the index on ordered_at.
            Order.ordered_at >= first_sent,
            Order.ordered_at <= until,
        )
    ).all()
    own: dict[int, Touch] = {}
    in_window = []
    for row in candidates:
        touch = Touch(row.id, campaign.id, row.sent_at, days)
        if touch.covers(row.ordered_at):
            own[row.contact_id] = touch
            in_window.append(row)
    if not in_window:
        return Attribution(days, [], set())
    others = _other_touches(connection, campaign, default_days, set(own), first_sent, until)
    orders = [
        AttributedOrder(
            row.order_id,
            row.contact_id,
            row.id,
            row.tier,
            row.amount,
            row.currency,
            row.ordered_at,
            bool(row.answered),
        )
        for row in in_window
        if _winner([own[row.contact_id], *others.get(row.contact_id, ())], row.ordered_at)
        == own[row.contact_id]
    ]
    first = _first_order_times(connection, {order.contact_id for order in orders})
    first_orders = {
        order.recipient_id for order in orders if first.get(order.contact_id) == order.ordered_at
    }
    return Attribution(days, orders, first_orders)


def _other_touches(
    connection: Connection,
    campaign: Campaign,
    default_days: int,
    contact_ids: set[int],
    since: datetime,
    until: datetime,
) -> dict[int, list[Touch]]:
    """Other campaigns' messages to these buyers that could be a later touch.

    Only messages sent after this campaign's first one and before its last window
    closes can be more recent than this campaign's message and still before an order
    it might claim.
    """
    wanted = sorted(contact_ids)
    touches: dict[int, list[Touch]] = defaultdict(list)
    for start in range(0, len(wanted), _CHUNK):
        rows = connection.execute(
            select(
                Recipient.contact_id,
                Recipient.id,
                Recipient.campaign_id,
                Recipient.sent_at,
                Campaign.attribution_days,
            )
            .join(Campaign, Campaign.id == Recipient.campaign_id)
            .where(
                Recipient.contact_id.in_(wanted[start : start + _CHUNK]),
                Recipient.campaign_id != campaign.id,
                Recipient.state == "sent",
                Recipient.sent_at >= since,
                Recipient.sent_at <= until,
            )
        )
        for row in rows:
            touches[row.contact_id].append(
                Touch(row.id, row.campaign_id, row.sent_at, row.attribution_days or default_days)
            )
    return touches


def _first_order_times(connection: Connection, contact_ids: set[int]) -> dict[int, datetime]:
    """When each of these contacts first ordered, ever."""
    wanted = sorted(contact_ids)
    first: dict[int, datetime] = {}
    for start in range(0, len(wanted), _CHUNK):
        rows = connection.execute(
            select(Order.contact_id, func.min(Order.ordered_at))
            .where(Order.contact_id.in_(wanted[start : start + _CHUNK]))
            .group_by(Order.contact_id)
        )
        first.update({contact_id: moment for contact_id, moment in rows if contact_id is not None})
    return first
