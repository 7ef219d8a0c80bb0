"""Responses and revenue: offer-code responses plus orders attributed by last touch.

Revenue is the response amounts plus the attributed orders, each purchase once: an
order whose id is a response's reference is the response (and when the response was
recorded without an amount, it takes the order's). Amounts in different currencies
are never added together: ``revenue`` is in the report's currency (``[audience]
currency``) and ``revenue_by_currency`` lists every currency met.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import Connection, select

from audiences.models import Order
from campaigns.models import CampaignEvent, Recipient
from campaigns.responses.attribution import Attribution

NO_TIER = "none"
_CHUNK = 1000


@dataclass
class Revenue:
    """What the campaign earned, in total and per tier of the ledger snapshot."""

    responses: int = 0
    attributed_orders: int = 0
    by_currency: dict[str, Decimal] = field(default_factory=dict)
    # In the report's currency only.
    by_tier: dict[str, Decimal] = field(default_factory=dict)
    responses_by_tier: dict[str, int] = field(default_factory=dict)

    def add(
        self, tier: str | None, amount: Decimal | None, currency: str | None, main: str
    ) -> None:
        """Count one purchase's amount."""
        if amount is None:
            return
        currency = currency or main
        self.by_currency[currency] = self.by_currency.get(currency, Decimal(0)) + amount
        if currency == main:
            key = tier or NO_TIER
            self.by_tier[key] = self.by_tier.get(key, Decimal(0)) + amount


def campaign_revenue(
    connection: Connection, campaign_id: int, attribution: Attribution, currency: str
) -> Revenue:
    """Responses (distinct recipients), attributed orders and revenue of one campaign."""
    rows = connection.execute(
        select(
            CampaignEvent.recipient_id,
            CampaignEvent.contact_id,
            CampaignEvent.amount,
            CampaignEvent.currency,
            CampaignEvent.detail,
            Recipient.tier,
        )
        .outerjoin(Recipient, Recipient.id == CampaignEvent.recipient_id)
        .where(CampaignEvent.campaign_id == campaign_id, CampaignEvent.kind == "response")
    ).all()
    referenced = _orders_by_reference(
        connection, [row.detail for row in rows if row.amount is None and row.detail]
    )
    revenue = Revenue()
    responders: dict[str, set[int]] = defaultdict(set)
    for row in rows:
        if row.recipient_id is not None:
            responders[row.tier or NO_TIER].add(row.recipient_id)
        amount, row_currency = row.amount, row.currency
        if amount is None and row.detail:
            found = referenced.get((row.detail, row.contact_id))
            if found is not None:
                amount, row_currency = found
        revenue.add(row.tier, amount, row_currency, currency)
    revenue.responses = len(set().union(*responders.values())) if responders else 0
    revenue.responses_by_tier = {tier: len(ids) for tier, ids in responders.items()}
    for order in attribution.orders:
        if not order.answered:
            revenue.attributed_orders += 1
            revenue.add(order.tier, order.amount, order.currency, currency)
    return revenue


def _orders_by_reference(
    connection: Connection, references: list[str]
) -> dict[tuple[str, int | None], tuple[Decimal, str]]:
    """Orders by ``(order_id, contact_id)`` for responses recorded without an amount."""
    wanted = sorted(set(references))
    found: dict[tuple[str, int | None], tuple[Decimal, str]] = {}
    for start in range(0, len(wanted), _CHUNK):
        rows = connection.execute(
            select(Order.order_id, Order.contact_id, Order.amount, Order.currency).where(
                Order.order_id.in_(wanted[start : start + _CHUNK])
            )
        )
        found.update({(row.order_id, row.contact_id): (row.amount, row.currency) for row in rows})
    return found
