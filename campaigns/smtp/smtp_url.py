"""``HOOKLINE_SMTP_URL``: where mail is handed over, and how securely.

Three forms are accepted, one per way of talking to a mail server::

    smtp://host:port                        plain SMTP (a local relay or capture server)
    smtp+starttls://user:pass@host:587      submission, upgraded to TLS with STARTTLS
    smtps://user:pass@host:465              submission over TLS from the first byte

A user name or password containing ``@``, ``:`` or ``/`` is percent-encoded
(``p%40ss`` for ``p@ss``); it is decoded here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NoReturn
from urllib.parse import quote, unquote, urlsplit

DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
ACCEPTED_FORMS = "smtp://host:port, smtp+starttls://user:pass@host:587, smtps://user:pass@host:465"


class SmtpUrlError(ValueError):
    """An SMTP URL that can't be used; the message names the problem and the accepted forms."""


@dataclass(frozen=True)
class SmtpUrl:
    """A parsed SMTP URL. Its repr leaves the password out, so logs and tracebacks don't leak it."""

    scheme: str
    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    def display(self, reveal: bool = False) -> str:
        """The URL with the password masked, safe to print and log (``reveal``: unmasked)."""
        credentials = ""
        if self.username is not None:
            credentials = quote(self.username, safe="")
            if self.password is not None:
                credentials += ":" + (quote(self.password, safe="") if reveal else "***")
            credentials += "@"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{credentials}{host}:{self.port}"


def parse_smtp_url(url: str) -> SmtpUrl:
    """Parse an SMTP URL such as ``smtp+starttls://user:pass@host:587``.

    The port defaults to 25, 587 or 465 by scheme. Raises :class:`SmtpUrlError`
    naming what is wrong.
    """
    text = url.strip()
    if "://" not in text:
        _fail(url, "it has no scheme")
    try:
        parts = urlsplit(text)
    except ValueError as exc:
        _fail(url, f"it can't be parsed ({exc})")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        _fail(url, "the port must be a number from 1 to 65535")
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        _fail(url, f"the scheme {parts.scheme!r} is not one of smtp, smtp+starttls, smtps")
    if not parts.hostname:
        _fail(url, "it has no host")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        _fail(url, "it has a path, query or fragment after the host, which SMTP URLs don't take")
    username = None if parts.username is None else unquote(parts.username)
    password = None if parts.password is None else unquote(parts.password)
    if username == "":
        _fail(url, "it has a password but no user name")
    return SmtpUrl(
        scheme=scheme,
        host=parts.hostname,
        port=DEFAULT_PORTS[scheme] if port is None else port,
        username=username,
        password=password,
    )


def _fail(url: str, problem: str) -> NoReturn:
    # The URL may hold a password: show it only up to the credentials.
    shown = url.strip()
    if "@" in shown:
        scheme, _, rest = shown.partition("://")
        shown = f"{scheme}://***@{rest.rpartition('@')[2]}"
    raise SmtpUrlError(f"bad SMTP URL {shown!r}: {problem}; accepted forms: {ACCEPTED_FORMS}")
