"""P001 ps-missing, P002 ps-off-hook and P003 ps-no-link, in English and Vietnamese."""

from __future__ import annotations

from linter.explain import explain
from linter.language import load_language
from linter.rules.postscript import PsMissing, PsNoLink, PsOffHook, offer_terms
from tests.linter.helpers import codes, lint, template
from tests.linter.test_capitals_rules import GOOD_EN, GOOD_VI, places, position

HOOK_EN = "You save 60% on every jazz CD until Friday.\n\n"
HOOK_VI = "Bạn tiết kiệm 60% khi mua mọi đĩa CD nhạc jazz đến hết thứ Sáu.\n\n"
LINK = "https://shop.example.com/jazz"


def test_ps_rules_quiet_on_a_good_campaign_in_both_languages() -> None:
    assert lint(template(GOOD_EN), select=["P"]) == []
    assert lint(template(GOOD_VI, lang="vi"), select=["P"]) == []


def test_ps_rules_quiet_on_a_good_html_campaign() -> None:
    body = (
        "<p>Hi An,</p>\n<p>You save 60% on every jazz CD until Friday.</p>\n"
        f'<p><a href="{LINK}">Shop the sale</a></p>\n'
        f'<p>P.S. Your <b>60%</b> saving ends Friday: <a href="{LINK}">shop now</a></p>\n'
        '<footer><a href="{{ unsubscribe_url }}">Unsubscribe</a></footer>\n'
    )
    assert lint(template(body), path="x.html.j2", select=["P"]) == []


# --- P001 ------------------------------------------------------------------------


def test_p001_reports_a_missing_ps_at_the_last_body_paragraph() -> None:
    text = template(
        HOOK_EN + f"Shop the sale: {LINK}\n\n--\nUnsubscribe: {{{{ unsubscribe_url }}}}"
    )
    findings = lint(text, select=["P001"])
    assert codes(findings) == ["P001"]
    assert places(findings) == [position(text, "Shop the sale")]


def test_p001_reports_a_missing_tai_but_in_html() -> None:
    body = f'<p>{HOOK_VI}</p>\n<p>Mua ngay: <a href="{LINK}">đĩa jazz</a></p>\n'
    text = template(body, lang="vi")
    findings = lint(text, path="x.html.j2", select=["P001"])
    assert places(findings) == [position(text, "Mua ngay")]


def test_p001_reports_a_missing_ps_in_english_html_and_vietnamese_text() -> None:
    html = template(f'<p>{HOOK_EN}</p>\n<p><a href="{LINK}">Shop the sale</a></p>\n')
    assert places(lint(html, path="x.html.j2", select=["P001"])) == [position(html, "Shop the")]
    text = template(HOOK_VI + f"Mua ngay: {LINK}\n", lang="vi")
    assert places(lint(text, select=["P001"])) == [position(text, "Mua ngay")]


def test_p001_accepts_every_marker() -> None:
    for marker in ("P.S.", "PS:", "P.S:"):
        assert lint(template(HOOK_EN + f"{marker} Ends Friday.\n"), select=["P001"]) == []
    for marker in ("Tái bút:", "T.B.", "T.B:"):
        text = template(HOOK_VI + f"{marker} Hết thứ Sáu.\n", lang="vi")
        assert lint(text, select=["P001"]) == [], marker
        html = template(f"<p>{HOOK_VI}</p>\n<p>{marker} Hết thứ Sáu.</p>\n", lang="vi")
        assert lint(html, path="x.html.j2", select=["P001"]) == [], marker


def test_p001_does_not_take_a_ps_in_the_footer() -> None:
    text = template(HOOK_EN + "--\nP.S. We are at 12 Hang Bai.\n")
    assert codes(lint(text, select=["P001"])) == ["P001"]


def test_p001_applies_to_letters() -> None:
    text = template(HOOK_VI, lang="vi", channel="letter")
    assert codes(lint(text, select=["P001"])) == ["P001"]


# --- P002 ------------------------------------------------------------------------


def test_offer_terms_compare_numbers_by_digits_and_benefits_by_group() -> None:
    en, vi = load_language("en"), load_language("vi")
    assert offer_terms("Save 60% today", en).shared(offer_terms("your saving of 60 %", en))
    assert offer_terms("Giảm 200.000đ", vi).shared(offer_terms("200,000 VND", vi))
    assert not offer_terms("Save 60%", en).shared(offer_terms(f"Visit {LINK}60", en))


def test_p002_reports_a_ps_about_something_else() -> None:
    text = template(HOOK_EN + f"P.S. Follow us on Facebook for news.\n{LINK}\n")
    findings = lint(text, select=["P002"])
    assert codes(findings) == ["P002"]
    assert "60%" in findings[0].message and "save" in findings[0].message
    assert places(findings) == [position(text, "P.S.")]


def test_p002_reports_an_off_hook_tai_but_in_html() -> None:
    body = f"<p>{HOOK_VI}</p>\n<p>Tái bút: Theo dõi cửa hàng trên Facebook nhé.</p>\n"
    text = template(body, subject="Tiết kiệm 60% cho đĩa CD", lang="vi")
    findings = lint(text, path="x.html.j2", select=["P002"])
    assert places(findings) == [position(text, "Tái bút")]


def test_p002_reports_an_off_hook_ps_in_english_html() -> None:
    body = f"<p>{HOOK_EN}</p>\n<p><strong>P.S.</strong> Meet our new staff.</p>\n"
    text = template(body)
    assert places(lint(text, path="x.html.j2", select=["P002"])) == [position(text, "P.S.")]


def test_p002_accepts_the_benefit_in_another_form() -> None:
    text = template(HOOK_EN + "P.S. Savings like these end on Friday.\n", subject="Jazz week")
    assert lint(text, select=["P002"]) == []
    body_vi = f"<p>{HOOK_VI}</p>\n<p>T.B. Nhớ tiết kiệm nhé.</p>\n"
    text_vi = template(body_vi, subject="Tuần lễ jazz", lang="vi")
    assert lint(text_vi, path="x.html.j2", select=["P002"]) == []
    off_hook = template(body_vi.replace("tiết kiệm", "ghé thăm"), subject="Tuần lễ jazz", lang="vi")
    assert codes(lint(off_hook, path="x.html.j2", select=["P002"])) == ["P002"]


def test_p002_accepts_the_subjects_offer() -> None:
    body = "Our jazz week starts now.\n\nP.S. Free delivery on every order.\n"
    assert lint(template(body, subject="Free delivery on jazz CDs"), select=["P002"]) == []


def test_p002_falls_back_to_a_shared_content_word_without_offer_terms() -> None:
    hook = "Join us for a jazz evening in the shop.\n\n"
    quiet = template(hook + "P.S. Bring a friend to the jazz evening.\n", subject=None)
    assert lint(quiet, select=["P002"]) == []
    loud = template(hook + "P.S. Follow us on Facebook.\n", subject=None)
    assert codes(lint(loud, select=["P002"])) == ["P002"]


def test_p002_fallback_ignores_stopwords() -> None:
    hook = "Mời bạn đến những buổi nhạc jazz của cửa hàng.\n\n"
    text = template(hook + "Tái bút: Những người bạn của chúng tôi.\n", subject=None, lang="vi")
    assert codes(lint(text, select=["P002"])) == ["P002"]


def test_p002_quiet_without_a_ps() -> None:
    assert lint(template(HOOK_EN), select=["P002"]) == []


# --- P003 ------------------------------------------------------------------------


def test_p003_reports_a_ps_without_a_link() -> None:
    text = template(HOOK_EN + f"Shop: {LINK}\n\nP.S. Your 60% saving ends Friday.\n")
    findings = lint(text, select=["P003"])
    assert codes(findings) == ["P003"]
    assert places(findings) == [position(text, "P.S.")]


def test_p003_reports_a_tai_but_without_a_link_in_html() -> None:
    body = (
        f'<p>{HOOK_VI}</p>\n<p><a href="{LINK}">Mua ngay</a></p>\n'
        "<p>Tái bút: Ưu đãi 60% kết thúc thứ Sáu.</p>\n"
        '<footer><a href="{{ unsubscribe_url }}">Hủy đăng ký</a></footer>\n'
    )
    text = template(body, lang="vi")
    findings = lint(text, path="x.html.j2", select=["P003"])
    assert places(findings) == [position(text, "Tái bút")]


def test_p003_reports_a_ps_without_a_link_in_english_html() -> None:
    body = f"<p>{HOOK_EN}</p>\n<p>P.S. Your 60% saving ends Friday.</p>\n"
    text = template(body)
    assert places(lint(text, path="x.html.j2", select=["P003"])) == [position(text, "P.S.")]


def test_p003_accepts_a_link_in_a_paragraph_after_the_ps() -> None:
    text = template(
        HOOK_VI + f"Tái bút: Ưu đãi 60% kết thúc thứ Sáu.\n\nMua ngay: {LINK}\n", lang="vi"
    )
    assert lint(text, select=["P003"]) == []


def test_p003_does_not_count_the_unsubscribe_link() -> None:
    text = template(HOOK_EN + "P.S. Not for you? Unsubscribe: {{ unsubscribe_url }}\n")
    assert codes(lint(text, select=["P003"])) == ["P003"]


def test_p003_does_not_apply_to_letters() -> None:
    text = template(HOOK_EN + "P.S. Your 60% saving ends Friday.\n", channel="letter")
    assert lint(text, select=["P003"]) == []


# --- docs ------------------------------------------------------------------------


def test_ps_rules_have_the_three_doc_sections() -> None:
    for rule in (PsMissing, PsOffHook, PsNoLink):
        doc = explain(rule)
        for section in ("## What it does", "## Why is this bad?", "## Example", "Use instead:"):
            assert section in doc, (rule.code, section)
