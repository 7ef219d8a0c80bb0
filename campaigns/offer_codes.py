"""Per-recipient offer codes: short, typeable, unguessable, and decodable to their row.

A code is the ledger row's id in Crockford base32 plus four check characters, an HMAC
of the id by the secret key: ``2K7-QX4M``. No table is needed to look one up, a
mistyped or invented code is rejected, and Crockford's alphabet reads O as 0 and I or
L as 1, so a code read aloud over the phone still works.
"""

from __future__ import annotations

import hashlib
import hmac

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_DECODE = {char: index for index, char in enumerate(ALPHABET)}
_DECODE.update({"O": 0, "I": 1, "L": 1})
CHECK_LENGTH = 4
MIN_ID_LENGTH = 3


def _base32(number: int, width: int = 0) -> str:
    chars = []
    while number:
        number, digit = divmod(number, 32)
        chars.append(ALPHABET[digit])
    return "".join(reversed(chars)).rjust(width, "0")


def _check(secret_key: str, recipient_id: int) -> str:
    digest = hmac.new(
        secret_key.encode(), f"offer:{recipient_id}".encode(), hashlib.sha256
    ).digest()
    return _base32(int.from_bytes(digest[:4], "big"), 7)[-CHECK_LENGTH:]


def offer_code(secret_key: str, recipient_id: int) -> str:
    """The offer code of one ledger row."""
    return f"{_base32(recipient_id, MIN_ID_LENGTH)}-{_check(secret_key, recipient_id)}"


def read_offer_code(secret_key: str, code: str) -> int | None:
    """The ledger row a code belongs to, or None for a code this deployment never issued."""
    cleaned = code.strip().upper().replace(" ", "")
    head, dash, check = cleaned.rpartition("-")
    if not dash or not head or len(check) != CHECK_LENGTH:
        return None
    number = 0
    for char in head.replace("-", ""):
        if char not in _DECODE:
            return None
        number = number * 32 + _DECODE[char]
    normalised_check = "".join(ALPHABET[_DECODE[c]] if c in _DECODE else "?" for c in check)
    if not hmac.compare_digest(normalised_check, _check(secret_key, number)):
        return None
    return number
