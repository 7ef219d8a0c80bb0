"""The text report: one line per finding, as ruff prints them, and a summary."""

from __future__ import annotations

import click

from linter.model import Severity
from linter.registry import all_rules
from linter.runner import LintReport

_COLOURS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "blue"}


def render_text(report: LintReport, colour: bool = False) -> str:
    """``path:line:col: CODE [severity] message``, then counts and notes."""
    lines = []
    fixable = 0
    rules = all_rules()
    for finding in report.findings:
        marker = " [*]" if finding.fix is not None else ""
        fixable += finding.fix is not None
        code = (
            click.style(finding.code, fg=_COLOURS[finding.severity], bold=True)
            if colour
            else finding.code
        )
        location = f"{finding.path}:{finding.span.line}:{finding.span.column}:"
        if colour:
            location = click.style(location, bold=True)
        name = rules[finding.code].name if finding.code in rules else finding.name
        lines.append(f"{location} {code}{marker} [{finding.severity}] {finding.message} ({name})")
    errors = report.error_count
    warnings = sum(1 for f in report.findings if f.severity is Severity.WARNING)
    infos = len(report.findings) - errors - warnings
    files = f"{report.files} file{'s' if report.files != 1 else ''}"
    if report.findings:
        lines.append("")
        lines.append(
            f"Found {len(report.findings)} finding(s) in {files}: "
            f"{errors} error(s), {warnings} warning(s), {infos} info."
        )
        if fixable:
            lines.append(f"[*] {fixable} fixable with `hookline lint --fix`.")
    else:
        lines.append(f"All checks passed ({files}).")
    lines.extend(report.notes)
    return "\n".join(lines) + "\n"
