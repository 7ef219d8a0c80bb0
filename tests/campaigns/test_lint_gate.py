"""The lint gate: errors close it; grammar counts only when configured as an error."""

from __future__ import annotations

from pathlib import Path

from campaigns.lint_gate import lint_campaign_source
from linter.config import linter_config_from_mapping

ROOT = Path(__file__).resolve().parents[2]
SOURCE = """+++
subject = "Your jazz CD order ships free to Hanoi this week"
lang = "en"
+++
Hi {{ first_name }},

Your new jazz CD ships free to Hanoi. Teh record arrives in
three days.

Pick your CD here: https://shop.example.com/jazz

P.S. Free delivery ends on Friday: https://shop.example.com/jazz

Unsubscribe: {{ unsubscribe_url }}
"""


def test_a_template_with_an_error_closes_the_gate_and_names_the_finding() -> None:
    source = SOURCE.replace("{{ first_name }}", "{{ frist_name }}")
    gate = lint_campaign_source("offer.txt.j2", source, linter_config_from_mapping({}, {}))
    assert not gate.passed
    assert [finding.code for finding in gate.errors] == ["T002"]
    assert "T002 [error]" in gate.summary()


def test_spelling_mistakes_are_warnings_and_leave_the_gate_open() -> None:
    gate = lint_campaign_source("offer.txt.j2", SOURCE, linter_config_from_mapping({}, {}))
    assert gate.passed
    assert not any(finding.code.startswith("G") for finding in gate.findings)


def test_spelling_raised_to_an_error_closes_the_gate() -> None:
    config = linter_config_from_mapping({"linter": {"severity": {"G002": "error"}}}, {})
    gate = lint_campaign_source("offer.txt.j2", SOURCE, config)
    assert not gate.passed
    assert {finding.code for finding in gate.errors} == {"G002"}
