"""``hookline bounces fetch`` from a maildir, on SQLite and PostgreSQL.

A campaign is really sent through the SMTP peer; every real-world sample is then
filled in with the Message-ID one contact's message carried and delivered into a
maildir, and the fetch must record each one exactly as the sample says.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from click.testing import Result

from audiences.db import Database
from audiences.models import utcnow
from campaigns.events import Event, record_events
from tests.campaigns.conftest import Hookline
from tests.campaigns.mailbox import db_views
from tests.campaigns.mailbox.conftest import SentCampaign, send_campaign
from tests.campaigns.mailbox.mail_samples import (
    COMPLAINTS,
    EXPECTED,
    HARD,
    SOFT,
    deliver,
    maildir_counts,
    sample,
)
from tests.campaigns.people import add_people
from tests.campaigns.smtp_peer import SmtpPeer

PEOPLE = 20
# Who gets which sample: person0001 the first sample in name order, and so on.
ASSIGNED = {name: f"person{i:04d}@example.com" for i, name in enumerate(sorted(EXPECTED), 1)}
UNSUBSCRIBER = "person0016@example.com"
STRANGER = "person0017@example.com"  # bounced, but for a message that isn't ours
HEADER_ONLY = "person0018@example.com"  # bounce quotes X-Hookline-Campaign, not the Message-ID


def fetch(hookline: Hookline, folder: Path, *options: str) -> Result:
    return hookline.run("bounces", "fetch", "--mailbox", f"maildir:{folder}", *options)


def fetch_json(hookline: Hookline, folder: Path, *options: str) -> dict[str, Any]:
    result = fetch(hookline, folder, "--json", *options)
    assert result.exit_code == 0, result.output
    summary: dict[str, Any] = json.loads(result.stdout)
    return summary


def unsubscribe_mail(campaign: SentCampaign, address: str) -> bytes:
    """What a mail client sends when the reader picks the List-Unsubscribe mailto link."""
    header = str(campaign.messages[address]["List-Unsubscribe"])
    mailto = re.search(r"<mailto:([^?>]+)\?subject=([^>]+)>", header)
    assert mailto is not None, header
    return (
        f"From: {address}\r\nTo: {mailto.group(1)}\r\nMessage-ID: <u1@example.com>\r\n"
        f"Subject: {unquote(mailto.group(2))}\r\n\r\n"
    ).encode()


def without_message_id(raw: bytes) -> bytes:
    """The Exim sample with the quoted message's Message-ID line removed."""
    return re.sub(rb"(?m)^Message-Id: <c\d+\.r\d+\.[^>]*>\n", b"", raw)


@dataclass
class Fetched:
    """The first fetch of a mailbox holding every sample, and what it takes to look."""

    hookline: Hookline
    db: Database
    campaign: SentCampaign
    folder: Path
    summary: dict[str, Any]
    messages: list[bytes]


@pytest.fixture
def fetched(
    mail_hookline: Hookline, mail_db: Database, smtp_sink: SmtpPeer, tmp_path: Path
) -> Fetched:
    add_people(mail_db, PEOPLE)
    campaign = send_campaign(mail_hookline, smtp_sink, "jazz")
    messages = [
        sample(
            name,
            message_id=campaign.message_id(address),
            recipient=address,
            campaign_id=campaign.campaign_id,
        )
        for name, address in ASSIGNED.items()
    ]
    messages.append(unsubscribe_mail(campaign, UNSUBSCRIBER))
    messages.append(
        sample(
            "postfix-user-unknown.eml",
            message_id="<20100524.A8F82EDD@elsewhere.example>",
            recipient=STRANGER,
            campaign_id=0,
        )
    )
    messages.append(
        without_message_id(
            sample(
                "exim-user-unknown.eml",
                message_id=campaign.message_id(HEADER_ONLY),
                recipient=HEADER_ONLY,
                campaign_id=campaign.campaign_id,
            )
        )
    )
    messages.append(b"\x00\xff this is not mail \xfe")
    folder = tmp_path / "bounces"
    deliver(folder, *messages)
    summary = fetch_json(mail_hookline, folder)
    return Fetched(mail_hookline, mail_db, campaign, folder, summary, messages)


def test_the_summary_counts_every_kind_of_message(fetched: Fetched) -> None:
    summary = fetched.summary

    assert {key: value for key, value in summary.items() if key != "unmatched_messages"} == {
        "mailbox": f"maildir:{fetched.folder}",
        "dry_run": False,
        "messages": 19,
        "hard_bounces": len(HARD) + 1,
        "soft_bounces": len(SOFT),
        "complaints": len(COMPLAINTS),
        "replies": 1,
        "auto_replies": 1,
        "unsubscribes": 1,
        "ignored": 0,
        "unmatched": 2,
        "already_recorded": 0,
        "suppressed": len(HARD) + 1 + len(COMPLAINTS) + 1,
    }


def test_unmatched_messages_are_listed_by_key_with_the_reason(fetched: Fetched) -> None:
    reasons = sorted(item["why"] for item in fetched.summary["unmatched_messages"])

    assert reasons == [
        "a hard bounce that quotes none of our Message-IDs",
        "names none of our messages",
    ]
    assert all(item["key"] for item in fetched.summary["unmatched_messages"])


def test_hard_bounces_mark_the_row_bounced_and_suppress_the_address(fetched: Fetched) -> None:
    ledger = fetched.hookline.ledger("jazz")
    bounced = [ASSIGNED[name] for name in HARD] + [HEADER_ONLY]

    for address in bounced:
        row = ledger[address]
        assert row.state == "bounced", address
        assert row.smtp_code is None
        assert row.detail is not None and row.detail.startswith("bounced later: 5."), row.detail
        assert db_views.suppression_reason(fetched.db, address) == "hard_bounce"
    details = {e.email: e.detail for e in db_views.events(fetched.db, "bounce")}
    assert sorted(details) == sorted(bounced)
    assert {e.source for e in db_views.events(fetched.db, "bounce")} == {"dsn"}
    assert details[ASSIGNED["postfix-user-unknown.eml"]] == (
        f"5.1.1 550 5.1.1 Address rejected {ASSIGNED['postfix-user-unknown.eml']}"
    )


def test_soft_bounces_are_events_but_leave_the_row_and_the_address_alone(
    fetched: Fetched,
) -> None:
    ledger = fetched.hookline.ledger("jazz")
    soft = [ASSIGNED[name] for name in SOFT]

    assert sorted(e.email for e in db_views.events(fetched.db, "soft_bounce")) == sorted(soft)
    for address in soft:
        assert ledger[address].state == "sent"
        assert db_views.suppression_reason(fetched.db, address) is None


def test_complaints_are_recorded_and_suppress_the_address(fetched: Fetched) -> None:
    complaints = db_views.events(fetched.db, "complaint")

    assert sorted(e.email for e in complaints) == sorted(ASSIGNED[n] for n in COMPLAINTS)
    assert {e.source for e in complaints} == {"arf"}
    for name in COMPLAINTS:
        assert db_views.suppression_reason(fetched.db, ASSIGNED[name]) == "complaint"


def test_a_mail_to_the_unsubscribe_address_unsubscribes_its_recipient(fetched: Fetched) -> None:
    unsubscribes = db_views.events(fetched.db, "unsubscribe")

    assert [(e.email, e.source) for e in unsubscribes] == [(UNSUBSCRIBER, "mailto")]
    assert db_views.suppression_reason(fetched.db, UNSUBSCRIBER) == "unsubscribed"
    assert db_views.consent(fetched.db, UNSUBSCRIBER) == "withdrawn"


def test_a_reply_in_the_bounce_mailbox_is_recorded_but_not_the_auto_reply(
    fetched: Fetched,
) -> None:
    replies = db_views.events(fetched.db, "reply")

    assert [(e.email, e.source, e.detail) for e in replies] == [
        (
            ASSIGNED["human-reply.eml"],
            "reply",
            "Re: Save 60% on every jazz CD until Friday",
        )
    ]
    assert db_views.suppression_reason(fetched.db, ASSIGNED["exchange-auto-reply.eml"]) is None


def test_the_next_campaign_leaves_out_bounced_complaining_and_unsubscribed_people(
    fetched: Fetched,
) -> None:
    created = fetched.hookline.run(
        "campaign", "create", "next", "--template",
        str(Path(__file__).resolve().parents[3] / "templates" / "en" / "jazz-sale.html.j2"),
        "--from", "Hookline Records <news@shop.example.com>",
    )  # fmt: skip
    assert created.exit_code == 0, created.output

    snapshot = fetched.hookline.start("next")

    excluded = {ASSIGNED[n] for n in HARD + COMPLAINTS} | {HEADER_ONLY, UNSUBSCRIBER}
    assert snapshot == PEOPLE - len(excluded)
    assert not excluded & set(fetched.hookline.ledger("next"))
    assert {ASSIGNED[n] for n in SOFT} <= set(fetched.hookline.ledger("next"))


def test_handled_messages_move_to_cur_as_seen_and_a_second_fetch_reads_none(
    fetched: Fetched,
) -> None:
    before = len(db_views.events(fetched.db))

    second = fetch(fetched.hookline, fetched.folder)

    assert maildir_counts(fetched.folder) == {"new": 0, "cur": 19, "seen": 19}
    assert second.exit_code == 0, second.output
    assert second.stdout.strip() == f"No new messages in maildir:{fetched.folder}."
    assert len(db_views.events(fetched.db)) == before


def test_the_same_mail_delivered_again_records_nothing_new(fetched: Fetched) -> None:
    before = (db_views.events(fetched.db), db_views.suppressions(fetched.db))
    deliver(fetched.folder, *fetched.messages)

    again = fetch_json(fetched.hookline, fetched.folder)

    recorded_kinds = len(HARD) + 1 + len(SOFT) + len(COMPLAINTS) + 1 + 1
    assert again["messages"] == 19
    assert again["already_recorded"] == recorded_kinds
    assert (again["auto_replies"], again["unmatched"], again["suppressed"]) == (1, 2, 0)
    assert (db_views.events(fetched.db), db_views.suppressions(fetched.db)) == before


def test_the_text_report_names_each_count(fetched: Fetched) -> None:
    deliver(fetched.folder, *fetched.messages[:2])

    result = fetch(fetched.hookline, fetched.folder)

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == f"Read 2 message(s) from maildir:{fetched.folder}."
    assert "already recorded      2" in result.stdout


# -- dry run, soft-bounce limit ----------------------------------------------------------


def test_a_dry_run_counts_everything_and_records_nothing(
    mail_hookline: Hookline, mail_db: Database, smtp_sink: SmtpPeer, tmp_path: Path
) -> None:
    add_people(mail_db, 3)
    campaign = send_campaign(mail_hookline, smtp_sink, "jazz")
    folder = tmp_path / "bounces"
    people = sorted(campaign.messages)
    names = ("postfix-user-unknown.eml", "yahoo-arf-abuse.eml", "exchange-delayed.eml")
    deliver(
        folder,
        *(
            sample(
                n, message_id=campaign.message_id(p), recipient=p, campaign_id=campaign.campaign_id
            )
            for n, p in zip(names, people, strict=True)
        ),
    )

    dry = fetch_json(mail_hookline, folder, "--dry-run")
    state_after_dry_run = (db_views.events(mail_db), db_views.suppressions(mail_db))
    folder_after_dry_run = maildir_counts(folder)
    real = fetch_json(mail_hookline, folder)

    counted = ("hard_bounces", "complaints", "soft_bounces", "suppressed", "messages")
    assert [dry[key] for key in counted] == [1, 1, 1, 2, 3]
    assert dry["dry_run"] is True
    assert state_after_dry_run == ([], {})
    assert folder_after_dry_run == {"new": 3, "cur": 0, "seen": 0}
    assert [real[key] for key in counted] == [dry[key] for key in counted]
    assert mail_hookline.ledger("jazz")[people[0]].state == "bounced"


def test_soft_bounces_since_the_last_open_or_click_suppress_at_the_limit(
    mail_hookline: Hookline, mail_db: Database, smtp_sink: SmtpPeer, tmp_path: Path
) -> None:
    full, engaged = add_people(mail_db, 2)
    campaigns = [send_campaign(mail_hookline, smtp_sink, name) for name in ("a", "b", "c")]
    now = utcnow()
    # One soft bounce per campaign, an hour apart; `engaged` opened the first campaign
    # between the second and third bounce, so only the third counts for them.
    when = [now - timedelta(hours=3), now - timedelta(hours=2), now - timedelta(hours=1)]
    recipient_id, contact_id = db_views.row_of(mail_db, campaigns[0].campaign_id, engaged)
    with mail_db.engine.begin() as connection:
        opened = now - timedelta(minutes=90)
        record_events(
            connection,
            [Event(campaigns[0].campaign_id, recipient_id, contact_id, "open", opened)],
        )
    folder = tmp_path / "bounces"
    for campaign, at in zip(campaigns, when, strict=True):
        deliver(
            folder,
            *(
                sample(
                    "exchange-delayed.eml",
                    message_id=campaign.message_id(person),
                    recipient=person,
                    campaign_id=campaign.campaign_id,
                    date=at.replace(tzinfo=UTC),
                )
                for person in (full, engaged)
            ),
        )

    summary = fetch_json(mail_hookline, folder)

    assert (summary["soft_bounces"], summary["suppressed"]) == (6, 1)
    assert db_views.suppression_reason(mail_db, full) == "soft_bounce"
    assert db_views.suppression_reason(mail_db, engaged) is None


def test_the_soft_bounce_limit_comes_from_the_config(
    mail_hookline: Hookline, mail_db: Database, smtp_sink: SmtpPeer, tmp_path: Path
) -> None:
    (person,) = add_people(mail_db, 1)
    campaign = send_campaign(mail_hookline, smtp_sink, "jazz")
    folder = tmp_path / "bounces"
    deliver(
        folder,
        sample(
            "qmail-mailbox-full.eml",
            message_id=campaign.message_id(person),
            recipient=person,
            campaign_id=campaign.campaign_id,
        ),
    )
    mail_hookline.env["HOOKLINE_BOUNCES_SOFT_BOUNCE_LIMIT"] = "1"

    summary = fetch_json(mail_hookline, folder)

    assert (summary["soft_bounces"], summary["suppressed"]) == (1, 1)
    assert db_views.suppression_reason(mail_db, person) == "soft_bounce"


def test_repeated_delay_notices_about_one_message_are_one_soft_bounce(
    mail_hookline: Hookline, mail_db: Database, smtp_sink: SmtpPeer, tmp_path: Path
) -> None:
    (person,) = add_people(mail_db, 1)
    campaign = send_campaign(mail_hookline, smtp_sink, "jazz")
    folder = tmp_path / "bounces"
    deliver(
        folder,
        *(
            sample(
                "exchange-delayed.eml",
                message_id=campaign.message_id(person),
                recipient=person,
                campaign_id=campaign.campaign_id,
                own_message_id=f"<delay-{hours}h@mail.example.com>",
            )
            for hours in (4, 8, 24)
        ),
    )
    mail_hookline.env["HOOKLINE_BOUNCES_SOFT_BOUNCE_LIMIT"] = "2"

    summary = fetch_json(mail_hookline, folder)

    assert (summary["soft_bounces"], summary["suppressed"]) == (3, 0)
    assert len(db_views.events(mail_db, "soft_bounce")) == 3
    assert db_views.suppression_reason(mail_db, person) is None


# -- errors: one line, exit 2 ------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--mailbox", "maildir:nowhere"), "maildir:nowhere: no such folder"),
        (("--mailbox", "pop3://mail.example.com/"), "unknown kind of mailbox"),
        ((), "maildir:var/bounces: no such folder"),  # the config's default mailbox
        (("--mailbox", "imaps://bounces@127.0.0.1:1/INBOX"), "no password"),
    ],
)
def test_an_unreadable_mailbox_is_one_line_and_exit_2(
    mail_hookline: Hookline, options: tuple[str, ...], message: str
) -> None:
    result = mail_hookline.run("bounces", "fetch", *options)

    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("cli bounces fetch: error: ")  # CliRunner names it "cli"
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_a_bad_soft_bounce_limit_is_a_config_error(mail_hookline: Hookline, tmp_path: Path) -> None:
    deliver(tmp_path / "box")
    mail_hookline.env["HOOKLINE_BOUNCES_SOFT_BOUNCE_LIMIT"] = "0"

    result = fetch(mail_hookline, tmp_path / "box")

    assert result.exit_code == 2
    assert "[bounces] soft-bounce-limit must be positive" in result.stderr


# -- bounces parse -------------------------------------------------------------------------


def test_parse_shows_what_a_message_would_count_as(mail_hookline: Hookline, tmp_path: Path) -> None:
    path = tmp_path / "returned.eml"
    path.write_bytes(
        sample(
            "gmail-failed-permanently.eml",
            message_id="<c3.r17.00000000@shop.example.com>",
            recipient="lan@example.net",
            campaign_id=3,
        )
    )

    text = mail_hookline.run("bounces", "parse", str(path))
    as_json = mail_hookline.run("bounces", "parse", str(path), "--json")

    assert text.exit_code == 0, text.output
    assert "kind         hard bounce" in text.stdout
    assert "status       5.1.1" in text.stdout
    # The ID's hash is wrong, so only the quoted X-Hookline-Campaign and address remain.
    assert "campaign 3 (X-Hookline-Campaign), the row of lan@example.net" in text.stdout
    data = json.loads(as_json.stdout)
    assert (data["kind"], data["format"], data["ours"]) == ("hard_bounce", "gmail", None)


def test_parse_of_a_missing_file_is_one_line_and_exit_2(mail_hookline: Hookline) -> None:
    result = mail_hookline.run("bounces", "parse", "missing.eml")

    assert result.exit_code == 2
    assert "missing.eml" in result.stderr
    assert result.stderr.count("\n") == 1
