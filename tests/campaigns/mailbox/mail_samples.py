"""The real-world samples of tests/fixtures/bounces/, filled in for a ledger row, and helpers.

Each sample keeps its original structure; the original message's Message-ID, the
failed address, our sender and our X-Hookline-Campaign are placeholders
(``{{MESSAGE_ID}}``, ``{{RECIPIENT}}``, ``{{SENDER}}``, ``{{CAMPAIGN}}``) filled in for
a row the test created. See tests/fixtures/bounces/README.md for where each comes from.
"""

from __future__ import annotations

import mailbox
import re
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
SAMPLES = REPO / "tests" / "fixtures" / "bounces"
SENDER_ADDRESS = "news@shop.example.com"


@dataclass(frozen=True)
class Expected:
    """What a sample must be classified as."""

    kind: str
    format: str
    status: str | None
    # Whether the sample names the failed (or complaining) address itself; AOL redacts it.
    names_recipient: bool = True


# Every sample and its exact classification.
EXPECTED = {
    "postfix-user-unknown.eml": Expected("hard_bounce", "rfc3464", "5.1.1"),
    "sendmail-user-unknown.eml": Expected("hard_bounce", "rfc3464", "5.1.1"),
    "exchange2007-no-such-user.eml": Expected("hard_bounce", "rfc3464", "5.1.1"),
    "outlook-com-user-unknown.eml": Expected("hard_bounce", "rfc3464", "5.1.1"),
    "exim-user-unknown.eml": Expected("hard_bounce", "exim", "5.1.1"),
    "gmail-failed-permanently.eml": Expected("hard_bounce", "gmail", "5.1.1"),
    "qmail-no-host.eml": Expected("hard_bounce", "qmail", "5.0.0"),
    "qmail-mailbox-full.eml": Expected("soft_bounce", "qmail", "4.2.2"),
    "aol-mailbox-full.eml": Expected("soft_bounce", "rfc3464", "5.2.2"),
    "exchange-delayed.eml": Expected("soft_bounce", "rfc3464", "4.4.7"),
    "rfc3464-gave-up-after-5-days.eml": Expected("soft_bounce", "rfc3464", "4.0.0"),
    "yahoo-arf-abuse.eml": Expected("complaint", "arf", None),
    "aol-arf-redacted.eml": Expected("complaint", "arf", None, names_recipient=False),
    "exchange-auto-reply.eml": Expected("auto_reply", "rfc3834", None, names_recipient=False),
    "human-reply.eml": Expected("reply", "reply", None, names_recipient=False),
}
HARD = [name for name, e in EXPECTED.items() if e.kind == "hard_bounce"]
SOFT = [name for name, e in EXPECTED.items() if e.kind == "soft_bounce"]
COMPLAINTS = [name for name, e in EXPECTED.items() if e.kind == "complaint"]


def sample(
    name: str,
    *,
    message_id: str,
    recipient: str,
    campaign_id: int,
    date: datetime | None = None,
    own_message_id: str | None = None,
) -> bytes:
    """The sample filled in for one of our messages.

    ``date`` replaces the sample's own Date (its first, outer one), and
    ``own_message_id`` its own Message-ID, for a second report about the same message.
    """
    text = (SAMPLES / name).read_text(encoding="utf-8")
    if date is not None:
        text = re.sub(r"(?m)^Date: .*$", f"Date: {format_datetime(date)}", text, count=1)
    if own_message_id is not None:
        text = re.sub(r"(?mi)^Message-Id: <[^>]*>$", f"Message-ID: {own_message_id}", text, count=1)
    text = (
        text.replace("{{MESSAGE_ID}}", message_id)
        .replace("{{RECIPIENT}}", recipient)
        .replace("{{SENDER}}", SENDER_ADDRESS)
        .replace("{{CAMPAIGN}}", str(campaign_id))
    )
    assert "{{" not in text, f"{name}: a placeholder was left"
    return text.encode("utf-8")


def deliver(folder: Path, *messages: bytes) -> list[str]:
    """Put messages into the maildir ``folder`` (created if needed) as new mail; their keys."""
    box = mailbox.Maildir(folder, create=True)
    return [box.add(message) for message in messages]


def maildir_counts(folder: Path) -> dict[str, int]:
    """How many files are in new/ and in cur/ (and flagged seen there)."""
    cur = list((folder / "cur").iterdir())
    return {
        "new": len(list((folder / "new").iterdir())),
        "cur": len(cur),
        "seen": sum(1 for path in cur if path.name.split(":2,")[-1].count("S")),
    }
