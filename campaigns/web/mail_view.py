"""A captured message as the outbox pages show it: headers, parts, attachments.

The HTML part is shown in a sandboxed frame, served with a policy that lets no script
run (:data:`FRAME_POLICY`) and with ``<base target="_blank">`` so that every link
opens outside the frame, as a mail client opens it: a tracked link then reaches this
server's ``/t/c/…`` and records the click.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import parsedate_to_datetime

from campaigns.smtp.outbox import ENVELOPE_FROM_HEADER, ENVELOPE_TO_HEADER, header_text

# The headers a message page lists, in this order (an absent one is left out).
SHOWN_HEADERS = ("From", "To", "Reply-To", "Subject", "Date", "List-Unsubscribe", "Message-ID")
ENVELOPE_HEADERS = (("Envelope from", ENVELOPE_FROM_HEADER), ("Envelope to", ENVELOPE_TO_HEADER))
# No script, no form, no plugin, no frame; images and styles load as a mail client
# loads them (a tracking pixel records an open). ``sandbox`` keeps a message opened
# on its own (outside the page's frame) just as inert.
FRAME_POLICY = (
    "default-src 'none'; img-src * data: cid:; style-src * 'unsafe-inline'; "
    "font-src * data:; media-src * data:; form-action 'none'; frame-ancestors 'self'; "
    "sandbox allow-popups allow-popups-to-escape-sandbox"
)
BASE_TAG = '<base target="_blank">'
_HEAD = re.compile(r"<head\b[^>]*>", re.IGNORECASE)
_HTML = re.compile(r"<html\b[^>]*>", re.IGNORECASE)
# A message id is a file name without .eml, made by the capture server.
MESSAGE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class Attachment:
    """One attached file: its number in the message, name, type and size in bytes."""

    number: int
    filename: str
    content_type: str
    size: int


def html_for_frame(html: str) -> str:
    """``html`` with ``<base target="_blank">`` first in its head, so links leave the frame."""
    for pattern in (_HEAD, _HTML):
        found = pattern.search(html)
        if found is not None:
            return f"{html[: found.end()]}{BASE_TAG}{html[found.end() :]}"
    return BASE_TAG + html


def shown_headers(message: EmailMessage) -> list[tuple[str, str]]:
    """The headers a reader wants, decoded, then the SMTP envelope the capture recorded."""
    shown = [(name, header_text(message, name)) for name in SHOWN_HEADERS]
    shown += [(label, header_text(message, name)) for label, name in ENVELOPE_HEADERS]
    return [(name, value) for name, value in shown if value]


def attachments(message: EmailMessage) -> list[Attachment]:
    """The message's attachments, numbered from 1 in the order they appear."""
    found = []
    for number, part in enumerate(message.iter_attachments(), start=1):
        payload = part.get_payload(decode=True)
        found.append(
            Attachment(
                number=number,
                filename=part.get_filename() or f"attachment-{number}",
                content_type=part.get_content_type(),
                size=len(payload) if isinstance(payload, bytes) else 0,
            )
        )
    return found


def attachment_bytes(message: EmailMessage, number: int) -> tuple[Attachment, bytes] | None:
    """Attachment ``number`` (from 1) and its decoded bytes; None if there is no such one."""
    for index, part in enumerate(message.iter_attachments(), start=1):
        if index == number:
            payload = part.get_payload(decode=True)
            data = payload if isinstance(payload, bytes) else b""
            name = part.get_filename() or f"attachment-{number}"
            return Attachment(number, name, part.get_content_type(), len(data)), data
    return None


def readable_date(value: str) -> str:
    """A Date header as ``YYYY-MM-DD HH:MM`` with its offset; as written if unreadable."""
    try:
        moment: datetime = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return value
    offset = moment.strftime("%z")
    zone = "UTC" if offset in ("+0000", "-0000", "") else f"{offset[:3]}:{offset[3:]}"
    return f"{moment:%Y-%m-%d %H:%M} {zone}"
