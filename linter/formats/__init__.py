"""Report formats: text (for people), json, sarif (code scanning) and github (annotations)."""

from __future__ import annotations

from collections.abc import Callable

from linter.formats.github import render_github
from linter.formats.json_format import render_json
from linter.formats.sarif import render_sarif
from linter.formats.text import render_text
from linter.runner import LintReport

FORMATS: dict[str, Callable[[LintReport, bool], str]] = {
    "text": render_text,
    "json": render_json,
    "sarif": render_sarif,
    "github": render_github,
}

__all__ = ["FORMATS"]
