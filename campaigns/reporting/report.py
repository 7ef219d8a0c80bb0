"""Assembling the campaign report from its parts (figures, revenue, costs, breakdowns)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, func, select

from campaigns.models import Campaign, Recipient
from campaigns.reporting.breakdowns import by_link, by_tier, over_time
from campaigns.reporting.costs import (
    DENOMINATOR_NOTE,
    acquisition_costs,
    cost_source_note,
    customers_lost,
)
from campaigns.reporting.figures import (
    engagement_figures,
    event_counts,
    ledger_figures,
    money,
    rates,
)
from campaigns.reporting.options import ReportOptions, options_in_force
from campaigns.reporting.revenue import campaign_revenue
from campaigns.reporting.sections import EXTRA_SECTIONS, ReportSection
from campaigns.responses.attribution import attribute

# Distinct failure and bounce reasons listed in a report.
TOP_REASONS = 10


def _iso(value: Any) -> str | None:
    return value.isoformat(sep=" ", timespec="seconds") if value is not None else None


def campaign_report(
    connection: Connection,
    campaign: Campaign,
    options: ReportOptions | None = None,
    sections: Sequence[ReportSection] | None = None,
) -> dict[str, Any]:
    """The report as a JSON-ready dict; see :mod:`campaigns.reporting.figures` for definitions.

    ``options`` default to the configuration in force (:func:`options_in_force`);
    ``sections`` (default :data:`EXTRA_SECTIONS`) add parts such as the A/B test, each
    under its key.
    """
    options = options or options_in_force()
    figures: dict[str, int] = ledger_figures(connection, campaign.id)
    figures.update(engagement_figures(event_counts(connection, campaign.id)))
    attribution = attribute(connection, campaign, options.attribution_days)
    revenue = campaign_revenue(connection, campaign.id, attribution, options.currency)
    figures["responses"] = revenue.responses
    figures["attributed_orders"] = revenue.attributed_orders
    costs = acquisition_costs(
        campaign,
        gained=len(attribution.first_orders),
        lost=customers_lost(connection, campaign.id, attribution.days),
        denominator=options.real_cost_denominator,
        responses=revenue.responses,
        letters_sent=figures["sent"],
        letters=options.letters,
    )
    report: dict[str, Any] = {
        "campaign": campaign.name,
        "channel": campaign.channel,
        "state": campaign.state,
        "segment": campaign.segment,
        "started_at": _iso(campaign.started_at),
        "finished_at": _iso(campaign.finished_at),
        "forced_reason": campaign.forced_reason,
        **figures,
        **rates(figures),
        "attribution_days": attribution.days,
        "currency": options.currency,
        "revenue": money(revenue.by_currency.get(options.currency)) or "0.00",
        "revenue_by_currency": {
            currency: money(amount) for currency, amount in sorted(revenue.by_currency.items())
        },
        **costs,
        "by_tier": by_tier(connection, campaign.id, revenue),
        "by_link": by_link(connection, campaign.id),
        "over_time": over_time(connection, campaign.id),
        "reasons": _reasons(connection, campaign.id),
    }
    for section in EXTRA_SECTIONS if sections is None else sections:
        built = section.build(connection, campaign)
        if built is not None:
            report[section.key] = built
    report["notes"] = _notes(report, options)
    return report


def _reasons(connection: Connection, campaign_id: int) -> list[dict[str, Any]]:
    """Why messages failed, bounced or were skipped: the commonest reasons first."""
    rows = connection.execute(
        select(Recipient.state, Recipient.detail, func.count().label("count"))
        .where(
            Recipient.campaign_id == campaign_id,
            Recipient.state.in_(("failed", "bounced", "skipped")),
        )
        .group_by(Recipient.state, Recipient.detail)
        .order_by(func.count().desc(), Recipient.state, Recipient.detail)
        .limit(TOP_REASONS)
    ).all()
    return [
        {"state": state, "reason": detail or "", "count": count} for state, detail, count in rows
    ]


def _notes(report: dict[str, Any], options: ReportOptions) -> list[str]:
    """What a reader needs to read the figures right."""
    notes = [
        f"orders count for the campaign up to {report['attribution_days']} days after the "
        "message (the most recent message wins when several windows cover an order); an "
        "order recorded as a response is counted once",
    ]
    others = sorted(set(report["revenue_by_currency"]) - {options.currency})
    if others:
        notes.append(
            f"revenue counts {options.currency} only; amounts in {', '.join(others)} are "
            "in revenue_by_currency and are not converted"
        )
    source = cost_source_note(report)
    if source is not None:
        notes.append(source)
    elif report["cost"]["total"] is None:
        notes.append(
            f"no cost recorded: `hookline campaign cost {report['campaign']} --amount X` "
            "gives the acquisition costs"
        )
    notes.append(DENOMINATOR_NOTE[report["real_cost_denominator"]])
    return notes
