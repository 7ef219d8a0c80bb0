"""Finding contacts for the contacts page: a name or address substring, a segment query, pages.

Unlike the audience queries (which count only sendable contacts), the search shows
every contact, with whether the address is suppressed, so a marketer can look up
anyone, including those the engine may not write to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, and_, func, or_, select, true
from sqlalchemy.orm import Session

from audiences.db import Database
from audiences.models import Contact
from audiences.segment_query import segment_filter
from audiences.sendable import not_suppressed
from audiences.settings import AudienceSettings

PAGE_SIZE = 50


def when(value: datetime | date | str | None, *, time: bool = True) -> str:
    """A stored time (naive UTC) or an ISO string, as shown on a page."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            parsed: datetime | date = datetime.fromisoformat(value)
        except ValueError:
            return value
        value = parsed
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC") if time else value.strftime("%Y-%m-%d")
    return value.isoformat()


def full_name(first: str | None, last: str | None) -> str:
    """First and last name, whichever are known."""
    return " ".join(part for part in (first, last) if part)


@dataclass
class ContactRow:
    """One contact in the search results."""

    id: int
    email: str
    name: str
    tier: str | None
    email_consent: str | None
    suppressed: bool
    tags: list[str] = field(default_factory=list)


@dataclass
class SearchResult:
    """A page of contacts, and how many match in all."""

    rows: list[ContactRow]
    total: int
    page: int

    @property
    def pages(self) -> int:
        """How many pages the matches fill (at least one)."""
        return max(1, -(-self.total // PAGE_SIZE))

    @property
    def first(self) -> int:
        """The 1-based number of the page's first contact (0 when none)."""
        return (self.page - 1) * PAGE_SIZE + 1 if self.rows else 0

    @property
    def last(self) -> int:
        """The number of the page's last contact."""
        return (self.page - 1) * PAGE_SIZE + len(self.rows)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def text_filter(text: str) -> ColumnElement[bool]:
    """Contacts whose address, first, last or full name contains ``text`` (any case)."""
    term = text.strip().lower()
    if not term:
        return true()
    pattern = _like(term)
    full = func.coalesce(Contact.first_name, "") + " " + func.coalesce(Contact.last_name, "")
    return or_(
        *(
            func.lower(column).like(pattern, escape="\\")
            for column in (Contact.email, Contact.first_name, Contact.last_name, full)
        )
    )


def search_contacts(
    db: Database, settings: AudienceSettings, text: str, query: str, page: int
) -> SearchResult:
    """The ``page``-th page of contacts matching ``text`` and the segment ``query``.

    Raises :class:`audiences.segment_query.SegmentError` for a query that can't run.
    """
    with db.session() as session:
        where = and_(text_filter(text), _segment(session, query, settings))
        total = int(session.scalar(select(func.count()).select_from(Contact).where(where)) or 0)
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(max(page, 1), pages)
        found = session.execute(
            select(Contact, (~not_suppressed("email")).label("suppressed"))
            .where(where)
            .order_by(Contact.email)
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        ).all()
        rows = [
            ContactRow(
                id=contact.id,
                email=contact.email,
                name=full_name(contact.first_name, contact.last_name),
                tier=contact.tier,
                email_consent=contact.email_consent,
                suppressed=bool(suppressed),
                tags=sorted(tag.name for tag in contact.tags),
            )
            for contact, suppressed in found
        ]
        return SearchResult(rows, total, page)


def _segment(session: Session, query: str, settings: AudienceSettings) -> ColumnElement[bool]:
    return segment_filter(session, query, settings) if query.strip() else true()


def page_links(text: str, query: str, result: SearchResult) -> dict[str, Any]:
    """The query strings of the previous and next pages (None at either end)."""

    def link(page: int) -> str:
        values = {"q": text, "segment": query, "page": str(page)}
        return "?" + urlencode({k: v for k, v in values.items() if v})

    return {
        "previous": link(result.page - 1) if result.page > 1 else None,
        "next": link(result.page + 1) if result.page < result.pages else None,
    }
