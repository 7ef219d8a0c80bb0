"""Subject B: compiled in the same sandbox as the template's subject, and linted like it.

Subject B is compiled through :class:`CampaignTemplate` itself (as the subject of a
template with an empty body), so it gets exactly the template subject's sandbox,
undefined handling and whitespace folding, with no second Jinja set-up to drift.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from campaigns.render.campaign_template import CampaignTemplate, RenderError, TemplateError

if TYPE_CHECKING:
    from linter.config import LinterConfig
    from linter.model import Finding

# RFC 5322 caps a header line at 998 characters; so does the column.
MAX_LENGTH = 998
_LABEL = "subject B"
# "subject B, line 2: …" and "line 2 (subject): …": the tiny template's own lines.
_TEMPLATE_PREFIX = re.compile(rf"^{re.escape(_LABEL)}, line \d+: ")
_RENDER_PREFIX = re.compile(r"^line \d+ \(subject\): ")
# Subject B is linted by the rules that read a subject, and by the template checks
# that catch syntax, unknown variables and render errors in it.
_RULE_PREFIXES = ("S", "T")


class SubjectBError(Exception):
    """Subject B is empty, too long, or doesn't compile; the message says why."""


def _toml_string(value: str) -> str:
    # A JSON string is a valid TOML basic string (same escapes, \uXXXX included).
    return json.dumps(value, ensure_ascii=False)


def _subject_template(source: str) -> str:
    return f"+++\nsubject = {_toml_string(source)}\n+++\n"


class SubjectB:
    """Subject B compiled once; ``render`` gives one recipient's subject line."""

    def __init__(self, source: str) -> None:
        self.source = source
        try:
            self._template = CampaignTemplate.compile(_subject_template(source), _LABEL)
        except TemplateError as exc:
            raise SubjectBError(_TEMPLATE_PREFIX.sub("", str(exc))) from None

    def render(self, context: Mapping[str, Any]) -> str:
        """The subject for one recipient, whitespace folded; raises ``RenderError``."""
        try:
            return self._template.render(context).subject
        except RenderError as exc:
            raise RenderError(f"{_LABEL}: {_RENDER_PREFIX.sub('', str(exc))}") from exc


def compile_subject_b(source: str) -> SubjectB:
    """Check and compile subject B; raises ``SubjectBError`` with the reason."""
    if not source.strip():
        raise SubjectBError("subject B is empty")
    if len(source) > MAX_LENGTH:
        raise SubjectBError(f"subject B is {len(source):,} characters long (at most {MAX_LENGTH})")
    if "\n" in source or "\r" in source:
        raise SubjectBError("subject B must be one line")
    return SubjectB(source)


def _with_subject(path: str, source: str, subject: str) -> tuple[str, int]:
    """The template's text with its subject replaced by ``subject``, and that line.

    The front-matter line that sets ``subject`` is swapped for one setting subject B,
    so previews, language and suppressions stay those of the campaign. A subject
    written over several lines (a TOML multi-line string) can't be swapped line for
    line; the front matter is then reduced to subject B and the language.
    """
    from linter.document import parse_document

    document = parse_document(path, source)
    line = document.front.key_lines.get("subject")
    if line is not None:
        lines = source.split("\n")
        try:
            single = tomllib.loads(lines[line - 1]).keys() == {"subject"}
        except tomllib.TOMLDecodeError:
            single = False
        if single:
            lines[line - 1] = f"subject = {_toml_string(subject)}"
            return "\n".join(lines), line
    lang = f"lang = {_toml_string(document.front.lang)}\n" if document.front.lang else ""
    return f"+++\nsubject = {_toml_string(subject)}\n{lang}+++\n{document.body}", 2


def lint_subject_b(
    template_path: str, template_source: str, subject: str, config: LinterConfig
) -> list[Finding]:
    """The subject rules' findings (S…, and T… on the subject) for subject B.

    Each finding's message is the rule's own, about subject B; the rules that the
    config's ``select``/``ignore`` turn off stay off.
    """
    from dataclasses import replace

    from linter.registry import RuleSelection, all_rules
    from linter.runner import lint_source

    configured = RuleSelection(config.select, config.ignore)
    codes = tuple(
        code for code in all_rules() if code.startswith(_RULE_PREFIXES) and configured.enabled(code)
    )
    if not codes:
        return []
    text, line = _with_subject(template_path, template_source, subject)
    # No grammar backend reads the subject; starting one would cost a second.
    config = replace(config, grammar=replace(config.grammar, enabled=False), cache=False)
    result = lint_source(template_path, text, config, RuleSelection(codes, ()))
    return [finding for finding in result.findings if finding.span.line == line]
