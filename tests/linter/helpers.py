"""Build templates and lint them in tests, without touching the disk."""

from __future__ import annotations

import json
from collections.abc import Iterable

from linter.config import GrammarConfig, LinterConfig
from linter.model import Finding
from linter.registry import RuleSelection
from linter.runner import lint_source

NO_GRAMMAR = LinterConfig(grammar=GrammarConfig(enabled=False))


def template(
    body: str,
    subject: str | None = "Save 60% on every jazz CD until Friday",
    lang: str | None = None,
    channel: str | None = None,
    extra: str = "",
) -> str:
    """A template file: TOML front matter with the given keys, then the body."""
    lines = ["+++"]
    if subject is not None:
        # A JSON string is a valid TOML basic string.
        lines.append(f"subject = {json.dumps(subject, ensure_ascii=False)}")
    if lang is not None:
        lines.append(f'lang = "{lang}"')
    if channel is not None:
        lines.append(f'channel = "{channel}"')
    if extra:
        lines.append(extra.strip("\n"))
    lines.append("+++")
    return "\n".join(lines) + "\n" + body


def lint(
    text: str,
    path: str = "test.txt.j2",
    select: Iterable[str] = ("ALL",),
    ignore: Iterable[str] = (),
    config: LinterConfig = NO_GRAMMAR,
) -> list[Finding]:
    """Lint ``text`` as if it were the file ``path`` (its suffix picks HTML or text)."""
    selection = RuleSelection(tuple(select), tuple(ignore))
    return lint_source(path, text, config, selection).findings


def codes(findings: Iterable[Finding]) -> list[str]:
    """The codes of the findings, in report order."""
    return [finding.code for finding in findings]
