"""``--explain CODE``: a rule's documentation, as ``ruff rule`` prints it."""

from __future__ import annotations

import inspect

from linter.registry import Rule, all_rules


def explain(rule: type[Rule]) -> str:
    """The rule's heading, settings and three-part doc."""
    doc = inspect.cleandoc(rule.__doc__ or "")
    channels = ", ".join(sorted(rule.channels))
    kinds = ", ".join(sorted(rule.kinds))
    lines = [
        f"# {rule.name} ({rule.code})",
        "",
        f"Default severity: {rule.severity}. Applies to: {channels} ({kinds} templates).",
    ]
    if rule.fixable:
        lines.append("Fix is available with --fix.")
    lines += ["", doc, ""]
    return "\n".join(lines)


def rule_table() -> str:
    """One line per rule: code, name, default severity, summary."""
    rows = [
        f"{code}  {rule.name:<26} {rule.severity!s:<8} {rule.summary}"
        for code, rule in all_rules().items()
    ]
    return "\n".join(rows) + "\n"
