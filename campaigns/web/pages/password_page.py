"""``/account/password``: any account changes its own password.

The account's other sessions end (a stolen cookie stops working); the current one
stays signed in. An account whose password was generated (the first admin, or a
reset by an admin) is sent here by the guard until it has chosen its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from campaigns.web.accounts import MIN_PASSWORD_LENGTH, set_password, verify_password
from campaigns.web.context import PREFIX, WebContext, signed_in
from campaigns.web.flash import set_flash
from campaigns.web.sessions import SignedIn, end_user_sessions
from campaigns.web.web_models import WebUser

TEMPLATE = "account/password.html"
CHANGED = "Your password is changed; your other sessions are signed out."


@dataclass
class PasswordChange:
    """What the form sent, and what is wrong with it (field name -> message)."""

    current: str
    new: str
    repeat: str
    errors: dict[str, str] = field(default_factory=dict)

    def check_shape(self) -> None:
        """Errors that need no database: empty, too short, not repeated, unchanged."""
        if not self.current:
            self.errors["current"] = "Enter your current password."
        if len(self.new) < MIN_PASSWORD_LENGTH:
            self.errors["new"] = f"Choose a password of at least {MIN_PASSWORD_LENGTH} characters."
        elif self.new == self.current:
            self.errors["new"] = "Choose a password different from the current one."
        if not self.errors.get("new") and self.repeat != self.new:
            self.errors["repeat"] = "The two new passwords differ; type it the same twice."


def change_own_password(web: WebContext, user: SignedIn, change: PasswordChange) -> bool:
    """Check the current password and store the new one; False with ``change.errors`` set."""
    change.check_shape()
    with web.db.session() as session, session.begin():
        account = session.get(WebUser, user.user_id)
        if account is None:
            change.errors["current"] = "This account no longer exists."
            return False
        if change.current and not verify_password(account, change.current):
            change.errors["current"] = "This is not your current password."
        if change.errors:
            return False
        set_password(account, change.new)
        end_user_sessions(session, account.id, keep=user.session_id)
    return True


def routes(web: WebContext) -> list[BaseRoute]:
    """``/account/password`` (GET the form, POST the change)."""

    async def password_form(request: Request) -> Response:
        due = signed_in(request).must_change_password
        return web.render(request, TEMPLATE, {"errors": {}, "due": due})

    async def change_password(request: Request) -> Response:
        form = await web.form(request, role="viewer")
        user = signed_in(request)
        change = PasswordChange(
            current=str(form.get("current_password", "")),
            new=str(form.get("new_password", "")),
            repeat=str(form.get("repeat_password", "")),
        )
        if not await run_in_threadpool(change_own_password, web, user, change):
            return web.render(
                request,
                TEMPLATE,
                {"errors": change.errors, "due": user.must_change_password},
                status_code=400,
            )
        response = RedirectResponse(f"{PREFIX}/", status_code=303)
        set_flash(response, CHANGED)
        return response

    return [
        Route("/account/password", password_form, methods=["GET"]),
        Route("/account/password", change_password, methods=["POST"]),
    ]
