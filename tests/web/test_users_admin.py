"""``/app/users`` against a real server: admins manage accounts, nobody else even reads."""

from __future__ import annotations

import re

import httpx

from campaigns.web.accounts import find_user
from tests.web.conftest import ACCOUNTS, PASSWORD, WebServer, csrf_of

SHOWN_PASSWORD = re.compile(r'<code class="password" id="new-password"[^>]*>([^<]+)</code>')


def account(web: WebServer, email: str) -> dict[str, object]:
    """What the database holds about an account (None values when there is none)."""
    db = web.open_db()
    try:
        with db.session() as session:
            user = find_user(session, email)
            assert user is not None, email
            return {
                "id": user.id,
                "role": user.role,
                "disabled": user.disabled,
                "must_change_password": user.must_change_password,
            }
    finally:
        db.engine.dispose()


def try_sign_in(web: WebServer, email: str, password: str) -> httpx.Response:
    """Send the sign-in form with a fresh client; the answer, redirects not followed."""
    with httpx.Client(base_url=web.url, timeout=30) as http:
        form = http.get("/app/login")
        return http.post(
            "/app/login",
            data={"email": email, "password": password, "csrf_token": csrf_of(form.text)},
        )


def test_admin_creates_a_viewer_through_the_page(web: WebServer) -> None:
    admin = web.client("admin")
    page = admin.get("/app/users")
    assert page.status_code == 200
    assert 'for="f-email"' in page.text and 'for="f-role"' in page.text
    answer = admin.post(
        "/app/users",
        data={
            "email": "Vera@Shop.Example",
            "name": "Vera",
            "role": "viewer",
            "password": "a fine long password",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/app/users"
    listed = admin.get("/app/users")
    assert "Account vera@shop.example created (viewer)." in listed.text
    assert "vera@shop.example" in listed.text
    # The notice shows once.
    assert "created (viewer)" not in admin.get("/app/users").text
    created = account(web, "vera@shop.example")
    assert created["role"] == "viewer" and created["must_change_password"] is True
    signed_in = try_sign_in(web, "vera@shop.example", "a fine long password")
    assert signed_in.status_code == 303


def test_blank_password_makes_one_shown_once(web: WebServer) -> None:
    admin = web.client("admin")
    answer = admin.post(
        "/app/users", data={"email": "gen@shop.example", "name": "", "role": "marketer"}
    )
    assert answer.status_code == 200
    match = SHOWN_PASSWORD.search(answer.text)
    assert match is not None, answer.text
    assert try_sign_in(web, "gen@shop.example", match.group(1)).status_code == 303
    assert match.group(1) not in admin.get("/app/users").text


def test_create_errors_stand_next_to_the_field(web: WebServer) -> None:
    admin = web.client("admin")
    duplicate = admin.post(
        "/app/users",
        data={"email": ACCOUNTS["viewer"], "role": "viewer", "password": "long enough pw"},
    )
    assert duplicate.status_code == 400
    email_field = duplicate.text.split('id="f-email"')[1].split("</div>")[0]
    assert "already exists" in email_field
    short = admin.post(
        "/app/users", data={"email": "x@shop.example", "role": "viewer", "password": "short"}
    )
    assert short.status_code == 400
    password_field = short.text.split('id="f-password"')[1].split("</div>")[0]
    assert "at least 10 characters" in password_field
    # What was typed stays in the form.
    assert 'value="x@shop.example"' in short.text


def test_marketer_and_viewer_get_403_on_the_users_page(web: WebServer) -> None:
    for role in ("marketer", "viewer"):
        client = web.client(role)
        assert client.get("/app/users").status_code == 403, role
        assert "Users" not in client.get("/app/").text.split("<main")[0], role
        refused = client.post(
            "/app/users",
            data={"email": "sneaky@shop.example", "role": "admin", "password": "long enough pw"},
        )
        assert refused.status_code == 403, role
    admin_page = web.client("admin").get("/app/users")
    assert "sneaky@shop.example" not in admin_page.text


def test_admin_cannot_disable_or_demote_themselves(web: WebServer) -> None:
    admin = web.client("admin")
    me = account(web, ACCOUNTS["admin"])["id"]
    disabled = admin.post(f"/app/users/{me}/disable")
    assert disabled.status_code == 400
    assert "You cannot disable your own account" in disabled.text
    demoted = admin.post(f"/app/users/{me}/role", data={"role": "viewer"})
    assert demoted.status_code == 400
    assert "You cannot lower your own role" in demoted.text
    assert account(web, ACCOUNTS["admin"]) == {
        "id": me,
        "role": "admin",
        "disabled": False,
        "must_change_password": False,
    }


def test_disabling_ends_the_account_sessions_and_enabling_lets_it_back(web: WebServer) -> None:
    admin = web.client("admin")
    marketer = web.client("marketer")
    target = account(web, ACCOUNTS["marketer"])["id"]
    answer = admin.post(f"/app/users/{target}/disable", follow_redirects=False)
    assert answer.status_code == 303
    assert "disabled" in admin.get("/app/users").text
    assert marketer.get("/app/", follow_redirects=False).status_code == 303
    assert try_sign_in(web, ACCOUNTS["marketer"], PASSWORD).status_code == 401
    assert admin.post(f"/app/users/{target}/enable", follow_redirects=False).status_code == 303
    assert try_sign_in(web, ACCOUNTS["marketer"], PASSWORD).status_code == 303


def test_admin_changes_a_role(web: WebServer) -> None:
    admin = web.client("admin")
    target = account(web, ACCOUNTS["viewer"])["id"]
    answer = admin.post(f"/app/users/{target}/role", data={"role": "marketer"})
    assert answer.status_code == 200
    assert "viewer@shop.example is now marketer." in answer.text
    assert account(web, ACCOUNTS["viewer"])["role"] == "marketer"
    bad = admin.post(f"/app/users/{target}/role", data={"role": "owner"})
    assert bad.status_code == 400 and "Unknown role" in bad.text


def test_reset_password_shows_a_new_one_once_and_ends_sessions(web: WebServer) -> None:
    admin = web.client("admin")
    viewer = web.client("viewer")
    target = account(web, ACCOUNTS["viewer"])["id"]
    answer = admin.post(f"/app/users/{target}/reset-password")
    assert answer.status_code == 200
    match = SHOWN_PASSWORD.search(answer.text)
    assert match is not None
    assert viewer.get("/app/", follow_redirects=False).status_code == 303
    assert try_sign_in(web, ACCOUNTS["viewer"], PASSWORD).status_code == 401
    assert try_sign_in(web, ACCOUNTS["viewer"], match.group(1)).status_code == 303
    assert account(web, ACCOUNTS["viewer"])["must_change_password"] is True
    missing = admin.post("/app/users/9999/reset-password")
    assert missing.status_code == 404 and "No account with id 9999" in missing.text
