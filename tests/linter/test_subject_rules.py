"""The subject rules: S001 subject-missing, S002 subject-vague, S003 subject-no-benefit,
S004 subject-shouting. Each in English and Vietnamese, text and HTML templates."""

from __future__ import annotations

import dataclasses

import pytest

from linter.explain import explain
from linter.model import Finding
from linter.registry import get_rule
from tests.linter.helpers import NO_GRAMMAR, codes, lint, template

SUBJECT_LINE = 2  # template() writes `subject = ...` on the file's second line
VALUE_COLUMN = len('subject = "') + 1

GOOD_EN = (
    "Hi {{ first_name }},\n\n"
    "You save 60% on every jazz CD until Friday, with free delivery in Hanoi.\n\n"
    "Shop the sale: https://shop.example.com/jazz\n\n"
    "P.S. Your 60% saving ends Friday: https://shop.example.com/jazz\n\n"
    "--\nUnsubscribe: {{ unsubscribe_url }}\n"
)
GOOD_VI = (
    "Chào {{ first_name }},\n\n"
    "Bạn tiết kiệm 60% cho mọi đĩa CD nhạc jazz đến thứ Sáu, miễn phí giao hàng tại "
    "Hà Nội.\n\n"
    "Mua ngay: https://shop.example.com/jazz\n\n"
    "Tái bút: Ưu đãi 60% của bạn kết thúc vào thứ Sáu: https://shop.example.com/jazz\n\n"
    "--\nHủy đăng ký: {{ unsubscribe_url }}\n"
)
GOOD_EN_HTML = (
    "<p>Hi {{ first_name }},</p>\n"
    "<p>You save 60% on every jazz CD until Friday, with free delivery in Hanoi.</p>\n"
    '<p><a href="https://shop.example.com/jazz">Shop the sale</a></p>\n'
    '<div class="footer"><a href="{{ unsubscribe_url }}">Unsubscribe</a></div>\n'
)
GOOD_VI_HTML = (
    "<p>Chào {{ first_name }},</p>\n"
    "<p>Bạn tiết kiệm 60% cho mọi đĩa CD nhạc jazz đến thứ Sáu.</p>\n"
    '<p><a href="https://shop.example.com/jazz">Mua ngay</a></p>\n'
    '<div class="footer"><a href="{{ unsubscribe_url }}">Hủy đăng ký</a></div>\n'
)
BODIES = {
    ("en", "text"): GOOD_EN,
    ("vi", "text"): GOOD_VI,
    ("en", "html"): GOOD_EN_HTML,
    ("vi", "html"): GOOD_VI_HTML,
}
PATHS = {"text": "x.txt.j2", "html": "x.html.j2"}
GOOD_SUBJECTS = {
    "en": "Save 60% on every jazz CD until Friday",
    "vi": "Tiết kiệm 60% khi mua đĩa CD nhạc jazz đến thứ Sáu",
}


def lint_subject(
    subject: str | None,
    lang: str = "en",
    kind: str = "text",
    select: str = "S",
    extra: str = "",
    channel: str | None = None,
) -> list[Finding]:
    """Lint the good campaign of ``lang`` and ``kind`` under another subject."""
    text = template(BODIES[lang, kind], subject=subject, lang=lang, extra=extra, channel=channel)
    return lint(text, path=PATHS[kind], select=[select])


def column_of(subject: str, needle: str, start: int = 0) -> int:
    """The file column of ``needle`` in the subject line template() writes."""
    return VALUE_COLUMN + subject.index(needle, start)


@pytest.mark.parametrize("kind", ["text", "html"])
@pytest.mark.parametrize("lang", ["en", "vi"])
def test_subject_rules_stay_quiet_on_a_good_campaign(lang: str, kind: str) -> None:
    assert lint_subject(GOOD_SUBJECTS[lang], lang, kind) == []


# --- S001 -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["text", "html"])
@pytest.mark.parametrize("lang", ["en", "vi"])
def test_s001_fires_when_the_email_has_no_subject(lang: str, kind: str) -> None:
    findings = lint_subject(None, lang, kind, "S001")
    assert codes(findings) == ["S001"]
    assert findings[0].span.line == 1
    assert "no `subject`" in findings[0].message


@pytest.mark.parametrize("kind", ["text", "html"])
def test_s001_fires_on_a_whitespace_only_subject(kind: str) -> None:
    findings = lint_subject("   ", "vi", kind, "S001")
    assert codes(findings) == ["S001"]
    assert findings[0].span.line == SUBJECT_LINE


def test_s001_fires_when_the_subject_renders_empty() -> None:
    extra = '[[preview]]\nfirst_name = ""'
    findings = lint_subject("{{ first_name }}", "en", "text", "S001", extra=extra)
    assert codes(findings) == ["S001"]
    assert findings[0].span.line == SUBJECT_LINE
    assert "renders empty" in findings[0].message


def test_s001_stays_quiet_on_a_letter_without_subject() -> None:
    assert lint_subject(None, "en", "html", "S", channel="letter") == []


# --- S002 -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "subject"),
    [
        ("en", "Hello"),
        ("en", "How are you?"),
        ("en", "Quick question"),
        ("en", "Newsletter"),
        ("en", "Update"),
        ("en", "Your monthly newsletter"),
        ("vi", "Xin chào"),
        ("vi", "Bạn có khoẻ không?"),
        ("vi", "Bạn có khỏe không?"),
        ("vi", "Bản tin"),
        ("vi", "Cập nhật"),
    ],
)
@pytest.mark.parametrize("kind", ["text", "html"])
def test_s002_fires_on_a_greeting_or_teaser_subject(lang: str, subject: str, kind: str) -> None:
    findings = lint_subject(subject, lang, kind, "S002")
    assert codes(findings) == ["S002"]
    assert (findings[0].span.line, findings[0].span.column) == (SUBJECT_LINE, VALUE_COLUMN)


def test_s002_fires_on_vietnamese_greeting_subject_with_either_tone_spelling() -> None:
    for subject in ("Bạn có khoẻ không", "BẠN CÓ KHỎE KHÔNG", "Ban co khoe khong?"):
        assert codes(lint_subject(subject, "vi", "text", "S002")) == ["S002"]


@pytest.mark.parametrize(
    ("lang", "subject"),
    [
        ("en", "Hi {{ first_name }}"),
        ("en", "Hi An"),
        ("en", "Dear {{ first_name }} {{ last_name }}!"),
        ("vi", "Xin chào {{ first_name }}"),
        ("vi", "Chào bạn {{ first_name }} nhé"),
    ],
)
def test_s002_fires_on_a_greeting_with_the_contacts_name(lang: str, subject: str) -> None:
    findings = lint_subject(subject, lang, "html", "S002")
    assert codes(findings) == ["S002"]
    assert subject in findings[0].message


def test_s002_recognises_a_preview_name_in_the_subject() -> None:
    extra = '[[preview]]\nfirst_name = "Minh"'
    findings = lint_subject("Hi {{ first_name }}", "en", "text", "S002", extra=extra)
    assert codes(findings) == ["S002"]


@pytest.mark.parametrize(
    ("lang", "subject", "prefix"),
    [
        ("en", "Re: your 60% jazz saving", "Re:"),
        ("en", "Fwd: Save 60% on jazz CDs", "Fwd:"),
        ("vi", "TR: Giảm 60% đĩa CD nhạc jazz", "TR:"),
        ("vi", "Trả lời: ưu đãi 60% của bạn", "Trả lời:"),
    ],
)
@pytest.mark.parametrize("kind", ["text", "html"])
def test_s002_fires_on_a_fake_reply_prefix(lang: str, subject: str, prefix: str, kind: str) -> None:
    findings = lint_subject(subject, lang, kind, "S002")
    assert codes(findings) == ["S002"]
    span = findings[0].span
    assert (span.line, span.column, span.end_column) == (
        SUBJECT_LINE,
        VALUE_COLUMN,
        VALUE_COLUMN + len(prefix),
    )
    assert prefix in findings[0].message


@pytest.mark.parametrize(
    ("lang", "subject"),
    [
        ("en", "Hi {{ first_name }}, save 60% on jazz CDs"),
        ("en", "Reminder: your 60% saving ends Friday"),
        ("en", "Quick question about your jazz order"),
        ("en", "Welcome to Hookline Records"),
        ("vi", "Chào {{ first_name }}, giảm 60% đĩa CD nhạc jazz"),
        ("vi", "Bản tin tháng 3: quà tặng cho bạn"),
    ],
)
@pytest.mark.parametrize("kind", ["text", "html"])
def test_s002_stays_quiet_on_a_concrete_subject(lang: str, subject: str, kind: str) -> None:
    assert lint_subject(subject, lang, kind, "S002") == []


# --- S003 -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "subject"),
    [
        ("en", "Our jazz collection"),
        ("en", "The 2025 jazz catalogue"),
        ("vi", "Bộ sưu tập nhạc jazz"),
        ("vi", "Danh mục nhạc jazz 2025"),
    ],
)
@pytest.mark.parametrize("kind", ["text", "html"])
def test_s003_fires_when_the_subject_names_no_benefit(lang: str, subject: str, kind: str) -> None:
    findings = lint_subject(subject, lang, kind, "S003")
    assert codes(findings) == ["S003"]
    span = findings[0].span
    assert (span.line, span.column, span.end_column) == (
        SUBJECT_LINE,
        VALUE_COLUMN,
        VALUE_COLUMN + len(subject),
    )
    assert findings[0].severity == "warning"


@pytest.mark.parametrize(
    ("lang", "subject"),
    [
        ("en", "Save on every jazz CD until Friday"),
        ("en", "Free delivery on jazz CDs"),
        ("en", "A gift for you: jazz CDs"),
        ("en", "$10 off jazz CDs"),
        ("en", "Jazz CDs at half price"),
        ("vi", "Tiết kiệm khi mua đĩa CD nhạc jazz"),
        ("vi", "Miễn phí giao hàng đĩa nhạc jazz"),
        ("vi", "Quà tặng cho bạn"),
        ("vi", "Ưu đãi đĩa nhạc jazz"),
        ("vi", "Đĩa jazz chỉ 99.000đ"),
    ],
)
@pytest.mark.parametrize("kind", ["text", "html"])
def test_s003_stays_quiet_when_the_subject_names_a_benefit(
    lang: str, subject: str, kind: str
) -> None:
    assert lint_subject(subject, lang, kind, "S003") == []


# --- S004 -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "subject", "word"),
    [
        ("en", "FREE delivery on every jazz CD", "FREE"),
        ("en", "Save 60% on jazz CDs, HURRY", "HURRY"),
        ("vi", "ĐẶC BIỆT: giảm 60% đĩa CD nhạc jazz", "ĐẶC BIỆT"),
        ("vi", "Giảm 60% đĩa CD, MUA NGAY", "MUA NGAY"),
    ],
)
@pytest.mark.parametrize("kind", ["text", "html"])
def test_s004_fires_on_a_word_in_capitals(lang: str, subject: str, word: str, kind: str) -> None:
    findings = lint_subject(subject, lang, kind, "S004")
    assert codes(findings) == ["S004"]
    span = findings[0].span
    column = column_of(subject, word)
    assert (span.line, span.column, span.end_column) == (SUBJECT_LINE, column, column + len(word))
    assert f'"{word}"' in findings[0].message


@pytest.mark.parametrize(
    ("lang", "subject"),
    [("en", "Save 60% on jazz CDs!!"), ("vi", "Giảm 60%! Đĩa CD nhạc jazz!")],
)
@pytest.mark.parametrize("kind", ["text", "html"])
def test_s004_fires_on_more_than_one_exclamation(lang: str, subject: str, kind: str) -> None:
    findings = lint_subject(subject, lang, kind, "S004")
    assert codes(findings) == ["S004"]
    second = subject.index("!", subject.index("!") + 1)
    assert (findings[0].span.line, findings[0].span.column) == (
        SUBJECT_LINE,
        VALUE_COLUMN + second,
    )


def test_s004_reports_each_shouting_word_at_its_own_column() -> None:
    subject = "FREE jazz, FREE delivery"
    findings = lint_subject(subject, "en", "text", "S004")
    assert [f.span.column for f in findings] == [
        column_of(subject, "FREE"),
        column_of(subject, "FREE", 1),
    ]


@pytest.mark.parametrize(
    ("lang", "subject"),
    [
        ("en", "Save 60% on jazz CDs and DVDs!"),
        ("en", "Save 500,000 VND on jazz CDs"),
        ("en", "Jazz for VIP members: 60% off"),
        ("vi", "Giảm 500.000 VND cho đĩa CD nhạc jazz"),
        ("vi", "Ưu đãi 60% cho khách VIP!"),
    ],
)
@pytest.mark.parametrize("kind", ["text", "html"])
def test_s004_stays_quiet_on_acronyms_currencies_and_one_exclamation(
    lang: str, subject: str, kind: str
) -> None:
    assert lint_subject(subject, lang, kind, "S004") == []


def test_s004_accepts_acronyms_from_config() -> None:
    text = template(GOOD_EN, subject="Save 60% at HOOKLINE today", lang="en")
    assert codes(lint(text, select=["S004"])) == ["S004"]
    config = dataclasses.replace(NO_GRAMMAR, extend_acronyms=("Hookline",))
    assert lint(text, select=["S004"], config=config) == []


# --- documentation --------------------------------------------------------------------


@pytest.mark.parametrize("code", ["S001", "S002", "S003", "S004"])
def test_subject_rule_explain_has_three_doc_sections(code: str) -> None:
    rule = get_rule(code)
    assert rule is not None
    text = explain(rule)
    for section in ("## What it does", "## Why is this bad?", "## Example", "Use instead:"):
        assert section in text
    assert rule.channels == frozenset({"email"})
