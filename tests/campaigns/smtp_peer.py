"""A real SMTP server on 127.0.0.1 for integration tests, with faults a test can inject.

    peer = SmtpPeer().start()
    peer.reject_recipient("*@gone.example")        # 550 at RCPT, every time
    peer.defer_recipient("busy@example.com", times=2)  # 451 twice, then accepted
    peer.drop_after(3)                             # hang up during the 3rd DATA
    peer.fail_data_once(452)                       # the next DATA gets a 452
    peer.reject_sender("*@blocked.example")        # 553 at MAIL FROM
    peer.disconnect_all()                          # hang up, as an idle timeout does
    ...
    peer.stop()

``peer.messages`` holds what was accepted; ``peer.connections`` counts SMTP sessions
(a client that greeted with EHLO or HELO). With ``users`` it offers AUTH PLAIN/LOGIN
(``peer.logins`` lists who logged in); with ``tls_context`` it offers STARTTLS, or
speaks TLS from the first byte when ``implicit_tls`` is set.
"""

from __future__ import annotations

import fnmatch
import ssl
import threading
from collections.abc import Mapping
from dataclasses import dataclass

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from campaigns.smtp.capture_server import EphemeralPortController

Received = tuple[str, list[str], bytes]


@dataclass
class _Rule:
    pattern: str
    code: int
    text: str
    times: int | None  # None: for ever


class SmtpPeer:
    """An aiosmtpd server on an ephemeral loopback port; see the module docstring."""

    def __init__(
        self,
        users: Mapping[str, str] | None = None,
        tls_context: ssl.SSLContext | None = None,
        implicit_tls: bool = False,
        pipelining: bool = False,
    ) -> None:
        self.users = dict(users or {})
        self.tls_context = tls_context
        self.implicit_tls = implicit_tls
        # aiosmtpd reads pipelined commands in order but doesn't say so in EHLO.
        self.pipelining = pipelining
        self._lock = threading.Lock()
        self._controller: EphemeralPortController | None = None
        # Every connection's SMTP object, kept across reset() so disconnect_all() works.
        self._servers: list[SMTP] = []
        self.reset()

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> SmtpPeer:
        """Start listening on 127.0.0.1 (a free port); returns the peer for chaining."""
        options: dict[str, object] = {
            "server_hostname": "peer.test",
            "ident": "Hookline test peer",
        }
        if self.users:
            options["authenticator"] = self._authenticate
            # aiosmtpd only knows about TLS it started itself (STARTTLS); with implicit
            # TLS it would never offer AUTH unless told not to insist.
            options["auth_require_tls"] = self.tls_context is not None and not self.implicit_tls
        if self.tls_context is not None and not self.implicit_tls:
            options["tls_context"] = self.tls_context
        controller = EphemeralPortController(
            _Handler(self),
            hostname="127.0.0.1",
            port=0,
            ssl_context=self.tls_context if self.implicit_tls else None,
            **options,
        )
        controller.start()
        self._controller = controller
        return self

    def stop(self) -> None:
        """Stop listening and drop every open connection."""
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    @property
    def port(self) -> int:
        """The port the peer listens on."""
        if self._controller is None:
            raise RuntimeError("the SMTP peer is not running")
        return self._controller.bound_port

    @property
    def url(self) -> str:
        """``smtp://127.0.0.1:PORT``."""
        return f"smtp://127.0.0.1:{self.port}"

    # -- what happened ---------------------------------------------------------------

    @property
    def messages(self) -> list[Received]:
        """(envelope sender, recipients, content) of each accepted message, in order."""
        with self._lock:
            return list(self._messages)

    @property
    def connections(self) -> int:
        """SMTP sessions seen (greeted with EHLO/HELO; a STARTTLS upgrade is not a new one)."""
        with self._lock:
            return self._connections

    @property
    def logins(self) -> list[str]:
        """User names that logged in successfully."""
        with self._lock:
            return list(self._logins)

    # -- faults ----------------------------------------------------------------------

    def reject_recipient(
        self, pattern_or_address: str, code: int = 550, text: str = "5.1.1 user unknown"
    ) -> None:
        """Refuse matching recipients at RCPT for good (``fnmatch`` patterns, any case)."""
        with self._lock:
            self._rcpt_rules.append(_Rule(pattern_or_address.lower(), code, text, None))

    def reject_sender(
        self, pattern_or_address: str, code: int = 553, text: str = "5.7.1 sender not allowed"
    ) -> None:
        """Refuse matching envelope senders at MAIL FROM for good."""
        with self._lock:
            self._mail_rules.append(_Rule(pattern_or_address.lower(), code, text, None))

    def defer_recipient(
        self, address: str, times: int = 1, code: int = 451, text: str = "4.2.0 try again later"
    ) -> None:
        """Refuse ``address`` at RCPT ``times`` times with a temporary error, then accept it."""
        with self._lock:
            self._rcpt_rules.append(_Rule(address.lower(), code, text, times))

    def drop_after(self, n_messages: int) -> None:
        """Hang up abruptly during the ``n_messages``-th DATA from now (1 is the next one),
        after the content arrived but before any reply, so that message is not accepted.
        """
        with self._lock:
            self._drop_at = self._data_seen + n_messages

    def fail_data_once(self, code: int = 451, text: str = "4.3.0 try again later") -> None:
        """Refuse the next DATA (after its content) with ``code``."""
        with self._lock:
            self._data_failures.append((code, text))

    def disconnect_all(self) -> None:
        """Close every open connection from the server side, as an idle timeout does."""
        controller = self._controller
        if controller is None:
            return
        with self._lock:
            servers = list(self._servers)
        closed = threading.Event()

        def close_all() -> None:
            for server in servers:
                if server.transport is not None:
                    server.transport.close()
            closed.set()

        # Wait until the loop has closed them, so the test's next command meets a
        # closed connection rather than racing the close.
        controller.loop.call_soon_threadsafe(close_all)
        closed.wait(5)

    def reset(self) -> None:
        """Forget received messages, counts and injected faults."""
        with self._lock:
            self._messages: list[Received] = []
            self._connections = 0
            self._logins: list[str] = []
            self._rcpt_rules: list[_Rule] = []
            self._mail_rules: list[_Rule] = []
            self._data_failures: list[tuple[int, str]] = []
            self._data_seen = 0
            self._drop_at: int | None = None

    # -- what the handler asks (called on the server's event loop thread) -------------

    def _greeted(self, server: SMTP, session: Session, hostname: str) -> None:
        # A hook that answers EHLO/HELO itself must record the greeting, as aiosmtpd
        # would, or MAIL is refused with "send HELO first".
        session.host_name = hostname
        with self._lock:
            # One SMTP object serves one connection, STARTTLS upgrade included.
            if not any(seen is server for seen in self._servers):
                self._connections += 1
                self._servers.append(server)

    def _refusal(self, rules: list[_Rule], address: str) -> str | None:
        with self._lock:
            for rule in rules:
                if rule.times == 0 or not fnmatch.fnmatchcase(address.lower(), rule.pattern):
                    continue
                if rule.times is not None:
                    rule.times -= 1
                return f"{rule.code} {rule.text}"
        return None

    def _data_reply(self, envelope: Envelope) -> str | None:
        """The reply to a DATA, or None to hang up without one."""
        with self._lock:
            self._data_seen += 1
            if self._drop_at is not None and self._data_seen == self._drop_at:
                self._drop_at = None
                return None
            if self._data_failures:
                code, text = self._data_failures.pop(0)
                return f"{code} {text}"
            self._messages.append(
                (
                    envelope.mail_from or "",
                    list(envelope.rcpt_tos),
                    envelope.original_content or b"",
                )
            )
        return "250 2.0.0 OK queued"

    def _authenticate(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        mechanism: str,
        auth_data: object,
    ) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login = auth_data.login.decode()
        ok = self.users.get(login) == auth_data.password.decode()
        if ok:
            with self._lock:
                self._logins.append(login)
        return AuthResult(success=ok, handled=False, auth_data=auth_data)


class _Handler:
    """aiosmtpd's hooks, kept apart from SmtpPeer because aiosmtpd reads every
    attribute of its handler, properties included."""

    def __init__(self, peer: SmtpPeer) -> None:
        self.peer = peer

    async def handle_EHLO(  # noqa: N802 - aiosmtpd's hook name
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        """Count a new session (an EHLO after STARTTLS is the same session)."""
        self.peer._greeted(server, session, hostname)
        if self.peer.pipelining:
            return [*responses[:-1], "250-PIPELINING", responses[-1]]
        return responses

    async def handle_HELO(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str
    ) -> str:
        """Count a new session."""
        self.peer._greeted(server, session, hostname)
        return f"250 {server.hostname}"

    async def handle_MAIL(  # noqa: N802 - aiosmtpd's hook name
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        """Apply the first matching sender rule, or accept the sender."""
        refusal = self.peer._refusal(self.peer._mail_rules, address)
        if refusal is not None:
            return refusal
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        """Apply the first matching reject or defer rule, or accept the recipient."""
        refusal = self.peer._refusal(self.peer._rcpt_rules, address)
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        """Store the message, unless a drop or a DATA failure was injected."""
        reply = self.peer._data_reply(envelope)
        if reply is None:
            if server.transport is not None:
                server.transport.abort()
            return "421 4.4.2 dropped"  # never reaches the client: the line is gone
        return reply
