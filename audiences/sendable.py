"""Who may be written to: the filter every audience query applies for its channel.

Email: consent granted (the latest consent record decides) and no suppression for
email. Mail: a complete postal address, no withdrawal of mail consent, and no
suppression for mail. A suppression for "all" (a forgotten address) blocks both.
Addresses are valid by construction: the importer stores only checked addresses.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute

from audiences.models import Contact, Suppression

CHANNELS = ("email", "mail")


def _filled(column: InstrumentedAttribute[str | None]) -> ColumnElement[bool]:
    return and_(column.is_not(None), func.trim(column) != "")


def not_suppressed(channel: str) -> ColumnElement[bool]:
    """No suppression of the contact's address for ``channel`` (or for all channels)."""
    return ~exists(
        select(Suppression.id).where(
            Suppression.address_hash == Contact.email_hash,
            Suppression.channel.in_((channel, "all")),
        )
    )


def postal_address_complete() -> ColumnElement[bool]:
    """A first address line, a city or postcode, and a country."""
    return and_(
        _filled(Contact.address_line1),
        or_(_filled(Contact.city), _filled(Contact.postcode)),
        _filled(Contact.country),
    )


def sendable(channel: str) -> ColumnElement[bool]:
    """The filter for contacts that may receive a message on ``channel``."""
    if channel == "email":
        return and_(Contact.email_consent == "granted", not_suppressed("email"))
    if channel == "mail":
        return and_(
            postal_address_complete(),
            or_(Contact.mail_consent.is_(None), Contact.mail_consent != "withdrawn"),
            not_suppressed("mail"),
        )
    raise ValueError(f"unknown channel {channel!r}; use one of {', '.join(CHANNELS)}")
