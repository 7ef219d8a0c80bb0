"""A one-time notice carried across a redirect ("Password changed.") in a short cookie.

The handler that redirects calls :func:`set_flash`; the page that follows reads it
with :func:`take_flash`, which also removes the cookie, so it shows once.
"""

from __future__ import annotations

from urllib.parse import quote, unquote

from starlette.requests import Request
from starlette.responses import Response

FLASH_COOKIE = "hookline_flash"
FLASH_SECONDS = 60
MAX_FLASH_LENGTH = 300
# The app's mount (context.PREFIX), spelled out so that context.py can import this module.
FLASH_PATH = "/app"


def set_flash(response: Response, message: str) -> None:
    """Show ``message`` on the next page of the app."""
    response.set_cookie(
        FLASH_COOKIE,
        quote(message[:MAX_FLASH_LENGTH], safe=""),
        max_age=FLASH_SECONDS,
        path=FLASH_PATH,
        httponly=True,
        samesite="lax",
    )


def peek_flash(request: Request) -> str:
    """The notice waiting for this request, or ""."""
    return unquote(request.cookies.get(FLASH_COOKIE, ""))[:MAX_FLASH_LENGTH]


def take_flash(request: Request, response: Response) -> None:
    """Remove the notice once ``response`` (which showed it) goes out."""
    if FLASH_COOKIE in request.cookies:
        response.delete_cookie(FLASH_COOKIE, path=FLASH_PATH, httponly=True, samesite="lax")
