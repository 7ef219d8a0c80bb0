"""Finding URLs in plain text, the same way for every rule and for the wrapper."""

from __future__ import annotations

import re

URL = re.compile(r"""(?:https?://|www\.)[^\s<>"'\]\[]+|mailto:[^\s<>"']+""", re.IGNORECASE)
_TRAILING = ".,;:!?'\"»…"


def clean_url(raw: str) -> str:
    """Drop sentence punctuation that follows a URL, and an unbalanced ``)``."""
    url = raw.rstrip(_TRAILING)
    while url.endswith(")") and url.count("(") < url.count(")"):
        url = url[:-1].rstrip(_TRAILING)
    return url


def find_urls(text: str) -> list[tuple[int, int, str]]:
    """Each URL in ``text`` as (start, end, url), punctuation after it left out."""
    found = []
    for match in URL.finditer(text):
        url = clean_url(match.group(0))
        if len(url) > len("www."):
            found.append((match.start(), match.start() + len(url), url))
    return found


def is_url_token(token: str) -> bool:
    """Whether a whitespace-separated token is (or wraps) a URL."""
    return URL.search(token) is not None
