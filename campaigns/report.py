"""What a campaign did: recipients by state, and why messages failed or bounced."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from campaigns import ledger
from campaigns.models import RECIPIENT_STATES as STATES
from campaigns.models import Campaign, Recipient

# Distinct failure and bounce reasons listed in a report.
TOP_REASONS = 10


def _iso(value: Any) -> str | None:
    return value.isoformat(sep=" ", timespec="seconds") if value is not None else None


def campaign_report(connection: Connection, campaign: Campaign) -> dict[str, Any]:
    """The report as a JSON-ready dict (``recipients`` and one count per state)."""
    counts = ledger.state_counts(connection, campaign.id)
    figures = {state: counts.get(state, 0) for state in STATES}
    recipients = sum(figures.values())
    reasons = connection.execute(
        select(Recipient.state, Recipient.detail, func.count().label("count"))
        .where(
            Recipient.campaign_id == campaign.id,
            Recipient.state.in_(("failed", "bounced", "skipped")),
        )
        .group_by(Recipient.state, Recipient.detail)
        .order_by(func.count().desc(), Recipient.state)
        .limit(TOP_REASONS)
    ).all()
    delivered_share = figures["sent"] / recipients if recipients else 0.0
    return {
        "campaign": campaign.name,
        "channel": campaign.channel,
        "state": campaign.state,
        "segment": campaign.segment,
        "started_at": _iso(campaign.started_at),
        "finished_at": _iso(campaign.finished_at),
        "forced_reason": campaign.forced_reason,
        "recipients": recipients,
        **figures,
        "delivery_rate": round(delivered_share, 4),
        "reasons": [
            {"state": state, "reason": detail or "", "count": count}
            for state, detail, count in reasons
        ],
    }


def render_report(report: dict[str, Any]) -> str:
    """The report as aligned text."""
    lines = [
        f"Campaign {report['campaign']} ({report['channel']}, {report['state']})",
        f"  segment      {report['segment'] or '(everyone sendable)'}",
    ]
    if report["started_at"]:
        lines.append(f"  started      {report['started_at']} UTC")
    if report["finished_at"]:
        lines.append(f"  finished     {report['finished_at']} UTC")
    if report["forced_reason"]:
        lines.append(f"  lint gate    overridden: {report['forced_reason']}")
    lines.append(f"  recipients   {report['recipients']:>9,}")
    for state in STATES:
        if report[state] or state in ("sent", "failed", "bounced", "skipped"):
            lines.append(f"  {state:<12} {report[state]:>9,}")
    lines.append(f"  delivered    {report['delivery_rate']:>9.1%}")
    if report["reasons"]:
        lines.append("Reasons:")
        lines.extend(
            f"  {item['count']:>7,}  {item['state']:<8} {item['reason']}"
            for item in report["reasons"]
        )
    return "\n".join(lines)
