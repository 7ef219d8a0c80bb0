"""The import, contacts and segment pages in Chromium, as a marketer uses them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.web.conftest import Screens, WebServer, log_in

pytest.importorskip("playwright")
from playwright.sync_api import Browser, Page, expect

CONTACTS = (
    "email,first_name,last_name,city,tier_note,consent,tags\n"
    + "".join(
        f"person{n}@example.com,Person,{n},{'Hanoi' if n % 2 else 'Hue'},,yes,"
        f"{'vip' if n % 5 == 0 else ''}\n"
        for n in range(1, 40)
    )
    + "broken-address,Bad,Row,Hanoi,,yes,\n"
)
# The header is line 1, so the 40th row is line 41.
BAD_LINE = "41"


def test_import_then_build_a_segment(
    web: WebServer, page: Page, screens: Screens, tmp_path: Path
) -> None:
    log_in(page, web, "marketer")
    page.get_by_role("link", name="Import", exact=True).click()
    expect(page.get_by_role("heading", name="Import a CSV file")).to_be_visible()
    screens.shot(page, "import-form")

    csv_file = tmp_path / "people.csv"
    csv_file.write_text(CONTACTS, encoding="utf-8")
    page.get_by_label("Contacts").check()
    page.get_by_label("CSV file").set_input_files(str(csv_file))
    page.get_by_role("button", name="Upload and import").click()
    expect(page.get_by_role("heading", name="Importing contacts from people.csv")).to_be_visible()
    job = page.locator("#import-job")
    expect(job).to_have_attribute("data-state", "done", timeout=60_000)
    expect(page.get_by_role("status").filter(has_text="Imported")).to_have_text(
        re.compile(r"Imported 39 of 40 rows from people.csv; 1 rejected.")
    )
    rejects = page.get_by_role("table")
    expect(rejects.get_by_role("row")).to_have_count(2)
    bad = rejects.get_by_role("row").nth(1)
    expect(bad.get_by_role("cell").nth(0)).to_have_text(BAD_LINE)
    expect(bad.get_by_role("cell").nth(1)).to_contain_text("email")
    expect(bad.get_by_role("cell").nth(2)).to_contain_text("broken-address")
    expect(page.get_by_role("link", name="Download rejects (1 row)")).to_be_visible()
    screens.shot(page, "import-result")

    page.get_by_role("link", name="See the contacts").click()
    expect(page.get_by_role("heading", name="Contacts")).to_be_visible()
    page.get_by_label("Email or name contains").fill("person7@")
    page.get_by_label("Email or name contains").press("Enter")
    expect(page.get_by_role("link", name="person7@example.com")).to_be_visible()
    screens.shot(page, "contacts-search")
    page.get_by_role("link", name="person7@example.com").click()
    expect(page.get_by_role("heading", name="Person 7")).to_be_visible()
    expect(page.get_by_text("Sendable by email")).to_be_visible()
    screens.shot(page, "contact")

    page.get_by_role("link", name="Segments", exact=True).click()
    query = page.get_by_label("Query", exact=True)
    count = page.locator("#segment-preview [data-count]")
    expect(count).to_have_attribute("data-count", "39")
    query.press_sequentially('city = "Hanoi"')
    expect(count).to_have_attribute("data-count", "20")
    expect(page.locator("#segment-preview tbody tr")).to_have_count(10)
    screens.shot(page, "segment-count")

    query.press_sequentially(" and cty = 1")
    error = page.locator("#segment-preview .query-error")
    expect(error).to_contain_text("unknown field `cty`; did you mean `city`?")
    expect(error.locator("mark")).to_have_text("cty")
    expect(query).to_have_attribute("aria-invalid", "true")
    screens.shot(page, "segment-error")

    query.fill('city = "Hanoi" and tag "vip"')
    query.press("End")
    expect(count).to_have_attribute("data-count", "4")
    expect(query).not_to_have_attribute("aria-invalid", "true")
    page.get_by_label("Save as").fill("hanoi-vip")
    page.get_by_label("Save as").press("Enter")
    expect(page.get_by_text("Saved @hanoi-vip")).to_be_visible()
    expect(page.get_by_role("cell", name="@hanoi-vip", exact=True)).to_be_visible()
    screens.shot(page, "segment-saved")


def test_pages_fit_a_phone(web: WebServer, browser: Browser, screens: Screens) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 740})
    phone = context.new_page()
    try:
        log_in(phone, web, "viewer")
        for path, name in (
            ("/app/import", "import"),
            ("/app/contacts", "contacts"),
            ("/app/segments?q=tier%20%3D", "segments"),
        ):
            phone.goto(web.url + path)
            expect(phone.get_by_role("heading", level=1)).to_be_visible()
            if name == "segments":
                expect(phone.locator("#segment-preview .query-error mark")).to_be_visible()
            width = phone.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, f"{path} is {width}px wide"
            screens.shot(phone, f"{name}-375px")
        expect(phone.get_by_role("button", name="Save segment")).to_be_disabled()
    finally:
        context.close()
