"""Birthdays and first-purchase anniversaries, each on the contact's own calendar.

Runs just before and just after midnight in each contact's zone show who is
enrolled on which day; each year gets its own step campaign and one message.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from audiences.db import Database
from campaigns.sequences.runner import run_due_sequences, run_sequences
from tests.campaigns.conftest import Hookline
from tests.campaigns.sequences.timeline import (
    add_contact,
    campaign_state,
    deliveries,
    ledger_rows,
    make_sequence,
    send,
)
from tests.campaigns.smtp_peer import SmtpPeer

MINUTE = timedelta(minutes=1)


def test_birthdays_are_enrolled_on_the_day_in_each_contacts_zone_once_a_year(
    hookline: Hookline, db: Database, peer: SmtpPeer
) -> None:
    settings = hookline.settings()
    make_sequence(hookline, db, "birthday", "birthday", ["0:birthday.html.j2"])
    add_contact(db, "leap@example.com", timezone="Asia/Ho_Chi_Minh", birthday=date(1992, 2, 29))
    add_contact(db, "paris@example.com", timezone="Europe/Paris", birthday=date(1985, 3, 15))
    # No zone of their own: the config's [audience] timezone, Asia/Ho_Chi_Minh.
    add_contact(db, "nozone@example.com", birthday=date(1970, 3, 15))
    add_contact(db, "other@example.com", timezone="Europe/Paris", birthday=date(1985, 3, 16))

    def enrolled(at: datetime) -> int:
        return run_sequences(db, settings, at).enrolled

    # 2023 has no 29 February: the leap-day contact celebrates on the 28th.
    hcm_midnight = datetime(2023, 2, 27, 17, 0)  # 2023-02-28 00:00 in Ho Chi Minh City
    assert enrolled(hcm_midnight - MINUTE) == 0
    assert enrolled(hcm_midnight) == 1
    assert run_due_sequences(db, settings, datetime(2023, 2, 28, 2, 0) - MINUTE) == 0
    assert run_due_sequences(db, settings, datetime(2023, 2, 28, 2, 0)) == 1
    send(db, settings, peer, "birthday/2023/1")

    # 15 March: Ho Chi Minh City's midnight comes seven hours before Paris's (CET).
    assert enrolled(datetime(2023, 3, 14, 17, 0) - MINUTE) == 0
    assert enrolled(datetime(2023, 3, 14, 17, 0)) == 1  # nozone
    assert enrolled(datetime(2023, 3, 14, 23, 0) - MINUTE) == 0
    assert enrolled(datetime(2023, 3, 14, 23, 0)) == 1  # paris
    assert run_due_sequences(db, settings, datetime(2023, 3, 15, 2, 0)) == 1  # 09:00 in HCMC
    assert run_due_sequences(db, settings, datetime(2023, 3, 15, 8, 0) - MINUTE) == 0
    assert run_due_sequences(db, settings, datetime(2023, 3, 15, 8, 0)) == 1  # 09:00 in Paris
    send(db, settings, peer, "birthday/2023/1")
    # Later that day nobody new; at Paris's next midnight, the contact born on the 16th.
    assert enrolled(datetime(2023, 3, 15, 20, 0)) == 0
    assert enrolled(datetime(2023, 3, 15, 23, 0)) == 1
    assert run_due_sequences(db, settings, datetime(2023, 3, 16, 8, 0)) == 1
    assert run_due_sequences(db, settings, datetime(2023, 3, 17, 8, 0)) == 0
    send(db, settings, peer, "birthday/2023/1")

    # 2024 has a 29 February: not the 28th, then.
    assert enrolled(datetime(2024, 2, 28, 2, 0)) == 0
    assert enrolled(datetime(2024, 2, 28, 17, 0)) == 1
    assert run_due_sequences(db, settings, datetime(2024, 2, 29, 2, 0)) == 1
    # Paris's midnight, after Ho Chi Minh City's: both born on the 15th.
    assert enrolled(datetime(2024, 3, 14, 23, 0)) == 2
    assert run_due_sequences(db, settings, datetime(2024, 3, 15, 8, 0)) == 2
    assert campaign_state(db, "birthday/2024/1") == "sending"
    send(db, settings, peer, "birthday/2024/1")

    # One message each per year, from that year's step campaign.
    assert deliveries(peer, db) == {
        **{(f"{who}@example.com", "birthday/2023/1"): 1 for who in ("leap", "nozone", "paris")},
        ("other@example.com", "birthday/2023/1"): 1,
        **{(f"{who}@example.com", "birthday/2024/1"): 1 for who in ("leap", "nozone", "paris")},
    }
    assert ledger_rows(db, "birthday/2023/1")["paris@example.com"] == (
        "sent",
        datetime(2023, 3, 15, 8, 0),
    )


def test_first_purchase_anniversaries_come_each_year_from_the_first_one(
    hookline: Hookline, db: Database, peer: SmtpPeer
) -> None:
    settings = hookline.settings()
    make_sequence(hookline, db, "thanks", "anniversary", ["0:anniversary.html.j2"])
    # 2022-06-10 20:30 UTC is 11 June, 03:30 in Ho Chi Minh City.
    add_contact(
        db,
        "loyal@example.com",
        timezone="Asia/Ho_Chi_Minh",
        first_purchase_at=datetime(2022, 6, 10, 20, 30),
    )
    # The same instant is still 10 June in Paris: their anniversary is on the 10th.
    add_contact(
        db,
        "paris@example.com",
        timezone="Europe/Paris",
        first_purchase_at=datetime(2022, 6, 10, 20, 30),
    )
    # A first purchase on 11 June 2023: its first anniversary is in 2024.
    add_contact(
        db,
        "recent@example.com",
        timezone="Asia/Ho_Chi_Minh",
        first_purchase_at=datetime(2023, 6, 11, 3, 0),
    )
    add_contact(db, "never@example.com", timezone="Asia/Ho_Chi_Minh")

    def enrolled(at: datetime) -> int:
        return run_sequences(db, settings, at).enrolled

    for year, first_year in ((2023, ("loyal",)), (2024, ("loyal", "recent"))):
        # Paris's 10 June begins at 22:00 UTC the day before (CEST).
        assert enrolled(datetime(year, 6, 9, 22, 0) - MINUTE) == 0
        assert enrolled(datetime(year, 6, 9, 22, 0)) == 1
        assert run_due_sequences(db, settings, datetime(year, 6, 10, 7, 0)) == 1
        # Ho Chi Minh City's 11 June begins at 17:00 UTC on the 10th.
        assert enrolled(datetime(year, 6, 10, 17, 0) - MINUTE) == 0
        assert enrolled(datetime(year, 6, 10, 17, 0)) == len(first_year)
        assert run_due_sequences(db, settings, datetime(year, 6, 11, 2, 0)) == len(first_year)
        assert enrolled(datetime(year, 6, 11, 16, 0)) == 0
        send(db, settings, peer, f"thanks/{year}/1")

    received = deliveries(peer, db)
    assert received == {
        ("paris@example.com", "thanks/2023/1"): 1,
        ("loyal@example.com", "thanks/2023/1"): 1,
        ("paris@example.com", "thanks/2024/1"): 1,
        ("loyal@example.com", "thanks/2024/1"): 1,
        ("recent@example.com", "thanks/2024/1"): 1,
    }
