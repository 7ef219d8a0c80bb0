"""Signing in, the users page and the password form in Chromium, by keyboard, at 375 px too."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tests.web.conftest import ACCOUNTS, PASSWORD, Screens, WebServer, log_in

if TYPE_CHECKING:
    from playwright.sync_api import Page

PHONE = {"width": 375, "height": 800}


def no_sideways_scroll(page: Page) -> bool:
    """Whether the page fits its width (tables scroll inside their own box)."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def test_sign_in_with_the_keyboard_reaches_the_start_page(
    web: WebServer, page: Page, screens: Screens
) -> None:
    from playwright.sync_api import expect

    page.set_viewport_size(PHONE)
    page.goto(f"{web.url}/app/login")
    expect(page.get_by_label("Email")).to_be_focused()
    assert no_sideways_scroll(page)
    screens.shot(page, "login-375")
    page.keyboard.type(ACCOUNTS["marketer"])
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type("wrong password")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")
    screens.shot(page, "login-wrong-password")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url(f"{web.url}/app/")
    expect(page.get_by_role("heading", name="Hookline", level=1)).to_be_visible()
    expect(page.get_by_text(ACCOUNTS["marketer"])).to_be_visible()
    screens.shot(page, "start-page")


def test_viewer_sees_no_change_buttons_on_the_users_page(
    web: WebServer, page: Page, screens: Screens
) -> None:
    from playwright.sync_api import expect

    log_in(page, web, "viewer")
    expect(page.get_by_role("link", name="Users")).to_have_count(0)
    response = page.goto(f"{web.url}/app/users")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    # Only the header's own "Sign out" button is left.
    expect(page.get_by_role("button")).to_have_count(1)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_role("combobox")).to_have_count(0)
    screens.shot(page, "users-as-viewer-403")


def test_admin_adds_an_account_from_the_keyboard(
    web: WebServer, page: Page, screens: Screens
) -> None:
    from playwright.sync_api import expect

    log_in(page, web, "admin")
    page.get_by_role("link", name="Users").click()
    page.wait_for_url(f"{web.url}/app/users")
    expect(page.get_by_role("row", name="viewer@shop.example")).to_be_visible()
    screens.shot(page, "users-as-admin")
    page.get_by_label("Email", exact=True).fill("nina@shop.example")
    page.get_by_label("Name", exact=True).fill("Nina")
    page.get_by_label("Role", exact=True).select_option("marketer")
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_label("Password", exact=True).press("Enter")
    expect(page.get_by_text("A password needs at least 10 characters.")).to_be_visible()
    expect(page.get_by_label("Email", exact=True)).to_have_value("nina@shop.example")
    screens.shot(page, "users-create-error")
    page.get_by_label("Password", exact=True).fill("")
    page.get_by_role("button", name="Add account").press("Enter")
    expect(page.get_by_role("heading", name="Account created")).to_be_visible()
    expect(page.locator("#new-password")).to_have_text(re.compile(r"^\S{16}$"))
    screens.shot(page, "users-password-shown-once")
    page.get_by_role("link", name="Back to the users").click()
    expect(page.get_by_role("row", name="nina@shop.example")).to_contain_text("Marketer")
    page.set_viewport_size(PHONE)
    assert no_sideways_scroll(page)
    screens.shot(page, "users-375")


def test_password_form_shows_errors_next_to_the_fields(
    web: WebServer, page: Page, screens: Screens
) -> None:
    from playwright.sync_api import expect

    log_in(page, web, "viewer")
    page.get_by_role("link", name=ACCOUNTS["viewer"]).click()
    page.wait_for_url(f"{web.url}/app/account/password")
    page.get_by_label("Current password").fill("not my password")
    page.get_by_label("New password", exact=True).fill("a much better passphrase")
    page.get_by_label("Repeat the new password").fill("a much better passphrase!")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("This is not your current password.")).to_be_visible()
    expect(page.get_by_label("Current password")).to_have_attribute("aria-invalid", "true")
    page.set_viewport_size(PHONE)
    assert no_sideways_scroll(page)
    screens.shot(page, "password-errors-375")
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill("a much better passphrase")
    page.get_by_label("Repeat the new password").fill("a much better passphrase")
    page.get_by_label("Repeat the new password").press("Enter")
    page.wait_for_url(f"{web.url}/app/")
