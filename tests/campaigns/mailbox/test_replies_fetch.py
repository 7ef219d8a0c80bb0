"""``hookline replies fetch``: replies in the Reply-To mailbox become events exactly once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from audiences.db import Database
from campaigns.render.mime_message import make_message_id
from tests.campaigns.conftest import Hookline
from tests.campaigns.mailbox import db_views
from tests.campaigns.mailbox.conftest import SentCampaign, send_campaign
from tests.campaigns.mailbox.mail_samples import deliver, maildir_counts, sample
from tests.campaigns.people import add_people
from tests.campaigns.smtp_peer import SmtpPeer


def replies_fetch(hookline: Hookline, *options: str) -> dict[str, Any]:
    result = hookline.run("replies", "fetch", "--json", *options)
    assert result.exit_code == 0, result.output
    summary: dict[str, Any] = json.loads(result.stdout)
    return summary


def reply(campaign: SentCampaign, person: str, own_id: str | None = None) -> bytes:
    return sample(
        "human-reply.eml",
        message_id=campaign.message_id(person),
        recipient=person,
        campaign_id=campaign.campaign_id,
        own_message_id=own_id,
    )


@pytest.fixture
def campaign(mail_hookline: Hookline, mail_db: Database, smtp_sink: SmtpPeer) -> SentCampaign:
    add_people(mail_db, 3)
    return send_campaign(mail_hookline, smtp_sink, "jazz")


def test_replies_in_the_reply_to_mailbox_become_events_exactly_once(
    mail_hookline: Hookline, mail_db: Database, campaign: SentCampaign, tmp_path: Path
) -> None:
    lan, minh, _ = sorted(campaign.messages)
    folder = tmp_path / "replies"
    mail_hookline.env["HOOKLINE_REPLIES_MAILBOX"] = f"maildir:{folder}"
    replies = [reply(campaign, lan), reply(campaign, minh, "<second@example.net>")]
    auto = sample(
        "exchange-auto-reply.eml",
        message_id=campaign.message_id(lan),
        recipient=lan,
        campaign_id=campaign.campaign_id,
    )
    deliver(folder, *replies, auto)

    first = replies_fetch(mail_hookline)
    second = replies_fetch(mail_hookline)
    deliver(folder, *replies)  # the same replies delivered again (a forwarding loop, a restore)
    third = replies_fetch(mail_hookline)

    assert (first["messages"], first["replies"], first["auto_replies"]) == (3, 2, 1)
    assert second["messages"] == 0
    assert (third["replies"], third["already_recorded"]) == (0, 2)
    events = db_views.events(mail_db, "reply")
    assert sorted((e.email, e.source, e.campaign_id) for e in events) == [
        (lan, "reply", campaign.campaign_id),
        (minh, "reply", campaign.campaign_id),
    ]
    assert maildir_counts(folder) == {"new": 0, "cur": 5, "seen": 5}


def test_two_replies_from_one_person_are_two_events(
    mail_hookline: Hookline, mail_db: Database, campaign: SentCampaign, tmp_path: Path
) -> None:
    lan = sorted(campaign.messages)[0]
    folder = tmp_path / "replies"
    deliver(folder, reply(campaign, lan), reply(campaign, lan, "<later@example.net>"))

    summary = replies_fetch(mail_hookline, "--mailbox", f"maildir:{folder}")

    assert summary["replies"] == 2
    assert [e.email for e in db_views.events(mail_db, "reply")] == [lan, lan]


def test_without_a_replies_mailbox_replies_are_read_from_the_bounce_mailbox(
    mail_hookline: Hookline, mail_db: Database, campaign: SentCampaign, tmp_path: Path
) -> None:
    lan = sorted(campaign.messages)[0]
    folder = tmp_path / "bounces"
    mail_hookline.env["HOOKLINE_BOUNCES_MAILBOX"] = f"maildir:{folder}"
    deliver(folder, reply(campaign, lan))

    summary = replies_fetch(mail_hookline)

    assert summary["mailbox"] == f"maildir:{folder}"
    assert summary["replies"] == 1


def test_a_reply_to_a_message_we_never_sent_is_unmatched(
    mail_hookline: Hookline, mail_db: Database, campaign: SentCampaign, tmp_path: Path
) -> None:
    lan = sorted(campaign.messages)[0]
    folder = tmp_path / "replies"
    ours = campaign.message_id(lan)
    # A well-formed ID of ours for a row that doesn't exist (another deployment's).
    host = ours.rsplit("@", 1)[1].rstrip(">")
    ghost = make_message_id(host, campaign.campaign_id, 999_999)
    deliver(
        folder,
        sample(
            "human-reply.eml", message_id=ghost, recipient=lan, campaign_id=campaign.campaign_id
        ),
    )

    summary = replies_fetch(mail_hookline, "--mailbox", f"maildir:{folder}")

    assert (summary["replies"], summary["unmatched"]) == (0, 1)
    assert summary["unmatched_messages"][0]["why"].startswith("a reply about message <c")
    assert db_views.events(mail_db, "reply") == []
