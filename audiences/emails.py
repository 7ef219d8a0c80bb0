"""E-mail addresses: checked, normalised, and hashed for suppressions."""

from __future__ import annotations

import hashlib

from email_validator import EmailNotValidError, validate_email


class InvalidEmailError(ValueError):
    """An address that can't receive mail; the message says why."""


def normalise_email(raw: str) -> str:
    """The address as stored: checked (syntax only, no DNS) and lower-cased.

    Addresses are unique case-insensitively, so the whole address is lower-cased.
    """
    candidate = raw.strip()
    if not candidate:
        raise InvalidEmailError("the e-mail address is empty")
    try:
        checked = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidEmailError(str(exc)) from None
    return checked.normalized.lower()


def address_hash(email: str) -> str:
    """The SHA-256 of the normalised address: what a suppression keeps after forgetting."""
    return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()
