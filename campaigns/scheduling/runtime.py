"""The running scheduler service, as the job functions find it.

Jobs are pickled into the database with plain arguments (a campaign id), so they
can't carry settings, a database or an SMTP connection. :class:`SchedulerService`
installs a :class:`ServiceContext` here when it starts, and the job functions and
periodic tasks read it with :func:`current`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from audiences.db import Database
from campaigns.scheduling.scheduler_settings import SchedulerSettings
from campaigns.settings import CampaignSettings
from linter.config import LinterConfig

if TYPE_CHECKING:
    from campaigns.composer import MessageComposer
    from campaigns.letters.letter_settings import LetterSettings
    from campaigns.smtp.smtp_url import SmtpUrl


@dataclass
class ServiceContext:
    """What jobs need from the service that runs them."""

    settings: CampaignSettings
    scheduler: SchedulerSettings
    db: Database
    lint_config: LinterConfig | None = None
    # [letters] of the service's config file, for printing scheduled letter campaigns.
    letters: LetterSettings | None = None
    # The SMTP server, opened once for the service's lifetime (None: open per use).
    smtp_url: SmtpUrl | None = None
    # Set when the service stops: sending loops finish the message in flight and return.
    stop: threading.Event = field(default_factory=threading.Event)
    owner: str | None = None
    composers: dict[int, MessageComposer] = field(default_factory=dict)
    # Removes a job by id (a cron job whose campaign is gone).
    remove_job: Callable[[str], None] | None = None


_lock = threading.Lock()
_current: ServiceContext | None = None


def install(context: ServiceContext | None) -> None:
    """Make ``context`` the running service's (None: no service runs)."""
    global _current  # noqa: PLW0603 - the one registry pickled jobs can reach
    with _lock:
        _current = context


def current() -> ServiceContext:
    """The running service's context; a RuntimeError when no service runs."""
    context = _current
    if context is None:
        raise RuntimeError("no scheduler service is running in this process")
    return context


def running() -> ServiceContext | None:
    """The running service's context, or None."""
    return _current


@contextmanager
def installed(context: ServiceContext) -> Iterator[ServiceContext]:
    """``context`` installed for the duration of the block, then the previous one again."""
    previous = _current
    install(context)
    try:
        yield context
    finally:
        install(previous)
