"""The outbox pages: the list, a message and its parts, clearing, and real-SMTP mode."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from campaigns.smtp.outbox import list_outbox
from tests.web.conftest import WebServer, prepare_site, start_server, stop_server
from tests.web.test_report_pages import LANDING, send_campaign

MESSAGE_CSP = re.compile(r"default-src 'none'.*sandbox allow-popups allow-popups-to-escape-sandbox")


@pytest.fixture
def sent(web: WebServer) -> WebServer:
    """The server, after campaign jazz went to its capture (three messages)."""
    send_campaign(web)
    return web


def ids_of(html: str) -> list[str]:
    """The message ids the list page links to, in page order."""
    return re.findall(r'href="/app/outbox/([0-9A-Za-z._-]+)"', html)


def add_message(outbox: Path, name: str, message: EmailMessage) -> None:
    """Put a message in the outbox as the capture would (envelope headers first)."""
    envelope = (
        b"X-Hookline-Envelope-From: a@shop.example\r\nX-Hookline-Envelope-To: b@x.example\r\n"
    )
    (outbox / f"{name}.eml").write_bytes(envelope + message.as_bytes())


def test_the_list_shows_every_captured_message_newest_first(sent: WebServer) -> None:
    page = sent.client("viewer").get("/app/outbox")
    assert page.status_code == 200
    entries = list_outbox(sent.outbox)
    assert ids_of(page.text) == [entry.id for entry in reversed(entries)]
    for address in ("an@example.com", "binh@example.com", "chi@example.com"):
        assert f'<td class="to">{address}</td>' in page.text
    assert "Jazz &lt;news@shop.example&gt;" in page.text
    assert "An, save 60% on every jazz CD until Friday" in page.text
    assert "3 messages, newest first" in page.text
    assert re.search(r'<td class="date">\d{4}-\d\d-\d\d \d\d:\d\d UTC</td>', page.text)
    # Only an admin gets the clear button.
    assert "Clear outbox" not in page.text
    assert "Clear outbox" in sent.client("admin").get("/app/outbox").text


def test_the_list_is_paged(sent: WebServer) -> None:
    first = list_outbox(sent.outbox)[0]
    for number in range(57):
        shutil.copy(first.path, sent.outbox / f"20990101T000000.{number:06d}Z-000001.eml")
    client = sent.client("viewer")
    one = client.get("/app/outbox")
    assert len(ids_of(one.text)) == 50
    assert ids_of(one.text)[0] == "20990101T000000.000056Z-000001"
    assert "page 1 of 2" in one.text and 'rel="next"' in one.text
    two = client.get("/app/outbox?page=2")
    assert len(ids_of(two.text)) == 10
    assert ids_of(two.text)[-1] == first.id
    assert 'rel="prev"' in two.text and 'rel="next"' not in two.text
    assert client.get("/app/outbox?page=x").status_code == 200


def test_a_message_page_shows_headers_parts_and_source(sent: WebServer) -> None:
    entry = next(e for e in list_outbox(sent.outbox) if e.to == "an@example.com")
    page = sent.client("viewer").get(f"/app/outbox/{entry.id}")
    assert page.status_code == 200
    html = page.text
    for name in ("From", "To", "Subject", "Date", "List-Unsubscribe"):
        assert f"<dt>{name}</dt>" in html
    assert "<dd>an@example.com</dd>" in html
    assert "/u/" in html  # the List-Unsubscribe link
    frame = f'title="The HTML part of the message" src="/app/outbox/{entry.id}/html"'
    assert f'<iframe class="mail" {frame}' in html
    assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in html
    assert re.search(r'<pre class="code mail-text">Hi An,', html)
    assert "No attachments." in html
    assert f'href="/app/outbox/{entry.id}/raw" download="{entry.id}.eml"' in html
    assert "X-Hookline-Envelope-From: news@shop.example" in html  # the source


def test_the_html_part_is_served_inert_with_links_leaving_the_frame(sent: WebServer) -> None:
    entry = list_outbox(sent.outbox)[0]
    answer = sent.client("viewer").get(f"/app/outbox/{entry.id}/html")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    policy = answer.headers["content-security-policy"]
    assert MESSAGE_CSP.search(policy), policy
    assert "script-src" not in policy and "'unsafe-eval'" not in policy
    assert re.search(r'<head>\s*<base target="_blank">|<head><base target="_blank">', answer.text)
    assert f"{sent.url}/t/c/" in answer.text
    assert LANDING not in answer.text  # links go through the tracker


def test_the_text_and_raw_parts(sent: WebServer) -> None:
    entry = next(e for e in list_outbox(sent.outbox) if e.to == "binh@example.com")
    client = sent.client("viewer")
    text = client.get(f"/app/outbox/{entry.id}/text")
    assert text.status_code == 200
    assert text.headers["content-type"] == "text/plain; charset=utf-8"
    assert text.text.startswith("Hi Binh,")
    raw = client.get(f"/app/outbox/{entry.id}/raw")
    assert raw.status_code == 200
    assert raw.headers["content-type"] == "message/rfc822"
    assert raw.headers["content-disposition"] == f'attachment; filename="{entry.id}.eml"'
    assert raw.content == entry.path.read_bytes()


def test_attachments_are_listed_and_downloaded(web: WebServer) -> None:
    message = EmailMessage()
    message["From"] = "a@shop.example"
    message["To"] = "b@x.example"
    message["Subject"] = "Your invoice"
    message.set_content("See the attachment.")
    message.add_attachment(
        b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename="inv.pdf"
    )
    web.outbox.mkdir(parents=True, exist_ok=True)
    add_message(web.outbox, "20260101T000000.000000Z-000001", message)
    client = web.client("viewer")
    page = client.get("/app/outbox/20260101T000000.000000Z-000001")
    assert page.status_code == 200
    assert "inv.pdf" in page.text and "application/pdf, 13 bytes" in page.text
    assert "This message has no HTML part." in page.text
    got = client.get("/app/outbox/20260101T000000.000000Z-000001/attachments/1")
    assert got.content == b"%PDF-1.4 fake"
    assert got.headers["content-disposition"] == 'attachment; filename="inv.pdf"'
    assert client.get("/app/outbox/20260101T000000.000000Z-000001/attachments/2").status_code == 404
    assert client.get("/app/outbox/20260101T000000.000000Z-000001/html").status_code == 404


def test_unknown_partial_and_malformed_ids_are_404(sent: WebServer) -> None:
    client = sent.client("viewer")
    entry = list_outbox(sent.outbox)[0]
    for path in (
        "/app/outbox/20000101T000000.000000Z-000001",
        f"/app/outbox/{entry.id[:8]}",  # a prefix is enough for the CLI, not for an address
        "/app/outbox/20000101T000000.000000Z-000001/html",
        "/app/outbox/20000101T000000.000000Z-000001/raw",
        "/app/outbox/..%2Fhookline.db/raw",
    ):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert "Traceback" not in answer.text


def test_only_an_admin_can_clear_the_outbox(sent: WebServer) -> None:
    for role in ("viewer", "marketer"):
        assert sent.client(role).post("/app/outbox/clear").status_code == 403
    assert len(list_outbox(sent.outbox)) == 3
    admin = sent.client("admin")
    # Without the CSRF token the form is refused too.
    assert admin.http.post("/app/outbox/clear").status_code == 403
    cleared = admin.post("/app/outbox/clear")
    assert cleared.status_code == 200
    assert "Deleted 3 messages from the outbox." in cleared.text
    assert "The outbox is empty." in cleared.text
    assert list_outbox(sent.outbox) == []


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[WebServer]:
    """A server configured for a real SMTP relay (nothing is sent in the test)."""
    workdir = tmp_path / "relay"
    (workdir / "var").mkdir(parents=True)
    prepare_site(workdir)
    config = workdir / "config.toml"
    text = config.read_text(encoding="utf-8")
    assert text.count('\nurl = ""\n') == 1  # [smtp] url, the embedded default
    config.write_text(text.replace('\nurl = ""\n', '\nurl = "smtp://127.0.0.1:9"\n'), "utf-8")
    server = start_server(workdir)
    try:
        yield server
    finally:
        err = stop_server(server)
        assert "Traceback" not in err, err


def test_with_a_real_smtp_server_the_page_says_the_capture_is_not_in_use(
    smtp_server: WebServer,
) -> None:
    page = smtp_server.client("viewer").get("/app/outbox")
    assert page.status_code == 200
    assert "The capture is not in use" in page.text
    assert "The outbox is empty." in page.text
