"""The HTML-to-text converter: the text/plain part the engine sends beside HTML."""

from __future__ import annotations

from linter.html_text import html_blocks, html_to_text
from linter.urls import find_urls
from linter.wrap import display_length

LONG_URL = "https://shop.example.com/jazz/" + "a" * 90
PARAGRAPH = (
    "Save 60% on every jazz CD in our shop until Friday night, with free delivery "
    "to your door and a small gift in every parcel we send out this week."
)


def lines_of(text: str) -> list[str]:
    """The converter's output split into lines."""
    return text.split("\n")


def test_paragraphs_are_wrapped_at_67_characters() -> None:
    text = html_to_text(f"<html><body><p>{PARAGRAPH}</p><p>{PARAGRAPH}</p></body></html>")
    assert all(display_length(line) <= 67 for line in lines_of(text))
    assert text.split() == (PARAGRAPH + " " + PARAGRAPH).split()
    assert "\n\n" in text


def test_vietnamese_is_wrapped_counting_letters_not_code_units() -> None:
    words = "Giảm 60% cho tất cả đĩa CD trong cửa hàng của chúng tôi đến hết tối thứ Sáu này."
    text = html_to_text(f"<p>{words} {words}</p>")
    assert all(display_length(line) <= 67 for line in lines_of(text))
    assert any(display_length(line) > 60 for line in lines_of(text))


def test_a_120_character_url_gets_its_own_line_and_is_never_split() -> None:
    assert len(LONG_URL) == 120
    text = html_to_text(f"<p>Visit the shop at {LONG_URL} before Friday night ends.</p>")
    assert LONG_URL in lines_of(text)
    assert [url for _, _, url in find_urls(text)] == [LONG_URL]


def test_links_are_written_as_label_and_url() -> None:
    text = html_to_text('<p>Please <a href="https://shop.example.com/jazz">order here</a>.</p>')
    assert "order here <https://shop.example.com/jazz>" in text


def test_long_link_url_stays_whole_on_its_own_line() -> None:
    text = html_to_text(f'<p>{PARAGRAPH} <a href="{LONG_URL}">Order now</a> today.</p>')
    assert f"<{LONG_URL}>" in lines_of(text)


def test_link_whose_label_is_its_url_is_written_once() -> None:
    text = html_to_text('<p><a href="https://x.example.com/a">https://x.example.com/a</a></p>')
    assert text == "https://x.example.com/a\n"


def test_list_items_are_dash_lines() -> None:
    text = html_to_text(f"<p>What you get:</p><ul><li>Free delivery</li><li>{PARAGRAPH}</li></ul>")
    rows = lines_of(text)
    assert "- Free delivery" in rows
    item_start = rows.index("- Save 60% on every jazz CD in our shop until Friday night, with")
    assert rows[item_start + 1].startswith("  ")


def test_script_style_and_hidden_elements_are_dropped() -> None:
    html = (
        "<html><head><title>Jazz</title><style>p { color: red }</style></head><body>"
        "<script>track('open')</script>"
        '<div style="display:none">Hidden preheader</div>'
        '<span style="visibility: hidden">Invisible</span>'
        "<p hidden>Gone</p>"
        "<p>Visible copy.</p>"
        "</body></html>"
    )
    assert html_to_text(html) == "Visible copy.\n"


def test_broken_html_still_gives_text() -> None:
    html = "<div><p>Unclosed <b>bold<p>Next paragraph</div></div></span>stray text"
    text = html_to_text(html)
    assert text.split() == ["Unclosed", "bold", "Next", "paragraph", "stray", "text"]


def test_html_without_body_gives_text() -> None:
    assert html_to_text("Just text, <i>no body</i><p>and a paragraph") == (
        "Just text, no body\n\nand a paragraph\n"
    )


def test_empty_html_gives_empty_text() -> None:
    assert html_to_text("") == ""
    assert html_blocks("<p>   </p>") == []


def test_footer_blocks_are_marked() -> None:
    blocks = html_blocks('<p>Offer</p><div class="footer"><p>Unsubscribe</p></div>')
    assert [(block.text, block.in_footer) for block in blocks] == [
        ("Offer", False),
        ("Unsubscribe", True),
    ]
