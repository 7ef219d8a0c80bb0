"""Delivery status notifications (RFC 3464) and what their status codes mean (RFC 3463).

A DSN is ``multipart/report; report-type=delivery-status`` whose
``message/delivery-status`` part holds one block of per-message fields (Reporting-MTA,
Arrival-Date…) and one block per recipient: ``Final-Recipient``, ``Original-Recipient``,
``Action`` (failed, delayed, delivered, relayed, expanded), ``Status`` (class.subject.detail)
and ``Diagnostic-Code`` (what the remote server said). The stdlib's ``email`` parser
already splits that part into blocks; this module reads them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message

from campaigns.mailbox.message_match import clean_text

ACTIONS = ("failed", "delayed", "delivered", "relayed", "expanded")
_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_SMTP_CODE = re.compile(r"(?<![\d.])([245])\d\d(?![\d.])")
# Enhanced status subjects (RFC 3463) that say something about the message or a full
# mailbox, not about the address: X.2.2 mailbox full ("a persistent transient failure"),
# X.2.3 and X.3.4 message too big, X.4.7 delivery time expired. A 5.2.2 is not a
# reason to stop writing to someone for good.
_TRANSIENT_SUBJECTS = frozenset({("2", "2"), ("2", "3"), ("3", "4"), ("4", "7")})


@dataclass(frozen=True)
class RecipientStatus:
    """One recipient's block of a DSN."""

    final_recipient: str | None
    original_recipient: str | None
    action: str | None
    status: str | None
    diagnostic: str | None

    @property
    def addresses(self) -> tuple[str, ...]:
        """Final and original recipient, lower-cased, those present."""
        return tuple(a for a in (self.final_recipient, self.original_recipient) if a)


@dataclass(frozen=True)
class DeliveryReport:
    """A parsed DSN: who reported it and one status per recipient."""

    reporting_mta: str | None
    recipients: tuple[RecipientStatus, ...]


def is_delivery_report(message: Message) -> bool:
    """Whether ``message`` is (or contains) an RFC 3464 delivery status report."""
    if (
        message.get_content_type() == "multipart/report"
        and str(message.get_param("report-type", "")).lower() == "delivery-status"
    ):
        return True
    return any(
        part.get_content_type() in ("message/delivery-status", "message/global-delivery-status")
        for part in message.walk()
    )


def parse_delivery_report(message: Message) -> DeliveryReport | None:
    """The report's fields, or None when it has no readable delivery-status part."""
    for part in message.walk():
        if part.get_content_type() not in (
            "message/delivery-status",
            "message/global-delivery-status",
        ):
            continue
        blocks = part.get_payload()
        if not isinstance(blocks, list) or not blocks:
            continue
        fields = [block for block in blocks if isinstance(block, Message)]
        per_message = fields[0] if fields else None
        recipients = tuple(
            _recipient(block)
            for block in fields
            if block.get("Final-Recipient") or block.get("Original-Recipient")
        )
        reporting = _value(per_message, "Reporting-MTA") if per_message is not None else None
        return DeliveryReport(reporting_mta=reporting, recipients=recipients)
    return None


def bounce_kind(action: str | None, status: str | None) -> str | None:
    """``hard_bounce``, ``soft_bounce`` or None (a success notice, or nothing to go on).

    ``failed`` with a 5.x.x status is a hard bounce, except the transient subjects above;
    ``delayed``, or any 4.x.x, is a soft bounce. ``delivered``, ``relayed`` and
    ``expanded`` are not bounces at all.
    """
    action = (action or "").lower()
    if action in ("delivered", "relayed", "expanded"):
        return None
    code = _STATUS.search(status or "")
    if action == "delayed":
        return "soft_bounce"
    if code is None:
        return "hard_bounce" if action == "failed" else None
    klass, subject, detail = code.groups()
    if klass == "5":
        return "soft_bounce" if (subject, detail) in _TRANSIENT_SUBJECTS else "hard_bounce"
    if klass == "4":
        return "soft_bounce"
    return None


def status_from_text(text: str, permanent: bool) -> str:
    """An enhanced status code found in a bounce's text, or a generic one.

    Prefers an RFC 3463 code (``5.1.1``); else derives one from a basic SMTP reply code
    (``550`` -> ``5.0.0``); else ``5.0.0`` or ``4.0.0`` by what the text says.
    """
    code = _STATUS.search(text)
    if code is not None:
        return ".".join(code.groups())
    smtp = _SMTP_CODE.search(text)
    if smtp is not None and smtp.group(1) in "45":
        return f"{smtp.group(1)}.0.0"
    return "5.0.0" if permanent else "4.0.0"


def _recipient(block: Message) -> RecipientStatus:
    diagnostic = _value(block, "Diagnostic-Code") or _value(block, "X-Supplementary-Info")
    return RecipientStatus(
        final_recipient=_address(_value(block, "Final-Recipient")),
        original_recipient=_address(_value(block, "Original-Recipient")),
        action=(_value(block, "Action") or "").lower() or None,
        status=_status(_value(block, "Status")),
        diagnostic=_diagnostic(diagnostic),
    )


def _value(block: Message, name: str) -> str | None:
    value = block.get(name)
    return clean_text(str(value)) if value is not None else None


def _address(value: str | None) -> str | None:
    """``rfc822; user@example.com`` -> ``user@example.com`` (lower-cased)."""
    if not value:
        return None
    _kind, _semicolon, address = value.rpartition(";")
    address = address.strip().strip("<>").strip()
    return address.lower() if "@" in address else None


def _status(value: str | None) -> str | None:
    if not value:
        return None
    code = _STATUS.search(value)
    return ".".join(code.groups()) if code else None


def _diagnostic(value: str | None) -> str | None:
    """``smtp; 550 5.1.1 User unknown`` -> ``550 5.1.1 User unknown``."""
    if not value:
        return None
    kind, semicolon, text = value.partition(";")
    if semicolon and kind.strip().lower() in ("smtp", "x-unix", "x-postfix", "x-local"):
        value = text
    return value.strip().strip("<>").strip()[:1000] or None
