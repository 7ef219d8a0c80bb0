"""Abuse reports (ARF, RFC 5965): a mailbox provider telling us someone clicked "spam".

An ARF report is ``multipart/report; report-type=feedback-report`` with a
``message/feedback-report`` part (``Feedback-Type``, ``User-Agent``,
``Original-Rcpt-To``…) and the reported message or its headers. Providers often
redact the recipient (AOL does), so the reported message's Message-ID is what
names the ledger row.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message

from campaigns.mailbox.message_match import clean_text, first_address

# Feedback types that mean the recipient doesn't want our mail (RFC 5965 section 7.3);
# "not-spam", "auth-failure" (RFC 6591) and "virus" are about something else.
COMPLAINT_TYPES = frozenset({"abuse", "fraud", "other"})


@dataclass(frozen=True)
class FeedbackReport:
    """The machine-readable part of an ARF report."""

    feedback_type: str
    user_agent: str | None
    original_rcpt_to: str | None
    reported_domain: str | None

    @property
    def is_complaint(self) -> bool:
        """Whether the report says the recipient didn't want the message."""
        return self.feedback_type in COMPLAINT_TYPES


def is_feedback_report(message: Message) -> bool:
    """Whether ``message`` is (or contains) an RFC 5965 feedback report."""
    if (
        message.get_content_type() == "multipart/report"
        and str(message.get_param("report-type", "")).lower() == "feedback-report"
    ):
        return True
    return any(part.get_content_type() == "message/feedback-report" for part in message.walk())


def parse_feedback_report(message: Message) -> FeedbackReport | None:
    """The report's fields, or None when there is no readable feedback-report part."""
    for part in message.walk():
        if part.get_content_type() != "message/feedback-report":
            continue
        payload = part.get_payload()
        # The stdlib parses the part's body as a header block: the report's fields.
        fields = payload[0] if isinstance(payload, list) and payload else None
        if not isinstance(fields, Message):
            continue
        feedback_type = _field(fields, "Feedback-Type")
        return FeedbackReport(
            feedback_type=(feedback_type or "abuse").lower(),
            user_agent=_field(fields, "User-Agent"),
            original_rcpt_to=first_address([_field(fields, "Original-Rcpt-To") or ""]),
            reported_domain=_field(fields, "Reported-Domain"),
        )
    return None


def _field(fields: Message, name: str) -> str | None:
    value = fields.get(name)
    return clean_text(str(value)) if value is not None else None
