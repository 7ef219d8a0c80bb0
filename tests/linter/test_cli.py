"""``hookline lint`` end to end: exit codes, rule selection, --explain, the cache, workers.

The tests run the real click command in-process (and once as a subprocess) in a
temporary folder, with ``--select T,X`` so that they depend only on the template rules
(T001-T004) and X001, not on which copy rules have landed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from campaigns.cli import cli
from linter import runner
from linter.registry import all_rules
from tests.linter.helpers import template

FAST = ("--no-grammar", "--select", "T,X")
WITH_ERROR = template("Hi {{ frist_name }},\nThe new range is in.\n")
WITH_WARNING = template("{# hookline: ignore[T003] stale #}\nHi {{ first_name }},\n")
CLEAN = template("Hi {{ first_name }},\nThe new range is in.\n")
REPO = Path(__file__).resolve().parents[2]


def write(path: Path, text: str) -> Path:
    """Write a template (folders included) and return its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    """Invoke ``hookline lint ARGS``; an exception other than an exit is a crash."""
    result = CliRunner().invoke(cli, ["lint", *args], env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def json_findings(*args: str) -> list[dict[str, Any]]:
    """The findings of ``hookline lint --format json ARGS``."""
    result = run("--format", "json", *args)
    assert result.exit_code in (0, 1), result.output
    findings: list[dict[str, Any]] = json.loads(result.stdout)
    return findings


def codes_of(findings: list[dict[str, Any]]) -> set[str]:
    """The set of codes reported."""
    return {finding["code"] for finding in findings}


class TestExitCodes:
    def test_error_findings_exit_1(self, workdir: Path) -> None:
        write(workdir / "mail.txt.j2", WITH_ERROR)
        result = run(*FAST, "mail.txt.j2")
        assert result.exit_code == 1
        assert "mail.txt.j2:4:7: T002" in result.stdout

    def test_warnings_only_exit_0(self, workdir: Path) -> None:
        write(workdir / "mail.txt.j2", WITH_WARNING)
        result = run(*FAST, "mail.txt.j2")
        assert result.exit_code == 0
        assert "X001" in result.stdout
        assert "0 error(s), 1 warning(s)" in result.stdout

    def test_clean_file_exit_0(self, workdir: Path) -> None:
        write(workdir / "mail.txt.j2", CLEAN)
        result = run(*FAST, "mail.txt.j2")
        assert result.exit_code == 0
        assert "All checks passed (1 file)." in result.stdout

    def test_exit_zero_ignores_errors(self, workdir: Path) -> None:
        write(workdir / "mail.txt.j2", WITH_ERROR)
        result = run(*FAST, "--exit-zero", "mail.txt.j2")
        assert result.exit_code == 0
        assert "T002" in result.stdout

    def test_missing_path_exit_2_with_one_line(self, workdir: Path) -> None:
        result = run(*FAST, "no-such-folder")
        assert result.exit_code == 2
        assert result.stderr.strip().splitlines() == [
            "hookline lint: error: no-such-folder: no such file or directory"
        ]

    def test_default_path_is_templates_folder(self, workdir: Path) -> None:
        write(workdir / "templates" / "en" / "sale.txt.j2", WITH_ERROR)
        result = run(*FAST)
        assert result.exit_code == 1
        assert "templates/en/sale.txt.j2:4:7: T002" in result.stdout

    def test_no_templates_folder_exit_2(self, workdir: Path) -> None:
        result = run(*FAST)
        assert result.exit_code == 2
        assert "templates: no such file or directory" in result.stderr

    def test_unknown_select_code_exit_2(self, workdir: Path) -> None:
        write(workdir / "mail.txt.j2", CLEAN)
        result = run("--no-grammar", "--select", "T,Q999", "mail.txt.j2")
        assert result.exit_code == 2
        assert "unknown rule code or prefix: Q999" in result.stderr

    def test_unknown_ignore_code_exit_2(self, workdir: Path) -> None:
        write(workdir / "mail.txt.j2", CLEAN)
        result = run(*FAST, "--ignore", "ZZ", "mail.txt.j2")
        assert result.exit_code == 2
        assert "ZZ" in result.stderr

    def test_unknown_explain_code_exit_2(self, workdir: Path) -> None:
        result = run("--explain", "Q999")
        assert result.exit_code == 2
        assert "unknown rule code 'Q999'" in result.stderr

    def test_unknown_format_exit_2(self, workdir: Path) -> None:
        write(workdir / "mail.txt.j2", CLEAN)
        result = run(*FAST, "--format", "xml", "mail.txt.j2")
        assert result.exit_code == 2

    def test_invalid_config_toml_exit_2(self, workdir: Path) -> None:
        write(workdir / "mail.txt.j2", CLEAN)
        write(workdir / "config.toml", "[linter\nselect = ['T']\n")
        result = run(*FAST, "mail.txt.j2")
        assert result.exit_code == 2
        assert "invalid TOML" in result.stderr
        assert "Traceback" not in result.output

    def test_folder_without_templates_passes(self, workdir: Path) -> None:
        write(workdir / "mail" / "notes.md", "not a template")
        result = run(*FAST, "mail")
        assert result.exit_code == 0
        assert "All checks passed (0 files)." in result.stdout


def test_real_entry_point_reports_and_exits(workdir: Path) -> None:
    """The installed ``hookline`` entry point, as a pre-commit hook or CI would run it."""
    write(workdir / "mail.txt.j2", WITH_ERROR)
    command = [sys.executable, "-c", "from campaigns.cli import main; main()", "lint", *FAST]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    found = subprocess.run(
        [*command, "--format", "json", "mail.txt.j2"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert found.returncode == 1, found.stderr
    assert codes_of(json.loads(found.stdout)) == {"T002"}
    missing = subprocess.run(
        [*command, "missing.txt.j2"], capture_output=True, text=True, env=env, check=False
    )
    assert missing.returncode == 2
    assert "Traceback" not in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1


class TestExplainAndListRules:
    def test_explain_prints_the_three_doc_sections(self, workdir: Path) -> None:
        result = run("--explain", "T001")
        assert result.exit_code == 0
        text = result.stdout
        assert text.startswith("# template-syntax (T001)")
        positions = [text.index(heading) for heading in ("## What it does", "## Why is this bad?")]
        positions.append(text.index("## Example"))
        assert positions == sorted(positions)
        assert "Default severity: error." in text

    def test_explain_is_case_insensitive_and_mentions_fix(self, workdir: Path) -> None:
        result = run("--explain", "x001")
        assert result.exit_code == 0
        assert result.stdout.startswith("# unused-suppression (X001)")
        assert "Fix is available with --fix." in result.stdout

    def test_list_rules_has_one_line_per_rule(self, workdir: Path) -> None:
        result = run("--list-rules")
        assert result.exit_code == 0
        lines = result.stdout.splitlines()
        assert len(lines) == len(all_rules())
        by_code = {line.split()[0]: line.split()[1] for line in lines}
        assert by_code["T001"] == "template-syntax"
        assert by_code["T002"] == "unknown-variable"
        assert by_code["T003"] == "render-error"
        assert by_code["T004"] == "not-utf8"
        assert by_code["X001"] == "unused-suppression"
        assert all(
            re.match(r"^[A-Z]+\d{3}  [a-z0-9-]+ +(error|warning|info) ", line) for line in lines
        )


class TestSelectAndIgnore:
    """A template with a T002 error and an X001 warning, selected in several ways."""

    @pytest.fixture
    def mail(self, workdir: Path) -> Path:
        body = "{# hookline: ignore[T003] no longer renders badly #}\nHi {{ frist_name }},\n"
        return write(workdir / "mail.txt.j2", template(body))

    def test_select_by_prefix(self, mail: Path) -> None:
        assert codes_of(json_findings("--no-grammar", "--select", "T", str(mail))) == {"T002"}

    def test_select_by_code_and_repeated_flags(self, mail: Path) -> None:
        found = json_findings("--no-grammar", "--select", "X001", "--select", "T002", str(mail))
        assert codes_of(found) == {"T002", "X001"}

    def test_select_is_case_insensitive(self, mail: Path) -> None:
        assert codes_of(json_findings("--no-grammar", "--select", "x", str(mail))) == {"X001"}

    def test_ignore_by_prefix(self, mail: Path) -> None:
        found = json_findings("--no-grammar", "--select", "T,X", "--ignore", "T00", str(mail))
        assert codes_of(found) == {"X001"}

    def test_ignore_by_code(self, mail: Path) -> None:
        found = json_findings("--no-grammar", "--select", "T,X", "--ignore", "X001", str(mail))
        assert codes_of(found) == {"T002"}

    def test_most_specific_selector_wins(self, mail: Path) -> None:
        found = json_findings("--no-grammar", "--select", "T002", "--ignore", "T", str(mail))
        assert codes_of(found) == {"T002"}

    def test_ignore_adds_to_config_and_select_replaces_it(self, mail: Path) -> None:
        write(mail.parent / "config.toml", '[linter]\nselect = ["X"]\nignore = ["T002"]\n')
        assert codes_of(json_findings("--no-grammar", str(mail))) == {"X001"}
        # --select replaces the config's select, but the config's ignore still applies,
        # and on a tie (T002 selected and ignored) ignore wins, as in ruff.
        assert codes_of(json_findings("--no-grammar", "--select", "T,X", str(mail))) == {"X001"}
        assert json_findings("--no-grammar", "--select", "T002", str(mail)) == []


class CountingLint:
    """Wraps ``runner.lint_file`` to count how many files are really linted."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.real = runner.lint_file

    def __call__(self, path: Path, *args: Any, **kwargs: Any) -> runner.FileResult:
        self.calls.append(Path(path).name)
        return self.real(path, *args, **kwargs)


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> Iterator[CountingLint]:
    """Count the files linted (below the worker threshold, linting runs in-process)."""
    counter = CountingLint()
    monkeypatch.setattr(runner, "lint_file", counter)
    yield counter


class TestCache:
    @pytest.fixture
    def mails(self, workdir: Path) -> list[Path]:
        return [
            write(workdir / "mail" / "a.txt.j2", WITH_ERROR),
            write(workdir / "mail" / "b.txt.j2", CLEAN),
            write(workdir / "mail" / "c.html.j2", WITH_WARNING),
        ]

    def test_second_run_reads_the_cache(
        self, workdir: Path, mails: list[Path], counting: CountingLint
    ) -> None:
        first = run(*FAST, "mail")
        assert sorted(counting.calls) == ["a.txt.j2", "b.txt.j2", "c.html.j2"]
        cache_files = list((workdir / ".hookline_cache").glob("lint-*.json"))
        assert len(cache_files) == 1
        counting.calls.clear()
        second = run(*FAST, "mail")
        assert counting.calls == []
        assert (second.exit_code, second.stdout) == (first.exit_code, first.stdout)

    def test_changed_file_is_linted_again(
        self, workdir: Path, mails: list[Path], counting: CountingLint
    ) -> None:
        run(*FAST, "mail")
        counting.calls.clear()
        write(mails[0], CLEAN)
        result = run(*FAST, "mail")
        assert counting.calls == ["a.txt.j2"]
        assert "T002" not in result.stdout
        assert result.exit_code == 0

    def test_other_selection_is_not_served_from_cache(
        self, workdir: Path, mails: list[Path], counting: CountingLint
    ) -> None:
        run(*FAST, "mail")
        counting.calls.clear()
        result = run("--no-grammar", "--select", "X", "mail")
        assert len(counting.calls) == 3
        assert "T002" not in result.stdout

    def test_no_cache_neither_reads_nor_writes(
        self, workdir: Path, mails: list[Path], counting: CountingLint
    ) -> None:
        run(*FAST, "--no-cache", "mail")
        run(*FAST, "--no-cache", "mail")
        assert len(counting.calls) == 6
        assert not (workdir / ".hookline_cache").exists()

    def test_config_can_switch_the_cache_off(
        self, workdir: Path, mails: list[Path], counting: CountingLint
    ) -> None:
        write(workdir / "config.toml", "[linter]\ncache = false\n")
        run(*FAST, "mail")
        assert not (workdir / ".hookline_cache").exists()

    def test_corrupt_cache_is_ignored(
        self, workdir: Path, mails: list[Path], counting: CountingLint
    ) -> None:
        first = run(*FAST, "mail")
        for cache_file in (workdir / ".hookline_cache").glob("lint-*.json"):
            cache_file.write_text("{not json", encoding="utf-8")
        counting.calls.clear()
        again = run(*FAST, "mail")
        assert len(counting.calls) == 3
        assert again.stdout == first.stdout


class SpyPool(ProcessPoolExecutor):
    """A ProcessPoolExecutor that records that it was used."""

    started = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        SpyPool.started += 1
        super().__init__(*args, **kwargs)


def test_parallel_run_matches_single_process(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    count = max(60, runner.PARALLEL_THRESHOLD + 12)
    for number in range(count):
        kind = "html" if number % 3 == 0 else "txt"
        text = [WITH_ERROR, CLEAN, WITH_WARNING][number % 3]
        write(workdir / "mail" / f"m{number:03d}.{kind}.j2", text)
    monkeypatch.setattr(runner, "ProcessPoolExecutor", SpyPool)
    SpyPool.started = 0
    single = run(*FAST, "--no-cache", "--jobs", "1", "--format", "json", "mail")
    assert SpyPool.started == 0
    parallel = run(*FAST, "--no-cache", "--jobs", "2", "--format", "json", "mail")
    assert SpyPool.started == 1
    assert parallel.exit_code == single.exit_code == 1
    assert parallel.stdout == single.stdout
    assert len(json.loads(parallel.stdout)) == count // 3 * 2


def test_pre_commit_hook_runs_hookline_lint_on_templates() -> None:
    text = (REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    hook = dict(re.findall(r"^[- ] (\w+): (.+)$", text, re.MULTILINE))
    assert hook["id"] == "hookline-lint"
    assert hook["entry"] == "hookline lint"
    assert hook["language"] == "python"
    files = re.compile(hook["files"])
    assert files.search("templates/en/sale.html.j2")
    assert files.search("mail/welcome.txt.j2")
    assert not files.search("README.md")
    assert not files.search("notes.j2")
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert 'hookline = "campaigns.cli:main"' in pyproject


def test_fix_leaves_a_non_utf8_file_alone_and_says_why(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from campaigns.cli import cli

    original = (
        '+++\nsubject = "Save 60%"\n+++\nCaf\xe9 au lait!! '.encode("cp1252") + b"x" * 80 + b"\n"
    )
    target = tmp_path / "old.txt.j2"
    target.write_bytes(original)
    result = CliRunner().invoke(cli, ["lint", "--fix", "--no-cache", str(target)])
    assert target.read_bytes() == original
    assert "not fixing" in result.output
    assert "T004" in result.output


def test_utf16_without_bom_is_decoded_and_reported(tmp_path: Path) -> None:
    from linter.runner import read_template

    target = tmp_path / "u16.txt.j2"
    # ASCII in UTF-16 is valid UTF-8 byte for byte, with a NUL after every letter.
    target.write_bytes('+++\nsubject = "Save 60% today"\n+++\nHi An\n'.encode("utf-16-le"))
    text, problem = read_template(target)
    assert "Hi An" in text
    assert "\0" not in text
    assert problem is not None and "NUL" in problem
