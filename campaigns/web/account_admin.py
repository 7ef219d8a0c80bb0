"""Managing accounts: list them, change a role, disable, enable, reset a password.

Shared by the users page (``/app/users``) and ``hookline user``. Disabling an account
or resetting its password ends its sessions at once. ``acting_user_id`` is the admin
doing it, who may not disable or demote themselves (so the app always keeps one admin
who can undo a mistake); the CLI, run by whoever owns the server, passes None.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigns.web.accounts import AccountError, check_role, find_user, hash_password
from campaigns.web.sessions import end_user_sessions
from campaigns.web.web_models import ROLES, WebUser

# 16 URL-safe characters, about 96 bits.
GENERATED_PASSWORD_BYTES = 12


def generate_password() -> str:
    """A random password, to be shown once."""
    return secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)


def list_accounts(session: Session) -> list[WebUser]:
    """Every account, by address."""
    return list(session.scalars(select(WebUser).order_by(WebUser.email)))


def get_account(session: Session, email: str) -> WebUser:
    """The account of an address; AccountError when there is none."""
    user = find_user(session, email)
    if user is None:
        raise AccountError(f"no account for {email.strip().lower()!r}")
    return user


def get_account_by_id(session: Session, user_id: int) -> WebUser:
    """The account with this id; AccountError when there is none."""
    user = session.get(WebUser, user_id)
    if user is None:
        raise AccountError(f"no account with id {user_id}")
    return user


def set_role(
    session: Session, user: WebUser, role: str, *, acting_user_id: int | None = None
) -> bool:
    """Give ``user`` ``role``; returns whether it changed. Nobody demotes themselves."""
    role = check_role(role)
    if user.role == role:
        return False
    if user.id == acting_user_id and ROLES.index(role) < ROLES.index(user.role):
        raise AccountError("you cannot lower your own role; ask another admin to do it")
    user.role = role
    return True


def set_disabled(
    session: Session, user: WebUser, disabled: bool, *, acting_user_id: int | None = None
) -> bool:
    """Disable (ending its sessions) or enable ``user``; returns whether it changed."""
    if disabled and user.id == acting_user_id:
        raise AccountError("you cannot disable your own account; ask another admin to do it")
    if user.disabled == disabled:
        return False
    user.disabled = disabled
    if disabled:
        end_user_sessions(session, user.id)
    return True


def reset_password(session: Session, user: WebUser, password: str | None = None) -> str:
    """Give ``user`` a new password (random unless given), due for change at the next sign-in.

    Ends the account's sessions. Returns the password, for showing once.
    """
    password = generate_password() if password is None else password
    user.password_hash = hash_password(password)
    user.must_change_password = True
    end_user_sessions(session, user.id)
    return password
