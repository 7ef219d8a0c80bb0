"""The segment pages: the live preview (count, sample, error position) and saving."""

from __future__ import annotations

import re

from audiences.segment_query import SegmentSyntaxError
from campaigns.web.query_marks import mark_error
from tests.web.conftest import WebServer
from tests.web.test_contact_pages import add_contacts


def preview(web: WebServer, query: str, role: str = "viewer", channel: str = "email") -> str:
    answer = web.client(role).htmx_post(
        "/app/segments/preview", {"query": query, "channel": channel}
    )
    assert answer.status_code == 200, answer.text
    return answer.text


def shown_count(html: str) -> int:
    match = re.search(r'data-count="(\d+)"', html)
    assert match, html
    return int(match.group(1))


def test_preview_counts_and_samples_the_sendable_contacts(web: WebServer) -> None:
    add_contacts(web, 12, city="Hanoi")
    add_contacts_elsewhere(web)
    html = preview(web, 'city = "Hanoi"')
    assert shown_count(html) == 12
    assert len(re.findall(r"<td>person\d+@example.com</td>", html)) == 10
    assert "The first 10 of 12." in html
    assert shown_count(preview(web, "")) == 13
    assert shown_count(preview(web, 'city = "Nowhere"')) == 0
    # Nobody has a postal address, so nobody is sendable by post.
    assert shown_count(preview(web, 'city = "Hanoi"', channel="mail")) == 0


def add_contacts_elsewhere(web: WebServer) -> None:
    db = web.open_db()
    try:
        from audiences.emails import address_hash
        from audiences.models import Contact

        with db.session() as session, session.begin():
            session.add(
                Contact(
                    email="hue@example.com",
                    email_hash=address_hash("hue@example.com"),
                    city="Hue",
                    email_consent="granted",
                )
            )
    finally:
        db.engine.dispose()


def test_preview_marks_the_fault_of_a_bad_query(web: WebServer) -> None:
    html = preview(web, 'city = "Hanoi" and cty = "Hue"')
    assert 'data-query-invalid="true"' in html
    assert 'role="alert"' in html
    assert "Line 1, column 20: unknown field `cty`; did you mean `city`?" in html
    assert "city = &#34;Hanoi&#34; and <mark>cty</mark> = &#34;Hue&#34;" in html
    html = preview(web, 'city = "Hanoi" and\ntier in ("Gold",')
    assert "Line 2, column" in html and "<mark>" in html
    assert "data-count" not in html


def test_marking_an_error_at_the_end_of_the_query() -> None:
    marked = mark_error(SegmentSyntaxError("expected a value", "city =", 6))
    assert (marked.before, marked.bad, marked.after, marked.at_end) == ("city =", "", "", True)
    marked = mark_error(SegmentSyntaxError('this string has no closing "', 'a = "x y', 4))
    assert marked.bad == '"x y'


def test_save_a_segment_then_it_is_listed_with_its_count(web: WebServer) -> None:
    add_contacts(web, 3, city="Hanoi")
    client = web.client("marketer")
    answer = client.post("/app/segments", {"name": "Hanoi", "query": 'city = "Hanoi"'})
    assert answer.status_code == 200
    assert "Saved @hanoi" in answer.text
    listed = re.search(
        r"<td>@hanoi</td>\s*<td><code>([^<]+)</code></td>\s*<td class=\"num\">(\d+)", answer.text
    )
    assert listed and listed.group(2) == "3"
    # Usable in other queries at once.
    assert shown_count(preview(web, '@hanoi and not tag "vip"')) == 3


def test_save_shows_each_fault_at_its_field(web: WebServer) -> None:
    client = web.client("marketer")
    bad_query = client.post("/app/segments", {"name": "x", "query": "tier = "})
    assert bad_query.status_code == 400
    assert "<mark>" in bad_query.text and 'id="query-save-error"' in bad_query.text
    bad_name = client.post("/app/segments", {"name": "no spaces please", "query": ""})
    assert bad_name.status_code == 400
    name_field = bad_name.text[bad_name.text.index('id="f-name"') :]
    assert 'aria-invalid="true"' in name_field[:400]
    assert "A segment name is up to 100 letters, digits, _ and -." in name_field
    missing = client.post("/app/segments", {"name": "", "query": 'city = "Hue"'})
    assert "Give the segment a name" in missing.text
    assert "No saved segment yet." in missing.text


def test_the_builder_is_prefilled_from_the_address(web: WebServer) -> None:
    page = web.client("viewer").get("/app/segments", params={"q": 'tier = "Gold"', "name": "gold"})
    assert ">tier = &#34;Gold&#34;</textarea>" in page.text
    assert 'value="gold"' in page.text
    assert 'hx-trigger="keyup changed delay:300ms, load"' in page.text


def test_a_viewer_can_preview_but_not_save(web: WebServer) -> None:
    viewer = web.client("viewer")
    page = viewer.get("/app/segments")
    assert "can preview but not save" in page.text
    assert re.search(r"<fieldset[^>]* disabled", page.text)
    refused = viewer.post("/app/segments", {"name": "mine", "query": ""})
    assert refused.status_code == 403
    assert "No saved segment yet." in viewer.get("/app/segments").text
    # The preview changes nothing, so it is open to viewers, but only with the CSRF token.
    forged = viewer.http.post("/app/segments/preview", data={"query": ""})
    assert forged.status_code == 403
