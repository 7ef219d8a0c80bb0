"""Where bounces and replies are read from: a maildir on disk, or an IMAP mailbox.

    maildir:var/bounces                       a maildir (cur/, new/, tmp/), relative or absolute
    imaps://bounces@mail.example.com/INBOX    IMAP over TLS (port 993 unless given)
    imap://bounces@mail.example.com:143/INBOX IMAP upgraded with STARTTLS (required)

A source lists the messages not yet handled (maildir: not flagged S; IMAP: UNSEEN),
reads one, and marks it handled only when the caller says its transaction committed:
the maildir file moves to ``cur/`` with the S flag, the IMAP message gets ``\\Seen``.
A crash in between leaves the message unread, and reading it again records nothing
twice (every effect is keyed). The password comes from the environment
(``HOOKLINE_BOUNCES_PASSWORD``) or the URL; the server's certificate is checked
against the system's CAs (``SSL_CERT_FILE`` names another bundle).
"""

from __future__ import annotations

import imaplib
import mailbox
import ssl
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

IMAP_PORTS = {"imaps": 993, "imap": 143}
URL_FORMS = "maildir:PATH, imaps://USER@HOST[:993]/FOLDER or imap://USER@HOST[:143]/FOLDER"


class MailboxError(Exception):
    """A mailbox that can't be read: bad URL, missing folder, refused login…"""


@dataclass(frozen=True)
class MailboxUrl:
    """A parsed mailbox URL."""

    scheme: str
    path: str = ""
    host: str = ""
    port: int = 0
    user: str = ""
    password: str | None = None
    folder: str = "INBOX"

    def display(self) -> str:
        """The URL for messages, never with its password."""
        if self.scheme == "maildir":
            return f"maildir:{self.path}"
        user = f"{self.user}@" if self.user else ""
        return f"{self.scheme}://{user}{self.host}:{self.port}/{self.folder}"


class MailSource(Protocol):
    """Unhandled messages of one mailbox, by key."""

    def keys(self) -> list[str]:
        """The keys of the messages not yet handled, oldest first."""
        ...

    def read(self, key: str) -> bytes | None:
        """One message's bytes; None when it vanished meanwhile."""
        ...

    def mark_handled(self, key: str) -> None:
        """Mark a message handled, so the next fetch skips it."""
        ...


def parse_mailbox_url(url: str) -> MailboxUrl:
    """Read a mailbox URL; MailboxError says what is wrong with it."""
    url = url.strip()
    if not url:
        raise MailboxError(f"no mailbox configured; use {URL_FORMS}")
    if url.startswith("maildir:"):
        path = url[len("maildir:") :]
        if path.startswith("//"):  # maildir:///var/mail/bounces
            path = path[2:]
        if not path:
            raise MailboxError("maildir: needs a path, as in maildir:var/bounces")
        return MailboxUrl("maildir", path=path)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in IMAP_PORTS:
        raise MailboxError(f"{_masked(url)}: unknown kind of mailbox; use {URL_FORMS}")
    try:
        port = parts.port or IMAP_PORTS[scheme]
    except ValueError:
        raise MailboxError(f"{_masked(url)}: the port is not a number") from None
    if not parts.hostname:
        raise MailboxError(f"{_masked(url)}: no host; use {URL_FORMS}")
    return MailboxUrl(
        scheme,
        host=parts.hostname,
        port=port,
        user=unquote(parts.username or ""),
        password=unquote(parts.password) if parts.password else None,
        folder=unquote(parts.path.lstrip("/")) or "INBOX",
    )


@contextmanager
def open_mailbox(
    url: MailboxUrl,
    password: str | None = None,
    ssl_context: ssl.SSLContext | None = None,
    timeout: float = 30.0,
) -> Iterator[MailSource]:
    """The source for ``url``, logged in and closed afterwards.

    ``password`` (from the environment) wins over one in the URL.
    """
    if url.scheme == "maildir":
        yield MaildirSource(Path(url.path))
        return
    source = ImapSource(url, password or url.password, ssl_context, timeout)
    try:
        yield source
    finally:
        source.close()


class MaildirSource:
    """A maildir: new messages, and those in cur/ not yet flagged S (seen)."""

    def __init__(self, path: Path) -> None:
        if not path.is_dir():
            raise MailboxError(
                f"maildir:{path}: no such folder; point [bounces] mailbox (or --mailbox) "
                "at the maildir your mail server delivers to"
            )
        missing = [name for name in ("cur", "new", "tmp") if not (path / name).is_dir()]
        if missing:
            raise MailboxError(f"maildir:{path}: not a maildir (no {', '.join(missing)}/ in it)")
        self.path = path
        self._maildir = mailbox.Maildir(path, factory=None, create=False)
        # The file name of each key, read from the folders: the flags are in the name,
        # so listing doesn't read (or parse) a single message.
        self._names: dict[str, tuple[str, str]] = {}

    def keys(self) -> list[str]:
        """Keys of the messages in new/, and of those in cur/ without the S flag."""
        self._names.clear()
        colon = self._maildir.colon
        for subdir in ("new", "cur"):
            try:
                names = sorted(entry.name for entry in (self.path / subdir).iterdir())
            except OSError as exc:
                raise MailboxError(f"maildir:{self.path}: {exc.strerror}") from None
            for name in names:
                if name.startswith("."):
                    continue
                key, _colon, info = name.partition(colon)
                if "S" in _flags(info):
                    continue
                self._names[key] = (subdir, name)
        return list(self._names)

    def read(self, key: str) -> bytes | None:
        """The message's bytes as stored."""
        try:
            return self._maildir.get_bytes(key)
        except (KeyError, FileNotFoundError):
            return None

    def mark_handled(self, key: str) -> None:
        """Move the file to cur/ with the S flag added, as a mail reader does."""
        subdir, name = self._names[key]
        colon = self._maildir.colon
        _key, _colon, info = name.partition(colon)
        flags = "".join(sorted(set(_flags(info)) | {"S"}))
        target = self.path / "cur" / f"{key}{colon}2,{flags}"
        try:
            (self.path / subdir / name).rename(target)
        except FileNotFoundError:
            return  # another reader moved it first; it is handled either way
        self._names[key] = ("cur", target.name)


def _flags(info: str) -> str:
    """The flags of a maildir info suffix ("2,FRS"); none for other info versions."""
    return info[2:] if info.startswith("2,") else ""


class ImapSource:
    """An IMAP folder: UNSEEN messages, read without setting \\Seen until handled."""

    def __init__(
        self,
        url: MailboxUrl,
        password: str | None,
        ssl_context: ssl.SSLContext | None,
        timeout: float,
    ) -> None:
        self.url = url
        if not url.user:
            raise MailboxError(f"{url.display()}: no user name; use {URL_FORMS}")
        if not password:
            raise MailboxError(
                f"{url.display()}: no password; set HOOKLINE_BOUNCES_PASSWORD "
                "(or HOOKLINE_REPLIES_PASSWORD for the replies mailbox)"
            )
        context = ssl_context or ssl.create_default_context()
        self._imap = self._connect(context, timeout)
        try:
            self._login(password)
        except BaseException:
            self.close()
            raise

    def _connect(self, context: ssl.SSLContext, timeout: float) -> imaplib.IMAP4:
        url = self.url
        try:
            if url.scheme == "imaps":
                return imaplib.IMAP4_SSL(url.host, url.port, ssl_context=context, timeout=timeout)
            imap = imaplib.IMAP4(url.host, url.port, timeout=timeout)
            if "STARTTLS" not in imap.capabilities:
                imap.shutdown()
                raise MailboxError(
                    f"{url.display()}: the server offers no STARTTLS; use imaps:// instead"
                )
            imap.starttls(ssl_context=context)
            return imap
        except ssl.SSLCertVerificationError as exc:
            raise MailboxError(
                f"{url.display()}: the server's certificate is not trusted: "
                f"{exc.verify_message or exc}"
            ) from None
        except (OSError, imaplib.IMAP4.error) as exc:
            raise MailboxError(f"{url.display()}: can't connect: {_reason(exc)}") from None

    def _login(self, password: str) -> None:
        url = self.url
        try:
            self._imap.login(url.user, password)
        except imaplib.IMAP4.error as exc:
            raise MailboxError(f"{url.display()}: login failed: {_reason(exc)}") from None
        except OSError as exc:
            raise MailboxError(f"{url.display()}: {_reason(exc)}") from None
        quoted = '"' + url.folder.replace("\\", "\\\\").replace('"', '\\"') + '"'
        status, detail = self._call(lambda: self._imap.select(quoted))
        if status != "OK":
            raise MailboxError(f"{url.display()}: can't open folder {url.folder!r}: {detail}")

    def keys(self) -> list[str]:
        """UIDs of the UNSEEN messages."""
        status, data = self._call(lambda: self._imap.uid("SEARCH", "UNSEEN"))
        if status != "OK":
            raise MailboxError(f"{self.url.display()}: search failed: {data}")
        found = data[0] if data and isinstance(data[0], bytes) else b""
        return [uid.decode("ascii") for uid in found.split()]

    def read(self, key: str) -> bytes | None:
        """The message by UID, fetched with BODY.PEEK so it stays unseen."""
        status, data = self._call(lambda: self._imap.uid("FETCH", key, "(BODY.PEEK[])"))
        if status != "OK":
            raise MailboxError(f"{self.url.display()}: fetch failed: {data}")
        for item in data:
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
                return item[1]
        return None

    def mark_handled(self, key: str) -> None:
        """Set \\Seen on the message."""
        status, data = self._call(lambda: self._imap.uid("STORE", key, "+FLAGS.SILENT", "(\\Seen)"))
        if status != "OK":
            raise MailboxError(f"{self.url.display()}: can't flag message {key}: {data}")

    def close(self) -> None:
        """Log out, ignoring a connection that is already gone."""
        imap = getattr(self, "_imap", None)
        if imap is None:
            return
        try:
            if imap.state == "SELECTED":
                imap.close()
            imap.logout()
        except (OSError, imaplib.IMAP4.error):
            pass

    def _call(
        self, command: Callable[[], tuple[str, Sequence[object]]]
    ) -> tuple[str, list[object]]:
        try:
            status, data = command()
        except (OSError, imaplib.IMAP4.error) as exc:
            raise MailboxError(f"{self.url.display()}: {_reason(exc)}") from None
        return str(status), list(data)


def _reason(exc: BaseException) -> str:
    """The server's own words (imaplib gives bytes in the message), on one line."""
    text = str(exc)
    if text.startswith("b'") or text.startswith('b"'):
        text = text[2:-1]
    return " ".join(text.split()) or type(exc).__name__


def _masked(url: str) -> str:
    """The URL with any password replaced, for error messages."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return url
