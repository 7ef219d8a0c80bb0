"""Fetching bounces and replies over IMAP from a real Dovecot on loopback.

Dovecot (Debian's dovecot-imapd, installed by .ci/system-deps) is started once for
this module in a private folder (tests/campaigns/mailbox/dovecot_server.py); each
test works in its own IMAP folder. Without Dovecot the tests are skipped, except in
CI, where they fail.
"""

from __future__ import annotations

import itertools
import json
import ssl
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import Result

from audiences.db import Database
from campaigns.mailbox.fetch import fetch_mailbox
from campaigns.mailbox.mailbox_source import MailboxError, open_mailbox, parse_mailbox_url
from tests.campaigns.conftest import Hookline
from tests.campaigns.mailbox import db_views
from tests.campaigns.mailbox.conftest import SentCampaign, send_campaign
from tests.campaigns.mailbox.dovecot_server import PASSWORD, USER, Dovecot, start_dovecot
from tests.campaigns.mailbox.mail_samples import sample
from tests.campaigns.people import add_people
from tests.campaigns.smtp_peer import SmtpPeer

_folders = itertools.count(1)


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    server = start_dovecot()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def campaign(mail_hookline: Hookline, mail_db: Database, smtp_sink: SmtpPeer) -> SentCampaign:
    add_people(mail_db, 3)
    return send_campaign(mail_hookline, smtp_sink, "jazz")


def mail_for(campaign: SentCampaign) -> list[bytes]:
    """A hard bounce, a complaint, a reply and an auto-reply, for three recipients."""
    first, second, third = sorted(campaign.messages)
    plan = [
        ("postfix-user-unknown.eml", first),
        ("yahoo-arf-abuse.eml", second),
        ("human-reply.eml", third),
        ("exchange-auto-reply.eml", third),
    ]
    return [
        sample(
            name,
            message_id=campaign.message_id(person),
            recipient=person,
            campaign_id=campaign.campaign_id,
        ).replace(b"\n", b"\r\n")
        for name, person in plan
    ]


def imap_run(
    hookline: Hookline,
    dovecot: Dovecot,
    command: str,
    url: str,
    *options: str,
    password: str = PASSWORD,
    trust: bool = True,
) -> Result:
    """``hookline COMMAND fetch --mailbox URL``, trusting the test certificate (or not)."""
    hookline.env.update(
        {
            "HOOKLINE_BOUNCES_PASSWORD": password,
            "HOOKLINE_REPLIES_PASSWORD": password,
            # ssl.create_default_context() reads the CA bundle named here.
            "SSL_CERT_FILE": str(dovecot.certificate) if trust else "/nonexistent/ca.pem",
        }
    )
    return hookline.run(command, "fetch", "--mailbox", url, *options)


def summary_of(result: Result) -> dict[str, Any]:
    assert result.exit_code == 0, result.output
    summary: dict[str, Any] = json.loads(result.stdout)
    return summary


def test_imaps_fetch_records_each_message_and_flags_it_seen(
    mail_hookline: Hookline, mail_db: Database, campaign: SentCampaign, dovecot: Dovecot
) -> None:
    folder = dovecot.new_folder(f"Bounces{next(_folders)}", *mail_for(campaign))
    url = f"imaps://{USER}@127.0.0.1:{dovecot.imaps_port}/{folder}"

    first = summary_of(imap_run(mail_hookline, dovecot, "bounces", url, "--json"))
    seen = dovecot.seen(folder)
    second = summary_of(imap_run(mail_hookline, dovecot, "bounces", url, "--json"))

    counts = ("messages", "hard_bounces", "complaints", "replies", "auto_replies", "unmatched")
    assert [first[key] for key in counts] == [4, 1, 1, 1, 1, 0]
    assert first["mailbox"] == url
    assert seen == [True, True, True, True]
    assert second["messages"] == 0
    first_person = sorted(campaign.messages)[0]
    assert mail_hookline.ledger("jazz")[first_person].state == "bounced"
    assert db_views.suppression_reason(mail_db, first_person) == "hard_bounce"
    assert len(db_views.events(mail_db, "reply")) == 1


def test_imap_with_starttls_reads_the_replies_mailbox(
    mail_hookline: Hookline, mail_db: Database, campaign: SentCampaign, dovecot: Dovecot
) -> None:
    folder = dovecot.new_folder(f"Replies{next(_folders)}", *mail_for(campaign)[2:])
    url = f"imap://{USER}@127.0.0.1:{dovecot.imap_port}/{folder}"

    summary = summary_of(imap_run(mail_hookline, dovecot, "replies", url, "--json"))

    assert (summary["replies"], summary["auto_replies"]) == (1, 1)
    assert dovecot.seen(folder) == [True, True]


def test_a_dry_run_over_imap_leaves_every_message_unseen(
    mail_hookline: Hookline, mail_db: Database, campaign: SentCampaign, dovecot: Dovecot
) -> None:
    folder = dovecot.new_folder(f"Dry{next(_folders)}", *mail_for(campaign))
    url = f"imaps://{USER}@127.0.0.1:{dovecot.imaps_port}/{folder}"

    summary = summary_of(imap_run(mail_hookline, dovecot, "bounces", url, "--json", "--dry-run"))

    assert (summary["messages"], summary["hard_bounces"]) == (4, 1)
    assert dovecot.seen(folder) == [False, False, False, False]
    assert db_views.events(mail_db) == []


@pytest.mark.parametrize(
    ("url_template", "password", "trust", "message"),
    [
        ("imaps://{user}@127.0.0.1:{imaps}/INBOX", "wrong", True, "login failed"),
        ("imaps://{user}@127.0.0.1:{imaps}/NoSuchFolder", None, True, "can't open folder"),
        ("imaps://{user}@127.0.0.1:{imaps}/INBOX", None, False, "certificate is not trusted"),
        ("imap://{user}@127.0.0.1:{imap}/INBOX", None, False, "certificate is not trusted"),
    ],
)
def test_imap_failures_are_one_line_and_exit_2(
    mail_hookline: Hookline,
    dovecot: Dovecot,
    url_template: str,
    password: str | None,
    trust: bool,
    message: str,
) -> None:
    url = url_template.format(user=USER, imaps=dovecot.imaps_port, imap=dovecot.imap_port)

    result = imap_run(
        mail_hookline, dovecot, "bounces", url, password=password or PASSWORD, trust=trust
    )

    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert result.stderr.count("\n") == 1
    assert PASSWORD not in result.stderr


def test_the_library_fetch_takes_an_ssl_context_and_marks_seen_only_after_commit(
    mail_hookline: Hookline, mail_db: Database, campaign: SentCampaign, dovecot: Dovecot
) -> None:
    folder = dovecot.new_folder(f"Library{next(_folders)}", *mail_for(campaign)[:1])
    url = parse_mailbox_url(f"imaps://{USER}@127.0.0.1:{dovecot.imaps_port}/{folder}")
    context = ssl.create_default_context(cafile=str(dovecot.certificate))
    seen_during: list[list[bool]] = []

    def progress(done: int, total: int) -> None:
        seen_during.append(dovecot.seen(folder))

    with open_mailbox(url, PASSWORD, ssl_context=context) as source:
        summary = fetch_mailbox(
            mail_db.engine,
            source,
            mailbox=url.display(),
            signer=None,
            soft_bounce_limit=3,
            on_progress=progress,
        )

    assert summary.hard_bounces == 1
    assert seen_during == [[True]]  # flagged once its transaction had committed


def test_a_wrong_password_through_the_library_is_a_mailbox_error(dovecot: Dovecot) -> None:
    url = parse_mailbox_url(f"imaps://{USER}@127.0.0.1:{dovecot.imaps_port}/INBOX")
    context = ssl.create_default_context(cafile=str(dovecot.certificate))

    with (
        pytest.raises(MailboxError, match="login failed"),
        open_mailbox(url, "nope", ssl_context=context),
    ):
        pass
