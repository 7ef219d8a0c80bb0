"""``--format sarif``: SARIF 2.1.0, for code-scanning dashboards."""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from linter.model import Finding, Severity
from linter.registry import all_rules
from linter.runner import VERSION, LintReport

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _uri(path: str) -> str:
    candidate = Path(path)
    if candidate.is_absolute():
        return candidate.as_uri()
    # A URI reference: spaces and non-ASCII letters (Vietnamese file names) are escaped.
    return quote(candidate.as_posix())


def _result(finding: Finding, rule_index: dict[str, int]) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.code,
        "level": _LEVEL[finding.severity],
        "message": {"text": finding.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": _uri(finding.path)},
                    "region": {
                        "startLine": finding.span.line,
                        "startColumn": finding.span.column,
                        "endLine": finding.span.end_line,
                        "endColumn": max(finding.span.end_column, 1),
                    },
                }
            }
        ],
    }
    if finding.code in rule_index:
        result["ruleIndex"] = rule_index[finding.code]
    return result


def render_sarif(report: LintReport, colour: bool = False) -> str:
    """A SARIF log with one run, every rule described and every finding a result."""
    del colour
    rules = all_rules()
    descriptors = []
    rule_index: dict[str, int] = {}
    for position, (code, rule) in enumerate(rules.items()):
        rule_index[code] = position
        descriptors.append(
            {
                "id": code,
                "name": rule.name,
                "shortDescription": {"text": rule.summary or rule.name},
                "fullDescription": {"text": inspect.cleandoc(rule.__doc__ or rule.summary)},
                "help": {"text": f"hookline lint --explain {code}"},
                "defaultConfiguration": {"level": _LEVEL[rule.severity]},
            }
        )
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "hookline",
                        "version": VERSION,
                        "rules": descriptors,
                    }
                },
                "results": [_result(finding, rule_index) for finding in report.findings],
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
