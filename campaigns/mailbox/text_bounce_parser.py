"""Bounces that are not RFC 3464 reports: qmail, Exim, old Gmail and Exchange, plain Sendmail.

They are a plain-text explanation followed by a copy of the original message. The
explanation is read for three things only: whether delivery failed for good or is
delayed, the failed address, and the remote server's words (with their status code).
Which of our messages bounced is never read from here: that is the quoted
Message-ID's job (:mod:`campaigns.mailbox.message_match`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message

from campaigns.mailbox.dsn_parser import status_from_text
from campaigns.mailbox.message_match import first_address, header_text, text_parts

# (format, a sentence only that software writes)
_FORMATS = (
    ("qmail", re.compile(r"This is the qmail-send program", re.IGNORECASE)),
    ("exim", re.compile(r"created automatically by mail delivery software", re.IGNORECASE)),
    (
        "gmail",
        re.compile(r"Delivery to the following recipients? (failed|has been delayed)", re.I),
    ),
    (
        "exchange",
        re.compile(
            r"did not reach some or all of the intended recipients"
            r"|Delivery has failed to these recipients",
            re.IGNORECASE,
        ),
    ),
    (
        "sendmail",
        re.compile(r"following addresses had (permanent fatal errors|delivery problems)", re.I),
    ),
    (
        "generic",
        re.compile(
            r"(could not|couldn't|wasn't able to|was not able to|unable to) "
            r"(be )?deliver|undeliverable|delivery (has )?failed|returned mail",
            re.IGNORECASE,
        ),
    ),
)
_DAEMON_SENDERS = re.compile(
    r"mailer-daemon|postmaster|mail delivery (subsystem|system)|microsoftexchange", re.I
)
_PERMANENT = re.compile(
    r"permanent|failed permanently|given up|giving up|could not be reached|"
    r"address\(es\) failed|no longer (exists|valid)|user unknown|does not exist",
    re.IGNORECASE,
)
_DELAYED = re.compile(
    r"has not yet been delivered|has been delayed|delivery is delayed|will (continue|keep) "
    r"(to )?try|still (being )?tr(y|ied)|temporar(y|ily)",
    re.IGNORECASE,
)
# Where the failed address is announced: the address follows within a few lines.
_ANNOUNCES_RECIPIENT = re.compile(
    r"(following address(es|\(es\))?( had[^\n:]*| failed)?:|"
    r"following recipients?[^\n:]*:|"
    r"to these recipients[^\n:]*:|"
    r"could not be reached:|"
    r"could not be delivered to:)",
    re.IGNORECASE,
)
_QMAIL_RECIPIENT = re.compile(r"^<([^<>\s]+@[^<>\s]+)>:", re.MULTILINE)
_COPY_STARTS = re.compile(
    r"^[ \t]*-+[ \t]*(Below this line|This is a copy|Original message|Unsent message"
    r"|Returned mail follows|Message headers follow)",
    re.IGNORECASE | re.MULTILINE,
)


@dataclass(frozen=True)
class TextBounce:
    """What a plain-text bounce says about its one failed recipient."""

    format: str
    action: str  # "failed" or "delayed"
    status: str
    recipient: str | None
    diagnostic: str | None


def parse_text_bounce(message: Message) -> TextBounce | None:
    """Read a non-RFC bounce, or None when ``message`` doesn't look like one.

    It must come from a mailer daemon (or name ``X-Failed-Recipients``) and say in a
    known way that delivery failed.
    """
    sender = header_text(message, "From") or ""
    failed_header = header_text(message, "X-Failed-Recipients") or ""
    if not _DAEMON_SENDERS.search(sender) and not failed_header:
        return None
    text = _explanation(message)
    format_name = next((name for name, pattern in _FORMATS if pattern.search(text)), None)
    if format_name is None:
        return None
    permanent = bool(_PERMANENT.search(text))
    action = "delayed" if _DELAYED.search(text) and not permanent else "failed"
    recipient, diagnostic = _recipient_and_reason(text)
    if failed_header:
        recipient = first_address([failed_header]) or recipient
    status = status_from_text(diagnostic or text, permanent=action == "failed")
    if diagnostic is None:
        # The remote server's words are often in a transcript further down.
        diagnostic = next((line.strip(" <>") for line in text.splitlines() if status in line), None)
    return TextBounce(format_name, action, status, recipient, diagnostic)


def _explanation(message: Message) -> str:
    """The bounce's own words: its first text part, up to the copy of the original."""
    for text in text_parts(message):
        cut = _COPY_STARTS.search(text)
        return text[: cut.start()] if cut else text
    return ""


def _recipient_and_reason(text: str) -> tuple[str | None, str | None]:
    qmail = _QMAIL_RECIPIENT.search(text)
    if qmail is not None:
        return qmail.group(1).lower(), _paragraph_after(text, qmail.end())
    announced = _ANNOUNCES_RECIPIENT.search(text)
    if announced is None:
        return None, None
    window = text[announced.end() : announced.end() + 400]
    address = first_address(window.splitlines())
    if address is None:
        return None, None
    at = text.lower().find(address, announced.end())
    start = text.find("\n", at) if at >= 0 else -1
    return address, _paragraph_after(text, start) if start >= 0 else None


def _paragraph_after(text: str, start: int) -> str | None:
    """The lines after ``start`` up to the next blank line, joined into one."""
    lines: list[str] = []
    for line in text[start:].lstrip("\r\n").splitlines():
        if not line.strip():
            break
        lines.append(line.strip())
    reason = " ".join(lines)
    return reason[:1000] or None
