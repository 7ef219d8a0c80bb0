"""F001 missing-key-facts: price, delivery and deadline, in English and Vietnamese."""

from __future__ import annotations

import pytest

from linter.explain import explain
from linter.language import load_language
from linter.rules.key_facts import MissingKeyFacts, present_facts
from tests.linter.helpers import codes, lint, template
from tests.linter.test_capitals_rules import GOOD_EN, GOOD_VI, places, position


def test_f001_quiet_on_a_good_campaign_in_both_languages() -> None:
    assert lint(template(GOOD_EN), select=["F"]) == []
    assert lint(template(GOOD_VI, lang="vi"), select=["F"]) == []


def test_f001_names_the_missing_facts_at_the_hook() -> None:
    text = template("You save 60% on every jazz CD.\n\nShop: https://shop.example.com\n")
    findings = lint(text, select=["F001"])
    assert codes(findings) == ["F001"]
    assert findings[0].message == "Missing key facts: delivery, deadline"
    assert places(findings) == [position(text, "You save")]


def test_f001_names_all_three_in_vietnamese_html() -> None:
    body = "<p>Đĩa nhạc jazz mới đã về cửa hàng.</p>\n<p>Mời bạn ghé xem.</p>\n"
    text = template(body, lang="vi")
    findings = lint(text, path="x.html.j2", select=["F001"])
    assert findings[0].message == "Missing key facts: price, delivery, deadline"
    assert places(findings) == [position(text, "Đĩa nhạc")]


def test_f001_reports_missing_facts_in_english_html() -> None:
    body = "<h1>Jazz week</h1>\n<p>Every jazz CD is <b>$12</b>.</p>\n"
    text = template(body)
    findings = lint(text, path="x.html.j2", select=["F001"])
    assert findings[0].message == "Missing key facts: delivery, deadline"
    assert places(findings) == [position(text, "Jazz week</h1>")]


def test_f001_quiet_when_html_states_all_facts() -> None:
    body = (
        "<p>Every jazz CD is <b>$12</b> until <i>Dec 12</i>.</p>\n"
        "<ul><li>Shipping: 2 days</li></ul>\n"
    )
    assert lint(template(body), path="x.html.j2", select=["F001"]) == []


def test_f001_reads_the_ps_but_not_the_footer() -> None:
    in_ps = "Save 60% on jazz CDs.\n\nP.S. Free delivery until Friday.\n"
    assert lint(template(in_ps), select=["F001"]) == []
    in_footer = "Save 60% on jazz CDs until Friday.\n\n--\nFree delivery over $50.\n"
    assert lint(template(in_footer), select=["F001"])[0].message == "Missing key facts: delivery"


def test_f001_ignores_dates_inside_urls() -> None:
    text = template("Save 60%, free delivery: https://shop.example.com/2026-12-01/sale\n")
    assert lint(text, select=["F001"])[0].message == "Missing key facts: deadline"


def test_f001_applies_to_letters() -> None:
    text = template("Kính gửi anh An,\n\nMời anh ghé cửa hàng.\n", lang="vi", channel="letter")
    assert codes(lint(text, select=["F001"])) == ["F001"]


@pytest.mark.parametrize(
    ("text", "fact"),
    [
        ("$20 a CD", "price"),
        ("only 15 € each", "price"),
        ("49 USD", "price"),
        ("EUR 20", "price"),
        ("30% off", "price"),
        ("free for members", "price"),
        ("we deliver to your door", "delivery"),
        ("free shipping", "delivery"),
        ("pick up in store", "delivery"),
        ("download it now", "delivery"),
        ("your records arrive in three days", "delivery"),
        ("ends Dec 12", "deadline"),
        ("on 12 December", "deadline"),
        ("by 12/12", "deadline"),
        ("from 2026-12-01", "deadline"),
        ("this Friday", "deadline"),
        ("today only", "deadline"),
        ("last day for it", "deadline"),
        ("before midnight", "deadline"),
    ],
)
def test_f001_recognises_english_facts(text: str, fact: str) -> None:
    assert fact in present_facts(text, load_language("en"))


@pytest.mark.parametrize(
    ("text", "fact"),
    [
        ("chỉ 200.000đ", "price"),
        ("giá 150 nghìn", "price"),
        ("200k một đĩa", "price"),
        ("500.000 VND", "price"),
        ("giảm 60%", "price"),
        ("hoàn toàn miễn phí", "price"),
        ("giao hàng tận nơi", "delivery"),
        ("miễn phí vận chuyển", "delivery"),
        ("nhận hàng tại cửa hàng", "delivery"),
        ("đến hết tháng này", "deadline"),
        ("hạn chót là mai", "deadline"),
        ("trước ngày 15", "deadline"),
        ("chỉ hôm nay", "deadline"),
        ("kết thúc thứ Sáu", "deadline"),
        ("ngày 12 tháng 12", "deadline"),
        ("từ 12/12", "deadline"),
        ("vào Chủ nhật", "deadline"),
    ],
)
def test_f001_recognises_vietnamese_facts(text: str, fact: str) -> None:
    assert fact in present_facts(text, load_language("vi"))


@pytest.mark.parametrize(
    ("text", "fact", "lang"),
    [
        ("you may bring 5 friends", "deadline", "en"),
        ("a membership card", "delivery", "en"),
        ("send us 5 ideas", "deadline", "en"),
        ("shop today", "deadline", "en"),
        ("mua ngay hôm nay", "deadline", "vi"),
        ("số lượng có hạn", "deadline", "vi"),
        ("mua cái thứ hai", "deadline", "vi"),
        ("giá tốt nhất", "price", "vi"),
    ],
)
def test_f001_does_not_mistake_ordinary_words_for_facts(text: str, fact: str, lang: str) -> None:
    assert fact not in present_facts(text, load_language(lang))


def test_key_facts_rule_has_the_three_doc_sections() -> None:
    doc = explain(MissingKeyFacts)
    for section in ("## What it does", "## Why is this bad?", "## Example", "Use instead:"):
        assert section in doc
