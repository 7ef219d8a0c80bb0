"""Wrap plain text at a width without ever splitting a URL (or any other word).

The material: "Tối đa khoảng 67 chữ cái trong một dòng" and "Nên tránh việc cắt địa chỉ
link thành hai dòng". A word longer than the width, such as a long URL, gets a line of
its own rather than being cut.
"""

from __future__ import annotations

import unicodedata

DEFAULT_WIDTH = 67


def display_length(text: str) -> int:
    """Characters as the reader counts them: NFC code points, so "ế" is one."""
    if text.isascii():  # the common case, and already in NFC
        return len(text)
    return len(unicodedata.normalize("NFC", text))


def wrap_words(words: list[str], width: int, first: str = "", rest: str = "") -> list[str]:
    """Greedy fill of ``words`` into lines of at most ``width`` characters.

    ``first`` prefixes the first line and ``rest`` the others (for list items). A word
    longer than ``width`` gets a line of its own, whole.
    """
    lines: list[str] = []
    current, length = first, display_length(first)
    rest_length = display_length(rest)
    has_word = False
    for word in words:
        size = len(word) if word.isascii() else display_length(word)
        if has_word and length + 1 + size > width:
            lines.append(current)
            current, length = rest + word, rest_length + size
        elif has_word:
            current, length = f"{current} {word}", length + 1 + size
        else:
            current, length = current + word, length + size
        has_word = True
    if has_word or current.strip():
        lines.append(current)
    return lines


def wrap_text(text: str, width: int = DEFAULT_WIDTH, first: str = "", rest: str = "") -> str:
    """Wrap one paragraph; hard line breaks inside it are kept."""
    out: list[str] = []
    for index, segment in enumerate(text.split("\n")):
        prefix = first if index == 0 else rest
        words = segment.split()
        if not words:
            out.append(prefix.rstrip())
            continue
        joined = prefix + " ".join(words)
        # Most paragraph lines of a text part fit as they are: no need to fill word by word.
        if (len(joined) if joined.isascii() else display_length(joined)) <= width:
            out.append(joined)
            continue
        out.extend(wrap_words(words, width, prefix, rest))
    return "\n".join(out)
