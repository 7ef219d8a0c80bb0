"""The campaign pages over HTTP: create, the lint gate, send now, pause/resume/cancel, A/B.

Every test runs against a real ``hookline serve`` (its scheduler ticks every second),
so "send now" is proven by messages landing in its outbox.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from campaigns.models import Campaign
from tests.web.conftest import SignedInClient, WebServer

CONTACTS = """email,first_name,last_name,city,country,consent,tags,favourite_genre
an.nguyen@example.com,An,Nguyen,Hanoi,VN,yes,jazz;vip,bebop
binh.tran@example.com,Binh,Tran,Hue,VN,yes,jazz,swing
chi.le@example.com,Chi,Le,Hanoi,VN,yes,jazz,cool
"""
JAZZ = "en/jazz-sale.html.j2"
SENDER = "Jazz Shop <news@shop.example.com>"
# A copy of the welcome mail with a misspelt variable: T002, an error, closes the gate.
BROKEN = "en/broken-welcome.txt.j2"


def import_contacts(web: WebServer) -> None:
    """Three consented contacts tagged jazz, and the saved segment @jazz."""
    path = web.workdir / "contacts.csv"
    path.write_text(CONTACTS, encoding="utf-8")
    result = web.cli("audience", "import", str(path))
    assert result.exit_code == 0, result.output
    result = web.cli("audience", "segment", "save", "jazz", 'tag "jazz"')
    assert result.exit_code == 0, result.output


def write_broken_template(web: WebServer) -> None:
    """A template whose lint gate is closed, in the server's templates folder."""
    source = (web.workdir / "templates" / "en" / "welcome.txt.j2").read_text(encoding="utf-8")
    broken = source.replace("Hi {{ first_name }},", "Hi {{ frist_name }},", 1)
    assert broken != source
    (web.workdir / "templates" / BROKEN).write_text(broken, encoding="utf-8")


def campaign_form(name: str, **changes: str) -> dict[str, str]:
    """A create form that succeeds unless ``changes`` break it."""
    return {
        "name": name,
        "template": JAZZ,
        "segment_choice": "@jazz",
        "segment_query": "",
        "from_addr": SENDER,
        "reply_to": "",
        "when": "draft",
        **changes,
    }


def stored(web: WebServer, name: str) -> Campaign | None:
    """The campaign row, read straight from the server's database."""
    db = web.open_db()
    try:
        with db.session() as session:
            campaign = session.scalar(select(Campaign).where(Campaign.name == name))
            if campaign is not None:
                session.expunge(campaign)
            return campaign
    finally:
        db.engine.dispose()


def move_state(web: WebServer, name: str, state: str) -> None:
    """Set a campaign's state in the database, as sending would, without a race.

    A campaign with no ledger rows stays put: the scheduler sends only queued rows.
    """
    db = web.open_db()
    try:
        with db.session() as session, session.begin():
            campaign = session.scalar(select(Campaign).where(Campaign.name == name))
            assert campaign is not None
            campaign.state = state
    finally:
        db.engine.dispose()


def wait_for(check: Callable[[], Any], what: str, seconds: float = 30) -> Any:
    """Poll ``check`` until it returns something truthy (the server ticks every second)."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.25)


def error_after(page: str, field: str) -> str:
    """The error text shown in the field block of ``field`` (its id is f-FIELD)."""
    match = re.search(
        rf'id="f-{field}".*?<(?:p|pre) class="error"[^>]*role="alert">(.*?)</(?:p|pre)>',
        page,
        re.S,
    )
    assert match is not None, f"no error next to {field}"
    return html.unescape(match.group(1))


def outbox_messages(web: WebServer) -> list[Path]:
    """The messages the built-in capture has kept."""
    return sorted(web.outbox.glob("*.eml")) if web.outbox.is_dir() else []


@pytest.fixture
def marketer(web: WebServer) -> SignedInClient:
    """The marketer's client, with three contacts and the segment @jazz in the database."""
    import_contacts(web)
    return web.client("marketer")


def test_creating_a_draft_stores_the_template_text_and_the_segment(
    web: WebServer, marketer: SignedInClient
) -> None:
    form = marketer.get("/app/campaigns/new")
    assert form.status_code == 200
    assert JAZZ in form.text and "@jazz" in form.text
    assert re.search(r'type="datetime-local"[^>]* step="1"', form.text)
    assert "Read in the audience time zone, Asia/Ho_Chi_Minh" in form.text
    answer = marketer.post("/app/campaigns/new", campaign_form("jazz-draft"))
    assert answer.status_code == 200
    assert str(answer.url).endswith("/app/campaigns/jazz-draft?done=created")
    assert "Lint gate: open" in answer.text
    assert "3 contacts sendable by email" in answer.text
    campaign = stored(web, "jazz-draft")
    assert campaign is not None
    assert campaign.state == "draft"
    assert campaign.segment == "@jazz"
    assert campaign.template_path == "templates/en/jazz-sale.html.j2"
    source = (web.workdir / "templates" / JAZZ).read_text(encoding="utf-8")
    assert campaign.template_source == source
    assert campaign.from_addr == "Jazz Shop <news@shop.example.com>"
    listing = marketer.get("/app/campaigns")
    assert 'href="/app/campaigns/jazz-draft"' in listing.text
    assert "not started" in listing.text


def test_a_typed_query_is_stored_as_typed(web: WebServer, marketer: SignedInClient) -> None:
    query = 'tag "jazz" and city = "Hanoi"'
    answer = marketer.post(
        "/app/campaigns/new",
        campaign_form("hanoi", segment_choice="query", segment_query=query),
    )
    assert answer.status_code == 200, answer.text
    assert "2 contacts sendable by email" in answer.text
    campaign = stored(web, "hanoi")
    assert campaign is not None and campaign.segment == query


BAD_FIELDS = [
    ({"name": "jazz sale!"}, "name", "use letters, digits"),
    ({"from_addr": "not an address"}, "from_addr", "expected an address"),
    ({"reply_to": "reply@"}, "reply_to", "Reply-To"),
    ({"segment_choice": "query", "segment_query": 'citty = "Hanoi"'}, "segment_query", "city"),
    ({"segment_choice": "query", "segment_query": ""}, "segment_query", "Type a query"),
    ({"segment_choice": "@nobody"}, "segment_choice", "nobody"),
    ({"template": "../config.toml"}, "template", "Choose one of the template files"),
    ({"when": "cron", "cron": "0 9 * *"}, "cron", "expected 5 fields"),
    ({"when": "cron", "cron": "0 9 * * *", "cron_zone": "Mars/Base"}, "cron_zone", "unknown"),
    ({"when": "at", "at": "2020-01-01T09:00"}, "at", "in the past"),
    ({"when": "at", "at": ""}, "at", "Fill this in"),
    ({"when": "local", "local_time": "25:00"}, "local_time", "HH:MM"),
]


def test_a_bad_field_is_refused_with_its_error_next_to_it(
    web: WebServer, marketer: SignedInClient
) -> None:
    for changes, field, says in BAD_FIELDS:
        answer = marketer.post("/app/campaigns/new", {**campaign_form("checked"), **changes})
        assert answer.status_code == 400, changes
        assert says in error_after(answer.text, field), changes
        assert "Traceback" not in answer.text
    assert stored(web, "checked") is None


def test_a_taken_name_is_refused(web: WebServer, marketer: SignedInClient) -> None:
    assert marketer.post("/app/campaigns/new", campaign_form("twice")).status_code == 200
    again = marketer.post("/app/campaigns/new", campaign_form("twice"))
    assert again.status_code == 400
    assert "already exists" in error_after(again.text, "name")


def test_every_error_of_a_form_shows_at_once(web: WebServer, marketer: SignedInClient) -> None:
    answer = marketer.post(
        "/app/campaigns/new",
        campaign_form("bad name", from_addr="nope", when="cron", cron="every day"),
    )
    assert answer.status_code == 400
    for field in ("name", "from_addr", "cron"):
        error_after(answer.text, field)
    assert 'value="bad name"' in answer.text  # what was typed stays in the form


def test_the_audience_count_fragment_counts_a_segment(marketer: SignedInClient) -> None:
    counted = marketer.get(
        "/app/campaigns/audience-count",
        params={"segment_choice": "query", "segment_query": 'city = "Hue"', "template": JAZZ},
    )
    assert counted.status_code == 200
    assert "1 contact sendable by email" in counted.text
    bad = marketer.get(
        "/app/campaigns/audience-count",
        params={"segment_choice": "query", "segment_query": "city ="},
    )
    assert "can't be counted" in html.unescape(bad.text)


def test_a_closed_lint_gate_blocks_sending_until_overridden_with_a_reason(
    web: WebServer, marketer: SignedInClient
) -> None:
    write_broken_template(web)
    created = marketer.post(
        "/app/campaigns/new", campaign_form("broken", template=BROKEN, when="now")
    )
    assert created.status_code == 200
    assert str(created.url).endswith("?done=gate-closed")
    assert "Lint gate: closed: 1 error" in created.text
    assert "T002" in created.text and "frist_name" in created.text
    assert re.search(r"<button type=\"submit\" disabled[^>]*>Send now", created.text)
    campaign = stored(web, "broken")
    assert campaign is not None and campaign.state == "draft"

    refused = marketer.post("/app/campaigns/broken/send")
    assert refused.status_code == 409
    assert "lint gate is closed" in refused.text
    no_reason = marketer.post("/app/campaigns/broken/send", {"force": "1", "reason": " "})
    assert no_reason.status_code == 400
    assert "Say why" in error_after(no_reason.text, "reason")
    schedule = marketer.post(
        "/app/campaigns/broken/schedule", {"when": "cron", "cron": "0 9 * * MON"}
    )
    assert schedule.status_code == 409
    assert stored(web, "broken").state == "draft"  # type: ignore[union-attr]

    forced = marketer.post(
        "/app/campaigns/broken/send", {"force": "1", "reason": "The typo is in a test"}
    )
    assert forced.status_code == 200
    assert "Overridden" in forced.text and "The typo is in a test" in forced.text
    campaign = stored(web, "broken")
    assert campaign is not None
    assert campaign.forced_reason == "The typo is in a test"
    assert campaign.state in ("sending", "done")


def test_send_now_delivers_to_the_outbox_and_the_page_counts_it(
    web: WebServer, marketer: SignedInClient
) -> None:
    answer = marketer.post("/app/campaigns/new", campaign_form("jazz-now", when="now"))
    assert answer.status_code == 200
    assert str(answer.url).endswith("?done=started")
    wait_for(lambda: len(outbox_messages(web)) == 3, "three messages in the outbox")
    recipients = b"".join(path.read_bytes() for path in outbox_messages(web))
    for address in (b"an.nguyen@example.com", b"binh.tran@example.com", b"chi.le@example.com"):
        assert address in recipients

    def done_page() -> str | None:
        page = marketer.get("/app/campaigns/jazz-now")
        return page.text if "3 of 3 recipients have an outcome" in page.text else None

    page = wait_for(done_page, "the page to count three sent")
    assert "<strong>3 sent</strong>" in page
    assert 'href="/app/campaigns/jazz-now/report"' in page
    assert 'href="/app/outbox"' in page
    listing = marketer.get("/app/campaigns")
    assert "3 / 3" in listing.text
    # A finished campaign can't be sent again, and its page has no send buttons.
    assert marketer.post("/app/campaigns/jazz-now/send").status_code == 409


def test_the_progress_fragment_polls_while_sending_and_reloads_the_page_on_change(
    web: WebServer, marketer: SignedInClient
) -> None:
    marketer.post("/app/campaigns/new", campaign_form("polled"))
    draft = marketer.get("/app/campaigns/polled/progress", params={"seen": "draft"})
    assert draft.status_code == 200
    assert 'hx-trigger="every 2s"' not in draft.text
    assert "HX-Redirect" not in draft.headers
    move_state(web, "polled", "sending")
    sending = marketer.get("/app/campaigns/polled/progress", params={"seen": "sending"})
    assert 'hx-trigger="every 2s"' in sending.text
    assert "/app/campaigns/polled/progress?seen=sending" in sending.text
    assert "HX-Redirect" not in sending.headers
    assert 'hx-trigger="every 2s"' in marketer.get("/app/campaigns/polled").text
    move_state(web, "polled", "done")
    finished = marketer.get("/app/campaigns/polled/progress", params={"seen": "sending"})
    assert finished.headers.get("HX-Redirect") == "/app/campaigns/polled"
    assert 'hx-trigger="every 2s"' not in finished.text


def test_pause_resume_and_cancel_change_the_state(web: WebServer, marketer: SignedInClient) -> None:
    marketer.post("/app/campaigns/new", campaign_form("states"))
    refused = marketer.post("/app/campaigns/states/pause")
    assert refused.status_code == 409
    assert "is draft; can't pause it" in html.unescape(refused.text)
    move_state(web, "states", "sending")
    paused = marketer.post("/app/campaigns/states/pause")
    assert paused.status_code == 200 and "Campaign paused." in paused.text
    assert stored(web, "states").state == "paused"  # type: ignore[union-attr]
    assert ">Resume</button>" in paused.text
    resumed = marketer.post("/app/campaigns/states/resume")
    assert "Campaign resumed." in resumed.text
    assert stored(web, "states").state == "sending"  # type: ignore[union-attr]
    cancelled = marketer.post("/app/campaigns/states/cancel")
    assert "Campaign cancelled" in cancelled.text
    assert stored(web, "states").state == "cancelled"  # type: ignore[union-attr]
    assert marketer.post("/app/campaigns/states/resume").status_code == 409


def test_the_ab_form_stores_subject_b_share_measure_and_wait(
    web: WebServer, marketer: SignedInClient
) -> None:
    marketer.post("/app/campaigns/new", campaign_form("ab"))
    answer = marketer.post(
        "/app/campaigns/ab/ab",
        {
            "subject_b": "{{ first_name }}, free delivery on every jazz CD",
            "share": "30%",
            "measure": "clicks",
            "wait": "1h30m",
        },
    )
    assert answer.status_code == 200, answer.text
    assert "A/B subject test saved." in answer.text
    campaign = stored(web, "ab")
    assert campaign is not None
    assert campaign.subject_b == "{{ first_name }}, free delivery on every jazz CD"
    assert campaign.ab_share == pytest.approx(0.3)
    assert campaign.ab_measure == "clicks"
    assert campaign.ab_wait_seconds == 5400
    assert 'value="30%"' in answer.text and 'value="1h 30m"' in answer.text
    bad = marketer.post(
        "/app/campaigns/ab/ab", {"subject_b": "Fine subject", "share": "0", "wait": "4h"}
    )
    assert bad.status_code == 400
    assert "more than 0%" in error_after(bad.text, "share")
    removed = marketer.post("/app/campaigns/ab/ab-remove")
    assert "A/B subject test removed." in removed.text
    assert stored(web, "ab").subject_b is None  # type: ignore[union-attr]


def test_editing_a_draft_changes_its_segment_and_sender(
    web: WebServer, marketer: SignedInClient
) -> None:
    marketer.post("/app/campaigns/new", campaign_form("edited"))
    form = marketer.get("/app/campaigns/edited/edit")
    assert form.status_code == 200 and 'value="@jazz" selected' in form.text
    answer = marketer.post(
        "/app/campaigns/edited/edit",
        campaign_form(
            "edited",
            segment_choice="query",
            segment_query='city = "Hue"',
            from_addr="news@shop.example.com",
        ),
    )
    assert answer.status_code == 200, answer.text
    campaign = stored(web, "edited")
    assert campaign is not None
    assert campaign.segment == 'city = "Hue"' and campaign.from_addr == "news@shop.example.com"
    bad = marketer.post("/app/campaigns/edited/edit", campaign_form("edited", from_addr="x"))
    assert bad.status_code == 400 and error_after(bad.text, "from_addr")


def test_an_unknown_campaign_is_a_404(marketer: SignedInClient) -> None:
    answer = marketer.get("/app/campaigns/nothing-here")
    assert answer.status_code == 404
    assert "no campaign named 'nothing-here'" in html.unescape(answer.text)


ACTIONS = ("send", "schedule", "unschedule", "pause", "resume", "cancel", "ab", "ab-remove")


def test_a_viewer_sees_the_campaign_without_buttons_and_every_change_is_refused(
    web: WebServer, marketer: SignedInClient
) -> None:
    marketer.post("/app/campaigns/new", campaign_form("looked-at"))
    viewer = web.client("viewer")
    page = viewer.get("/app/campaigns/looked-at")
    assert page.status_code == 200
    assert "Lint gate: open" in page.text
    assert "<button" not in page.text.split("<main", 1)[1]
    assert "can look but not" in page.text
    listing = viewer.get("/app/campaigns")
    assert "looked-at" in listing.text and "New campaign" not in listing.text
    new = viewer.get("/app/campaigns/new")
    assert new.status_code == 200 and '<fieldset class="bare" disabled>' in new.text
    edit = viewer.get("/app/campaigns/looked-at/edit")
    assert edit.status_code == 200 and '<fieldset class="bare" disabled>' in edit.text
    refused = [
        viewer.post(f"/app/campaigns/looked-at/{action}", {"reason": "x", "when": "at"})
        for action in ACTIONS
    ]
    refused.append(viewer.post("/app/campaigns/new", campaign_form("by-viewer")))
    refused.append(viewer.post("/app/campaigns/looked-at/edit", campaign_form("looked-at")))
    assert [answer.status_code for answer in refused] == [403] * len(refused)
    assert stored(web, "by-viewer") is None
    assert stored(web, "looked-at").state == "draft"  # type: ignore[union-attr]


def test_a_post_without_the_csrf_token_is_refused(web: WebServer, marketer: SignedInClient) -> None:
    marketer.post("/app/campaigns/new", campaign_form("guarded"))
    answer = marketer.http.post("/app/campaigns/guarded/send", data={})
    assert answer.status_code == 403
    assert stored(web, "guarded").state == "draft"  # type: ignore[union-attr]


def test_send_now_prints_a_letter_campaign_in_the_background(web: WebServer) -> None:
    from tests.campaigns.people import add_people

    postal: dict[str, Any] = {
        "address_line1": "12 Hang Bai Street",
        "city": "Hanoi",
        "postcode": "100000",
        "country": "Vietnam",
        "mail_consent": "granted",
    }
    db = web.open_db()
    try:
        add_people(db, 2, prefix="reader", **postal)
    finally:
        db.engine.dispose()
    marketer = web.client("marketer")
    answer = marketer.post(
        "/app/campaigns/new",
        campaign_form(
            "gift-letter",
            template="letters/reply-card-gift.html.j2",
            segment_choice="",
            from_addr="",
            when="now",
        ),
    )
    assert answer.status_code == 200, answer.text
    assert str(answer.url).endswith("?done=letters")
    text = html.unescape(answer.text)
    assert "2 contacts with a postal address" in text
    assert "sending renders print-ready PDFs" in text
    folder = web.workdir / "var" / "letters" / "gift-letter"
    # The batch PDF is joined after the manifest is written: wait for both.
    wait_for((folder / "letters.pdf").is_file, "the print run's batch PDF", 120)
    assert (folder / "manifest.csv").is_file()
    campaign = wait_for(
        lambda: (c := stored(web, "gift-letter")) is not None and c.state == "done" and c,
        "the letter campaign to be done",
    )
    assert campaign.from_addr.startswith("Hookline Records")
    page = marketer.get("/app/campaigns/gift-letter")
    assert "2 of 2 recipients have an outcome" in page.text
