"""The web app's tables: accounts, their sessions, login attempts, template versions.

They live beside the campaigns' tables, in the same metadata and Alembic history
(migration c0004). Passwords are stored only as argon2id hashes, and session
cookies only as SHA-256 digests, so a copy of the database opens no account.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from audiences.models import utcnow
from campaigns.models import CampaignBase

ROLES = ("viewer", "marketer", "admin")
"""Each role can do what the ones before it can: viewers read, marketers change
templates, audiences and campaigns, admins also manage accounts."""


class WebUser(CampaignBase):
    """An account on the web app."""

    __tablename__ = "web_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16), default="viewer")
    password_hash: Mapped[str] = mapped_column(String(200))
    # The first admin's generated password must be replaced at the first sign-in.
    must_change_password: Mapped[bool] = mapped_column(default=False)
    disabled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)


class WebSession(CampaignBase):
    """A signed-in browser: the cookie's digest, its CSRF token and its expiry."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("web_users.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    ip: Mapped[str | None] = mapped_column(String(64))


class LoginAttempt(CampaignBase):
    """A failed sign-in, kept for the rate limit (in the database: every process sees it)."""

    __tablename__ = "web_login_attempts"
    __table_args__ = (Index("ix_web_login_attempts_key_at", "key", "attempted_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # "email:ADDRESS" or "ip:ADDRESS".
    key: Mapped[str] = mapped_column(String(400))
    attempted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class TemplateVersion(CampaignBase):
    """One saved version of a template file, newest with the highest number."""

    __tablename__ = "template_versions"
    __table_args__ = (UniqueConstraint("path", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Relative to the templates folder, with forward slashes ("en/jazz-sale.html.j2").
    path: Mapped[str] = mapped_column(String(500), index=True)
    version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)
    saved_by: Mapped[str | None] = mapped_column(String(320))
    saved_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    note: Mapped[str | None] = mapped_column(String(400))
