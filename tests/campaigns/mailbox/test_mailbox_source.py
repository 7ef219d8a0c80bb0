"""Mailbox URLs and the maildir source: what is listed, read and marked handled."""

from __future__ import annotations

import mailbox
from pathlib import Path

import pytest

from campaigns.mailbox.mailbox_source import (
    MailboxError,
    MailboxUrl,
    MaildirSource,
    open_mailbox,
    parse_mailbox_url,
)
from tests.campaigns.mailbox.mail_samples import deliver, maildir_counts


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("maildir:var/bounces", MailboxUrl("maildir", path="var/bounces")),
        ("maildir:///var/mail/b", MailboxUrl("maildir", path="/var/mail/b")),
        (
            "imaps://bounces@mail.example.com/INBOX",
            MailboxUrl("imaps", host="mail.example.com", port=993, user="bounces"),
        ),
        (
            "imap://news%40shop.example.com:s%3Acret@mail.example.com:1143/Bounces%20In",
            MailboxUrl(
                "imap",
                host="mail.example.com",
                port=1143,
                user="news@shop.example.com",
                password="s:cret",
                folder="Bounces In",
            ),
        ),
    ],
)
def test_mailbox_urls_are_read(url: str, expected: MailboxUrl) -> None:
    assert parse_mailbox_url(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "no mailbox configured"),
        ("pop3://mail.example.com", "unknown kind of mailbox"),
        ("/var/mail/bounces", "unknown kind of mailbox"),
        ("imaps:///INBOX", "no host"),
        ("imaps://u@mail.example.com:99999/INBOX", "port"),
        ("maildir:", "needs a path"),
    ],
)
def test_bad_mailbox_urls_say_what_is_wrong(url: str, message: str) -> None:
    with pytest.raises(MailboxError, match=message):
        parse_mailbox_url(url)


def test_a_url_password_is_never_displayed() -> None:
    url = parse_mailbox_url("imaps://bounces:hunter2@mail.example.com/INBOX")

    assert "hunter2" not in url.display()
    with pytest.raises(MailboxError) as caught:
        parse_mailbox_url("pop3://bounces:hunter2@mail.example.com/")
    assert "hunter2" not in str(caught.value)


def test_a_missing_maildir_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(MailboxError, match="no such folder"):
        MaildirSource(tmp_path / "nowhere")


def test_a_folder_that_is_not_a_maildir_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(MailboxError, match=r"not a maildir \(no cur, new, tmp/"):
        MaildirSource(tmp_path)


def test_imap_without_a_password_is_an_error_before_connecting() -> None:
    url = parse_mailbox_url("imaps://bounces@127.0.0.1:1/INBOX")

    with pytest.raises(MailboxError, match="no password"), open_mailbox(url):
        pass


def test_imap_to_a_closed_port_is_an_error(unused_port: int) -> None:
    url = parse_mailbox_url(f"imaps://bounces@127.0.0.1:{unused_port}/INBOX")

    with pytest.raises(MailboxError, match="can't connect"), open_mailbox(url, "secret"):
        pass


def test_maildir_lists_new_and_unseen_mail_and_marks_it_seen_in_cur(tmp_path: Path) -> None:
    folder = tmp_path / "bounces"
    keys = deliver(folder, b"Subject: one\n\n1\n", b"Subject: two\n\n2\n", b"Subject: three\n\n3\n")
    box = mailbox.Maildir(folder)
    read = box.get_message(keys[2])
    read.set_subdir("cur")
    read.add_flag("S")  # a message a person already read
    box[keys[2]] = read
    flagged = box.get_message(keys[1])
    flagged.set_subdir("cur")
    flagged.add_flag("F")  # flagged, not seen
    box[keys[1]] = flagged
    source = MaildirSource(folder)

    listed = sorted(source.keys())
    bodies = {key: source.read(key) for key in listed}
    for key in listed:
        source.mark_handled(key)

    assert listed == sorted(keys[:2])
    assert bodies[keys[0]] == b"Subject: one\n\n1\n"
    assert maildir_counts(folder) == {"new": 0, "cur": 3, "seen": 3}
    assert sorted(path.name.split(":2,")[1] for path in (folder / "cur").iterdir()) == [
        "FS",
        "S",
        "S",
    ]
    assert MaildirSource(folder).keys() == []


@pytest.fixture
def unused_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
