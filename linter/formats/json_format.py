"""``--format json``: one JSON array of findings."""

from __future__ import annotations

import json

from linter.runner import LintReport


def render_json(report: LintReport, colour: bool = False) -> str:
    """Each finding with path, line, column, end_line, end_column, code, name,
    severity, message and, where one exists, fix."""
    del colour
    return (
        json.dumps([finding.to_dict() for finding in report.findings], indent=2, ensure_ascii=False)
        + "\n"
    )
