"""Telling an out-of-office or other machine answer from a person's reply (RFC 3834).

A reply counts in a campaign's report only when a person wrote it. RFC 3834 asks
automatic responders to say ``Auto-Submitted: auto-replied`` (anything but ``no``
means a machine); older responders say ``X-Autoreply``, ``X-Autorespond`` or
``Precedence: auto_reply`` (or bulk, junk, list). ``X-Auto-Response-Suppress`` is
deliberately not read: Exchange puts it on mail people write, to ask *others* not to
answer automatically. A subject such as "Automatic reply:" is the last resort, for
responders that set no header at all.
"""

from __future__ import annotations

import re
from email.message import Message

from campaigns.mailbox.message_match import header_text

# "auto-replied; owner-email=..." or "no (a comment)": the keyword comes first.
_KEYWORD = re.compile(r"[a-z-]+")
_MACHINE_PRECEDENCE = frozenset({"auto_reply", "bulk", "junk", "list"})
_AUTO_SUBJECT = re.compile(
    r"^\s*(automatic reply|auto[- ]?reply|autoreply|auto[- ]?response|out of (the )?office"
    r"|abwesenheitsnotiz|réponse automatique|trả lời tự động)\s*:",
    re.IGNORECASE,
)


def auto_reply_reason(message: Message) -> str | None:
    """Why ``message`` was written by a machine (the header that says so), or None."""
    auto_submitted = header_text(message, "Auto-Submitted") or ""
    keyword = _KEYWORD.match(auto_submitted.lower())
    if auto_submitted and (keyword is None or keyword.group(0) != "no"):
        return f"Auto-Submitted: {auto_submitted}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder"):
        if message.get(name) is not None:
            return f"{name}: {header_text(message, name) or ''}".strip()
    precedence = (header_text(message, "Precedence") or "").lower()
    if precedence in _MACHINE_PRECEDENCE:
        return f"Precedence: {precedence}"
    subject = header_text(message, "Subject") or ""
    if _AUTO_SUBJECT.match(subject):
        return f"subject {subject[:60]!r}"
    return None
