"""``hookline user`` in-process (CliRunner) on a real SQLite database."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from audiences.db import Database
from campaigns.database import open_campaign_database
from campaigns.user_cli import user_group
from campaigns.web.accounts import authenticate, find_user
from campaigns.web.sessions import load_session, start_session

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"
SHOWN = re.compile(r"Password \(shown only this once\): (\S+)")


@dataclass
class UserCli:
    """``hookline user`` against one database."""

    config: Path
    database_url: str

    def run(self, *args: str, input: str | None = None) -> Result:
        """Run ``hookline user ARGS --config CONFIG``."""
        return CliRunner().invoke(user_group, [*args, "--config", str(self.config)], input=input)

    def open_db(self) -> Database:
        """The database; the caller disposes of its engine."""
        return open_campaign_database(self.database_url)

    def check(self, email: str, password: str) -> bool:
        """Whether ``password`` signs ``email`` in."""
        db = self.open_db()
        try:
            with db.session() as session, session.begin():
                return authenticate(session, email, password) is not None
        finally:
            db.engine.dispose()


@pytest.fixture
def users(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[UserCli]:
    for key in list(os.environ):
        if key.startswith("HOOKLINE_"):
            monkeypatch.delenv(key)
    shutil.copy(REPO / "config.toml", tmp_path / "config.toml")
    url = f"sqlite:///{tmp_path / 'hookline.db'}"
    monkeypatch.setenv("HOOKLINE_DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    yield UserCli(tmp_path / "config.toml", url)


def one_error_line(result: Result, *fragments: str) -> str:
    """Exit 2, no traceback, one line on stderr holding every fragment."""
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def test_create_asks_for_the_password_twice(users: UserCli) -> None:
    result = users.run(
        "create",
        "Ann@Shop.Example",
        "--role",
        "marketer",
        "--name",
        "Ann Lee",
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created the marketer account ann@shop.example." in result.stdout
    assert PASSWORD not in result.output
    assert users.check("ann@shop.example", PASSWORD)


def test_create_reads_the_password_from_stdin(users: UserCli) -> None:
    result = users.run(
        "create", "ci@shop.example", "--role", "viewer", "--password-stdin", input=PASSWORD + "\n"
    )
    assert result.exit_code == 0, result.output
    assert users.check("ci@shop.example", PASSWORD)


def test_create_generate_prints_the_password_once_and_it_must_change(users: UserCli) -> None:
    result = users.run("create", "bot@shop.example", "--role", "viewer", "--generate")
    assert result.exit_code == 0, result.output
    match = SHOWN.search(result.stdout)
    assert match is not None, result.stdout
    assert users.check("bot@shop.example", match.group(1))
    listed = json.loads(users.run("list", "--json").stdout)
    assert listed[0]["must_change_password"] is True


def test_create_errors_are_one_line_and_exit_2(users: UserCli) -> None:
    assert users.run("create", "ann@shop.example", "--role", "viewer", "--generate").exit_code == 0
    one_error_line(
        users.run("create", "ANN@shop.example", "--role", "viewer", "--generate"),
        "user create: error:",
        "already exists",
    )
    one_error_line(
        users.run(
            "create", "x@shop.example", "--role", "viewer", "--password-stdin", input="short\n"
        ),
        "at least 10 characters",
    )
    one_error_line(
        users.run("create", "not-an-address", "--role", "viewer", "--generate"),
        "not a usable address",
    )
    one_error_line(
        users.run("create", "y@shop.example", "--role", "viewer", "--generate", "--password-stdin"),
        "either --password-stdin or --generate",
    )
    assert users.run("create", "z@shop.example", "--role", "owner", "--generate").exit_code == 2


def test_list_shows_accounts_as_text_and_json(users: UserCli) -> None:
    users.run("create", "bob@shop.example", "--role", "admin", "--name", "Bob", "--generate")
    users.run("create", "ann@shop.example", "--role", "viewer", "--generate")
    text = users.run("list")
    assert text.exit_code == 0, text.output
    lines = text.stdout.splitlines()
    assert lines[0].startswith("ann@shop.example") and "viewer" in lines[0]
    assert lines[1].startswith("bob@shop.example") and lines[1].endswith("Bob")
    rows = json.loads(users.run("list", "--json").stdout)
    assert [row["email"] for row in rows] == ["ann@shop.example", "bob@shop.example"]
    assert rows[1]["role"] == "admin" and rows[1]["disabled"] is False
    assert rows[1]["last_login_at"] is None
    assert not any("hash" in key for key in rows[0])


def test_set_role_disable_enable(users: UserCli) -> None:
    users.run("create", "ann@shop.example", "--role", "viewer", "--password-stdin", input=PASSWORD)
    db = users.open_db()
    try:
        with db.session() as session, session.begin():
            user = find_user(session, "ann@shop.example")
            assert user is not None
            token = start_session(session, user, None)
    finally:
        db.engine.dispose()
    result = users.run("set-role", "ann@shop.example", "marketer")
    assert result.exit_code == 0 and "ann@shop.example is now marketer." in result.stdout
    result = users.run("disable", "ann@shop.example")
    assert result.exit_code == 0 and "disabled" in result.stdout
    assert not users.check("ann@shop.example", PASSWORD)
    db = users.open_db()
    try:
        with db.session() as session, session.begin():
            assert load_session(session, token) is None
    finally:
        db.engine.dispose()
    assert users.run("enable", "ann@shop.example").exit_code == 0
    assert users.check("ann@shop.example", PASSWORD)
    assert json.loads(users.run("list", "--json").stdout)[0]["role"] == "marketer"


def test_reset_password_generates_or_reads_stdin(users: UserCli) -> None:
    users.run("create", "ann@shop.example", "--role", "viewer", "--password-stdin", input=PASSWORD)
    result = users.run("reset-password", "ann@shop.example")
    assert result.exit_code == 0, result.output
    match = SHOWN.search(result.stdout)
    assert match is not None
    assert not users.check("ann@shop.example", PASSWORD)
    assert users.check("ann@shop.example", match.group(1))
    chosen = "another good password"
    result = users.run("reset-password", "ann@shop.example", "--password-stdin", input=chosen)
    assert result.exit_code == 0, result.output
    assert chosen not in result.output
    assert users.check("ann@shop.example", chosen)


@pytest.mark.parametrize(
    "args",
    [
        ("set-role", "nobody@shop.example", "admin"),
        ("disable", "nobody@shop.example"),
        ("enable", "nobody@shop.example"),
        ("reset-password", "nobody@shop.example"),
    ],
)
def test_unknown_address_is_one_line_exit_2(users: UserCli, args: tuple[str, ...]) -> None:
    one_error_line(users.run(*args), "no account for 'nobody@shop.example'")


def test_help_has_examples() -> None:
    result = CliRunner().invoke(user_group, ["--help"])
    assert result.exit_code == 0
    assert "Examples:" in result.output
    assert "hookline user create ann@shop.example --role marketer" in result.output
    for command in ("create", "list", "set-role", "disable", "enable", "reset-password"):
        assert command in result.output
        sub = CliRunner().invoke(user_group, [command, "--help"])
        assert sub.exit_code == 0 and "hookline user" in sub.output, command
