"""What every page handler shares: settings, the database, page rendering, checked forms.

A page module exposes ``routes(web: WebContext) -> list[BaseRoute]``. Its handlers
render with :meth:`WebContext.render` and read every change through
:meth:`WebContext.form`, which checks the session's CSRF token and the account's
role before the handler sees a field. That is the only way a handler gets a form, so
no change can skip either check.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from audiences.db import Database
from campaigns.settings import CampaignSettings
from campaigns.web.flash import peek_flash, take_flash
from campaigns.web.sessions import COOKIE_NAME, SESSION_LIFETIME, SignedIn
from campaigns.web.web_settings import WebSettings
from linter.config import LinterConfig, load_linter_config

PAGES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
PREFIX = "/app"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ROLE_NAMES = {"viewer": "Viewer", "marketer": "Marketer", "admin": "Admin"}


class Forbidden(HTTPException):
    """A change the account may not make, or a request without the CSRF token."""

    def __init__(self, detail: str) -> None:
        super().__init__(status_code=403, detail=detail)


def signed_in(request: Request) -> SignedIn:
    """The account behind a request (the guard lets no unsigned request reach a page)."""
    user = getattr(request.state, "user", None)
    if not isinstance(user, SignedIn):
        raise HTTPException(status_code=401, detail="Sign in first.")
    return user


def is_htmx(request: Request) -> bool:
    """Whether htmx sent the request (it wants a fragment, not a page)."""
    return request.headers.get("hx-request") == "true"


def _is_loopback_http(request: Request) -> bool:
    host = (request.url.hostname or "").lower()
    return request.url.scheme == "http" and (
        host in ("localhost", "::1") or host.startswith("127.")
    )


@dataclass
class WebContext:
    """The shared state of the web app's handlers."""

    settings: CampaignSettings
    db: Database
    web: WebSettings
    config_path: Path | None = None
    # Extra globals for every page (tests and the demo put a banner here).
    globals: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def pages(self) -> jinja2.Environment:
        """The Jinja environment of the app's own pages (not the campaign templates)."""
        environment = jinja2.Environment(
            loader=jinja2.FileSystemLoader(PAGES),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        environment.globals.update(prefix=PREFIX, role_names=ROLE_NAMES, **self.globals)
        return environment

    def lint_config(self) -> LinterConfig:
        """The linter configuration in force (read again, so edits apply at once)."""
        return load_linter_config(self.config_path)

    def render(
        self,
        request: Request,
        name: str,
        context: Mapping[str, Any] | None = None,
        *,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> HTMLResponse:
        """Render the page (or fragment) ``name`` with the signed-in account and CSRF token."""
        user = getattr(request.state, "user", None)
        values = {
            "request": request,
            "user": user,
            "csrf_token": user.csrf_token if isinstance(user, SignedIn) else "",
            "htmx": is_htmx(request),
            "path": request.url.path,
            "flash": "" if is_htmx(request) else peek_flash(request),
            **(context or {}),
        }
        html = self.pages.get_template(name).render(values)
        response = HTMLResponse(html, status_code=status_code, headers=dict(headers or {}))
        if values["flash"]:
            take_flash(request, response)
        return response

    async def form(self, request: Request, role: str = "marketer") -> FormData:
        """The request's form, once its CSRF token and the account's role are checked.

        Raises :class:`Forbidden` (403) for a missing or wrong token, a foreign
        ``Origin``, or an account below ``role``.
        """
        user = signed_in(request)
        origin = request.headers.get("origin")
        if origin and origin != "null" and urlsplit(origin).netloc != request.url.netloc:
            raise Forbidden("The request came from another site.")
        form = await request.form()
        sent = request.headers.get(CSRF_HEADER) or form.get(CSRF_FIELD)
        if not isinstance(sent, str) or not secrets.compare_digest(sent, user.csrf_token):
            raise Forbidden("The form has expired or was not sent from this app; reload the page.")
        if not user.can(role):
            raise Forbidden(
                f"Your account ({ROLE_NAMES[user.role]}) can look but not change this; "
                f"it needs the {ROLE_NAMES[role]} role."
            )
        return form

    def secure_cookies(self, request: Request) -> bool:
        """Whether the session cookie gets the Secure flag on this request."""
        if self.web.secure_cookies == "always":
            return True
        if self.web.secure_cookies == "never":
            return False
        return not _is_loopback_http(request)

    def set_session_cookie(self, response: Response, request: Request, token: str) -> None:
        """Put the session cookie on ``response``: HttpOnly, SameSite=Lax, Secure as configured."""
        response.set_cookie(
            COOKIE_NAME,
            token,
            max_age=int(SESSION_LIFETIME.total_seconds()),
            path=PREFIX,
            httponly=True,
            samesite="lax",
            secure=self.secure_cookies(request),
        )

    def clear_session_cookie(self, response: Response, request: Request) -> None:
        """Remove the session cookie (sign out)."""
        response.delete_cookie(
            COOKIE_NAME,
            path=PREFIX,
            httponly=True,
            samesite="lax",
            secure=self.secure_cookies(request),
        )
