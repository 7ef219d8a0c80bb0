"""W001 (line-too-long) and W002 (link-split) on the plain-text part of emails."""

from __future__ import annotations

import dataclasses
import unicodedata

from linter.document import parse_document
from linter.language import load_language
from linter.model import Finding
from linter.rules.lines import LineTooLong
from linter.source_map import SourceMap
from linter.view import ReaderView
from tests.linter.helpers import NO_GRAMMAR, codes, lint, template

LONG_EN = "Save 60% on every jazz CD in our shop until Friday night, with free delivery."
# 80 characters of Vietnamese; each letter with diacritics is one character.
LONG_VI = "Giảm 60% cho tất cả đĩa CD trong cửa hàng của chúng tôi đến hết tối thứ Sáu này."
# 67 characters exactly, with many diacritics.
EXACT_VI = "Quý khách được giảm 60% khi mua đĩa CD nhạc jazz đến hết thứ Sáu ạ!"
LONG_URL = "https://shop.example.com/jazz/" + "a" * 90


def w(findings: list[Finding], code: str = "W001") -> list[Finding]:
    """Only the findings of one rule."""
    return [finding for finding in findings if finding.code == code]


def lint_w(body: str, path: str = "test.txt.j2", lang: str | None = None) -> list[Finding]:
    """Lint a body with only the W rules."""
    return lint(template(body, lang=lang), path=path, select=["W"])


def line_of(body: str, snippet: str, lang: str | None = None) -> int:
    """The 1-based file line on which ``snippet`` starts in the template of ``body``."""
    text = template(body, lang=lang)
    return text[: text.index(snippet)].count("\n") + 1


def test_long_english_line_is_reported_at_its_template_line() -> None:
    findings = lint_w(f"Hi {{{{ first_name }}}},\n\n{LONG_EN}\n")
    assert codes(findings) == ["W001"]
    # Front matter is lines 1-3; the body starts on line 4 and the long line is line 6.
    assert findings[0].span.line == 6
    assert findings[0].span.column == 68
    assert findings[0].message == "Line too long (77 > 67 characters)"


def test_long_vietnamese_line_is_reported() -> None:
    body = f"Chào {{{{ first_name }}}},\n\n{LONG_VI}\n"
    findings = lint_w(body, lang="vi")
    assert codes(findings) == ["W001"]
    assert findings[0].span.line == line_of(body, LONG_VI, "vi")
    # The 68th character, counted in letters as the reader sees them.
    assert findings[0].span.column == 68
    assert "(80 > 67 characters)" in findings[0].message


def test_vietnamese_diacritics_count_as_one_character_each() -> None:
    assert len(EXACT_VI) == 67
    assert codes(lint_w(f"{EXACT_VI}\n", lang="vi")) == []
    decomposed = unicodedata.normalize("NFD", EXACT_VI)
    assert len(decomposed) > 67
    assert codes(lint_w(f"{decomposed}\n", lang="vi")) == []
    assert codes(lint_w(f"{EXACT_VI}!\n", lang="vi")) == ["W001"]


def test_short_lines_are_quiet() -> None:
    body = "Hi {{ first_name }},\n\nSave 60% on every jazz CD in our shop\nuntil Friday night.\n"
    assert lint_w(body) == []


def test_line_of_one_word_is_exempt() -> None:
    assert lint_w("x" * 90 + "\n") == []
    assert lint_w("- " + "x" * 90 + "\n") == []


def test_line_ending_in_url_that_starts_within_the_limit_is_exempt() -> None:
    assert lint_w(f"Order here: {LONG_URL}\n") == []
    assert lint_w(f"Order here: <{LONG_URL}>.\n") == []


def test_line_ending_in_url_that_starts_past_the_limit_is_reported() -> None:
    body = f"{LONG_EN} Order here: {LONG_URL}\n"
    assert codes(lint_w(body)) == ["W001"]


def test_url_in_the_middle_of_a_long_line_does_not_exempt_it() -> None:
    body = f"Order here: {LONG_URL} before Friday.\n"
    assert codes(lint_w(body)) == ["W001"]


def test_letters_are_not_checked() -> None:
    text = template(f"{LONG_EN}\n", channel="letter")
    assert w(lint(text, select=["W"])) == []


def test_line_with_a_variable_maps_to_its_template_line() -> None:
    body = (
        "Intro.\n\n"
        "{{ first_name }}, save 60% on every jazz CD in our shop until Friday night, "
        "with delivery.\n"
    )
    findings = lint_w(body)
    assert codes(findings) == ["W001"]
    assert findings[0].span.line == line_of(body, "{{ first_name }}, save")


def test_html_text_part_is_wrapped_so_long_paragraphs_are_quiet() -> None:
    body = f"<p>{LONG_EN} {LONG_EN} {LONG_VI}</p>\n<p><a href='{LONG_URL}'>Order now</a></p>\n"
    assert lint_w(body, path="x.html.j2") == []


def test_html_vietnamese_paragraph_is_quiet() -> None:
    body = f"<p>{LONG_VI} {LONG_VI}</p>\n"
    assert lint_w(body, path="x.html.j2", lang="vi") == []


def test_url_split_after_a_query_character_is_reported() -> None:
    body = (
        "Hi {{ first_name }},\n\n"
        "Order before Friday: https://shop.example.com/jazz?utm_source=\n"
        "newsletter&utm_medium=email\n"
    )
    findings = lint_w(body)
    assert codes(findings) == ["W002"]
    assert (findings[0].span.line, findings[0].span.column) == (6, 22)
    assert "newsletter&utm_medium=email" in findings[0].message


def test_url_split_in_vietnamese_copy_is_reported() -> None:
    body = "Đặt hàng tại https://shop.example.com/dia-cd/\njazz/giam-gia trước thứ Sáu.\n"
    findings = lint_w(body, lang="vi")
    assert codes(findings) == ["W002"]
    assert findings[0].span.line == line_of(body, "Đặt hàng", "vi")
    assert findings[0].span.column == len("Đặt hàng tại ") + 1


def test_angle_bracket_link_without_closing_bracket_is_reported() -> None:
    body = "Order <https://shop.example.com/jazz\n/sale> before Friday.\n"
    findings = lint_w(body)
    assert codes(findings) == ["W002"]
    assert (findings[0].span.line, findings[0].span.column) == (4, 7)


def test_link_at_line_end_followed_by_a_sentence_is_quiet() -> None:
    body = (
        "Order now: https://shop.example.com/jazz/\n"
        "Offer ends Friday.\n"
        "Or visit www.example.com.\n"
        "See you soon.\n"
        "Mua ngay: https://shop.example.com/dia-cd\n"
        "Ưu đãi đến hết thứ Sáu.\n"
    )
    assert lint_w(body) == []


def test_closed_angle_link_is_quiet() -> None:
    assert lint_w("Order <https://shop.example.com/jazz> before Friday.\n") == []


def test_html_href_with_a_line_break_is_reported() -> None:
    body = (
        '<p>Hi,</p>\n<p><a href="https://shop.example.com/jazz?utm_source=\nnews">Order</a></p>\n'
    )
    findings = lint_w(body, path="x.html.j2")
    assert codes(findings) == ["W002"]
    assert (findings[0].span.line, findings[0].span.column) == (5, 13)


def test_html_href_with_a_multiline_jinja_tag_is_quiet() -> None:
    body = '<p><a href="{{ view_url\n }}">View online</a></p>\n'
    assert lint_w(body, path="x.html.j2") == []


def test_html_visible_url_split_by_br_is_reported() -> None:
    body = "<p>Order at https://shop.example.com/jazz/<br>sale/cd before Friday.</p>\n"
    findings = lint_w(body, path="x.html.j2")
    assert codes(findings) == ["W002"]
    assert findings[0].span.line == 4


def _html_view(body: str, text_part: str) -> ReaderView:
    """A view of an HTML template whose text part is given, as a converter might make it."""
    text = template(body)
    doc = parse_document("x.html.j2", text)
    view = ReaderView.build(
        doc, load_language("en"), NO_GRAMMAR, doc.body, None, None, SourceMap(doc)
    )
    return dataclasses.replace(view, text_part=text_part)


def test_html_long_text_part_line_points_at_its_words_in_the_html_source() -> None:
    body = "<p>Hi,</p>\n<p>Save <b>60%</b> on every jazz CD in our shop until Friday night.</p>\n"
    line = "Save 60% on every jazz CD in our shop until Friday night, and more too."
    findings = list(LineTooLong().check(_html_view(body, f"Hi,\n\n{line}\n")))
    assert len(findings) == 1
    assert (findings[0].span.line, findings[0].span.column) == (5, 4)
    assert findings[0].fix is None


def test_repeated_long_lines_each_point_at_their_own_line() -> None:
    body = f"{LONG_EN}\n\n{LONG_EN}\n"
    findings = lint_w(body)
    assert [f.span.line for f in findings] == [4, 6]


def test_html_preformatted_long_line_is_reported_at_its_source_line() -> None:
    body = f"<p>Hi,</p>\n<pre>\n{LONG_EN}\n</pre>\n"
    findings = lint_w(body, path="x.html.j2")
    assert codes(findings) == ["W001"]
    assert findings[0].span.line == line_of(body, LONG_EN)
    assert findings[0].fix is None
