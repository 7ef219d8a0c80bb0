"""The QR landing page of a letter, over a real socket: ``GET|POST /r/{code}``.

A letter campaign "gift" is created from the example letter and its ledger rows are
written directly (printing letters is not what is under test); the tracking app of
the ``tracked`` fixture serves it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from campaigns.models import Campaign, CampaignEvent
from campaigns.offer_codes import offer_code
from tests.campaigns.conftest import SECRET_KEY
from tests.campaigns.people import add_people
from tests.campaigns.responses.ledger_builder import T0, add_recipient, contact_ids
from tests.campaigns.tracking.conftest import REPO, Tracked

LETTER = REPO / "templates" / "letters" / "reply-card-gift.html.j2"
POSTAL = {"address_line1": "1 Trang Tien", "city": "Hanoi", "country": "VN"}


@dataclass
class Gift:
    """The letter campaign: its id, and the ledger rows with their contacts."""

    campaign_id: int
    rows: list[tuple[int, int]]

    def code(self, index: int = 0) -> str:
        """The offer code printed on letter ``index``."""
        return offer_code(SECRET_KEY, self.rows[index][0])


@pytest.fixture
def gift(tracked: Tracked) -> Iterator[Gift]:
    """A letter campaign with three letters sent, beside the tracked email campaign."""
    result = tracked.hookline.run("campaign", "create", "gift", "--template", str(LETTER))
    assert result.exit_code == 0, result.output
    with tracked.db.engine.connect() as connection:
        campaign_id = connection.scalar(select(Campaign.id).where(Campaign.name == "gift"))
    assert campaign_id is not None
    people = contact_ids(tracked.db, add_people(tracked.db, 3, prefix="reader", **POSTAL))
    rows = [(add_recipient(tracked.db, campaign_id, c, sent_at=T0), c) for c in people]
    yield Gift(campaign_id, rows)


def responses(tracked: Tracked) -> list[CampaignEvent]:
    """Every response event recorded so far."""
    return tracked.events("response")


def test_the_landing_page_shows_the_offer_and_records_nothing(tracked: Tracked, gift: Gift) -> None:
    response = tracked.client.get(f"/r/{gift.code()}")

    assert response.status_code == 200
    page = response.text
    assert "Your offer from gift" in page
    assert gift.code() in page
    assert '<form method="post" aria-label="Use my code">' in page
    assert ">Use my code</button>" in page
    # Phone width: the viewport is the device's, and the button spans a narrow screen.
    assert '<meta name="viewport" content="width=device-width,initial-scale=1">' in page
    assert "form button{width:100%" in page
    assert response.headers["cache-control"].startswith("no-store")
    assert response.headers["referrer-policy"] == "no-referrer"
    assert tracked.event_count() == 0


def test_a_head_or_repeated_get_records_nothing(tracked: Tracked, gift: Gift) -> None:
    for _ in range(3):
        assert tracked.client.get(f"/r/{gift.code()}").status_code == 200
    assert tracked.client.head(f"/r/{gift.code()}").status_code == 200
    assert tracked.event_count() == 0


def test_the_button_records_one_qr_response(tracked: Tracked, gift: Gift) -> None:
    recipient_id, contact_id = gift.rows[1]
    code = gift.code(1)

    response = tracked.client.post(f"/r/{code}", data={"use": "1"})

    assert response.status_code == 200
    assert "Thank you" in response.text
    assert "We have recorded your response." in response.text
    assert code in response.text
    (event,) = responses(tracked)
    assert (event.campaign_id, event.recipient_id, event.contact_id) == (
        gift.campaign_id,
        recipient_id,
        contact_id,
    )
    assert (event.kind, event.source, event.dedup_key) == ("response", "qr", f"qr:{code}")
    assert (event.amount, event.url) == (None, None)


def test_the_code_counts_once_however_often_and_however_it_is_spelt(
    tracked: Tracked, gift: Gift
) -> None:
    code = gift.code()
    assert tracked.client.post(f"/r/{code}").status_code == 200
    # A QR reader may lower-case the URL; Crockford reads O as 0 and I or L as 1.
    again = tracked.client.post(f"/r/{code.lower()}")

    assert again.status_code == 200
    assert "already recorded" in again.text
    assert [event.dedup_key for event in responses(tracked)] == [f"qr:{code}"]


def test_a_lower_case_code_shows_the_canonical_code(tracked: Tracked, gift: Gift) -> None:
    page = tracked.client.get(f"/r/{gift.code().lower()}").text
    assert gift.code() in page


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_forged_code_is_404_and_records_nothing(
    tracked: Tracked, gift: Gift, method: str
) -> None:
    code = gift.code()
    last = code[-1]
    forged = code[:-1] + ("Z" if last != "Z" else "Y")
    # A genuine code whose message doesn't exist, and things that aren't codes at all.
    unknown = offer_code(SECRET_KEY, 987654)
    for bad in (forged, unknown, "nonsense", "0-0000", "%20", "A" * 80):
        response = tracked.client.request(method, f"/r/{bad}")
        assert response.status_code == 404, bad
        assert "This link doesn't work" in response.text
    assert tracked.event_count() == 0


def test_a_code_of_another_secret_is_forged(tracked: Tracked, gift: Gift) -> None:
    other = offer_code("another-deployment", gift.rows[0][0])
    assert tracked.client.post(f"/r/{other}").status_code == 404
    assert tracked.event_count() == 0


def test_qr_responses_appear_in_the_campaign_report(tracked: Tracked, gift: Gift) -> None:
    tracked.client.post(f"/r/{gift.code(0)}")
    tracked.client.post(f"/r/{gift.code(2)}")
    tracked.client.post(f"/r/{gift.code(2)}")

    result = tracked.hookline.run("campaign", "report", "gift", "--json")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["channel"], report["sent"], report["responses"]) == ("letter", 3, 2)
    assert report["response_rate"] == 0.6667
