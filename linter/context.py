"""What template-scope rules read: the parsed source and what went wrong rendering it."""

from __future__ import annotations

from dataclasses import dataclass, field

from linter.config import LinterConfig
from linter.document import TemplateDocument
from linter.jinja_render import ParsedTemplate, SyntaxProblem
from linter.language import LanguageData
from linter.model import Span


@dataclass(frozen=True)
class RenderProblem:
    """A preview that failed to render (a sandbox violation, a bad filter argument...)."""

    message: str
    span: Span


@dataclass
class TemplateContext:
    """One template file, parsed once, shared by every template-scope rule."""

    doc: TemplateDocument
    config: LinterConfig
    language: LanguageData
    parsed: ParsedTemplate | SyntaxProblem | None
    render_problems: list[RenderProblem] = field(default_factory=list)
    decode_problem: str | None = None

    def body_line(self, jinja_line: int) -> int:
        """The file line of a line number Jinja reports for the body."""
        return self.doc.body_start_line + max(jinja_line, 1) - 1
