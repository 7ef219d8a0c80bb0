"""A campaign's template, compiled once and rendered for each recipient.

Marketers write the templates, so they run in Jinja's immutable sandbox. Missing data
is normal (a contact without a city) and renders as empty text; a real fault in one
recipient's data or in the template's logic (dividing by zero, calling a number, an
unsafe attribute) is a ``RenderError`` for that recipient alone, with the line.
Everything that can be done once per campaign is done in ``compile``: parsing, the
sandbox compilation and, for HTML, inlining the CSS.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import PurePosixPath
from typing import Any

from jinja2 import ChainableUndefined, TemplateSyntaxError, nodes
from jinja2.environment import Template
from jinja2.sandbox import ImmutableSandboxedEnvironment

from campaigns.render import text_template
from campaigns.render.css_inline import inline_html, inline_template_css
from campaigns.render.text_part import text_part
from campaigns.render.text_template import TextTemplate
from linter.document import TemplateDocument, parse_document
from linter.jinja_render import preview_contexts

# The usual hidden-preheader markup: shown in the inbox list, never in the message.
PREHEADER_STYLE = "display:none;max-height:0;max-width:0;opacity:0;overflow:hidden;mso-hide:all"
_BODY_OPEN = re.compile(r"<body\b[^>]*>", re.IGNORECASE)
_HEAD_CLOSE = re.compile(r"</head\s*>", re.IGNORECASE)
_HTML_OPEN = re.compile(r"<html\b[^>]*>", re.IGNORECASE)
_LOOKS_HTML = re.compile(
    r"\s*(?:\{([%#]).*?\1\}\s*)*<(?:!doctype\s+html|html|head|body)\b", re.I | re.S
)
_KNOWN_SUFFIXES = (".html", ".htm", ".txt", ".text")
# Jinja looks these up through a loader; campaign templates are self-contained.
_NEEDS_LOADER = (nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)
_TEMPLATE_FILENAME = "<template>"


class TemplateError(Exception):
    """The template can't be compiled; the message names the file and line."""


class RenderError(Exception):
    """One recipient's data can't be rendered; the message is the reason, with the line."""


@dataclass(frozen=True)
class RenderedContent:
    """One recipient's subject and bodies, before links are tracked."""

    subject: str
    html: str | None
    text: str


def _finalize(value: Any) -> Any:
    # A contact field that is NULL in the database must not print "None".
    return "" if value is None else value


@cache
def _environment(autoescape: bool) -> ImmutableSandboxedEnvironment:
    """The sandbox: HTML bodies escape contact data, text and subjects don't."""
    return ImmutableSandboxedEnvironment(
        autoescape=autoescape,
        undefined=ChainableUndefined,
        finalize=_finalize,
        keep_trailing_newline=True,
        auto_reload=False,
    )


@dataclass(frozen=True)
class _Part:
    """A compiled piece of the template and where its first line sits in the file."""

    template: Template
    label: str
    first_line: int | None

    def render(self, context: dict[str, Any]) -> str:
        try:
            return self.template.render(context)
        except Exception as exc:
            # Anything the template does wrong for this recipient, Jinja or Python.
            raise RenderError(self.reason(exc)) from exc

    def reason(self, exc: Exception) -> str:
        """``line 12: why`` for the body, ``line 2 (subject): why`` for the others."""
        message = str(exc) or type(exc).__name__
        line = _template_line(exc)
        where = "" if self.label == "body" else f" ({self.label})"
        if line is not None and self.first_line is not None:
            return f"line {self.first_line + line - 1}{where}: {message}"
        return f"{self.label}: {message}"


def _template_line(exc: BaseException) -> int | None:
    """The template line Jinja recorded in the traceback, innermost last."""
    line = None
    trace = exc.__traceback__
    while trace is not None:
        if trace.tb_frame.f_code.co_filename == _TEMPLATE_FILENAME:
            line = trace.tb_lineno
        trace = trace.tb_next
    return line


@dataclass(frozen=True, eq=False)
class CampaignTemplate:
    """A template ready to render for each recipient. Build it with ``compile``."""

    path: str
    kind: str
    channel: str
    lang: str | None
    subject_source: str | None
    inlined_once: bool
    # The compiled pieces: internal, filled in by ``compile``.
    _subject: _Part | None = field(repr=False)
    _preheader: _Part | None = field(repr=False)
    _body: _Part = field(repr=False)
    _source_body: _Part = field(repr=False)
    _text: _Part | None = field(repr=False)
    # The text part derived once from the HTML template (see text_template.py).
    _derived_text: TextTemplate | None = field(default=None, repr=False)

    @property
    def text_derived_once(self) -> bool:
        """Whether the text part renders from a template derived once per campaign."""
        return self._derived_text is not None

    @classmethod
    def compile(
        cls, source: str, path: str = "template", text_source: str | None = None
    ) -> CampaignTemplate:
        """Parse, sandbox-compile and CSS-inline a template once per campaign.

        ``text_source`` is the full source of a ``.txt.j2`` sibling (front matter
        included) to send as the text part of an HTML email; without it the text part
        is derived from each rendered HTML. A path without a known extension is read
        as HTML when its body starts like an HTML document.
        """
        document = parse_document(path, source)
        _check_front_matter(document, path)
        kind = _kind(path, document)
        front = document.front
        subject_source = front.subject
        if document.channel == "email" and not (subject_source or "").strip():
            raise TemplateError(f"{path}, line 1: an email needs a `subject` in its front matter")
        line_of = front.key_lines.get
        subject = None
        if subject_source is not None:
            subject = _compile(subject_source, False, "subject", line_of("subject", 1), path)
        preheader = None
        if front.preheader and kind == "html":
            preheader = _compile(front.preheader, True, "preheader", line_of("preheader", 1), path)
        is_html = kind == "html"
        source_body = _compile(document.body, is_html, "body", document.body_start_line, path)
        body = source_body
        inlined_source = inline_template_css(document.body) if is_html else None
        if inlined_source is not None:
            body = _inlined(inlined_source) or source_body
        text = None
        if is_html and text_source is not None:
            text = _compile_text_sibling(text_source, _sibling_path(path))
        compiled = cls(
            path=path,
            kind=kind,
            channel=document.channel,
            lang=front.lang,
            subject_source=subject_source,
            inlined_once=body is not source_body,
            _subject=subject,
            _preheader=preheader,
            _body=body,
            _source_body=source_body,
            _text=text,
        )
        if not is_html or text is not None:
            return compiled
        checks = preview_contexts(front.previews, front.lang or "en", ())
        derived = text_template.derive(
            inlined_source if compiled.inlined_once and inlined_source else document.body,
            checks,
            compiled._html,
            text_part,
        )
        return replace(compiled, _derived_text=derived) if derived else compiled

    def render(self, context: Mapping[str, Any]) -> RenderedContent:
        """Render the subject and bodies for one recipient; raises ``RenderError``."""
        data = dict(context)
        subject = " ".join(self._subject.render(data).split()) if self._subject else ""
        if self.kind != "html":
            return RenderedContent(subject, None, self._source_body.render(data))
        html = self._html(data)
        if self._text is not None:
            text = self._text.render(data)
        elif self._derived_text is not None:
            try:
                text = self._derived_text.render(data)
            except Exception as exc:
                raise RenderError(f"text part: {exc or type(exc).__name__}") from exc
        else:
            text = text_part(html)
        return RenderedContent(subject, html, text)

    def render_styled_html(self, context: Mapping[str, Any]) -> str | None:
        """The HTML as the template wrote it, its CSS left in ``<style>``; raises ``RenderError``.

        For a renderer that applies the stylesheet itself (a letter's PDF): the copy
        with the CSS inlined into every element's ``style`` makes each element's style
        unique, which a layout engine then computes again for every recipient. None for
        a text template. No subject, preheader or text part: they aren't printed.
        """
        if self.kind != "html":
            return None
        return self._source_body.render(dict(context))

    def _html(self, context: Mapping[str, Any]) -> str:
        data = dict(context)
        html = self._render_body(data)
        if not self.inlined_once:
            html = inline_html(html)
        if self._preheader is not None:
            preheader = " ".join(self._preheader.render(data).split())
            if preheader:
                html = _with_preheader(html, preheader)
        return html

    def _render_body(self, data: dict[str, Any]) -> str:
        try:
            return self._body.render(data)
        except RenderError:
            if self._body is self._source_body:
                raise
            # The inlined copy has other line numbers: the source says where it failed.
            self._source_body.render(data)
            raise


def _check_front_matter(document: TemplateDocument, path: str) -> None:
    error = document.front_error
    if error is not None:
        raise TemplateError(f"{path}, line {error.line}: {error.message}")


def _kind(path: str, document: TemplateDocument) -> str:
    """``html`` or ``text``: from the file name, or from the body when the name is bare."""
    suffixes = [suffix.lower() for suffix in PurePosixPath(path).suffixes]
    if any(suffix in _KNOWN_SUFFIXES for suffix in suffixes):
        return document.kind
    return "html" if _LOOKS_HTML.match(document.body) else document.kind


def _compile(source: str, autoescape: bool, label: str, first_line: int, path: str) -> _Part:
    """Sandbox-compile one piece; a syntax error names the file line."""
    environment = _environment(autoescape)
    try:
        ast = environment.parse(source)
        for node in ast.find_all(_NEEDS_LOADER):
            raise TemplateError(
                f"{path}, line {first_line + node.lineno - 1}: a campaign template can't "
                "extend, include or import other templates"
            )
        template = environment.from_string(ast)
    except TemplateSyntaxError as exc:
        line = first_line + (exc.lineno or 1) - 1
        raise TemplateError(f"{path}, line {line}: {exc.message or 'syntax error'}") from exc
    except (RecursionError, SyntaxError) as exc:
        # Jinja's parser recurses per nesting level and Python caps indentation.
        raise TemplateError(f"{path}, line {first_line}: {label} nests too deeply") from exc
    return _Part(template, label, first_line)


def _inlined(inlined: str) -> _Part | None:
    """The CSS-inlined body compiled, or None to inline each message instead."""
    try:
        template = _environment(True).from_string(inlined)
    except (TemplateSyntaxError, RecursionError, SyntaxError):
        return None
    # Lines moved when premailer removed the <style>; errors are re-traced in the source.
    return _Part(template, "body", None)


def _compile_text_sibling(source: str, path: str) -> _Part:
    document = parse_document(path, source)
    _check_front_matter(document, path)
    return _compile(document.body, False, "text part", document.body_start_line, path)


def _sibling_path(path: str) -> str:
    for suffix in (".html.j2", ".htm.j2", ".html", ".htm"):
        if path.lower().endswith(suffix):
            return path[: -len(suffix)] + ".txt.j2"
    return f"{path} (text part)"


def _with_preheader(html: str, preheader: str) -> str:
    """Put the hidden preheader first in the body, where inbox previews read from."""
    element = f'<div style="{PREHEADER_STYLE}">{preheader}</div>'
    for pattern in (_BODY_OPEN, _HEAD_CLOSE, _HTML_OPEN):
        match = pattern.search(html)
        if match is not None:
            return f"{html[: match.end()]}\n{element}{html[match.end() :]}"
    return element + html
