"""``[bounces]`` and ``[replies]`` in config.toml: the mailboxes to read, the soft-bounce limit.

Like every table, each key can be overridden by ``HOOKLINE_BOUNCES_MAILBOX`` and so on.
Mailbox passwords never come from the file: ``HOOKLINE_BOUNCES_PASSWORD`` and
``HOOKLINE_REPLIES_PASSWORD`` (or the mailbox URL itself, from the environment).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from linter.config_file import find_config_file, positive_number, read_config, section_with_env

BOUNCES_DEFAULTS: dict[str, object] = {"mailbox": "maildir:var/bounces", "soft-bounce-limit": 3}
REPLIES_DEFAULTS: dict[str, object] = {"mailbox": ""}
PASSWORD_ENV = {"bounces": "HOOKLINE_BOUNCES_PASSWORD", "replies": "HOOKLINE_REPLIES_PASSWORD"}


@dataclass(frozen=True)
class MailboxSettings:
    """Where bounces and replies arrive, and when soft bounces suppress an address."""

    bounces_mailbox: str = "maildir:var/bounces"
    replies_mailbox: str = ""
    soft_bounce_limit: int = 3

    def mailbox_for(self, table: str) -> tuple[str, str]:
        """The mailbox URL a ``hookline TABLE fetch`` reads, and the table it came from.

        An empty ``[replies] mailbox`` means replies arrive where bounces do (the sender
        address, when campaigns set no Reply-To).
        """
        if table == "replies" and self.replies_mailbox:
            return self.replies_mailbox, "replies"
        return self.bounces_mailbox, "bounces"


def mailbox_settings_from_mapping(
    config: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> MailboxSettings:
    """Build the settings from a parsed config.toml and the environment."""
    bounces = section_with_env(config, "bounces", BOUNCES_DEFAULTS, environ)
    replies = section_with_env(config, "replies", REPLIES_DEFAULTS, environ)
    return MailboxSettings(
        bounces_mailbox=str(bounces["mailbox"]).strip(),
        replies_mailbox=str(replies["mailbox"]).strip(),
        soft_bounce_limit=positive_number("bounces", bounces, "soft-bounce-limit", int),
    )


def load_mailbox_settings(
    path: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> MailboxSettings:
    """Load the settings from the config file in force, with environment overrides."""
    return mailbox_settings_from_mapping(read_config(find_config_file(path)), environ)


def mailbox_password(table: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The password for the ``[table]`` mailbox from the environment, if set."""
    environ = os.environ if environ is None else environ
    return environ.get(PASSWORD_ENV[table]) or None
