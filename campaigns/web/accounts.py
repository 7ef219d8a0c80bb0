"""Accounts: create them, check passwords (argon2id), and the first admin.

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106's second
recommended profile); a hash made with older parameters is upgraded at the next
successful sign-in.
"""

from __future__ import annotations

import contextlib
import functools
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from audiences.emails import InvalidEmailError, normalise_email
from campaigns.web.web_models import ROLES, WebUser

MIN_PASSWORD_LENGTH = 10
FIRST_ADMIN_EMAIL = "admin@hookline.example"

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """A hash to verify against for an unknown address: as slow as a wrong password.

    Made at the first use rather than at import, so that starting ``hookline serve``
    doesn't pay for a hash (about 0.2 s) that only a failed sign-in needs.
    """
    return _hasher.hash(secrets.token_urlsafe(16))


class AccountError(ValueError):
    """An account that cannot be created or changed as asked; the message says why.

    ``field`` names the input at fault ("email", "role", "password"), for forms.
    """

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


def hash_password(password: str) -> str:
    """The argon2id hash of ``password``, after checking it is long enough."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            f"a password needs at least {MIN_PASSWORD_LENGTH} characters", "password"
        )
    return _hasher.hash(password)


def check_role(role: str) -> str:
    """``role`` if it is one of ROLES, else AccountError."""
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}; use one of {', '.join(ROLES)}", "role")
    return role


def find_user(session: Session, email: str) -> WebUser | None:
    """The account for an address (case-insensitive), or None."""
    return session.scalar(select(WebUser).where(WebUser.email == email.strip().lower()))


def create_user(
    session: Session,
    email: str,
    password: str,
    role: str = "viewer",
    name: str = "",
    *,
    must_change_password: bool = False,
) -> WebUser:
    """Add an account; AccountError for a bad address, role, password or a duplicate."""
    try:
        address = normalise_email(email)
    except InvalidEmailError as exc:
        raise AccountError(f"{email!r} is not a usable address: {exc}", "email") from None
    address = address.lower()
    if find_user(session, address) is not None:
        raise AccountError(f"an account for {address} already exists", "email")
    user = WebUser(
        email=address,
        name=name.strip(),
        role=check_role(role),
        password_hash=hash_password(password),
        must_change_password=must_change_password,
        disabled=False,
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str) -> WebUser | None:
    """The enabled account whose password this is, or None (in constant-ish time)."""
    user = find_user(session, email)
    if user is None or user.disabled:
        with contextlib.suppress(VerificationError, InvalidHashError):
            _hasher.verify(_dummy_hash(), password)
        return None
    if not verify_password(user, password):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def verify_password(user: WebUser, password: str) -> bool:
    """Whether ``password`` is the account's password."""
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def set_password(user: WebUser, password: str) -> None:
    """Replace an account's password (the caller ends its other sessions)."""
    user.password_hash = hash_password(password)
    user.must_change_password = False


@dataclass(frozen=True)
class FirstAdmin:
    """The account made on the first start, and its one-time password."""

    email: str
    password: str


def ensure_first_admin(session: Session) -> FirstAdmin | None:
    """With no accounts at all, create an admin with a random password, to be shown once.

    The password must be replaced at the first sign-in. Returns None when accounts exist.
    """
    if session.scalar(select(func.count()).select_from(WebUser)):
        return None
    password = secrets.token_urlsafe(12)
    create_user(
        session, FIRST_ADMIN_EMAIL, password, "admin", "Administrator", must_change_password=True
    )
    return FirstAdmin(FIRST_ADMIN_EMAIL, password)
