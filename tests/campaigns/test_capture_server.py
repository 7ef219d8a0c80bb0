"""The capture server: real SMTP in, one .eml file per message out."""

from __future__ import annotations

import re
import smtplib
import socket
import threading
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from campaigns.smtp.capture_server import CaptureServer
from campaigns.smtp.outbox import list_outbox
from campaigns.smtp.smtp_client import Outcome, SmtpConnection

MESSAGE = b"From: news@shop.example\r\nTo: lan@example.com\r\nSubject: Hi\r\n\r\nHello Lan\r\n"


def stored(outbox: Path) -> list[Path]:
    return sorted(outbox.glob("*.eml"))


def test_starts_on_a_free_loopback_port_and_reports_its_url(tmp_path: Path) -> None:
    with CaptureServer(tmp_path / "outbox") as server:
        url = server.url

        assert (url.scheme, url.host) == ("smtp", "127.0.0.1")
        assert url.port > 0
        with smtplib.SMTP(url.host, url.port, local_hostname="client.test", timeout=5) as smtp:
            assert smtp.noop()[0] == 250


def test_each_message_becomes_an_eml_file_with_the_envelope_prepended(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    with (
        CaptureServer(outbox) as server,
        smtplib.SMTP(server.url.host, server.url.port, local_hostname="c", timeout=5) as smtp,
    ):
        smtp.sendmail("bounces@shop.example", ["lan@example.com", "minh@example.com"], MESSAGE)

    [path] = stored(outbox)
    assert re.fullmatch(r"\d{8}T\d{6}\.\d{6}Z-\d{6}\.eml", path.name)
    assert path.read_bytes() == (
        b"X-Hookline-Envelope-From: bounces@shop.example\r\n"
        b"X-Hookline-Envelope-To: lan@example.com, minh@example.com\r\n" + MESSAGE
    )


def test_stored_file_parses_as_the_message_sent(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    with CaptureServer(outbox) as server, SmtpConnection(server.url, timeout=5) as connection:
        result = connection.send("news@shop.example", "lan@example.com", MESSAGE)

    assert result.outcome is Outcome.SENT
    [path] = stored(outbox)
    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert message["Subject"] == "Hi"
    assert message.get_content().splitlines() == ["Hello Lan"]
    assert path.stem in result.detail  # the reply names the file


def test_null_sender_is_recorded_as_angle_brackets(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    with CaptureServer(outbox) as server, SmtpConnection(server.url, timeout=5) as connection:
        connection.send("", "lan@example.com", MESSAGE)

    assert list_outbox(outbox)[0].envelope_from == "<>"


def test_names_sort_in_arrival_order(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    with CaptureServer(outbox) as server, SmtpConnection(server.url, timeout=5) as connection:
        for number in range(5):
            connection.send("a@shop.example", f"n{number}@example.com", MESSAGE)

    assert [entry.envelope_to for entry in list_outbox(outbox)] == [
        [f"n{number}@example.com"] for number in range(5)
    ]


def test_large_message_is_accepted(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    line = b"x" * 76 + b"\r\n"
    big = MESSAGE + line * (20 * 1024 * 1024 // len(line))  # about 20 MB
    with CaptureServer(outbox) as server, SmtpConnection(server.url, timeout=30) as connection:
        result = connection.send("a@shop.example", "lan@example.com", big)

    assert result.outcome is Outcome.SENT
    [path] = stored(outbox)
    assert path.read_bytes().endswith(big)


def test_concurrent_clients_each_get_their_messages_stored(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    outcomes: list[Outcome] = []
    lock = threading.Lock()

    with CaptureServer(outbox) as server:

        def client(number: int) -> None:
            with SmtpConnection(server.url, timeout=10) as connection:
                for index in range(10):
                    result = connection.send("a@shop.example", f"c{number}-{index}@x.test", MESSAGE)
                    with lock:
                        outcomes.append(result.outcome)

        threads = [threading.Thread(target=client, args=(number,)) for number in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert outcomes == [Outcome.SENT] * 60
    recipients = sorted(entry.envelope_to[0] for entry in list_outbox(outbox))
    assert recipients == sorted(f"c{n}-{i}@x.test" for n in range(6) for i in range(10))
    assert len({path.name for path in stored(outbox)}) == 60
    assert not list(outbox.glob(".*.tmp"))


def test_stop_closes_the_port(tmp_path: Path) -> None:
    server = CaptureServer(tmp_path / "outbox")
    url = server.start()
    server.stop()

    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((url.host, url.port), timeout=5).close()
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.url


def test_start_creates_the_outbox_directory(tmp_path: Path) -> None:
    outbox = tmp_path / "var" / "outbox"
    with CaptureServer(outbox):
        assert outbox.is_dir()


def test_port_in_use_raises_os_error(tmp_path: Path) -> None:
    with CaptureServer(tmp_path / "a") as first:
        taken = first.url.port
        with pytest.raises(OSError):
            CaptureServer(tmp_path / "b", port=taken).start()


def test_fixed_port_is_used_when_given(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with CaptureServer(tmp_path / "outbox", port=port) as server:
        assert server.url.port == port


def test_unwritable_outbox_is_a_temporary_failure_for_the_client(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    with CaptureServer(outbox) as server, SmtpConnection(server.url, timeout=5) as connection:
        outbox.rmdir()
        outbox.write_text("not a directory")  # mkdir and writes inside now fail
        result = connection.send("a@shop.example", "lan@example.com", MESSAGE)

    assert (result.outcome, result.code) == (Outcome.RETRY, 451)
