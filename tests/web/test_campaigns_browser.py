"""In Chromium: create a campaign with a saved segment, schedule it seconds ahead, watch it go.

The campaign page polls its progress with htmx every two seconds and reloads itself
when the state moves on, so the test only waits for what a person would see.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from playwright.sync_api import Page, expect

from tests.web.conftest import Screens, WebServer, log_in
from tests.web.test_campaign_pages import SENDER, import_contacts, outbox_messages
from tests.web.test_campaign_schedule_pages import ZONE, local_input


def fits_the_width(page: Page) -> bool:
    """Whether the page needs no sideways scrolling."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_a_marketer_creates_schedules_and_watches_a_campaign_being_sent(
    web: WebServer, page: Page, screens: Screens
) -> None:
    import_contacts(web)
    log_in(page, web, "marketer")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Campaigns").click()
    expect(page.get_by_role("heading", name="Campaigns", exact=True)).to_be_visible()
    page.get_by_role("link", name="New campaign").first.click()
    expect(page.get_by_role("heading", name="New campaign")).to_be_visible()

    page.get_by_label("Name", exact=True).fill("jazz-browser")
    page.get_by_label("Template").select_option("en/jazz-sale.html.j2")
    page.get_by_label("Segment", exact=True).select_option("@jazz")
    page.get_by_role("button", name="Count the audience").click()
    expect(page.locator("#audience-count")).to_contain_text("3 contacts sendable by email")
    page.get_by_label("Sender (From)").fill(SENDER)
    # Only the chosen schedule's fields show.
    expect(page.get_by_label("Cron schedule", exact=True)).to_be_hidden()
    page.get_by_label("At a time").check()
    expect(page.get_by_label("Date and time")).to_be_visible()
    expect(page.get_by_label("Cron schedule", exact=True)).to_be_hidden()
    fire_at = datetime.now(ZONE) + timedelta(seconds=8)
    page.get_by_label("Date and time").fill(local_input(fire_at))
    screens.shot(page, "campaign-new-form")
    page.get_by_role("button", name="Create campaign").click()

    expect(page.get_by_text("Campaign scheduled.")).to_be_visible()
    expect(page.get_by_test_id("gate")).to_have_text("Lint gate: open")
    expect(page.get_by_test_id("state")).to_have_text("scheduled")
    expect(page.get_by_test_id("audience")).to_have_text("3 contacts sendable by email")
    screens.shot(page, "campaign-scheduled")
    assert outbox_messages(web) == []

    # The schedule fires, the page reloads itself and shows the count rising to done.
    expect(page.get_by_test_id("state")).to_have_text("done", timeout=60_000)
    expect(page.get_by_test_id("progress-summary")).to_contain_text(
        "3 of 3 recipients have an outcome; 3 sent"
    )
    expect(page.locator("#progress progress")).to_have_attribute("value", "3")
    assert len(outbox_messages(web)) == 3
    screens.shot(page, "campaign-done")

    page.get_by_role("link", name="← Campaigns").click()
    row = page.get_by_role("row", name="jazz-browser")
    expect(row).to_contain_text("done")
    expect(row).to_contain_text("3 / 3")
    screens.shot(page, "campaign-list")

    # At phone width the pages need no sideways scrolling.
    page.set_viewport_size({"width": 375, "height": 800})
    assert fits_the_width(page)
    page.get_by_role("link", name="jazz-browser").click()
    expect(page.get_by_test_id("state")).to_have_text("done")
    assert fits_the_width(page)
    screens.shot(page, "campaign-done-375")
    page.goto(f"{web.url}/app/campaigns/new")
    expect(page.get_by_label("Send now")).to_be_visible()
    assert fits_the_width(page)
    screens.shot(page, "campaign-new-form-375")


def test_a_closed_gate_is_overridden_from_the_keyboard_with_a_reason(
    web: WebServer, page: Page, screens: Screens
) -> None:
    from tests.web.test_campaign_pages import BROKEN, write_broken_template

    import_contacts(web)
    write_broken_template(web)
    marketer = web.client("marketer")
    marketer.post(
        "/app/campaigns/new",
        {
            "name": "typo",
            "template": BROKEN,
            "segment_choice": "@jazz",
            "from_addr": SENDER,
            "when": "draft",
        },
    )
    log_in(page, web, "marketer")
    page.goto(f"{web.url}/app/campaigns/typo")
    expect(page.get_by_test_id("gate")).to_have_text("Lint gate: closed: 1 error")
    expect(page.get_by_role("cell", name="T002")).to_be_visible()
    expect(page.get_by_role("button", name="Send now")).to_be_disabled()
    screens.shot(page, "campaign-gate-closed")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_label("Why is the lint gate overridden?", exact=True).fill("Checked by hand")
    page.get_by_label("Why is the lint gate overridden?", exact=True).press("Tab")
    page.keyboard.press("Enter")  # the focused "Send anyway" button
    expect(page.get_by_text("Overridden")).to_contain_text("Checked by hand")
    expect(page.get_by_test_id("state")).to_have_text("done", timeout=60_000)
    screens.shot(page, "campaign-gate-overridden")
