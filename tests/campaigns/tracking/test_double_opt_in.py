"""Double opt-in: the form mails a link, nothing is stored until the POST that confirms."""

from __future__ import annotations

import dataclasses
import json
import re
import time
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import httpx
from sqlalchemy import func, select

from audiences.emails import address_hash
from audiences.models import ConsentRecord, Contact
from audiences.suppressions import suppress
from campaigns.smtp.outbox import list_outbox
from campaigns.tokens import TokenSigner
from campaigns.tracking.app import create_app
from campaigns.tracking.tracking_settings import TrackingSettings
from tests.campaigns.conftest import BASE_URL
from tests.campaigns.smtp_peer import SmtpPeer
from tests.campaigns.tracking.conftest import PEOPLE, SIGNUP_SENDER, Tracked
from tests.campaigns.tracking.live_server import serve

NEW = "Lan.Tran@Example.org"
LINK = re.compile(re.escape(BASE_URL) + r"(/confirm/\S+)")


def parse(content: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(content)
    assert isinstance(message, EmailMessage)
    return message


def confirm_path(message: EmailMessage) -> str:
    """The path of the confirmation link in the mail's text."""
    body = message.get_body(("plain",))
    assert body is not None
    match = LINK.search(body.get_content())
    assert match is not None, body.get_content()
    return match.group(1)


def contacts(tracked: Tracked) -> int:
    with tracked.db.engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(Contact)) or 0)


def signup(tracked: Tracked, email: str = NEW, first_name: str = "Lan") -> str:
    """Fill in the form; the path of the link mailed to the address."""
    response = tracked.client.post("/subscribe", data={"email": email, "first_name": first_name})
    assert response.status_code == 200, response.text
    assert "Check your inbox" in response.text
    return confirm_path(parse(tracked.peer.messages[-1][2]))


def test_the_signup_form_labels_its_fields(tracked: Tracked) -> None:
    response = tracked.client.get("/subscribe")
    assert response.status_code == 200
    assert '<label for="email">' in response.text
    assert '<label for="first_name">' in response.text


def test_signup_mails_a_link_and_confirming_records_consent_with_proof(
    tracked: Tracked, smtp_peer: SmtpPeer
) -> None:
    path = signup(tracked)
    sender, recipients, content = smtp_peer.messages[-1]
    message = parse(content)
    assert recipients == ["lan.tran@example.org"]
    assert sender == "hello@shop.example.com"
    assert message["Subject"] == "Confirm your subscription to our newsletter"
    assert message["From"] == SIGNUP_SENDER
    # Nothing is stored before the confirmation, not even on the confirm page.
    assert contacts(tracked) == PEOPLE
    page = tracked.client.get(path)
    assert page.status_code == 200
    assert "Subscribe l***@example.org to our newsletter?" in page.text
    assert contacts(tracked) == PEOPLE

    done = tracked.client.post(path)
    assert done.status_code == 200
    assert "You are subscribed" in done.text
    with tracked.db.session() as session:
        contact = session.scalars(
            select(Contact).where(Contact.email == "lan.tran@example.org")
        ).one()
        assert (contact.first_name, contact.email_consent) == ("Lan", "granted")
        [record] = session.scalars(
            select(ConsentRecord).where(ConsentRecord.contact_id == contact.id)
        ).all()
    assert (record.channel, record.status, record.source) == ("email", "granted", "double opt-in")
    assert record.ip == "127.0.0.1"
    assert record.confirmed_at is not None
    proof = json.loads(record.proof or "")
    assert proof["address"] == "lan.tran@example.org"
    assert proof["subscribed_ip"] == "127.0.0.1"
    assert proof["confirmed_ip"] == "127.0.0.1"
    assert proof["subscribed_at"] <= proof["confirmed_at"]

    # Confirming again changes nothing.
    assert tracked.client.post(path).status_code == 200
    with tracked.db.engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(ConsentRecord)) == 1
    result = tracked.hookline.run("audience", "count", "--json")
    assert json.loads(result.stdout)["count"] == PEOPLE + 1


def test_confirming_lifts_an_earlier_unsubscribe_but_not_a_bounce(
    tracked: Tracked, smtp_peer: SmtpPeer
) -> None:
    with tracked.db.engine.begin() as connection:
        suppress(connection, address_hash("person0001@example.com"), "email", "unsubscribed")
        suppress(connection, address_hash("person0002@example.com"), "email", "hard_bounce")
    for email in ("person0001@example.com", "person0002@example.com"):
        assert tracked.client.post(signup(tracked, email)).status_code == 200
    result = tracked.hookline.run("audience", "count", "--json")
    assert json.loads(result.stdout)["count"] == PEOPLE - 1


def test_an_invalid_address_is_refused_and_nothing_is_mailed(
    tracked: Tracked, smtp_peer: SmtpPeer
) -> None:
    response = tracked.client.post("/subscribe", data={"email": "lan@", "first_name": "<b>Lan"})
    assert response.status_code == 400
    assert "That address cannot receive mail" in response.text
    assert "&lt;b&gt;Lan" in response.text
    assert smtp_peer.messages == []


def test_a_filled_honeypot_mails_nothing(tracked: Tracked, smtp_peer: SmtpPeer) -> None:
    response = tracked.client.post(
        "/subscribe", data={"email": NEW, "website": "http://spam.example"}
    )
    assert response.status_code == 200
    assert smtp_peer.messages == []


def test_an_expired_or_forged_confirm_token_gets_404_and_stores_nothing(tracked: Tracked) -> None:
    eight_days_ago = int(time.time()) - 8 * 86400
    expired = tracked.signer.confirm_token(NEW, "Lan", "127.0.0.1", eight_days_ago)
    forged = TokenSigner("another key").confirm_token(NEW, "Lan", "127.0.0.1")
    other_purpose = tracked.signer.recipient_token("unsubscribe", 1)
    payload, signature = tracked.signer.confirm_token(NEW, "Lan", "127.0.0.1").split(".")
    altered = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1] + "." + signature
    for token in (expired, forged, other_purpose, altered):
        assert tracked.client.get(f"/confirm/{token}").status_code == 404
        assert tracked.client.post(f"/confirm/{token}").status_code == 404
    assert contacts(tracked) == PEOPLE


def test_the_signup_limit_per_client_address(tracked: Tracked, smtp_peer: SmtpPeer) -> None:
    tracking = TrackingSettings(subscribe_per_hour=2, subscribe_from=SIGNUP_SENDER)
    app = create_app(tracked.hookline.settings(), tracked.db, tracking=tracking)
    with serve(app) as server, httpx.Client(base_url=server.url) as client:
        codes = [
            client.post("/subscribe", data={"email": f"a{i}@example.org"}).status_code
            for i in range(3)
        ]
    assert codes == [200, 200, 429]
    assert len(smtp_peer.messages) == 2


def test_without_an_smtp_server_the_confirmation_goes_to_the_outbox(
    tracked: Tracked, tmp_path: Path
) -> None:
    settings = tracked.hookline.settings()
    outbox = tmp_path / "embedded-outbox"
    embedded = dataclasses.replace(
        settings, smtp=dataclasses.replace(settings.smtp, url=""), outbox=outbox
    )
    tracking = TrackingSettings(subscribe_from=SIGNUP_SENDER)
    app = create_app(embedded, tracked.db, tracking=tracking)
    with serve(app) as server, httpx.Client(base_url=server.url) as client:
        assert client.post("/subscribe", data={"email": NEW}).status_code == 200
        [entry] = list_outbox(outbox)
        path = confirm_path(parse(entry.path.read_bytes()))
        assert client.post(path).status_code == 200
    assert contacts(tracked) == PEOPLE + 1
