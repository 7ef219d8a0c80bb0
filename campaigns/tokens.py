"""Signed tokens in the links of each message (unsubscribe, view, open and click) and
in the confirmation mail of a double opt-in subscription (confirm).

A token is its payload and an HMAC-SHA256 signature (truncated to 128 bits) by a key
derived from the deployment's secret key for one purpose, so a token for opening
can't be replayed as an unsubscribe. Tokens are not encrypted. A message's tokens hold
nothing personal, only a ledger row id and, for a click, a URL that was in the message.
A confirm token holds the address and name the person typed into the signup form, and
is only ever mailed to that address: the signature is what lets the server store
nothing until the person confirms.

The stdlib's ``hmac`` is used directly rather than a token library: a campaign signs
five or more tokens per message, and deriving a signer per token (as itsdangerous
does) cost a fifth of the whole render.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from dataclasses import dataclass

PURPOSES = ("unsubscribe", "view", "open", "click", "confirm")
SIGNATURE_BYTES = 16


@dataclass(frozen=True)
class ClickTarget:
    """A verified click token: whose message, and which of its links."""

    recipient_id: int
    url: str


@dataclass(frozen=True)
class ConfirmRequest:
    """A verified confirm token: who asked to subscribe, when (Unix time) and from where."""

    email: str
    first_name: str
    subscribed_at: int
    ip: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenSigner:
    """Signs and verifies the tokens of one deployment (one secret key)."""

    def __init__(self, secret_key: str) -> None:
        if not secret_key:
            raise ValueError("the secret key is empty; set HOOKLINE_SECRET_KEY")
        self._keys = {
            purpose: hmac.new(
                secret_key.encode("utf-8"), f"hookline.{purpose}".encode(), hashlib.sha256
            ).digest()
            for purpose in PURPOSES
        }

    def _sign(self, purpose: str, payload: str) -> str:
        digest = hmac.new(self._keys[purpose], payload.encode("ascii"), hashlib.sha256).digest()
        return f"{payload}.{_b64(digest[:SIGNATURE_BYTES])}"

    def _verify(self, purpose: str, token: str) -> str | None:
        payload, dot, signature = token.rpartition(".")
        if not dot or not payload.isascii():
            return None
        expected = self._sign(purpose, payload).rpartition(".")[2]
        return payload if hmac.compare_digest(expected, signature) else None

    def recipient_token(self, purpose: str, recipient_id: int) -> str:
        """A token naming one ledger row, for ``unsubscribe``, ``view`` or ``open``."""
        return self._sign(purpose, str(recipient_id))

    def click_token(self, recipient_id: int, url: str) -> str:
        """A token for one link of one message; only signed links can be followed."""
        payload = json.dumps([recipient_id, url], ensure_ascii=False, separators=(",", ":"))
        return self._sign("click", _b64(payload.encode("utf-8")))

    def read_recipient(self, purpose: str, token: str) -> int | None:
        """The ledger row a token names, or None when it is altered or forged."""
        payload = self._verify(purpose, token)
        if payload is None or not payload.isdigit():
            return None
        return int(payload)

    def read_click(self, token: str) -> ClickTarget | None:
        """The row and link a click token names, or None when it is altered or forged."""
        payload = self._verify("click", token)
        if payload is None:
            return None
        try:
            value = json.loads(_unb64(payload))
        except (binascii.Error, ValueError):
            return None
        if (
            isinstance(value, list)
            and len(value) == 2
            and isinstance(value[0], int)
            and not isinstance(value[0], bool)
            and isinstance(value[1], str)
        ):
            return ClickTarget(value[0], value[1])
        return None

    def confirm_token(
        self, email: str, first_name: str, ip: str, subscribed_at: int | None = None
    ) -> str:
        """A token for the confirmation link of a signup: address, name, time and IP."""
        when = int(time.time()) if subscribed_at is None else subscribed_at
        payload = json.dumps(
            [email, first_name, when, ip], ensure_ascii=False, separators=(",", ":")
        )
        return self._sign("confirm", _b64(payload.encode("utf-8")))

    def read_confirm(
        self, token: str, max_age_seconds: float, now: float | None = None
    ) -> ConfirmRequest | None:
        """The signup a confirm token names, or None when altered, forged or expired."""
        payload = self._verify("confirm", token)
        if payload is None:
            return None
        try:
            value = json.loads(_unb64(payload))
        except (binascii.Error, ValueError):
            return None
        if not (
            isinstance(value, list)
            and len(value) == 4
            and isinstance(value[0], str)
            and isinstance(value[1], str)
            and isinstance(value[2], int)
            and not isinstance(value[2], bool)
            and isinstance(value[3], str)
        ):
            return None
        age = (time.time() if now is None else now) - value[2]
        if age > max_age_seconds or age < -300:
            # Tokens from the future (beyond clock skew) are as suspect as stale ones.
            return None
        return ConfirmRequest(value[0], value[1], value[2], value[3])
