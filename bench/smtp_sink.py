"""An SMTP server that accepts every message, counts it and throws it away.

    .venv/bin/python bench/smtp_sink.py                 # aiosmtpd, a free port on 127.0.0.1
    .venv/bin/python bench/smtp_sink.py --port 2525
    .venv/bin/python bench/smtp_sink.py --kind raw      # a minimal server, 4x cheaper

Two servers: ``aiosmtpd`` (the default) is the library Hookline's own capture server
uses, a full SMTP implementation that reads the message line by line, which costs about
half a millisecond of CPU per 3 kB message. ``raw`` speaks just enough SMTP for a
client that behaves (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT, with pipelining) and
finds the end of the data with one search per network read, so on a machine shared with
the sender it leaves the CPU to the sender, as a real relay on another machine would.

It prints one JSON line when it listens, ``{"port": 40123, "pid": 1234}``, and one
when it is stopped with SIGTERM or SIGINT (or Ctrl-C)::

    {"messages": 100000, "recipients": 100000, "distinct_recipients": 100000,
     "bytes": 431000000, "sessions": 5, "cpu_seconds": 41.2, "peak_rss_mb": 60.1}

``send_bench.py`` runs it as a separate process through :class:`Sink`, so the
server's work is not counted in the sender's CPU, and checks that the figures match
the audience: every recipient exactly once. Addresses are kept as 8-byte digests, so
a million take tens of MB.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import resource
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session


class CountingHandler:
    """aiosmtpd's DATA hook: count, remember who got it, keep nothing else."""

    def __init__(self) -> None:
        self.messages = 0
        self.recipients = 0
        self.bytes = 0
        self.sessions = 0
        self.seen: set[bytes] = set()

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        """Accept the message and forget its content."""
        content = envelope.original_content or envelope.content or b""
        self.count(len(content), [address.encode() for address in envelope.rcpt_tos])
        return "250 2.0.0 OK: counted and discarded"

    def count(self, size: int, recipients: list[bytes]) -> None:
        """One message of ``size`` bytes for ``recipients``."""
        self.messages += 1
        self.bytes += size
        for address in recipients:
            self.recipients += 1
            self.seen.add(hashlib.blake2b(address.lower(), digest_size=8).digest())

    def figures(self) -> dict[str, Any]:
        """What the sink received, and what it cost this process."""
        usage = resource.getrusage(resource.RUSAGE_SELF)
        # VmHWM, not ru_maxrss: Linux carries the RSS of the parent at fork across exec.
        status = Path("/proc/self/status").read_text().split("VmHWM:", 1)[-1].split()
        return {
            "messages": self.messages,
            "recipients": self.recipients,
            "distinct_recipients": len(self.seen),
            "bytes": self.bytes,
            "sessions": self.sessions,
            "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 3),
            "peak_rss_mb": round(int(status[0]) / 1024, 1) if status else None,
        }


class RawSmtp(asyncio.Protocol):
    """A minimal SMTP server session: replies to commands, counts what DATA carries."""

    def __init__(self, handler: CountingHandler) -> None:
        self.handler = handler
        self.buffer = bytearray()
        self.in_data = False
        self.scanned = 0
        self.rcpt: list[bytes] = []
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Greet the client."""
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.handler.sessions += 1
        transport.write(b"220 sink.bench ESMTP Hookline bench sink\r\n")

    def data_received(self, data: bytes) -> None:
        """Handle every complete command, or the end of a message's data."""
        self.buffer += data
        replies: list[bytes] = []
        while self.buffer:
            if self.in_data:
                if not self._end_of_data(replies):
                    break
                continue
            end = self.buffer.find(b"\r\n")
            if end < 0:
                break
            line = bytes(self.buffer[:end])
            del self.buffer[: end + 2]
            if not self._command(line, replies):
                break
        if replies and self.transport is not None:
            self.transport.write(b"".join(replies))

    def _end_of_data(self, replies: list[bytes]) -> bool:
        # The body ends with CRLF "." CRLF; an empty body is just "." CRLF.
        if self.buffer.startswith(b".\r\n"):
            end, size = 0, 0
        else:
            end = self.buffer.find(b"\r\n.\r\n", max(0, self.scanned - 4))
            if end < 0:
                self.scanned = len(self.buffer)
                return False
            size, end = end + 2, end + 2
        self.handler.count(size, self.rcpt)
        del self.buffer[: end + 3]
        self.in_data, self.scanned, self.rcpt = False, 0, []
        replies.append(b"250 2.0.0 OK: counted and discarded\r\n")
        return True

    def _command(self, line: bytes, replies: list[bytes]) -> bool:
        verb = line[:4].upper()
        if verb == b"EHLO":
            replies.append(
                b"250-sink.bench\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n"
                b"250 SIZE 67108864\r\n"
            )
        elif verb == b"HELO":
            replies.append(b"250 sink.bench\r\n")
        elif verb == b"MAIL":
            self.rcpt = []
            replies.append(b"250 2.1.0 OK\r\n")
        elif verb == b"RCPT":
            address = line.partition(b":")[2].strip().split(b" ")[0].strip(b"<>")
            self.rcpt.append(address)
            replies.append(b"250 2.1.5 OK\r\n")
        elif verb == b"DATA":
            self.in_data = True
            replies.append(b"354 End data with <CR><LF>.<CR><LF>\r\n")
        elif verb in (b"RSET", b"NOOP"):
            self.rcpt = [] if verb == b"RSET" else self.rcpt
            replies.append(b"250 2.0.0 OK\r\n")
        elif verb == b"QUIT":
            replies.append(b"221 2.0.0 Bye\r\n")
            if self.transport is not None:
                self.transport.write(b"".join(replies))
                replies.clear()
                self.transport.close()
            return False
        else:
            replies.append(b"502 5.5.2 Command not implemented\r\n")
        return True


async def serve(host: str, port: int, kind: str = "aiosmtpd") -> dict[str, Any]:
    """Listen until SIGTERM or SIGINT; return the figures."""
    handler = CountingHandler()
    loop = asyncio.get_running_loop()
    stopped = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopped.set)

    def factory() -> asyncio.Protocol:
        if kind == "raw":
            return RawSmtp(handler)
        handler.sessions += 1  # the factory runs once per connection
        # A fixed hostname: aiosmtpd would otherwise look up the FQDN on each session.
        return SMTP(
            handler,
            hostname="sink.bench",
            ident="Hookline bench sink",
            data_size_limit=64 * 1024 * 1024,
            enable_SMTPUTF8=True,
            decode_data=False,
        )

    server = await loop.create_server(factory, host, port, family=socket.AF_INET)
    bound = server.sockets[0].getsockname()[1]
    print(json.dumps({"port": bound, "pid": os.getpid(), "kind": kind}), flush=True)
    await stopped.wait()
    server.close()
    return handler.figures()


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a live process has used, from /proc (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Sink:
    """This script in a process of its own, for a benchmark; ``stop()`` returns its figures."""

    def __init__(self, kind: str = "aiosmtpd") -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--kind", kind],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            self.process.wait()
            raise RuntimeError(f"the SMTP sink did not start (exit {self.process.returncode})")
        self.port = int(json.loads(line)["port"])
        self.url = f"smtp://127.0.0.1:{self.port}"

    def cpu_seconds(self) -> float:
        """CPU time the sink has used so far."""
        return process_cpu_seconds(self.process.pid)

    def stop(self) -> dict[str, Any]:
        """Stop the sink and return what it received (empty if it had died)."""
        if self.process.poll() is not None:
            return {}
        self.process.send_signal(signal.SIGTERM)
        assert self.process.stdout is not None
        figures: dict[str, Any] = json.loads(self.process.stdout.readline() or "{}")
        self.process.wait(timeout=30)
        return figures


@contextmanager
def running_sink(kind: str = "aiosmtpd") -> Iterator[Sink]:
    """A sink for the ``with`` block, killed if the block fails before ``stop()``."""
    sink = Sink(kind)
    try:
        yield sink
    finally:
        if sink.process.poll() is None:
            sink.process.kill()
            sink.process.wait()


def main() -> None:
    """Parse the options, serve, print the figures."""
    parser = argparse.ArgumentParser(description="Count and discard SMTP messages.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=0, help="port (0: a free one)")
    parser.add_argument(
        "--kind", choices=("aiosmtpd", "raw"), default="aiosmtpd", help="which server"
    )
    args = parser.parse_args()
    figures = asyncio.run(serve(args.host, args.port, args.kind))
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
