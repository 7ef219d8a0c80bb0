"""Per-language word lists, loaded from ``linter/data/<lang>/*.toml``.

A new language needs a new folder of data files, not code. Every file in a language's
folder is merged into one table; two files must not define the same key.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from functools import cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).parent / "data"
DEFAULT_LANGUAGE = "en"
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def fold(text: str) -> str:
    """Lower-case, NFC-normalised text, for comparing words and phrases."""
    return unicodedata.normalize("NFC", text).casefold()


def strip_marks(text: str) -> str:
    """``text`` without diacritics (đ becomes d): "khoẻ" and "khỏe" then compare equal."""
    decomposed = unicodedata.normalize("NFD", fold(text)).replace("đ", "d")
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


class LanguageData:
    """The word lists of one language, with typed accessors."""

    def __init__(self, code: str, table: dict[str, Any]) -> None:
        self.code = code
        self.table = table
        self._patterns: dict[str, tuple[re.Pattern[str], ...]] = {}

    def _get(self, dotted: str) -> Any:
        node: Any = self.table
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return node

    def words(self, dotted: str) -> frozenset[str]:
        """A word list as a set of folded words (empty when the language lacks it)."""
        return frozenset(fold(word) for word in self.strings(dotted))

    def strings(self, dotted: str) -> tuple[str, ...]:
        """A list of strings exactly as written in the data file."""
        value = self._get(dotted)
        if value is None:
            return ()
        if not isinstance(value, list):
            raise TypeError(f"{self.code}: {dotted} must be a list")
        return tuple(str(item) for item in value)

    def patterns(self, dotted: str) -> tuple[re.Pattern[str], ...]:
        """A list of regular expressions, compiled case-insensitively (once per key)."""
        if dotted not in self._patterns:
            self._patterns[dotted] = _compile(self.code, dotted, self.strings(dotted))
        return self._patterns[dotted]

    def value(self, dotted: str, default: Any = None) -> Any:
        """Any other value from the data."""
        value = self._get(dotted)
        return default if value is None else value


@cache
def _compile(code: str, dotted: str, sources: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    del code, dotted  # part of the cache key only
    return tuple(re.compile(source, re.IGNORECASE | re.UNICODE) for source in sources)


def available_languages() -> tuple[str, ...]:
    """The language codes that have a data folder."""
    return tuple(sorted(p.name for p in DATA_DIR.iterdir() if p.is_dir()))


@cache
def load_language(code: str) -> LanguageData:
    """Load and merge every data file of ``code``; unknown codes get English."""
    folder = DATA_DIR / code
    if not folder.is_dir():
        folder = DATA_DIR / DEFAULT_LANGUAGE
        code = DEFAULT_LANGUAGE
    table: dict[str, Any] = {}
    for path in sorted(folder.glob("*.toml")):
        with path.open("rb") as handle:
            data = tomllib.load(handle)
        clash = set(table) & set(data)
        if clash:
            raise ValueError(f"{path}: keys {sorted(clash)} are defined in another file")
        table.update(data)
    return LanguageData(code, table)


def detect_language(text: str) -> str:
    """Guess the language of ``text`` from each language's ``detect`` word list.

    Each language lists frequent function words (and letters only it uses); the one
    whose list matches most tokens wins. English wins ties and empty text.
    """
    tokens = [fold(token) for token in _WORD.findall(text)]
    if not tokens:
        return DEFAULT_LANGUAGE
    best, best_score = DEFAULT_LANGUAGE, 0.0
    for code in available_languages():
        data = load_language(code)
        stopwords = data.words("detect.stopwords")
        letters = "".join(data.strings("detect.letters"))
        score = sum(1.0 for token in tokens if token in stopwords)
        if letters:
            score += sum(0.5 for token in tokens if any(ch in letters for ch in token))
        if score > best_score:
            best, best_score = code, score
    return best
