"""Reading a mailbox: classify each message, record its effects, mark it handled.

One transaction per message, committed before the message is marked handled, so a
crash at any point loses nothing and a second run records nothing twice (the events'
dedup keys). ``dry_run`` does all the work, including the database lookups, then
rolls each transaction back and leaves every message unread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine

from audiences.models import utcnow
from campaigns.mailbox.bounce_handling import (
    Effect,
    record_complaint,
    record_hard_bounce,
    record_mailto_unsubscribe,
    record_soft_bounce,
)
from campaigns.mailbox.classify import Classification, classify
from campaigns.mailbox.mailbox_source import MailSource
from campaigns.mailbox.recipient_lookup import find_recipient
from campaigns.mailbox.reply_handling import record_reply
from campaigns.tokens import TokenSigner

# Summary field for each outcome of Effect.
_COUNTERS = {
    "hard_bounce": "hard_bounces",
    "soft_bounce": "soft_bounces",
    "complaint": "complaints",
    "reply": "replies",
    "auto_reply": "auto_replies",
    "unsubscribe": "unsubscribes",
    "ignored": "ignored",
    "unmatched": "unmatched",
    "already_recorded": "already_recorded",
}


@dataclass
class FetchSummary:
    """What one fetch read and did."""

    mailbox: str
    dry_run: bool = False
    messages: int = 0
    hard_bounces: int = 0
    soft_bounces: int = 0
    complaints: int = 0
    replies: int = 0
    auto_replies: int = 0
    unsubscribes: int = 0
    ignored: int = 0
    unmatched: int = 0
    already_recorded: int = 0
    suppressed: int = 0
    # The unmatched messages by key, with why, so someone can look at them.
    unmatched_messages: list[dict[str, str]] = field(default_factory=list)

    def add(self, key: str, message: Classification, effect: Effect) -> None:
        """Count one handled message."""
        self.messages += 1
        name = _COUNTERS[effect.outcome]
        setattr(self, name, getattr(self, name) + 1)
        self.suppressed += int(effect.suppressed)
        if effect.outcome == "unmatched":
            self.unmatched_messages.append({"key": key, "why": _why_unmatched(message)})

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return dict(vars(self))


def handle_message(
    connection: Connection, message: Classification, soft_bounce_limit: int
) -> Effect:
    """Record what ``message`` means; the caller owns the transaction."""
    now = utcnow()
    if message.kind in ("auto_reply", "ignored", "unmatched"):
        return Effect(message.kind)
    if message.kind == "unsubscribe":
        return record_mailto_unsubscribe(connection, message, now)
    origin = find_recipient(connection, message)
    if origin is None:
        return Effect("unmatched")
    if message.kind == "hard_bounce":
        return record_hard_bounce(connection, origin, message, now)
    if message.kind == "soft_bounce":
        return record_soft_bounce(connection, origin, message, soft_bounce_limit, now)
    if message.kind == "complaint":
        return record_complaint(connection, origin, message, now)
    return record_reply(connection, origin, message, now)


def fetch_mailbox(
    engine: Engine,
    source: MailSource,
    *,
    mailbox: str,
    signer: TokenSigner | None,
    soft_bounce_limit: int,
    dry_run: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
) -> FetchSummary:
    """Handle every unhandled message of ``source``; see the module docstring."""
    summary = FetchSummary(mailbox=mailbox, dry_run=dry_run)
    keys = source.keys()
    for done, key in enumerate(keys, start=1):
        raw = source.read(key)
        if raw is not None:
            message = classify(raw, signer)
            with engine.connect() as connection:
                transaction = connection.begin()
                try:
                    effect = handle_message(connection, message, soft_bounce_limit)
                except BaseException:
                    transaction.rollback()
                    raise
                if dry_run:
                    transaction.rollback()
                else:
                    transaction.commit()
            if not dry_run:
                source.mark_handled(key)
            summary.add(key, message, effect)
        if on_progress is not None:
            on_progress(done, len(keys))
    return summary


def _why_unmatched(message: Classification) -> str:
    if message.kind == "unmatched":
        return message.summary
    if message.kind == "unsubscribe":
        return "an unsubscribe request for a ledger row that doesn't exist"
    kind = message.kind.replace("_", " ")
    if message.ours is not None:
        return f"a {kind} about message {message.ours.message_id}, which no ledger row has"
    return f"a {kind} that quotes none of our Message-IDs"
