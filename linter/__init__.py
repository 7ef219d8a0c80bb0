"""Hookline's copy linter: checks email and letter templates against the copy rules.

The package depends on nothing else in the project, so copywriters can run it alone
(locally, in CI or as a pre-commit hook). The campaigns package imports its
HTML-to-text converter and its lint gate from here.
"""

from linter.model import Finding, Fix, Severity, Span
from linter.runner import LintReport, lint_paths, lint_source

__all__ = ["Finding", "Fix", "LintReport", "Severity", "Span", "lint_paths", "lint_source"]
