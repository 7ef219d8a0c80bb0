"""The editor's lint results: the linter's findings, each with its rule's explanation.

The editor lints the text as typed with :func:`linter.runner.lint_source`, under the
path campaigns know the file by (``templates/en/x.html.j2``), so ``per-file-ignores``
apply as in ``hookline lint``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from linter.config import LinterConfig
from linter.explain import explain
from linter.model import Severity
from linter.registry import get_rule
from linter.runner import lint_source


@dataclass(frozen=True)
class FindingView:
    """One finding as the editor lists it."""

    code: str
    name: str
    severity: str
    line: int
    column: int
    message: str
    explanation: str


@dataclass(frozen=True)
class LintView:
    """Every finding of one text, and the counts by severity."""

    findings: list[FindingView]

    def count(self, severity: Severity) -> int:
        """How many findings have ``severity``."""
        return sum(1 for finding in self.findings if finding.severity == severity)

    @property
    def errors(self) -> int:
        """Findings that block a send."""
        return self.count(Severity.ERROR)

    @property
    def warnings(self) -> int:
        """Findings worth a look."""
        return self.count(Severity.WARNING)

    @property
    def summary(self) -> str:
        """``2 errors, 1 warning`` (and the notes, when there are any)."""
        if not self.findings:
            return "No findings"
        parts = [_plural(self.errors, "error"), _plural(self.warnings, "warning")]
        notes = self.count(Severity.INFO)
        if notes:
            parts.append(_plural(notes, "note"))
        return ", ".join(parts)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


@cache
def explanation(code: str) -> str:
    """The rule's ``--explain`` text, or an empty string for an unknown code."""
    rule = get_rule(code)
    return explain(rule) if rule is not None else ""


def lint_text(config: LinterConfig, path: str, text: str) -> LintView:
    """Lint ``text`` as the file ``path``; never raises on a bad template."""
    result = lint_source(path, text, config)
    return LintView(
        [
            FindingView(
                code=finding.code,
                name=finding.name,
                severity=str(finding.severity),
                line=finding.span.line,
                column=finding.span.column,
                message=finding.message,
                explanation=explanation(finding.code),
            )
            for finding in result.findings
        ]
    )
