"""One SMTP connection that turns every server reply into a delivery outcome.

A sending worker hands :meth:`SmtpConnection.send` one message for one recipient and
gets a :class:`DeliveryResult` back:

- ``sent``: the server took responsibility for the message (2xx after DATA);
- ``retry``: try again later: a 4xx reply anywhere, a refused sender (the recipient
  isn't at fault), or the network failing (refused, dropped, timed out);
- ``bounced``: a 5xx reply to RCPT or DATA: this address won't take this message.

SMTP and network trouble never raises. Only a setting that stops every send raises
:class:`SmtpConfigError` (a refused login, STARTTLS not offered, a certificate that
isn't trusted), because retrying won't fix it and the operator has to.

A connection serves one thread at a time: a pool of workers opens one each.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from dataclasses import dataclass
from enum import StrEnum
from types import TracebackType

from campaigns.smtp.smtp_url import SmtpUrl

# smtplib sends bytes as they are, and SMTP needs CRLF: a bare LF would arrive as one
# endless line and be refused as "line too long".
_LINE_END = re.compile(rb"\r\n|\r|\n")
# The reply a server gives before it closes the connection (RFC 5321 section 3.8).
_CLOSING = 421


class Outcome(StrEnum):
    """What became of one message for one recipient."""

    SENT = "sent"
    RETRY = "retry"
    BOUNCED = "bounced"


@dataclass(frozen=True)
class DeliveryResult:
    """An outcome, the SMTP reply code when there was one, and a one-line detail.

    The detail is the server's reply (``550 5.1.1 user unknown``) or what went wrong
    on the way (``connection dropped: ...``).
    """

    outcome: Outcome
    code: int | None
    detail: str


class SmtpConfigError(Exception):
    """The SMTP settings can't work (login refused, no STARTTLS, untrusted TLS): stop sending."""


class _UnavailableError(Exception):
    """The server can't be reached or talked to right now; the send is retried later."""

    def __init__(self, detail: str, code: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code


class SmtpConnection:
    """A lazily opened SMTP connection, reused from one message to the next.

    ``smtp+starttls`` upgrades with STARTTLS and ``smtps`` speaks TLS from the start,
    both verifying the server with ``ssl_context`` (default:
    :func:`ssl.create_default_context`). A user name in the URL logs in.
    """

    def __init__(
        self,
        url: SmtpUrl,
        timeout: float = 30.0,
        local_hostname: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.url = url
        self.timeout = timeout
        self.local_hostname = local_hostname
        self._ssl_context = ssl_context
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpConnection:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def connected(self) -> bool:
        """Whether a connection is open (a failure closes it; the next send reopens it)."""
        return self._smtp is not None

    def send(self, envelope_from: str, recipient: str, message: bytes) -> DeliveryResult:
        """Send ``message`` to one recipient and say what became of it; never raises for
        SMTP or network problems (see the module docstring), only :class:`SmtpConfigError`.
        """
        if _has_line_break(envelope_from):
            raise SmtpConfigError(f"the envelope sender {envelope_from!r} contains a line break")
        if _has_line_break(recipient) or not recipient.strip():
            return DeliveryResult(Outcome.BOUNCED, None, f"invalid recipient address {recipient!r}")
        data = _LINE_END.sub(b"\r\n", message)
        reused = self._smtp is not None
        result, nothing_sent = self._attempt(envelope_from, recipient, data)
        if nothing_sent and reused:
            # Servers close connections left idle (often after 5 minutes); that shows
            # only when MAIL FROM fails. The server saw nothing of this message, so one
            # more try on a fresh connection can't duplicate it.
            result, _ = self._attempt(envelope_from, recipient, data)
        return result

    def close(self) -> None:
        """Say QUIT and close the connection, if one is open; errors are ignored."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            pass
        finally:
            smtp.close()

    def _attempt(
        self, envelope_from: str, recipient: str, data: bytes
    ) -> tuple[DeliveryResult, bool]:
        """One transaction. The flag is true when it failed at MAIL FROM because the
        connection was gone, before the server saw anything of this message."""
        try:
            smtp = self._connection()
        except _UnavailableError as exc:
            return DeliveryResult(Outcome.RETRY, exc.code, exc.detail), False
        stage = "MAIL"
        reply: bytes | str
        try:
            if not envelope_from.isascii() and not smtp.has_extn("smtputf8"):
                raise SmtpConfigError(
                    f"the envelope sender {envelope_from!r} is not ASCII and "
                    f"{self.url.display()} doesn't support SMTPUTF8"
                )
            if not recipient.isascii() and not smtp.has_extn("smtputf8"):
                detail = f"{self.url.display()} doesn't support SMTPUTF8, which this address needs"
                return self._refused(smtp, Outcome.BOUNCED, None, detail), False
            options = _mail_options(smtp, envelope_from, recipient, data)
            if smtp.has_extn("pipelining") and "SMTPUTF8" not in options:
                return self._pipelined(smtp, envelope_from, recipient, data, options)
            code, reply = smtp.mail(envelope_from, options)
            if code != 250:
                detail = f"sender refused: {_reply(code, reply)}"
                return self._refused(smtp, Outcome.RETRY, code, detail), code == _CLOSING
            stage = "RCPT"
            code, reply = smtp.rcpt(recipient)
            if not 200 <= code < 300:
                return self._refused(smtp, _outcome(code), code, _reply(code, reply)), False
            stage = "DATA"
            code, reply = smtp.data(data)
        except smtplib.SMTPDataError as exc:
            # The DATA command itself was refused, before any of the message was sent.
            code, reply = exc.smtp_code, exc.smtp_error
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self._drop()
            return DeliveryResult(Outcome.RETRY, None, f"connection dropped: {exc}"), (
                stage == "MAIL"
            )
        except smtplib.SMTPResponseException as exc:
            self._drop()
            detail = f"unreadable reply during {stage}: {_reply(exc.smtp_code, exc.smtp_error)}"
            return DeliveryResult(Outcome.RETRY, None, detail), False
        if not 200 <= code < 300:
            return self._refused(smtp, _outcome(code), code, _reply(code, reply)), False
        return DeliveryResult(Outcome.SENT, code, _reply(code, reply)), False

    def _pipelined(
        self,
        smtp: smtplib.SMTP,
        envelope_from: str,
        recipient: str,
        data: bytes,
        options: list[str],
    ) -> tuple[DeliveryResult, bool]:
        """One transaction with RFC 2920 pipelining: MAIL, RCPT and DATA in one write.

        Two round trips instead of four; each reply is judged as in the plain path.
        A network error before the content is sent propagates to the caller (nothing of
        the message reached the server); one after it is a retry for the ledger.
        """
        parameters = "".join(f" {option}" for option in options)
        smtp.send(
            f"MAIL FROM:{smtplib.quoteaddr(envelope_from)}{parameters}\r\n"
            f"RCPT TO:{smtplib.quoteaddr(recipient)}\r\n"
            "DATA\r\n"
        )
        mail_code, mail_reply = smtp.getreply()
        rcpt_code, rcpt_reply = smtp.getreply()
        data_code, data_reply = smtp.getreply()
        if data_code == 354 and (mail_code != 250 or not 200 <= rcpt_code < 300):
            # A server that took DATA after refusing the envelope gets an empty message.
            smtp.send(b".\r\n")
            smtp.getreply()
        if mail_code != 250:
            detail = f"sender refused: {_reply(mail_code, mail_reply)}"
            return self._refused(smtp, Outcome.RETRY, mail_code, detail), mail_code == _CLOSING
        if not 200 <= rcpt_code < 300:
            return self._refused(
                smtp, _outcome(rcpt_code), rcpt_code, _reply(rcpt_code, rcpt_reply)
            ), False
        if data_code != 354:
            return self._refused(
                smtp, _outcome(data_code), data_code, _reply(data_code, data_reply)
            ), False
        body = _LEADING_DOT.sub(b"..", data)
        if not body.endswith(b"\r\n"):
            body += b"\r\n"
        try:
            smtp.send(body + b".\r\n")
            code, reply = smtp.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            # The message may have arrived: never resend it on the spot (the ledger's
            # retry, with its backoff, decides), unlike a failure before the content.
            self._drop()
            return DeliveryResult(Outcome.RETRY, None, f"connection dropped: {exc}"), False
        if not 200 <= code < 300:
            return self._refused(smtp, _outcome(code), code, _reply(code, reply)), False
        return DeliveryResult(Outcome.SENT, code, _reply(code, reply)), False

    def _refused(
        self, smtp: smtplib.SMTP, outcome: Outcome, code: int | None, detail: str
    ) -> DeliveryResult:
        """End a failed transaction with RSET so the connection takes the next message."""
        if code is not None and (code == _CLOSING or code < 0):
            self._drop()
        else:
            try:
                rset_code, _ = smtp.rset()
            except (smtplib.SMTPException, OSError):
                rset_code = -1
            if rset_code != 250:
                self._drop()
        return DeliveryResult(outcome, code if code is not None and code > 0 else None, detail)

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is None:
            self._smtp = self._open()
        return self._smtp

    def _drop(self) -> None:
        """Forget a broken connection without QUIT; the next send reconnects."""
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.close()

    def _tls_context(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            self._ssl_context = ssl.create_default_context()
        return self._ssl_context

    def _open(self) -> smtplib.SMTP:
        url = self.url
        try:
            if url.scheme == "smtps":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    url.host,
                    url.port,
                    local_hostname=self.local_hostname,
                    timeout=self.timeout,
                    context=self._tls_context(),
                )
            else:
                smtp = smtplib.SMTP(
                    url.host, url.port, local_hostname=self.local_hostname, timeout=self.timeout
                )
        except ssl.SSLCertVerificationError as exc:
            raise SmtpConfigError(self._untrusted(exc)) from exc
        except smtplib.SMTPConnectError as exc:
            detail = f"{url.display()} refused the session: {_reply(exc.smtp_code, exc.smtp_error)}"
            raise _UnavailableError(detail, exc.smtp_code) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise _UnavailableError(f"cannot connect to {url.display()}: {exc}") from exc
        try:
            self._greet(smtp)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _greet(self, smtp: smtplib.SMTP) -> None:
        """EHLO, then STARTTLS and login as the URL asks."""
        url = self.url
        try:
            smtp.ehlo_or_helo_if_needed()
            if url.scheme == "smtp+starttls":
                if not smtp.has_extn("starttls"):
                    raise SmtpConfigError(
                        f"{url.display()} does not offer STARTTLS; use smtps:// if it "
                        "speaks TLS from the start, or smtp:// for a trusted local relay"
                    )
                code, reply = smtp.starttls(context=self._tls_context())
                if code != 220:
                    raise _UnavailableError(f"STARTTLS refused: {_reply(code, reply)}", code)
                smtp.ehlo()
            if url.username is not None:
                self._login(smtp, url.username, url.password)
        except ssl.SSLCertVerificationError as exc:
            raise SmtpConfigError(self._untrusted(exc)) from exc
        except smtplib.SMTPHeloError as exc:
            detail = f"{url.display()} refused EHLO: {_reply(exc.smtp_code, exc.smtp_error)}"
            raise _UnavailableError(detail, exc.smtp_code) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise _UnavailableError(f"connection to {url.display()} failed: {exc}") from exc

    def _login(self, smtp: smtplib.SMTP, username: str, password: str | None) -> None:
        url = self.url
        if password is None:
            raise SmtpConfigError(f"{url.display()} has a user name but no password")
        try:
            smtp.login(username, password)
        except smtplib.SMTPAuthenticationError as exc:
            reply = _reply(exc.smtp_code, exc.smtp_error)
            if 400 <= exc.smtp_code < 500:
                raise _UnavailableError(
                    f"login temporarily refused: {reply}", exc.smtp_code
                ) from exc
            raise SmtpConfigError(
                f"{url.display()} refused the login as {username!r}: {reply}"
            ) from exc
        except smtplib.SMTPNotSupportedError as exc:
            hint = "; many servers offer it only over TLS (smtp+starttls:// or smtps://)"
            raise SmtpConfigError(
                f"{url.display()} does not offer AUTH{hint if url.scheme == 'smtp' else ''}"
            ) from exc
        except smtplib.SMTPServerDisconnected:
            raise
        except smtplib.SMTPException as exc:
            # smtplib's "No suitable authentication method found."
            raise SmtpConfigError(f"cannot log in to {url.display()}: {exc}") from exc
        except UnicodeEncodeError as exc:
            raise SmtpConfigError(
                f"cannot log in to {url.display()}: smtplib sends only ASCII user names "
                "and passwords"
            ) from exc

    def _untrusted(self, exc: ssl.SSLCertVerificationError) -> str:
        return (
            f"the TLS certificate of {self.url.display()} is not trusted: "
            f"{exc.verify_message or exc}"
        )


# Dot-stuffing (RFC 5321 4.5.2), as smtplib's data() does it.
_LEADING_DOT = re.compile(rb"(?m)^\.")


def _mail_options(smtp: smtplib.SMTP, envelope_from: str, recipient: str, data: bytes) -> list[str]:
    """ESMTP parameters for MAIL FROM, as far as the server supports them."""
    options: list[str] = []
    if smtp.has_extn("size"):
        # Lets the server refuse an oversized message before it is sent.
        options.append(f"SIZE={len(data)}")
    if not data.isascii() and smtp.has_extn("8bitmime"):
        options.append("BODY=8BITMIME")
    if not (envelope_from.isascii() and recipient.isascii()):
        options.append("SMTPUTF8")
    return options


def _outcome(code: int) -> Outcome:
    """A refused RCPT or DATA: 5xx is permanent for this recipient, anything else retries."""
    return Outcome.BOUNCED if 500 <= code < 600 else Outcome.RETRY


def _reply(code: int, reply: bytes | str) -> str:
    """A server reply on one line: ``550 5.1.1 user unknown``."""
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return " ".join(f"{code} {text}".split())


def _has_line_break(address: str) -> bool:
    return "\r" in address or "\n" in address
