"""The text part derived once per campaign says exactly what converting each message says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaigns.render.campaign_template import CampaignTemplate
from campaigns.render.text_part import text_part

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "templates").glob("*/*.html.j2"))

values = st.one_of(
    st.none(),
    st.just("https://x.example/a?b=1&c=2"),
    st.lists(
        st.sampled_from([*"aĐứ <>&\"'\n\t  -", "https://x.example/a?b=1&c=2", "word"]),
        max_size=12,
    ).map("".join),
)

# Addresses never hold line breaks; any other text may appear in a link's address.
urls = st.one_of(
    st.none(),
    st.lists(st.sampled_from([*"aĐ<>&\"'-/:?=", "https://x.example/", "%20"]), max_size=8).map(
        "".join
    ),
)


def _compile(source: str, path: str = "t.html.j2") -> CampaignTemplate:
    return CampaignTemplate.compile(source, path)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_example_template_derives_its_text_part_once(path: Path) -> None:
    assert _compile(path.read_text(encoding="utf-8"), str(path)).text_derived_once


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first_name=values, city=values, genre=values, view_url=urls, code=values)
def test_the_derived_text_equals_converting_the_rendered_html(
    path: Path, first_name: Any, city: Any, genre: Any, view_url: Any, code: Any
) -> None:
    template = _compile(path.read_text(encoding="utf-8"), str(path))
    context = {
        "first_name": first_name,
        "city": city,
        "attrs": {"favourite_genre": genre},
        "view_url": view_url,
        "unsubscribe_url": "https://hooks.example.com/u/1.abc",
        "offer_code": code,
    }
    rendered = template.render(context)
    assert rendered.html is not None
    assert rendered.text == text_part(rendered.html)


PAGE = """+++
subject = "Hi"
+++
<html><body>{body}</body></html>
"""


@pytest.mark.parametrize(
    "body",
    [
        "<p>Hi {{ first_name }},</p>{% if vip %}<p>Gold</p><p>More</p>{% endif %}<p>Bye</p>",
        "<ul>{% for tag in tags %}<li>{{ tag }}</li>{% endfor %}</ul><p>End</p>",
        '<p><a href="{{ link }}">{{ link }}</a> and <a href="mailto:{{ email }}">write</a></p>',
        "<p>One<br>{{ first_name }}<br/>Three</p>",
    ],
)
@pytest.mark.parametrize(
    "context",
    [
        {
            "first_name": "An",
            "vip": True,
            "tags": ["jazz", "vip"],
            "link": "https://a.example/x",
            "email": "an@example.com",
        },
        {"first_name": None, "vip": False, "tags": [], "link": "", "email": ""},
    ],
)
def test_branches_loops_links_and_breaks_render_like_the_converter(
    body: str, context: dict[str, Any]
) -> None:
    template = _compile(PAGE.format(body=body))
    rendered = template.render(context)
    assert rendered.html is not None
    assert rendered.text == text_part(rendered.html)


@pytest.mark.parametrize(
    "body",
    [
        "<p>{{ first_name | safe }}</p>",
        "<pre>{{ first_name }}   spaced</pre>",
    ],
)
def test_templates_the_derivation_cannot_follow_convert_each_message(body: str) -> None:
    template = _compile(PAGE.format(body=body))
    assert not template.text_derived_once
    rendered = template.render({"first_name": "<b>An</b>"})
    assert rendered.html is not None
    assert rendered.text == text_part(rendered.html)
