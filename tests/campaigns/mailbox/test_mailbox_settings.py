"""``[bounces]`` and ``[replies]``: defaults, the repository's config, environment overrides."""

from __future__ import annotations

import pytest

from campaigns.mailbox.mailbox_settings import (
    MailboxSettings,
    load_mailbox_settings,
    mailbox_password,
    mailbox_settings_from_mapping,
)
from linter.config_file import ConfigError
from tests.campaigns.mailbox.mail_samples import REPO


def test_the_repository_config_documents_the_defaults() -> None:
    settings = load_mailbox_settings(REPO / "config.toml", environ={})

    assert settings == MailboxSettings("maildir:var/bounces", "", 3)


def test_environment_variables_override_the_file() -> None:
    environ = {
        "HOOKLINE_BOUNCES_MAILBOX": "imaps://bounces@mail.example.com/INBOX",
        "HOOKLINE_BOUNCES_SOFT_BOUNCE_LIMIT": "5",
        "HOOKLINE_REPLIES_MAILBOX": "maildir:/var/mail/replies",
    }

    settings = mailbox_settings_from_mapping({}, environ)

    assert settings == MailboxSettings(
        "imaps://bounces@mail.example.com/INBOX", "maildir:/var/mail/replies", 5
    )


def test_an_unknown_key_is_named() -> None:
    with pytest.raises(ConfigError, match=r"\[bounces\] has unknown key\(s\) password"):
        mailbox_settings_from_mapping({"bounces": {"password": "no"}}, {})


def test_replies_fall_back_to_the_bounce_mailbox_and_its_password() -> None:
    settings = MailboxSettings("maildir:var/bounces", "", 3)

    assert settings.mailbox_for("replies") == ("maildir:var/bounces", "bounces")
    assert MailboxSettings("a", "maildir:r", 3).mailbox_for("replies") == ("maildir:r", "replies")
    assert mailbox_password("bounces", {"HOOKLINE_BOUNCES_PASSWORD": "x"}) == "x"
    assert mailbox_password("replies", {"HOOKLINE_BOUNCES_PASSWORD": "x"}) is None
