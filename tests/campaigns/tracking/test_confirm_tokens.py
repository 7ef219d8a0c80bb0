"""Confirm tokens: they carry the signup, expire, and verify for their own purpose only."""

from __future__ import annotations

from campaigns.tokens import ConfirmRequest, TokenSigner

WEEK = 7 * 86400.0


def test_a_confirm_token_reads_back_the_signup() -> None:
    signer = TokenSigner("secret")
    token = signer.confirm_token("lan@example.org", "Lan Trần", "203.0.113.7", 1_800_000_000)
    assert signer.read_confirm(token, WEEK, now=1_800_000_000 + 3600) == ConfirmRequest(
        "lan@example.org", "Lan Trần", 1_800_000_000, "203.0.113.7"
    )


def test_a_confirm_token_expires() -> None:
    signer = TokenSigner("secret")
    token = signer.confirm_token("lan@example.org", "", "::1", 1_800_000_000)
    assert signer.read_confirm(token, WEEK, now=1_800_000_000 + WEEK + 1) is None
    # Nor is a token from the future (beyond clock skew) accepted.
    assert signer.read_confirm(token, WEEK, now=1_800_000_000 - 3600) is None


def test_a_confirm_token_is_no_other_token_and_no_other_is_a_confirm_token() -> None:
    signer = TokenSigner("secret")
    token = signer.confirm_token("lan@example.org", "", "::1")
    assert signer.read_click(token) is None
    assert signer.read_recipient("unsubscribe", token) is None
    assert signer.read_confirm(signer.click_token(1, "https://x.example/"), WEEK) is None
    assert TokenSigner("other").read_confirm(token, WEEK) is None
