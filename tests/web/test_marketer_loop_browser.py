"""Issue 7's proof in one sitting: the whole loop a newcomer walks, in Chromium.

A marketer signs in; uploads a CSV with a bad row and sees it reported; builds a
segment and sees the count; makes the editor show a lint finding and makes it go
away; creates a campaign scheduled seconds ahead and watches it go out; reads a
message in the outbox and opens its link; sees the click in the report; unsubscribes
through the message's own link and sees the contact suppressed. Every page is
screenshotted into the test run's artifacts. Nothing leaves the machine: the shop's
landing page is answered by Playwright.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

from playwright.sync_api import Page, Route, expect

from tests.web.conftest import Screens, WebServer, log_in
from tests.web.test_campaign_schedule_pages import ZONE, local_input

LANDING = "https://shop.example.com/jazz-sale"
PEOPLE = (
    "email,first_name,last_name,city,consent,tags\n"
    "an@example.com,An,Nguyễn,Hanoi,yes,jazz\n"
    "binh@example.com,Bình,Trần,Huế,yes,jazz\n"
    "not-an-address,Bad,Row,Hanoi,yes,jazz\n"
    "chi@example.com,Chi,Lê,Hanoi,yes,jazz;vip\n"
    "dung@example.com,Dũng,Phạm,Hanoi,yes,classical\n"
)


def shop(route: Route) -> None:
    """The shop's landing page, answered here instead of on the internet."""
    route.fulfill(status=200, content_type="text/html", body="<title>Jazz</title><h1>Jazz</h1>")


def test_the_whole_loop_from_import_to_unsubscribe(
    web: WebServer, page: Page, screens: Screens, tmp_path: Path
) -> None:
    page.context.route(re.compile(r"^https://shop\.example\.com/"), shop)
    nav = page.get_by_role("navigation", name="Main")

    # 1. Sign in.
    log_in(page, web, "marketer")
    screens.shot(page, "signed-in")

    # 2. Upload a CSV with a bad row and see it reported, with its line and reason.
    nav.get_by_role("link", name="Import").click()
    people = tmp_path / "people.csv"
    people.write_text(PEOPLE, encoding="utf-8")
    page.get_by_label("Contacts").check()
    page.get_by_label("CSV file").set_input_files(str(people))
    page.get_by_role("button", name="Upload and import").click()
    expect(page.locator("#import-job")).to_have_attribute("data-state", "done", timeout=60_000)
    expect(page.get_by_role("status").filter(has_text="Imported")).to_contain_text(
        "Imported 4 of 5 rows from people.csv; 1 rejected."
    )
    bad = page.get_by_role("table").get_by_role("row").nth(1)
    expect(bad.get_by_role("cell").nth(0)).to_have_text("4")  # the header is line 1
    expect(bad.get_by_role("cell").nth(2)).to_contain_text("not-an-address")
    screens.shot(page, "import-reported")

    # 3. Build a segment: the count follows the query; save it.
    nav.get_by_role("link", name="Segments").click()
    query = page.get_by_label("Query", exact=True)
    count = page.locator("#segment-preview [data-count]")
    expect(count).to_have_attribute("data-count", "4")
    query.press_sequentially('tag "jazz"')
    expect(count).to_have_attribute("data-count", "3")
    page.get_by_label("Save as").fill("jazz")
    page.get_by_role("button", name="Save segment").click()
    expect(page.get_by_text("Saved @jazz")).to_be_visible()
    screens.shot(page, "segment-saved")

    # 4. A lint finding appears as the copy shouts, and goes when it stops.
    nav.get_by_role("link", name="Templates").click()
    page.get_by_role("link", name="en/jazz-sale.html.j2").first.click()
    expect(page.locator("#lint-summary")).to_have_text("No findings")
    page.locator(".CodeMirror-line", has_text="Every order ships free").click()
    page.keyboard.press("Home")
    page.keyboard.type("<p>LAST CHANCE FOR THESE RECORDS</p>")
    page.keyboard.press("Enter")
    finding = page.locator('#findings .finding[data-code="C001"]').first
    expect(finding).to_be_visible()
    expect(page.locator(".CodeMirror .lint-marker-error")).to_have_count(1)
    screens.shot(page, "lint-finding")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("End")
    page.keyboard.press("Shift+Home")
    page.keyboard.type("<p>Last chance for these records</p>")
    expect(page.locator("#findings .finding")).to_have_count(0)
    expect(page.locator("#lint-summary")).to_have_text("No findings")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#flash")).to_contain_text("Saved as version 2.")
    screens.shot(page, "lint-clean-saved")

    # 5. Create a campaign scheduled seconds ahead; it goes out on its own.
    nav.get_by_role("link", name="Campaigns").click()
    page.get_by_role("link", name="New campaign").first.click()
    page.get_by_label("Name", exact=True).fill("jazz-friday")
    page.get_by_label("Template").select_option("en/jazz-sale.html.j2")
    page.get_by_label("Segment", exact=True).select_option("@jazz")
    page.get_by_label("Sender (From)").fill("Hookline Records <news@hookline.example>")
    page.get_by_label("At a time").check()
    page.get_by_label("Date and time").fill(local_input(datetime.now(ZONE) + timedelta(seconds=6)))
    page.get_by_role("button", name="Create campaign").click()
    expect(page.get_by_test_id("state")).to_have_text("scheduled")
    screens.shot(page, "campaign-scheduled")
    expect(page.get_by_test_id("state")).to_have_text("done", timeout=60_000)
    expect(page.get_by_test_id("progress-summary")).to_contain_text("3 sent")
    screens.shot(page, "campaign-done")

    # The outbox holds the three messages; the edited copy went out.
    nav.get_by_role("link", name="Outbox").click()
    expect(page.locator("table.outbox tbody tr")).to_have_count(3)
    screens.shot(page, "outbox")
    page.locator("table.outbox tbody tr").first.get_by_role("link").first.click()
    frame = page.frame_locator("iframe.mail")
    expect(frame.get_by_text("Last chance for these records")).to_be_visible()
    recipient = page.locator("dd", has_text="@example.com").first.inner_text()
    address = re.search(r"[\w.]+@example\.com", recipient)
    assert address is not None, recipient
    message_url = page.url
    screens.shot(page, "message")

    # Open the message's link: the tracked redirect reaches the shop.
    with page.context.expect_page() as opened:
        frame.get_by_role("link", name="Choose your jazz CDs now").click()
    landing = opened.value
    expect(landing).to_have_url(LANDING)
    landing.close()

    # The click is in the report.
    page.goto(f"{web.url}/app/campaigns/jazz-friday/report")
    expect(page.locator("#figure-clicks .value")).to_have_text("1", timeout=20_000)
    expect(page.locator("#report-live td.url")).to_have_text([LANDING])
    screens.shot(page, "report-click")

    # 6. Unsubscribe through the message's own link; the contact is suppressed.
    page.goto(message_url)
    frame = page.frame_locator("iframe.mail")
    with page.context.expect_page() as opened:
        frame.get_by_role("link", name="Unsubscribe").click()
    farewell = opened.value
    expect(farewell.get_by_role("heading", name=re.compile("^Unsubscribe "))).to_be_visible()
    farewell.get_by_role("button", name="Unsubscribe").click()
    expect(farewell.get_by_role("heading", name="You are unsubscribed")).to_be_visible()
    screens.shot(farewell, "unsubscribed")
    farewell.close()

    nav.get_by_role("link", name="Contacts").click()
    page.get_by_label("Email or name contains").fill(address.group(0))
    page.get_by_label("Email or name contains").press("Enter")
    page.get_by_role("link", name=address.group(0)).click()
    expect(page.locator(".badge-suppressed")).to_contain_text("Suppressed: unsubscribed")
    expect(page.get_by_text("No e-mail goes to this address")).to_be_visible()
    screens.shot(page, "contact-suppressed")

    page.goto(f"{web.url}/app/campaigns/jazz-friday/report")
    expect(page.locator("#figure-unsubscribes .value")).to_have_text("1", timeout=20_000)
    screens.shot(page, "report-unsubscribe")
