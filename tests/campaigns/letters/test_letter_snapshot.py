"""The letter snapshot: the whole segment in the ledger, the unsendable skipped with why."""

from __future__ import annotations

from audiences.db import Database
from audiences.emails import address_hash
from audiences.suppressions import suppress
from tests.campaigns.conftest import Hookline
from tests.campaigns.letters.conftest import FIXTURES
from tests.campaigns.people import add_people

FULL = {"address_line1": "1 Main St", "city": "Hue", "postcode": "530000", "country": "VN"}


def test_every_contact_of_the_segment_is_in_the_ledger_and_only_the_mailable_are_queued(
    letters: Hookline, letters_db: Database
) -> None:
    ok = add_people(letters_db, 2, prefix="ok", **FULL)
    no_consent_given = add_people(letters_db, 1, prefix="unknown", mail_consent=None, **FULL)
    no_country = add_people(letters_db, 1, prefix="nocountry", **{**FULL, "country": ""})
    only_city = add_people(letters_db, 1, prefix="onlycity", **{**FULL, "postcode": None})
    forgotten = add_people(letters_db, 1, prefix="forgotten", **FULL)
    bounced = add_people(letters_db, 1, prefix="email", **FULL)
    with letters_db.engine.begin() as connection:
        suppress(connection, address_hash(forgotten[0]), "all", "forgotten")
        # An email suppression doesn't stop a letter.
        suppress(connection, address_hash(bounced[0]), "email", "hard_bounce")
    result = letters.run(
        "campaign", "create", "thanks", "--template", str(FIXTURES / "thank-you.html.j2"),
        "--channel", "letter",
    )  # fmt: skip
    assert result.exit_code == 0, result.output

    assert letters.start("thanks") == 7

    ledger = letters.ledger("thanks")
    queued = {email for email, row in ledger.items() if row.state == "queued"}
    assert queued == {*ok, *no_consent_given, *only_city, *bounced}
    assert (ledger[no_country[0]].state, ledger[no_country[0]].detail) == (
        "skipped",
        "no postal address: country missing",
    )
    assert (ledger[forgotten[0]].state, ledger[forgotten[0]].detail) == (
        "skipped",
        "mail suppressed: forgotten",
    )
