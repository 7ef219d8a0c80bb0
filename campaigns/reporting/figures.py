"""The report's counts: ledger states, engagement events, and the rates derived from them.

Definitions (every figure is an exact count from the database):

- ledger states come from the send ledger: ``recipients`` is every row, ``sent`` the
  messages the server accepted (the delivered ones), ``bounced`` those it refused (or
  a DSN later reported as hard bounces), ``failed`` those given up after retries;
- ``opens`` and ``clicks`` count every event, ``unique_opens`` and ``unique_clicks``
  the recipients with at least one;
- ``unsubscribes``, ``complaints``, ``replies`` and ``responses`` count recipients
  (a recipient who replied twice is one reply);
- ``soft_bounces`` counts soft-bounce reports (a message may be delayed twice).

Rates are over delivered messages (``sent``), except ``click_to_open`` (unique clicks
over unique opens) and ``bounce_rate`` (bounced over attempted: sent, bounced and
failed). A rate over zero is None.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Connection, distinct, func, select

from campaigns import ledger
from campaigns.models import RECIPIENT_STATES, CampaignEvent

RATE_DIGITS = 4
# Kinds counted per recipient rather than per event.
PER_RECIPIENT = {"unsubscribe": "unsubscribes", "complaint": "complaints", "reply": "replies"}


def rate(part: int, whole: int) -> float | None:
    """``part / whole`` rounded to :data:`RATE_DIGITS` places; None when ``whole`` is 0."""
    return round(part / whole, RATE_DIGITS) if whole else None


def money(amount: Decimal | None) -> str | None:
    """An amount as a string with two decimals (JSON keeps money exact as text)."""
    if amount is None:
        return None
    return str(amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class EventCounts:
    """How many events of a kind, and how many recipients had one."""

    events: int = 0
    recipients: int = 0


def ledger_figures(connection: Connection, campaign_id: int) -> dict[str, int]:
    """``recipients`` and one count per ledger state (every state, zeros included)."""
    counts = ledger.state_counts(connection, campaign_id)
    figures = {state: counts.get(state, 0) for state in RECIPIENT_STATES}
    return {"recipients": sum(figures.values()), **figures}


def event_counts(connection: Connection, campaign_id: int) -> dict[str, EventCounts]:
    """Per event kind: events and distinct recipients, in one grouped query."""
    rows = connection.execute(
        select(
            CampaignEvent.kind,
            func.count(),
            func.count(distinct(CampaignEvent.recipient_id)),
        )
        .where(CampaignEvent.campaign_id == campaign_id)
        .group_by(CampaignEvent.kind)
    )
    return {kind: EventCounts(events, people) for kind, events, people in rows}


def engagement_figures(counts: dict[str, EventCounts]) -> dict[str, int]:
    """Opens, clicks, unsubscribes, complaints, replies and soft bounces."""

    def of(kind: str) -> EventCounts:
        return counts.get(kind, EventCounts())

    figures = {
        "opens": of("open").events,
        "unique_opens": of("open").recipients,
        "clicks": of("click").events,
        "unique_clicks": of("click").recipients,
    }
    figures.update({name: of(kind).recipients for kind, name in PER_RECIPIENT.items()})
    figures["soft_bounces"] = of("soft_bounce").events
    return figures


def rates(figures: dict[str, int]) -> dict[str, float | None]:
    """The rates of the module doc, from the ledger, engagement and response figures."""
    sent = figures["sent"]
    attempted = sent + figures["bounced"] + figures["failed"]
    return {
        "delivery_rate": rate(sent, figures["recipients"]),
        "bounce_rate": rate(figures["bounced"], attempted),
        "open_rate": rate(figures["unique_opens"], sent),
        "click_rate": rate(figures["unique_clicks"], sent),
        "click_to_open": rate(figures["unique_clicks"], figures["unique_opens"]),
        "unsubscribe_rate": rate(figures["unsubscribes"], sent),
        "complaint_rate": rate(figures["complaints"], sent),
        "response_rate": rate(figures["responses"], sent),
    }
