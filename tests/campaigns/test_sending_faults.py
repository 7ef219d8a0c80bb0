"""Sending through a misbehaving SMTP server: bounces, deferrals, drops, render failures.

Each test runs ``hookline campaign send`` against the SMTP peer with faults injected,
then checks the ledger, the suppressions and the messages the peer accepted.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import select

from audiences.db import Database
from audiences.emails import address_hash
from audiences.models import Suppression
from audiences.suppressions import suppress
from campaigns.offer_codes import read_offer_code
from tests.campaigns.conftest import Hookline, LedgerRow
from tests.campaigns.people import add_people
from tests.campaigns.smtp_peer import SmtpPeer

REPO = Path(__file__).resolve().parents[2]
VIETNAMESE = REPO / "templates" / "vi" / "khuyen-mai-jazz.html.j2"
JAZZ = REPO / "templates" / "en" / "jazz-sale.html.j2"
RENDER_FAILS = REPO / "tests" / "fixtures" / "campaigns" / "templates" / "render-fails.html.j2"
SENDER = "Hookline Records <news@shop.example.com>"
BASE_URL = "https://hooks.example.com"
VI_SUBJECT = "{} ơi, tiết kiệm 60% khi mua đĩa CD jazz đến thứ Sáu"
OFFER_CODE = re.compile(r"Mã ưu đãi của bạn là ([0-9A-Z]+-[0-9A-Z]{4})")

CONTACTS = 30
BOUNCING = "person0004@example.com"
DEFERRED = "person0009@example.com"


def create(hookline: Hookline, name: str, template: Path) -> None:
    result = hookline.run("campaign", "create", name, "--template", str(template), "--from", SENDER)
    assert result.exit_code == 0, result.output


def send(hookline: Hookline, name: str) -> Result:
    result = hookline.run("campaign", "send", name)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    return result


def parse(content: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(content)
    assert isinstance(message, EmailMessage)
    return message


def deliveries(peer: SmtpPeer) -> Counter[str]:
    """How many messages the peer accepted per envelope recipient."""
    return Counter(rcpt for _sender, rcpts, _content in peer.messages for rcpt in rcpts)


def messages_by_recipient(peer: SmtpPeer) -> dict[str, EmailMessage]:
    messages: dict[str, EmailMessage] = {}
    for _sender, rcpts, content in peer.messages:
        assert len(rcpts) == 1, rcpts
        messages[rcpts[0]] = parse(content)
    return messages


def part_text(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None, f"no text/{subtype} part"
    content = part.get_content()
    assert isinstance(content, str)
    return content


@dataclass
class FaultySend:
    """A 30-recipient send through every fault at once, and what came of it."""

    result: Result
    emails: list[str]
    ledger: dict[str, LedgerRow]
    peer: SmtpPeer


@pytest.fixture
def faulty_send(hookline: Hookline, campaign_db: Database, smtp_peer: SmtpPeer) -> FaultySend:
    """The Vietnamese jazz campaign sent to 30 contacts while the peer misbehaves.

    One address is refused for good (550), one deferred twice (451), the connection
    drops during the 5th DATA, and the first DATA is refused once (451).
    """
    emails = add_people(campaign_db, CONTACTS)
    create(hookline, "khuyen-mai", VIETNAMESE)
    smtp_peer.reject_recipient(BOUNCING, 550)
    smtp_peer.defer_recipient(DEFERRED, times=2, code=451)
    smtp_peer.fail_data_once(451)
    smtp_peer.drop_after(5)

    result = send(hookline, "khuyen-mai")

    return FaultySend(result, emails, hookline.ledger("khuyen-mai"), smtp_peer)


# -- outcomes ----------------------------------------------------------------------------


def test_a_refused_recipient_is_recorded_as_bounced_with_the_smtp_code(
    faulty_send: FaultySend,
) -> None:
    row = faulty_send.ledger[BOUNCING]

    assert faulty_send.result.exit_code == 0, faulty_send.result.output
    assert row.state == "bounced"
    assert row.smtp_code == 550
    assert row.detail is not None and "user unknown" in row.detail
    assert deliveries(faulty_send.peer)[BOUNCING] == 0


def test_a_hard_bounce_suppresses_the_address_for_later_campaigns(
    faulty_send: FaultySend, hookline: Hookline, campaign_db: Database
) -> None:
    with campaign_db.session() as session:
        reasons = session.scalars(
            select(Suppression.reason).where(
                Suppression.address_hash == address_hash(BOUNCING), Suppression.channel == "email"
            )
        ).all()
    create(hookline, "next-sale", JAZZ)

    snapshot = hookline.start("next-sale")

    assert reasons == ["hard_bounce"]
    assert snapshot == CONTACTS - 1
    assert BOUNCING not in hookline.ledger("next-sale")


def test_a_deferred_recipient_is_retried_until_sent_exactly_once(
    faulty_send: FaultySend,
) -> None:
    row = faulty_send.ledger[DEFERRED]

    assert row.state == "sent"
    assert row.attempts == 3
    assert deliveries(faulty_send.peer)[DEFERRED] == 1


def test_dropped_and_refused_data_are_retried_and_everyone_gets_exactly_one_message(
    faulty_send: FaultySend,
) -> None:
    expected = {email: 1 for email in faulty_send.emails if email != BOUNCING}
    retried = sorted(row.attempts for email, row in faulty_send.ledger.items() if email != DEFERRED)

    assert dict(deliveries(faulty_send.peer)) == expected
    assert {row.state for e, row in faulty_send.ledger.items() if e != BOUNCING} == {"sent"}
    # The message refused at DATA and the one whose connection dropped took two attempts.
    assert retried == [1] * (CONTACTS - 3) + [2, 2]
    assert "sent 29, bounced 1, failed 0, skipped 0 of 30" in faulty_send.result.stdout


# -- the messages ------------------------------------------------------------------------


def test_every_message_is_multipart_alternative_with_one_click_unsubscribe(
    faulty_send: FaultySend,
) -> None:
    messages = messages_by_recipient(faulty_send.peer)

    assert len(messages) == CONTACTS - 1
    for address, message in messages.items():
        assert message.get_content_type() == "multipart/alternative", address
        assert message["To"] == address
        unsubscribe = str(message["List-Unsubscribe"])
        assert f"<{BASE_URL}/u/" in unsubscribe, unsubscribe
        assert "<mailto:unsubscribe@shop.example.com?subject=unsubscribe" in unsubscribe
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_every_message_has_its_own_message_id(faulty_send: FaultySend) -> None:
    ids = [message["Message-ID"] for message in messages_by_recipient(faulty_send.peer).values()]

    assert all(ids)
    assert len(set(ids)) == len(ids) == CONTACTS - 1


def test_links_go_through_the_click_tracker_and_an_open_pixel_is_added(
    faulty_send: FaultySend,
) -> None:
    for address, message in messages_by_recipient(faulty_send.peer).items():
        html = part_text(message, "html")
        hrefs = re.findall(r'href="([^"]+)"', html)
        assert hrefs, address
        assert [h for h in hrefs if not h.startswith(f"{BASE_URL}/")] == [], address
        assert sum(h.startswith(f"{BASE_URL}/t/c/") for h in hrefs) == 2, hrefs
        assert any(h.startswith(f"{BASE_URL}/u/") for h in hrefs), hrefs
        assert re.search(rf'<img[^>]+src="{re.escape(BASE_URL)}/t/o/[^"]+"', html), address


def test_the_vietnamese_subject_and_body_decode_intact(faulty_send: FaultySend) -> None:
    for address, message in messages_by_recipient(faulty_send.peer).items():
        first_name = "Name" + address.removeprefix("person")[:4]
        assert message["Subject"] == VI_SUBJECT.format(first_name)
        assert f"Chào {first_name}," in part_text(message, "html")
        assert "Bạn được giảm 60% khi mua mọi đĩa CD nhạc jazz" in part_text(message, "plain")


def test_each_offer_code_decodes_to_the_recipients_ledger_row(
    faulty_send: FaultySend, hookline: Hookline
) -> None:
    for address, message in messages_by_recipient(faulty_send.peer).items():
        match = OFFER_CODE.search(part_text(message, "plain"))
        assert match is not None, address
        assert read_offer_code(hookline.secret_key, match.group(1)) == (
            faulty_send.ledger[address].id
        )


# -- failures that end a recipient's turn ------------------------------------------------


def test_a_recipient_deferred_more_than_max_attempts_fails_with_the_reason(
    hookline: Hookline, campaign_db: Database, smtp_peer: SmtpPeer
) -> None:
    emails = add_people(campaign_db, 4)
    stubborn = emails[2]
    smtp_peer.defer_recipient(stubborn, times=10, code=451, text="4.2.2 mailbox full")
    create(hookline, "jazz", JAZZ)

    result = send(hookline, "jazz")
    ledger = hookline.ledger("jazz")

    assert result.exit_code == 1, result.output
    assert "sent 3, bounced 0, failed 1, skipped 0 of 4" in result.stdout
    assert ledger[stubborn].state == "failed"
    assert ledger[stubborn].attempts == 3
    assert ledger[stubborn].smtp_code == 451
    assert ledger[stubborn].detail == "gave up after 3 attempts: 451 4.2.2 mailbox full"
    assert dict(deliveries(smtp_peer)) == {e: 1 for e in emails if e != stubborn}


def test_a_render_failure_fails_only_that_recipient_and_names_the_line(
    hookline: Hookline, campaign_db: Database, smtp_peer: SmtpPeer
) -> None:
    emails = add_people(campaign_db, 5, attrs={"divisor": 4})
    broken = add_people(campaign_db, 1, prefix="zero", attrs={"divisor": 0})[0]
    line = next(
        number
        for number, text in enumerate(RENDER_FAILS.read_text(encoding="utf-8").splitlines(), 1)
        if "attrs.divisor" in text
    )
    create(hookline, "prize", RENDER_FAILS)

    result = send(hookline, "prize")
    ledger = hookline.ledger("prize")

    assert result.exit_code == 1, result.output
    detail = ledger[broken].detail or ""
    assert ledger[broken].state == "failed"
    assert detail.startswith(f"render failed: line {line}: "), detail
    assert "division" in detail
    assert {ledger[e].state for e in emails} == {"sent"}
    assert dict(deliveries(smtp_peer)) == {e: 1 for e in emails}
    assert "Your share of the prize draw is 25 points." in part_text(
        parse(smtp_peer.messages[0][2]), "plain"
    )


def test_a_contact_who_unsubscribes_after_the_snapshot_is_skipped(
    hookline: Hookline, campaign_db: Database, smtp_peer: SmtpPeer
) -> None:
    emails = add_people(campaign_db, 6)
    leaving = emails[4]
    create(hookline, "jazz", JAZZ)
    assert hookline.start("jazz") == 6
    with campaign_db.engine.begin() as connection:
        suppress(connection, address_hash(leaving), "email", "unsubscribed", "one-click")

    result = send(hookline, "jazz")
    ledger = hookline.ledger("jazz")

    assert result.exit_code == 0, result.output
    assert ledger[leaving].state == "skipped"
    assert ledger[leaving].detail == "the address was suppressed before their turn"
    assert dict(deliveries(smtp_peer)) == {e: 1 for e in emails if e != leaving}
