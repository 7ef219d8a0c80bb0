"""The report's inline SVG charts: proportional bars, zero data, escaped labels."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from campaigns.web.charts import PLOT_HEIGHT, WIDTH, Series, bar_chart, column_chart

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    """The chart as XML (it must be well-formed to be parsed at all)."""
    return ET.fromstring(str(markup))


def bars(svg: ET.Element) -> list[ET.Element]:
    return [rect for rect in svg.iter(f"{SVG}rect") if rect.get("class") == "bar"]


def test_column_heights_are_proportional_to_the_values() -> None:
    svg = parse(column_chart("Opens", ["09:00", "10:00", "11:00"], [Series("opens", [2, 8, 4])]))
    heights = [float(rect.attrib["height"]) for rect in bars(svg)]
    assert heights == [PLOT_HEIGHT / 4, PLOT_HEIGHT, PLOT_HEIGHT / 2]
    # Every column stands on the same baseline.
    bottoms = {round(float(r.attrib["y"]) + float(r.attrib["height"]), 2) for r in bars(svg)}
    assert len(bottoms) == 1


def test_two_series_share_one_scale() -> None:
    chart = column_chart(
        "Per hour", ["a", "b"], [Series("opens", [10, 5]), Series("clicks", [1, 0])]
    )
    values = {
        (rect.attrib["data-value"], float(rect.attrib["height"])) for rect in bars(parse(chart))
    }
    assert values == {
        ("10", PLOT_HEIGHT),
        ("5", PLOT_HEIGHT / 2),
        ("1", PLOT_HEIGHT / 10),
        ("0", 0.0),
    }


def test_horizontal_bar_lengths_are_proportional_and_leave_room_for_the_value() -> None:
    svg = parse(
        bar_chart("Clicks per link", [("https://a.example/", 6), ("https://b.example/", 3)])
    )
    widths = [float(rect.attrib["width"]) for rect in bars(svg)]
    assert widths[0] == pytest.approx(2 * widths[1])
    assert 0 < widths[0] < WIDTH
    assert [text.text for text in svg.iter(f"{SVG}text") if text.get("class") == "value"] == [
        "6",
        "3",
    ]


def test_all_zero_values_draw_flat_bars_and_say_so() -> None:
    svg = parse(column_chart("Opens", ["a", "b"], [Series("opens", [0, 0])]))
    assert [float(rect.attrib["height"]) for rect in bars(svg)] == [0.0, 0.0]
    assert "Nothing to show yet" in ET.tostring(svg, encoding="unicode")
    flat = parse(bar_chart("Links", [("x", 0)]))
    assert [float(rect.attrib["width"]) for rect in bars(flat)] == [0.0]


def test_no_data_at_all_is_a_small_chart_with_a_message() -> None:
    for chart in (column_chart("Opens", [], []), bar_chart("Links", [])):
        svg = parse(chart)
        assert bars(svg) == []
        assert "Nothing to show yet" in ET.tostring(svg, encoding="unicode")


def test_labels_and_titles_are_escaped() -> None:
    hostile = '<script>alert("x")</script>&"'
    chart = str(bar_chart(f"Links {hostile}", [(f"https://e.example/?a=1&b={hostile}", 1)]))
    assert "<script>" not in chart
    svg = parse(chart)  # still well-formed XML
    assert svg.attrib["aria-label"] == f"Links {hostile}"
    labels = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "label"]
    assert labels == [f"https://e.example/?a=1&b={hostile}"]
    columns = str(column_chart("T", [hostile], [Series(hostile, [1])]))
    assert "<script>" not in columns
    parse(columns)


def test_a_chart_is_an_accessible_image_that_scales() -> None:
    svg = parse(column_chart("Opens and clicks per hour", ["a"], [Series("opens", [1])]))
    assert svg.attrib["role"] == "img"
    assert svg.attrib["aria-label"] == "Opens and clicks per hour"
    assert svg.find(f"{SVG}title") is not None
    assert svg.attrib["viewBox"].startswith(f"0 0 {WIDTH} ")
    assert svg.attrib["width"] == "100%"


def test_many_buckets_get_only_a_few_labels() -> None:
    labels = [f"{hour:02d}:00" for hour in range(48)]
    svg = parse(column_chart("Opens", labels, [Series("opens", list(range(48)))]))
    ticks = [t for t in svg.iter(f"{SVG}text") if t.get("class") == "tick"]
    assert 2 <= len(ticks) <= 6
    assert len(bars(svg)) == 48


def test_a_series_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(ValueError, match="has 1 values for 2"):
        column_chart("Opens", ["a", "b"], [Series("opens", [1])])


def test_long_labels_are_cut_but_kept_whole_in_the_tooltip() -> None:
    url = "https://shop.example.com/" + "x" * 200
    svg = parse(bar_chart("Links", [(url, 4)]))
    label = next(t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "label")
    assert label is not None and label.endswith("…") and len(label) == 60
    tooltip = next(g.find(f"{SVG}title") for g in svg.iter(f"{SVG}g") if g.get("class") == "row")
    assert tooltip is not None and tooltip.text == f"{url}: 4"
