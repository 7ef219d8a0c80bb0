"""The template editor in Chromium: typing, live lint with line markers, save, history."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from tests.web.conftest import Screens, WebServer, log_in

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytest.importorskip("playwright")

from playwright.sync_api import expect

JAZZ = "en/jazz-sale.html.j2"


def test_typing_all_caps_shows_a_marked_c001_finding_and_fixing_then_saving_records_it(
    web: WebServer, page: Page, screens: Screens
) -> None:
    log_in(page, web, "marketer")
    page.goto(f"{web.url}/app/templates/edit?path={JAZZ}")
    editor = page.locator(".CodeMirror")
    expect(editor).to_be_visible()
    expect(page.locator("#lint-summary")).to_have_text("No findings")
    desktop = page.frame_locator('iframe[name="preview-desktop"]')
    expect(desktop.get_by_text("Hi An,")).to_be_visible()
    screens.shot(page, "editor")

    # Tab leaves the editor instead of trapping focus.
    page.locator(".CodeMirror-line", has_text="Every order ships free").click()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Note for this version (optional)")).to_be_focused()

    # Type a shouting line above "Every order ships...".
    page.locator(".CodeMirror-line", has_text="Every order ships free").click()
    page.keyboard.press("Home")
    page.keyboard.type("<p>BUY NOW WHILE STOCKS LAST TODAY</p>")
    page.keyboard.press("Enter")
    finding = page.locator('#findings .finding[data-code="C001"]').first
    expect(finding).to_be_visible()
    expect(finding).to_contain_text("in capitals")
    expect(page.locator("#lint-summary")).to_have_text("6 errors, 0 warnings")
    line = finding.get_attribute("data-line")
    marker = page.locator(".CodeMirror .lint-marker-error")
    expect(marker).to_have_count(1)
    expect(marker).to_have_attribute("title", re.compile(r'^C001 \(error\): "BUY" is in capitals'))
    marked_line = page.locator(".CodeMirror-code > div", has=page.locator(".lint-line-error"))
    expect(marked_line).to_contain_text("BUY NOW WHILE STOCKS LAST TODAY")
    expect(marked_line.locator(".CodeMirror-linenumber")).to_have_text(str(line))
    # The explanation opens, and the position jumps to the line.
    finding.get_by_text("Why?").click()
    expect(finding.locator("pre.explain")).to_contain_text("all-caps (C001)")
    finding.locator(".finding-jump").click()
    expect(page.locator(".CodeMirror-focused")).to_have_count(1)
    # The previews follow the text in the editor.
    expect(desktop.get_by_text("BUY NOW WHILE STOCKS LAST TODAY")).to_be_visible()
    text = page.frame_locator('iframe[name="preview-text"]')
    expect(text.locator("pre")).to_contain_text("BUY NOW WHILE STOCKS LAST TODAY")
    screens.shot(page, "findings")

    # Fix it: the same words in normal case.
    page.keyboard.press("End")
    page.keyboard.press("Shift+Home")
    page.keyboard.type("<p>Buy now while stocks last today</p>")
    expect(page.locator("#findings .finding")).to_have_count(0)
    expect(page.locator("#findings")).to_contain_text("No findings: every rule passes.")
    expect(page.locator(".CodeMirror .lint-marker")).to_have_count(0)

    page.get_by_label("Note for this version (optional)").fill("Calmer second line")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#flash")).to_contain_text("Saved as version 2.")
    saved = (web.workdir / "templates" / JAZZ).read_text(encoding="utf-8")
    assert "  <p>Buy now while stocks last today</p>\n  <p>Every order ships" in saved

    page.get_by_role("link", name="History (2 versions)").click()
    rows = page.locator("table.history tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Calmer second line")
    expect(rows.first).to_contain_text("marketer@shop.example")
    screens.shot(page, "history")


def test_previews_at_desktop_and_phone_width_and_the_text_part(
    web: WebServer, page: Page, screens: Screens
) -> None:
    log_in(page, web, "marketer")
    page.goto(f"{web.url}/app/templates/edit?path={JAZZ}")
    expect(page.frame_locator('iframe[name="preview-phone"]').get_by_text("Hi An,")).to_be_visible()
    text = page.frame_locator('iframe[name="preview-text"]')
    expect(text.locator("pre")).to_contain_text("Hi An,")
    page.get_by_role("button", name="Show text part").click()
    expect(text.locator(".subject")).to_contain_text("Subject: An, save 60%")
    page.locator(".preview-frames").scroll_into_view_if_needed()
    screens.shot(page, "previews-desktop")
    page.locator(".frame-text").screenshot(path=str(screens.folder / "text-part.png"))

    page.set_viewport_size({"width": 375, "height": 800})
    page.reload()
    expect(page.locator(".CodeMirror")).to_be_visible()
    expect(page.frame_locator('iframe[name="preview-phone"]').get_by_text("Hi An,")).to_be_visible()
    expect(text.locator("pre")).to_contain_text("Hi An,")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375 + 1, width
    screens.shot(page, "phone-width")

    page.get_by_role("button", name="Send a test to me").click()
    expect(page.locator("#test-result")).to_contain_text("Sent to marketer@shop.example")
