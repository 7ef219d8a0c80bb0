"""Signing in and out.

The sign-in form is protected against login CSRF with a double-submit token: the
form's hidden field must match a short-lived cookie set with the form. Failed
sign-ins are limited per address and per client IP (:mod:`campaigns.web.login_limit`):
over the limit the form answers 429 without looking at the password.
"""

from __future__ import annotations

import secrets

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from campaigns.tracking.app import client_ip
from campaigns.web.accounts import authenticate
from campaigns.web.context import CSRF_FIELD, PREFIX, WebContext
from campaigns.web.login_limit import (
    Blocked,
    LoginLimit,
    check_login_allowed,
    clear_failures,
    record_failure,
)
from campaigns.web.pages import password_page
from campaigns.web.sessions import COOKIE_NAME, end_session, start_session

LOGIN_COOKIE = "hookline_login"
LOGIN_COOKIE_SECONDS = 3600


def _safe_next(value: object) -> str:
    """Where to go after signing in: only a path of this app (not an open redirect)."""
    if isinstance(value, str) and value.startswith(f"{PREFIX}/") and "//" not in value:
        return value
    return f"{PREFIX}/"


class AuthPages:
    """``/login`` and ``/logout``."""

    def __init__(self, web: WebContext) -> None:
        self.web = web
        self.limit = LoginLimit.from_settings(web.web)

    def routes(self) -> list[BaseRoute]:
        """The routes."""
        return [
            Route("/login", self.login_form, methods=["GET"]),
            Route("/login", self.login, methods=["POST"]),
            Route("/logout", self.logout, methods=["POST"]),
        ]

    def _form(
        self,
        request: Request,
        error: str = "",
        email: str = "",
        status_code: int = 200,
        headers: dict[str, str] | None = None,
    ) -> Response:
        token = secrets.token_urlsafe(24)
        response = self.web.render(
            request,
            "auth/login.html",
            {
                "login_token": token,
                "error": error,
                "email": email,
                "next": _safe_next(request.query_params.get("next")),
            },
            status_code=status_code,
            headers=headers,
        )
        response.set_cookie(
            LOGIN_COOKIE,
            token,
            max_age=LOGIN_COOKIE_SECONDS,
            path=f"{PREFIX}/login",
            httponly=True,
            samesite="strict",
            secure=self.web.secure_cookies(request),
        )
        return response

    async def login_form(self, request: Request) -> Response:
        """The sign-in form (someone already signed in goes on where they were going)."""
        if getattr(request.state, "user", None) is not None:
            return RedirectResponse(_safe_next(request.query_params.get("next")), status_code=303)
        return self._form(request)

    async def login(self, request: Request) -> Response:
        """Check the password; on success start a session and go where the user was going."""
        form = await request.form()
        email = str(form.get("email", "")).strip()
        password = str(form.get("password", ""))
        expected = request.cookies.get(LOGIN_COOKIE, "")
        sent = str(form.get(CSRF_FIELD, ""))
        if not expected or not secrets.compare_digest(sent, expected):
            return self._form(
                request, "The form expired; please sign in again.", email, status_code=403
            )
        token = await run_in_threadpool(self._sign_in, email, password, client_ip(request))
        if isinstance(token, Blocked):
            return self._form(
                request,
                token.message,
                email,
                status_code=429,
                headers={"Retry-After": str(token.retry_after_seconds)},
            )
        if token is None:
            return self._form(request, "Wrong email or password.", email, status_code=401)
        response = RedirectResponse(_safe_next(form.get("next")), status_code=303)
        self.web.set_session_cookie(response, request, token)
        response.delete_cookie(LOGIN_COOKIE, path=f"{PREFIX}/login")
        return response

    def _sign_in(self, email: str, password: str, ip: str | None) -> str | Blocked | None:
        """The new session's cookie value; None for a wrong password; Blocked over the limit."""
        with self.web.db.session() as session, session.begin():
            blocked = check_login_allowed(session, self.limit, email, ip)
            if blocked is not None:
                return blocked
            user = authenticate(session, email, password)
            if user is None:
                record_failure(session, self.limit, email, ip)
                return None
            clear_failures(session, email)
            return start_session(session, user, ip)

    async def logout(self, request: Request) -> Response:
        """End the session (CSRF-checked, any role)."""
        await self.web.form(request, role="viewer")
        token = request.cookies.get(COOKIE_NAME, "")

        def forget() -> None:
            with self.web.db.session() as session, session.begin():
                end_session(session, token)

        await run_in_threadpool(forget)
        response = RedirectResponse(f"{PREFIX}/login", status_code=303)
        self.web.clear_session_cookie(response, request)
        return response


def routes(web: WebContext) -> list[BaseRoute]:
    """The sign-in routes, and the form to change one's own password."""
    return [*AuthPages(web).routes(), *password_page.routes(web)]
