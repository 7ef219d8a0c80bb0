"""The text/plain part derived from a rendered HTML message."""

from __future__ import annotations

from campaigns.render.text_part import text_part

LONG_URL = "https://shop.example.com/jazz/" + "a" * 90
PARAGRAPH = (
    "You save 60% on every jazz CD in our shop until Friday 5 December. Your "
    "favourite records now cost from 96,000 VND instead of 240,000 VND."
)


def test_paragraphs_wrap_at_67_columns() -> None:
    text = text_part(f"<html><body><p>{PARAGRAPH}</p><p>{PARAGRAPH}</p></body></html>")
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 67
    assert max(len(line) for line in lines) > 60
    assert text.split() == (PARAGRAPH + " " + PARAGRAPH).split()


def test_links_read_label_then_url() -> None:
    text = text_part('<p><a href="https://shop.example.com/jazz?a=1&amp;b=2">Shop now</a></p>')
    assert text == "Shop now <https://shop.example.com/jazz?a=1&b=2>\n"


def test_a_long_url_is_never_split() -> None:
    text = text_part(f'<p>{PARAGRAPH} <a href="{LONG_URL}">Order</a></p>')
    assert f"<{LONG_URL}>" in text.splitlines()


def test_the_hidden_preheader_stays_out_of_the_text() -> None:
    html = (
        "<html><body>\n"
        '<div style="display:none;max-height:0;max-width:0;opacity:0;overflow:hidden;'
        'mso-hide:all">Free delivery in Hanoi</div>'
        "<p>Hi An,</p></body></html>"
    )
    assert text_part(html) == "Hi An,\n"


def test_styles_and_head_never_reach_the_text() -> None:
    html = (
        "<html><head><title>Jazz sale</title><style>p{color:red}</style></head>"
        "<body><p>Hello</p></body></html>"
    )
    assert text_part(html) == "Hello\n"
