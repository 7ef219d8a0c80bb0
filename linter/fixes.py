"""Apply safe fixes to a template's text, and show them as a diff.

As in ruff, fixes are applied in rounds: non-overlapping edits of one round go in
together, the file is linted again, and rounds repeat until nothing more is fixable
(or ten rounds have passed, so a pair of fixes that undo each other can't loop).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass

from linter.document import LineIndex
from linter.model import Edit, Finding

MAX_ROUNDS = 10


@dataclass
class FixOutcome:
    """The fixed text and how many findings the fixes resolved."""

    text: str
    applied: int


def apply_edits(text: str, findings: list[Finding]) -> tuple[str, int]:
    """Apply every safe fix whose edits don't overlap an earlier one."""
    index = LineIndex(text)
    chosen: list[tuple[int, int, Edit]] = []
    applied = 0
    taken: list[tuple[int, int]] = []
    for finding in findings:
        if finding.fix is None or finding.fix.applicability != "safe":
            continue
        ranges = [
            (
                index.offset(edit.span.line, edit.span.column),
                index.offset(edit.span.end_line, edit.span.end_column),
                edit,
            )
            for edit in finding.fix.edits
        ]
        if any(start < end2 and start2 < end for start, end, _ in ranges for start2, end2 in taken):
            continue
        taken.extend((start, end) for start, end, _ in ranges)
        chosen.extend(ranges)
        applied += 1
    for start, end, edit in sorted(chosen, key=lambda item: item[0], reverse=True):
        text = text[:start] + edit.content + text[end:]
    return text, applied


def fix_text(text: str, lint: Callable[[str], list[Finding]]) -> FixOutcome:
    """Lint, fix and lint again until no safe fix is left."""
    applied = 0
    for _ in range(MAX_ROUNDS):
        findings = lint(text)
        new_text, count = apply_edits(text, findings)
        if count == 0 or new_text == text:
            break
        text, applied = new_text, applied + count
    return FixOutcome(text, applied)


def unified_diff(path: str, before: str, after: str) -> str:
    """A unified diff of one file's fixes."""
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=f"a/{path}",
            tofile=f"b/{path}",
        )
    )
