"""What every grammar backend gives the rules: issues with code-point offsets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

IssueKind = Literal["grammar", "spelling"]


class GrammarBackendError(Exception):
    """A backend that was chosen failed while checking (a server went away, say).

    The message reads as the reason in a ``grammar: skipped (...)`` note.
    """


@dataclass(frozen=True)
class GrammarIssue:
    """One problem a backend found in a text, at ``text[start:end]`` (code points)."""

    start: int
    end: int
    kind: IssueKind
    message: str
    suggestions: tuple[str, ...] = ()
    # The backend's own name for what it checked, such as "Grammar" or "MORFOLOGIK_RULE".
    rule: str = ""


class GrammarBackend(Protocol):
    """A grammar and spelling checker bound to one language."""

    @property
    def name(self) -> str:
        """A short name for notes and messages, such as ``harper``."""
        ...

    def check(self, text: str) -> list[GrammarIssue]:
        """The issues in ``text``. Raises :class:`GrammarBackendError` when it can't check."""
        ...
