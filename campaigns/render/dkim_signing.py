"""DKIM signatures (RFC 6376) on outgoing messages, with dkimpy.

Relaxed/relaxed canonicalisation survives the small rewrites relays make (header
refolding, trailing white space). The signed header list names headers a message may
lack (Reply-To, List-Unsubscribe): signing an absent header tells verifiers that none
may be added later, so a relay can't slip in a Reply-To of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import dkim
from dkim.crypto import UnparsableKeyError, parse_pem_private_key

DEFAULT_SIGNED_HEADERS: tuple[str, ...] = (
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "MIME-Version",
    "Content-Type",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "Reply-To",
)


class DkimKeyError(Exception):
    """The DKIM private key is missing or is not an RSA key in PEM form."""


class DkimSigner:
    """Signs messages for one domain and selector with one RSA key."""

    def __init__(
        self,
        domain: str,
        selector: str,
        private_key: bytes,
        headers: Sequence[str] = DEFAULT_SIGNED_HEADERS,
    ) -> None:
        """Check the key now, so a bad key stops a campaign before its first send."""
        # dkimpy finds the PEM body by "--\n" and "\n--": CRLF files must not fail.
        key = private_key.replace(b"\r\n", b"\n")
        try:
            parse_pem_private_key(key)
        except (UnparsableKeyError, ValueError, IndexError) as exc:
            # dkimpy's ASN.1 messages run over several lines; the first one says enough.
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else "unreadable"
            raise DkimKeyError(f"not an RSA private key in PEM form ({detail})") from exc
        if not any(header.lower() == "from" for header in headers):
            raise ValueError("DKIM must sign the From header")
        self.domain = domain
        self.selector = selector
        self.headers = tuple(headers)
        self._key = key
        self._domain = domain.encode("ascii")
        self._selector = selector.encode("ascii")
        self._include = [header.encode("ascii") for header in headers]

    @classmethod
    def from_file(cls, domain: str, selector: str, path: str | Path) -> DkimSigner:
        """A signer with the key read from ``path``; ``DkimKeyError`` names the file."""
        try:
            key = Path(path).read_bytes()
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise DkimKeyError(f"can't read the DKIM key file {path}: {reason}") from exc
        try:
            return cls(domain, selector, key)
        except DkimKeyError as exc:
            raise DkimKeyError(f"{path}: {exc}") from exc

    def sign(self, message: bytes) -> bytes:
        """The message with a ``DKIM-Signature`` header prepended."""
        signature: bytes = dkim.sign(
            message,
            self._selector,
            self._domain,
            self._key,
            canonicalize=(b"relaxed", b"relaxed"),
            include_headers=self._include,
        )
        return signature + message
