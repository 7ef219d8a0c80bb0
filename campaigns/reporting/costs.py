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

- ``cost_per_response``: campaign cost ÷ responses (recipients who brought their offer
  code back), for every campaign.

The campaign cost is what ``hookline campaign cost`` recorded. A letter campaign with
no recorded cost is costed from the configuration instead: letters sent × (``[letters]
print-cost`` + ``postage``); ``cost_source`` says which (``recorded``, ``letters``, or
None when there is no cost). Per-letter costs of 0, the defaults, mean "not set".

Money is exact (Decimal), rounded half up to cents. A cost over zero customers (or
a negative denominator) is None: there is no cost per customer to show.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
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


@dataclass(frozen=True)
class LetterCosts:
    """What printing and posting one letter costs (``[letters] print-cost``, ``postage``)."""

    print_cost: Decimal = Decimal(0)
    postage: Decimal = Decimal(0)

    @property
    def per_letter(self) -> Decimal:
        """Printing plus postage."""
        return self.print_cost + self.postage


def campaign_cost(
    campaign: Campaign, letters_sent: int, letters: LetterCosts
) -> tuple[Decimal | None, str | None]:
    """The campaign's own cost and where it comes from: ``recorded``, ``letters`` or None."""
    if campaign.cost_amount is not None:
        return campaign.cost_amount, "recorded"
    if campaign.channel == "letter" and letters.per_letter > 0:
        return letters_sent * letters.per_letter, "letters"
    return None, None


def acquisition_costs(
    campaign: Campaign,
    gained: int,
    lost: int,
    denominator: str,
    responses: int = 0,
    letters_sent: int = 0,
    letters: LetterCosts | None = None,
) -> dict[str, Any]:
    """The cost figures of the report (money as strings, None where there is none).

    ``letters_sent`` and ``letters`` cost a letter campaign that has no recorded cost.
    """
    letters = letters or LetterCosts()
    amount, source = campaign_cost(campaign, letters_sent, letters)
    parts = (amount, campaign.cost_staff, campaign.cost_service)
    recorded = any(part is not None for part in parts)
    total = sum((part or Decimal(0) for part in parts), Decimal(0)) if recorded else None
    customers = gained - lost if denominator == "gained-lost" else gained + lost
    costs: dict[str, Any] = {
        "cost": {
            "amount": money(amount),
            "staff": money(campaign.cost_staff),
            "service": money(campaign.cost_service),
            "total": money(total),
        },
        "cost_source": source,
        "customers_gained": gained,
        "customers_lost": lost,
        "cost_per_response": money(_per_customer(amount, responses)),
        "cost_per_acquired_customer": money(_per_customer(amount, gained)),
        "real_acquisition_cost": money(_per_customer(total, customers)),
        "real_cost_denominator": denominator,
    }
    if source == "letters":
        costs["letter_costs"] = {
            "letters_sent": letters_sent,
            "print_cost": money(letters.print_cost),
            "postage": money(letters.postage),
            "per_letter": money(letters.per_letter),
        }
    return costs


def cost_source_note(report: Mapping[str, Any]) -> str | None:
    """Where the campaign cost came from, for the report's notes; None without a cost."""
    if report["cost_source"] == "recorded":
        return "the campaign cost is the amount recorded with `hookline campaign cost`"
    if report["cost_source"] == "letters":
        letters = report["letter_costs"]
        return (
            f"the campaign cost is computed from [letters] in the config: "
            f"{letters['letters_sent']:,} letters sent × ({letters['print_cost']} print-cost + "
            f"{letters['postage']} postage); `hookline campaign cost` replaces it"
        )
    if report["channel"] == "letter":
        return (
            f"no cost recorded: `hookline campaign cost {report['campaign']} --amount X`, "
            "or [letters] print-cost and postage in the config, give the cost figures"
        )
    return None
