"""The linter's data: severities, source spans, findings and their fixes."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """How much a finding matters. Only errors fail a lint run or block a send."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """A range in the template file: 1-based lines and columns, end column exclusive."""

    line: int
    column: int
    end_line: int
    end_column: int

    @classmethod
    def point(cls, line: int, column: int = 1, length: int = 0) -> Span:
        """A span on one line, ``length`` characters long."""
        return cls(line, column, line, column + length)


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace the text in ``span`` of the template file with ``content``."""

    span: Span
    content: str

    def to_dict(self) -> dict[str, Any]:
        """The edit as ruff's JSON output writes it."""
        return {
            "content": self.content,
            "location": {"row": self.span.line, "column": self.span.column},
            "end_location": {"row": self.span.end_line, "column": self.span.end_column},
        }


@dataclass(frozen=True, slots=True)
class Fix:
    """A change that resolves a finding. Only safe fixes are applied by ``--fix``."""

    message: str
    edits: tuple[Edit, ...]
    applicability: str = "safe"

    def to_dict(self) -> dict[str, Any]:
        """The fix as the JSON report writes it."""
        return {
            "applicability": self.applicability,
            "message": self.message,
            "edits": [edit.to_dict() for edit in self.edits],
        }


@dataclass(frozen=True, slots=True)
class Violation:
    """What a rule reports: a message at a place, perhaps with a fix.

    The runner turns it into a :class:`Finding` by adding the file, the rule's code and
    name and the severity in force.
    """

    message: str
    span: Span
    fix: Fix | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem in one template file."""

    path: str
    code: str
    name: str
    severity: Severity
    message: str
    span: Span
    fix: Fix | None = field(default=None, compare=False)

    def sort_key(self) -> tuple[str, Span, str]:
        """Order findings by file, then position, then code."""
        return (self.path, self.span, self.code)

    def to_dict(self) -> dict[str, Any]:
        """The finding as one element of ``--format json``."""
        data: dict[str, Any] = {
            "path": self.path,
            "line": self.span.line,
            "column": self.span.column,
            "end_line": self.span.end_line,
            "end_column": self.span.end_column,
            "code": self.code,
            "name": self.name,
            "severity": str(self.severity),
            "message": self.message,
        }
        if self.fix is not None:
            data["fix"] = self.fix.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        """Rebuild a finding from :meth:`to_dict` (used by the result cache)."""
        fix = None
        if "fix" in data:
            raw = data["fix"]
            fix = Fix(
                message=raw["message"],
                applicability=raw["applicability"],
                edits=tuple(
                    Edit(
                        Span(
                            e["location"]["row"],
                            e["location"]["column"],
                            e["end_location"]["row"],
                            e["end_location"]["column"],
                        ),
                        e["content"],
                    )
                    for e in raw["edits"]
                ),
            )
        return cls(
            path=data["path"],
            code=data["code"],
            name=data["name"],
            severity=Severity(data["severity"]),
            message=data["message"],
            span=Span(data["line"], data["column"], data["end_line"], data["end_column"]),
            fix=fix,
        )
