"""The safe fix for W001: re-wrap a paragraph of the template source, whitespace only."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from campaigns.cli import cli
from linter.document import LineIndex
from linter.rewrap import paragraph_at, rewrap, tokens
from linter.urls import find_urls
from linter.wrap import display_length
from tests.linter.helpers import codes, lint, template

URL = "https://shop.example.com/jazz/sale?utm_source=newsletter&utm_medium=email"
BODY = (
    "Hi {{ first_name }},\n"
    "\n"
    "Save 60% on every jazz CD in our shop until Friday night, with free delivery to "
    "{{ city }} and a gift for {{ first_name | default('you') }} in every parcel. "
    f"Order here: {URL} and enjoy the music.\n"
    "\n"
    "- Free delivery on every order over 200,000 VND, anywhere in the country, this week.\n"
    "\n"
    "P.S. Your 60% saving ends Friday: {{ unsubscribe_url }}\n"
)


@pytest.fixture
def long_template(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A .txt.j2 template with one long paragraph and one long bullet, in a temp folder."""
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "jazz.txt.j2"
    path.write_text(template(BODY), encoding="utf-8")
    return path


def run_lint(*args: str) -> tuple[int, str, str]:
    """Run ``hookline lint`` with grammar and cache off; (exit code, stdout, stderr)."""
    result = CliRunner().invoke(cli, ["lint", "--no-grammar", "--no-cache", *args])
    return result.exit_code, result.stdout, result.stderr


def test_tokens_keep_jinja_tags_whole() -> None:
    text = "Hi {{ first_name | default('you') }}, {% if x %}yes{% endif %} {# a note #}."
    assert tokens(text) == [
        "Hi",
        "{{ first_name | default('you') }},",
        "{% if x %}yes{% endif %}",
        "{# a note #}.",
    ]


def test_rewrap_changes_only_whitespace_and_keeps_the_indent() -> None:
    lines = ["  " + "word " * 30 + URL + " {{ first_name | title }} end"]
    wrapped = rewrap(lines, 67)
    assert wrapped is not None
    assert wrapped.split() == lines[0].split()
    assert wrapped.startswith("  word")
    assert URL in wrapped.split("\n")
    assert "{{ first_name | title }}" in wrapped
    assert all(display_length(line) <= 67 for line in wrapped.split("\n") if URL not in line)


def test_rewrap_counts_vietnamese_letters_as_one_character() -> None:
    line = "Giảm 60% cho tất cả đĩa CD trong cửa hàng của chúng tôi đến hết tối thứ Sáu này."
    wrapped = rewrap([line], 67)
    assert wrapped == (
        "Giảm 60% cho tất cả đĩa CD trong cửa hàng của chúng tôi đến hết tối\nthứ Sáu này."
    )


@pytest.mark.parametrize(
    "lines",
    [
        ["- a bullet " + "word " * 20],
        ["    an indented block " + "word " * 20],
        ["\ta tabbed block " + "word " * 20],
        ["a paragraph " + "word " * 10, "  with an indented second line"],
        ["{% if vip %}VIP price{% endif %} " + "word " * 20],
    ],
)
def test_rewrap_leaves_deliberate_layouts_alone(lines: list[str]) -> None:
    assert rewrap(lines, 67) is None


def test_paragraph_stops_at_blank_and_tag_only_lines() -> None:
    text = "+++\n+++\nIntro\n\n{% if vip %}\nline one\nline two\n{# hookline: note #}\nafter\n"
    index = LineIndex(text)
    paragraph = paragraph_at(index, 7, first_line=3)
    assert paragraph is not None
    assert (paragraph.first_line, paragraph.last_line) == (6, 7)
    assert paragraph_at(index, 5, first_line=3) is None


def test_fix_is_offered_on_text_templates_only() -> None:
    text = template(BODY)
    findings = [f for f in lint(text, select=["W001"])]
    assert codes(findings) == ["W001", "W001"]
    paragraph, bullet = findings
    assert paragraph.fix is not None and paragraph.fix.applicability == "safe"
    # The bullet line is a list item: it is reported but not re-wrapped.
    assert bullet.fix is None
    html = lint(template(f"<pre>{'word ' * 20}</pre>"), path="x.html.j2", select=["W001"])
    assert all(finding.fix is None for finding in html)


def test_fix_rewrites_the_file_so_the_long_line_is_gone(long_template: Path) -> None:
    before = long_template.read_text(encoding="utf-8")
    exit_code, _, stderr = run_lint("--fix", "--select", "W", str(long_template))
    after = long_template.read_text(encoding="utf-8")
    assert "Fixed 1 finding(s)." in stderr
    assert after != before
    assert after.split() == before.split()
    assert [url for _, _, url in find_urls(after)] == [url for _, _, url in find_urls(before)]
    assert f"{URL} and enjoy" in after.replace("\n", " ")
    remaining = lint(after, select=["W"])
    # Only the bullet, which --fix leaves alone, is still long.
    assert [(f.code, f.span.line) for f in remaining] == [("W001", after.count("\n") - 2)]
    assert exit_code == 1


def test_diff_prints_a_unified_diff_and_leaves_the_file_alone(long_template: Path) -> None:
    before = long_template.read_text(encoding="utf-8")
    exit_code, stdout, stderr = run_lint("--diff", "--select", "W", str(long_template))
    assert long_template.read_text(encoding="utf-8") == before
    assert stdout.startswith(f"--- a/{long_template}\n+++ b/{long_template}\n@@ ")
    removed = [line for line in stdout.splitlines() if line.startswith("-Save 60%")]
    assert len(removed) == 1
    assert any(line.startswith("+Save 60%") for line in stdout.splitlines())
    assert "Would fix 1 finding(s)." in stderr
    assert exit_code == 1


def test_fix_is_stable_on_a_second_run(long_template: Path) -> None:
    run_lint("--fix", "--select", "W", str(long_template))
    fixed = long_template.read_text(encoding="utf-8")
    _, _, stderr = run_lint("--fix", "--select", "W", str(long_template))
    assert long_template.read_text(encoding="utf-8") == fixed
    assert "Fixed 0 finding(s)." in stderr


def test_rewrap_never_starts_a_line_with_a_list_marker() -> None:
    line = "Jazz " * 13 + "a - blues, all at 60% off until Friday night and more, jazz 2. blues"
    wrapped = rewrap([line], 67)
    assert wrapped is not None
    assert wrapped.split() == line.split()
    assert not any(row.startswith(("- ", "1. ", "2. ")) for row in wrapped.split("\n"))


def test_no_fix_when_only_a_variable_makes_the_line_long() -> None:
    extra = 'store = "' + "Hookline Records flagship store on Hang Bai Street" + '"'
    body = "Visit us at {{ attrs.store }} to save 60% on jazz CDs.\n"
    text = template(body, extra=f"[[preview]]\n[preview.attrs]\n{extra}")
    findings = lint(text, select=["W001"])
    assert codes(findings) == ["W001"]
    assert findings[0].fix is None
