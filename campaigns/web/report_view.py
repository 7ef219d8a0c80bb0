"""The campaign report dict as the report page shows it: figures as text, and its charts.

The numbers read as in ``hookline campaign report``'s text: counts with thousands
separators, rates as percentages with two decimals, money with two decimals, and
"n/a" for a rate or cost that can't be computed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from markupsafe import Markup

from campaigns.reporting.sections import EXTRA_SECTIONS
from campaigns.web.charts import Series, bar_chart, column_chart

NOT_AVAILABLE = "n/a"
# Ledger states shown only when some recipients are in them.
TRANSIENT_STATES = ("queued", "held", "sending")
OVER_TIME_CHARTED = ("opens", "clicks")
TIER_CHARTED = (("sent", "sent"), ("unique_opens", "opened"), ("unique_clicks", "clicked"))


def count(value: int) -> str:
    """A count with thousands separators."""
    return f"{value:,}"


def percent(value: float | None) -> str:
    """A rate as a percentage with two decimals, or "n/a"."""
    return NOT_AVAILABLE if value is None else f"{value:.2%}"


def money(value: str | None) -> str:
    """An amount (the report keeps money as text) with separators, or "n/a"."""
    return NOT_AVAILABLE if value is None else f"{Decimal(value):,.2f}"


def attempted(report: dict[str, Any]) -> int:
    """Messages the server was asked to take: sent, bounced and failed."""
    return int(report["sent"] + report["bounced"] + report["failed"])


def denominator(report: dict[str, Any]) -> str:
    """The real acquisition cost's denominator, in words."""
    if report["real_cost_denominator"] == "gained-lost":
        return "customers gained − customers lost"
    return "customers gained + customers lost"


def cost_source(report: dict[str, Any]) -> str:
    """Where the campaign's own cost comes from, in a few words ("" when there is none)."""
    source = report.get("cost_source")
    if source == "recorded":
        return "recorded here or with `hookline campaign cost`"
    if source == "letters":
        letters = report["letter_costs"]
        return (
            f"{count(letters['letters_sent'])} letters × {money(letters['per_letter'])} "
            "([letters] print-cost + postage)"
        )
    return ""


def _tick(start: str, unit: str | None) -> str:
    """A bucket's start, short enough to sit under a column: the hour, or month-day."""
    return start[-5:] if unit == "hour" else start[5:]


def over_time_chart(report: dict[str, Any]) -> Markup:
    """Opens and clicks per hour or day, as columns."""
    timeline = report["over_time"]
    buckets = timeline["buckets"]
    unit = timeline["unit"] or "hour"
    return column_chart(
        f"Opens and clicks per {unit} ({timeline['timezone']})",
        [_tick(bucket["start"], timeline["unit"]) for bucket in buckets],
        [Series(name, [bucket[name] for bucket in buckets]) for name in OVER_TIME_CHARTED],
    )


def by_tier_chart(report: dict[str, Any]) -> Markup:
    """Per tier: sent, and recipients who opened and who clicked."""
    tiers = report["by_tier"]
    return column_chart(
        "Sent, opened and clicked by customer tier",
        [row["tier"] for row in tiers],
        [Series(label, [row[key] for row in tiers]) for key, label in TIER_CHARTED],
    )


def by_link_chart(report: dict[str, Any]) -> Markup:
    """Clicks per link, the most clicked first (the report keeps the top 20)."""
    return bar_chart("Clicks per link", [(row["url"], row["clicks"]) for row in report["by_link"]])


def extra_sections(report: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """The report's extra parts (the A/B test) as the text report writes them."""
    return [
        (section.title, section.render(report[section.key]))
        for section in EXTRA_SECTIONS
        if report.get(section.key) is not None
    ]


def view_helpers() -> dict[str, Any]:
    """What the report templates call, by name."""
    return {
        "count": count,
        "percent": percent,
        "money": money,
        "attempted": attempted,
        "denominator": denominator,
        "cost_source": cost_source,
        "transient_states": TRANSIENT_STATES,
    }
