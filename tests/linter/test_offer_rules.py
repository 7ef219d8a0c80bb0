"""O001 multiple-offers and A001 no-call-to-action, in English and Vietnamese, text and
HTML templates; and the realistic campaign that none of the copy rules here flag."""

from __future__ import annotations

import pytest

from linter.explain import explain
from linter.model import Finding
from linter.registry import get_rule
from tests.linter.helpers import codes, lint, template

MY_RULES = ["S", "H", "O", "A", "U"]
SUBJECTS = {
    "en": "Save 60% on every jazz CD until Friday",
    "vi": "Tiết kiệm 60% khi mua đĩa CD nhạc jazz đến thứ Sáu",
}
PATHS = {"text": "x.txt.j2", "html": "x.html.j2"}
CAMPAIGN = {
    "en": (
        "Hi An,\n\n"
        "You save 60% on every jazz CD until Friday, with free delivery in Hanoi.\n\n"
        "Shop the sale: https://shop.example.com/jazz\n\n"
        "P.S. Your 60% saving ends Friday: https://shop.example.com/jazz\n\n"
        "--\nUnsubscribe: {{ unsubscribe_url }}"
    ),
    "vi": (
        "Chào An,\n\n"
        "Bạn tiết kiệm 60% cho mọi đĩa CD nhạc jazz đến thứ Sáu, miễn phí giao hàng tại "
        "Hà Nội.\n\n"
        "Mua ngay: https://shop.example.com/jazz\n\n"
        "Tái bút: Ưu đãi 60% của bạn kết thúc vào thứ Sáu: https://shop.example.com/jazz\n\n"
        "--\nHủy đăng ký: {{ unsubscribe_url }}"
    ),
}
CAMPAIGN_HTML = {
    "en": (
        '<table width="100%"><tr><td>\n'
        '<a href="https://www.shop.example.com/"><img src="logo.png" alt="Hookline"></a>\n'
        "<p>Hi {{ first_name }},</p>\n"
        "<p>You save 60% on every jazz CD until Friday, with free delivery in Hanoi.</p>\n"
        '<p><a href="https://shop.example.com/jazz?utm_source=email">Shop the sale</a></p>\n'
        "<p>P.S. Your 60% saving ends Friday: "
        '<a href="https://www.shop.example.com/jazz/#top">shop now</a></p>\n'
        '<p>Follow us on <a href="https://www.facebook.com/hookline">Facebook</a> or '
        '<a href="mailto:hello@example.com">write to us</a>.</p>\n'
        "</td></tr></table>\n"
        '<div class="footer"><a href="{{ view_url }}">View in browser</a> '
        '<a href="https://shop.example.com/privacy">Privacy</a> '
        '<a href="{{ unsubscribe_url }}">Unsubscribe</a></div>\n'
    ),
    "vi": (
        "<p>Chào {{ first_name }},</p>\n"
        "<p>Bạn tiết kiệm 60% cho mọi đĩa CD nhạc jazz đến thứ Sáu.</p>\n"
        '<p><a href="https://shop.example.com/jazz?utm_campaign=jazz">Mua ngay</a></p>\n'
        "<p>Tái bút: Ưu đãi 60% kết thúc vào thứ Sáu: "
        '<a href="https://shop.example.com/jazz">mua ngay</a></p>\n'
        '<p><a href="https://zalo.me/hookline">Zalo</a></p>\n'
        '<footer><a href="https://shop.example.com/lien-he">Liên hệ</a> '
        '<a href="{{ unsubscribe_url }}">Hủy đăng ký</a></footer>\n'
    ),
}


def position(text: str, needle: str, nth: int = 0) -> tuple[int, int]:
    """The 1-based line and column of the ``nth`` occurrence of ``needle`` in ``text``."""
    offset = -1
    for _ in range(nth + 1):
        offset = text.index(needle, offset + 1)
    line = text.count("\n", 0, offset) + 1
    return line, offset - text.rfind("\n", 0, offset)


def run(
    body: str, lang: str, kind: str, select: list[str], channel: str | None = None
) -> tuple[str, list[Finding]]:
    """The template text and its findings for ``select``."""
    text = template(body, SUBJECTS[lang], lang=lang, channel=channel)
    return text, lint(text, path=PATHS[kind], select=select)


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_realistic_text_campaign_has_no_subject_hook_offer_or_unsubscribe_findings(
    lang: str,
) -> None:
    assert run(CAMPAIGN[lang], lang, "text", MY_RULES)[1] == []


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_realistic_html_campaign_has_no_subject_hook_offer_or_unsubscribe_findings(
    lang: str,
) -> None:
    assert run(CAMPAIGN_HTML[lang], lang, "html", MY_RULES)[1] == []


# --- O001: destinations ---------------------------------------------------------------

TWO_LINKS = {
    "en": (
        "Hi An,\n\nYou save 60% on every jazz CD until Friday.\n\n"
        "Shop jazz: https://shop.example.com/jazz\n"
        "Or see our vinyl: https://shop.example.com/vinyl\n\n"
        "--\nUnsubscribe: {{ unsubscribe_url }}\n"
    ),
    "vi": (
        "Chào An,\n\nBạn tiết kiệm 60% cho mọi đĩa CD nhạc jazz.\n\n"
        "Mua đĩa jazz: https://shop.example.com/jazz\n"
        "Xem đĩa than: https://shop.example.com/vinyl\n\n"
        "--\nHủy đăng ký: {{ unsubscribe_url }}\n"
    ),
}
TWO_LINKS_HTML = {
    "en": (
        "<p>You save 60% on every jazz CD until Friday.</p>\n"
        '<p><a href="https://shop.example.com/jazz">Shop jazz</a></p>\n'
        '<p><a href="https://shop.example.com/jazz-vinyl">Or see our vinyl</a></p>\n'
    ),
    "vi": (
        "<p>Bạn tiết kiệm 60% cho mọi đĩa CD nhạc jazz.</p>\n"
        '<p><a href="https://shop.example.com/jazz">Mua đĩa jazz</a></p>\n'
        '<p><a href="https://shop.example.com/jazz-vinyl">Xem đĩa than</a></p>\n'
    ),
}


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_o001_fires_at_the_second_destination_in_a_text_template(lang: str) -> None:
    text, findings = run(TWO_LINKS[lang], lang, "text", ["O001"])
    assert codes(findings) == ["O001"]
    url = "https://shop.example.com/vinyl"
    span = findings[0].span
    assert (span.line, span.column) == position(text, url)
    assert span.end_column == span.column + len(url)
    assert "shop.example.com/jazz and shop.example.com/vinyl" in findings[0].message


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_o001_fires_at_the_second_destination_in_an_html_template(lang: str) -> None:
    text, findings = run(TWO_LINKS_HTML[lang], lang, "html", ["O001"])
    assert codes(findings) == ["O001"]
    # The first href is a prefix of the second: the finding must skip it.
    assert (findings[0].span.line, findings[0].span.column) == position(
        text, "https://shop.example.com/jazz-vinyl"
    )
    assert "shop.example.com/jazz-vinyl" in findings[0].message


def test_o001_reports_each_further_destination_once() -> None:
    body = (
        "<p>Save 60% on jazz CDs.</p>\n"
        '<p><a href="https://a.example.com/jazz">Jazz</a> '
        '<a href="https://a.example.com/rock">Rock</a> '
        '<a href="https://a.example.com/rock?x=1">Rock again</a> '
        '<a href="https://b.example.com/">Partner</a></p>\n'
    )
    _, findings = run(body, "en", "html", ["O001"])
    assert [f.message.split(" and ")[1].split(";")[0] for f in findings] == [
        "a.example.com/rock",
        "b.example.com",
    ]


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_o001_stays_quiet_on_the_same_offer_repeated_in_the_ps(lang: str) -> None:
    assert run(CAMPAIGN[lang], lang, "text", ["O001"])[1] == []
    assert run(CAMPAIGN_HTML[lang], lang, "html", ["O001"])[1] == []


def test_o001_ignores_footer_social_mailto_and_engine_links() -> None:
    body = (
        "Save 60% on jazz CDs: https://shop.example.com/jazz\n\n"
        "Follow us: https://instagram.com/hookline and https://www.facebook.com/hookline\n"
        "Questions? mailto:hello@example.com\n"
        "View online: {{ view_url }}\n\n"
        "--\nPrivacy: https://shop.example.com/privacy\n"
        "Unsubscribe: {{ unsubscribe_url }}\n"
    )
    assert run(body, "en", "text", ["O001"])[1] == []


# --- O001: discounts ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "kind", "body", "first", "second"),
    [
        (
            "en",
            "text",
            "Get 20% off jazz CDs.\n\nAnd 50% off vinyl until Friday.\n",
            "20%",
            "50%",
        ),
        (
            "en",
            "html",
            '<table width="50%"><tr><td><p>Get $10 off jazz CDs.</p>'
            "<p>Members get $20 off vinyl and 50% on tickets.</p></td></tr></table>\n",
            "$10",
            "$20",
        ),
        (
            "vi",
            "text",
            "Giảm 100.000đ cho đĩa CD nhạc jazz.\n\nGiảm 200.000đ cho đĩa than.\n",
            "100.000đ",
            "200.000đ",
        ),
        (
            "vi",
            "html",
            "<p>Giảm 25% cho đĩa CD nhạc jazz.</p>\n<p>Giảm thêm 5% cho hội viên.</p>\n",
            "25%",
            "5%",
        ),
    ],
)
def test_o001_fires_at_the_second_discount(
    lang: str, kind: str, body: str, first: str, second: str
) -> None:
    text, findings = run(body, lang, kind, ["O001"])
    assert codes(findings)[0] == "O001"
    span = findings[0].span
    # A "5%" must not be found inside "25%", nor "50%" in the table's width.
    needle = " " + second
    line, column = position(text, needle)
    assert (span.line, span.column) == (line, column + 1)
    assert f'"{first}" and "{second}"' in findings[0].message


@pytest.mark.parametrize(
    ("lang", "kind", "body"),
    [
        ("en", "text", "Save 20% on our 100% cotton band shirts.\n\nYour 20% ends Friday.\n"),
        ("en", "html", "<p>Save 20% on jazz CDs.</p><p>P.S. Your 20 % saving ends Friday.</p>"),
        ("vi", "text", "Giảm 20% cho áo 100% cotton.\n\nTái bút: Ưu đãi 20% kết thúc thứ Sáu.\n"),
        ("vi", "html", "<p>Giảm 20% cho đĩa jazz.</p><div class='footer'>Giảm 5% khác</div>"),
    ],
)
def test_o001_stays_quiet_on_one_discount(lang: str, kind: str, body: str) -> None:
    assert run(body, lang, kind, ["O001"])[1] == []


def test_o001_applies_to_letters() -> None:
    body = "<p>Get 20% off jazz records.</p><p>Or 50% off vinyl.</p>"
    _, findings = run(body, "en", "html", ["O001"], channel="letter")
    assert codes(findings) == ["O001"]


# --- A001 -----------------------------------------------------------------------------


NO_LINK = {
    "en": "Hi An,\n\nYou save 60% on every jazz CD until Friday.\n\n"
    "--\nUnsubscribe: {{ unsubscribe_url }}\n",
    "vi": "Chào An,\n\nBạn tiết kiệm 60% cho mọi đĩa CD nhạc jazz.\n\n"
    "--\nHủy đăng ký: {{ unsubscribe_url }}\n",
}
NO_LINK_HTML = {
    "en": '<p><a href="{{ view_url }}">View in browser</a></p>\n'
    "<p>You save 60% on every jazz CD until Friday.</p>\n"
    '<div class="footer"><a href="https://shop.example.com/jazz">Shop</a> '
    '<a href="{{ unsubscribe_url }}">Unsubscribe</a></div>\n',
    "vi": "<p>Bạn tiết kiệm 60% cho mọi đĩa CD nhạc jazz.</p>\n"
    '<p><a href="https://shop.example.com/huy">Hủy đăng ký</a></p>\n',
}


@pytest.mark.parametrize("lang", ["en", "vi"])
@pytest.mark.parametrize("kind", ["text", "html"])
def test_a001_fires_when_the_body_has_no_call_to_action(lang: str, kind: str) -> None:
    body = NO_LINK[lang] if kind == "text" else NO_LINK_HTML[lang]
    text, findings = run(body, lang, kind, ["A001"])
    assert codes(findings) == ["A001"]
    body_line = text.split("\n").index("+++", 1) + 2
    assert (findings[0].span.line, findings[0].span.column) == (body_line, 1)


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_a001_counts_a_bare_url_in_a_text_body(lang: str) -> None:
    body = NO_LINK[lang].replace("\n\n--", "\n\nwww.shop.example.com/jazz\n\n--")
    assert run(body, lang, "text", ["A001"])[1] == []


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_a001_stays_quiet_with_a_link_in_an_html_body(lang: str) -> None:
    assert run(CAMPAIGN_HTML[lang], lang, "html", ["A001"])[1] == []


def test_a001_does_not_apply_to_letters() -> None:
    body = "<p>You save 60% on every jazz record until Friday.</p>"
    assert run(body, "en", "html", ["A001"], channel="letter")[1] == []


# --- documentation --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "channels"),
    [("O001", {"email", "letter"}), ("A001", {"email"})],
)
def test_offer_rule_explain_has_three_doc_sections(code: str, channels: set[str]) -> None:
    rule = get_rule(code)
    assert rule is not None
    text = explain(rule)
    for section in ("## What it does", "## Why is this bad?", "## Example", "Use instead:"):
        assert section in text
    assert rule.channels == frozenset(channels)
