"""D001 response-device-missing, and which rules check letters at all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from campaigns.cli import cli
from linter.explain import explain
from linter.registry import RuleSelection, all_rules, get_rule
from tests.linter.helpers import codes, lint, template

BODY = {
    "en": "<p>Dear {{ first_name }}, you get 20% off every jazz record until 31 January.</p>\n",
    "vi": "<p>Kính gửi {{ first_name }}, bạn được giảm 20% cho mọi đĩa nhạc jazz đến "
    "hết ngày 31 tháng 1.</p>\n",
}
CODE_LINE = {
    "en": "<p>Your personal code is <strong>{{ offer_code }}</strong>.</p>\n",
    "vi": "<p>Mã ưu đãi riêng của bạn là <strong>{{ offer_code }}</strong>.</p>\n",
}


def d001(text: str, path: str = "letter.html.j2") -> list[str]:
    """The D001 findings' codes for the template text."""
    return codes(lint(text, path=path, select=["D001"]))


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_d001_fires_on_a_letter_with_no_code_and_no_reply_card(lang: str) -> None:
    text = template(BODY[lang], subject=None, lang=lang, channel="letter")
    findings = lint(text, path="letter.html.j2", select=["D001"])
    assert codes(findings) == ["D001"]
    # The front matter's `channel = "letter"` line: what makes the template a letter.
    assert findings[0].span.line == 3
    assert "{{ offer_code }}" in findings[0].message
    assert "reply_card = true" in findings[0].message


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_d001_is_satisfied_by_the_offer_code(lang: str) -> None:
    text = template(BODY[lang] + CODE_LINE[lang], subject=None, lang=lang, channel="letter")
    assert d001(text) == []


def test_d001_is_satisfied_by_a_reply_card() -> None:
    text = template(BODY["en"], subject=None, channel="letter", extra="reply_card = true")
    assert d001(text) == []


def test_d001_points_at_reply_card_false() -> None:
    text = template(BODY["en"], subject=None, channel="letter", extra="reply_card = false")
    findings = lint(text, path="letter.html.j2", select=["D001"])
    assert codes(findings) == ["D001"]
    assert findings[0].span.line == 3
    assert text.splitlines()[2] == "reply_card = false"


def test_d001_counts_the_code_in_a_condition_or_a_filter() -> None:
    body = BODY["en"] + "{% if offer_code %}<p>Code: {{ offer_code | upper }}</p>{% endif %}\n"
    assert d001(template(body, subject=None, channel="letter")) == []


def test_d001_ignores_a_code_only_in_a_comment_or_the_copy() -> None:
    body = BODY["en"] + "{# TODO add offer_code #}\n<p>Quote offer_code at the till.</p>\n"
    assert d001(template(body, subject=None, channel="letter")) == ["D001"]


def test_d001_ignores_an_offer_code_the_template_sets_itself() -> None:
    body = '{% set offer_code = "JAZZ20" %}' + BODY["en"] + CODE_LINE["en"]
    assert d001(template(body, subject=None, channel="letter")) == ["D001"]


def test_d001_reads_the_code_even_when_the_jinja_does_not_parse() -> None:
    # T001 reports the syntax error; D001 must not add a second, false error.
    body = BODY["en"] + CODE_LINE["en"] + "{% if first_name %}\n"
    found = codes(lint(template(body, subject=None, channel="letter"), "x.html.j2", ["D001", "T"]))
    assert found == ["T001"]


def test_d001_does_not_check_emails() -> None:
    assert d001(template(BODY["en"])) == []


def test_d001_works_in_plain_text_letters() -> None:
    text = template("Dear {{ first_name }},\n\nYou get 20% off.\n", subject=None, channel="letter")
    assert d001(text, path="letter.txt.j2") == ["D001"]


def test_d001_can_be_suppressed_for_the_whole_file() -> None:
    body = "{# hookline: ignore[D001] the shop hands out codes at the door #}\n" + BODY["en"]
    assert (
        codes(lint(template(body, subject=None, channel="letter"), "x.html.j2", ["D", "X"])) == []
    )


def test_d001_is_documented_like_the_other_rules() -> None:
    rule = get_rule("d001")
    assert rule is not None
    assert (rule.name, rule.severity.value) == ("response-device-missing", "error")
    doc = explain(rule)
    assert doc.startswith("# response-device-missing (D001)")
    assert "Applies to: letter" in doc
    for part in ("## What it does", "## Why is this bad?", "## Example", "Use instead:"):
        assert part in doc
    assert "phong bì trả lời" in doc


def test_explain_d001_on_the_command_line() -> None:
    result = CliRunner().invoke(cli, ["lint", "--explain", "D001"])
    assert result.exit_code == 0
    assert result.stdout.startswith("# response-device-missing (D001)")


# The families the issue lists for letters: hook, length, one offer, P.S., capitals,
# paragraphs, key facts, plus the template checks, suppression hygiene and grammar.
LETTER_CODES = {
    "C001",
    "C002",
    "D001",
    "F001",
    "G001",
    "G002",
    "H001",
    "L001",
    "O001",
    "P001",
    "P002",
    "R001",
    "T001",
    "T002",
    "T003",
    "T004",
    "X001",
}


@pytest.mark.parametrize("kind", ["html", "text"])
def test_letters_get_exactly_the_listed_families(kind: str) -> None:
    applied = {rule.code for rule in RuleSelection().rules("letter", kind)}
    assert applied == LETTER_CODES


def test_emails_get_every_rule_but_d001() -> None:
    applied = {rule.code for rule in RuleSelection().rules("email", "text")}
    assert applied == set(all_rules()) - {"D001"}


def test_a_letter_has_no_subject_unsubscribe_link_or_line_findings() -> None:
    long_line = "You get 20% off every jazz record in the shop until 31 January, " * 2
    body = f"Dear {{{{ first_name }}}},\n\n{long_line}\n\nYour code: {{{{ offer_code }}}}\n"
    found = set(codes(lint(template(body, subject="Hello", channel="letter"))))
    assert found.isdisjoint({"S001", "S002", "S003", "S004", "U001", "A001", "P003", "W001"})
    assert "D001" not in found


def test_sarif_describes_d001_and_reports_it(tmp_path: Path) -> None:
    letter = tmp_path / "letter.html.j2"
    letter.write_text(template(BODY["en"], subject=None, channel="letter"), encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["lint", "--no-grammar", "--select", "D", "--format", "sarif", str(letter)]
    )
    assert result.exit_code == 1
    run = json.loads(result.stdout)["runs"][0]
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert rules["D001"]["name"] == "response-device-missing"
    assert rules["D001"]["defaultConfiguration"] == {"level": "error"}
    assert [(item["ruleId"], item["level"]) for item in run["results"]] == [("D001", "error")]
