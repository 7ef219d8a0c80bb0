"""H001 hook-not-reader-focused, in English and Vietnamese, text and HTML templates."""

from __future__ import annotations

import pytest

from linter.explain import explain
from linter.model import Finding
from linter.registry import get_rule
from tests.linter.helpers import codes, lint, template

PATHS = {"text": "x.txt.j2", "html": "x.html.j2"}
SUBJECTS = {
    "en": "Save 60% on every jazz CD until Friday",
    "vi": "Tiết kiệm 60% khi mua đĩa CD nhạc jazz đến thứ Sáu",
}
GREETINGS = {"en": "Hi {{ first_name }},", "vi": "Chào {{ first_name }},"}
LINKS = {
    "en": "Shop the sale: https://shop.example.com/jazz",
    "vi": "Mua ngay: https://shop.example.com/jazz",
}
FOOTER = "--\nUnsubscribe: {{ unsubscribe_url }}\n"


def body(lang: str, kind: str, paragraph: str) -> str:
    """A campaign whose first paragraph after the greeting is ``paragraph``."""
    if kind == "html":
        return (
            f"<p>{GREETINGS[lang]}</p>\n<p>{paragraph}</p>\n"
            '<p><a href="https://shop.example.com/jazz">Shop</a></p>\n'
            '<div class="footer"><a href="{{ unsubscribe_url }}">Unsubscribe</a></div>\n'
        )
    return f"{GREETINGS[lang]}\n\n{paragraph}\n\n{LINKS[lang]}\n\n{FOOTER}"


def lint_hook(
    lang: str, kind: str, paragraph: str, channel: str | None = None
) -> tuple[str, list[Finding]]:
    """The template text and its H001 findings."""
    text = template(body(lang, kind, paragraph), SUBJECTS[lang], lang=lang, channel=channel)
    return text, lint(text, path=PATHS[kind], select=["H001"])


def position(text: str, needle: str) -> tuple[int, int]:
    """The 1-based line and column of ``needle`` in ``text``."""
    offset = text.index(needle)
    line = text.count("\n", 0, offset) + 1
    return line, offset - text.rfind("\n", 0, offset)


GOOD = {
    "en": "You save 60% on every jazz CD until Friday, with free delivery in Hanoi.",
    "vi": "Bạn tiết kiệm 60% cho mọi đĩa CD nhạc jazz đến thứ Sáu, miễn phí giao hàng.",
}
SELF_CENTRED = {
    "en": (
        "We are proud to present our new jazz collection. Our team chose every record.",
        "We",
    ),
    "vi": (
        "Chúng tôi vui mừng giới thiệu bộ sưu tập nhạc jazz mới. Công ty đã chọn từng đĩa.",
        "Chúng tôi",
    ),
}


@pytest.mark.parametrize("kind", ["text", "html"])
@pytest.mark.parametrize("lang", ["en", "vi"])
def test_h001_stays_quiet_on_a_reader_focused_hook(lang: str, kind: str) -> None:
    assert lint_hook(lang, kind, GOOD[lang])[1] == []


@pytest.mark.parametrize("kind", ["text", "html"])
@pytest.mark.parametrize("lang", ["en", "vi"])
def test_h001_fires_when_the_hook_speaks_only_of_the_sender(lang: str, kind: str) -> None:
    paragraph, word = SELF_CENTRED[lang]
    text, findings = lint_hook(lang, kind, paragraph)
    assert codes(findings) == ["H001"]
    span = findings[0].span
    assert (span.line, span.column) == position(text, paragraph)
    assert span.end_column == span.column + len(word)
    assert f'"{word}"' in findings[0].message
    assert findings[0].severity == "warning"


@pytest.mark.parametrize("kind", ["text", "html"])
def test_h001_points_at_the_first_we_word_inside_the_sentence(kind: str) -> None:
    paragraph = "This month our shop has a new jazz collection."
    text, findings = lint_hook("en", kind, paragraph)
    assert codes(findings) == ["H001"]
    line, column = position(text, paragraph)
    assert (findings[0].span.line, findings[0].span.column) == (line, column + len("This month "))


@pytest.mark.parametrize(
    ("lang", "paragraph"),
    [
        ("en", "We picked these jazz records for you. Our prices end Friday."),
        ("en", "Our sale starts today. Your favourite jazz CDs are 60% off."),
        ("vi", "Chúng tôi dành tặng bạn ưu đãi 60% cho đĩa nhạc jazz."),
        ("vi", "Công ty gửi quý khách ưu đãi 60% cho đĩa nhạc jazz."),
        ("vi", "Chúng tôi gửi anh chị ưu đãi 60% cho đĩa nhạc jazz."),
    ],
)
@pytest.mark.parametrize("kind", ["text", "html"])
def test_h001_stays_quiet_when_the_hook_also_speaks_of_the_reader(
    lang: str, paragraph: str, kind: str
) -> None:
    assert lint_hook(lang, kind, paragraph)[1] == []


@pytest.mark.parametrize(
    ("lang", "paragraph"),
    [
        ("en", "Jazz CDs are 60% off. Delivery is free. We ship on Monday."),
        ("vi", "Đĩa nhạc jazz giảm 60%. Giao hàng miễn phí. Chúng tôi giao vào thứ Hai."),
    ],
)
def test_h001_reads_only_the_first_two_sentences(lang: str, paragraph: str) -> None:
    assert lint_hook(lang, "text", paragraph)[1] == []


def test_h001_skips_the_greeting_before_the_hook() -> None:
    # "Dear" opens a salutation, so the hook starts at "We".
    text = template(
        "Dear {{ first_name }},\n\nWe have news. Our shop moved.\n\n" + LINKS["en"] + "\n",
        SUBJECTS["en"],
        lang="en",
    )
    findings = lint(text, select=["H001"])
    assert codes(findings) == ["H001"]
    assert (findings[0].span.line, findings[0].span.column) == position(text, "We have")


def test_h001_checks_letters_too() -> None:
    paragraph, _ = SELF_CENTRED["vi"]
    _, findings = lint_hook("vi", "html", paragraph, channel="letter")
    assert codes(findings) == ["H001"]


def test_h001_explain_has_three_doc_sections() -> None:
    rule = get_rule("H001")
    assert rule is not None
    text = explain(rule)
    for section in ("## What it does", "## Why is this bad?", "## Example", "Use instead:"):
        assert section in text
    assert rule.channels == frozenset({"email", "letter"})
