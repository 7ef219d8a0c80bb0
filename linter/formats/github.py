"""``--format github``: workflow commands that GitHub Actions shows as annotations."""

from __future__ import annotations

from linter.model import Severity
from linter.runner import LintReport

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def render_github(report: LintReport, colour: bool = False) -> str:
    """``::error file=...,line=...,col=...,endLine=...,endColumn=...,title=...::message``."""
    del colour
    lines = []
    for finding in report.findings:
        properties = ",".join(
            [
                f"file={_escape_property(finding.path)}",
                f"line={finding.span.line}",
                f"col={finding.span.column}",
                f"endLine={finding.span.end_line}",
                f"endColumn={finding.span.end_column}",
                f"title={_escape_property(f'{finding.code} {finding.name}')}",
            ]
        )
        lines.append(
            f"::{_LEVEL[finding.severity]} {properties}::"
            f"{_escape_data(f'{finding.code} {finding.message}')}"
        )
    return "".join(line + "\n" for line in lines)
