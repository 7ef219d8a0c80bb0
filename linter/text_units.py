"""Words, sentences, greetings and paragraph lines: how the rules count text."""

from __future__ import annotations

import re
from functools import lru_cache

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


@lru_cache(maxsize=8192)
def phrase_tokens(phrase: str) -> tuple[str, ...]:
    """The folded tokens of a word-list phrase (cached: the lists are fixed data)."""
    return tuple(folded_tokens(phrase))


def _occurrences(tokens: list[str], parts: tuple[str, ...]) -> int:
    """How often ``parts`` occurs in ``tokens``; the scan for its first word runs in C."""
    count, size, first = 0, len(parts), parts[0]
    position = 0
    while True:
        try:
            position = tokens.index(first, position)
        except ValueError:
            return count
        if tuple(tokens[position : position + size]) == parts:
            count += 1
        position += 1


def contains_phrase(tokens: list[str], phrase: str) -> bool:
    """Whether the token list contains the (multi-word) phrase."""
    parts = phrase_tokens(phrase)
    if not parts:
        return False
    if len(parts) == 1:
        return parts[0] in tokens
    return _occurrences(tokens, parts) > 0


def count_phrases(tokens: list[str], phrases: tuple[str, ...]) -> int:
    """How many times any of ``phrases`` occurs in ``tokens``."""
    return sum(_occurrences(tokens, parts) for parts in map(phrase_tokens, phrases) if parts)


def is_greeting(sentence: str, language: LanguageData) -> bool:
    """Whether a sentence is only a salutation such as "Hi An," or "Kính gửi anh An,"."""
    folded = fold(sentence.strip())
    if len(words(folded)) > 6:
        return False
    return any(folded.startswith(fold(greeting)) for greeting in language.strings("greetings"))


def wrapped_line_count(text: str, width: int = DEFAULT_WIDTH) -> int:
    """How many lines a paragraph takes when wrapped at ``width``."""
    return len(wrap_text(" ".join(text.split()), width).split("\n")) if text.strip() else 0
