"""Unsubscribe links (the page and RFC 8058 one-click) and the view-in-browser link."""

from __future__ import annotations

import json

from sqlalchemy import select

from audiences.models import ConsentRecord, Contact, Suppression
from campaigns.tokens import TokenSigner
from tests.campaigns.tracking.conftest import PEOPLE, Tracked, create_campaign

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


def sendable_count(tracked: Tracked) -> int:
    result = tracked.hookline.run("audience", "count", "--json")
    assert result.exit_code == 0, result.output
    count: int = json.loads(result.stdout)["count"]
    return count


def test_the_unsubscribe_page_asks_first_and_records_nothing(tracked: Tracked) -> None:
    token = tracked.signer.recipient_token(
        "unsubscribe", tracked.recipients["person0003@example.com"]
    )
    response = tracked.client.get(f"/u/{token}")
    assert response.status_code == 200
    assert "Unsubscribe p***@example.com from Jazz Shop mail?" in response.text
    assert '<form method="post">' in response.text
    assert "person0003" not in response.text
    assert tracked.event_count() == 0
    assert sendable_count(tracked) == PEOPLE


def test_a_one_click_post_unsubscribes_at_once(tracked: Tracked) -> None:
    email = "person0003@example.com"
    token = tracked.signer.recipient_token("unsubscribe", tracked.recipients[email])
    response = tracked.client.post(f"/u/{token}", data=ONE_CLICK)
    assert response.status_code == 200
    assert "You are unsubscribed" in response.text
    # Written before the response: nothing to flush.
    with tracked.db.session() as session:
        contact = session.scalars(select(Contact).where(Contact.email == email)).one()
        assert contact.email_consent == "withdrawn"
        record = session.scalars(
            select(ConsentRecord).where(ConsentRecord.contact_id == contact.id)
        ).all()[-1]
        assert (record.status, record.source, record.ip) == (
            "withdrawn",
            "unsubscribe (one-click)",
            "127.0.0.1",
        )
        assert session.scalars(
            select(Suppression.reason).where(Suppression.address_hash == contact.email_hash)
        ).all() == ["unsubscribed"]
    events = tracked.events("unsubscribe")
    assert [(e.recipient_id, e.source) for e in events] == [
        (tracked.recipients[email], "one-click")
    ]
    assert sendable_count(tracked) == PEOPLE - 1
    create_campaign(tracked.hookline, "next")
    assert tracked.hookline.start("next") == PEOPLE - 1
    assert email not in tracked.hookline.ledger("next")


def test_the_page_button_unsubscribes_once_however_often_it_is_pressed(tracked: Tracked) -> None:
    token = tracked.signer.recipient_token(
        "unsubscribe", tracked.recipients["person0004@example.com"]
    )
    for _ in range(2):
        response = tracked.client.post(f"/u/{token}", data={"confirm": "page"})
        assert response.status_code == 200
        assert "p***@example.com is unsubscribed from Jazz Shop mail" in response.text
    assert [e.source for e in tracked.events("unsubscribe")] == ["page"]
    assert sendable_count(tracked) == PEOPLE - 1


def test_a_post_with_any_body_unsubscribes(tracked: Tracked) -> None:
    token = tracked.signer.recipient_token(
        "unsubscribe", tracked.recipients["person0001@example.com"]
    )
    response = tracked.client.post(
        f"/u/{token}", content=b"\x00garbage", headers={"content-type": "multipart/form-data"}
    )
    assert response.status_code == 200
    assert sendable_count(tracked) == PEOPLE - 1


def test_a_forged_unsubscribe_token_gets_404_and_unsubscribes_nobody(tracked: Tracked) -> None:
    recipient = tracked.recipients["person0001@example.com"]
    forged = TokenSigner("another key").recipient_token("unsubscribe", recipient)
    view = tracked.signer.recipient_token("view", recipient)
    for token in (forged, view):
        assert tracked.client.get(f"/u/{token}").status_code == 404
        assert tracked.client.post(f"/u/{token}", data=ONE_CLICK).status_code == 404
    assert tracked.event_count() == 0
    assert sendable_count(tracked) == PEOPLE


def test_the_view_link_shows_the_recipients_own_message(tracked: Tracked) -> None:
    token = tracked.signer.recipient_token("view", tracked.recipients["person0002@example.com"])
    response = tracked.client.get(f"/v/{token}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "Hi Name0002," in response.text
    assert "Every order ships free to Hanoi" in response.text
    assert "script-src" not in response.headers["content-security-policy"]
    assert tracked.event_count() == 0


def test_the_view_link_of_a_forgotten_contact_gets_404(tracked: Tracked) -> None:
    email = "person0002@example.com"
    token = tracked.signer.recipient_token("view", tracked.recipients[email])
    result = tracked.hookline.run("audience", "forget", email)
    assert result.exit_code == 0, result.output
    assert tracked.client.get(f"/v/{token}").status_code == 404
    # Its unsubscribe link still answers: the address is suppressed already.
    unsubscribe = tracked.signer.recipient_token("unsubscribe", tracked.recipients[email])
    assert "You are unsubscribed" in tracked.client.get(f"/u/{unsubscribe}").text


def test_a_view_token_of_no_ledger_row_gets_404(tracked: Tracked) -> None:
    assert (
        tracked.client.get(f"/v/{tracked.signer.recipient_token('view', 999_999)}").status_code
        == 404
    )
