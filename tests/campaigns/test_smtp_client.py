"""SmtpConnection against a real SMTP server on loopback, with injected faults."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from campaigns.smtp.smtp_client import (
    DeliveryResult,
    Outcome,
    SmtpConfigError,
    SmtpConnection,
)
from campaigns.smtp.smtp_url import SmtpUrl, parse_smtp_url
from tests.campaigns.smtp_peer import SmtpPeer

SENDER = "news@shop.example"
MESSAGE = b"From: news@shop.example\r\nTo: lan@example.com\r\nSubject: Hi\r\n\r\nHello Lan\r\n"


def connect(url: str | SmtpUrl, **kwargs: object) -> SmtpConnection:
    parsed = parse_smtp_url(url) if isinstance(url, str) else url
    return SmtpConnection(parsed, timeout=5, local_hostname="client.test", **kwargs)  # type: ignore[arg-type]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


# -- delivery outcomes -----------------------------------------------------------------


def test_accepted_message_is_sent_with_its_envelope(smtp_peer: SmtpPeer) -> None:
    with connect(smtp_peer.url) as connection:
        result = connection.send(SENDER, "lan@example.com", MESSAGE)

    assert result.outcome is Outcome.SENT
    assert result.code == 250
    assert smtp_peer.messages == [(SENDER, ["lan@example.com"], MESSAGE)]


def test_bare_line_feeds_travel_as_crlf_and_leading_dots_survive(smtp_peer: SmtpPeer) -> None:
    with connect(smtp_peer.url) as connection:
        connection.send(SENDER, "lan@example.com", b"Subject: x\n\n.leading dot\n.\nend")

    assert smtp_peer.messages[0][2] == b"Subject: x\r\n\r\n.leading dot\r\n.\r\nend\r\n"


def test_permanently_refused_recipient_bounces_with_the_server_reply(smtp_peer: SmtpPeer) -> None:
    smtp_peer.reject_recipient("gone@example.com")
    with connect(smtp_peer.url) as connection:
        result = connection.send(SENDER, "gone@example.com", MESSAGE)

    assert result == DeliveryResult(Outcome.BOUNCED, 550, "550 5.1.1 user unknown")
    assert smtp_peer.messages == []


def test_connection_takes_the_next_message_after_a_bounce(smtp_peer: SmtpPeer) -> None:
    smtp_peer.reject_recipient("*@gone.example")
    with connect(smtp_peer.url) as connection:
        bounced = connection.send(SENDER, "a@gone.example", MESSAGE)
        sent = connection.send(SENDER, "lan@example.com", MESSAGE)

    assert (bounced.outcome, sent.outcome) == (Outcome.BOUNCED, Outcome.SENT)
    assert smtp_peer.connections == 1
    assert smtp_peer.messages == [(SENDER, ["lan@example.com"], MESSAGE)]


def test_temporarily_refused_recipient_is_retried_then_sent(smtp_peer: SmtpPeer) -> None:
    smtp_peer.defer_recipient("busy@example.com", times=2)
    with connect(smtp_peer.url) as connection:
        results = [connection.send(SENDER, "busy@example.com", MESSAGE) for _ in range(3)]

    assert [result.outcome for result in results] == [Outcome.RETRY, Outcome.RETRY, Outcome.SENT]
    assert results[0].code == 451
    assert results[0].detail == "451 4.2.0 try again later"
    assert len(smtp_peer.messages) == 1


def test_temporary_failure_after_data_is_retried(smtp_peer: SmtpPeer) -> None:
    smtp_peer.fail_data_once(451)
    with connect(smtp_peer.url) as connection:
        first = connection.send(SENDER, "lan@example.com", MESSAGE)
        second = connection.send(SENDER, "lan@example.com", MESSAGE)

    assert (first.outcome, first.code) == (Outcome.RETRY, 451)
    assert second.outcome is Outcome.SENT
    assert len(smtp_peer.messages) == 1


def test_permanent_failure_after_data_bounces(smtp_peer: SmtpPeer) -> None:
    smtp_peer.fail_data_once(554, "5.7.1 message refused")
    with connect(smtp_peer.url) as connection:
        result = connection.send(SENDER, "lan@example.com", MESSAGE)

    assert result == DeliveryResult(Outcome.BOUNCED, 554, "554 5.7.1 message refused")


def test_refused_sender_is_retried_not_bounced(smtp_peer: SmtpPeer) -> None:
    smtp_peer.reject_sender(SENDER)
    with connect(smtp_peer.url) as connection:
        result = connection.send(SENDER, "lan@example.com", MESSAGE)

    assert result.outcome is Outcome.RETRY
    assert result.code == 553
    assert result.detail == "sender refused: 553 5.7.1 sender not allowed"


def test_closing_reply_resets_the_connection(smtp_peer: SmtpPeer) -> None:
    smtp_peer.defer_recipient("lan@example.com", times=1, code=421, text="4.3.2 shutting down")
    with connect(smtp_peer.url) as connection:
        first = connection.send(SENDER, "lan@example.com", MESSAGE)
        assert not connection.connected
        second = connection.send(SENDER, "lan@example.com", MESSAGE)

    assert (first.outcome, first.code) == (Outcome.RETRY, 421)
    assert second.outcome is Outcome.SENT
    assert smtp_peer.connections == 2


# -- the connection --------------------------------------------------------------------


def test_one_connection_carries_many_messages(smtp_peer: SmtpPeer) -> None:
    with connect(smtp_peer.url) as connection:
        results = [connection.send(SENDER, f"c{i}@example.com", MESSAGE) for i in range(10)]

    assert {result.outcome for result in results} == {Outcome.SENT}
    assert smtp_peer.connections == 1
    assert len(smtp_peer.messages) == 10


def test_connection_opens_only_when_the_first_message_is_sent(smtp_peer: SmtpPeer) -> None:
    connection = connect(smtp_peer.url)

    assert not connection.connected
    assert smtp_peer.connections == 0
    connection.send(SENDER, "lan@example.com", MESSAGE)
    assert connection.connected
    connection.close()
    assert not connection.connected


def test_connection_dropped_during_data_is_retried_and_the_next_send_reconnects(
    smtp_peer: SmtpPeer,
) -> None:
    smtp_peer.drop_after(1)
    with connect(smtp_peer.url) as connection:
        dropped = connection.send(SENDER, "lan@example.com", MESSAGE)
        assert not connection.connected
        sent = connection.send(SENDER, "lan@example.com", MESSAGE)

    assert dropped.outcome is Outcome.RETRY
    assert dropped.code is None
    assert dropped.detail.startswith("connection dropped: ")
    assert sent.outcome is Outcome.SENT
    assert smtp_peer.connections == 2
    assert len(smtp_peer.messages) == 1


def test_connection_closed_by_an_idle_server_is_reopened_without_a_retry(
    smtp_peer: SmtpPeer,
) -> None:
    with connect(smtp_peer.url) as connection:
        connection.send(SENDER, "lan@example.com", MESSAGE)
        smtp_peer.disconnect_all()
        result = connection.send(SENDER, "minh@example.com", MESSAGE)

    assert result.outcome is Outcome.SENT
    assert smtp_peer.connections == 2
    assert [rcpts for _, rcpts, _ in smtp_peer.messages] == [
        ["lan@example.com"],
        ["minh@example.com"],
    ]


def test_refused_connection_is_retried() -> None:
    with connect(f"smtp://127.0.0.1:{free_port()}") as connection:
        result = connection.send(SENDER, "lan@example.com", MESSAGE)

    assert result.outcome is Outcome.RETRY
    assert result.code is None
    assert result.detail.startswith("cannot connect to smtp://127.0.0.1:")
    assert not connection.connected


def test_server_that_never_greets_times_out_as_a_retry() -> None:
    # Listening but never accepting: the connection opens, the greeting never comes.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        connection = SmtpConnection(parse_smtp_url(f"smtp://127.0.0.1:{port}"), timeout=0.2)
        result = connection.send(SENDER, "lan@example.com", MESSAGE)

    assert result.outcome is Outcome.RETRY
    assert "timed out" in result.detail


def test_recipient_with_a_line_break_bounces_without_touching_the_server(
    smtp_peer: SmtpPeer,
) -> None:
    with connect(smtp_peer.url) as connection:
        result = connection.send(SENDER, "lan@example.com\r\nRCPT TO:<x@y>", MESSAGE)

    assert result.outcome is Outcome.BOUNCED
    assert smtp_peer.connections == 0


def test_sender_with_a_line_break_is_a_config_error(smtp_peer: SmtpPeer) -> None:
    with connect(smtp_peer.url) as connection, pytest.raises(SmtpConfigError, match="line break"):
        connection.send("news@shop.example\nX: y", "lan@example.com", MESSAGE)


def test_internationalised_recipient_is_sent_with_smtputf8(smtp_peer: SmtpPeer) -> None:
    message = "Subject: Chào\r\n\r\nXin chào\r\n".encode()
    with connect(smtp_peer.url) as connection:
        result = connection.send(SENDER, "lan@việt.example", message)

    assert result.outcome is Outcome.SENT
    assert smtp_peer.messages == [(SENDER, ["lan@việt.example"], message)]


# -- login -----------------------------------------------------------------------------


@pytest.fixture
def auth_peer() -> Iterator[SmtpPeer]:
    peer = SmtpPeer(users={"alice": "p@ss:word"}).start()
    try:
        yield peer
    finally:
        peer.stop()


def test_user_and_password_from_the_url_log_in(auth_peer: SmtpPeer) -> None:
    url = auth_peer.url.replace("smtp://", "smtp://alice:p%40ss%3Aword@")
    with connect(url) as connection:
        result = connection.send(SENDER, "lan@example.com", MESSAGE)

    assert result.outcome is Outcome.SENT
    assert auth_peer.logins == ["alice"]


def test_wrong_password_is_a_config_error_naming_the_user(auth_peer: SmtpPeer) -> None:
    url = auth_peer.url.replace("smtp://", "smtp://alice:wrong@")
    with (
        connect(url) as connection,
        pytest.raises(SmtpConfigError, match=r"refused the login as 'alice': 535"),
    ):
        connection.send(SENDER, "lan@example.com", MESSAGE)

    assert auth_peer.messages == []


def test_config_error_message_masks_the_password(auth_peer: SmtpPeer) -> None:
    url = auth_peer.url.replace("smtp://", "smtp://alice:hunter2@")
    with connect(url) as connection, pytest.raises(SmtpConfigError) as raised:
        connection.send(SENDER, "lan@example.com", MESSAGE)

    assert "hunter2" not in str(raised.value)
    assert "alice:***@" in str(raised.value)


def test_login_to_a_server_without_auth_is_a_config_error(smtp_peer: SmtpPeer) -> None:
    url = smtp_peer.url.replace("smtp://", "smtp://alice:secret@")
    with connect(url) as connection, pytest.raises(SmtpConfigError, match="does not offer AUTH"):
        connection.send(SENDER, "lan@example.com", MESSAGE)


def test_user_without_a_password_is_a_config_error(auth_peer: SmtpPeer) -> None:
    url = auth_peer.url.replace("smtp://", "smtp://alice@")
    with connect(url) as connection, pytest.raises(SmtpConfigError, match="no password"):
        connection.send(SENDER, "lan@example.com", MESSAGE)


def test_starttls_url_against_a_server_without_starttls_is_a_config_error(
    smtp_peer: SmtpPeer,
) -> None:
    url = smtp_peer.url.replace("smtp://", "smtp+starttls://")
    with connect(url) as connection, pytest.raises(SmtpConfigError, match="STARTTLS"):
        connection.send(SENDER, "lan@example.com", MESSAGE)


# -- TLS (a self-signed certificate made with the openssl command) ---------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", str(key), "-out", str(cert),
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return context


def trusting(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate[0]))


@pytest.fixture
def tls_peer(certificate: tuple[Path, Path]) -> Iterator[SmtpPeer]:
    peer = SmtpPeer(users={"alice": "secret"}, tls_context=server_context(certificate)).start()
    try:
        yield peer
    finally:
        peer.stop()


def test_starttls_upgrades_then_logs_in(tls_peer: SmtpPeer, certificate: tuple[Path, Path]) -> None:
    url = f"smtp+starttls://alice:secret@127.0.0.1:{tls_peer.port}"
    with connect(url, ssl_context=trusting(certificate)) as connection:
        results = [connection.send(SENDER, "lan@example.com", MESSAGE) for _ in range(2)]

    assert [result.outcome for result in results] == [Outcome.SENT, Outcome.SENT]
    assert tls_peer.logins == ["alice"]
    assert tls_peer.connections == 1


def test_untrusted_certificate_is_a_config_error(tls_peer: SmtpPeer) -> None:
    url = f"smtp+starttls://alice:secret@127.0.0.1:{tls_peer.port}"
    with connect(url) as connection, pytest.raises(SmtpConfigError, match="not trusted"):
        connection.send(SENDER, "lan@example.com", MESSAGE)

    assert tls_peer.logins == []


def test_smtps_speaks_tls_from_the_first_byte(certificate: tuple[Path, Path]) -> None:
    peer = SmtpPeer(
        users={"alice": "secret"}, tls_context=server_context(certificate), implicit_tls=True
    ).start()
    try:
        url = f"smtps://alice:secret@127.0.0.1:{peer.port}"
        with connect(url, ssl_context=trusting(certificate)) as connection:
            result = connection.send(SENDER, "lan@example.com", MESSAGE)
    finally:
        peer.stop()

    assert result.outcome is Outcome.SENT
    assert peer.logins == ["alice"]
