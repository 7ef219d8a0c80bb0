"""Template rules: the Jinja parses (T001), names exist (T002), previews render (T003),
and the file is UTF-8 (T004). They read the template source, once per file."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator

from jinja2 import nodes

from linter.context import TemplateContext
from linter.jinja_render import ParsedTemplate, SyntaxProblem, parse_string, undeclared_names
from linter.model import Severity, Span, Violation
from linter.registry import Rule
from linter.variables import known_variables


class TemplateSyntax(Rule):
    """## What it does
    Checks that the front matter is valid TOML between two `+++` lines and that the
    Jinja body, subject and preheader parse.

    ## Why is this bad?
    A template that doesn't parse can't be rendered, so nothing can be sent. The
    material asks to "Rà soát lại thư trước khi gửi" (review the mail before sending);
    a syntax error is the first thing a review must catch.

    ## Example
    ```
    Hi {{ first_name }, your 60% saving ends Friday.
    ```

    Use instead:
    ```
    Hi {{ first_name }}, your 60% saving ends Friday.
    ```
    """

    code = "T001"
    name = "template-syntax"
    severity = Severity.ERROR
    summary = "The template's front matter or Jinja does not parse"
    scope = "template"

    def check_template(self, ctx: TemplateContext) -> Iterator[Violation]:
        doc = ctx.doc
        if doc.front_error is not None:
            error = doc.front_error
            yield Violation(
                error.message,
                Span.point(error.line, error.column, len(doc.index.line_text(error.line))),
            )
        if isinstance(ctx.parsed, SyntaxProblem):
            line = ctx.body_line(ctx.parsed.line)
            yield Violation(
                f"Jinja syntax error: {ctx.parsed.message}",
                Span.point(line, 1, len(doc.index.line_text(line))),
            )
        for key in ("subject", "preheader"):
            value = getattr(doc.front, key)
            if value is None:
                continue
            parsed = parse_string(value)
            if isinstance(parsed, SyntaxProblem):
                yield Violation(
                    f"Jinja syntax error in `{key}`: {parsed.message}", doc.key_span(key)
                )


def _attributes(ast: nodes.Template) -> Iterator[tuple[str, int]]:
    for getattr_node in ast.find_all(nodes.Getattr):
        if isinstance(getattr_node.node, nodes.Name) and getattr_node.node.name == "attrs":
            yield getattr_node.attr, getattr_node.lineno
    for item in ast.find_all(nodes.Getitem):
        if (
            isinstance(item.node, nodes.Name)
            and item.node.name == "attrs"
            and isinstance(item.arg, nodes.Const)
            and isinstance(item.arg.value, str)
        ):
            yield item.arg.value, item.lineno


def _suggest(name: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return f"; did you mean `{close[0]}`?" if close else ""


class UnknownVariable(Rule):
    """## What it does
    Checks that every variable the template uses is one the engine provides: a contact
    field (`first_name`, `city`...), an engine variable (`unsubscribe_url`, `offer_code`,
    `view_url`, `campaign`), or a custom attribute `attrs.NAME` declared in config.toml
    under `[linter] attributes`. Names set inside the template (`set`, `for`, macros)
    are fine. For a typo it suggests the closest known name.

    ## Why is this bad?
    An unknown variable renders as nothing, so the reader gets "Hi ," instead of their
    name. The material asks for correct detail ("Tất cả chi tiết có chính xác không?")
    and to personalise ("Cho phép cá nhân hoá dịch vụ"); a misspelt field does neither.
    Preview values don't count: they exist only while linting.

    ## Example
    ```
    Hi {{ frist_name }},
    ```

    Use instead:
    ```
    Hi {{ first_name }},
    ```
    """

    code = "T002"
    name = "unknown-variable"
    severity = Severity.ERROR
    summary = (
        "The template uses a variable that no contact field, attribute or engine variable provides"
    )
    scope = "template"

    def check_template(self, ctx: TemplateContext) -> Iterator[Violation]:
        known = sorted(known_variables())
        declared = sorted(ctx.config.attributes)
        sources: list[tuple[nodes.Template, int | None, str | None]] = []
        if isinstance(ctx.parsed, ParsedTemplate):
            sources.append((ctx.parsed.ast, None, None))
        for key in ("subject", "preheader"):
            value = getattr(ctx.doc.front, key)
            if value is not None:
                parsed = parse_string(value)
                if not isinstance(parsed, SyntaxProblem):
                    sources.append((parsed, ctx.doc.front.key_lines.get(key, 1), key))
        for ast, fixed_line, source_key in sources:
            for name, line in undeclared_names(ast):
                if name in known:
                    continue
                span = self._span(ctx, name, line, fixed_line)
                where = f" in `{source_key}`" if source_key else ""
                yield Violation(f"Unknown variable `{name}`{where}{_suggest(name, known)}", span)
            for attribute, line in _attributes(ast):
                if attribute in declared:
                    continue
                span = self._span(ctx, attribute, line, fixed_line)
                hint = _suggest(attribute, declared)
                if not hint:
                    hint = "; declare it in config.toml under [linter] attributes"
                yield Violation(f"Unknown attribute `attrs.{attribute}`{hint}", span)

    @staticmethod
    def _span(ctx: TemplateContext, name: str, line: int, fixed_line: int | None) -> Span:
        file_line = fixed_line if fixed_line is not None else ctx.body_line(line)
        text = ctx.doc.index.line_text(file_line)
        match = re.search(rf"\b{re.escape(name)}\b", text)
        if match is None:
            return Span.point(file_line, 1, len(text))
        return Span.point(file_line, match.start() + 1, len(name))


class RenderError(Rule):
    """## What it does
    Renders the template with each `[[preview]]` table (or with placeholder values) in
    the same sandbox the engine uses, and reports a preview that fails: an error in a
    filter, a division by zero, or code the sandbox blocks, such as reaching Python
    internals through `__class__`.

    ## Why is this bad?
    A template that fails to render for some contacts sends nothing to them. One that
    tries to reach past the sandbox is an attempt to run code, which marketers' templates
    must never do.

    ## Example
    ```
    {{ first_name.__class__.__mro__ }}
    ```

    Use instead:
    ```
    {{ first_name }}
    ```
    """

    code = "T003"
    name = "render-error"
    severity = Severity.ERROR
    summary = "A preview of the template fails to render in the sandbox"
    scope = "template"

    def check_template(self, ctx: TemplateContext) -> Iterator[Violation]:
        for problem in ctx.render_problems:
            yield Violation(problem.message, problem.span)


class NotUtf8(Rule):
    """## What it does
    Checks that the template file is UTF-8. A file in another encoding is still linted,
    read with the encoding that fits it best.

    ## Why is this bad?
    The engine reads templates as UTF-8. A Vietnamese template saved as Windows-1258
    turns "Xin chào" into mojibake in every inbox.

    ## Example
    A file saved as `windows-1252`. Save it as UTF-8 instead.
    """

    code = "T004"
    name = "not-utf8"
    severity = Severity.ERROR
    summary = "The template file is not UTF-8"
    scope = "template"

    def check_template(self, ctx: TemplateContext) -> Iterator[Violation]:
        if ctx.decode_problem:
            yield Violation(ctx.decode_problem, Span.point(1, 1, 0))
