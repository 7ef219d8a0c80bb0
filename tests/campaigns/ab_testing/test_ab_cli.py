"""``hookline campaign ab`` and an A/B send end to end: a real database and SMTP peer."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from audiences.db import Database
from audiences.models import Contact, utcnow
from campaigns.ab_test import decide_due
from campaigns.campaign_store import get_campaign
from campaigns.delivery import deliver
from campaigns.events import Event, record_events
from campaigns.models import Campaign, Recipient
from campaigns.sending import composer_for, connection_factory, delivery_options
from campaigns.smtp.smtp_url import parse_smtp_url
from tests.campaigns.conftest import Hookline
from tests.campaigns.people import add_people
from tests.campaigns.smtp_peer import SmtpPeer
from tests.campaigns.test_campaign_cli import (
    JAZZ,
    assert_ok,
    assert_one_line_error,
    create,
    load_json,
    parse,
)

SUBJECT_B = "{{ first_name }}, free delivery on every jazz CD this week"
A_MARK = "save 60% on every jazz CD"
B_MARK = "free delivery on every jazz CD"


def subjects_by_recipient(peer: SmtpPeer) -> dict[str, list[str]]:
    """Each envelope recipient's subjects, in the order the peer accepted them."""
    found: dict[str, list[str]] = {}
    for _sender, rcpts, content in peer.messages:
        for rcpt in rcpts:
            found.setdefault(rcpt, []).append(str(parse(content)["Subject"]))
    return found


def variants(db: Database, name: str = "jazz") -> dict[str, tuple[str, str | None, int]]:
    """Each contact's ledger state, variant and row id."""
    with db.engine.connect() as connection:
        rows = connection.execute(
            select(Contact.email, Recipient.state, Recipient.variant, Recipient.id)
            .join(Contact, Contact.id == Recipient.contact_id)
            .join(Campaign, Campaign.id == Recipient.campaign_id)
            .where(Campaign.name == name)
        ).all()
    return {email: (state, variant, row_id) for email, state, variant, row_id in rows}


def campaign_of(db: Database, name: str = "jazz") -> Campaign:
    with db.session() as session:
        return get_campaign(session, name)


def set_test(hookline: Hookline, *options: str) -> None:
    assert_ok(hookline.run("campaign", "ab", "jazz", "--subject-b", SUBJECT_B, *options))


def test_an_ab_send_tests_both_subjects_then_sends_the_winner_to_the_rest(
    hookline: Hookline, campaign_db: Database, smtp_peer: SmtpPeer
) -> None:
    add_people(campaign_db, 100)
    create(hookline, segment="")
    set_test(hookline, "--share", "20%", "--measure", "opens", "--wait", "4h")

    first = hookline.run("campaign", "send", "jazz")

    assert_ok(first)
    assert "80 recipient(s) are held for the A/B subject test until" in first.stdout
    assert "hookline scheduler" in first.stdout
    sent = subjects_by_recipient(smtp_peer)
    assert len(sent) == 20
    ledger = variants(campaign_db)
    for email, subjects in sent.items():
        mark = B_MARK if ledger[email][1] == "b" else A_MARK
        assert len(subjects) == 1 and mark in subjects[0], (email, subjects)
    assert Counter((state, variant) for state, variant, _id in ledger.values()) == {
        ("sent", "a"): 10,
        ("sent", "b"): 10,
        ("held", None): 80,
    }
    first_name = {email: f"Name{email[6:10]}" for email in ledger}
    assert all(subjects[0].startswith(first_name[email]) for email, subjects in sent.items())

    campaign = campaign_of(campaign_db)
    b_rows = [row_id for _s, variant, row_id in ledger.values() if variant == "b"]
    with campaign_db.engine.begin() as connection:
        record_events(
            connection,
            [Event(campaign.id, row_id, None, "open", utcnow()) for row_id in b_rows[:3]],
        )
    assert campaign.ab_decide_at is not None
    moment = campaign.ab_decide_at + timedelta(seconds=1)
    settings = hookline.settings()
    assert decide_due(campaign_db, settings, moment) == 1
    assert decide_due(campaign_db, settings, moment) == 0
    assert Counter(variant for _s, variant, _id in variants(campaign_db).values()) == {
        "a": 10,
        "b": 90,
    }

    second = hookline.run("campaign", "send", "jazz")

    assert_ok(second)
    assert "jazz: done. sent 100" in second.stdout
    sent = subjects_by_recipient(smtp_peer)
    assert sorted(sent) == sorted(ledger)
    assert all(len(subjects) == 1 for subjects in sent.values())
    rest = [email for email, (state, variant, _id) in ledger.items() if state == "held"]
    assert all(B_MARK in sent[email][0] for email in rest)
    report = load_json(hookline.run("campaign", "ab", "jazz", "--json"))["ab_test"]
    assert (report["status"], report["winner"]) == ("decided", "b")
    assert report["variants"]["b"]["unique_opens"] == 3
    assert report["rollout"]["sent"] == 80


def test_decide_now_picks_the_winner_and_a_second_send_delivers_the_rest(
    hookline: Hookline, campaign_db: Database, smtp_peer: SmtpPeer
) -> None:
    add_people(campaign_db, 40)
    create(hookline, segment="")
    set_test(hookline, "--share", "50%", "--wait", "1d")
    assert_ok(hookline.run("campaign", "send", "jazz"))
    assert len(smtp_peer.messages) == 20

    decided = hookline.run("campaign", "ab", "jazz", "--decide-now")

    assert_ok(decided)
    # No opens yet: a tie, and ties go to A.
    assert "Subject A wins jazz on opens" in decided.stdout
    assert "20 held recipient(s) are queued with subject A" in decided.stdout
    assert_one_line_error(
        hookline.run("campaign", "ab", "jazz", "--decide-now"), 2, "already decided"
    )
    assert_ok(hookline.run("campaign", "send", "jazz"))
    sent = subjects_by_recipient(smtp_peer)
    assert len(sent) == 40
    assert sum(A_MARK in subjects[0] for subjects in sent.values()) == 30
    assert all(len(subjects) == 1 for subjects in sent.values())


def test_renderer_processes_render_subject_b_for_the_b_group(
    hookline: Hookline, campaign_db: Database, smtp_peer: SmtpPeer
) -> None:
    add_people(campaign_db, 40)
    create(hookline, segment="")
    set_test(hookline, "--share", "100%")
    assert hookline.start("jazz") == 40
    settings = hookline.settings()
    campaign = campaign_of(campaign_db)
    options = replace(delivery_options(settings), render_processes=2, render_pool_from=1)

    stats = deliver(
        campaign_db.engine,
        campaign.id,
        composer_for(campaign, settings),
        connection_factory(parse_smtp_url(smtp_peer.url), settings),
        "test-worker",
        options,
    )

    assert stats.sent == 40
    ledger = variants(campaign_db)
    sent = subjects_by_recipient(smtp_peer)
    assert sum(B_MARK in sent[email][0] for email, row in ledger.items() if row[1] == "b") == 20
    assert sum(A_MARK in sent[email][0] for email, row in ledger.items() if row[1] == "a") == 20


def test_a_send_with_extra_workers_returns_while_rows_are_held(
    hookline: Hookline, campaign_db: Database, smtp_peer: SmtpPeer
) -> None:
    add_people(campaign_db, 30)
    create(hookline, segment="")
    set_test(hookline)

    result = hookline.run("campaign", "send", "jazz", "--workers", "2")

    assert_ok(result)
    assert "24 recipient(s) are held" in result.stdout
    assert len(smtp_peer.messages) == 6


def test_a_small_audience_skips_the_test_and_everyone_gets_subject_a(
    hookline: Hookline, campaign_db: Database, smtp_peer: SmtpPeer
) -> None:
    add_people(campaign_db, 6)
    create(hookline, segment="")
    set_test(hookline)

    result = hookline.run("campaign", "send", "jazz")

    assert_ok(result)
    assert "A/B subject test was skipped" in result.stdout
    assert "jazz: done. sent 6" in result.stdout
    assert all(A_MARK in s[0] for s in subjects_by_recipient(smtp_peer).values())
    summary = load_json(hookline.run("campaign", "ab", "jazz", "--json"))["ab_test"]
    assert summary["status"] == "skipped"


def test_off_removes_the_test_and_the_campaign_sends_as_before(
    hookline: Hookline, campaign_db: Database, smtp_peer: SmtpPeer
) -> None:
    add_people(campaign_db, 20)
    create(hookline, segment="")
    set_test(hookline)

    removed = hookline.run("campaign", "ab", "jazz", "--off")

    assert_ok(removed)
    assert "Removed the A/B test" in removed.stdout
    assert campaign_of(campaign_db).subject_b is None
    result = hookline.run("campaign", "send", "jazz")
    assert_ok(result)
    assert "held" not in result.stdout
    assert {row[:2] for row in variants(campaign_db).values()} == {("sent", None)}
    assert all(A_MARK in s[0] for s in subjects_by_recipient(smtp_peer).values())
    assert_one_line_error(hookline.run("campaign", "ab", "jazz", "--off"), 2, "only a draft")
    assert_one_line_error(
        hookline.run("campaign", "ab", "jazz", "--subject-b", SUBJECT_B), 2, "only a draft"
    )


@pytest.mark.parametrize(
    ("option", "value", "fragment"),
    [
        ("--share", "0%", "--share"),
        ("--share", "120%", "--share"),
        ("--share", "lots", "--share"),
        ("--wait", "4", "--wait"),
        ("--wait", "0m", "--wait"),
        ("--wait", "45d", "--wait"),
        ("--wait", "4 hours", "--wait"),
        ("--measure", "sales", "--measure"),
    ],
)
def test_a_bad_share_wait_or_measure_exits_2_and_saves_nothing(
    sqlite_hookline: Hookline, option: str, value: str, fragment: str
) -> None:
    create(sqlite_hookline, segment="")

    result = sqlite_hookline.run("campaign", "ab", "jazz", "--subject-b", SUBJECT_B, option, value)

    assert_one_line_error(result, 2, fragment, value)
    shown = load_json(sqlite_hookline.run("campaign", "ab", "jazz", "--json"))
    assert shown["ab_test"] is None


def test_setting_the_test_reports_subject_b_and_its_settings(sqlite_hookline: Hookline) -> None:
    create(sqlite_hookline, segment="")

    result = sqlite_hookline.run(
        "campaign", "ab", "jazz", "--subject-b", SUBJECT_B, "--measure", "clicks", "--json"
    )

    summary = load_json(result)
    assert summary == {
        "campaign": "jazz",
        "subject_b": SUBJECT_B,
        "share": 0.2,
        "measure": "clicks",
        "wait_seconds": 4 * 3600,
        "findings": [],
    }
    # Changing one setting keeps the others.
    assert_ok(sqlite_hookline.run("campaign", "ab", "jazz", "--wait", "30m"))
    shown = load_json(sqlite_hookline.run("campaign", "ab", "jazz", "--json"))["ab_test"]
    assert (shown["measure"], shown["wait_seconds"], shown["share"]) == ("clicks", 1800, 0.2)
    assert shown["status"] == "not started"
    assert shown["variants"]["b"]["subject"] == SUBJECT_B
    text = sqlite_hookline.run("campaign", "ab", "jazz")
    assert_ok(text)
    assert "A/B subject test (not started, 20% of the audience, by clicks)" in text.stdout


def test_subject_b_that_does_not_compile_exits_2(sqlite_hookline: Hookline) -> None:
    create(sqlite_hookline, segment="")

    result = sqlite_hookline.run("campaign", "ab", "jazz", "--subject-b", "Save {{ 60% on CDs")

    assert_one_line_error(result, 2, "--subject-b")
    unsafe = sqlite_hookline.run(
        "campaign", "ab", "jazz", "--subject-b", "{% include 'x' %} save 60%"
    )
    assert_one_line_error(unsafe, 2, "can't extend, include or import")


def test_subject_b_with_lint_errors_is_refused_unless_forced(sqlite_hookline: Hookline) -> None:
    create(sqlite_hookline, segment="")

    refused = sqlite_hookline.run("campaign", "ab", "jazz", "--subject-b", "Hello")

    assert refused.exit_code == 1, refused.output
    assert refused.stdout == ""
    assert "S002 [error]" in refused.stderr
    assert "error-level finding" in refused.stderr
    assert "Traceback" not in refused.output
    assert load_json(sqlite_hookline.run("campaign", "ab", "jazz", "--json"))["ab_test"] is None
    forced = sqlite_hookline.run("campaign", "ab", "jazz", "--subject-b", "Hello", "--force")
    assert_ok(forced)
    assert "S002" in forced.stdout


def test_subject_b_with_a_misspelt_variable_is_reported(sqlite_hookline: Hookline) -> None:
    create(sqlite_hookline, segment="")

    result = sqlite_hookline.run(
        "campaign", "ab", "jazz", "--subject-b", "{{ frist_name }}, save 60% on jazz CDs"
    )

    assert result.exit_code == 1
    assert "T002 [error]" in result.stderr
    assert "first_name" in result.stderr


def test_a_warning_on_subject_b_is_shown_and_the_test_is_set(sqlite_hookline: Hookline) -> None:
    create(sqlite_hookline, segment="")

    result = sqlite_hookline.run(
        "campaign", "ab", "jazz", "--subject-b", "{{ first_name }}, our jazz collection"
    )

    assert_ok(result)
    assert "subject B: S003 [warning]" in result.stdout


def test_usage_mistakes_exit_2(sqlite_hookline: Hookline) -> None:
    create(sqlite_hookline, segment="")

    assert sqlite_hookline.run("campaign", "ab", "jazz", "--off", "--decide-now").exit_code == 2
    assert_one_line_error(
        sqlite_hookline.run("campaign", "ab", "jazz", "--wait", "2h"), 2, "no A/B test"
    )
    assert_one_line_error(
        sqlite_hookline.run("campaign", "ab", "jazz", "--decide-now"), 2, "no A/B test"
    )
    assert_one_line_error(
        sqlite_hookline.run("campaign", "ab", "nope", "--subject-b", SUBJECT_B), 2, "nope"
    )
    help_text = sqlite_hookline.run("campaign", "ab", "--help")
    assert_ok(help_text)
    assert "Examples:" in help_text.stdout


def test_json_of_a_campaign_without_a_test_says_none(sqlite_hookline: Hookline) -> None:
    create(sqlite_hookline, segment="")

    assert json.loads(sqlite_hookline.run("campaign", "ab", "jazz", "--json").stdout) == {
        "campaign": "jazz",
        "ab_test": None,
    }


def test_a_draft_with_an_unstarted_test_cannot_be_decided(sqlite_hookline: Hookline) -> None:
    create(sqlite_hookline, segment="")
    set_test(sqlite_hookline)

    assert_one_line_error(
        sqlite_hookline.run("campaign", "ab", "jazz", "--decide-now"), 2, "hasn't started"
    )


def test_the_jazz_template_is_the_one_under_test() -> None:
    assert A_MARK in JAZZ.read_text(encoding="utf-8")
