"""``--local-time``: each recipient due at the same wall-clock time in their own zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from audiences.models import Contact
from campaigns.models import Campaign, Recipient
from tests.campaigns.conftest import Hookline
from tests.campaigns.people import add_people
from tests.campaigns.scheduling.helpers import JAZZ, SENDER, campaign, ok, received
from tests.campaigns.smtp_peer import SmtpPeer

PARIS = ZoneInfo("Europe/Paris")
SAIGON = ZoneInfo("Asia/Ho_Chi_Minh")  # also [audience] timezone, the default


def naive_utc(when: datetime) -> datetime:
    return when.astimezone(UTC).replace(tzinfo=None)


def due_times(hookline: Hookline) -> dict[str, tuple[str, datetime | None]]:
    """Each recipient's (state, next_attempt_at) by address."""
    db = hookline.open_db()
    try:
        with db.engine.connect() as connection:
            rows = connection.execute(
                select(Contact.email, Recipient.state, Recipient.next_attempt_at)
                .join(Recipient, Recipient.contact_id == Contact.id)
                .join(Campaign, Campaign.id == Recipient.campaign_id)
                .where(Campaign.name == "jazz")
            ).all()
    finally:
        db.engine.dispose()
    return {email: (state, due) for email, state, due in rows}


def test_each_recipient_is_due_at_the_local_time_in_their_own_zone(
    hookline: Hookline, smtp_peer: SmtpPeer
) -> None:
    db = hookline.open_db()
    try:
        saigon = add_people(db, 2, prefix="saigon", timezone="Asia/Ho_Chi_Minh")
        paris = add_people(db, 2, prefix="paris", timezone="Europe/Paris")
        nowhere = add_people(db, 1, prefix="nowhere", timezone=None)
        unknown = add_people(db, 1, prefix="unknown", timezone="Not/A_Zone")
    finally:
        db.engine.dispose()
    ok(hookline.run("campaign", "create", "jazz", "--template", str(JAZZ), "--from", SENDER))
    # A wall-clock time two hours ahead in Paris: long past in Saigon (five or six
    # hours ahead of Paris), still to come in Paris.
    in_paris = (datetime.now(UTC) + timedelta(hours=2)).astimezone(PARIS)
    day, hh_mm = in_paris.date(), in_paris.strftime("%H:%M")
    at = datetime.strptime(hh_mm, "%H:%M").time()
    paris_due = naive_utc(datetime.combine(day, at, tzinfo=PARIS))
    saigon_due = naive_utc(datetime.combine(day, at, tzinfo=SAIGON))
    assert saigon_due < datetime.now(UTC).replace(tzinfo=None) < paris_due

    scheduled = ok(
        hookline.run(
            "campaign", "schedule", "jazz", "--local-time", hh_mm, "--date", day.isoformat()
        )
    )
    assert f"local {hh_mm} on {day.isoformat()}" in scheduled.stdout
    assert campaign(hookline, "jazz").local_time == hh_mm
    # Some zones have passed that time already: the job is due at once.
    result = ok(hookline.run("scheduler", "--once"))
    assert "fired campaign-" in result.stderr

    rows = due_times(hookline)
    for email in saigon + nowhere + unknown:
        assert rows[email] == ("sent", saigon_due), email
    for email in paris:
        assert rows[email] == ("queued", paris_due), email
    assert received(smtp_peer) == dict.fromkeys(saigon + nowhere + unknown, 1)
    stored = campaign(hookline, "jazz")
    assert stored.state == "sending"
    # A later tick before Paris's hour sends nothing more.
    ok(hookline.run("scheduler", "--once"))
    assert received(smtp_peer) == dict.fromkeys(saigon + nowhere + unknown, 1)
    later = due_times(hookline)
    assert [later[email] for email in paris] == [("queued", paris_due)] * len(paris)
