"""Parse and render a template's Jinja in a sandbox, as the engine would.

Marketers edit templates, so rendering happens in Jinja's immutable sandbox: no access
to Python internals, no mutation of the data. A template is parsed once; the AST serves
both the static checks (T001, T002) and rendering with each preview.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from jinja2 import ChainableUndefined, TemplateSyntaxError, nodes
from jinja2.environment import Template
from jinja2.sandbox import ImmutableSandboxedEnvironment

from linter.language import load_language
from linter.variables import (
    PREVIEW_OFFER_CODE,
    PREVIEW_UNSUBSCRIBE_URL,
    PREVIEW_VIEW_URL,
)


class LenientUndefined(ChainableUndefined):
    """Renders unknown names as empty text so the other rules still see the copy.

    T002 reports unknown names from the AST; rendering must not stop at them.
    """


@cache
def environment(autoescape: bool) -> ImmutableSandboxedEnvironment:
    """The shared sandboxed environment (HTML templates autoescape contact data)."""
    return ImmutableSandboxedEnvironment(
        autoescape=autoescape,
        undefined=LenientUndefined,
        keep_trailing_newline=True,
        auto_reload=False,
    )


@dataclass(frozen=True)
class SyntaxProblem:
    """A Jinja syntax error at a 1-based line of the parsed source."""

    message: str
    line: int


@dataclass
class ParsedTemplate:
    """A body that parsed, with its AST and the compiled template."""

    ast: nodes.Template
    template: Template


def parse_body(body: str, autoescape: bool) -> ParsedTemplate | SyntaxProblem:
    """Parse and compile a Jinja body; a syntax error comes back as a value."""
    env = environment(autoescape)
    try:
        ast = env.parse(body)
        template = env.from_string(ast)
    except TemplateSyntaxError as exc:
        return SyntaxProblem(exc.message or "syntax error", exc.lineno or 1)
    except (RecursionError, SyntaxError):
        # Jinja's parser recurses per nesting level and compiles to Python, which caps
        # indentation: hundreds of nested tags or brackets can't be parsed or compiled.
        return SyntaxProblem("the template nests blocks or brackets too deeply", 1)
    return ParsedTemplate(ast, template)


@lru_cache(maxsize=4096)
def compile_string(source: str, autoescape: bool = False) -> Template:
    """Compile a short template such as a subject line, once per process."""
    return environment(autoescape).from_string(source)


@lru_cache(maxsize=4096)
def parse_string(source: str) -> nodes.Template | SyntaxProblem:
    """Parse a short template such as a subject line; a syntax error comes back as a value."""
    try:
        ast = environment(False).parse(source)
        # The checks walk the tree recursively: one too deep to walk counts as unparseable.
        for _ in ast.find_all(nodes.Node):
            pass
    except TemplateSyntaxError as exc:
        return SyntaxProblem(exc.message or "syntax error", exc.lineno or 1)
    except RecursionError:
        return SyntaxProblem("the template nests blocks or brackets too deeply", 1)
    return ast


def render_string(source: str, context: dict[str, Any], autoescape: bool = False) -> str:
    """Render a short template such as a subject line. Raises on errors."""
    return compile_string(source, autoescape).render(context)


_IMPLICIT_NAMES = frozenset({"loop", "self", "super", "caller", "varargs", "kwargs"})


def undeclared_names(ast: nodes.Template) -> list[tuple[str, int]]:
    """Names the template reads but never sets, with their lines, in order.

    A direct walk of the AST: much cheaper than ``jinja2.meta``, which generates code.
    A name set anywhere in the template (``set``, ``for``, macro parameters, imports)
    counts as declared everywhere in it.
    """
    declared = set(environment(False).globals) | _IMPLICIT_NAMES
    loads: list[tuple[str, int]] = []
    for node in ast.find_all((nodes.Name, nodes.Macro, nodes.Import, nodes.FromImport)):
        if isinstance(node, nodes.Name):
            if node.ctx == "load":
                loads.append((node.name, node.lineno))
            else:
                declared.add(node.name)
        elif isinstance(node, nodes.Macro):
            declared.add(node.name)
        elif isinstance(node, nodes.Import):
            declared.add(node.target)
        elif isinstance(node, nodes.FromImport):
            declared.update(name if isinstance(name, str) else name[1] for name in node.names)
    return [(name, line) for name, line in loads if name not in declared]


def placeholder_context(lang: str, attributes: tuple[str, ...]) -> dict[str, Any]:
    """Stand-in values for every variable the engine provides."""
    values = dict(load_language(lang).value("placeholders", {}))
    values["attrs"] = {name: f"sample {name.replace('_', ' ')}" for name in attributes}
    values["unsubscribe_url"] = PREVIEW_UNSUBSCRIBE_URL
    values["view_url"] = PREVIEW_VIEW_URL
    values["offer_code"] = PREVIEW_OFFER_CODE
    values["rfm"] = {"recency": 3, "frequency": 3, "monetary": 3}
    values["campaign"] = {"name": "Preview campaign", "subject": ""}
    return values


def preview_contexts(
    previews: list[dict[str, Any]], lang: str, attributes: tuple[str, ...]
) -> list[dict[str, Any]]:
    """One context per ``[[preview]]`` table, each over the placeholders (or just them)."""
    base = placeholder_context(lang, attributes)
    if not previews:
        return [base]
    contexts = []
    for preview in previews:
        context = {**base, **preview}
        if isinstance(preview.get("attrs"), dict):
            context["attrs"] = {**base["attrs"], **preview["attrs"]}
        contexts.append(context)
    return contexts
