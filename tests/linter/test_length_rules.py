"""L001 body-too-long and R001 paragraph-too-long, in English and Vietnamese, text and HTML."""

from __future__ import annotations

from dataclasses import replace

from linter.explain import explain
from linter.rules.length import BodyTooLong, ParagraphTooLong
from tests.linter.helpers import NO_GRAMMAR, codes, lint, template
from tests.linter.test_capitals_rules import GOOD_EN, GOOD_VI, places, position

EN_SENTENCE = "You save 60% on every jazz CD until Friday. "  # 9 words, 44 characters
VI_SENTENCE = "Bạn tiết kiệm 60% khi mua mọi đĩa CD nhạc jazz đến hết thứ Sáu. "  # 15 words


def numbered_words(count: int, per_line: int = 10) -> str:
    """``count`` distinct words ("word1 word2 ..."), ten to a line, in paragraphs of 30."""
    lines = []
    for start in range(1, count + 1, per_line):
        stop = min(start + per_line, count + 1)
        lines.append(" ".join(f"word{n}" for n in range(start, stop)))
    paragraphs = ["\n".join(lines[i : i + 3]) for i in range(0, len(lines), 3)]
    return "\n\n".join(paragraphs) + "\n"


def vi_paragraphs(count: int) -> str:
    """``count`` numbered Vietnamese paragraphs of 10 words each."""
    return "\n\n".join(
        f"Đơn số {n}: bạn được giảm ngay mười phần trăm." for n in range(1, count + 1)
    )


# --- L001 ------------------------------------------------------------------------


def test_l001_quiet_on_a_good_campaign_in_both_languages() -> None:
    assert lint(template(GOOD_EN), select=["L", "R"]) == []
    assert lint(template(GOOD_VI, lang="vi"), select=["L", "R"]) == []


def test_l001_quiet_at_exactly_the_word_limit() -> None:
    assert lint(template(numbered_words(250)), select=["L001"]) == []


def test_l001_reports_the_count_at_the_first_word_past_the_limit() -> None:
    text = template(numbered_words(260))
    findings = lint(text, select=["L001"])
    assert codes(findings) == ["L001"]
    assert "260 words (limit 250)" in findings[0].message
    assert places(findings) == [position(text, "word251")]
    assert findings[0].span.end_column == findings[0].span.column + len("word251")


def test_l001_leaves_out_the_footer() -> None:
    body = numbered_words(240) + "\n--\n" + " ".join(["Unsubscribe"] * 30) + "\n"
    assert lint(template(body), select=["L001"]) == []


def test_l001_counts_the_ps() -> None:
    body = numbered_words(245) + "\nP.S. " + " ".join(f"ps{n}" for n in range(1, 11)) + "\n"
    text = template(body)
    findings = lint(text, select=["L001"])
    assert "256 words" in findings[0].message
    assert places(findings) == [position(text, "ps5")]


def test_l001_counts_vietnamese_syllables_as_words() -> None:
    # Each paragraph has 10 words: "Đơn số 1: bạn được giảm ngay mười phần trăm."
    text = template(vi_paragraphs(26), lang="vi")
    findings = lint(text, select=["L001"])
    assert "260 words" in findings[0].message
    assert places(findings) == [position(text, "Đơn số 26")]
    assert lint(template(vi_paragraphs(25), lang="vi"), select=["L001"]) == []


def test_l001_counts_visible_words_of_html() -> None:
    body = "".join(
        f'<p>Item {n}: <a href="https://shop.example.com/{n}">jazz CD</a> on sale.</p>\n'
        for n in range(1, 44)
    )  # 6 words a paragraph: the 251st word is the 5th of paragraph 42
    text = template(body)
    findings = lint(text, path="x.html.j2", select=["L001"])
    assert "258 words" in findings[0].message
    assert places(findings) == [position(text, "on sale", 42)]
    assert (
        lint(
            template(body),
            select=["L001"],
            path="x.html.j2",
            config=replace(NO_GRAMMAR, word_limit=300),
        )
        == []
    )


def test_l001_reports_and_spares_vietnamese_html() -> None:
    body = "".join(f"<p>{VI_SENTENCE}</p>\n" for _ in range(16))  # 240 words
    assert lint(template(body, lang="vi"), path="x.html.j2", select=["L001"]) == []
    text = template(body + "<p>Tái bút: Đơn số mười bảy được giảm thêm nữa nhé.</p>\n", lang="vi")
    findings = lint(text, path="x.html.j2", select=["L001"])
    assert "251 words (limit 250)" in findings[0].message
    assert places(findings) == [position(text, "nhé.")]


def test_l001_follows_the_configured_word_limit() -> None:
    config = replace(NO_GRAMMAR, word_limit=12)
    text = template("Chào An,\n\n" + VI_SENTENCE + "\n", lang="vi")
    findings = lint(text, select=["L001"], config=config)
    assert "17 words (limit 12)" in findings[0].message
    assert places(findings) == [position(text, "jazz", 2)]  # the first is in the subject


def test_l001_applies_to_letters() -> None:
    text = template(numbered_words(251), channel="letter")
    assert codes(lint(text, select=["L001"])) == ["L001"]


# --- R001 ------------------------------------------------------------------------


def test_r001_quiet_on_a_four_line_paragraph() -> None:
    assert lint(template(EN_SENTENCE * 6), select=["R001"]) == []  # 4 lines at 67
    assert lint(template(VI_SENTENCE * 4, lang="vi"), path="x.html.j2", select=["R001"]) == []


def test_r001_reports_a_five_line_paragraph_at_its_first_words() -> None:
    text = template("Hi An,\n\n" + EN_SENTENCE * 7 + "\n\nBye.\n")
    findings = lint(text, select=["R001"])
    assert codes(findings) == ["R001"]
    assert "5 lines" in findings[0].message
    assert places(findings) == [position(text, "You save")]


def test_r001_reports_a_long_english_html_paragraph_and_a_vietnamese_text_one() -> None:
    html = template(f"<h1>Jazz week</h1>\n<div>{EN_SENTENCE * 7}</div>\n")
    findings = lint(html, path="x.html.j2", select=["R001"])
    assert places(findings) == [position(html, "You save")]
    text = template("Chào An,\n\n" + VI_SENTENCE * 5 + "\n", lang="vi")
    assert places(lint(text, select=["R001"])) == [position(text, "Bạn tiết")]


def test_r001_reports_a_long_vietnamese_html_paragraph() -> None:
    body = "<p>Chào An,</p>\n<p>\n  " + VI_SENTENCE * 5 + "\n</p>\n"
    text = template(body, lang="vi")
    findings = lint(text, path="x.html.j2", select=["R001"])
    assert places(findings) == [position(text, "Bạn tiết")]


def test_r001_measures_a_paragraph_as_reflowed_not_by_its_hard_breaks() -> None:
    address = "Hookline Jazz\n12 Hang Bai\nHoan Kiem\nHanoi\nVietnam\n"
    assert lint(template(address), select=["R001"]) == []


def test_r001_does_not_treat_list_items_as_paragraphs() -> None:
    text_list = "What you get:\n\n- " + EN_SENTENCE * 8 + "\n- Free delivery.\n"
    assert lint(template(text_list), select=["R001"]) == []
    html_list = "<ul><li>" + VI_SENTENCE * 6 + "</li></ul>\n"
    assert lint(template(html_list, lang="vi"), path="x.html.j2", select=["R001"]) == []


def test_r001_leaves_out_the_footer() -> None:
    body = "Save 60% until Friday.\n\n--\n" + EN_SENTENCE * 8 + "\n"
    assert lint(template(body), select=["R001"]) == []


def test_r001_follows_the_configured_line_length() -> None:
    config = replace(NO_GRAMMAR, line_length=40)
    text = template(EN_SENTENCE * 4)
    assert codes(lint(text, select=["R001"], config=config)) == ["R001"]
    assert lint(text, select=["R001"]) == []


# --- docs ------------------------------------------------------------------------


def test_length_rules_have_the_three_doc_sections() -> None:
    for rule in (BodyTooLong, ParagraphTooLong):
        doc = explain(rule)
        for section in ("## What it does", "## Why is this bad?", "## Example", "Use instead:"):
            assert section in doc, (rule.code, section)
