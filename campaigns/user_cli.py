"""``hookline user``: the web app's accounts from the command line.

A thin layer over :mod:`campaigns.web.accounts` and :mod:`campaigns.web.account_admin`,
for whoever runs the server: the way in when no admin can sign in. Exit status: 0 ok,
2 on a usage or input error (unknown address, duplicate, short password), always as
one ``hookline user ...: error: ...`` line.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import click
from sqlalchemy.orm import Session

from audiences.command_context import fail
from campaigns.command_context import open_campaigns
from campaigns.command_options import config_option, json_option
from campaigns.web.account_admin import (
    generate_password,
    get_account,
    list_accounts,
    reset_password,
    set_disabled,
    set_role,
)
from campaigns.web.accounts import AccountError, create_user
from campaigns.web.web_models import ROLES, WebUser

role_choice = click.Choice(ROLES)
password_stdin_option = click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from standard input (one line), for scripts.",
)


def _read_stdin_password() -> str:
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        fail("no password on standard input")
    return password


def _when(moment: datetime | None) -> str | None:
    return f"{moment.isoformat(timespec='seconds')}Z" if moment else None


def _show_once(password: str) -> None:
    click.echo(f"Password (shown only this once): {password}")
    click.echo("They choose their own at the first sign-in.")


def _change(
    config_path: Path | None, email: str, change: Callable[[Session, WebUser], str]
) -> None:
    """Run ``change`` on the account of ``email`` in one transaction; print its message."""
    with open_campaigns(config_path) as (_, db):
        try:
            with db.session() as session, session.begin():
                message = change(session, get_account(session, email))
        except AccountError as exc:
            fail(str(exc))
    click.echo(message)


@click.group("user")
def user_group() -> None:
    """Accounts of the web app: add them, list them, change roles, disable, reset.

    Roles: viewer (reads everything), marketer (also changes templates, audiences
    and campaigns), admin (also manages accounts, on /app/users too).

    \b
    Examples:
      hookline user create ann@shop.example --role marketer --name "Ann Lee"
      hookline user create bot@shop.example --role viewer --generate
      printf '%s\\n' "$PW" | hookline user create ci@shop.example --role viewer \\
          --password-stdin
      hookline user list --json
      hookline user set-role ann@shop.example admin
      hookline user disable ann@shop.example
      hookline user reset-password admin@hookline.example
    """


@user_group.command("create")
@click.argument("email")
@click.option("--role", type=role_choice, required=True, help="What the account may do.")
@click.option("--name", default="", help="The person's name, as the app shows it.")
@password_stdin_option
@click.option(
    "--generate",
    is_flag=True,
    help="Make a random password, print it once, and have it changed at the first sign-in.",
)
@config_option
def create_command(
    email: str,
    role: str,
    name: str,
    password_stdin: bool,
    generate: bool,
    config_path: Path | None,
) -> None:
    """Add an account. Without --password-stdin or --generate, asks for the password twice.

    \b
    Examples:
      hookline user create ann@shop.example --role marketer --name "Ann Lee"
      hookline user create bot@shop.example --role viewer --generate
    """
    if password_stdin and generate:
        fail("use either --password-stdin or --generate, not both")
    if generate:
        password = generate_password()
    elif password_stdin:
        password = _read_stdin_password()
    else:
        password = str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    with open_campaigns(config_path) as (_, db):
        try:
            with db.session() as session, session.begin():
                user = create_user(
                    session, email, password, role, name, must_change_password=generate
                )
                address = user.email
        except AccountError as exc:
            fail(str(exc))
    click.echo(f"Created the {role} account {address}.")
    if generate:
        _show_once(password)


@user_group.command("list")
@json_option
@config_option
def list_command(as_json: bool, config_path: Path | None) -> None:
    """List the accounts, by address.

    \b
    Examples:
      hookline user list
      hookline user list --json | jq -r '.[] | select(.role == "admin") | .email'
    """
    with open_campaigns(config_path) as (_, db), db.session() as session:
        rows = [
            {
                "email": user.email,
                "name": user.name,
                "role": user.role,
                "disabled": user.disabled,
                "must_change_password": user.must_change_password,
                "created_at": _when(user.created_at),
                "last_login_at": _when(user.last_login_at),
            }
            for user in list_accounts(session)
        ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("No accounts yet; `hookline serve` makes the first admin.")
        return
    width = max(len(str(row["email"])) for row in rows)
    for row in rows:
        flags = ["disabled"] if row["disabled"] else []
        if row["must_change_password"]:
            flags.append("new password due")
        seen = row["last_login_at"] or "never signed in"
        status = ", ".join(flags) or "active"
        line = f"{row['email']:<{width}}  {row['role']:<8}  {seen:<20}  {status:<24}  {row['name']}"
        click.echo(line.rstrip())


@user_group.command("set-role")
@click.argument("email")
@click.argument("role", type=role_choice)
@config_option
def set_role_command(email: str, role: str, config_path: Path | None) -> None:
    """Give an account another role.

    \b
    Example:
      hookline user set-role ann@shop.example admin
    """

    def change(session: Session, user: WebUser) -> str:
        if set_role(session, user, role):
            return f"{user.email} is now {role}."
        return f"{user.email} was already {role}."

    _change(config_path, email, change)


@user_group.command("disable")
@click.argument("email")
@config_option
def disable_command(email: str, config_path: Path | None) -> None:
    """Stop an account from signing in, and sign it out everywhere.

    \b
    Example:
      hookline user disable ann@shop.example
    """

    def change(session: Session, user: WebUser) -> str:
        if set_disabled(session, user, True):
            return f"{user.email} is disabled and signed out everywhere."
        return f"{user.email} was already disabled."

    _change(config_path, email, change)


@user_group.command("enable")
@click.argument("email")
@config_option
def enable_command(email: str, config_path: Path | None) -> None:
    """Let a disabled account sign in again.

    \b
    Example:
      hookline user enable ann@shop.example
    """

    def change(session: Session, user: WebUser) -> str:
        if set_disabled(session, user, False):
            return f"{user.email} can sign in again."
        return f"{user.email} was not disabled."

    _change(config_path, email, change)


@user_group.command("reset-password")
@click.argument("email")
@password_stdin_option
@config_option
def reset_password_command(email: str, password_stdin: bool, config_path: Path | None) -> None:
    """Give an account a new password (random and printed once, unless --password-stdin).

    The account's sessions end, and it must choose its own password at the next
    sign-in.

    \b
    Examples:
      hookline user reset-password ann@shop.example
      printf '%s\\n' "$PASSWORD" | hookline user reset-password ann@shop.example --password-stdin
    """
    typed = _read_stdin_password() if password_stdin else None
    chosen: list[str] = []

    def change(session: Session, user: WebUser) -> str:
        chosen.append(reset_password(session, user, typed))
        return f"{user.email} has a new password and was signed out everywhere."

    _change(config_path, email, change)
    if typed is None:
        _show_once(chosen[0])
    else:
        click.echo("They choose their own at the next sign-in.")
