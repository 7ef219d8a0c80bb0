"""The outbox: a directory of captured messages, one ``.eml`` file each.

The capture server writes them (:mod:`campaigns.smtp.capture_server`); this module
lists, reads and clears them. A file is named ``<UTC timestamp>-<counter>.eml``, so
sorting names sorts by arrival, and its stem is the message's id. Each file starts
with two headers the bare message doesn't carry, the SMTP envelope::

    X-Hookline-Envelope-From: news@example.com
    X-Hookline-Envelope-To: lan@example.com, minh@example.com
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser, BytesParser
from pathlib import Path
from typing import BinaryIO

ENVELOPE_FROM_HEADER = "X-Hookline-Envelope-From"
ENVELOPE_TO_HEADER = "X-Hookline-Envelope-To"
MESSAGE_SUFFIX = ".eml"
# A header block is read in chunks until the blank line that ends it; headers past
# this size are a broken file, not mail worth listing in full.
_HEADER_CHUNK = 16 * 1024
_HEADER_LIMIT = 1024 * 1024


class OutboxError(Exception):
    """An outbox that can't be read, or an id that names no message (or several)."""


@dataclass(frozen=True)
class OutboxEntry:
    """One captured message, as far as its headers and file size tell."""

    id: str
    path: Path
    envelope_from: str
    envelope_to: list[str]
    from_: str
    to: str
    subject: str
    date: str
    size: int


def message_paths(outbox: Path) -> list[Path]:
    """Every message file in ``outbox``, oldest first; none if it doesn't exist."""
    try:
        with os.scandir(outbox) as entries:
            names = [
                entry.name
                for entry in entries
                if entry.name.endswith(MESSAGE_SUFFIX) and entry.is_file()
            ]
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise OutboxError(f"cannot read the outbox {outbox}: {exc.strerror or exc}") from exc
    return [outbox / name for name in sorted(names)]


def list_outbox(outbox: Path, limit: int | None = None) -> list[OutboxEntry]:
    """The messages in ``outbox``, newest last; with ``limit``, only that many newest.

    Only each file's header block is read, so listing stays fast for thousands of
    messages. A file removed while listing is skipped.
    """
    paths = message_paths(outbox)
    if limit is not None:
        paths = paths[-limit:] if limit > 0 else []
    entries = []
    for path in paths:
        entry = _read_entry(path)
        if entry is not None:
            entries.append(entry)
    return entries


def count_outbox(outbox: Path) -> int:
    """How many messages ``outbox`` holds (0 if it doesn't exist)."""
    return len(message_paths(outbox))


def find_message(outbox: Path, entry_id: str) -> Path:
    """The file of the message ``entry_id`` names: a whole id or a unique prefix of one.

    Raises :class:`OutboxError` when no message, or more than one, matches.
    """
    wanted = entry_id.strip().removesuffix(MESSAGE_SUFFIX)
    paths = message_paths(outbox)
    for path in paths:
        if path.stem == wanted:
            return path
    matches = [path for path in paths if wanted and path.stem.startswith(wanted)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise OutboxError(
            f"{entry_id!r} matches {len(matches)} messages in {outbox} "
            f"({matches[0].stem}, {matches[1].stem}, ...); give more of the id"
        )
    raise OutboxError(f"no message {entry_id!r} in {outbox}; `hookline outbox list` shows the ids")


def read_message(outbox: Path, entry_id: str) -> EmailMessage:
    """The whole message ``entry_id`` names (an id or a unique prefix of one).

    Raises :class:`OutboxError` for an unknown or ambiguous id.
    """
    path = find_message(outbox, entry_id)
    try:
        with path.open("rb") as file:
            message = BytesParser(policy=policy.default).parse(file)
    except OSError as exc:
        raise OutboxError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if not isinstance(message, EmailMessage):  # pragma: no cover - policy.default makes one
        raise OutboxError(f"cannot parse {path} as an email message")
    return message


def clear_outbox(outbox: Path) -> int:
    """Delete every message in ``outbox`` and return how many were deleted."""
    deleted = 0
    for path in message_paths(outbox):
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise OutboxError(f"cannot delete {path}: {exc.strerror or exc}") from exc
        deleted += 1
    return deleted


def part_text(message: EmailMessage, subtype: str) -> str | None:
    """The text of the preferred ``text/<subtype>`` body part, plain line ends; None if none.

    A part whose charset is unknown or wrong is read as UTF-8 with replacements
    rather than not at all.
    """
    part = message.get_body(preferencelist=(subtype,))
    if part is None:
        return None
    try:
        content = part.get_content()
    except (LookupError, UnicodeError):
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return str(content).replace("\r\n", "\n")


def header_text(message: Message, name: str) -> str:
    """A header as text, RFC 2047 encoded words decoded; "" if absent.

    A header the parser had to guess at (it records defects) is shown as written,
    decoded as far as it will go, since the guess can lose what was there.
    """
    raw = next(
        (str(value) for key, value in message.raw_items() if key.lower() == name.lower()), None
    )
    if raw is None:
        return ""
    try:
        value = message.get(name)
        if value is not None and not getattr(value, "defects", ()):
            return str(value)
    except (ValueError, TypeError, IndexError, LookupError):
        pass
    try:
        return str(make_header(decode_header(raw)))
    except (ValueError, LookupError, UnicodeError):
        return " ".join(raw.split())


def _read_entry(path: Path) -> OutboxEntry | None:
    try:
        with path.open("rb") as file:
            size = os.fstat(file.fileno()).st_size
            block = _header_block(file)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise OutboxError(f"cannot read {path}: {exc.strerror or exc}") from exc
    headers = BytesHeaderParser(policy=policy.default).parsebytes(block)
    envelope_to = header_text(headers, ENVELOPE_TO_HEADER)
    return OutboxEntry(
        id=path.stem,
        path=path,
        envelope_from=header_text(headers, ENVELOPE_FROM_HEADER),
        envelope_to=[address.strip() for address in envelope_to.split(",") if address.strip()],
        from_=header_text(headers, "From"),
        to=header_text(headers, "To"),
        subject=header_text(headers, "Subject"),
        date=header_text(headers, "Date"),
        size=size,
    )


def _header_block(file: BinaryIO) -> bytes:
    """The bytes up to and including the blank line that ends the headers."""
    block = b""
    while len(block) < _HEADER_LIMIT:
        chunk = file.read(_HEADER_CHUNK)
        if not chunk:
            break
        block += chunk
        ends = [
            found + len(blank_line)
            for blank_line in (b"\r\n\r\n", b"\n\n")
            if (found := block.find(blank_line)) >= 0
        ]
        if ends:
            return block[: min(ends)]
    return block
