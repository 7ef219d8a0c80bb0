"""C001 all-caps and C002 too-many-exclamations, in English and Vietnamese, text and HTML."""

from __future__ import annotations

from dataclasses import replace

from linter.explain import explain
from linter.fixes import apply_edits
from linter.language import load_language
from linter.model import Finding
from linter.rules.capitals import AllCaps, TooManyExclamations, is_shouting
from tests.linter.helpers import NO_GRAMMAR, codes, lint, template

GOOD_EN = (
    "Hi An,\n\nYou save 60% on every jazz CD until Friday, with free delivery in Hanoi.\n\n"
    "Shop the sale: https://shop.example.com/jazz\n\n"
    "P.S. Your 60% saving ends Friday: https://shop.example.com/jazz\n\n"
    "--\nUnsubscribe: {{ unsubscribe_url }}"
)
GOOD_VI = (
    "Chào An,\n\nBạn tiết kiệm 60% khi mua mọi đĩa CD nhạc jazz đến hết thứ Sáu, giao hàng "
    "miễn phí tại Hà Nội.\n\nMua ngay: https://shop.example.com/jazz\n\n"
    "Tái bút: Ưu đãi 60% kết thúc thứ Sáu: https://shop.example.com/jazz\n\n"
    "--\nHủy đăng ký: {{ unsubscribe_url }}"
)

GOOD_EN_HTML = (
    "<p>Hi An,</p>\n<p>You save 60% on every jazz CD until Friday, with free delivery in"
    ' Hanoi.</p>\n<p><a href="https://shop.example.com/jazz">Shop the sale</a></p>\n'
    '<p>P.S. Your 60% saving ends Friday: <a href="https://shop.example.com/jazz">shop'
    ' now</a></p>\n<footer><a href="{{ unsubscribe_url }}">Unsubscribe</a></footer>\n'
)
GOOD_VI_HTML = (
    "<p>Chào An,</p>\n<p>Bạn tiết kiệm 60% khi mua mọi đĩa CD nhạc jazz đến hết thứ Sáu,"
    " giao hàng miễn phí tại Hà Nội.</p>\n"
    '<p><a href="https://shop.example.com/jazz">Mua ngay</a></p>\n'
    '<p>Tái bút: Ưu đãi 60% kết thúc thứ Sáu: <a href="https://shop.example.com/jazz">mua'
    ' ngay</a></p>\n<footer><a href="{{ unsubscribe_url }}">Hủy đăng ký</a></footer>\n'
)
MY_RULES = ("L", "R", "P", "F", "C")


def test_my_rules_quiet_on_good_campaigns_in_both_languages_and_kinds() -> None:
    for body, lang in ((GOOD_EN, None), (GOOD_VI, "vi")):
        assert lint(template(body, lang=lang), select=MY_RULES) == []
    for body, lang in ((GOOD_EN_HTML, None), (GOOD_VI_HTML, "vi")):
        assert lint(template(body, lang=lang), path="x.html.j2", select=MY_RULES) == []


def position(text: str, needle: str, occurrence: int = 1) -> tuple[int, int]:
    """The 1-based line and column of the n-th ``needle`` in ``text``."""
    offset = -1
    for _ in range(occurrence):
        offset = text.index(needle, offset + 1)
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def places(findings: list[Finding]) -> list[tuple[int, int]]:
    """The (line, column) of each finding."""
    return [(f.span.line, f.span.column) for f in findings]


# --- is_shouting -----------------------------------------------------------------


def test_is_shouting_flags_capital_words_in_any_script() -> None:
    en, vi = load_language("en"), load_language("vi")
    assert is_shouting("FREE", en, ())
    assert is_shouting("FREE!", en, ())
    assert is_shouting("ĐẶC", vi, ())
    assert is_shouting("СКИДКА", en, ())


def test_is_shouting_spares_short_words_digits_acronyms_and_currencies() -> None:
    en, vi = load_language("en"), load_language("vi")
    assert not is_shouting("CD", en, ())
    assert not is_shouting("MP3", en, ())
    assert not is_shouting("USB", en, ())
    assert not is_shouting("USD", en, ())
    assert not is_shouting("VND", vi, ())
    assert not is_shouting("VNĐ", vi, ())
    assert not is_shouting("Free", en, ())
    assert not is_shouting("中文字", en, ())
    assert not is_shouting("JAZZCLUB", en, ("JazzClub",))


def test_is_shouting_treats_word_like_currency_codes_as_words() -> None:
    assert is_shouting("ALL", load_language("en"), ())
    assert is_shouting("TOP", load_language("vi"), ())


# --- C001 ------------------------------------------------------------------------


def test_c001_quiet_on_a_good_campaign_in_both_languages() -> None:
    assert lint(template(GOOD_EN), select=["C"]) == []
    assert lint(template(GOOD_VI, lang="vi"), select=["C"]) == []
    assert lint(template(GOOD_VI, lang="vi"), path="x.html.j2", select=["C"]) == []


def test_c001_reports_a_capital_word_at_its_column_in_text() -> None:
    text = template("Hi An,\n\nHUGE sale on every jazz CD until Friday.\n")
    findings = lint(text, select=["C001"])
    assert codes(findings) == ["C001"]
    assert places(findings) == [position(text, "HUGE")]
    assert '"HUGE"' in findings[0].message
    assert findings[0].span.end_column == findings[0].span.column + 4


def test_c001_reports_each_occurrence_and_each_vietnamese_word() -> None:
    body = "Chào An,\n\nƯu đãi ĐẶC BIỆT cho bạn.\nMột ưu đãi ĐẶC BIỆT nữa.\n"
    text = template(body, lang="vi")
    findings = lint(text, select=["C001"])
    assert places(findings) == [
        position(text, "ĐẶC"),
        position(text, "BIỆT"),
        position(text, "ĐẶC", 2),
        position(text, "BIỆT", 2),
    ]


def test_c001_reports_capitals_inside_html_markup_at_the_word() -> None:
    body = '<p>Save on <b>EVERY</b> jazz CD.</p>\n<p class="X">Ưu đãi <i>KHỦNG</i></p>\n'
    text = template(body, lang="vi")
    findings = lint(text, path="x.html.j2", select=["C001"])
    assert places(findings) == [position(text, "EVERY"), position(text, "KHỦNG")]


def test_c001_checks_the_footer_too() -> None:
    text = template("Save 60% today.\n\n--\nSHOP Ltd, 12 Hang Bai\n")
    assert places(lint(text, select=["C001"])) == [position(text, "SHOP")]


def test_c001_spares_acronyms_currency_codes_urls_and_emails() -> None:
    body = (
        "Pay 20 USD or 500.000 VND at any ATM, FAQ at https://shop.example.com/FAQ-SALE.\n"
        "Write to SALES@SHOP.EXAMPLE.COM. Prices in ALL: 5000 ALL. Code HL-7Q2K9, MP3 player.\n"
    )
    assert lint(template(body), select=["C001"]) == []
    assert lint(template(body), path="x.html.j2", select=["C001"]) == []


def test_c001_reports_a_word_like_currency_code_away_from_an_amount() -> None:
    text = template("Save on ALL jazz CDs.\n")
    assert places(lint(text, select=["C001"])) == [position(text, "ALL")]


def test_c001_honours_extend_acronyms_from_the_config() -> None:
    text = template("Welcome to HOOKLINE jazz.\n")
    config = replace(NO_GRAMMAR, extend_acronyms=("Hookline",))
    assert lint(text, select=["C001"], config=config) == []
    assert codes(lint(text, select=["C001"])) == ["C001"]


def test_c001_ignores_capitals_that_come_only_from_contact_data() -> None:
    text = template(
        "Hi {{ first_name }},\n\nSave 60% today.\n", extra='[[preview]]\nfirst_name = "ANNA"'
    )
    assert lint(text, select=["C001"]) == []


def test_c001_reports_capitals_the_template_sets_in_a_variable() -> None:
    body = '{% set headline = "BIG sale" %}{{ headline }} on jazz.\n'
    text = template(body)
    assert places(lint(text, select=["C001"])) == [position(text, "BIG")]


def test_c001_applies_to_letters() -> None:
    text = template("Kính gửi anh An,\n\nƯu đãi LỚN cho anh.\n", lang="vi", channel="letter")
    assert places(lint(text, select=["C001"])) == [position(text, "LỚN")]


# --- C002 ------------------------------------------------------------------------


def test_c002_quiet_with_two_single_exclamations() -> None:
    body = "Hi An!\n\nYou save 60% until Friday!\n\n--\nBye!\n"
    assert lint(template(body), select=["C002"]) == []
    body_vi = "Chào An!\n\nBạn tiết kiệm 60% đến hết thứ Sáu!\n"
    assert lint(template(body_vi, lang="vi"), path="x.html.j2", select=["C002"]) == []


def test_c002_reports_the_third_exclamation_in_the_body() -> None:
    text = template("Save 60%!\n\nFree delivery!\n\nEnds Friday!\n")
    findings = lint(text, select=["C002"])
    assert codes(findings) == ["C002"]
    assert findings[0].message == '3 "!" in the body (at most 2)'
    assert places(findings) == [position(text, "!", 3)]
    assert findings[0].fix is None


def test_c002_reports_a_double_exclamation_with_a_fix() -> None:
    text = template("Chào An,\n\nGiảm 60% cho bạn!!\n", lang="vi")
    findings = lint(text, select=["C002"])
    assert codes(findings) == ["C002"]
    assert places(findings) == [position(text, "!!")]
    assert findings[0].span.end_column == findings[0].span.column + 2
    fixed, applied = apply_edits(text, findings)
    assert applied == 1
    assert fixed == template("Chào An,\n\nGiảm 60% cho bạn!\n", lang="vi")


def test_c002_reports_exclamations_in_vietnamese_html() -> None:
    text = template("<p>Chào An!</p>\n<p>Giảm <b>60%</b>!!</p>\n", lang="vi")
    findings = lint(text, path="x.html.j2", select=["C002"])
    line, column = position(text, "!!")
    assert sorted(places(findings)) == [(line, column), (line, column + 1)]
    assert {f.message for f in findings} == {
        '"!!": use one "!" at most',
        '3 "!" in the body (at most 2)',
    }


def test_c002_fix_collapses_every_run_in_html() -> None:
    text = template("<p>Save <b>60%</b>!!!</p>\n<p>Hurry!! Ends <i>Friday</i>!!</p>\n")
    findings = lint(text, path="x.html.j2", select=["C002"])
    line, column = position(text, "!!!")
    hurry = position(text, "Hurry!!")
    friday = position(text, "</i>!!")
    assert sorted(places(findings)) == [
        (line, column),
        (line, column + 2),  # the third "!" of the body: too many
        (hurry[0], hurry[1] + 5),
        (friday[0], friday[1] + 4),
    ]
    fixed, _ = apply_edits(text, findings)
    assert fixed == template("<p>Save <b>60%</b>!</p>\n<p>Hurry! Ends <i>Friday</i>!</p>\n")
    remaining = lint(fixed, path="x.html.j2", select=["C002"])
    assert [f.message for f in remaining] == ['3 "!" in the body (at most 2)']


def test_c002_reports_a_double_exclamation_in_the_preheader_with_a_fix() -> None:
    text = template("Save 60% until Friday.\n", extra='preheader = "Last days!!"')
    findings = lint(text, select=["C002"])
    assert places(findings) == [position(text, "!!")]
    fixed, _ = apply_edits(text, findings)
    assert 'preheader = "Last days!"' in fixed


def test_c002_ignores_exclamations_in_urls_jinja_and_the_subject() -> None:
    body = (
        "{% if first_name != '' %}Hi {{ first_name }}!{% endif %}\n\n"
        "Save 60%: https://shop.example.com/#!/jazz!!!/cds\n"
    )
    assert lint(template(body, subject="Save 60%!!!"), select=["C002"]) == []


def test_c002_offers_no_fix_when_the_run_comes_from_a_variable() -> None:
    text = template("Hi {{ first_name }}\n\nSave 60%.\n", extra='[[preview]]\nfirst_name = "An!!"')
    findings = lint(text, select=["C002"])
    assert codes(findings) == ["C002"]
    assert findings[0].fix is None


# --- docs ------------------------------------------------------------------------


def test_capital_rules_have_the_three_doc_sections() -> None:
    for rule in (AllCaps, TooManyExclamations):
        doc = explain(rule)
        for section in ("## What it does", "## Why is this bad?", "## Example", "Use instead:"):
            assert section in doc, (rule.code, section)
