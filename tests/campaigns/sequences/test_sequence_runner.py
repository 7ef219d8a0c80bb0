"""The runner's edges: daylight saving, the lint gate each year, a sequence that fails."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import delete, select, update

from audiences.contacts import forget_contact
from audiences.db import Database
from audiences.models import Segment, utcnow
from audiences.segments import save_segment
from campaigns.models import Campaign
from campaigns.sequences.models import SequenceEnrolment, SequenceStep
from campaigns.sequences.runner import run_sequences
from tests.campaigns.conftest import Hookline
from tests.campaigns.sequences.timeline import (
    REPO,
    add_contact,
    campaign_state,
    confirm,
    ledger_rows,
    make_sequence,
)

LINT_ERROR = REPO / "tests" / "fixtures" / "campaigns" / "templates" / "lint-error.html.j2"


def test_a_later_step_goes_at_nine_on_the_contacts_clock_across_daylight_saving(
    hookline: Hookline, db: Database
) -> None:
    settings = hookline.settings()
    make_sequence(
        hookline,
        db,
        "welcome",
        "consent",
        ["0:welcome-1.html.j2", "3:welcome-2.html.j2"],
        created_at=datetime(2025, 3, 1),
    )
    add_contact(db, "paris@example.com", consent=None, timezone="Europe/Paris")
    confirm(db, "paris@example.com", datetime(2025, 3, 28, 18, 0))  # 19:00 CET, a Friday

    # Summer time starts on Sunday 30 March: 09:00 on Monday 31st is 07:00 UTC.
    assert run_sequences(db, settings, datetime(2025, 3, 31, 6, 59)).queued == 1  # step 1
    assert run_sequences(db, settings, datetime(2025, 3, 31, 7, 0)).queued == 1
    assert ledger_rows(db, "welcome/2") == {
        "paris@example.com": ("queued", datetime(2025, 3, 31, 7, 0))
    }


def test_a_forced_yearly_sequence_forces_each_years_campaign(
    hookline: Hookline, db: Database
) -> None:
    settings = hookline.settings()
    make_sequence(
        hookline,
        db,
        "birthday",
        "birthday",
        [f"0:{LINT_ERROR}"],
        force_reason="the owner signed it off",
    )
    add_contact(db, "an@example.com", birthday=date(1990, 5, 1))

    report = run_sequences(db, settings, datetime(2025, 5, 1, 2, 0))

    assert (report.enrolled, report.queued, report.problems) == (1, 1, [])
    with db.engine.connect() as connection:
        campaign = connection.execute(
            select(Campaign.state, Campaign.forced_reason, Campaign.lint_errors).where(
                Campaign.name == "birthday/2025/1"
            )
        ).one()
    assert campaign.state == "sending"
    assert campaign.forced_reason == "the owner signed it off"
    assert campaign.lint_errors > 0


def test_a_closed_lint_gate_holds_that_years_step_and_says_so(
    hookline: Hookline, db: Database
) -> None:
    settings = hookline.settings()
    make_sequence(
        hookline, db, "birthday", "birthday", ["0:birthday.html.j2", "2:anniversary.html.j2"]
    )
    add_contact(db, "an@example.com", birthday=date(1990, 5, 1))
    # The stored text of step 1 no longer passes (as if the lint rules had changed).
    with db.engine.begin() as connection:
        connection.execute(
            update(SequenceStep)
            .where(SequenceStep.position == 1)
            .values(template_source=LINT_ERROR.read_text(encoding="utf-8"))
        )

    report = run_sequences(db, settings, datetime(2025, 5, 1, 2, 0))
    later = run_sequences(db, settings, datetime(2025, 5, 3, 2, 0))

    assert report.enrolled == 1
    assert report.queued == 0
    assert len(report.problems) == 1
    assert "birthday: 2025: step 1" in report.problems[0]
    assert "lint gate is closed" in report.problems[0]
    assert campaign_state(db, "birthday/2025/1") is None
    assert later.queued == 1  # step 2 still goes out
    assert set(ledger_rows(db, "birthday/2025/2")) == {"an@example.com"}


def test_a_sequence_that_fails_is_reported_and_the_others_still_run(
    hookline: Hookline, db: Database
) -> None:
    settings = hookline.settings()
    with db.session() as session, session.begin():
        save_segment(session, "hanoi", 'city = "Hanoi"')
    make_sequence(hookline, db, "broken", "consent", ["0:welcome-1.html.j2"], segment="@hanoi")
    make_sequence(hookline, db, "welcome", "consent", ["0:welcome-1.html.j2"])
    with db.engine.begin() as connection:
        connection.execute(delete(Segment))
    add_contact(db, "an@example.com", consent=None, city="Hanoi")
    confirm(db, "an@example.com", utcnow() + timedelta(minutes=1))

    report = run_sequences(db, settings, utcnow() + timedelta(minutes=2))

    assert [(run.name, run.queued) for run in report.sequences] == [("broken", 0), ("welcome", 1)]
    assert report.problems and report.problems[0].startswith("broken: ")
    assert "hanoi" in report.problems[0]
    with db.engine.connect() as connection:
        assert connection.scalar(select(SequenceEnrolment.id).limit(1)) is not None


def test_forgetting_a_contact_keeps_the_count_and_not_the_person(
    hookline: Hookline, db: Database
) -> None:
    settings = hookline.settings()
    make_sequence(hookline, db, "birthday", "birthday", ["0:birthday.html.j2"])
    add_contact(db, "an@example.com", birthday=date(1990, 5, 1))
    assert run_sequences(db, settings, datetime(2025, 5, 1, 2, 0)).queued == 1
    with db.session() as session, session.begin():
        assert forget_contact(session, "an@example.com")

    report = run_sequences(db, settings, datetime(2025, 5, 1, 3, 0))

    assert (report.enrolled, report.queued, report.problems) == (0, 0, [])
    with db.engine.connect() as connection:
        assert connection.execute(select(SequenceEnrolment.contact_id)).scalars().all() == [None]
