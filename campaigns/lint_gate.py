"""The lint gate: a campaign whose template has error-level findings isn't sent.

The gate lints the text stored with the campaign (not the file, which may have
changed since), with the project's linter settings. ``--force --reason`` overrides
it, and the reason is kept with the campaign.

Grammar and spelling (G001, G002) are warnings, so they can't close the gate; unless
config.toml raises them to errors, the gate skips the grammar backends, which would
cost a sending process a second of start-up and a hundred megabytes for nothing.
`hookline lint` still reports them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from linter.config import LinterConfig, load_linter_config
from linter.model import Finding, Severity
from linter.runner import lint_source

GRAMMAR_CODES = ("G001", "G002")


@dataclass(frozen=True)
class GateResult:
    """The error-level findings of a campaign's template, and a printable summary."""

    errors: list[Finding]
    findings: list[Finding]

    @property
    def passed(self) -> bool:
        """Whether the campaign may be sent without ``--force``."""
        return not self.errors

    def summary(self) -> str:
        """One line per finding, ``path:line:col: CODE message``, errors first."""
        ordered = sorted(self.findings, key=lambda f: (f.severity != Severity.ERROR, f.span))
        return "\n".join(
            f"{f.path}:{f.span.line}:{f.span.column}: {f.code} [{f.severity}] {f.message}"
            for f in ordered
        )


def lint_campaign_source(
    path: str, source: str, config: LinterConfig | None = None, config_path: Path | None = None
) -> GateResult:
    """Lint a campaign's stored template text."""
    config = config or load_linter_config(config_path)
    grammar_blocks = any(
        config.severity_for(code, Severity.WARNING) == Severity.ERROR for code in GRAMMAR_CODES
    )
    if not grammar_blocks:
        config = replace(config, grammar=replace(config.grammar, enabled=False))
    result = lint_source(path, source, config)
    errors = [f for f in result.findings if f.severity == Severity.ERROR]
    return GateResult(errors, list(result.findings))
