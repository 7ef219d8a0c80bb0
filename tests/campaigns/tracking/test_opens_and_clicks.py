"""The open pixel and tracked links, over a real socket: what is recorded, what is refused."""

from __future__ import annotations

import pytest

from campaigns.tokens import TokenSigner
from tests.campaigns.tracking.conftest import Tracked

SHOP = "https://shop.example.com/jazz-sale?utm_source=mail&x=é"


def alter(token: str, at: int) -> str:
    """``token`` with one character changed at index ``at``."""
    char = token[at]
    replacement = "A" if char != "A" else "B"
    return token[:at] + replacement + token[at + 1 :]


def test_the_pixel_is_an_uncached_gif_and_each_request_records_one_open(tracked: Tracked) -> None:
    recipient = tracked.recipients["person0001@example.com"]
    token = tracked.signer.recipient_token("open", recipient)
    for _ in range(3):
        response = tracked.client.get(f"/t/o/{token}")
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/gif"
        assert response.content.startswith(b"GIF89a")
        assert response.headers["cache-control"] == (
            "no-store, no-cache, must-revalidate, max-age=0"
        )
        assert response.headers["pragma"] == "no-cache"
    opens = tracked.events("open")
    assert len(opens) == 3
    assert {(e.recipient_id, e.source) for e in opens} == {(recipient, "pixel")}
    campaign_ids = {e.campaign_id for e in opens}
    contact_ids = {e.contact_id for e in opens}
    assert len(campaign_ids) == 1 and None not in contact_ids


def test_a_head_request_on_the_pixel_records_nothing(tracked: Tracked) -> None:
    token = tracked.signer.recipient_token("open", tracked.recipients["person0001@example.com"])
    assert tracked.client.head(f"/t/o/{token}").status_code == 200
    assert tracked.event_count() == 0


def test_a_click_is_recorded_and_redirects_to_the_signed_url(tracked: Tracked) -> None:
    recipient = tracked.recipients["person0002@example.com"]
    token = tracked.signer.click_token(recipient, SHOP)
    response = tracked.client.get(f"/t/c/{token}")
    assert response.status_code == 302
    assert (
        response.headers["location"]
        == "https://shop.example.com/jazz-sale?utm_source=mail&x=%C3%A9"
    )
    assert response.headers["referrer-policy"] == "no-referrer"
    clicks = tracked.events("click")
    assert [(e.recipient_id, e.url, e.source) for e in clicks] == [(recipient, SHOP, "link")]


@pytest.mark.parametrize("where", ["payload", "signature"])
def test_an_altered_token_gets_404_and_records_nothing(tracked: Tracked, where: str) -> None:
    recipient = tracked.recipients["person0001@example.com"]
    click = tracked.signer.click_token(recipient, SHOP)
    pixel = tracked.signer.recipient_token("open", recipient)
    for path, token in (("/t/c/", click), ("/t/o/", pixel)):
        at = 2 if where == "payload" else len(token) - 3
        response = tracked.client.get(path + alter(token, at))
        assert response.status_code == 404, path
    # Another row's id under this row's signature, too.
    other = tracked.signer.recipient_token("open", recipient + 1).split(".")[0]
    assert tracked.client.get(f"/t/o/{other}.{pixel.split('.')[1]}").status_code == 404
    assert tracked.event_count() == 0


def test_a_token_signed_with_another_key_gets_404(tracked: Tracked) -> None:
    recipient = tracked.recipients["person0001@example.com"]
    stranger = TokenSigner("not-this-deployment's-key")
    assert tracked.client.get(f"/t/c/{stranger.click_token(recipient, SHOP)}").status_code == 404
    assert (
        tracked.client.get(f"/t/o/{stranger.recipient_token('open', recipient)}").status_code == 404
    )
    assert tracked.event_count() == 0


def test_a_token_for_another_purpose_gets_404(tracked: Tracked) -> None:
    recipient = tracked.recipients["person0001@example.com"]
    unsubscribe = tracked.signer.recipient_token("unsubscribe", recipient)
    assert tracked.client.get(f"/t/o/{unsubscribe}").status_code == 404
    assert tracked.client.get(f"/t/c/{unsubscribe}").status_code == 404
    assert tracked.event_count() == 0


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "mailto:a@example.com", "ftp://files.example.com/x", "https://"]
)
def test_a_signed_link_that_is_not_a_web_url_gets_404(tracked: Tracked, url: str) -> None:
    token = tracked.signer.click_token(tracked.recipients["person0001@example.com"], url)
    assert tracked.client.get(f"/t/c/{token}").status_code == 404
    assert tracked.event_count() == 0


def test_an_event_for_a_row_that_does_not_exist_records_nothing(tracked: Tracked) -> None:
    token = tracked.signer.recipient_token("open", 999_999)
    assert tracked.client.get(f"/t/o/{token}").status_code == 200
    assert tracked.event_count() == 0


def test_healthz_says_ok(tracked: Tracked) -> None:
    response = tracked.client.get("/healthz")
    assert (response.status_code, response.text) == (200, "ok")
