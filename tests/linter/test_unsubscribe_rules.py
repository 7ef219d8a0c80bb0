"""U001 no-unsubscribe, in English and Vietnamese, text and HTML templates."""

from __future__ import annotations

import pytest

from linter.explain import explain
from linter.model import Finding
from linter.registry import get_rule
from tests.linter.helpers import codes, lint, template

SUBJECTS = {
    "en": "Save 60% on every jazz CD until Friday",
    "vi": "Tiết kiệm 60% khi mua đĩa CD nhạc jazz đến thứ Sáu",
}
PATHS = {"text": "x.txt.j2", "html": "x.html.j2"}
BODY = {
    ("en", "text"): "Hi An,\n\nYou save 60% on every jazz CD until Friday.\n\n"
    "Shop the sale: https://shop.example.com/jazz\n\n--\n{footer}\n",
    ("vi", "text"): "Chào An,\n\nBạn tiết kiệm 60% cho mọi đĩa CD nhạc jazz.\n\n"
    "Mua ngay: https://shop.example.com/jazz\n\n--\n{footer}\n",
    ("en", "html"): "<p>You save 60% on every jazz CD until Friday.</p>\n"
    '<p><a href="https://shop.example.com/jazz">Shop the sale</a></p>\n'
    '<div class="footer">{footer}</div>\n',
    ("vi", "html"): "<p>Bạn tiết kiệm 60% cho mọi đĩa CD nhạc jazz.</p>\n"
    '<p><a href="https://shop.example.com/jazz">Mua ngay</a></p>\n'
    "<footer>{footer}</footer>\n",
}
NO_UNSUBSCRIBE_FOOTER = {
    "en": "Hookline Records, 12 Hang Bai Street, Hanoi",
    "vi": "Hookline Records, 12 Hàng Bài, Hà Nội",
}


def run(lang: str, kind: str, footer: str, channel: str | None = None) -> tuple[str, list[Finding]]:
    """The template text and its U001 findings."""
    body = BODY[lang, kind].replace("{footer}", footer)
    text = template(body, SUBJECTS[lang], lang=lang, channel=channel)
    return text, lint(text, path=PATHS[kind], select=["U001"])


@pytest.mark.parametrize("kind", ["text", "html"])
@pytest.mark.parametrize("lang", ["en", "vi"])
def test_u001_fires_when_the_email_has_no_unsubscribe(lang: str, kind: str) -> None:
    text, findings = run(lang, kind, NO_UNSUBSCRIBE_FOOTER[lang])
    assert codes(findings) == ["U001"]
    last_line = text.rstrip("\n").count("\n") + 1
    assert (findings[0].span.line, findings[0].span.column) == (last_line, 1)
    assert "unsubscribe_url" in findings[0].message


@pytest.mark.parametrize(
    ("lang", "footer"),
    [
        ("en", "Unsubscribe: {{ unsubscribe_url }}"),
        ("en", "Had enough? {{ unsubscribe_url }}"),
        ("vi", "Hủy đăng ký: {{ unsubscribe_url }}"),
        ("vi", "Huỷ đăng ký: https://shop.example.com/huy"),
    ],
)
def test_u001_stays_quiet_when_a_text_email_prints_the_unsubscribe_url(
    lang: str, footer: str
) -> None:
    assert run(lang, "text", footer)[1] == []


@pytest.mark.parametrize(
    ("lang", "footer"),
    [
        ("en", '<a href="{{ unsubscribe_url }}">Stop these emails</a>'),
        ("en", '<a href="https://shop.example.com/prefs">Unsubscribe</a>'),
        ("vi", '<a href="{{ unsubscribe_url }}">Không muốn nhận thư nữa?</a>'),
        ("vi", '<a href="https://shop.example.com/huy">Hủy đăng ký</a>'),
    ],
)
def test_u001_stays_quiet_on_an_unsubscribe_link_in_html(lang: str, footer: str) -> None:
    assert run(lang, "html", footer)[1] == []


def test_u001_counts_the_unsubscribe_url_printed_as_html_text() -> None:
    assert run("en", "html", "To stop, visit {{ unsubscribe_url }}")[1] == []


@pytest.mark.parametrize("kind", ["text", "html"])
def test_u001_does_not_apply_to_letters(kind: str) -> None:
    assert run("vi", kind, NO_UNSUBSCRIBE_FOOTER["vi"], channel="letter")[1] == []


def test_u001_explain_has_three_doc_sections() -> None:
    rule = get_rule("U001")
    assert rule is not None
    text = explain(rule)
    for section in ("## What it does", "## Why is this bad?", "## Example", "Use instead:"):
        assert section in text
    assert rule.channels == frozenset({"email"})
