"""The middleware in front of every page: who is signed in, and the security headers.

A request without a valid session cookie is sent to the sign-in page (htmx requests
get a 401 with ``HX-Redirect``), except for the sign-in page itself and the static
files. An account that must replace its password can reach only that form.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp

from campaigns.web.context import PREFIX, WebContext, is_htmx
from campaigns.web.sessions import COOKIE_NAME, SignedIn, load_session

PUBLIC = (f"{PREFIX}/login", f"{PREFIX}/static/")
PASSWORD_PAGE = f"{PREFIX}/account/password"
# Reachable while a new password is due.
WHILE_PASSWORD_DUE = (PASSWORD_PAGE, f"{PREFIX}/logout", f"{PREFIX}/static/")

SECURITY_HEADERS = {
    # No inline script anywhere: htmx runs with allowEval off, page scripts are files.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "style-src 'self' 'unsafe-inline'; script-src 'self'; frame-src 'self'; "
    "frame-ancestors 'self'; form-action 'self'; base-uri 'none'; object-src 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "SAMEORIGIN",
}


class SignInGuard(BaseHTTPMiddleware):
    """Loads the session into ``request.state.user`` and turns strangers away."""

    def __init__(self, app: ASGIApp, web: WebContext) -> None:
        super().__init__(app)
        self.web = web

    def _load(self, token: str) -> SignedIn | None:
        with self.web.db.session() as session, session.begin():
            return load_session(session, token)

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        """Sign-in check, then the page, then the headers."""
        path = request.url.path
        if path.startswith(f"{PREFIX}/static/"):
            # Scripts and styles: no session to look up, and they may be cached.
            return _secured(await call_next(request))
        token = request.cookies.get(COOKIE_NAME)
        user = await run_in_threadpool(self._load, token) if token else None
        request.state.user = user
        if not path.startswith(PUBLIC):
            if user is None:
                return self._to(request, f"{PREFIX}/login?next={quote(_local(request))}")
            if user.must_change_password and not path.startswith(WHILE_PASSWORD_DUE):
                return self._to(request, PASSWORD_PAGE)
        response = _secured(await call_next(request))
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    @staticmethod
    def _to(request: Request, url: str) -> Response:
        if is_htmx(request):
            return Response(status_code=401, headers={"HX-Redirect": url})
        return RedirectResponse(url, status_code=303)


def _secured(response: Response) -> Response:
    """``response`` with the security headers (a page's own CSP, if any, wins)."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _local(request: Request) -> str:
    """The request's path and query, to come back to after signing in."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")
