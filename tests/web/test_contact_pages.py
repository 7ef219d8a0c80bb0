"""The contact pages: search, paging, and one contact with everything held on them."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal

from audiences.consent import record_consent
from audiences.emails import address_hash
from audiences.models import Contact, Order, Suppression, Tag
from campaigns.models import Campaign, CampaignEvent, Recipient
from tests.web.conftest import WebServer


def add_contacts(web: WebServer, count: int, city: str = "Hue") -> None:
    """``count`` plain contacts person000@example.com... with consent."""
    db = web.open_db()
    try:
        with db.session() as session, session.begin():
            for n in range(count):
                email = f"person{n:03d}@example.com"
                session.add(
                    Contact(
                        email=email,
                        email_hash=address_hash(email),
                        first_name="Person",
                        last_name=f"{n:03d}",
                        city=city,
                        email_consent="granted",
                    )
                )
    finally:
        db.engine.dispose()


def add_lan(web: WebServer) -> int:
    """Lan: consent granted then withdrawn, two orders, a tag, unsubscribed from a campaign."""
    db = web.open_db()
    try:
        with db.session() as session, session.begin():
            lan = Contact(
                email="lan@example.com",
                email_hash=address_hash("lan@example.com"),
                first_name="Lan",
                last_name="Nguyen",
                city="Hanoi",
                attrs={"store": "Hoàn Kiếm"},
                tier="Gold",
                rfm_recency=5,
                rfm_frequency=3,
                rfm_monetary=4,
            )
            lan.tags.append(Tag(name="jazz"))
            session.add(lan)
            session.flush()
            record_consent(
                session,
                lan,
                "email",
                "granted",
                "form:newsletter",
                recorded_at=datetime(2026, 1, 2, 9, 30),
                ip="203.0.113.7",
                proof="double opt-in token abc123",
            )
            record_consent(
                session,
                lan,
                "email",
                "withdrawn",
                "unsubscribe:one-click",
                recorded_at=datetime(2026, 3, 4, 8, 0),
            )
            session.add(
                Order(
                    order_id="ORD-1001",
                    contact_id=lan.id,
                    amount=Decimal("1250000.00"),
                    currency="VND",
                    ordered_at=datetime(2026, 2, 1, 10, 0),
                    category="vinyl",
                )
            )
            session.add(
                Suppression(
                    address_hash=lan.email_hash,
                    channel="email",
                    reason="unsubscribed",
                    created_at=datetime(2026, 3, 4, 8, 0),
                )
            )
            campaign = Campaign(
                name="spring-sale",
                state="done",
                template_path="templates/spring.html",
                template_source="<p>Hi</p>",
                from_addr="Shop <news@shop.example>",
            )
            session.add(campaign)
            session.flush()
            recipient = Recipient(
                campaign_id=campaign.id,
                contact_id=lan.id,
                state="sent",
                sent_at=datetime(2026, 3, 1, 7, 0),
            )
            session.add(recipient)
            session.flush()
            for kind, minute, extra in (
                ("open", 5, {}),
                ("click", 6, {"url": "https://shop.example/sale"}),
                ("response", 7, {"amount": Decimal("350000"), "currency": "VND"}),
                ("unsubscribe", 8, {"source": "one-click"}),
            ):
                session.add(
                    CampaignEvent(
                        campaign_id=campaign.id,
                        recipient_id=recipient.id,
                        contact_id=lan.id,
                        kind=kind,
                        occurred_at=datetime(2026, 3, 1, 7, minute),
                        **extra,
                    )
                )
            return lan.id
    finally:
        db.engine.dispose()


def emails(html: str) -> list[str]:
    """The addresses listed in the results table."""
    return re.findall(r'/app/contacts/\d+">([^<]+)</a>', html)


def test_search_by_name_address_and_segment(web: WebServer) -> None:
    add_contacts(web, 3)
    add_lan(web)
    client = web.client("viewer")
    assert emails(client.get("/app/contacts", params={"q": "nguyen"}).text) == ["lan@example.com"]
    assert emails(client.get("/app/contacts", params={"q": "LAN NGU"}).text) == ["lan@example.com"]
    assert len(emails(client.get("/app/contacts", params={"q": "@example.com"}).text)) == 4
    assert emails(client.get("/app/contacts", params={"q": "100%"}).text) == []
    found = client.get("/app/contacts", params={"segment": 'city = "Hanoi" and tag "jazz"'})
    # The search shows every contact, sendable or not: Lan is suppressed.
    assert emails(found.text) == ["lan@example.com"]
    assert "suppressed" in found.text
    assert re.search(r'badge-warning">withdrawn', found.text)
    assert "jazz" in found.text and "Gold" in found.text


def test_a_bad_segment_query_in_the_search_is_marked_at_its_fault(web: WebServer) -> None:
    answer = web.client("viewer").get("/app/contacts", params={"segment": 'cty = "Hanoi"'})
    assert answer.status_code == 400
    assert "unknown field `cty`; did you mean `city`?" in answer.text
    assert "<mark>cty</mark>" in answer.text
    assert 'aria-invalid="true"' in answer.text


def test_results_come_fifty_to_a_page(web: WebServer) -> None:
    add_contacts(web, 120)
    client = web.client("viewer")
    first = client.get("/app/contacts")
    assert len(emails(first.text)) == 50
    assert "Contacts 1–50 of 120." in first.text
    assert "Page 1 of 3" in first.text
    last = client.get("/app/contacts", params={"page": "3"})
    assert len(emails(last.text)) == 20
    assert "Contacts 101–120 of 120." in last.text
    assert 'rel="prev"' in last.text and 'rel="next"' not in last.text
    # A page past the end shows the last one; nonsense shows the first.
    assert "Contacts 101–120" in client.get("/app/contacts", params={"page": "99"}).text
    assert "Contacts 1–50" in client.get("/app/contacts", params={"page": "x"}).text


def test_contact_page_shows_consent_orders_suppression_campaigns_and_events(
    web: WebServer,
) -> None:
    contact_id = add_lan(web)
    page = web.client("viewer").get(f"/app/contacts/{contact_id}")
    assert page.status_code == 200
    html = page.text
    assert "<h1>Lan Nguyen</h1>" in html
    assert "Suppressed: unsubscribed 2026-03-04 08:00 UTC" in html
    assert "Not sendable by email" in html
    # Consent history, with its proof, oldest first.
    granted = html.index("form:newsletter")
    withdrawn = html.index("unsubscribe:one-click")
    assert granted < withdrawn
    assert "double opt-in token abc123" in html and "203.0.113.7" in html
    assert "2026-01-02 09:30 UTC" in html
    # Orders, tier and RFM, attributes and tags.
    assert "ORD-1001" in html and "1250000.00" in html and "vinyl" in html
    assert "recency 5 · frequency 3 · monetary 4" in html
    assert "attr.store" in html and "Hoàn Kiếm" in html
    assert ">jazz<" in html
    # The campaign sent, and what Lan did with it.
    assert '<a href="/app/campaigns/spring-sale">spring-sale</a>' in html
    assert "2026-03-01 07:00 UTC" in html
    events = html[html.index('id="h-events"') :]
    for kind in ("open", "click", "response", "unsubscribe"):
        assert f"<td>{kind}</td>" in events
    assert "https://shop.example/sale" in events
    assert "350000.00 VND" in events


def test_a_contact_without_history_says_so(web: WebServer) -> None:
    add_contacts(web, 1)
    client = web.client("viewer")
    listed = client.get("/app/contacts")
    link = re.search(r'/app/contacts/(\d+)"', listed.text)
    assert link
    html = client.get(f"/app/contacts/{link.group(1)}").text
    assert "Sendable by email" in html and "Suppressed:" not in html
    assert "No orders." in html
    assert "No campaign has been sent to this contact." in html


def test_an_unknown_contact_is_not_found(web: WebServer) -> None:
    answer = web.client("viewer").get("/app/contacts/999999")
    assert answer.status_code == 404
    assert "No such contact" in answer.text
