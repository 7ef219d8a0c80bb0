"""Inline suppression with Jinja comments, X001 for unused ones, and --fix removing them.

The findings suppressed here come from the template rules (T002 unknown variable, T003
render error), so the tests hold whichever copy rules exist.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from click.testing import CliRunner, Result

from campaigns.cli import cli
from linter.config import LinterConfig
from linter.fixes import apply_edits
from linter.model import Finding, Severity
from tests.linter.helpers import NO_GRAMMAR, lint, template

SELECT = ("T", "X")


def findings_of(body: str, config: LinterConfig = NO_GRAMMAR) -> list[Finding]:
    """Lint a template with this body (front matter lines 1-3, body from line 4)."""
    return lint(template(body), select=SELECT, config=config)


def summary(findings: list[Finding]) -> list[tuple[str, int]]:
    """(code, line) of each finding."""
    return [(finding.code, finding.span.line) for finding in findings]


class TestNextLine:
    def test_covers_the_next_line_only(self) -> None:
        body = (
            "Intro for {{ first_name }}\n"
            "{# hookline: ignore[T002] legacy field, renamed next week #}\n"
            "Hi {{ frist_name }},\n"
            "Bye {{ frist_name }}\n"
        )
        assert summary(findings_of(body)) == [("T002", 7)]

    def test_skips_blank_and_comment_lines(self) -> None:
        body = (
            "Intro\n"
            "{# hookline: ignore[T002] #}\n"
            "\n"
            "{# a note for editors #}\n"
            "Hi {{ frist_name }},\n"
        )
        assert findings_of(body) == []

    def test_does_not_cover_the_line_before(self) -> None:
        body = "Intro\nHi {{ frist_name }},\n{# hookline: ignore[T002] #}\nThanks\n"
        found = findings_of(body)
        assert summary(found) == [("T002", 5), ("X001", 6)]

    def test_prefix_and_lower_case_codes(self) -> None:
        assert findings_of("Intro\n{# hookline: ignore[T] #}\nHi {{ frist_name }}\n") == []
        assert findings_of("Intro\n{# hookline: ignore[t002] #}\nHi {{ frist_name }}\n") == []

    def test_whitespace_control_comment(self) -> None:
        assert findings_of("Intro\n{#- hookline: ignore[T002] -#}\nHi {{ frist_name }}\n") == []

    def test_other_code_does_not_suppress(self) -> None:
        body = "Intro\n{# hookline: ignore[T003] #}\nHi {{ frist_name }}\n"
        assert summary(findings_of(body)) == [("X001", 5), ("T002", 6)]


class TestFileLevel:
    def test_at_the_top_covers_the_whole_file(self) -> None:
        body = (
            "{# hookline: ignore[T002] migrated from the old ESP #}\n"
            "Hi {{ frist_name }},\n"
            "\n"
            "See you in {{ citty }}.\n"
        )
        assert findings_of(body) == []

    def test_after_other_comments_is_still_at_the_top(self) -> None:
        body = "{# layout: plain #}\n\n{# hookline: ignore[T002] #}\nA\nB {{ frist_name }}\n"
        assert findings_of(body) == []

    def test_after_content_is_not_file_level(self) -> None:
        body = "Hello\n{# hookline: ignore[T002] #}\nA\nB {{ frist_name }}\n"
        assert summary(findings_of(body)) == [("X001", 5), ("T002", 7)]

    def test_covers_syntax_errors_too(self) -> None:
        assert findings_of("{# hookline: ignore[T001] #}\nHi {{ first_name }\n") == []


class TestMultipleCodes:
    def test_each_code_suppresses_its_finding(self) -> None:
        body = "Intro\n{# hookline: ignore[T002, T003] known #}\nHi {{ frist_name }}{{ 1 // 0 }}\n"
        assert findings_of(body) == []

    def test_unused_code_in_a_used_suppression_has_no_fix(self) -> None:
        found = findings_of("{# hookline: ignore[T002,T003] #}\nHi {{ frist_name }}\n")
        assert summary(found) == [("X001", 4)]
        assert found[0].message == "Unused code(s) in suppression: T003"
        assert found[0].fix is None

    def test_two_suppressions_for_one_line(self) -> None:
        body = (
            "Intro\n"
            "{# hookline: ignore[T002] #}\n"
            "{# hookline: ignore[T003] #}\n"
            "Hi {{ frist_name }}{{ 1 // 0 }}\n"
        )
        assert findings_of(body) == []


class TestUnused:
    def test_reported_as_x001_warning_with_a_fix(self) -> None:
        text = template("Hi {{ first_name }},\n{# hookline: ignore[T002] old typo #}\nBye\n")
        [finding] = lint(text, select=SELECT)
        assert finding.code == "X001"
        assert finding.name == "unused-suppression"
        assert finding.severity is Severity.WARNING
        assert finding.message == "Unused suppression: nothing here triggers T002"
        assert (finding.span.line, finding.span.column) == (5, 1)
        assert finding.fix is not None
        fixed, applied = apply_edits(text, [finding])
        assert applied == 1
        assert fixed == template("Hi {{ first_name }},\nBye\n")

    def test_fix_keeps_the_rest_of_the_line(self) -> None:
        text = template("Hello {# hookline: ignore[T003] #}\nHi {{ first_name }}\n")
        [finding] = lint(text, select=SELECT)
        fixed, _ = apply_edits(text, [finding])
        assert fixed == template("Hello \nHi {{ first_name }}\n")

    def test_not_reported_when_x001_is_not_selected(self) -> None:
        body = "Intro\n{# hookline: ignore[T002] #}\nHi\n"
        assert lint(template(body), select=("T",)) == []
        assert lint(template(body), select=SELECT, ignore=("X001",)) == []

    def test_severity_can_be_raised(self) -> None:
        config = dataclasses.replace(NO_GRAMMAR, severity=(("X001", Severity.ERROR),))
        [finding] = findings_of("Intro\n{# hookline: ignore[T002] #}\nHi\n", config=config)
        assert finding.severity is Severity.ERROR


def run(*args: str) -> Result:
    """``hookline lint`` over the template rules only."""
    result = CliRunner().invoke(cli, ["lint", "--no-grammar", "--select", "T,X", *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


UNUSED = template("{# hookline: ignore[T002] was needed once #}\nHi {{ first_name }},\nBye\n")
USED = template("Intro\n{# hookline: ignore[T002] renamed soon #}\nHi {{ frist_name }},\n")


class TestCli:
    def test_fix_removes_an_unused_suppression(self, workdir: Path) -> None:
        mail = workdir / "mail.txt.j2"
        mail.write_text(UNUSED, encoding="utf-8")
        result = run("--fix", "mail.txt.j2")
        assert result.exit_code == 0
        assert "Fixed 1 finding(s)." in result.stderr
        assert "All checks passed (1 file)." in result.stdout
        assert mail.read_text(encoding="utf-8") == template("Hi {{ first_name }},\nBye\n")
        assert run("mail.txt.j2").exit_code == 0

    def test_fix_keeps_suppressions_that_still_work(self, workdir: Path) -> None:
        mail = workdir / "mail.txt.j2"
        mail.write_text(USED, encoding="utf-8")
        result = run("--fix", "mail.txt.j2")
        assert "Fixed 0 finding(s)." in result.stderr
        assert mail.read_text(encoding="utf-8") == USED
        assert result.exit_code == 0

    def test_diff_shows_the_fix_without_applying_it(self, workdir: Path) -> None:
        mail = workdir / "mail.txt.j2"
        mail.write_text(UNUSED, encoding="utf-8")
        result = run("--diff", "mail.txt.j2")
        assert result.exit_code == 1
        assert "Would fix 1 finding(s)." in result.stderr
        assert result.stdout.splitlines()[:2] == ["--- a/mail.txt.j2", "+++ b/mail.txt.j2"]
        assert "-{# hookline: ignore[T002] was needed once #}" in result.stdout.splitlines()
        assert mail.read_text(encoding="utf-8") == UNUSED

    def test_diff_with_nothing_to_fix_exits_0(self, workdir: Path) -> None:
        (workdir / "mail.txt.j2").write_text(USED, encoding="utf-8")
        result = run("--diff", "mail.txt.j2")
        assert (result.exit_code, result.stdout) == (0, "")

    def test_suppressed_error_no_longer_fails_the_run(self, workdir: Path) -> None:
        (workdir / "mail.txt.j2").write_text(USED, encoding="utf-8")
        unsuppressed = USED.replace("{# hookline: ignore[T002] renamed soon #}\n", "")
        (workdir / "other.txt.j2").write_text(unsuppressed, encoding="utf-8")
        assert run("--no-cache", "mail.txt.j2").exit_code == 0
        assert run("--no-cache", "other.txt.j2").exit_code == 1


def test_suppression_without_codes_is_reported_with_a_removal_fix() -> None:
    from tests.linter.helpers import lint, template

    findings = lint(
        template("Hi there.\n{# hookline: ignore[] no codes #}\nMore text.\n"), select=["X"]
    )
    assert [(f.code, f.span.line) for f in findings] == [("X001", 5)]
    assert "names no codes" in findings[0].message
    assert findings[0].fix is not None
