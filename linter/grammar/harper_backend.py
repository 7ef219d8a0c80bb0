"""Harper: offline English grammar and spelling, with no server and no download.

Building Harper's dictionary takes about a second, so one ``harper.Linter`` is built
lazily per process and reused. A ``Linter`` is not thread-safe, so calls take a lock.

Harper checks American English. A word it doesn't know is asked again of a British
linter (built only when the first unknown word turns up), so "favourite" and
"colour" pass as well as "favorite": either spelling is correct copy.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING

from linter.grammar.backend import GrammarIssue, IssueKind

if TYPE_CHECKING:
    import harper

LANGUAGES = frozenset({"en"})
SPELLING_KINDS = frozenset({"Spelling", "Typo"})
# Sentence length is R001's and L001's business, and Harper's regionalisms are a
# choice of dialect, not a mistake; neither belongs in G001.
IGNORED_KINDS = frozenset({"Readability", "Regionalism"})

_lock = threading.Lock()
# Linters by dialect (0: American, 1: British), and the words each was given.
_linters: dict[int, harper.Linter] = {}
_imported_words: dict[int, set[str]] = {}
AMERICAN, BRITISH = 0, 1
MAX_REMEMBERED_WORDS = 10_000
_british_spellings: dict[tuple[str, tuple[str, ...]], bool] = {}


def available() -> bool:
    """Whether harper-py is installed."""
    try:
        import harper  # noqa: F401
    except ImportError:
        return False
    return True


def _shared_linter(dialect: int, words: tuple[str, ...]) -> harper.Linter:
    """The process's Harper linter for ``dialect``, built on first use and given
    ``words``. Call with the lock held."""
    linter = _linters.get(dialect)
    if linter is None:
        import harper

        linter = _linters[dialect] = harper.Linter(harper.Dialect(dialect))
    known = _imported_words.setdefault(dialect, set())
    new_words = [word for word in words if word not in known]
    if new_words:
        linter.import_words(new_words)
        known.update(new_words)
    return linter


class HarperBackend:
    """English checks with Harper, accepting extra words such as brand names."""

    name = "harper"

    def __init__(self, words: Iterable[str] = ()) -> None:
        self.words = tuple(words)

    def check(self, text: str) -> list[GrammarIssue]:
        """Harper's lints on ``text`` as plain text."""
        with _lock:
            lints = _shared_linter(AMERICAN, self.words).lint(text, language="plaintext")
        issues = []
        for lint in lints:
            if lint.lint_kind in IGNORED_KINDS:
                continue
            spelling = lint.lint_kind in SPELLING_KINDS
            if spelling and self._british(lint.problem_text):
                continue
            kind: IssueKind = "spelling" if spelling else "grammar"
            suggestions = tuple(
                dict.fromkeys(s.replacement_text for s in lint.suggestions if s.replacement_text)
            )
            issues.append(
                GrammarIssue(
                    lint.span.start, lint.span.end, kind, lint.message, suggestions, lint.lint_kind
                )
            )
        return issues

    def _british(self, word: str) -> bool:
        """Whether British English spells ``word`` this way."""
        key = (word, self.words)
        with _lock:
            known = _british_spellings.get(key)
            if known is None:
                lints = _shared_linter(BRITISH, self.words).lint(word, language="plaintext")
                known = not any(lint.lint_kind in SPELLING_KINDS for lint in lints)
                if len(_british_spellings) >= MAX_REMEMBERED_WORDS:
                    _british_spellings.clear()
                _british_spellings[key] = known
        return known
