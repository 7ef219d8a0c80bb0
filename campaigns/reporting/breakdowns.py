"""The report's breakdowns: by tier, by link, and over time.

- ``by_tier``: per tier of the ledger (snapshotted when the send started, so a later
  tier change doesn't move past results; ``none`` for contacts without orders then):
  recipients, sent, unique opens, unique clicks, responses and revenue;
- ``by_link``: clicks and unique clicks per URL, the :data:`TOP_LINKS` most clicked;
- ``over_time``: opens, clicks, responses and unsubscribes per hour (when the events
  span at most :data:`HOURLY_SPAN`) or per day, in UTC, every bucket from the first
  event's to the last's.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Connection, case, distinct, func, select

from audiences.models import TIERS
from campaigns.models import CampaignEvent, Recipient
from campaigns.reporting.figures import money
from campaigns.reporting.revenue import NO_TIER, Revenue

TOP_LINKS = 20
HOURLY_SPAN = timedelta(days=3)
OVER_TIME_KINDS = {
    "open": "opens",
    "click": "clicks",
    "response": "responses",
    "unsubscribe": "unsubscribes",
}
_FORMATS = {
    # (SQLite strftime, PostgreSQL to_char, Python strftime)
    "hour": ("%Y-%m-%d %H:00", "YYYY-MM-DD HH24:00", "%Y-%m-%d %H:00"),
    "day": ("%Y-%m-%d", "YYYY-MM-DD", "%Y-%m-%d"),
}


def _tier_order(tier: str) -> tuple[int, str]:
    return (TIERS.index(tier), "") if tier in TIERS else (len(TIERS) + (tier == NO_TIER), tier)


def by_tier(connection: Connection, campaign_id: int, revenue: Revenue) -> list[dict[str, Any]]:
    """One row per ledger tier, Platinum first and ``none`` last."""
    tier = func.coalesce(Recipient.tier, NO_TIER)
    rows: dict[str, dict[str, Any]] = {}
    for name, recipients, sent in connection.execute(
        select(
            tier,
            func.count(),
            func.coalesce(func.sum(case((Recipient.state == "sent", 1), else_=0)), 0),
        )
        .where(Recipient.campaign_id == campaign_id)
        .group_by(tier)
    ):
        rows[name] = {
            "tier": name,
            "recipients": recipients,
            "sent": int(sent),
            "unique_opens": 0,
            "unique_clicks": 0,
            "responses": revenue.responses_by_tier.get(name, 0),
            "revenue": money(revenue.by_tier.get(name, Decimal(0))),
        }
    engaged = connection.execute(
        select(tier, CampaignEvent.kind, func.count(distinct(CampaignEvent.recipient_id)))
        .join(Recipient, Recipient.id == CampaignEvent.recipient_id)
        .where(CampaignEvent.campaign_id == campaign_id, CampaignEvent.kind.in_(("open", "click")))
        .group_by(tier, CampaignEvent.kind)
    )
    for name, kind, people in engaged:
        if name in rows:
            rows[name]["unique_opens" if kind == "open" else "unique_clicks"] = people
    return [rows[name] for name in sorted(rows, key=_tier_order)]


def by_link(connection: Connection, campaign_id: int) -> list[dict[str, Any]]:
    """Clicks and unique clicks per URL, most clicked first (ties by URL)."""
    clicks = func.count().label("clicks")
    rows = connection.execute(
        select(CampaignEvent.url, clicks, func.count(distinct(CampaignEvent.recipient_id)))
        .where(
            CampaignEvent.campaign_id == campaign_id,
            CampaignEvent.kind == "click",
            CampaignEvent.url.is_not(None),
        )
        .group_by(CampaignEvent.url)
        .order_by(clicks.desc(), CampaignEvent.url)
        .limit(TOP_LINKS)
    )
    return [{"url": url, "clicks": total, "unique_clicks": people} for url, total, people in rows]


def _bucket(connection: Connection, unit: str) -> ColumnElement[str]:
    sqlite_format, postgres_format, _ = _FORMATS[unit]
    if connection.dialect.name == "postgresql":
        return func.to_char(CampaignEvent.occurred_at, postgres_format)
    return func.strftime(sqlite_format, CampaignEvent.occurred_at)


def over_time(connection: Connection, campaign_id: int) -> dict[str, Any]:
    """Events per hour or day: ``{"unit", "timezone", "buckets": [{"start", counts…}]}``."""
    kinds = (CampaignEvent.campaign_id == campaign_id, CampaignEvent.kind.in_(OVER_TIME_KINDS))
    first, last = connection.execute(
        select(func.min(CampaignEvent.occurred_at), func.max(CampaignEvent.occurred_at)).where(
            *kinds
        )
    ).one()
    if first is None or last is None:
        return {"unit": None, "timezone": "UTC", "buckets": []}
    unit = "hour" if last - first <= HOURLY_SPAN else "day"
    bucket = _bucket(connection, unit).label("bucket")
    counts: dict[str, dict[str, int]] = {}
    for start, kind, count in connection.execute(
        select(bucket, CampaignEvent.kind, func.count())
        .where(*kinds)
        .group_by(bucket, CampaignEvent.kind)
    ):
        counts.setdefault(start, {})[OVER_TIME_KINDS[kind]] = count
    buckets = []
    for moment in _steps(first, last, unit):
        start = moment.strftime(_FORMATS[unit][2])
        found = counts.get(start, {})
        buckets.append(
            {"start": start, **{name: found.get(name, 0) for name in OVER_TIME_KINDS.values()}}
        )
    return {"unit": unit, "timezone": "UTC", "buckets": buckets}


def _steps(first: datetime, last: datetime, unit: str) -> list[datetime]:
    """The start of every bucket from ``first``'s to ``last``'s."""
    if unit == "hour":
        moment, step = first.replace(minute=0, second=0, microsecond=0), timedelta(hours=1)
    else:
        moment, step = first.replace(hour=0, minute=0, second=0, microsecond=0), timedelta(days=1)
    steps = []
    while moment <= last:
        steps.append(moment)
        moment += step
    return steps
