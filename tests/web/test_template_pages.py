"""The template editor's pages through a real ``hookline serve``: list, lint, save, history,
previews, test send, and what a viewer or a hostile path can't do."""

from __future__ import annotations

import re
from email import policy
from email.parser import BytesParser
from html import unescape
from pathlib import Path

from tests.web.conftest import ACCOUNTS, SignedInClient, WebServer

JAZZ = "en/jazz-sale.html.j2"
LETTER = "letters/reply-card-gift.html.j2"
SHOUT = "  <p>BUY NOW WHILE STOCKS LAST TODAY</p>\n"


def _file(web: WebServer, path: str) -> Path:
    return web.workdir / "templates" / path


def _editor(client: SignedInClient, path: str = JAZZ) -> tuple[str, str, str]:
    """The editor page, its source text and its base digest."""
    page = client.get("/app/templates/edit", params={"path": path})
    assert page.status_code == 200, page.text
    source = re.search(r'<textarea id="source"[^>]*>(.*?)</textarea>', page.text, re.S)
    base = re.search(r'name="base" value="([0-9a-f]{64})"', page.text)
    assert source is not None and base is not None
    return page.text, unescape(source.group(1)), base.group(1)


def _shouting(source: str) -> str:
    return source.replace("  <p>Every order ships", SHOUT + "  <p>Every order ships", 1)


def _line_of(text: str, needle: str) -> int:
    """The 1-based number of the first line containing ``needle``."""
    wanted = needle.strip()
    return next(n for n, line in enumerate(text.splitlines(), 1) if wanted in line)


def _import_contact(web: WebServer) -> None:
    csv = web.workdir / "contacts.csv"
    csv.write_text(
        "email,first_name,last_name,city,consent\nthao.pham@example.com,Thảo,Phạm,Da Nang,yes\n",
        encoding="utf-8",
    )
    result = web.cli("audience", "import", str(csv))
    assert result.exit_code == 0, result.output


def test_the_list_shows_each_template_with_channel_subject_and_lint_status(
    web: WebServer,
) -> None:
    page = web.client("viewer").get("/app/templates")
    assert page.status_code == 200
    row = re.search(r"<tr>\s*<td><a [^>]*>en/jazz-sale.html.j2</a>.*?</tr>", page.text, re.S)
    assert row is not None
    assert "email" in row.group(0) and "save 60% on every jazz CD" in row.group(0)
    assert "clean" in row.group(0)
    assert "letters/reply-card-gift.html.j2" in page.text
    # A viewer gets no "New template" form.
    assert 'action="/app/templates/new"' not in page.text


def test_a_marketer_creates_a_template_from_a_skeleton_that_lints_clean(web: WebServer) -> None:
    client = web.client("marketer")
    created = client.post("/app/templates/new", {"path": "en/summer.html.j2", "channel": "email"})
    assert created.status_code == 200 and "path=en/summer.html.j2" in str(created.url)
    assert _file(web, "en/summer.html.j2").read_text(encoding="utf-8").startswith("+++")
    assert "No findings" in created.text
    again = client.post("/app/templates/new", {"path": "en/summer.html.j2", "channel": "email"})
    assert again.status_code == 400 and "exists already" in again.text
    bad = client.post("/app/templates/new", {"path": "../escape.html.j2", "channel": "email"})
    assert bad.status_code == 400 and "no empty, &#39;.&#39; or &#39;..&#39;" in bad.text
    assert not (web.workdir / "escape.html.j2").exists()


def test_live_lint_reports_an_all_caps_line_with_its_line_and_fixing_it_clears_it(
    web: WebServer,
) -> None:
    client = web.client("viewer")
    _, source, _ = _editor(client)
    shouting = _shouting(source)
    fragment = client.htmx_post("/app/templates/lint", {"path": JAZZ, "source": shouting})
    assert fragment.status_code == 200, fragment.text
    line = _line_of(shouting, SHOUT)
    assert f'data-line="{line}"' in fragment.text and 'data-code="C001"' in fragment.text
    assert "error" in fragment.text and "<details" in fragment.text
    assert "# all-caps (C001)" in unescape(fragment.text)
    assert 'data-summary="6 errors, 0 warnings"' in fragment.text
    fixed = client.htmx_post("/app/templates/lint", {"path": JAZZ, "source": source})
    assert "C001" not in fixed.text and "No findings" in fixed.text


def test_lint_escapes_what_the_text_contains(web: WebServer) -> None:
    client = web.client("marketer")
    hostile = '+++\nsubject = "x"\n+++\n<p>{{ </p><script>alert(1)</script>'
    fragment = client.htmx_post("/app/templates/lint", {"path": JAZZ, "source": hostile})
    assert fragment.status_code == 200
    assert "<script>alert" not in fragment.text


def test_save_records_versions_and_history_restores_an_old_one(web: WebServer) -> None:
    client = web.client("marketer")
    _, original, base = _editor(client)
    changed = original.replace("Hi {{ first_name }},", "Hello {{ first_name }},")
    saved = client.post(
        "/app/templates/save",
        {"path": JAZZ, "source": changed.replace("\n", "\r\n"), "base": base, "note": "Warmer"},
    )
    assert saved.status_code == 200 and "Saved as version 2." in saved.text
    assert _file(web, JAZZ).read_text(encoding="utf-8") == changed
    history = client.get("/app/templates/history", params={"path": JAZZ})
    rows = re.findall(r'<td class="num">(\d+)</td>\s*<td>([^<]*)</td>', history.text)
    assert rows == [("2", ACCOUNTS["marketer"]), ("1", "—")]
    assert "Warmer" in history.text and "before this editor saved it" in history.text
    version = client.get("/app/templates/version", params={"path": JAZZ, "version": "1"})
    assert "diff-add" in version.text and "Hello {{ first_name }}" in unescape(version.text)
    restored = client.post("/app/templates/restore", {"path": JAZZ, "version": "1"})
    assert restored.status_code == 200 and "version 3" in restored.text
    assert _file(web, JAZZ).read_text(encoding="utf-8") == original
    assert "Restored version 1" in restored.text


def test_saving_over_someone_elses_change_is_a_conflict_that_keeps_the_text(
    web: WebServer,
) -> None:
    client = web.client("marketer")
    _, source, base = _editor(client)
    theirs = source.replace("Hi {{ first_name }},", "Dear {{ first_name }},")
    _file(web, JAZZ).write_text(theirs, encoding="utf-8")
    mine = source.replace("Hi {{ first_name }},", "Hey {{ first_name }},")
    answer = client.post("/app/templates/save", {"path": JAZZ, "source": mine, "base": base})
    assert answer.status_code == 409
    assert "Someone changed this template" in answer.text
    assert "Hey {{ first_name }}," in unescape(answer.text)
    assert _file(web, JAZZ).read_text(encoding="utf-8") == theirs


def test_path_traversal_is_refused_and_writes_nothing_outside(web: WebServer) -> None:
    client = web.client("marketer")
    outside = web.workdir / "config.toml"
    before = outside.read_text(encoding="utf-8")
    for path in ("../config.toml", "../evil.html.j2", "/etc/passwd.j2", "en/../../x.j2"):
        answer = client.post("/app/templates/save", {"path": path, "source": "x", "base": ""})
        assert answer.status_code == 400, (path, answer.status_code)
        assert client.get("/app/templates/edit", params={"path": path}).status_code == 400
        assert client.get("/app/templates/preview", params={"path": path}).status_code == 400
    (web.workdir / "templates" / "out").symlink_to(web.workdir, target_is_directory=True)
    linked = client.post(
        "/app/templates/save", {"path": "out/evil.html.j2", "source": "x", "base": ""}
    )
    assert linked.status_code == 400 and "outside" in linked.text
    assert client.get("/app/templates/edit", params={"path": "en/none.html.j2"}).status_code == 404
    assert outside.read_text(encoding="utf-8") == before
    assert not (web.workdir / "evil.html.j2").exists()


def test_a_viewer_can_lint_and_preview_but_not_save(web: WebServer) -> None:
    client = web.client("viewer")
    page, source, base = _editor(client)
    assert "readonly" in page and ">Save</button>" not in page
    assert "Send a test to me" not in page
    answer = client.post("/app/templates/save", {"path": JAZZ, "source": "x", "base": base})
    assert answer.status_code == 403
    assert _file(web, JAZZ).read_text(encoding="utf-8") == source
    assert client.post("/app/templates/restore", {"path": JAZZ, "version": "1"}).status_code == 403
    assert (
        client.post("/app/templates/test-send", {"path": JAZZ, "source": source}).status_code == 403
    )
    preview = client.post("/app/templates/preview", {"path": JAZZ, "source": source})
    assert preview.status_code == 200


def test_preview_renders_the_posted_text_for_a_chosen_contact(web: WebServer) -> None:
    _import_contact(web)
    client = web.client("marketer")
    _, source, _ = _editor(client)
    options = client.get("/app/templates/contacts", params={"contact": "thao"})
    assert 'value="thao.pham@example.com"' in options.text
    edited = source.replace("Hi {{ first_name }},", "Xin chào {{ first_name }} from {{ city }},")
    html = client.post(
        "/app/templates/preview",
        {"path": JAZZ, "source": edited, "contact": "thao.pham@example.com", "part": "html"},
    )
    assert html.status_code == 200
    assert "Xin chào Thảo from Da Nang," in html.text
    csp = html.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    text = client.post(
        "/app/templates/preview",
        {"path": JAZZ, "source": edited, "contact": "thao.pham@example.com", "part": "text"},
    )
    assert "<pre>" in text.text and "Xin chào Thảo from Da Nang," in unescape(text.text)
    assert "Subject: Thảo, save 60%" in unescape(text.text)
    sample = client.get("/app/templates/preview", params={"path": JAZZ, "part": "html"})
    assert "Hi An," in sample.text
    unknown = client.post(
        "/app/templates/preview", {"path": JAZZ, "source": source, "contact": "no@example.com"}
    )
    assert unknown.status_code == 422 and "No contact has the address" in unknown.text


def test_render_errors_are_a_clear_message_with_the_line(web: WebServer) -> None:
    client = web.client("marketer")
    _, source, _ = _editor(client)
    broken = source.replace("{{ city }}", "{% if %}")
    answer = client.post("/app/templates/preview", {"path": JAZZ, "source": broken})
    assert answer.status_code == 422
    line = _line_of(
        broken, "  <p>Every order ships free to {% if %} and arrives within three days.</p>"
    )
    assert "This template can't be rendered." in unescape(answer.text)
    assert f"line {line}: Expected an expression" in answer.text
    sandbox = source.replace("{{ city }}", "{{ attrs.update(city=1) }}")
    blocked = client.post("/app/templates/preview", {"path": JAZZ, "source": sandbox})
    assert blocked.status_code == 422 and "unsafe" in blocked.text


def test_a_letter_preview_is_a_pdf(web: WebServer) -> None:
    client = web.client("viewer")
    pdf = client.get("/app/templates/preview.pdf", params={"path": LETTER})
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    email = client.get("/app/templates/preview.pdf", params={"path": JAZZ})
    assert email.status_code == 422 and "Only a letter" in email.text
    page, source, _ = _editor(client, LETTER)
    assert "Show letter PDF" in page and "Send a test to me" not in page
    broken = client.post(
        "/app/templates/preview.pdf",
        {"path": LETTER, "source": source.replace("{{ last_name }}", "{{ 1 / 0 }}")},
    )
    assert broken.status_code == 422 and "division by zero" in broken.text


def test_send_a_test_to_me_lands_in_the_outbox_with_a_test_subject(web: WebServer) -> None:
    client = web.client("marketer")
    _, source, base = _editor(client)
    answer = client.http.post(
        "/app/templates/test-send",
        data={"path": JAZZ, "source": source, "base": base},
        headers={"HX-Request": "true", "X-CSRF-Token": client.csrf},
    )
    assert answer.status_code == 200, answer.text
    assert f"Sent to {ACCOUNTS['marketer']}" in answer.text
    messages = sorted(web.outbox.glob("*.eml"))
    assert len(messages) == 1
    message = BytesParser(policy=policy.default).parsebytes(messages[0].read_bytes())
    assert str(message["Subject"]).startswith("[TEST] An, save 60%")
    assert message["To"] == ACCOUNTS["marketer"]
    assert b"/t/o/" not in messages[0].read_bytes()
