"""What one incoming message is, and which of our messages it is about; no database.

In this order, because each kind can look like the next: a delivery report (RFC
3464, which usually also says ``Auto-Submitted``), an abuse report (RFC 5965), a
plain-text bounce, a mail to the List-Unsubscribe mailto address, an automatic
reply (RFC 3834), a person's reply to one of our messages. Anything else, or
anything that can't be read, is ``unmatched``: counted, never guessed at.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from email.message import Message
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from typing import Any

from audiences.models import utcnow
from campaigns.mailbox.arf_parser import is_feedback_report, parse_feedback_report
from campaigns.mailbox.auto_reply import auto_reply_reason
from campaigns.mailbox.dsn_parser import (
    RecipientStatus,
    bounce_kind,
    is_delivery_report,
    parse_delivery_report,
)
from campaigns.mailbox.message_match import (
    OriginalHeaders,
    OurMessage,
    header_text,
    original_headers,
    quoted_message_ids,
    read_our_message_id,
    referenced_message,
)
from campaigns.mailbox.text_bounce_parser import parse_text_bounce
from campaigns.tokens import TokenSigner

KINDS = (
    "hard_bounce",
    "soft_bounce",
    "complaint",
    "unsubscribe",
    "reply",
    "auto_reply",
    "ignored",
    "unmatched",
)
BOUNCE_KINDS = ("hard_bounce", "soft_bounce")
_UNSUBSCRIBE_SUBJECT = re.compile(r"^\s*unsubscribe\s+([A-Za-z0-9._-]+)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Classification:
    """What a message is (``kind``, one of KINDS) and everything read from it."""

    kind: str
    summary: str
    format: str | None = None
    message_id: str | None = None
    ours: OurMessage | None = None
    campaign_hint: int | None = None
    recipient_address: str | None = None
    action: str | None = None
    status: str | None = None
    diagnostic: str | None = None
    feedback_type: str | None = None
    unsubscribe_recipient: int | None = None
    subject: str | None = None
    auto_reply: str | None = None
    occurred_at: datetime | None = None
    digest: str = ""

    @property
    def identity(self) -> str:
        """The message's own Message-ID, or its digest when it has none (for dedup keys)."""
        if self.message_id and len(self.message_id) <= 120:
            return self.message_id
        return f"sha256:{self.digest[:40]}"

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view, for ``hookline bounces parse --json``."""
        data = asdict(self)
        data["ours"] = (
            {
                "campaign_id": self.ours.campaign_id,
                "recipient_id": self.ours.recipient_id,
                "message_id": self.ours.message_id,
            }
            if self.ours is not None
            else None
        )
        data["occurred_at"] = (
            self.occurred_at.isoformat(sep=" ", timespec="seconds") if self.occurred_at else None
        )
        return data


def classify(raw: bytes, signer: TokenSigner | None = None) -> Classification:
    """Classify one message (its raw bytes). Never raises: unreadable is ``unmatched``.

    ``signer`` checks the token of an unsubscribe mail; without it such a mail is
    recognised but names no recipient.
    """
    digest = hashlib.sha256(raw).hexdigest()
    try:
        message = BytesParser().parsebytes(raw)
        return _classify(message, signer, digest)
    # Malformed mail finds corners of the email package (and of the parsers here) that
    # raise; one bad message must be counted, not stop a fetch.
    except Exception as exc:
        return Classification(
            "unmatched", f"unreadable: {type(exc).__name__}: {exc}"[:300], digest=digest
        )


def _classify(message: Message, signer: TokenSigner | None, digest: str) -> Classification:
    base: dict[str, Any] = {
        "message_id": _header(message, "Message-ID"),
        "subject": _header(message, "Subject"),
        "occurred_at": _date(message),
        "digest": digest,
    }
    if is_delivery_report(message):
        return _delivery_report(message, base)
    if is_feedback_report(message):
        return _feedback_report(message, base)
    text_bounce = parse_text_bounce(message)
    if text_bounce is not None:
        original = original_headers(message)
        kind = bounce_kind(text_bounce.action, text_bounce.status) or "hard_bounce"
        return Classification(
            kind,
            f"{text_bounce.format} bounce: {text_bounce.action} {text_bounce.status}",
            format=text_bounce.format,
            ours=_our_message(message, original),
            campaign_hint=original.campaign_header if original else None,
            recipient_address=text_bounce.recipient or (original.to if original else None),
            action=text_bounce.action,
            status=text_bounce.status,
            diagnostic=text_bounce.diagnostic,
            **base,
        )
    unsubscribe = _UNSUBSCRIBE_SUBJECT.match(base["subject"] or "")
    if unsubscribe is not None:
        return _unsubscribe(unsubscribe.group(1), signer, base)
    ours = referenced_message(message)
    reason = auto_reply_reason(message)
    if reason is not None:
        return Classification(
            "auto_reply", f"automatic reply ({reason})", "rfc3834", ours=ours, auto_reply=reason,
            **base,
        )  # fmt: skip
    if ours is not None:
        return Classification("reply", "a reply to one of our messages", "reply", ours=ours, **base)
    return Classification("unmatched", "names none of our messages", **base)


def _delivery_report(message: Message, base: dict[str, Any]) -> Classification:
    report = parse_delivery_report(message)
    original = original_headers(message)
    ours = _our_message(message, original)
    hint = original.campaign_header if original else None
    if report is None or not report.recipients:
        return Classification(
            "unmatched", "a delivery report without recipients", "rfc3464", ours=ours, **base
        )
    chosen = _chosen_recipient(report.recipients, original)
    kind = bounce_kind(chosen.action, chosen.status)
    summary = f"delivery report (RFC 3464): {chosen.action or '?'} {chosen.status or ''}".strip()
    return Classification(
        kind or "ignored",
        summary,
        "rfc3464",
        ours=ours,
        campaign_hint=hint,
        recipient_address=chosen.final_recipient or chosen.original_recipient,
        action=chosen.action,
        status=chosen.status,
        diagnostic=chosen.diagnostic,
        **base,
    )


def _feedback_report(message: Message, base: dict[str, Any]) -> Classification:
    report = parse_feedback_report(message)
    original = original_headers(message)
    ours = _our_message(message, original)
    feedback_type = report.feedback_type if report is not None else "abuse"
    complaint = report is None or report.is_complaint
    agent = f" from {report.user_agent}" if report is not None and report.user_agent else ""
    return Classification(
        "complaint" if complaint else "ignored",
        f"abuse report (RFC 5965): {feedback_type}{agent}",
        "arf",
        ours=ours,
        campaign_hint=original.campaign_header if original else None,
        recipient_address=(report.original_rcpt_to if report else None)
        or (original.to if original else None),
        feedback_type=feedback_type,
        diagnostic=f"{feedback_type}{agent}",
        **base,
    )


def _unsubscribe(token: str, signer: TokenSigner | None, base: dict[str, Any]) -> Classification:
    if signer is None:
        return Classification(
            "unsubscribe", "unsubscribe request (token not checked: no secret key)", "mailto",
            **base,
        )  # fmt: skip
    recipient_id = signer.read_recipient("unsubscribe", token)
    if recipient_id is None:
        return Classification("unmatched", "unsubscribe request with a forged token", **base)
    return Classification(
        "unsubscribe",
        "unsubscribe request (List-Unsubscribe mailto)",
        "mailto",
        unsubscribe_recipient=recipient_id,
        **base,
    )


def _our_message(message: Message, original: OriginalHeaders | None) -> OurMessage | None:
    """Our message a report is about: the quoted Message-ID, the report's own
    In-Reply-To (Exchange sets it), then any of our IDs in its text."""
    if original is not None and original.message_id:
        found = read_our_message_id(original.message_id)
        if found is not None:
            return found
    return referenced_message(message) or next(quoted_message_ids(message), None)


def _chosen_recipient(
    recipients: tuple[RecipientStatus, ...], original: OriginalHeaders | None
) -> RecipientStatus:
    """The block about our recipient: the one naming the original To, else the first
    that failed or was delayed, else the first."""
    if original is not None and original.to:
        for recipient in recipients:
            if original.to in recipient.addresses:
                return recipient
    for recipient in recipients:
        if bounce_kind(recipient.action, recipient.status) is not None:
            return recipient
    return recipients[0]


def _header(message: Message, name: str) -> str | None:
    value = header_text(message, name)
    return value[:998] if value else None


def _date(message: Message) -> datetime | None:
    """The Date header as naive UTC; None when missing, unreadable or in the future."""
    value = message.get("Date")
    if value is None:
        return None
    try:
        moment = parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    naive = moment.astimezone(UTC).replace(tzinfo=None)
    return naive if naive <= utcnow() else None
