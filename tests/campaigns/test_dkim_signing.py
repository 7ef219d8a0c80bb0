"""DKIM signatures that a verifier accepts, checked against a fake DNS record."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import dkim
import pytest

from campaigns.render.dkim_signing import DEFAULT_SIGNED_HEADERS, DkimKeyError, DkimSigner
from campaigns.render.mime_message import build_message, make_message_id

FIXTURES = Path(__file__).parents[1] / "fixtures" / "campaigns"
KEY_PATH = FIXTURES / "dkim-test.key"
DNS_RECORD = (FIXTURES / "dkim-test.txt").read_bytes().strip()
DOMAIN = "shop.example.com"
SELECTOR = "hl2025"


def fake_dns(name: bytes, timeout: int = 5) -> bytes | None:
    """Answer only the test selector's TXT query, as the real DNS would."""
    del timeout
    return DNS_RECORD if name == f"{SELECTOR}._domainkey.{DOMAIN}.".encode() else None


def verifies(message: bytes) -> bool:
    """Whether a DKIM verifier accepts the message, with no network."""
    return bool(dkim.verify(message, dnsfunc=fake_dns))


def message(**overrides: str | None) -> bytes:
    """A campaign message for An, with optional header overrides."""
    arguments: dict[str, str | None] = {
        "subject": "Đức ơi, tiết kiệm 60% khi mua đĩa CD jazz",
        "reply_to": None,
        "list_unsubscribe_url": "https://shop.example.com/u/Zx81kQ",
    }
    arguments.update(overrides)
    return build_message(
        from_addr="Jazz Shop <news@shop.example.com>",
        to_addr="An <an@example.net>",
        subject=arguments["subject"] or "",
        text="Hi An,\n\nSave 60% on jazz CDs.\n",
        html="<html><body><p>Hi An,</p><p>Save 60% on jazz CDs.</p></body></html>",
        message_id=make_message_id(DOMAIN, 12, 345),
        date=datetime(2025, 12, 1, 2, 30, tzinfo=UTC),
        reply_to=arguments["reply_to"],
        list_unsubscribe_url=arguments["list_unsubscribe_url"],
    )


@pytest.fixture(scope="module")
def signer() -> DkimSigner:
    """The signer with the committed test key."""
    return DkimSigner.from_file(DOMAIN, SELECTOR, KEY_PATH)


def signature_tags(signed: bytes) -> dict[str, str]:
    """The DKIM-Signature header's tags, unfolded."""
    header = signed.split(b"\r\n\r\n", 1)[0].decode()
    match = re.match(r"DKIM-Signature: (.*?)\r\n(?! )", header, re.DOTALL)
    assert match is not None, header
    value = re.sub(r"\s+", "", match.group(1))
    return dict(tag.split("=", 1) for tag in value.split(";") if tag)


def test_a_signed_message_verifies(signer: DkimSigner) -> None:
    signed = signer.sign(message())
    assert signed.startswith(b"DKIM-Signature: ")
    assert signed.endswith(message())
    assert verifies(signed)


def test_the_signature_uses_relaxed_canonicalisation_and_the_domain(signer: DkimSigner) -> None:
    tags = signature_tags(signer.sign(message()))
    assert tags["c"] == "relaxed/relaxed"
    assert (tags["d"], tags["s"], tags["a"]) == (DOMAIN, SELECTOR, "rsa-sha256")
    signed_headers = tags["h"].split(":")
    assert signed_headers == [name.lower() for name in DEFAULT_SIGNED_HEADERS]


def test_a_changed_body_fails_verification(signer: DkimSigner) -> None:
    signed = signer.sign(message())
    assert not verifies(signed.replace(b"Save 60%", b"Save 90%"))


def test_a_changed_subject_fails_verification(signer: DkimSigner) -> None:
    signed = signer.sign(message(subject="Save 60% on jazz"))
    assert not verifies(signed.replace(b"Subject: Save 60%", b"Subject: Save 90%"))


def test_a_reply_to_added_after_signing_fails_verification(signer: DkimSigner) -> None:
    signed = signer.sign(message())
    header_end = signed.index(b"\r\nMIME-Version:")
    tampered = signed[:header_end] + b"\r\nReply-To: thief@evil.example" + signed[header_end:]
    assert verifies(signed)
    assert not verifies(tampered)


def test_refolded_headers_still_verify(signer: DkimSigner) -> None:
    signed = signer.sign(message(subject="Save 60% on jazz"))
    refolded = signed.replace(b"Subject: Save 60% on jazz", b"Subject: Save 60%\r\n  on   jazz")
    assert refolded != signed
    assert verifies(refolded)


def test_a_crlf_pem_key_signs_too() -> None:
    key = KEY_PATH.read_bytes().replace(b"\n", b"\r\n")
    assert verifies(DkimSigner(DOMAIN, SELECTOR, key).sign(message()))


def test_a_missing_key_file_is_a_clear_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope.key"
    with pytest.raises(DkimKeyError, match=rf"DKIM key file {re.escape(str(missing))}: No such"):
        DkimSigner.from_file(DOMAIN, SELECTOR, missing)


def test_a_file_that_is_not_a_pem_key_is_a_clear_error_naming_it(tmp_path: Path) -> None:
    wrong = tmp_path / "dkim.key"
    wrong.write_text("v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n")
    with pytest.raises(DkimKeyError, match=rf"^{re.escape(str(wrong))}: not an RSA private key"):
        DkimSigner.from_file(DOMAIN, SELECTOR, wrong)


def test_a_pem_block_with_garbage_inside_is_refused() -> None:
    garbage = b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
    with pytest.raises(DkimKeyError, match="not an RSA private key"):
        DkimSigner(DOMAIN, SELECTOR, garbage)


def test_a_header_list_without_from_is_refused() -> None:
    with pytest.raises(ValueError, match="From"):
        DkimSigner(DOMAIN, SELECTOR, KEY_PATH.read_bytes(), headers=("Subject", "To"))
