"""The capture server: a real SMTP server on loopback that keeps mail instead of sending it.

It is the embedded default when no SMTP server is configured, and ``hookline outbox
serve`` runs it for other programs. Every message it accepts becomes one ``.eml`` file
in the outbox directory (the format is described in :mod:`campaigns.smtp.outbox`), so
a campaign can be sent end to end, over real SMTP, without mailing anyone.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from campaigns.smtp.outbox import ENVELOPE_FROM_HEADER, ENVELOPE_TO_HEADER, MESSAGE_SUFFIX
from campaigns.smtp.smtp_url import SmtpUrl

# Large enough for newsletters with inline images and attachments.
DATA_SIZE_LIMIT = 32 * 1024 * 1024
# Named outright: aiosmtpd would otherwise look up the machine's FQDN, which can hang
# for seconds on a host with a slow resolver.
SERVER_HOSTNAME = "hookline-capture"

log = logging.getLogger(__name__)


class EphemeralPortController(Controller):
    """aiosmtpd's threaded Controller, able to listen on port 0 (a free port the OS picks).

    Controller checks that the server answers by connecting to ``self.port``; with
    port 0 that check would connect to port 0 and fail, so the port actually bound is
    read back first. ``bound_port`` is that port once started. A port that can't be
    bound raises its :class:`OSError` from :meth:`start` at once.
    """

    @property
    def bound_port(self) -> int:
        """The port the server listens on (the OS's choice when asked for port 0)."""
        server = self.server
        if not isinstance(server, asyncio.Server) or not server.sockets:
            raise RuntimeError("the SMTP server is not running")
        port = server.sockets[0].getsockname()[1]
        assert isinstance(port, int)
        return port

    def _run(self, ready_event: threading.Event) -> None:
        try:
            super()._run(ready_event)
        finally:
            # aiosmtpd leaves start() waiting out its whole ready_timeout (5 s) when
            # the port can't be bound; waking it lets the error surface at once.
            ready_event.set()

    def _trigger_server(self) -> None:
        if self._thread_exception is not None:
            raise self._thread_exception
        if self.port == 0:
            self.port = self.bound_port
        super()._trigger_server()  # type: ignore[no-untyped-call]


class _OutboxWriter:
    """aiosmtpd handler that stores every accepted message as a file in the outbox."""

    def __init__(self, outbox: Path) -> None:
        self.outbox = outbox
        self._lock = threading.Lock()
        self._counter = itertools.count(1)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        """Store the message; a disk that refuses it is a temporary failure for the client."""
        content = envelope.original_content or b""
        try:
            # Off the event loop, so a 30 MB write doesn't stall the other connections.
            path = await asyncio.to_thread(
                self.store, envelope.mail_from or "", list(envelope.rcpt_tos), content
            )
        except OSError as exc:
            log.error("cannot store a captured message in %s: %s", self.outbox, exc)
            return "451 4.3.0 The capture server cannot store the message"
        return f"250 2.0.0 OK captured as {path.stem}"

    def store(self, envelope_from: str, envelope_to: list[str], content: bytes) -> Path:
        """Write one message atomically (a temporary file, then a rename) and return its path."""
        envelope = (
            f"{ENVELOPE_FROM_HEADER}: {envelope_from or '<>'}\r\n"
            f"{ENVELOPE_TO_HEADER}: {', '.join(envelope_to)}\r\n"
        ).encode()
        self.outbox.mkdir(parents=True, exist_ok=True)
        with self._lock:
            path = self._free_name()
            temporary = path.with_name(f".{path.name}.tmp")
            temporary.write_bytes(envelope + content)
            temporary.replace(path)
        return path

    def _free_name(self) -> Path:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        while True:
            # Another server on the same outbox could have taken the name already.
            path = self.outbox / f"{stamp}-{next(self._counter):06d}{MESSAGE_SUFFIX}"
            if not path.exists():
                return path


class CaptureServer:
    """An SMTP server that stores what it receives in ``outbox`` instead of sending it.

    Port 0 (the default) listens on a free port; ``url`` tells which. Use it as a
    context manager, or call :meth:`start` and :meth:`stop`.
    """

    def __init__(self, outbox: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        self.outbox = outbox
        self.host = host
        self.port = port
        self._controller: EphemeralPortController | None = None
        self._url: SmtpUrl | None = None

    @property
    def url(self) -> SmtpUrl:
        """Where to send mail to be captured (only while running)."""
        if self._url is None:
            raise RuntimeError("the capture server is not running; call start() first")
        return self._url

    def start(self) -> SmtpUrl:
        """Create the outbox, start listening and return the URL to send to.

        Raises :class:`OSError` when the address can't be bound (a port in use).
        """
        if self._controller is not None:
            return self.url
        self.outbox.mkdir(parents=True, exist_ok=True)
        controller = EphemeralPortController(
            _OutboxWriter(self.outbox),
            hostname=self.host,
            port=self.port,
            server_hostname=SERVER_HOSTNAME,
            ident="Hookline capture server",
            data_size_limit=DATA_SIZE_LIMIT,
        )
        try:
            controller.start()
        except BaseException:
            controller.stop(no_assert=True)
            if not controller.loop.is_closed():
                controller.loop.close()
            raise
        self._controller = controller
        self._url = SmtpUrl("smtp", self.host, controller.bound_port)
        return self._url

    def stop(self) -> None:
        """Stop listening; messages already stored stay in the outbox."""
        controller, self._controller = self._controller, None
        self._url = None
        if controller is not None:
            controller.stop()

    def __enter__(self) -> CaptureServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
