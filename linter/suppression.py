"""Inline suppression with Jinja comments: ``{# hookline: ignore[C001] reason #}``.

A suppression at the top of the body, before any content, covers the whole file.
Anywhere else it covers the next line that has content. Codes may be exact (``C001``)
or prefixes (``C``). A suppression that suppresses nothing is itself reported (X001),
with a safe fix that deletes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from linter.document import TemplateDocument
from linter.model import Edit, Finding, Fix, Span

PATTERN = re.compile(
    r"\{#-?\s*hookline:\s*ignore\[(?P<codes>[^\]]*)\](?P<reason>.*?)-?#\}", re.DOTALL
)
_COMMENT = re.compile(r"\{#.*?#\}", re.DOTALL)


@dataclass
class Suppression:
    """One suppression comment: its codes, what it covers, and what it suppressed."""

    codes: tuple[str, ...]
    reason: str
    span: Span
    start: int
    end: int
    file_level: bool
    target_line: int
    used: set[str] = field(default_factory=set)

    def covers(self, finding: Finding) -> str | None:
        """The code of this suppression that matches the finding, if any."""
        if not self.file_level and finding.span.line != self.target_line:
            return None
        for code in self.codes:
            if finding.code.startswith(code):
                return code
        return None


def find_suppressions(doc: TemplateDocument) -> list[Suppression]:
    """Every suppression comment in the template body."""
    found: list[Suppression] = []
    text = doc.text
    for match in PATTERN.finditer(text, doc.body_offset):
        codes = tuple(
            code.strip().upper() for code in match.group("codes").split(",") if code.strip()
        )
        before = _COMMENT.sub("", text[doc.body_offset : match.start()])
        file_level = not before.strip()
        end_line = doc.index.position(match.end())[0]
        target = end_line + 1
        while (
            target <= doc.index.line_count
            and not _COMMENT.sub("", doc.index.line_text(target)).strip()
        ):
            target += 1
        found.append(
            Suppression(
                codes=codes,
                reason=match.group("reason").strip(),
                span=doc.index.span(match.start(), match.end()),
                start=match.start(),
                end=match.end(),
                file_level=file_level,
                target_line=target,
            )
        )
    return found


def apply_suppressions(findings: list[Finding], suppressions: list[Suppression]) -> list[Finding]:
    """The findings no suppression covers; marks each suppression's used codes."""
    kept = []
    for finding in findings:
        suppressed = False
        for suppression in suppressions:
            code = suppression.covers(finding)
            if code is not None:
                suppression.used.add(code)
                suppressed = True
        if not suppressed:
            kept.append(finding)
    return kept


def removal_edit(doc: TemplateDocument, suppression: Suppression) -> Edit:
    """Delete the comment, and its whole line when nothing else is on it."""
    text = doc.text
    line_start = text.rfind("\n", 0, suppression.start) + 1
    line_end = text.find("\n", suppression.end)
    line_end = len(text) if line_end == -1 else line_end
    alone = (
        not text[line_start : suppression.start].strip()
        and not text[suppression.end : line_end].strip()
    )
    if alone:
        end = min(line_end + 1, len(text))
        return Edit(doc.index.span(line_start, end), "")
    return Edit(doc.index.span(suppression.start, suppression.end), "")


def unused_message(suppression: Suppression) -> tuple[str, bool]:
    """The X001 message, and whether the whole comment is unused."""
    if not suppression.codes:
        return "Suppression names no codes: write ignore[CODE], e.g. ignore[C001]", True
    unused = [code for code in suppression.codes if code not in suppression.used]
    listed = ", ".join(unused)
    whole = len(unused) == len(suppression.codes)
    if whole:
        return f"Unused suppression: nothing here triggers {listed}", True
    return f"Unused code(s) in suppression: {listed}", False


def unused_fix(doc: TemplateDocument, suppression: Suppression) -> Fix:
    """The safe fix for an unused suppression: delete it."""
    return Fix("Remove the unused suppression", (removal_edit(doc, suppression),))
