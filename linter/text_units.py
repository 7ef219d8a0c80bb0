"""Words, sentences, greetings and paragraph lines: how the rules count text."""

from __future__ import annotations

import re

from linter.language import LanguageData, fold
from linter.wrap import DEFAULT_WIDTH, wrap_text

_TOKEN = re.compile(r"\S+")
_HAS_WORD_CHAR = re.compile(r"[^\W_]", re.UNICODE)
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”»)]*\s+|\n\s*\n")
BULLET = re.compile(r"^\s*(?:[-*•+·–]|\d+[.)])\s+")


def words(text: str) -> list[str]:
    """Whitespace-separated tokens with a letter or digit, as word processors count."""
    return [token for token in _TOKEN.findall(text) if _HAS_WORD_CHAR.search(token)]


def sentences(text: str) -> list[str]:
    """Split text into sentences at end punctuation followed by space, or blank lines."""
    return [part.strip() for part in _SENTENCE_END.split(text) if part and part.strip()]


def folded_tokens(text: str) -> list[str]:
    """Lower-cased word tokens without surrounding punctuation."""
    return [fold(token) for token in re.findall(r"[^\W_]+(?:['’][^\W_]+)*", text)]


def contains_phrase(tokens: list[str], phrase: str) -> bool:
    """Whether the token list contains the (multi-word) phrase."""
    parts = folded_tokens(phrase)
    if not parts:
        return False
    size = len(parts)
    return any(tokens[i : i + size] == parts for i in range(len(tokens) - size + 1))


def count_phrases(tokens: list[str], phrases: tuple[str, ...]) -> int:
    """How many times any of ``phrases`` occurs in ``tokens``."""
    total = 0
    for phrase in phrases:
        parts = folded_tokens(phrase)
        size = len(parts)
        if size:
            total += sum(1 for i in range(len(tokens) - size + 1) if tokens[i : i + size] == parts)
    return total


def is_greeting(sentence: str, language: LanguageData) -> bool:
    """Whether a sentence is only a salutation such as "Hi An," or "Kính gửi anh An,"."""
    folded = fold(sentence.strip())
    if len(words(folded)) > 6:
        return False
    return any(folded.startswith(fold(greeting)) for greeting in language.strings("greetings"))


def wrapped_line_count(text: str, width: int = DEFAULT_WIDTH) -> int:
    """How many lines a paragraph takes when wrapped at ``width``."""
    return len(wrap_text(" ".join(text.split()), width).split("\n")) if text.strip() else 0
