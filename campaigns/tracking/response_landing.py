"""The QR landing page of a letter: ``/r/{code}`` shows the offer, a button records it.

A letter's QR code opens ``{base_url}/r/{offer code}``. The GET shows the offer (the
campaign, the reader's code) with a "Use my code" button and records nothing, because
link prefetchers and QR scanner apps open URLs on their own. The button POSTs to the
same URL, which records a ``response`` event with source ``qr`` and the dedup key
``qr:{CODE}`` (the code in its canonical spelling), so pressing it twice, or scanning
``2k7-qx4m`` and ``2K7-QX4M``, counts once. Codes are read as every other response
route reads them (:mod:`campaigns.responses.conversions`): a forged or mistyped code,
or one whose message no longer exists, is not an offer.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from audiences.db import Database
from audiences.models import utcnow
from campaigns.events import Event, record_events
from campaigns.offer_codes import offer_code
from campaigns.responses.conversions import ConversionError, find_messages, read_code
from campaigns.tracking.pages import layout

SOURCE = "qr"
_STYLE = (
    "<style>.code{font:700 1.6rem/1.2 ui-monospace,monospace;letter-spacing:.08em;"
    "padding:.5rem .75rem;background:#f1f5f9;border-radius:6px;display:inline-block;"
    "word-break:break-all}"
    "form button{width:100%;font-size:1.1rem;padding:.8rem 1.2rem}"
    "@media (min-width:30rem){form button{width:auto}}</style>"
)


@dataclass(frozen=True)
class Offer:
    """What a genuine offer code stands for: its ledger row and campaign."""

    code: str
    recipient_id: int
    campaign_id: int
    campaign: str
    contact_id: int | None


def find_offer(db: Database, secret_key: str, written: str) -> Offer | None:
    """The offer behind a code from a URL; None when it is forged or its message is gone."""
    try:
        recipient_id = read_code(secret_key, written)
    except ConversionError:
        return None
    with db.engine.connect() as connection:
        message = find_messages(connection, [recipient_id]).get(recipient_id)
    if message is None:
        return None
    return Offer(
        code=offer_code(secret_key, recipient_id),
        recipient_id=message.recipient_id,
        campaign_id=message.campaign_id,
        campaign=message.campaign,
        contact_id=message.contact_id,
    )


def qr_response_event(offer: Offer) -> Event:
    """The ``response`` event of a code used on the landing page."""
    return Event(
        campaign_id=offer.campaign_id,
        recipient_id=offer.recipient_id,
        contact_id=offer.contact_id,
        kind="response",
        occurred_at=utcnow(),
        source=SOURCE,
        dedup_key=f"{SOURCE}:{offer.code}",
    )


def record_qr_response(db: Database, offer: Offer) -> bool:
    """Record the offer's response; False when the code was already used on the page."""
    with db.engine.begin() as connection:
        return bool(record_events(connection, [qr_response_event(offer)]))


def offer_page(offer: Offer) -> str:
    """The page a QR scan opens: the offer, the code, and a button that records it."""
    return layout(
        f"Your offer: {offer.campaign}",
        f"{_STYLE}<h1>Your offer from {escape(offer.campaign)}</h1>"
        "<p>This is the personal code printed on your letter:</p>"
        f'<p><span class="code" aria-label="Your code">{escape(offer.code)}</span></p>'
        "<p>Press the button to use it. Keep the code: you can also quote it in the "
        "shop or at checkout.</p>"
        '<form method="post" aria-label="Use my code">'
        '<button type="submit" name="use" value="1">Use my code</button></form>',
    )


def thanks_page(offer: Offer, new: bool) -> str:
    """After the button: the response is recorded (or already was)."""
    status = (
        "We have recorded your response."
        if new
        else "Your response was already recorded; you don't need to do anything else."
    )
    return layout(
        "Thank you",
        f"{_STYLE}<h1>Thank you</h1><p>{status}</p>"
        f'<p>Your code: <span class="code">{escape(offer.code)}</span></p>'
        f"<p>The offer from {escape(offer.campaign)} is yours: quote the code in the "
        "shop or at checkout.</p>",
    )
