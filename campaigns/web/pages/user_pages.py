"""``/users``: the admin's page of accounts: list, create, role, disable, reset password.

Admins only: other roles get 403 on every route, reading included (the list shows
who can sign in). Each change is a plain form that redirects back to the list with a
notice; a generated password is shown once, on the answer to the POST that made it.
The work itself is :mod:`campaigns.web.account_admin`, shared with ``hookline user``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from campaigns.web.account_admin import (
    generate_password,
    get_account_by_id,
    list_accounts,
    reset_password,
    set_disabled,
    set_role,
)
from campaigns.web.accounts import AccountError, create_user
from campaigns.web.context import PREFIX, Forbidden, WebContext, signed_in
from campaigns.web.flash import peek_flash, set_flash, take_flash
from campaigns.web.web_models import ROLES, WebUser

LIST = "users/list.html"
SHOWN_ONCE = "users/password_shown.html"
ADMIN = "admin"


@dataclass(frozen=True)
class AccountRow:
    """One account as the list shows it."""

    id: int
    email: str
    name: str
    role: str
    last_login: str
    disabled: bool
    must_change_password: bool


@dataclass
class NewAccount:
    """The create form's values and what is wrong with them (field -> message)."""

    email: str = ""
    name: str = ""
    role: str = "viewer"
    errors: dict[str, str] = field(default_factory=dict)


def _row(user: WebUser) -> AccountRow:
    seen = user.last_login_at
    return AccountRow(
        id=user.id,
        email=user.email,
        name=user.name,
        role=user.role,
        last_login=f"{seen:%Y-%m-%d %H:%M} UTC" if seen else "never",
        disabled=user.disabled,
        must_change_password=user.must_change_password,
    )


def _sentence(message: str) -> str:
    """A library message ("an account for x exists") as a sentence for the page."""
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


class UserPages:
    """The handlers, sharing the context."""

    def __init__(self, web: WebContext) -> None:
        self.web = web

    def routes(self) -> list[BaseRoute]:
        """The routes."""
        return [
            Route("/users", self.list_page, methods=["GET"]),
            Route("/users", self.create, methods=["POST"]),
            Route("/users/{user_id:int}/role", self.change_role, methods=["POST"]),
            Route("/users/{user_id:int}/disable", self.disable, methods=["POST"]),
            Route("/users/{user_id:int}/enable", self.enable, methods=["POST"]),
            Route("/users/{user_id:int}/reset-password", self.reset, methods=["POST"]),
        ]

    def _rows(self) -> list[AccountRow]:
        with self.web.db.session() as session:
            return [_row(user) for user in list_accounts(session)]

    async def _list(
        self,
        request: Request,
        new: NewAccount | None = None,
        row_errors: dict[int, str] | None = None,
        status_code: int = 200,
    ) -> Response:
        rows = await run_in_threadpool(self._rows)
        row_errors = row_errors or {}
        known = {row.id for row in rows}
        # An error about an account that is gone has no row to stand in.
        page_errors = [error for user_id, error in row_errors.items() if user_id not in known]
        response = self.web.render(
            request,
            LIST,
            {
                "rows": rows,
                "roles": ROLES,
                "new": new or NewAccount(),
                "row_errors": row_errors,
                "page_errors": page_errors,
                "flash": peek_flash(request),
            },
            status_code=status_code,
        )
        take_flash(request, response)
        return response

    async def list_page(self, request: Request) -> Response:
        """Every account, and the form to add one (admins only)."""
        user = signed_in(request)
        if not user.can(ADMIN):
            raise Forbidden("Only an admin can see and manage the accounts.")
        return await self._list(request)

    async def create(self, request: Request) -> Response:
        """Add an account; a blank password makes one, shown once."""
        form = await self.web.form(request, role=ADMIN)
        new = NewAccount(
            email=str(form.get("email", "")).strip(),
            name=str(form.get("name", "")).strip(),
            role=str(form.get("role", "viewer")),
        )
        typed = str(form.get("password", ""))
        password = typed or generate_password()
        if not new.email:
            new.errors["email"] = "Enter the address the person signs in with."

        def add() -> None:
            with self.web.db.session() as session, session.begin():
                create_user(
                    session, new.email, password, new.role, new.name, must_change_password=True
                )

        if not new.errors:
            try:
                await run_in_threadpool(add)
            except AccountError as exc:
                new.errors[exc.field or "email"] = _sentence(str(exc))
        if new.errors:
            return await self._list(request, new=new, status_code=400)
        if not typed:
            return self._shown_once(request, new.email, password, created=True)
        return self._back(f"Account {new.email.lower()} created ({new.role}).")

    async def change_role(self, request: Request) -> Response:
        """Give an account another role."""
        form = await self.web.form(request, role=ADMIN)
        role = str(form.get("role", ""))
        acting = signed_in(request).user_id

        def change(session: Session, user: WebUser) -> str:
            changed = set_role(session, user, role, acting_user_id=acting)
            return (
                f"{user.email} is now {role}." if changed else f"{user.email} was already {role}."
            )

        return await self._change(request, change)

    async def disable(self, request: Request) -> Response:
        """Disable an account and end its sessions."""
        await self.web.form(request, role=ADMIN)
        acting = signed_in(request).user_id

        def change(session: Session, user: WebUser) -> str:
            set_disabled(session, user, True, acting_user_id=acting)
            return f"{user.email} is disabled and signed out everywhere."

        return await self._change(request, change)

    async def enable(self, request: Request) -> Response:
        """Let a disabled account sign in again."""
        await self.web.form(request, role=ADMIN)

        def change(session: Session, user: WebUser) -> str:
            set_disabled(session, user, False)
            return f"{user.email} can sign in again."

        return await self._change(request, change)

    async def reset(self, request: Request) -> Response:
        """Give an account a new random password, shown once; it must change it."""
        await self.web.form(request, role=ADMIN)
        user_id = int(request.path_params["user_id"])

        def new_password() -> tuple[str, str]:
            with self.web.db.session() as session, session.begin():
                user = get_account_by_id(session, user_id)
                return user.email, reset_password(session, user)

        try:
            email, password = await run_in_threadpool(new_password)
        except AccountError as exc:
            return await self._list(
                request, row_errors={user_id: _sentence(str(exc))}, status_code=404
            )
        return self._shown_once(request, email, password, created=False)

    async def _change(
        self, request: Request, change: Callable[[Session, WebUser], str]
    ) -> Response:
        """Apply ``change`` to the account in the path; its message, or the error in its row."""
        user_id = int(request.path_params["user_id"])

        def apply() -> str:
            with self.web.db.session() as session, session.begin():
                return change(session, get_account_by_id(session, user_id))

        try:
            message = await run_in_threadpool(apply)
        except AccountError as exc:
            return await self._list(
                request, row_errors={user_id: _sentence(str(exc))}, status_code=400
            )
        return self._back(message)

    @staticmethod
    def _back(message: str) -> Response:
        response = RedirectResponse(f"{PREFIX}/users", status_code=303)
        set_flash(response, message)
        return response

    def _shown_once(self, request: Request, email: str, password: str, created: bool) -> Response:
        values: dict[str, Any] = {"email": email.lower(), "password": password, "created": created}
        return self.web.render(request, SHOWN_ONCE, values)


def routes(web: WebContext) -> list[BaseRoute]:
    """The users admin routes."""
    return UserPages(web).routes()
