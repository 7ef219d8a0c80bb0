"""Customers won and lost, and the two costs of acquisition of the course material (001 §2.2.1).

- ``customers_gained``: recipients whose first order ever is one the campaign earned
  (it falls in their attribution window, and no later message's window covers it);
- ``customers_lost``: recipients who were customers when their message was sent (an
  order placed before ``sent_at``) and who unsubscribed or complained about it within
  the attribution window;
- ``cost_per_acquired_customer``, the traditional cost: campaign cost ÷ customers
  gained;
- ``real_acquisition_cost``: (campaign + staff time + service cost) ÷ (customers
  gained + customers lost), exactly as the material writes it. More customers lost
  would make each customer cheaper, so the "+" is probably a transcription error for
  "−": ``[responses] real-cost-denominator = "gained-lost"`` uses that instead.

Money is exact (Decimal), rounded half up to cents. A cost over zero customers (or
a negative denominator) is None: there is no cost per customer to show.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Connection, exists, func, select

from audiences.models import Order
from campaigns.models import Campaign, CampaignEvent, Recipient
from campaigns.reporting.figures import money

LOST_KINDS = ("unsubscribe", "complaint")
CENT = Decimal("0.01")

DENOMINATOR_NOTE = {
    "gained+lost": (
        "real_acquisition_cost divides by (customers gained + customers lost), as the "
        "course material writes it; more customers lost then lowers the cost, so the '+' "
        'may be a transcription error: set [responses] real-cost-denominator = "gained-lost" '
        "to subtract them instead"
    ),
    "gained-lost": (
        "real_acquisition_cost divides by (customers gained - customers lost), "
        '[responses] real-cost-denominator = "gained-lost"; the course material writes '
        "'+', which looks like a transcription error"
    ),
}


def customers_lost(connection: Connection, campaign_id: int, days: int) -> int:
    """Recipients who were customers at their message and unsubscribed or complained after it."""
    was_customer = exists().where(
        Order.contact_id == Recipient.contact_id, Order.ordered_at < Recipient.sent_at
    )
    rows = connection.execute(
        select(Recipient.id, Recipient.sent_at, func.min(CampaignEvent.occurred_at))
        .join(CampaignEvent, CampaignEvent.recipient_id == Recipient.id)
        .where(
            Recipient.campaign_id == campaign_id,
            Recipient.sent_at.is_not(None),
            CampaignEvent.campaign_id == campaign_id,
            CampaignEvent.kind.in_(LOST_KINDS),
            CampaignEvent.occurred_at >= Recipient.sent_at,
            was_customer,
        )
        .group_by(Recipient.id, Recipient.sent_at)
    )
    window = timedelta(days=days)
    return sum(1 for _, sent_at, left in rows if sent_at is not None and left <= sent_at + window)


def _per_customer(cost: Decimal | None, customers: int) -> Decimal | None:
    if cost is None or customers <= 0:
        return None
    return (cost / customers).quantize(CENT, rounding=ROUND_HALF_UP)


def acquisition_costs(
    campaign: Campaign, gained: int, lost: int, denominator: str
) -> dict[str, Any]:
    """The cost figures of the report (money as strings, None where there is none)."""
    parts = (campaign.cost_amount, campaign.cost_staff, campaign.cost_service)
    recorded = any(part is not None for part in parts)
    total = sum((part or Decimal(0) for part in parts), Decimal(0)) if recorded else None
    customers = gained - lost if denominator == "gained-lost" else gained + lost
    return {
        "cost": {
            "amount": money(campaign.cost_amount),
            "staff": money(campaign.cost_staff),
            "service": money(campaign.cost_service),
            "total": money(total),
        },
        "customers_gained": gained,
        "customers_lost": lost,
        "cost_per_acquired_customer": money(_per_customer(campaign.cost_amount, gained)),
        "real_acquisition_cost": money(_per_customer(total, customers)),
        "real_cost_denominator": denominator,
    }
