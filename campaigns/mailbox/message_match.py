"""Finding our own message inside whatever came back: a bounce, a complaint or a reply.

Every message Hookline sends carries ``Message-ID: <c{campaign}.r{recipient}.{hash8}@{host}>``
(:func:`campaigns.render.mime_message.make_message_id`) and ``X-Hookline-Campaign``.
A bounce quotes the original headers (a ``message/rfc822`` or ``text/rfc822-headers``
part, or plain text after a line such as "Below this line is a copy of the message");
a reply names the Message-ID in ``In-Reply-To`` or ``References``.

An ID counts only when its hash matches what :func:`make_message_id` gives for the
same campaign, recipient and host, so a typo or a hand-made ID can't land on another
ledger row by accident.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from email.errors import HeaderParseError
from email.header import Header, decode_header, make_header
from email.message import Message
from email.parser import HeaderParser

from campaigns.render.mime_message import make_message_id

_OUR_ID = re.compile(r"<c(\d{1,18})\.r(\d{1,18})\.([0-9a-f]{8})@([A-Za-z0-9.-]{1,253})>")
# Lines that non-RFC bounces (qmail, Exim, old Gmail, Sendmail v5...) put before the
# copy of the original message.
_COPY_MARKERS = re.compile(
    r"^[ \t]*-*[ \t]*("
    r"Below this line is a copy of the message"
    r"|This is a copy of the message"
    r"|Original message( headers)?( follows)?"
    r"|Unsent message (below|follows)"
    r"|Returned mail follows"
    r"|Original message headers"
    r"|Message headers follow"
    r")\b.*$",
    re.IGNORECASE | re.MULTILINE,
)


@dataclass(frozen=True)
class OurMessage:
    """One of our messages, named by a verified Message-ID: a campaign and a ledger row."""

    campaign_id: int
    recipient_id: int
    message_id: str


@dataclass(frozen=True)
class OriginalHeaders:
    """What a bounce or complaint quotes of the original message."""

    message_id: str | None
    campaign_header: int | None
    to: str | None


def read_our_message_id(text: str) -> OurMessage | None:
    """The first verified Hookline Message-ID in ``text``, or None."""
    return next(iter_our_message_ids(text), None)


def iter_our_message_ids(text: str) -> Iterator[OurMessage]:
    """Every verified Hookline Message-ID in ``text``, in order of appearance."""
    for match in _OUR_ID.finditer(text):
        campaign, recipient, _digest, host = match.groups()
        candidate = match.group(0)
        try:
            expected = make_message_id(host, int(campaign), int(recipient))
        except (UnicodeError, ValueError):
            continue
        if expected == candidate:
            yield OurMessage(int(campaign), int(recipient), candidate)


def referenced_message(message: Message) -> OurMessage | None:
    """Our message that ``message`` answers: In-Reply-To first, then References, newest first."""
    found = read_our_message_id(header_text(message, "In-Reply-To") or "")
    if found is not None:
        return found
    references = list(iter_our_message_ids(header_text(message, "References") or ""))
    return references[-1] if references else None


def original_headers(message: Message) -> OriginalHeaders | None:
    """The headers of the original message quoted inside a bounce or complaint, if any.

    Looks at ``message/rfc822`` and ``text/rfc822-headers`` parts first, then at the
    text after a "copy of the message" line in a plain-text bounce.
    """
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type in ("message/rfc822", "message/global"):
            payload = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                return _headers_of(payload[0])
        elif content_type in ("text/rfc822-headers", "message/rfc822-headers"):
            return _headers_of(_parse_headers(_text_of(part)))
    fallback: OriginalHeaders | None = None
    for text in text_parts(message):
        for marker in _COPY_MARKERS.finditer(text):
            headers = _parse_headers(text[marker.end() :].lstrip("\r\n"))
            if not headers.keys():
                continue
            found = _headers_of(headers)
            if found.message_id:
                return found
            fallback = fallback or found
    return fallback


def quoted_message_ids(message: Message) -> Iterator[OurMessage]:
    """Verified IDs of ours anywhere in the text of ``message``'s parts (a last resort)."""
    for text in text_parts(message):
        yield from iter_our_message_ids(text)


def text_parts(message: Message) -> Iterator[str]:
    """The decoded text of every text/* part (HTML included), in order."""
    for part in message.walk():
        if part.get_content_maintype() == "text":
            yield _text_of(part)


def header_text(message: Message, name: str) -> str | None:
    """A header's value decoded (RFC 2047) and on one line; None when absent or empty.

    Messages are parsed with the stdlib's compat32 policy, several times faster than
    the modern one on reports with many parts; undecodable bytes become U+FFFD.
    """
    value = message.get(name)
    if value is None:
        return None
    if isinstance(value, Header):
        # compat32 hands raw 8-bit bytes over as an "unknown-8bit" Header: most such
        # headers are UTF-8 written by a client that didn't encode them.
        raw = b"".join(
            part if isinstance(part, bytes) else part.encode("ascii", "replace")
            for part, _charset in decode_header(value)
        )
        return clean_text(raw.decode("utf-8", "replace"), decode=True)
    return clean_text(str(value), decode=True)


def clean_text(value: str, decode: bool = False) -> str | None:
    """``value`` on one line, raw 8-bit bytes made valid text, encoded words decoded."""
    text = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    if decode and "=?" in text:
        with suppress(HeaderParseError, LookupError, UnicodeError, ValueError):
            text = str(make_header(decode_header(text)))
    return " ".join(text.split()) or None


def first_address(values: Iterable[str]) -> str | None:
    """The first ``local@domain`` in ``values``, lower-cased, brackets and types removed."""
    for value in values:
        match = re.search(r"[^\s<>;:\"'(),]+@[^\s<>;:\"'(),]+", value)
        if match:
            return match.group(0).strip(".").lower()
    return None


def _headers_of(headers: Message) -> OriginalHeaders:
    message_id = header_text(headers, "Message-ID")
    campaign = header_text(headers, "X-Hookline-Campaign") or ""
    to = first_address([header_text(headers, "To") or ""])
    return OriginalHeaders(
        message_id=message_id,
        campaign_header=int(campaign) if campaign.isdigit() and len(campaign) < 19 else None,
        to=to,
    )


def _parse_headers(text: str) -> Message:
    return HeaderParser().parsestr(text, headersonly=True)


def _text_of(part: Message) -> str:
    """A part's text decoded from its transfer encoding and charset, leniently."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        raw = part.get_payload()
        return (
            raw.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            if isinstance(raw, str)
            else ""
        )
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    # A charset Python doesn't know (unicode-1-1-utf-7), or a codec that can't decode
    # leniently (idna): read it as UTF-8.
    except (LookupError, UnicodeError):
        return payload.decode("utf-8", errors="replace")
