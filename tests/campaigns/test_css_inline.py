"""Inlining a template's CSS once: Jinja tags survive exactly, or the caller falls back."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from jinja2 import ChainableUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment
from selectolax.lexbor import LexborHTMLParser

from campaigns.render.css_inline import inline_html, inline_template_css
from linter.document import parse_document

TEMPLATES = Path(__file__).parents[2] / "templates"
JINJA_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
ENV = ImmutableSandboxedEnvironment(autoescape=True, undefined=ChainableUndefined)
CONTEXT: dict[str, Any] = {
    "first_name": "Đức & Co",
    "city": "Hà Nội",
    "offer_code": "JAZZ-7Q2K",
    "unsubscribe_url": "https://shop.example.com/u/t?a=1&b=2",
    "view_url": "https://shop.example.com/v/t",
    "url": "https://shop.example.com/x?y=1&z=2",
    "rows": ["one", "two", "three"],
    "x": "yes",
    "c": "promo",
    "w": "600",
    "subject": "Jazz <sale>",
}


def body_of(name: str) -> str:
    """The Jinja body of a template under templates/."""
    path = TEMPLATES / name
    return parse_document(str(path), path.read_text(encoding="utf-8")).body


def render(source: str) -> str:
    """Render a body with the shared test context."""
    return ENV.from_string(source).render(CONTEXT)


def dom(html: str) -> list[tuple[str, str]]:
    """Elements with their attributes, and text, in document order (read by lexbor)."""
    parser = LexborHTMLParser(html)
    assert parser.root is not None
    nodes: list[tuple[str, str]] = []
    for node in parser.root.traverse(include_text=True):
        if node.tag == "-text":
            text = " ".join((node.text_content or "").split())
            if text:
                nodes.append(("text", text))
        elif node.tag is not None and not node.tag.startswith("-"):
            attributes = sorted(
                (key, " ".join((value or "").split())) for key, value in node.attributes.items()
            )
            nodes.append((node.tag, repr(attributes)))
    return nodes


def assert_same_as_inlining_each_message(body: str) -> str:
    """Inline once, render, and compare with rendering first and inlining after."""
    inlined = inline_template_css(body)
    assert inlined is not None, "expected the template to inline once"
    assert dom(render(inlined)) == dom(inline_html(render(body)))
    return inlined


@pytest.mark.parametrize(
    "name", ["en/jazz-sale.html.j2", "vi/khuyen-mai-jazz.html.j2", "en/letter.html.j2"]
)
def test_example_templates_inline_once_to_what_per_message_inlining_gives(name: str) -> None:
    assert_same_as_inlining_each_message(body_of(name))


def test_rules_land_in_style_attributes_and_the_style_block_goes() -> None:
    inlined = assert_same_as_inlining_each_message(body_of("en/jazz-sale.html.j2"))
    assert 'class="button" href="https://shop.example.com/jazz-sale" style="background:#1d4ed8' in (
        inlined
    )
    assert "<style" not in inlined


def test_every_jinja_tag_comes_back_verbatim_and_in_order() -> None:
    body = body_of("en/jazz-sale.html.j2")
    inlined = inline_template_css(body)
    assert inlined is not None
    assert JINJA_TAG.findall(inlined) == JINJA_TAG.findall(body)


def test_jinja_in_an_href_is_not_url_escaped() -> None:
    inlined = inline_template_css(body_of("en/jazz-sale.html.j2"))
    assert inlined is not None
    assert 'href="{{ unsubscribe_url }}"' in inlined
    assert "%7B" not in inlined


def test_jinja_with_quotes_and_ampersands_inside_an_attribute_survives() -> None:
    body = (
        "<html><head><style>a{color:red}</style></head><body>"
        '<a href="{{ url ~ "&utm=mail" }}" title=\'{{ "say \\"hi\\"" }}\'>Shop</a>'
        "</body></html>"
    )
    inlined = assert_same_as_inlining_each_message(body)
    assert '{{ url ~ "&utm=mail" }}' in inlined
    assert "&quot;" not in inlined


def test_loop_between_table_rows_stays_between_the_rows() -> None:
    body = (
        "<html><head><style>td{padding:4px}</style></head><body><table>"
        "{% for row in rows %}<tr><td>{{ row }}</td></tr>{% endfor %}"
        "</table></body></html>"
    )
    inlined = assert_same_as_inlining_each_message(body)
    assert '<table>{% for row in rows %}<tr><td style="padding:4px">{{ row }}</td></tr>' in inlined


def test_a_condition_in_the_head_stays_in_the_head() -> None:
    body = (
        '<html><head>{% if x %}<meta name="x" content="{{ x }}">{% endif %}'
        "<style>p{color:red}</style></head><body><p>{{ first_name }}</p></body></html>"
    )
    inlined = assert_same_as_inlining_each_message(body)
    head = inlined[: inlined.index("</head>")]
    assert '{% if x %}<meta name="x" content="{{ x }}">{% endif %}' in head


def test_media_queries_stay_in_a_style_element_with_their_important() -> None:
    body = (
        "<html><head><style>p{color:red} "
        "@media (max-width:600px){ p{font-size:18px !important} }</style></head>"
        "<body><p>{{ first_name }}</p></body></html>"
    )
    inlined = assert_same_as_inlining_each_message(body)
    assert re.search(r"<style>@media \(max-width: ?600px\)", inlined)
    assert "font-size: 18px !important" in inlined
    assert '<p style="color:red">' in inlined


def test_at_rules_premailer_cannot_inline_keep_the_whole_sheet() -> None:
    inlined = assert_same_as_inlining_each_message(body_of("en/letter.html.j2"))
    assert "@page { size: A4; margin: 25mm 20mm; }" in inlined


def test_lowercase_doctype_and_statements_before_it_are_kept_as_written() -> None:
    body = (
        '{% set greeting = "Hi" %}\n<!doctype html>\n<html><head>'
        "<style>p{color:red}</style></head><body><p>{{ greeting }}</p></body></html>\n"
        "{# the end #}\n"
    )
    inlined = inline_template_css(body)
    assert inlined is not None
    assert inlined.startswith('{% set greeting = "Hi" %}\n<!doctype html>\n<html>')
    assert inlined.endswith("</html>\n{# the end #}\n")
    assert "Hi" in render(inlined)


def test_jinja_inside_outlook_conditional_comments_survives() -> None:
    body = (
        "<html><head><style>p{color:red}</style></head><body>"
        '<!--[if mso]><table width="{{ w }}"><tr><td><![endif]-->'
        "<p>{{ first_name }}</p></body></html>"
    )
    inlined = assert_same_as_inlining_each_message(body)
    assert '<!--[if mso]><table width="{{ w }}"><tr><td><![endif]-->' in inlined


def test_jinja_inside_the_title_survives() -> None:
    body = (
        "<html><head><title>{{ subject }}</title><style>p{color:red}</style></head>"
        "<body><p>x</p></body></html>"
    )
    inlined = assert_same_as_inlining_each_message(body)
    assert "<title>{{ subject }}</title>" in inlined


def test_a_fragment_without_html_element_is_wrapped_and_inlined() -> None:
    body = "<style>p{color:red}</style><p>{{ first_name }}</p>{% if x %}<p>more</p>{% endif %}"
    inlined = assert_same_as_inlining_each_message(body)
    assert '{% if x %}<p style="color:red">more</p>{% endif %}' in inlined


def test_a_template_without_jinja_is_inlined() -> None:
    assert_same_as_inlining_each_message(
        "<html><head><style>p{color:red}</style></head><body><p>Hello</p></body></html>"
    )


@pytest.mark.parametrize(
    ("case", "body"),
    [
        (
            "jinja inside <style>",
            "<html><head><style>p{color:{{ c }}}</style></head><body><p>a</p></body></html>",
        ),
        (
            "jinja in a tag's attribute list",
            "<html><head><style>p{color:red}</style></head><body>"
            '<p {% if x %}style="font-weight:bold"{% endif %}>a</p></body></html>',
        ),
        (
            "<style> inside a condition",
            "<html><head>{% if x %}<style>p{color:red}</style>{% endif %}</head>"
            "<body><p>a</p></body></html>",
        ),
        (
            "<style> inside a condition, after statements before the doctype",
            '{% set tone = "warm" %}\n<!doctype html>\n<html><head>{% if x %}'
            "<style>p{color:red}</style>{% endif %}</head><body><p>a</p></body></html>",
        ),
        (
            "sibling selectors next to a loop",
            "<html><head><style>tr:nth-child(even) td{color:red}</style></head><body><table>"
            "{% for row in rows %}<tr><td>{{ row }}</td></tr>{% endfor %}</table></body></html>",
        ),
        (
            "markup from |safe that premailer never saw",
            "<html><head><style>td{color:red}</style></head><body><table>{{ rows|safe }}"
            "</table></body></html>",
        ),
        (
            "entity-escaped braces lxml would turn into Jinja",
            "<html><head><style>p{color:red}</style></head><body>"
            "<p>&#123;&#123; literal }}</p></body></html>",
        ),
        (
            "a branch that opens a tag lxml closes elsewhere",
            "<html><head><style>p{color:red}</style></head><body>"
            '{% if x %}<p>{% else %}<p class="alt">{% endif %}hi</p></body></html>',
        ),
        (
            "an omitted </li> lxml would add",
            "<html><head><style>li{color:red}</style></head><body>"
            "<ul><li>{{ x }}<li>b</ul></body></html>",
        ),
        (
            "text that already looks like a placeholder",
            "<html><head><style>p{color:red}</style></head><body>"
            "<p>hookline-jinja-0000-x {{ x }}</p></body></html>",
        ),
    ],
)
def test_unsafe_placements_return_none_so_the_caller_falls_back(case: str, body: str) -> None:
    assert inline_template_css(body) is None, case


def test_inline_html_inlines_one_rendered_message() -> None:
    html = inline_html(
        "<!doctype html><html><head><style>p{color:red}</style></head>"
        '<body><p><a href="https://x.example/?a=1&amp;b=2">Hi</a></p></body></html>'
    )
    assert html.startswith("<!doctype html><html>")
    assert '<p style="color:red">' in html
    assert 'href="https://x.example/?a=1&amp;b=2"' in html


def test_inline_html_returns_an_unparseable_document_unchanged() -> None:
    assert inline_html("") == ""
    assert inline_html("   ") == "   "
