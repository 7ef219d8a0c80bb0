"""Classifying real bounces, complaints and replies, and the edge cases around them."""

from __future__ import annotations

from datetime import datetime

import pytest

from campaigns.mailbox.classify import classify
from campaigns.mailbox.dsn_parser import bounce_kind
from campaigns.render.mime_message import make_message_id
from campaigns.tokens import TokenSigner
from tests.campaigns.mailbox.mail_samples import EXPECTED, SAMPLES, sample

OUR_ID = make_message_id("shop.example.com", 7, 42)
RECIPIENT = "lan.nguyen@example.net"


def filled(name: str, message_id: str = OUR_ID) -> bytes:
    return sample(name, message_id=message_id, recipient=RECIPIENT, campaign_id=7)


def test_every_sample_has_an_expected_classification() -> None:
    assert sorted(path.name for path in SAMPLES.glob("*.eml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_real_world_sample_is_classified_exactly(name: str) -> None:
    expected = EXPECTED[name]

    result = classify(filled(name))

    assert (result.kind, result.format, result.status) == (
        expected.kind,
        expected.format,
        expected.status,
    ), result.summary
    assert result.ours is not None
    assert (result.ours.campaign_id, result.ours.recipient_id) == (7, 42)
    assert result.ours.message_id == OUR_ID
    if expected.names_recipient:
        assert result.recipient_address == RECIPIENT


@pytest.mark.parametrize(
    "name",
    [name for name, e in EXPECTED.items() if e.kind in ("hard_bounce", "soft_bounce")],
)
def test_bounces_carry_the_remote_servers_words(name: str) -> None:
    result = classify(filled(name))

    assert result.diagnostic
    assert result.action in ("failed", "delayed")


def test_exchange_2007_diagnostic_comes_from_x_supplementary_info() -> None:
    result = classify(filled("exchange2007-no-such-user.eml"))

    assert result.diagnostic is not None
    assert "The email account that you tried to reach does not exist" in result.diagnostic


def test_a_complaint_names_its_feedback_type_and_reporter() -> None:
    result = classify(filled("yahoo-arf-abuse.eml"))

    assert result.feedback_type == "abuse"
    assert result.diagnostic == "abuse from Yahoo!-Mail-Feedback/1.0"


def test_aol_redacts_the_recipient_but_the_message_id_still_names_the_row() -> None:
    result = classify(filled("aol-arf-redacted.eml"))

    assert result.recipient_address == "redacted@aol.com"
    assert result.ours is not None and result.ours.recipient_id == 42


def test_a_forged_message_id_with_a_wrong_hash_matches_nothing() -> None:
    genuine = make_message_id("shop.example.com", 7, 43)
    forged = OUR_ID.replace(".r42.", ".r43.")  # row 43, but row 42's hash

    assert forged != genuine
    for name in ("postfix-user-unknown.eml", "human-reply.eml", "exim-user-unknown.eml"):
        assert classify(filled(name, message_id=forged)).ours is None


def test_a_bounce_of_someone_elses_message_is_still_a_bounce_but_names_none_of_ours() -> None:
    result = classify(filled("postfix-user-unknown.eml", message_id="<abc.123@elsewhere.example>"))

    assert result.kind == "hard_bounce"
    assert result.ours is None


def test_a_reply_to_someone_elses_message_is_unmatched() -> None:
    result = classify(filled("human-reply.eml", message_id="<thread-1@elsewhere.example>"))

    assert result.kind == "unmatched"


def test_a_reply_names_our_message_through_references_when_in_reply_to_is_foreign() -> None:
    raw = (
        b"From: lan@example.net\r\nSubject: Re: jazz\r\nMessage-ID: <r1@example.net>\r\n"
        b"In-Reply-To: <other@example.net>\r\n"
        b"References: " + OUR_ID.encode() + b" <other@example.net>\r\n\r\nYes please.\r\n"
    )

    result = classify(raw)

    assert result.kind == "reply"
    assert result.ours is not None and result.ours.recipient_id == 42


@pytest.mark.parametrize(
    "header",
    [
        "Auto-Submitted: auto-replied",
        "Auto-Submitted: auto-replied; owner-email=lan@example.net",
        "Auto-Submitted: auto-generated (vacation)",
        "X-Autoreply: yes",
        "X-Autorespond: vacation",
        "Precedence: auto_reply",
        "Precedence: bulk",
    ],
)
def test_rfc3834_and_vendor_headers_make_an_auto_reply(header: str) -> None:
    raw = (
        f"From: lan@example.net\r\nSubject: Re: jazz\r\nIn-Reply-To: {OUR_ID}\r\n"
        f"{header}\r\n\r\nAway.\r\n"
    ).encode()

    assert classify(raw).kind == "auto_reply"


@pytest.mark.parametrize(
    "header",
    ["Auto-Submitted: no", "Auto-Submitted: No (a person)", "X-Auto-Response-Suppress: All"],
)
def test_headers_a_person_sends_keep_it_a_reply(header: str) -> None:
    raw = (
        f"From: lan@example.net\r\nSubject: Re: jazz\r\nIn-Reply-To: {OUR_ID}\r\n"
        f"{header}\r\n\r\nYes please.\r\n"
    ).encode()

    assert classify(raw).kind == "reply"


def test_an_out_of_office_subject_without_headers_is_an_auto_reply() -> None:
    raw = (
        f"From: lan@example.net\r\nSubject: Out of Office: jazz\r\nIn-Reply-To: {OUR_ID}\r\n"
        "\r\nAway until Monday.\r\n"
    ).encode()

    assert classify(raw).kind == "auto_reply"


def test_a_dsn_saying_delivered_is_ignored() -> None:
    raw = filled("postfix-user-unknown.eml").replace(b"Action: failed", b"Action: delivered")

    assert classify(raw).kind == "ignored"


@pytest.mark.parametrize(
    ("action", "status", "kind"),
    [
        ("failed", "5.1.1", "hard_bounce"),
        ("failed", "5.7.1", "hard_bounce"),
        ("failed", None, "hard_bounce"),
        ("failed", "4.4.1", "soft_bounce"),
        ("delayed", "4.4.7", "soft_bounce"),
        ("delayed", None, "soft_bounce"),
        ("failed", "5.2.2", "soft_bounce"),  # mailbox full: RFC 3463 "persistent transient"
        ("failed", "5.3.4", "soft_bounce"),  # message too big: the address is fine
        ("relayed", "2.0.0", None),
        ("delivered", "2.0.0", None),
        ("expanded", "2.0.0", None),
    ],
)
def test_bounce_kind_follows_rfc3464_actions_and_rfc3463_codes(
    action: str, status: str | None, kind: str | None
) -> None:
    assert bounce_kind(action, status) == kind


def test_an_unsubscribe_mail_with_a_signed_token_names_its_row() -> None:
    signer = TokenSigner("test-secret")
    token = signer.recipient_token("unsubscribe", 42)
    raw = f"From: lan@example.net\r\nSubject: unsubscribe {token}\r\n\r\n".encode()

    result = classify(raw, signer)

    assert (result.kind, result.unsubscribe_recipient) == ("unsubscribe", 42)


def test_an_unsubscribe_mail_with_a_forged_token_is_unmatched() -> None:
    signer = TokenSigner("test-secret")
    token = TokenSigner("another-secret").recipient_token("unsubscribe", 42)
    raw = f"From: lan@example.net\r\nSubject: unsubscribe {token}\r\n\r\n".encode()

    result = classify(raw, signer)

    assert result.kind == "unmatched"
    assert result.unsubscribe_recipient is None


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\xff\xfe garbage \x00",
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=x\r\n\r\n--x",
        b"From: MAILER-DAEMON@x\r\nContent-Type: multipart/mixed; boundary=\r\n\r\n\xff\xfe",
    ],
)
def test_garbage_is_unmatched_never_an_exception(raw: bytes) -> None:
    result = classify(raw)

    assert result.kind == "unmatched"
    assert result.digest


def test_a_plain_sendmail_bounce_finds_the_copy_after_unsent_message_follows() -> None:
    # Sendmail without MIME: "The original message was received" opens the notice and
    # must not be taken for the copy of the message, which comes last.
    raw = (
        "From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.org>\n"
        "Subject: Returned mail: User unknown\n\n"
        "The original message was received at Tue, 29 Apr 2003 23:45:23 +0900\n"
        "from localhost [127.0.0.1]\n\n"
        "   ----- The following addresses had permanent fatal errors -----\n"
        "<lan@example.net>\n\n"
        "   ----- Transcript of session follows -----\n"
        "<<< 550 5.1.1 <lan@example.net>... User unknown\n\n"
        "   ----- Unsent message follows -----\n"
        f"Message-Id: {OUR_ID}\nTo: lan@example.net\nSubject: jazz\n\nhi\n"
    ).encode()

    result = classify(raw)

    assert (result.kind, result.format, result.status) == ("hard_bounce", "sendmail", "5.1.1")
    assert result.ours is not None and result.ours.recipient_id == 42
    assert result.diagnostic == "550 5.1.1 <lan@example.net>... User unknown"


def test_a_text_part_in_a_charset_that_cannot_decode_leniently_is_read_as_utf8() -> None:
    raw = (
        b"From: MAILER-DAEMON@mx.example.net\r\nX-Failed-Recipients: lan@example.net\r\n"
        b"Content-Type: text/plain; charset=idna\r\n\r\n"
        b"Your message could not be delivered to lan@example.net\xff: 550 5.1.1 unknown\r\n"
    )

    result = classify(raw)

    assert (result.kind, result.status, result.recipient_address) == (
        "hard_bounce",
        "5.1.1",
        "lan@example.net",
    )


def test_raw_8bit_headers_become_valid_text() -> None:
    raw = b"Subject: Tr\xe1\xba\xa3 l\xe1\xbb\x9di: jazz \xff\r\nIn-Reply-To: " + OUR_ID.encode()
    raw += b"\r\n\r\nVang.\r\n"

    result = classify(raw)

    assert result.kind == "reply"
    assert result.subject == "Trả lời: jazz \ufffd"


def test_encoded_word_subjects_are_decoded() -> None:
    raw = (
        f"Subject: =?utf-8?b?VHLhuqMgbOG7nWkgdOG7sSDEkeG7mW5nOiBqYXp6?=\r\nIn-Reply-To: {OUR_ID}"
        "\r\n\r\nV\u1eafng m\u1eb7t.\r\n"
    ).encode()

    result = classify(raw)

    assert result.subject == "Trả lời tự động: jazz"
    assert result.kind == "auto_reply"


def test_the_date_header_becomes_naive_utc() -> None:
    result = classify(filled("exim-user-unknown.eml"))

    assert result.occurred_at == datetime(2014, 7, 10, 7, 31, 43)


def test_a_date_in_the_future_is_not_trusted() -> None:
    raw = filled("exim-user-unknown.eml").replace(
        b"Date: Thu, 10 Jul 2014", b"Date: Thu, 10 Jul 2099"
    )

    assert classify(raw).occurred_at is None
