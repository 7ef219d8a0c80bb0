"""The scheduler prints a started letter campaign: the periodic task ``print_due_letters``."""

from __future__ import annotations

import pytest

from audiences.db import Database
from audiences.models import utcnow
from campaigns.scheduling.periodic import PERIODIC_TASKS, run_periodic_tasks
from tests.campaigns.conftest import Hookline
from tests.campaigns.letters.conftest import manifest_rows, pdf_info
from tests.campaigns.letters.test_letter_send import add_audience, campaign_folder, create

TASK = "campaigns.letters.letter_delivery:print_due_letters"


@pytest.fixture(autouse=True)
def config_in_force(letters: Hookline, monkeypatch: pytest.MonkeyPatch) -> None:
    """Outside a running service the task reads [letters] of the config file in force."""
    monkeypatch.setenv("HOOKLINE_CONFIG", str(letters.config))
    for name, value in letters.env.items():
        monkeypatch.setenv(name, value)


def test_a_tick_prints_a_started_letter_campaign_once_and_finishes_it(
    letters: Hookline, letters_db: Database
) -> None:
    add_audience(letters_db)
    create(letters, "thanks", "thank-you.html.j2")
    # What a schedule's job does when it fires: the lint gate and the snapshot.
    assert letters.start("thanks") == 9
    assert TASK in PERIODIC_TASKS

    first = run_periodic_tasks(letters_db, letters.settings(), utcnow(), (TASK,))
    second = run_periodic_tasks(letters_db, letters.settings(), utcnow(), (TASK,))

    assert first == {TASK: 5}
    assert second == {TASK: 0}
    folder = campaign_folder(letters, "thanks")
    # Five letters, each a letter and a reply card; the four others were skipped.
    assert pdf_info(folder / "letters.pdf")["Pages"] == "10"
    assert [row["sequence"] for row in manifest_rows(folder / "manifest.csv")] == [
        "1", "2", "3", "4", "5",
    ]  # fmt: skip
    states = sorted(row.state for row in letters.ledger("thanks").values())
    assert states == ["sent"] * 5 + ["skipped"] * 4
    with letters_db.session() as session:
        from campaigns.campaign_store import get_campaign

        assert get_campaign(session, "thanks").state == "done"


def test_an_email_campaign_is_not_the_letter_tasks_business(
    letters: Hookline, letters_db: Database
) -> None:
    add_audience(letters_db)
    create(letters, "thanks", "thank-you.html.j2")
    # A draft, never started: nothing is queued, nothing printed.
    assert run_periodic_tasks(letters_db, letters.settings(), utcnow(), (TASK,)) == {TASK: 0}
    assert not (campaign_folder(letters, "thanks") / "letters.pdf").exists()
