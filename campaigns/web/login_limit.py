"""The sign-in rate limit: failed attempts per address and per client IP, in the database.

Each failure is a :class:`~campaigns.web.web_models.LoginAttempt` row keyed
``email:ADDRESS`` and ``ip:ADDRESS``. Once a key has as many failures within the
window as ``[web] login-attempts`` (four times that for an IP, which many people may
share), further attempts are refused without looking at the password, until enough
failures have aged out of the window. A successful sign-in forgets its address's
failures; rows older than the window are deleted as new failures come in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from audiences.models import utcnow
from campaigns.web.web_models import LoginAttempt
from campaigns.web.web_settings import WebSettings

# Many people can sit behind one address (an office, a VPN), so it gets more tries.
IP_FACTOR = 4


@dataclass(frozen=True)
class LoginLimit:
    """How many failures each kind of key may have within how long."""

    attempts: int
    window: timedelta

    @classmethod
    def from_settings(cls, web: WebSettings) -> LoginLimit:
        """The limit of ``[web] login-attempts`` within ``login-window-minutes``."""
        return cls(web.login_attempts, timedelta(minutes=web.login_window_minutes))


@dataclass(frozen=True)
class Blocked:
    """A refused attempt: which key is over its limit, and when it may try again."""

    key: str
    retry_at: datetime
    retry_after_seconds: int

    @property
    def message(self) -> str:
        """What the sign-in form says."""
        minutes = max(1, math.ceil(self.retry_after_seconds / 60))
        unit = "minute" if minutes == 1 else "minutes"
        who = "this address" if self.key.startswith("email:") else "your network"
        return (
            f"Too many failed sign-ins from {who}. Try again in {minutes} {unit} "
            f"(after {self.retry_at:%H:%M} UTC)."
        )


def email_key(email: str) -> str:
    """The attempt key of an address (case and spaces don't make a new key)."""
    return f"email:{email.strip().lower()}"


def ip_key(ip: str) -> str:
    """The attempt key of a client address."""
    return f"ip:{ip}"


def _keys(email: str, ip: str | None) -> list[tuple[str, int]]:
    return [(email_key(email), 1)] + ([(ip_key(ip), IP_FACTOR)] if ip else [])


def check_login_allowed(
    session: Session,
    limit: LoginLimit,
    email: str,
    ip: str | None,
    now: datetime | None = None,
) -> Blocked | None:
    """None when this attempt may go ahead; else the key over its limit and the wait."""
    now = now or utcnow()
    since = now - limit.window
    for key, factor in _keys(email, ip):
        allowed = limit.attempts * factor
        times = list(
            session.scalars(
                select(LoginAttempt.attempted_at)
                .where(LoginAttempt.key == key, LoginAttempt.attempted_at > since)
                .order_by(LoginAttempt.attempted_at)
            )
        )
        if len(times) >= allowed:
            # Attempts open up again once all but allowed - 1 of them are out of the window.
            retry_at = times[len(times) - allowed] + limit.window
            seconds = max(1, math.ceil((retry_at - now).total_seconds()))
            return Blocked(key, retry_at, seconds)
    return None


def record_failure(
    session: Session,
    limit: LoginLimit,
    email: str,
    ip: str | None,
    now: datetime | None = None,
) -> None:
    """Count a failed sign-in against the address and the IP; forget rows out of the window."""
    now = now or utcnow()
    purge_old_attempts(session, limit, now)
    session.add_all(LoginAttempt(key=key, attempted_at=now) for key, _ in _keys(email, ip))
    session.flush()


def clear_failures(session: Session, email: str) -> None:
    """Forget an address's failures (after it signed in)."""
    session.execute(delete(LoginAttempt).where(LoginAttempt.key == email_key(email)))


def purge_old_attempts(session: Session, limit: LoginLimit, now: datetime | None = None) -> int:
    """Delete failures older than the window; returns how many."""
    cutoff = (now or utcnow()) - limit.window
    result = session.execute(delete(LoginAttempt).where(LoginAttempt.attempted_at <= cutoff))
    return int(getattr(result, "rowcount", 0) or 0)
