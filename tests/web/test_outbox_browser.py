"""In Chromium: read a captured message in the outbox, click its tracked link, see the click.

The tracked link redirects to the shop (https://shop.example.com); the test answers
that request itself (``context.route``), so nothing leaves the machine.
"""

from __future__ import annotations

import re

from playwright.sync_api import Dialog, Page, Route, expect

from tests.web.conftest import Screens, WebServer, log_in
from tests.web.test_report_pages import LANDING, send_campaign

SUBJECT = "An, save 60% on every jazz CD until Friday"


def shop(route: Route) -> None:
    """The shop's landing page, answered here instead of on the internet."""
    route.fulfill(
        status=200, content_type="text/html", body="<title>Jazz sale</title><h1>Jazz</h1>"
    )


def fits_the_width(page: Page) -> bool:
    """Whether the page needs no sideways scrolling."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_a_captured_message_is_read_and_its_tracked_click_reaches_the_report(
    web: WebServer, page: Page, screens: Screens
) -> None:
    send_campaign(web)
    page.context.route(re.compile(r"^https://shop\.example\.com/"), shop)
    log_in(page, web, "marketer")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Outbox").click()
    expect(page.get_by_role("heading", name="Outbox", exact=True)).to_be_visible()
    expect(page.locator("table.outbox tbody tr")).to_have_count(3)
    screens.shot(page, "outbox-list")

    # From the keyboard: focus the message's link and press Enter.
    page.get_by_role("link", name=SUBJECT).focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=SUBJECT)).to_be_visible()
    frame = page.frame_locator("iframe.mail")
    expect(frame.get_by_text("Hi An,")).to_be_visible()
    expect(page.locator("pre.mail-text")).to_contain_text("Hi An,")
    screens.shot(page, "outbox-message")

    with page.context.expect_page() as opened:
        frame.get_by_role("link", name="Choose your jazz CDs now").click()
    tab = opened.value
    tab.wait_for_load_state()
    expect(tab).to_have_url(LANDING)
    expect(tab.get_by_role("heading", name="Jazz")).to_be_visible()
    tab.close()

    page.goto(f"{web.url}/app/campaigns/jazz/report")
    clicks = page.locator("#figure-clicks .value")
    # The event writer flushes every 50 ms, and the page fetches fresh figures every
    # 5 s: if the click wasn't written yet when the page loaded, the refresh shows it.
    expect(clicks).to_have_text("1", timeout=20_000)
    expect(page.locator("#report-live td.url")).to_have_text([LANDING])
    expect(page.locator('svg.chart[role="img"]')).to_have_count(3)
    screens.shot(page, "report")

    # The figures refresh by themselves; a table the reader opened stays open.
    page.get_by_text("Links as a table").click()
    expect(page.locator("#by-link-table")).to_have_attribute("open", "")
    generated = page.locator("#report-live .generated")
    expect(generated).not_to_have_text(generated.inner_text(), timeout=20_000)
    expect(page.locator("#by-link-table")).to_have_attribute("open", "")
    expect(page.locator("#by-link-table td.url")).to_have_text([LANDING])

    page.set_viewport_size({"width": 375, "height": 800})
    page.reload()
    expect(clicks).to_have_text("1")
    assert fits_the_width(page)
    screens.shot(page, "report-375")
    page.goto(f"{web.url}/app/outbox")
    assert fits_the_width(page)
    screens.shot(page, "outbox-list-375")
    page.get_by_role("link", name=SUBJECT).click()
    expect(page.frame_locator("iframe.mail").get_by_text("Hi An,")).to_be_visible()
    # Chromium paints a frame for a full-page shot only once it has been on screen.
    page.locator("iframe.mail").scroll_into_view_if_needed()
    assert fits_the_width(page)
    screens.shot(page, "outbox-message-375")


def test_an_admin_clears_the_outbox_after_confirming(
    web: WebServer, page: Page, screens: Screens
) -> None:
    send_campaign(web)
    log_in(page, web, "admin")
    page.goto(f"{web.url}/app/outbox")
    expect(page.locator("table.outbox tbody tr")).to_have_count(3)
    questions: list[str] = []

    def answer(dialog: Dialog) -> None:
        questions.append(dialog.message)
        # The first time say no, then yes.
        if len(questions) == 1:
            dialog.dismiss()
        else:
            dialog.accept()

    page.on("dialog", answer)
    page.get_by_role("button", name="Clear outbox").click()
    expect(page.locator("table.outbox tbody tr")).to_have_count(3)
    page.get_by_role("button", name="Clear outbox").click()
    expect(page.get_by_text("Deleted 3 messages from the outbox.")).to_be_visible()
    expect(page.get_by_text("The outbox is empty.")).to_be_visible()
    assert questions[0] == "Delete all 3 captured messages? This can't be undone."
    screens.shot(page, "outbox-cleared")
