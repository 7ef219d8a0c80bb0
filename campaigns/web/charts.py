"""Charts as inline SVG, drawn on the server: no JavaScript library, no external file.

Each chart is an ``<svg role="img">`` with an ``aria-label`` and a ``<title>``, sized by
its ``viewBox`` so that CSS ``width: 100%`` scales it to any screen. A chart says what
it shows, but only roughly: the page puts the same numbers in a table for screen
readers and for anyone who wants them exact.

- :func:`column_chart`: one column per bucket (per series), for counts over time;
- :func:`bar_chart`: horizontal bars with their label above them, for long labels
  such as URLs or tier names.

Bars are proportional to their value over the largest value; with nothing but zeros
every bar is flat and the chart says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import ceil

from markupsafe import Markup, escape

WIDTH = 400
FONT_SIZE = 11
# Columns: the plot area's height, and room for the y labels (left) and x labels (below).
PLOT_HEIGHT = 160
AXIS_LEFT = 36
AXIS_BOTTOM = 22
LEGEND_HEIGHT = 20
# At most this many x labels, so they never overlap.
MAX_TICKS = 6
# A column is never wider than this, so a chart of one bucket isn't a wall of colour.
MAX_COLUMN = 28
# Bars: the height of one row (label line plus bar), and of the bar itself.
ROW_HEIGHT = 34
BAR_HEIGHT = 14
# Room right of the longest bar for its value.
VALUE_ROOM = 56
# Labels longer than this are cut (the full text is in the bar's tooltip and the table).
LABEL_CHARS = 60
COLOURS = ("#1f5fbf", "#d97706", "#1b7a3c", "#7c3aed")
NO_DATA = "Nothing to show yet"


@dataclass(frozen=True)
class Series:
    """One named row of values, one per bucket of a column chart."""

    name: str
    values: Sequence[int]


def scaled(value: int, largest: int, length: float) -> float:
    """``value``'s share of ``length``, where ``largest`` fills it; 0 when all are 0."""
    if largest <= 0 or value <= 0:
        return 0.0
    return round(value * length / largest, 2)


def _clip(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _count(value: int) -> str:
    return f"{value:,}"


def _svg(title: str, height: float, body: list[str]) -> Markup:
    label = escape(title)
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height:g}" width="100%" '
        f'role="img" aria-label="{label}" font-size="{FONT_SIZE}" '
        f'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{label}</title>{''.join(body)}</svg>"
    )


def _empty(title: str) -> Markup:
    return _svg(
        title,
        40,
        [f'<text x="{WIDTH / 2:g}" y="24" text-anchor="middle" fill="#5b6475">{NO_DATA}</text>'],
    )


def column_chart(title: str, labels: Sequence[str], series: Sequence[Series]) -> Markup:
    """Columns per bucket, one per series side by side, with a legend and two y labels.

    ``labels`` names each bucket (short: they are written under the columns, thinned
    out when there are many). Every series has one value per label.
    """
    for one in series:
        if len(one.values) != len(labels):
            raise ValueError(f"series {one.name!r} has {len(one.values)} values for {len(labels)}")
    if not labels or not series:
        return _empty(title)
    largest = max(max(one.values, default=0) for one in series)
    top = LEGEND_HEIGHT
    bottom = top + PLOT_HEIGHT
    slot = (WIDTH - AXIS_LEFT) / len(labels)
    gap = min(4.0, slot * 0.2)
    column = min(MAX_COLUMN, (slot - gap) / len(series))
    group = column * len(series)
    body = [_legend([one.name for one in series])]
    body.append(
        f'<line x1="{AXIS_LEFT}" y1="{bottom}" x2="{WIDTH}" y2="{bottom}" stroke="#9aa3b2"/>'
    )
    body.append(_y_label(0, bottom))
    if largest > 0:
        body.append(
            f'<line x1="{AXIS_LEFT}" y1="{top}" x2="{WIDTH}" y2="{top}" '
            f'stroke="#d7dce4" stroke-dasharray="3 3"/>'
        )
        body.append(_y_label(largest, top))
    else:
        body.append(
            f'<text x="{(AXIS_LEFT + WIDTH) / 2:g}" y="{top + PLOT_HEIGHT / 2:g}" '
            f'text-anchor="middle" fill="#5b6475">{NO_DATA}</text>'
        )
    every = max(1, ceil(len(labels) / MAX_TICKS))
    for index, label in enumerate(labels):
        left = AXIS_LEFT + index * slot + (slot - group) / 2
        for number, one in enumerate(series):
            value = one.values[index]
            height = scaled(value, largest, PLOT_HEIGHT)
            body.append(
                f'<rect class="bar" x="{left + number * column:.2f}" y="{bottom - height:.2f}" '
                f'width="{column:.2f}" height="{height:.2f}" '
                f'fill="{COLOURS[number % len(COLOURS)]}" data-value="{value}">'
                f"<title>{escape(label)}: {_count(value)} {escape(one.name)}</title></rect>"
            )
        if index % every == 0:
            body.append(
                f'<text class="tick" x="{left + group / 2:.2f}" y="{bottom + 15}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    return _svg(title, bottom + AXIS_BOTTOM, body)


def _y_label(value: int, y: float) -> str:
    return (
        f'<text x="{AXIS_LEFT - 4}" y="{y + 4:g}" text-anchor="end" '
        f'fill="#5b6475">{_count(value)}</text>'
    )


def _legend(names: Sequence[str]) -> str:
    items = []
    left = float(AXIS_LEFT)
    for number, name in enumerate(names):
        colour = COLOURS[number % len(COLOURS)]
        items.append(
            f'<rect x="{left:g}" y="4" width="10" height="10" fill="{colour}"/>'
            f'<text x="{left + 14:g}" y="13">{escape(name)}</text>'
        )
        left += 24 + len(name) * FONT_SIZE * 0.6
    return f'<g class="legend">{"".join(items)}</g>'


def bar_chart(title: str, rows: Sequence[tuple[str, int]]) -> Markup:
    """One horizontal bar per ``(label, value)`` row, in the order given, label above bar."""
    if not rows:
        return _empty(title)
    largest = max(value for _, value in rows)
    room = WIDTH - VALUE_ROOM
    body = []
    for index, (label, value) in enumerate(rows):
        top = index * ROW_HEIGHT
        length = scaled(value, largest, room)
        body.append(
            f'<g class="row"><title>{escape(label)}: {_count(value)}</title>'
            f'<text class="label" x="0" y="{top + 12}">{escape(_clip(label))}</text>'
            f'<rect class="bar" x="0" y="{top + 16}" width="{length:.2f}" '
            f'height="{BAR_HEIGHT}" fill="{COLOURS[0]}" data-value="{value}"/>'
            f'<text class="value" x="{length + 4:.2f}" y="{top + 27}">{_count(value)}</text></g>'
        )
    return _svg(title, len(rows) * ROW_HEIGHT, body)
