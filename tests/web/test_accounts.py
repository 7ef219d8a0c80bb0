"""Accounts on a real SQLite database: hashing, sign-in checks, admin changes, the limit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from audiences.db import Database
from campaigns.database import open_campaign_database
from campaigns.web.account_admin import reset_password, set_disabled, set_role
from campaigns.web.accounts import (
    AccountError,
    authenticate,
    create_user,
    ensure_first_admin,
    find_user,
    verify_password,
)
from campaigns.web.login_limit import (
    LoginLimit,
    check_login_allowed,
    clear_failures,
    record_failure,
)
from campaigns.web.sessions import load_session, start_session
from campaigns.web.web_models import LoginAttempt

PASSWORD = "correct horse battery"
NOW = datetime(2026, 5, 1, 12, 0, 0)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_campaign_database(f"sqlite:///{tmp_path / 'hookline.db'}")
    try:
        yield database
    finally:
        database.engine.dispose()


@pytest.fixture
def session(db: Database) -> Iterator[Session]:
    with db.session() as open_session, open_session.begin():
        yield open_session


def test_password_is_stored_as_an_argon2id_hash(session: Session) -> None:
    user = create_user(session, "Ann@Shop.Example", PASSWORD, "marketer", "Ann")
    assert user.email == "ann@shop.example"
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_right_password_signs_in_whatever_the_address_case(session: Session) -> None:
    create_user(session, "ann@shop.example", PASSWORD)
    user = authenticate(session, " ANN@shop.example ", PASSWORD)
    assert user is not None and user.email == "ann@shop.example"


def test_wrong_password_and_unknown_address_do_not_sign_in(session: Session) -> None:
    create_user(session, "ann@shop.example", PASSWORD)
    assert authenticate(session, "ann@shop.example", PASSWORD + "!") is None
    assert authenticate(session, "nobody@shop.example", PASSWORD) is None


def test_disabled_account_does_not_sign_in_and_its_sessions_end(session: Session) -> None:
    user = create_user(session, "ann@shop.example", PASSWORD)
    token = start_session(session, user, "127.0.0.1")
    assert load_session(session, token) is not None
    assert set_disabled(session, user, True)
    assert authenticate(session, "ann@shop.example", PASSWORD) is None
    assert load_session(session, token) is None
    assert set_disabled(session, user, False)
    assert authenticate(session, "ann@shop.example", PASSWORD) is not None


def test_hash_with_older_parameters_is_upgraded_at_sign_in(session: Session) -> None:
    user = create_user(session, "ann@shop.example", PASSWORD)
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
    user.password_hash = weak.hash(PASSWORD)
    old = user.password_hash
    assert authenticate(session, "ann@shop.example", PASSWORD) is user
    assert user.password_hash != old
    assert not PasswordHasher().check_needs_rehash(user.password_hash)
    assert verify_password(user, PASSWORD)


@pytest.mark.parametrize(
    ("email", "password", "role", "field"),
    [
        ("not an address", PASSWORD, "viewer", "email"),
        ("ann@shop.example", "short", "viewer", "password"),
        ("ann@shop.example", PASSWORD, "boss", "role"),
    ],
)
def test_bad_account_fields_are_refused_naming_the_field(
    session: Session, email: str, password: str, role: str, field: str
) -> None:
    with pytest.raises(AccountError) as caught:
        create_user(session, email, password, role)
    assert caught.value.field == field


def test_duplicate_address_is_refused(session: Session) -> None:
    create_user(session, "ann@shop.example", PASSWORD)
    with pytest.raises(AccountError, match="already exists"):
        create_user(session, "ANN@shop.example", PASSWORD)


def test_first_admin_is_made_once_with_a_password_to_change(session: Session) -> None:
    first = ensure_first_admin(session)
    assert first is not None
    admin = find_user(session, first.email)
    assert admin is not None and admin.role == "admin" and admin.must_change_password
    assert ensure_first_admin(session) is None


def test_admin_cannot_demote_or_disable_themselves(session: Session) -> None:
    admin = create_user(session, "boss@shop.example", PASSWORD, "admin")
    with pytest.raises(AccountError, match="own role"):
        set_role(session, admin, "viewer", acting_user_id=admin.id)
    with pytest.raises(AccountError, match="own account"):
        set_disabled(session, admin, True, acting_user_id=admin.id)
    assert admin.role == "admin" and not admin.disabled
    other = create_user(session, "ann@shop.example", PASSWORD, "viewer")
    assert set_role(session, other, "marketer", acting_user_id=admin.id)
    assert other.role == "marketer"


def test_reset_password_makes_a_new_one_due_for_change_and_ends_sessions(
    session: Session,
) -> None:
    user = create_user(session, "ann@shop.example", PASSWORD)
    token = start_session(session, user, None)
    new = reset_password(session, user)
    assert len(new) >= 16 and new != PASSWORD
    assert user.must_change_password
    assert load_session(session, token) is None
    assert authenticate(session, "ann@shop.example", new) is user
    assert authenticate(session, "ann@shop.example", PASSWORD) is None


LIMIT = LoginLimit(attempts=3, window=timedelta(minutes=10))


def test_limit_blocks_an_address_after_its_failures_until_they_age_out(
    session: Session,
) -> None:
    for minute in range(3):
        assert check_login_allowed(session, LIMIT, "ann@shop.example", "10.0.0.1", NOW) is None
        record_failure(
            session, LIMIT, "ann@shop.example", "10.0.0.1", NOW + timedelta(minutes=minute)
        )
    later = NOW + timedelta(minutes=3)
    blocked = check_login_allowed(session, LIMIT, "ANN@shop.example", "10.0.0.2", later)
    assert blocked is not None and blocked.key == "email:ann@shop.example"
    # The oldest failure leaves the window at NOW + 10 minutes.
    assert blocked.retry_at == NOW + LIMIT.window
    assert blocked.retry_after_seconds == 7 * 60
    assert "7 minutes" in blocked.message
    assert check_login_allowed(session, LIMIT, "bob@shop.example", "10.0.0.2", later) is None
    after = NOW + LIMIT.window + timedelta(seconds=1)
    assert check_login_allowed(session, LIMIT, "ann@shop.example", "10.0.0.2", after) is None


def test_limit_per_ip_is_four_times_the_address_limit(session: Session) -> None:
    for number in range(4 * 3):
        email = f"guess{number}@shop.example"
        assert check_login_allowed(session, LIMIT, email, "10.0.0.9", NOW) is None
        record_failure(session, LIMIT, email, "10.0.0.9", NOW)
    blocked = check_login_allowed(session, LIMIT, "fresh@shop.example", "10.0.0.9", NOW)
    assert blocked is not None and blocked.key == "ip:10.0.0.9"
    assert "your network" in blocked.message


def test_success_clears_the_address_failures_and_old_rows_are_purged(
    session: Session,
) -> None:
    for _ in range(2):
        record_failure(session, LIMIT, "ann@shop.example", "10.0.0.1", NOW)
    clear_failures(session, "Ann@shop.example")
    keys = set(session.scalars(select(LoginAttempt.key)))
    assert keys == {"ip:10.0.0.1"}
    record_failure(session, LIMIT, "bob@shop.example", None, NOW + timedelta(hours=1))
    assert session.scalar(select(func.count()).select_from(LoginAttempt)) == 1
