"""Signing in and out against a real ``hookline serve``: limits, cookies, CSRF, redirects."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import httpx
import pytest

from campaigns.web.accounts import create_user, find_user
from tests.web.conftest import (
    ACCOUNTS,
    PASSWORD,
    WebServer,
    csrf_of,
    prepare_site,
    start_server,
    stop_server,
)

NEW_PASSWORD = "a much better passphrase"


def raw_client(web: WebServer) -> httpx.Client:
    """A client that does not follow redirects, so each answer can be looked at."""
    return httpx.Client(base_url=web.url, timeout=30, follow_redirects=False)


def post_login(
    http: httpx.Client, email: str, password: str, next_path: str | None = None
) -> httpx.Response:
    """Fetch the form (for its login token and cookie), then send it."""
    form = http.get("/app/login")
    assert form.status_code == 200, form.text
    data = {"email": email, "password": password, "csrf_token": csrf_of(form.text)}
    if next_path is not None:
        data["next"] = next_path
    return http.post("/app/login", data=data)


def session_cookie_header(response: httpx.Response) -> str:
    """The Set-Cookie line of the session cookie."""
    lines = [
        line
        for line in response.headers.get_list("set-cookie")
        if line.startswith("hookline_session=")
    ]
    assert len(lines) == 1, response.headers.get_list("set-cookie")
    return lines[0]


def test_right_password_signs_in_and_shows_the_start_page(web: WebServer) -> None:
    with raw_client(web) as http:
        answer = post_login(http, ACCOUNTS["viewer"], PASSWORD)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/app/"
        home = http.get("/app/")
        assert home.status_code == 200
        assert ACCOUNTS["viewer"] in home.text


def test_wrong_password_answers_401_with_the_form_again(web: WebServer) -> None:
    with raw_client(web) as http:
        answer = post_login(http, ACCOUNTS["viewer"], PASSWORD + "x")
        assert answer.status_code == 401
        assert "Wrong email or password." in answer.text
        assert "hookline_session=" not in answer.headers.get("set-cookie", "")
        assert http.get("/app/").status_code == 303


def test_sixth_attempt_after_five_failures_is_refused_even_with_the_right_password(
    web: WebServer,
) -> None:
    with raw_client(web) as http:
        for _ in range(5):
            assert post_login(http, ACCOUNTS["marketer"], "not the password").status_code == 401
        refused = post_login(http, ACCOUNTS["marketer"], PASSWORD)
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) > 0
        assert "Try again in" in refused.text
        assert "hookline_session=" not in refused.headers.get("set-cookie", "")
        # Another address from the same client is still under its own limit.
        assert post_login(http, ACCOUNTS["viewer"], PASSWORD).status_code == 303


def test_signing_in_clears_the_address_failures(web: WebServer) -> None:
    # Without the clearing, the ninth attempt here would be the sixth failure: 429.
    for _ in range(2):
        with raw_client(web) as http:
            for _ in range(4):
                assert post_login(http, ACCOUNTS["marketer"], "nope nope nope").status_code == 401
            assert post_login(http, ACCOUNTS["marketer"], PASSWORD).status_code == 303


def test_signed_in_account_visiting_the_sign_in_form_goes_on(web: WebServer) -> None:
    client = web.client("viewer")
    answer = client.get("/app/login?next=/app/contacts", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/app/contacts"


def test_login_without_the_login_token_or_cookie_is_refused(web: WebServer) -> None:
    with raw_client(web) as http:
        form = http.get("/app/login")
        token = csrf_of(form.text)
        credentials = {"email": ACCOUNTS["admin"], "password": PASSWORD}
        no_token = http.post("/app/login", data=credentials)
        assert no_token.status_code == 403
        wrong_token = http.post("/app/login", data={**credentials, "csrf_token": token + "x"})
        assert wrong_token.status_code == 403
    # The token without its cookie (as a forged cross-site form would send it).
    with raw_client(web) as stranger:
        no_cookie = stranger.post("/app/login", data={**credentials, "csrf_token": token})
        assert no_cookie.status_code == 403
        assert "hookline_session=" not in no_cookie.headers.get("set-cookie", "")


def test_session_cookie_is_httponly_samesite_lax_and_not_secure_on_loopback_http(
    web: WebServer,
) -> None:
    with raw_client(web) as http:
        cookie = session_cookie_header(post_login(http, ACCOUNTS["viewer"], PASSWORD)).lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "path=/app" in cookie
    assert "secure" not in cookie


@pytest.fixture
def secure_web(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[WebServer]:
    """A server with HOOKLINE_WEB_SECURE_COOKIES=always."""
    monkeypatch.setenv("HOOKLINE_WEB_SECURE_COOKIES", "always")
    workdir = tmp_path / "site"
    (workdir / "var").mkdir(parents=True)
    prepare_site(workdir)
    server = start_server(workdir)
    try:
        yield server
    finally:
        assert "Traceback" not in stop_server(server)


def test_session_cookie_is_secure_when_configured_always(secure_web: WebServer) -> None:
    with raw_client(secure_web) as http:
        form = http.get("/app/login")
        login_cookie = form.cookies["hookline_login"]
        # httpx keeps Secure cookies off plain http, so the form's cookie goes by hand.
        answer = http.post(
            "/app/login",
            data={
                "email": ACCOUNTS["viewer"],
                "password": PASSWORD,
                "csrf_token": csrf_of(form.text),
            },
            headers={"Cookie": f"hookline_login={login_cookie}"},
        )
    assert answer.status_code == 303, answer.text
    cookie = session_cookie_header(answer).lower()
    assert "; secure" in cookie
    assert "httponly" in cookie and "samesite=lax" in cookie


def test_logout_without_the_csrf_token_is_refused_and_the_session_lives_on(
    web: WebServer,
) -> None:
    client = web.client("viewer")
    refused = client.http.post("/app/logout", data={}, follow_redirects=False)
    assert refused.status_code == 403
    refused = client.http.post("/app/logout", data={"csrf_token": "forged"}, follow_redirects=False)
    assert refused.status_code == 403
    still = client.get("/app/", follow_redirects=False)
    assert still.status_code == 200


def test_logout_ends_the_session_on_the_server(web: WebServer) -> None:
    client = web.client("viewer")
    old_cookie = client.http.cookies["hookline_session"]
    answer = client.post("/app/logout", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/app/login"
    # The browser would drop the cookie; a copy of it must no longer open anything.
    with raw_client(web) as thief:
        thief.cookies.set("hookline_session", old_cookie, path="/app")
        assert thief.get("/app/").status_code == 303
        assert thief.get("/app/").headers["location"].startswith("/app/login")


FOREIGN_NEXT = [
    "https://evil.example/",
    "//evil.example/app/",
    "/app//evil.example",
    "/\\evil.example",
    "javascript:alert(1)",
    "/elsewhere",
]


def test_next_is_not_an_open_redirect(web: WebServer) -> None:
    for next_path in FOREIGN_NEXT:
        with raw_client(web) as http:
            form = http.get("/app/login", params={"next": next_path})
            assert 'name="next" value="/app/"' in form.text, next_path
            answer = post_login(http, ACCOUNTS["viewer"], PASSWORD, next_path)
            assert answer.status_code == 303, next_path
            assert answer.headers["location"] == "/app/", next_path
            again = http.get("/app/login", params={"next": next_path})
            assert again.headers["location"] == "/app/", next_path


def test_next_inside_the_app_is_followed_after_signing_in(web: WebServer) -> None:
    with raw_client(web) as http:
        bounced = http.get("/app/users?x=1")
        assert bounced.status_code == 303
        assert bounced.headers["location"] == "/app/login?next=/app/users%3Fx%3D1"
        form = http.get(bounced.headers["location"])
        assert 'name="next" value="/app/users?x=1"' in form.text
        answer = http.post(
            "/app/login",
            data={
                "email": ACCOUNTS["admin"],
                "password": PASSWORD,
                "csrf_token": csrf_of(form.text),
                "next": "/app/users?x=1",
            },
        )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/app/users?x=1"


def _add_account_due_for_a_new_password(web: WebServer, email: str) -> None:
    db = web.open_db()
    try:
        with db.session() as session, session.begin():
            create_user(session, email, PASSWORD, "marketer", must_change_password=True)
    finally:
        db.engine.dispose()


def test_account_with_a_password_due_must_change_it_before_anything_else(
    web: WebServer,
) -> None:
    email = "new@shop.example"
    _add_account_due_for_a_new_password(web, email)
    with raw_client(web) as first, raw_client(web) as second:
        assert post_login(first, email, PASSWORD).status_code == 303
        assert post_login(second, email, PASSWORD).status_code == 303
        for path in ("/app/", "/app/users", "/app/contacts"):
            sent = first.get(path)
            assert sent.status_code == 303, path
            assert sent.headers["location"] == "/app/account/password"
        form = first.get("/app/account/password")
        assert form.status_code == 200
        assert "Choose your own before you go on" in form.text
        token = csrf_of(form.text)

        def change(current: str, new: str, repeat: str) -> httpx.Response:
            return first.post(
                "/app/account/password",
                data={
                    "csrf_token": token,
                    "current_password": current,
                    "new_password": new,
                    "repeat_password": repeat,
                },
            )

        wrong = change("not it at all", NEW_PASSWORD, NEW_PASSWORD)
        assert wrong.status_code == 400
        assert "This is not your current password." in wrong.text
        short = change(PASSWORD, "short", "short")
        assert short.status_code == 400 and "at least 10 characters" in short.text
        differ = change(PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "!")
        assert differ.status_code == 400 and "The two new passwords differ" in differ.text
        same = change(PASSWORD, PASSWORD, PASSWORD)
        assert same.status_code == 400 and "different from the current one" in same.text

        done = change(PASSWORD, NEW_PASSWORD, NEW_PASSWORD)
        assert done.status_code == 303
        assert done.headers["location"] == "/app/"
        assert "password is changed" in unquote(first.cookies["hookline_flash"])
        assert first.get("/app/").status_code == 200
        # The other session ended; this one lives on.
        assert second.get("/app/").status_code == 303
        assert second.get("/app/").headers["location"].startswith("/app/login")
    db = web.open_db()
    try:
        with db.session() as session:
            account = find_user(session, email)
            assert account is not None and not account.must_change_password
    finally:
        db.engine.dispose()
    with raw_client(web) as later:
        assert post_login(later, email, PASSWORD).status_code == 401
        assert post_login(later, email, NEW_PASSWORD).status_code == 303


def test_viewer_may_change_their_own_password(web: WebServer) -> None:
    client = web.client("viewer")
    answer = client.post(
        "/app/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "repeat_password": NEW_PASSWORD,
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303
    with raw_client(web) as http:
        assert post_login(http, ACCOUNTS["viewer"], NEW_PASSWORD).status_code == 303
