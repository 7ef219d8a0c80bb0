"""The campaign report as aligned, plain text (no colour, so it pipes and diffs cleanly)."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from campaigns.reporting.sections import EXTRA_SECTIONS, ReportSection

NOT_AVAILABLE = "n/a"
BAR_WIDTH = 24
BAR = "█"
# Ledger states shown even when zero; the others (queued, held, sending) only when not.
ALWAYS_SHOWN = ("sent", "bounced", "failed", "skipped")
TRANSIENT = ("queued", "held", "sending")
LABEL = 28
# Empty buckets in a row shown as one line.
QUIET_RUN = 3
# Notes are wrapped to this width.
NOTE_WIDTH = 88


def _percent(value: float | None) -> str:
    return NOT_AVAILABLE if value is None else f"{value:.2%}"


def _money(value: str | None) -> str:
    return NOT_AVAILABLE if value is None else f"{Decimal(value):,.2f}"


def _line(label: str, value: object, *rest: str) -> str:
    text = f"  {label:<{LABEL}}{value!s:>16}"
    return "   ".join([text, *rest]).rstrip() if rest else text


def _count(value: int) -> str:
    return f"{value:,}"


def table(header: Sequence[str], rows: Sequence[Sequence[str]], align: str) -> list[str]:
    """Rows under a header; ``align`` has one letter per column, ``l`` (left) or ``r`` (right)."""
    widths = [max(len(cells[i]) for cells in (header, *rows)) for i in range(len(header))]

    def cells(values: Sequence[str]) -> str:
        return "  ".join(
            value.ljust(width) if side == "l" else value.rjust(width)
            for value, width, side in zip(values, widths, align, strict=True)
        ).rstrip()

    return ["  " + cells(header), *("  " + cells(row) for row in rows)]


def _head(report: dict[str, Any]) -> list[str]:
    lines = [
        f"Campaign {report['campaign']} ({report['channel']}, {report['state']})",
        f"  {'segment':<{LABEL}}{report['segment'] or '(everyone sendable)'}",
    ]
    if report["started_at"]:
        lines.append(f"  {'started':<{LABEL}}{report['started_at']} UTC")
    if report["finished_at"]:
        lines.append(f"  {'finished':<{LABEL}}{report['finished_at']} UTC")
    if report["forced_reason"]:
        lines.append(f"  {'lint gate':<{LABEL}}overridden: {report['forced_reason']}")
    return lines


def _delivery(report: dict[str, Any]) -> list[str]:
    attempted = report["sent"] + report["bounced"] + report["failed"]
    lines = ["", "Delivery", _line("recipients", _count(report["recipients"]))]
    for state in (*ALWAYS_SHOWN, *TRANSIENT):
        if state in ALWAYS_SHOWN or report[state]:
            extra = []
            if state == "sent":
                extra.append(f"{_percent(report['delivery_rate'])} delivered")
            elif state == "bounced":
                extra.append(f"{_percent(report['bounce_rate'])} of {attempted:,} attempted")
            lines.append(_line(state, _count(report[state]), *extra))
    return lines


def _engagement(report: dict[str, Any]) -> list[str]:
    return [
        "",
        f"Engagement (rates over {report['sent']:,} delivered)",
        _line(
            "opens",
            _count(report["opens"]),
            f"unique {report['unique_opens']:,}",
            f"open rate {_percent(report['open_rate'])}",
        ),
        _line(
            "clicks",
            _count(report["clicks"]),
            f"unique {report['unique_clicks']:,}",
            f"click rate {_percent(report['click_rate'])}",
            f"click-to-open {_percent(report['click_to_open'])}",
        ),
        _line(
            "unsubscribes",
            _count(report["unsubscribes"]),
            _percent(report["unsubscribe_rate"]),
        ),
        _line("complaints", _count(report["complaints"]), _percent(report["complaint_rate"])),
        _line("replies", _count(report["replies"])),
        _line("soft bounces", _count(report["soft_bounces"])),
    ]


def _responses(report: dict[str, Any]) -> list[str]:
    currency = report["currency"]
    lines = [
        "",
        f"Responses and revenue (orders up to {report['attribution_days']} days after the message)",
        _line("responses", _count(report["responses"]), _percent(report["response_rate"])),
        _line("attributed orders", _count(report["attributed_orders"])),
        _line("revenue", _money(report["revenue"]), currency),
    ]
    for other, amount in report["revenue_by_currency"].items():
        if other != currency:
            lines.append(_line("also", _money(amount), other))
    return lines


def _cost_source(report: dict[str, Any]) -> list[str]:
    """Where the campaign cost came from, beside its figure."""
    source = report.get("cost_source")
    if source == "recorded":
        return ["recorded (campaign cost)"]
    if source == "letters":
        letters = report["letter_costs"]
        return [
            f"{letters['letters_sent']:,} letters × {_money(letters['per_letter'])} "
            f"({_money(letters['print_cost'])} print + {_money(letters['postage'])} postage, "
            "[letters])"
        ]
    return []


def _costs(report: dict[str, Any]) -> list[str]:
    cost = report["cost"]
    currency = report["currency"]
    denominator = (
        "gained - lost" if report["real_cost_denominator"] == "gained-lost" else "gained + lost"
    )
    return [
        "",
        f"Costs ({currency})",
        _line("campaign", _money(cost["amount"]), *_cost_source(report)),
        _line("staff time", _money(cost["staff"])),
        _line("service", _money(cost["service"])),
        _line("customers gained", _count(report["customers_gained"])),
        _line("customers lost", _count(report["customers_lost"])),
        _line(
            "cost per response",
            _money(report["cost_per_response"]),
            "campaign ÷ responses",
        ),
        _line(
            "cost per acquired customer",
            _money(report["cost_per_acquired_customer"]),
            "campaign ÷ gained",
        ),
        _line(
            "real acquisition cost",
            _money(report["real_acquisition_cost"]),
            f"(campaign + staff + service) ÷ ({denominator})",
        ),
    ]


def _by_tier(report: dict[str, Any]) -> list[str]:
    if not report["by_tier"]:
        return []
    header = ("tier", "recipients", "sent", "opens", "clicks", "responses", "revenue")
    rows = [
        (
            row["tier"],
            _count(row["recipients"]),
            _count(row["sent"]),
            _count(row["unique_opens"]),
            _count(row["unique_clicks"]),
            _count(row["responses"]),
            _money(row["revenue"]),
        )
        for row in report["by_tier"]
    ]
    return ["", "By tier (unique opens and clicks)", *table(header, rows, "lrrrrrr")]


def _by_link(report: dict[str, Any]) -> list[str]:
    if not report["by_link"]:
        return []
    rows = [
        (_count(row["clicks"]), _count(row["unique_clicks"]), row["url"])
        for row in report["by_link"]
    ]
    return ["", "Top links", *table(("clicks", "unique", "url"), rows, "rrl")]


def _over_time(report: dict[str, Any]) -> list[str]:
    timeline = report["over_time"]
    if not timeline["buckets"]:
        return []
    names = ("opens", "clicks", "responses", "unsubscribes")
    totals = [sum(bucket[name] for name in names) for bucket in timeline["buckets"]]
    most = max(totals) or 1
    rows: list[tuple[str, ...]] = []
    quiet: list[str] = []

    def end_quiet() -> None:
        # A long quiet stretch is one line, so the active buckets stay on one screen.
        if len(quiet) >= QUIET_RUN:
            unit = timeline["unit"] + "s"
            rows.append((f"… {len(quiet)} {unit} without events", "", "", "", "", ""))
        else:
            rows.extend((start, "0", "0", "0", "0", "") for start in quiet)
        quiet.clear()

    for bucket, total in zip(timeline["buckets"], totals, strict=True):
        if not total:
            quiet.append(bucket["start"])
            continue
        end_quiet()
        bar = BAR * (round(total * BAR_WIDTH / most) or 1)
        rows.append((bucket["start"], *(_count(bucket[name]) for name in names), bar))
    end_quiet()
    lines = table(("start", *names, ""), [row for row in rows if row[1]], "lrrrrl")
    # Quiet-stretch lines span the columns: put them back in place, unpadded.
    counted = iter(lines[1:])
    body = [next(counted) if row[1] else f"  {row[0]}" for row in rows]
    return ["", f"Over time (per {timeline['unit']}, {timeline['timezone']})", lines[0], *body]


def _reasons(report: dict[str, Any]) -> list[str]:
    if not report["reasons"]:
        return []
    return [
        "",
        "Reasons:",
        *(
            f"  {item['count']:>7,}  {item['state']:<8} {item['reason']}"
            for item in report["reasons"]
        ),
    ]


def render_report(report: dict[str, Any], sections: Sequence[ReportSection] | None = None) -> str:
    """The report as aligned text; rates and costs that can't be computed read "n/a"."""
    lines = [
        *_head(report),
        *_delivery(report),
        *_engagement(report),
        *_responses(report),
        *_costs(report),
        *_by_tier(report),
        *_by_link(report),
        *_over_time(report),
        *_reasons(report),
    ]
    for section in EXTRA_SECTIONS if sections is None else sections:
        if report.get(section.key) is not None:
            lines.extend(["", section.title, *section.render(report[section.key])])
    if report.get("notes"):
        lines.extend(["", "Notes"])
        for note in report["notes"]:
            lines.extend(
                textwrap.wrap(note, NOTE_WIDTH, initial_indent="  - ", subsequent_indent="    ")
            )
    return "\n".join(lines)
