"""Lint template files: read, parse, render each preview, run the rules, suppress, cache.

``lint_paths`` is the library entry point the CLI and the campaigns lint gate call.
Many files are linted in parallel worker processes, and results are cached by content
in ``.hookline_cache/`` so an unchanged template is not linted twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import traceback
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2.exceptions import SecurityError

from linter.config import LinterConfig
from linter.context import RenderProblem, TemplateContext
from linter.document import TemplateDocument, parse_document
from linter.jinja_render import ParsedTemplate, parse_body, preview_contexts, render_string
from linter.language import available_languages, detect_language, load_language
from linter.model import Finding, Severity, Span, Violation
from linter.registry import Rule, RuleSelection
from linter.source_map import SourceMap
from linter.suppression import apply_suppressions, find_suppressions, unused_fix, unused_message
from linter.view import ReaderView

VERSION = "0.1.0"
TEMPLATE_SUFFIXES = (".html.j2", ".txt.j2", ".htm.j2", ".j2")
CACHE_DIR = ".hookline_cache"
PARALLEL_THRESHOLD = 48
_MARKUP = re.compile(r"<[^>]*>|\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)


class TemplateReadError(Exception):
    """A template file can't be read at all (missing, a directory, no permission)."""


@dataclass
class FileResult:
    """What linting one file found."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    notes: set[str] = field(default_factory=set)


@dataclass
class LintReport:
    """What a whole run found."""

    findings: list[Finding] = field(default_factory=list)
    files: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def error_count(self) -> int:
        """Findings at error level: these fail the run and block sends."""
        return sum(1 for finding in self.findings if finding.severity is Severity.ERROR)

    @property
    def has_errors(self) -> bool:
        """Whether any finding is an error."""
        return self.error_count > 0


def read_template(path: Path) -> tuple[str, str | None]:
    """The file's text, and a note when it wasn't UTF-8 and had to be guessed."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TemplateReadError(f"{path}: {exc.strerror or exc}") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        reason = f"file is not valid UTF-8 (byte {exc.start})"
    else:
        # UTF-16 without a byte-order mark decodes as "UTF-8" with a NUL in every
        # other byte: valid, but not what anyone wrote.
        if text.count("\0") * 4 < len(text):
            return text, None
        reason = "file is mostly NUL bytes as UTF-8 (UTF-16 without a byte-order mark?)"
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    encoding = best.encoding if best is not None else "latin-1"
    text = str(best) if best is not None else data.decode("latin-1", errors="replace")
    return text, f"{reason}; read as {encoding}"


def _visible_sample(doc: TemplateDocument) -> str:
    return " ".join(filter(None, [doc.front.subject or "", _MARKUP.sub(" ", doc.body)]))


def _language_code(doc: TemplateDocument) -> str:
    if doc.front.lang in available_languages():
        return doc.front.lang or "en"
    return detect_language(_visible_sample(doc))


def _template_line(exc: BaseException) -> int | None:
    for frame, line in reversed(list(traceback.walk_tb(exc.__traceback__))):
        if frame.f_code.co_filename == "<template>":
            return line
    return None


def _render_problem(
    ctx: TemplateContext, exc: Exception, preview: int, total: int
) -> RenderProblem:
    where = f"preview {preview + 1}: " if total > 1 else ""
    if isinstance(exc, SecurityError):
        message = f"{where}the sandbox blocked this template: {exc}"
    else:
        message = f"{where}rendering failed: {type(exc).__name__}: {exc}"
    line = _template_line(exc)
    if line is None:
        return RenderProblem(message, SourceMap(ctx.doc).body_start())
    file_line = ctx.body_line(line)
    return RenderProblem(message, Span.point(file_line, 1, len(ctx.doc.index.line_text(file_line))))


def _render_views(ctx: TemplateContext, parsed: ParsedTemplate) -> list[ReaderView]:
    doc, config = ctx.doc, ctx.config
    contexts = preview_contexts(doc.front.previews, ctx.language.code, config.attributes)
    source = SourceMap(doc)
    views = []
    for index, context in enumerate(contexts):
        subject = preheader = None
        try:
            if doc.front.subject is not None:
                subject = render_string(doc.front.subject, context)
            if doc.front.preheader is not None:
                preheader = render_string(doc.front.preheader, context)
        except Exception as exc:
            problem = _render_problem(ctx, exc, index, len(contexts))
            ctx.render_problems.append(RenderProblem(problem.message, doc.key_span("subject")))
        # A preview may set `campaign` to anything ("Summer sale"); only a table is kept.
        campaign = context.get("campaign")
        campaign = campaign if isinstance(campaign, dict) else {}
        context["campaign"] = {**campaign, "subject": subject or ""}
        try:
            rendered = parsed.template.render(context)
        except Exception as exc:
            ctx.render_problems.append(_render_problem(ctx, exc, index, len(contexts)))
            continue
        views.append(
            ReaderView.build(doc, ctx.language, config, rendered, subject, preheader, source, index)
        )
    return views


def _collect(
    rules: Iterable[Rule], ctx: TemplateContext, views: list[ReaderView]
) -> tuple[list[tuple[type[Rule], Violation]], set[str]]:
    seen: set[tuple[str, Any, str]] = set()
    found: list[tuple[type[Rule], Violation]] = []
    notes: set[str] = set()
    for rule in rules:
        if rule.scope == "template":
            produced: Iterable[Violation] = rule.check_template(ctx)
            batches = [produced]
        else:
            batches = [rule.check(view) for view in views]
        for batch in batches:
            for violation in batch:
                key = (rule.code, violation.span, violation.message)
                if key not in seen:
                    seen.add(key)
                    found.append((type(rule), violation))
    for view in views:
        notes |= view.notes
    return found, notes


def lint_source(
    path: str,
    text: str,
    config: LinterConfig,
    selection: RuleSelection | None = None,
    decode_problem: str | None = None,
) -> FileResult:
    """Lint one template given as text. Never raises on bad input."""
    selection = selection or RuleSelection(config.select, config.ignore)
    selection = RuleSelection(
        selection.select, selection.ignore, selection.extra_ignore + config.ignored_for_path(path)
    )
    doc = parse_document(path, text)
    language = load_language(_language_code(doc))
    rules = selection.rules(doc.channel, doc.kind)
    parsed = parse_body(doc.body, autoescape=doc.kind == "html")
    ctx = TemplateContext(doc, config, language, parsed, decode_problem=decode_problem)
    views: list[ReaderView] = []
    if isinstance(parsed, ParsedTemplate) and doc.front_error is None:
        views = _render_views(ctx, parsed)
    violations, notes = _collect(rules, ctx, views)
    findings = [
        Finding(
            path=path,
            code=rule.code,
            name=rule.name,
            severity=config.severity_for(rule.code, rule.severity),
            message=violation.message,
            span=violation.span,
            fix=violation.fix,
        )
        for rule, violation in violations
    ]
    suppressions = find_suppressions(doc)
    findings = apply_suppressions(findings, suppressions)
    if selection.enabled("X001"):
        from linter.rules.suppressions import UnusedSuppression

        for suppression in suppressions:
            if not suppression.codes or len(suppression.used) < len(suppression.codes):
                message, whole = unused_message(suppression)
                findings.append(
                    Finding(
                        path=path,
                        code=UnusedSuppression.code,
                        name=UnusedSuppression.name,
                        severity=config.severity_for("X001", UnusedSuppression.severity),
                        message=message,
                        span=suppression.span,
                        fix=unused_fix(doc, suppression) if whole else None,
                    )
                )
    findings.sort(key=Finding.sort_key)
    return FileResult(path, findings, notes)


def lint_file(
    path: Path, config: LinterConfig, selection: RuleSelection | None = None
) -> FileResult:
    """Lint one template file. Raises :class:`TemplateReadError` only if it can't be read."""
    text, problem = read_template(path)
    return lint_source(str(path), text, config, selection, problem)


def discover(paths: Sequence[str | Path]) -> list[Path]:
    """Template files named or found below the given folders, sorted, hidden folders skipped.

    Raises :class:`TemplateReadError` for a path that does not exist.
    """
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for candidate in sorted(path.rglob("*")):
                relative = candidate.relative_to(path).parts
                if any(part.startswith(".") for part in relative):
                    continue
                if candidate.is_file() and candidate.name.endswith(TEMPLATE_SUFFIXES):
                    found.append(candidate)
        elif path.exists():
            found.append(path)
        else:
            raise TemplateReadError(f"{path}: no such file or directory")
    return list(dict.fromkeys(found))


def _cache_key(path: Path, config: LinterConfig, selection: RuleSelection) -> str | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    digest = hashlib.sha256()
    for part in (VERSION, config.fingerprint(), repr(selection), str(path)):
        digest.update(part.encode())
        digest.update(b"\0")
    digest.update(data)
    return digest.hexdigest()


def _lint_one(args: tuple[str, LinterConfig, RuleSelection]) -> FileResult | str:
    path, config, selection = args
    try:
        return lint_file(Path(path), config, selection)
    except TemplateReadError as exc:
        return str(exc)


class ResultCache:
    """Results of earlier runs, by a hash of file content, path, config and version."""

    def __init__(self, root: Path, enabled: bool) -> None:
        self.enabled = enabled
        self.path = root / CACHE_DIR / f"lint-{VERSION}.json"
        self.entries: dict[str, Any] = {}
        self.dirty = False
        if enabled and self.path.is_file():
            try:
                self.entries = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                self.entries = {}

    def get(self, key: str | None) -> FileResult | None:
        """A cached result, if this exact input was linted before."""
        if not self.enabled or key is None or key not in self.entries:
            return None
        entry = self.entries[key]
        return FileResult(
            entry["path"],
            [Finding.from_dict(item) for item in entry["findings"]],
            set(entry["notes"]),
        )

    def put(self, key: str | None, result: FileResult) -> None:
        """Remember a result."""
        if self.enabled and key is not None:
            self.entries[key] = {
                "path": result.path,
                "findings": [finding.to_dict() for finding in result.findings],
                "notes": sorted(result.notes),
            }
            self.dirty = True

    def save(self) -> None:
        """Write the cache; a cache that can't be written is simply not kept."""
        if not (self.enabled and self.dirty):
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            (self.path.parent / ".gitignore").write_text("*\n", encoding="utf-8")
            temporary = self.path.with_suffix(".tmp")
            temporary.write_text(json.dumps(self.entries), encoding="utf-8")
            temporary.replace(self.path)
        except OSError:
            pass


def lint_paths(
    paths: Sequence[str | Path],
    config: LinterConfig,
    selection: RuleSelection | None = None,
    jobs: int | None = None,
    cache: bool | None = None,
    cache_root: Path | None = None,
) -> LintReport:
    """Lint every template below ``paths``; files that can't be read raise TemplateReadError."""
    selection = selection or RuleSelection(config.select, config.ignore)
    files = discover(paths)
    use_cache = config.cache if cache is None else cache
    store = ResultCache(cache_root or Path.cwd(), use_cache)
    results: dict[str, FileResult] = {}
    todo: list[tuple[Path, str | None]] = []
    for path in files:
        key = _cache_key(path, config, selection) if use_cache else None
        cached = store.get(key)
        if cached is not None:
            results[str(path)] = cached
        else:
            todo.append((path, key))
    workers = jobs if jobs is not None else min(os.cpu_count() or 1, 8)
    arguments = [(str(path), config, selection) for path, _ in todo]
    if workers > 1 and len(todo) >= PARALLEL_THRESHOLD and sys.platform != "win32":
        chunk = max(1, len(todo) // (workers * 4))
        with ProcessPoolExecutor(max_workers=workers) as pool:
            outcomes = list(pool.map(_lint_one, arguments, chunksize=chunk))
    else:
        outcomes = [_lint_one(argument) for argument in arguments]
    for (path, key), outcome in zip(todo, outcomes, strict=True):
        if isinstance(outcome, str):
            raise TemplateReadError(outcome)
        results[str(path)] = outcome
        store.put(key, outcome)
    store.save()
    report = LintReport(files=len(files))
    notes: set[str] = set()
    for path in files:
        result = results[str(path)]
        report.findings.extend(result.findings)
        notes |= result.notes
    report.notes = sorted(notes)
    return report
