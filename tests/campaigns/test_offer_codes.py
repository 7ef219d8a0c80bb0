"""Offer codes decode to their ledger row, forgive Crockford look-alikes, reject the rest."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from campaigns.offer_codes import offer_code, read_offer_code


@given(st.integers(min_value=1, max_value=10**12))
def test_every_code_reads_back_to_its_row(recipient_id: int) -> None:
    assert read_offer_code("key", offer_code("key", recipient_id)) == recipient_id


def test_codes_are_short_and_distinct() -> None:
    codes = {offer_code("key", i) for i in range(1, 5001)}
    assert len(codes) == 5000
    assert max(len(code) for code in codes) <= 8


def test_a_code_read_back_in_lower_case_with_o_for_zero_still_works() -> None:
    code = offer_code("key", 1024)
    assert "0" in code
    assert read_offer_code("key", "  " + code.lower().replace("0", "o") + " ") == 1024


def test_a_code_with_a_wrong_check_or_from_another_key_is_rejected() -> None:
    code = offer_code("key", 99)
    head, check = code.split("-")
    wrong = head + "-" + ("0000" if check != "0000" else "1111")
    assert read_offer_code("key", wrong) is None
    assert read_offer_code("other", code) is None
    assert read_offer_code("key", "not a code") is None
    assert read_offer_code("key", "") is None
