"""Recording a conversion: an offer code brought back with a purchase, as a ``response`` event.

Every route (``hookline response record``, the CSV import, the HTTP API) reads its
fields with :func:`read_conversion` and records with :func:`response_event` and
:func:`campaigns.events.record_events`, so they agree on what a good row is and on
idempotency: the event's ``dedup_key`` is ``response:{CODE}`` or
``response:{CODE}:{reference}``, with the code in its canonical spelling, so the same
code typed in lower case, or the same order sent twice, counts once. The order
reference is kept in the event's ``detail``; the report uses it to count an order
that is both a response and in the orders table only once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select

from audiences.models import utcnow
from campaigns.events import Event, record_events
from campaigns.models import Campaign, Recipient
from campaigns.offer_codes import offer_code, read_offer_code

FIELDS = ("code", "amount", "currency", "occurred_at", "reference")
# Numeric(16, 2): at most 14 digits before the point.
MAX_AMOUNT = Decimal("1e14")
MAX_REFERENCE = 100
MAX_CODE = 40
_AMOUNT = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")
_CURRENCY = re.compile(r"[A-Za-z]{3}")
# Row ids looked up per statement.
_LOOKUP_CHUNK = 1000


class ConversionError(ValueError):
    """One field of a conversion is wrong; ``field`` names it, the message says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class UnknownCodeError(ConversionError):
    """An offer code this deployment never issued, or whose message no longer exists."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__("code", message)
        self.code = code


@dataclass(frozen=True)
class Conversion:
    """A response to record: the code as written, and what the purchase was."""

    code: str
    recipient_id: int
    amount: Decimal | None
    currency: str
    occurred_at: datetime
    reference: str | None


@dataclass(frozen=True)
class Message:
    """The ledger row an offer code belongs to: which campaign, which contact."""

    recipient_id: int
    campaign_id: int
    campaign: str
    contact_id: int | None


def parse_amount(value: object) -> Decimal | None:
    """An amount: ``1250000``, ``1,250,000`` or ``1250000.50`` (or a JSON number); None if empty.

    Raises :class:`ConversionError` for a negative amount, more than two decimals or
    something that isn't a number.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ConversionError("amount", f"amount: {value!r} is not a number")
    written = str(value).strip()
    if not written:
        return None
    if written.startswith("-"):
        raise ConversionError("amount", f"amount: {written!r} is negative")
    if not _AMOUNT.fullmatch(written):
        raise ConversionError(
            "amount", f"amount: {written!r} is not a number such as 125000, 125,000 or 125000.50"
        )
    try:
        amount = Decimal(written.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        raise ConversionError("amount", f"amount: {written!r} is not a number") from None
    if amount >= MAX_AMOUNT:
        raise ConversionError("amount", f"amount: {written!r} is too large")
    if amount != amount.quantize(Decimal("0.01")):
        raise ConversionError("amount", f"amount: {written!r} has more than two decimal places")
    return amount.quantize(Decimal("0.01"))


def parse_currency(value: object, default: str) -> str:
    """A 3-letter currency code, upper-cased; ``default`` when empty."""
    if value is None:
        return default
    if not isinstance(value, str):
        raise ConversionError("currency", f"currency: {value!r} is not a code such as VND")
    written = value.strip()
    if not written:
        return default
    if not _CURRENCY.fullmatch(written):
        raise ConversionError("currency", f"currency: {written!r} is not a code such as VND")
    return written.upper()


def parse_moment(value: object, zone: ZoneInfo, default: datetime | None = None) -> datetime:
    """A date or ISO 8601 date-time as naive UTC; without an offset it is read in ``zone``.

    Empty means ``default`` (now when None).
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return default or utcnow()
    if not isinstance(value, str):
        raise ConversionError("occurred_at", f"occurred_at: {value!r} is not a date")
    written = value.strip()
    try:
        moment = datetime.fromisoformat(written)
    except ValueError:
        raise ConversionError(
            "occurred_at",
            f"occurred_at: {written!r} is not a date (YYYY-MM-DD) or an ISO date-time "
            "(YYYY-MM-DDTHH:MM:SS, optionally with an offset such as +07:00)",
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC).replace(tzinfo=None)


def parse_reference(value: object) -> str | None:
    """An order reference (the shop's order id); None when empty."""
    if value is None:
        return None
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise ConversionError("reference", f"reference: {value!r} is not text")
    written = str(value).strip()
    if len(written) > MAX_REFERENCE:
        raise ConversionError("reference", f"reference: longer than {MAX_REFERENCE} characters")
    return written or None


def read_code(secret_key: str, value: object) -> int:
    """The ledger row id an offer code stands for; :class:`UnknownCodeError` for a bad one."""
    if value is not None and not isinstance(value, str):
        raise ConversionError("code", f"code: {value!r} is not text such as 2K7-QX4M")
    if value is None or not value.strip():
        raise ConversionError("code", "code: empty; every response needs its offer code")
    written = value.strip()
    if len(written) > MAX_CODE:
        raise UnknownCodeError(written[:MAX_CODE], f"code: {written[:MAX_CODE]!r}… is too long")
    recipient_id = read_offer_code(secret_key, written)
    if recipient_id is None:
        raise UnknownCodeError(
            written,
            f"offer code {written!r} is not one of ours: its check characters don't match "
            "(mistyped, or from another deployment?)",
        )
    return recipient_id


def read_conversion(
    values: Mapping[str, object],
    secret_key: str,
    currency: str,
    zone: ZoneInfo,
    now: datetime | None = None,
) -> Conversion:
    """A conversion from its fields (CSV cells or JSON values); ConversionError names a bad one.

    ``currency`` and ``now`` stand in for an empty currency and time.
    """
    return Conversion(
        code=str(values.get("code") or "").strip(),
        recipient_id=read_code(secret_key, values.get("code")),
        amount=parse_amount(values.get("amount")),
        currency=parse_currency(values.get("currency"), currency),
        occurred_at=parse_moment(values.get("occurred_at"), zone, now),
        reference=parse_reference(values.get("reference")),
    )


def find_messages(connection: Connection, recipient_ids: Iterable[int]) -> dict[int, Message]:
    """The ledger rows (with their campaign) of ``recipient_ids`` that exist, by id."""
    wanted = sorted(set(recipient_ids))
    found: dict[int, Message] = {}
    for start in range(0, len(wanted), _LOOKUP_CHUNK):
        rows = connection.execute(
            select(Recipient.id, Recipient.campaign_id, Campaign.name, Recipient.contact_id)
            .join(Campaign, Campaign.id == Recipient.campaign_id)
            .where(Recipient.id.in_(wanted[start : start + _LOOKUP_CHUNK]))
        )
        found.update({row.id: Message(*row) for row in rows})
    return found


def missing_message(code: str) -> UnknownCodeError:
    """The error for a genuine code whose ledger row is gone (its campaign was deleted)."""
    return UnknownCodeError(
        code, f"offer code {code!r} belongs to no message in this database (campaign deleted?)"
    )


def dedup_key(secret_key: str, conversion: Conversion) -> str:
    """``response:{CODE}[:{reference}]``, the code spelt canonically."""
    code = offer_code(secret_key, conversion.recipient_id)
    if conversion.reference is None:
        return f"response:{code}"
    return f"response:{code}:{conversion.reference}"


def response_event(secret_key: str, conversion: Conversion, message: Message, source: str) -> Event:
    """The ``response`` event recording ``conversion`` for ``message``."""
    return Event(
        campaign_id=message.campaign_id,
        recipient_id=message.recipient_id,
        contact_id=message.contact_id,
        kind="response",
        occurred_at=conversion.occurred_at,
        amount=conversion.amount,
        currency=conversion.currency,
        source=source,
        detail=conversion.reference,
        dedup_key=dedup_key(secret_key, conversion),
    )


def record_conversion(
    connection: Connection, secret_key: str, conversion: Conversion, source: str
) -> tuple[Message, bool]:
    """Record one conversion; its message, and whether it was new (False: already recorded).

    Raises :class:`UnknownCodeError` when the code's ledger row is gone. The caller
    owns the transaction.
    """
    message = find_messages(connection, [conversion.recipient_id]).get(conversion.recipient_id)
    if message is None:
        raise missing_message(conversion.code)
    new = record_events(connection, [response_event(secret_key, conversion, message, source)])
    return message, bool(new)
