"""Compiling a campaign template once and rendering it for each recipient."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from campaigns.render.campaign_template import (
    CampaignTemplate,
    RenderedContent,
    RenderError,
    TemplateError,
)

TEMPLATES = Path(__file__).parents[2] / "templates"
JAZZ_PATH = "templates/en/jazz-sale.html.j2"
JAZZ = (TEMPLATES / "en/jazz-sale.html.j2").read_text(encoding="utf-8")
WELCOME = (TEMPLATES / "en/welcome.txt.j2").read_text(encoding="utf-8")
VI_SALE = (TEMPLATES / "vi/khuyen-mai-jazz.html.j2").read_text(encoding="utf-8")
RECIPIENT: dict[str, Any] = {
    "first_name": "An",
    "city": "Hanoi",
    "offer_code": "JAZZ-7Q2K",
    "unsubscribe_url": "https://shop.example.com/u/tok?a=1&b=2",
    "view_url": "https://shop.example.com/v/tok",
}
PREHEADER_DIV = re.compile(r'<div style="display:none;[^"]*overflow:hidden[^"]*">([^<]*)</div>')


def email(body: str, front: str = 'subject = "Hello {{ first_name }}"') -> str:
    """An email template source with the given front matter and body."""
    return f"+++\n{front}\n+++\n{body}"


def html_page(inner: str, style: str = "p { color: #222; }") -> str:
    """A small HTML document around ``inner``."""
    head = f"<head><style>{style}</style></head>"
    return f"<!doctype html>\n<html>{head}<body>{inner}</body></html>\n"


def jazz() -> CampaignTemplate:
    """The example jazz-sale campaign, compiled."""
    return CampaignTemplate.compile(JAZZ, JAZZ_PATH)


def test_jazz_sale_renders_subject_html_and_text_for_one_recipient() -> None:
    rendered = jazz().render(RECIPIENT)
    assert isinstance(rendered, RenderedContent)
    assert rendered.subject == "An, save 60% on every jazz CD until Friday"
    assert rendered.html is not None
    assert "<p>Hi An,</p>" in rendered.html
    assert "Your code JAZZ-7Q2K takes" in rendered.html
    assert "Hi An," in rendered.text
    assert "Choose your jazz CDs now <https://shop.example.com/jazz-sale>" in rendered.text


def test_css_is_inlined_once_at_compile_time() -> None:
    template = jazz()
    assert template.inlined_once
    html = template.render(RECIPIENT).html
    assert html is not None
    assert "<style" not in html
    assert '<footer style="font-size:12px; color:#666">' in html


def test_template_exposes_kind_channel_lang_and_subject_source() -> None:
    template = jazz()
    assert (template.kind, template.channel, template.lang) == ("html", "email", "en")
    assert template.subject_source == "{{ first_name }}, save 60% on every jazz CD until Friday"


def test_each_render_uses_only_its_own_recipient() -> None:
    template = jazz()
    first = template.render(RECIPIENT)
    second = template.render({**RECIPIENT, "first_name": "Minh", "city": "Hue"})
    assert second.subject.startswith("Minh,")
    assert second.html is not None
    assert "An" not in second.subject
    assert "ships free to Hue" in second.html
    assert first.html is not None
    assert "ships free to Hanoi" in first.html


def test_missing_names_and_attributes_render_as_empty_text() -> None:
    rendered = jazz().render({"first_name": "An"})
    assert rendered.html is not None
    assert "ships free to  and arrives" in rendered.html
    assert "from swing to bebop" in rendered.html
    assert 'href=""' in rendered.html


def test_none_values_render_as_empty_text() -> None:
    template = CampaignTemplate.compile(email(html_page("<p>[{{ city }}|{{ a.b }}]</p>")), "x.html")
    html = template.render({"first_name": "An", "city": None, "a": {"b": None}}).html
    assert html is not None
    assert "[|]" in html


def test_html_bodies_escape_contact_data_and_subjects_do_not() -> None:
    template = CampaignTemplate.compile(email(html_page("<p>Hi {{ first_name }}</p>")), "x.html.j2")
    rendered = template.render({"first_name": "Tom & <b>Jerry</b>"})
    assert rendered.subject == "Hello Tom & <b>Jerry</b>"
    assert rendered.html is not None
    assert "Hi Tom &amp; &lt;b&gt;Jerry&lt;/b&gt;" in rendered.html


def test_text_templates_are_not_escaped_and_have_no_html() -> None:
    template = CampaignTemplate.compile(WELCOME, "templates/en/welcome.txt.j2")
    rendered = template.render({**RECIPIENT, "first_name": "Tom & Jerry"})
    assert template.kind == "text"
    assert rendered.html is None
    assert rendered.subject == "Welcome, Tom & Jerry: your 10% gift is inside"
    assert rendered.text.startswith("Hi Tom & Jerry,\n\nThank you for joining")
    assert "Unsubscribe: https://shop.example.com/u/tok?a=1&b=2\n" in rendered.text
    assert "Free delivery on your first order" not in rendered.text


def test_subject_white_space_collapses_to_one_line() -> None:
    source = email(html_page("<p>x</p>"), 'subject = "Hello\\n   {{ first_name }}  \\t!"')
    assert CampaignTemplate.compile(source, "x.html").render(RECIPIENT).subject == "Hello An !"


def test_preheader_is_hidden_right_after_body_and_left_out_of_the_text() -> None:
    rendered = jazz().render(RECIPIENT)
    assert rendered.html is not None
    after_body = rendered.html.split("<body", 1)[1].split(">", 1)[1]
    match = PREHEADER_DIV.search(after_body)
    assert match is not None
    assert after_body.lstrip().startswith("<div")
    assert match.group(1) == "Free delivery in Hanoi on every order"
    assert "max-height:0" in match.group(0)
    assert "Free delivery in Hanoi" not in rendered.text


def test_preheader_is_rendered_and_escaped() -> None:
    source = email(html_page("<p>x</p>"), 'subject = "Hi"\npreheader = "For {{ first_name }} only"')
    html = CampaignTemplate.compile(source, "x.html").render({"first_name": "A&B"}).html
    assert html is not None
    match = PREHEADER_DIV.search(html)
    assert match is not None
    assert match.group(1) == "For A&amp;B only"


def test_an_empty_preheader_adds_no_element() -> None:
    source = email(html_page("<p>x</p>"), 'subject = "Hi"\npreheader = "{{ missing }}"')
    html = CampaignTemplate.compile(source, "x.html").render({}).html
    assert html is not None
    assert "display:none" not in html


def test_text_sibling_is_the_text_part_when_given() -> None:
    sibling = WELCOME
    template = CampaignTemplate.compile(JAZZ, JAZZ_PATH, text_source=sibling)
    rendered = template.render(RECIPIENT)
    assert rendered.text.startswith("Hi An,\n\nThank you for joining Hookline Records.")
    assert "with the code JAZZ-7Q2K, and free" in rendered.text
    assert rendered.html is not None
    assert "<p>Hi An,</p>" in rendered.html


def test_without_a_sibling_the_text_is_derived_from_the_html_at_67_columns() -> None:
    text = jazz().render(RECIPIENT).text
    assert all(len(line) <= 67 for line in text.splitlines())
    assert "Unsubscribe <https://shop.example.com/u/tok?a=1&b=2> at any time." in text


def test_vietnamese_template_renders_in_vietnamese() -> None:
    template = CampaignTemplate.compile(VI_SALE, "templates/vi/khuyen-mai-jazz.html.j2")
    rendered = template.render({**RECIPIENT, "first_name": "Đức", "city": "Hà Nội"})
    assert template.lang == "vi"
    assert rendered.subject == "Đức ơi, tiết kiệm 60% khi mua đĩa CD jazz đến thứ Sáu"
    assert "Chào Đức," in rendered.text
    assert rendered.html is not None
    assert "đến Hà Nội trong vòng ba ngày" in rendered.html


@pytest.mark.parametrize("before", ["", "{% set greeting = 'Hi' %}\n{# layout v2 #}\n"])
def test_a_bare_path_with_an_html_body_is_read_as_html(before: str) -> None:
    template = CampaignTemplate.compile(email(before + html_page("<p>Hi {{ first_name }}</p>")))
    assert template.kind == "html"
    assert "Hi &lt;An&gt;" in (template.render({"first_name": "<An>"}).html or "")


def test_a_bare_path_with_plain_text_is_read_as_text() -> None:
    template = CampaignTemplate.compile(email("Hi {{ first_name }},\n\nSave 60%.\n"))
    assert template.kind == "text"
    assert template.render({"first_name": "<An>"}) == RenderedContent(
        "Hello <An>", None, "Hi <An>,\n\nSave 60%.\n"
    )


def test_a_letter_needs_no_subject() -> None:
    letter = (TEMPLATES / "en/letter.html.j2").read_text(encoding="utf-8")
    template = CampaignTemplate.compile(letter, "templates/en/letter.html.j2")
    rendered = template.render({"first_name": "An", "last_name": "Nguyen"})
    assert template.channel == "letter"
    assert rendered.subject == ""
    assert rendered.html is not None
    assert "Dear An Nguyen," in rendered.html


def test_an_email_without_subject_is_a_template_error_naming_the_file() -> None:
    with pytest.raises(TemplateError, match=r"^x\.html\.j2, line 1: an email needs a `subject`"):
        CampaignTemplate.compile(email(html_page("<p>x</p>"), 'lang = "en"'), "x.html.j2")


def test_a_syntax_error_names_the_file_line() -> None:
    broken = JAZZ.replace("<li>Free delivery", "<li>{% if %}Free delivery")
    with pytest.raises(TemplateError, match=r"^templates/en/jazz-sale\.html\.j2, line 34: "):
        CampaignTemplate.compile(broken, JAZZ_PATH)


def test_a_subject_syntax_error_names_the_subject_line() -> None:
    source = email(html_page("<p>x</p>"), 'lang = "en"\nsubject = "Hi {{ first_name"')
    with pytest.raises(TemplateError, match=r"^x\.html, line 3: "):
        CampaignTemplate.compile(source, "x.html")


def test_broken_front_matter_is_a_template_error() -> None:
    with pytest.raises(TemplateError, match=r"line 2: front matter is not valid TOML"):
        CampaignTemplate.compile(email("<p>x</p>", "subject = "), "x.html")


def test_including_other_templates_is_refused_at_compile_time() -> None:
    with pytest.raises(TemplateError, match=r"line 5: .*can't extend, include or import"):
        CampaignTemplate.compile(email("<p>a</p>\n{% include 'footer.html' %}"), "x.html")


def test_a_runtime_error_is_a_render_error_with_the_file_line() -> None:
    template = CampaignTemplate.compile(JAZZ.replace("{{ city }}", "{{ 100 / n }}"), JAZZ_PATH)
    assert template.inlined_once
    with pytest.raises(RenderError, match=r"^line 31: division by zero$"):
        template.render({**RECIPIENT, "n": 0})
    assert "ships free to 50" in (template.render({**RECIPIENT, "n": 2}).html or "")


def test_calling_a_missing_attribute_reports_the_type_and_line() -> None:
    source = email("<p>a</p>\n<p>{{ orders.total() }}</p>", 'subject = "Hi"')
    template = CampaignTemplate.compile(source, "x.html")
    with pytest.raises(RenderError, match=r"^line 5: 'int object' has no attribute 'total'$"):
        template.render({"orders": 3})


def test_sandbox_violations_are_render_errors() -> None:
    source = email("<p>a</p>\n<p>{{ tags.append('vip') }}</p>", 'subject = "Hi"')
    template = CampaignTemplate.compile(source, "x.html")
    with pytest.raises(RenderError, match=r"^line 5: access to attribute 'append'.* is unsafe"):
        template.render({"tags": []})


def test_a_type_error_in_the_subject_names_the_subject() -> None:
    source = email(html_page("<p>x</p>"), 'lang = "en"\nsubject = "{{ orders + \'x\' }}"')
    template = CampaignTemplate.compile(source, "x.html")
    with pytest.raises(RenderError, match=r"^line 3 \(subject\): unsupported operand"):
        template.render({"orders": 2})


def test_jinja_inside_style_falls_back_to_inlining_each_message() -> None:
    source = email(html_page("<p>Hi {{ first_name }}</p>", style="p { color: {{ colour }}; }"))
    template = CampaignTemplate.compile(source, "x.html")
    assert not template.inlined_once
    html = template.render({"first_name": "An", "colour": "#b00"}).html
    assert html is not None
    assert '<p style="color:#b00">Hi An</p>' in html


def test_a_fallback_template_still_gets_its_preheader_after_body() -> None:
    source = email(
        html_page("<p>Hi</p>", style="p { color: {{ colour }}; }"),
        'subject = "Hi"\npreheader = "Look inside"',
    )
    html = CampaignTemplate.compile(source, "x.html").render({"colour": "red"}).html
    assert html is not None
    assert re.search(r"<body>\s*<div style=\"display:none;[^\"]*\">Look inside</div>", html)


def test_styled_html_keeps_the_stylesheet_and_inlines_nothing() -> None:
    template = CampaignTemplate.compile(email(html_page("<p>Hi {{ first_name }}</p>")), "x.html")
    inlined = template.render({"first_name": "Lan"}).html or ""
    styled = template.render_styled_html({"first_name": "Lan"}) or ""
    assert 'style="color: #222' in inlined or "color:#222" in inlined
    assert "<p>Hi Lan</p>" in styled
    assert "p { color: #222; }" in styled
    assert (
        CampaignTemplate.compile(WELCOME, "templates/en/welcome.txt.j2").render_styled_html(
            {"first_name": "Lan"}
        )
        is None
    )
