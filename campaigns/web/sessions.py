"""Signed-in sessions: a random cookie, stored only as its SHA-256 digest.

Sessions live in the database (``web_sessions``), so signing out or disabling an
account ends them at once, in every process. Each session carries its own CSRF
token, which every form and htmx request sends back.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from audiences.models import utcnow
from campaigns.web.web_models import WebSession, WebUser

COOKIE_NAME = "hookline_session"
SESSION_LIFETIME = timedelta(days=7)
# last_seen_at is written at most this often, not on every request.
TOUCH_INTERVAL = timedelta(minutes=5)


@dataclass(frozen=True)
class SignedIn:
    """The account behind a request, and its session's CSRF token."""

    user_id: int
    email: str
    name: str
    role: str
    must_change_password: bool
    csrf_token: str
    session_id: int

    def can(self, role: str) -> bool:
        """Whether this account has ``role`` or a higher one."""
        from campaigns.web.web_models import ROLES

        return ROLES.index(self.role) >= ROLES.index(role)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: WebUser, ip: str | None) -> str:
    """Store a new session for ``user``; returns the cookie value (shown only here)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        WebSession(
            token_hash=_digest(token),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
            expires_at=now + SESSION_LIFETIME,
            ip=ip,
        )
    )
    user.last_login_at = now
    session.flush()
    return token


def load_session(session: Session, token: str, now: datetime | None = None) -> SignedIn | None:
    """The signed-in account for a cookie value, or None (unknown, expired or disabled)."""
    now = now or utcnow()
    row = session.execute(
        select(WebSession, WebUser)
        .join(WebUser, WebUser.id == WebSession.user_id)
        .where(WebSession.token_hash == _digest(token))
    ).first()
    if row is None:
        return None
    web_session, user = row
    if web_session.expires_at <= now or user.disabled:
        return None
    if now - web_session.last_seen_at >= TOUCH_INTERVAL:
        web_session.last_seen_at = now
    return SignedIn(
        user_id=user.id,
        email=user.email,
        name=user.name,
        role=user.role,
        must_change_password=user.must_change_password,
        csrf_token=web_session.csrf_token,
        session_id=web_session.id,
    )


def end_session(session: Session, token: str) -> None:
    """Forget the session behind a cookie value (sign out)."""
    session.execute(delete(WebSession).where(WebSession.token_hash == _digest(token)))


def end_user_sessions(session: Session, user_id: int, keep: int | None = None) -> None:
    """End every session of an account (password changed, account disabled), but ``keep``."""
    statement = delete(WebSession).where(WebSession.user_id == user_id)
    if keep is not None:
        statement = statement.where(WebSession.id != keep)
    session.execute(statement)


def purge_expired(session: Session, now: datetime | None = None) -> int:
    """Delete expired sessions; returns how many."""
    result = session.execute(delete(WebSession).where(WebSession.expires_at <= (now or utcnow())))
    return int(getattr(result, "rowcount", 0) or 0)
