"""The report page's costs form: read it as ``hookline campaign cost`` reads its options.

The amount is required; staff and service left empty keep what was recorded (0
clears them). Amounts are non-negative with at most two decimals, read by the
conversions' :func:`~campaigns.responses.conversions.parse_amount`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy.orm import Session

from campaigns.campaign_store import get_campaign
from campaigns.responses.conversions import ConversionError, parse_amount

# Form field -> the campaign column `campaign cost` sets.
COLUMNS = {"amount": "cost_amount", "staff": "cost_staff", "service": "cost_service"}


@dataclass
class CostForm:
    """What was typed, what it means, and what is wrong with it (by field)."""

    written: dict[str, str] = field(default_factory=dict)
    amounts: dict[str, Decimal | None] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def read_cost_form(form: Mapping[str, object]) -> CostForm:
    """The three amounts of the form, with one message per field that is wrong."""
    result = CostForm()
    for name in COLUMNS:
        value = form.get(name)
        written = value.strip() if isinstance(value, str) else ""
        result.written[name] = written
        if written.startswith("-"):
            result.errors[name] = "A cost can't be negative."
            continue
        try:
            result.amounts[name] = parse_amount(written)
        except ConversionError as exc:
            reason = str(exc).removeprefix("amount: ")
            result.errors[name] = f"{reason[:1].upper()}{reason[1:]}."
    if "amount" not in result.errors and result.amounts.get("amount") is None:
        result.errors["amount"] = "Give the campaign's cost, such as 30000000 or 30,000,000."
    return result


def record_costs(session: Session, name: str, amounts: Mapping[str, Decimal | None]) -> None:
    """Set the campaign's cost columns that have an amount (as `campaign cost` does).

    Raises :class:`campaigns.campaign_store.CampaignError` for an unknown campaign.
    """
    campaign = get_campaign(session, name)
    for key, column in COLUMNS.items():
        value = amounts.get(key)
        if value is not None:
            setattr(campaign, column, value)
