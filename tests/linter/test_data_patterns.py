"""The data files' regular expressions never hang on hostile input.

Every string in every language's word lists is compiled as a regular expression (plain
words compile too) and searched in long, repetitive text. A pattern with nested
quantifiers backtracks quadratically: on these inputs it runs for minutes, which would
hang the linter on one messy newsletter. This is a hang detector, not a speed test: a
linear pattern finishes in milliseconds, far inside the alarm.
"""

from __future__ import annotations

import re
import signal
from collections.abc import Iterator
from typing import Any

import pytest

from linter.language import available_languages, load_language

HOSTILE = [
    "1" * 60_000,
    "1.2," * 15_000,
    "9 " * 30_000,
    "a" * 60_000,
    "ab " * 20_000,
    "-" * 60_000,
    "đ" * 60_000,
    "http://" + "a/" * 30_000,
]
HANG_SECONDS = 10


def _strings(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, f"{path}.{key}" if path else key)
    elif isinstance(node, list):
        for item in node:
            if isinstance(item, str):
                yield path, item


def _patterns() -> list[tuple[str, str, str]]:
    found = []
    for code in available_languages():
        for key, source in _strings(load_language(code).table):
            try:
                re.compile(source)
            except re.error:
                continue
            found.append((code, key, source))
    return found


@pytest.mark.parametrize(("lang", "key", "source"), _patterns())
def test_data_pattern_is_linear_on_hostile_input(lang: str, key: str, source: str) -> None:
    pattern = re.compile(source, re.IGNORECASE)

    def hung(signum: int, frame: object) -> None:
        raise AssertionError(f"{lang}:{key} {source!r} backtracks without end")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(HANG_SECONDS)
    try:
        for text in HOSTILE:
            pattern.search(text)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
