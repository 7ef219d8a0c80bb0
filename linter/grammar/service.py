"""Pick the grammar backend for a language, and remember what it found.

The order: LanguageTool when it is configured (``languagetool-url``, or
``languagetool-path`` to start a local one), reachable and checks the language; else
Harper for English; else nothing, and the report gets one note saying why. Nothing here
ever invents a finding.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from linter.config import GrammarConfig
from linter.grammar import harper_backend, languagetool_backend
from linter.grammar.backend import GrammarBackend, GrammarIssue
from linter.grammar.harper_backend import HarperBackend
from linter.grammar.languagetool_backend import (
    LanguageToolBackend,
    LanguageToolUnavailableError,
)

MAX_CACHED_TEXTS = 4096

_lock = threading.Lock()
_results: OrderedDict[tuple[str, GrammarConfig, str], list[GrammarIssue]] = OrderedDict()


@dataclass(frozen=True)
class BackendChoice:
    """The backend that checks a language (None: not checked) and a note for the report."""

    backend: GrammarBackend | None
    note: str | None = None


def _languagetool(lang: str, config: GrammarConfig) -> tuple[GrammarBackend | None, str | None]:
    """LanguageTool for ``lang`` if configured and usable, else why not (None: not set)."""
    if config.languagetool_url:
        url = config.languagetool_url
    elif config.languagetool_path:
        try:
            url = languagetool_backend.local_server_url(config.languagetool_path)
        except LanguageToolUnavailableError as exc:
            return None, str(exc)
    else:
        return None, None
    languages = languagetool_backend.server_languages(url)
    if languages is None:
        return None, f"LanguageTool at {url} unreachable"
    code = languagetool_backend.language_code(lang, languages)
    if code is None:
        return None, f"LanguageTool at {url} does not check {lang}"
    return LanguageToolBackend(url, code), None


def choose(lang: str, config: GrammarConfig) -> BackendChoice:
    """The backend for ``lang`` under ``config``, with a note when it is not the first
    choice or there is none."""
    backend, problem = _languagetool(lang, config)
    if backend is not None:
        return BackendChoice(backend)
    if lang in harper_backend.LANGUAGES and config.harper and harper_backend.available():
        note = f"grammar: {problem}; {lang} checked with Harper" if problem else None
        return BackendChoice(HarperBackend(config.words), note)
    if problem:
        return BackendChoice(None, f"grammar: skipped ({lang}: {problem})")
    return BackendChoice(
        None, f"grammar: skipped ({lang}: no backend; set [linter.grammar] languagetool-url)"
    )


def check(
    backend: GrammarBackend, lang: str, config: GrammarConfig, text: str
) -> list[GrammarIssue]:
    """The backend's issues in ``text``, remembered so G001 and G002 (and every preview
    with the same text) ask only once."""
    key = (f"{backend.name}:{lang}", config, text)
    with _lock:
        if key in _results:
            _results.move_to_end(key)
            return _results[key]
    issues = backend.check(text)
    with _lock:
        _results[key] = issues
        while len(_results) > MAX_CACHED_TEXTS:
            _results.popitem(last=False)
    return issues
