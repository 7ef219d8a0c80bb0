"""One row of a contacts CSV, checked: what the import stores, or why it can't.

Known columns (matched trimmed and case-insensitively, spaces read as ``_``) fill the
contact's fields; ``tags`` adds tags; ``consent`` records e-mail consent; every other
column becomes an attribute. Attribute values are kept as text exactly as written
(only surrounding spaces are trimmed, as for every cell): ``0042`` stays ``"0042"``.
An empty cell sets nothing, so a re-import never erases what the database holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from zoneinfo import available_timezones

from sqlalchemy import String

from audiences.emails import InvalidEmailError, normalise_email
from audiences.import_file import ImportFileError, normalise_column
from audiences.models import Contact, Tag

# Plain text fields of the contact, by column name.
TEXT_FIELDS = (
    "first_name",
    "last_name",
    "gender",
    "city",
    "country",
    "address_line1",
    "address_line2",
    "address_line3",
    "postcode",
    "locale",
)
ALIASES = {
    "address": "address_line1",
    "address1": "address_line1",
    "address2": "address_line2",
    "address3": "address_line3",
}
CONSENT_VALUES = {
    "yes": "granted",
    "true": "granted",
    "1": "granted",
    "no": "withdrawn",
    "false": "withdrawn",
    "0": "withdrawn",
}
TAG_SEPARATOR = ";"
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _length(column: str) -> int:
    kind = Contact.__table__.c[column].type
    assert isinstance(kind, String) and kind.length
    return kind.length


_LENGTHS = {name: _length(name) for name in (*TEXT_FIELDS, "timezone")}
_TAG_LENGTH = 100
assert isinstance(Tag.__table__.c["name"].type, String)
assert Tag.__table__.c["name"].type.length == _TAG_LENGTH


@cache
def _time_zones() -> dict[str, str]:
    # Lower-case name -> IANA spelling, so "asia/ho_chi_minh" is accepted and stored right.
    return {name.lower(): name for name in available_timezones()}


@dataclass
class ContactRow:
    """A good row: the normalised address and what it sets (only non-empty cells)."""

    email: str
    fields: dict[str, object] = field(default_factory=dict)
    tags: set[str] = field(default_factory=set)
    attrs: dict[str, str] = field(default_factory=dict)
    # "granted", "withdrawn", or None when the row says nothing about consent.
    consent: str | None = None

    def merge(self, later: ContactRow) -> None:
        """Apply a later row for the same address: its non-empty cells win, tags add up."""
        self.fields.update(later.fields)
        self.tags |= later.tags
        self.attrs.update(later.attrs)
        if later.consent is not None:
            self.consent = later.consent


class ContactColumns:
    """The header of a contacts file, resolved once, and the parser of its rows."""

    def __init__(self, header: list[str], file_name: str) -> None:
        self.width = len(header)
        self.fields: list[tuple[int, str]] = []
        self.attrs: list[tuple[int, str]] = []
        self.email = self.tags = self.consent = self.birthday = self.timezone = -1
        seen: dict[str, str] = {}
        for index, cell in enumerate(header):
            name = normalise_column(cell)
            if not name:
                continue
            target = ALIASES.get(name, name)
            if target in seen:
                raise ImportFileError(
                    f"{file_name}: columns {seen[target]!r} and {cell.strip()!r} "
                    f"both give {target}; keep one"
                )
            seen[target] = cell.strip()
            if target in TEXT_FIELDS:
                self.fields.append((index, target))
            elif target in ("email", "tags", "consent", "birthday", "timezone"):
                setattr(self, target, index)
            else:
                self.attrs.append((index, cell.strip()))
        if self.email < 0:
            found = ", ".join(cell.strip() for cell in header if cell.strip()) or "none"
            raise ImportFileError(
                f"{file_name} has no email column (found: {found}); "
                "the header must name the columns, one of them email"
            )

    def parse(self, cells: list[str]) -> ContactRow | str:
        """The row's contact, or the reason it is rejected (each bad field named)."""
        if len(cells) != self.width:
            return (
                f"the row has {len(cells)} fields but the header has {self.width}; "
                "check the quoting and the separators"
            )
        problems: list[str] = []
        email = ""
        try:
            email = normalise_email(cells[self.email])
        except InvalidEmailError as exc:
            problems.append(f"email: {exc}")
        row = ContactRow(email)
        for index, name in self.fields:
            value = cells[index].strip()
            if value:
                if len(value) > _LENGTHS[name]:
                    problems.append(f"{name}: longer than {_LENGTHS[name]} characters")
                row.fields[name] = value
        if self.birthday >= 0 and (value := cells[self.birthday].strip()):
            birthday = _birthday(value)
            if isinstance(birthday, str):
                problems.append(birthday)
            else:
                row.fields["birthday"] = birthday
        if self.timezone >= 0 and (value := cells[self.timezone].strip()):
            zone = _time_zones().get(value.lower())
            if zone is None:
                problems.append(
                    f"timezone: {value!r} is not an IANA time zone name (e.g. Asia/Ho_Chi_Minh)"
                )
            else:
                row.fields["timezone"] = zone
        if self.consent >= 0 and (value := cells[self.consent].strip()):
            consent = CONSENT_VALUES.get(value.lower())
            if consent is None:
                problems.append(
                    f"consent: {value!r} is not one of yes, no, true, false, 1, 0 "
                    "(leave it empty for no consent)"
                )
            row.consent = consent
        if self.tags >= 0 and (value := cells[self.tags].strip()):
            row.tags = {tag for part in value.split(TAG_SEPARATOR) if (tag := part.strip().lower())}
            long = sorted(tag for tag in row.tags if len(tag) > _TAG_LENGTH)
            if long:
                problems.append(f"tags: {long[0]!r} is longer than {_TAG_LENGTH} characters")
        for index, key in self.attrs:
            if value := cells[index].strip():
                row.attrs[key] = value
        return "; ".join(problems) if problems else row


def _birthday(value: str) -> date | str:
    if not _DATE.fullmatch(value):
        return f"birthday: {value!r} is not a date in the form YYYY-MM-DD"
    try:
        return date.fromisoformat(value)
    except ValueError:
        return f"birthday: {value!r} is not a real date"
