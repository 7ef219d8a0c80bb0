"""Signed tokens: each verifies for its own purpose only, and forgeries read as None."""

from __future__ import annotations

from campaigns.tokens import ClickTarget, TokenSigner


def test_a_recipient_token_reads_back_its_row() -> None:
    signer = TokenSigner("secret")
    assert signer.read_recipient("open", signer.recipient_token("open", 42)) == 42


def test_a_token_for_one_purpose_is_rejected_for_another() -> None:
    signer = TokenSigner("secret")
    token = signer.recipient_token("open", 42)
    assert signer.read_recipient("unsubscribe", token) is None


def test_an_altered_token_is_rejected() -> None:
    signer = TokenSigner("secret")
    token = signer.recipient_token("unsubscribe", 42)
    forged = signer.recipient_token("unsubscribe", 43).split(".")[0] + "." + token.split(".")[1]
    assert signer.read_recipient("unsubscribe", forged) is None
    middle = len(token) - 10
    altered = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    assert signer.read_recipient("unsubscribe", altered) is None


def test_a_token_signed_with_another_key_is_rejected() -> None:
    token = TokenSigner("other").recipient_token("open", 42)
    assert TokenSigner("secret").read_recipient("open", token) is None


def test_a_click_token_carries_the_row_and_the_link() -> None:
    signer = TokenSigner("secret")
    token = signer.click_token(7, "https://shop.example.com/jazz?utm=1&x=é")
    assert signer.read_click(token) == ClickTarget(7, "https://shop.example.com/jazz?utm=1&x=é")
    assert signer.read_click("garbage") is None
    assert signer.read_click(signer.recipient_token("click", 7)) is None
