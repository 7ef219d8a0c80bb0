"""G001 (grammar) and G002 (spelling): Harper offline, LanguageTool when configured."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from campaigns.cli import cli
from linter.config import GrammarConfig, LinterConfig
from linter.grammar import service
from linter.model import Finding
from tests.linter.helpers import lint, template

GRAMMAR_ON = LinterConfig(grammar=GrammarConfig(enabled=True))
UNREACHABLE = "http://127.0.0.1:9"
VI_BODY = (
    "Chào {{ first_name }},\n\n"
    "Giảm 60% cho tất cả đĩa CD nhạc jazz đến hết thứ Sáu này. Đặt hàng tại\n"
    "https://shop.example.com/jazz và nhập mã {{ offer_code }}.\n"
)
CLEAN_EN = (
    "Hi {{ first_name }},\n\n"
    "Save 60% on every jazz CD until Friday. Delivery is free and takes two days.\n"
    "Order now at https://shop.example.com/jazz with code {{ offer_code }}.\n\n"
    "P.S. Your saving ends on Friday: https://shop.example.com/jazz\n"
)
VI_NOTE = "grammar: skipped (vi: no backend; set [linter.grammar] languagetool-url)"


def lint_g(
    body: str, config: LinterConfig = GRAMMAR_ON, path: str = "test.txt.j2", **front: Any
) -> list[Finding]:
    """Lint a body with only the G rules and grammar on."""
    return lint(template(body, **front), path=path, select=["G"], config=config)


def notes_of(body: str, config: LinterConfig = GRAMMAR_ON, **front: Any) -> set[str]:
    """The report notes from linting a body with the G rules."""
    from linter.registry import RuleSelection
    from linter.runner import lint_source

    return lint_source("test.txt.j2", template(body, **front), config, RuleSelection(("G",))).notes


def position(body: str, snippet: str, **front: Any) -> tuple[int, int]:
    """The 1-based (line, column) of ``snippet`` in the template of ``body``."""
    text = template(body, **front)
    offset = text.index(snippet)
    line_start = text.rfind("\n", 0, offset) + 1
    return text[:offset].count("\n") + 1, offset - line_start + 1


def test_harper_finds_a_grammar_error_at_its_line_and_column() -> None:
    body = "Hi {{ first_name }},\n\nGood news! Their is a gift for you.\n"
    findings = lint_g(body)
    assert [f.code for f in findings] == ["G001"]
    finding = findings[0]
    assert (finding.span.line, finding.span.column) == position(body, "Their is")
    assert finding.span.end_column == finding.span.column + len("Their")
    assert "there" in finding.message.lower()
    assert '"There"' in finding.message
    assert str(finding.severity) == "warning"


def test_harper_finds_a_grammar_error_in_an_html_template() -> None:
    body = "<p>Hi {{ first_name }},</p>\n<p>Good news!\n  Their is a <b>gift</b> for you.</p>\n"
    findings = lint_g(body, path="x.html.j2")
    assert [f.code for f in findings] == ["G001"]
    assert (findings[0].span.line, findings[0].span.column) == position(body, "Their is")


def test_harper_finds_a_spelling_error() -> None:
    body = "Save 60% on every jazz CD, wiht free delivery until Friday.\n"
    findings = lint_g(body)
    assert [f.code for f in findings] == ["G002"]
    assert (findings[0].span.line, findings[0].span.column) == position(body, "wiht")
    assert '"with"' in findings[0].message


def test_british_and_american_spellings_are_both_accepted() -> None:
    body = "Your favourite colour is back in stock, and your favorite color too.\n"
    assert lint_g(body) == []


def test_clean_english_copy_has_no_findings_and_no_note() -> None:
    assert lint_g(CLEAN_EN) == []
    assert notes_of(CLEAN_EN) == set()


def test_urls_addresses_offer_code_and_contact_data_are_not_judged() -> None:
    body = (
        "Dear {{ first_name }} {{ last_name }}, use code {{ offer_code }} at "
        "https://shop.example.com/jazzz/cdz or write to helpp@shop.example.com today.\n"
    )
    assert lint_g(body) == []


def test_configured_words_and_acronyms_are_accepted() -> None:
    body = "Hookline sends the Zorblax newsletter with a VIPX discount.\n"
    assert {f.code for f in lint_g(body)} == {"G002"}
    config = LinterConfig(
        grammar=GrammarConfig(enabled=True, words=("Hookline", "Zorblax")),
        extend_acronyms=("VIPX",),
    )
    assert lint_g(body, config=config) == []


def test_footer_is_not_checked() -> None:
    body = "Save 60% on every jazz CD until Friday.\n\n-- \nYou gott this becuase you asked.\n"
    assert lint_g(body) == []


def test_vietnamese_without_languagetool_is_skipped_with_one_note() -> None:
    assert lint_g(VI_BODY, lang="vi") == []
    assert notes_of(VI_BODY, lang="vi") == {VI_NOTE}


def test_unreachable_languagetool_is_noted_and_reports_nothing() -> None:
    config = LinterConfig(grammar=GrammarConfig(enabled=True, languagetool_url=UNREACHABLE))
    assert lint_g(VI_BODY, config=config, lang="vi") == []
    assert notes_of(VI_BODY, config=config, lang="vi") == {
        f"grammar: skipped (vi: LanguageTool at {UNREACHABLE} unreachable)"
    }


def test_unreachable_languagetool_falls_back_to_harper_for_english() -> None:
    config = LinterConfig(grammar=GrammarConfig(enabled=True, languagetool_url=UNREACHABLE))
    body = "Good news! Their is a gift for you.\n"
    assert [f.code for f in lint_g(body, config=config)] == ["G001"]
    assert notes_of(body, config=config) == {
        f"grammar: LanguageTool at {UNREACHABLE} unreachable; en checked with Harper"
    }


def test_missing_local_languagetool_is_noted(tmp_path: Path) -> None:
    config = LinterConfig(grammar=GrammarConfig(enabled=True, languagetool_path=str(tmp_path)))
    assert lint_g(VI_BODY, config=config, lang="vi") == []
    assert notes_of(VI_BODY, config=config, lang="vi") == {
        f"grammar: skipped (vi: no languagetool-server.jar in {tmp_path})"
    }


def test_grammar_off_runs_no_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object) -> service.BackendChoice:
        raise AssertionError("no backend may be chosen when grammar is off")

    monkeypatch.setattr(service, "choose", refuse)
    off = LinterConfig(grammar=GrammarConfig(enabled=False))
    assert lint_g("Their is a gift for you.\n", config=off) == []
    assert notes_of(VI_BODY, config=off, lang="vi") == set()


def _invoke(tmp_path: Path, body: str, *args: str, **front: Any) -> tuple[int, str]:
    path = tmp_path / "mail.txt.j2"
    path.write_text(template(body, **front), encoding="utf-8")
    result = CliRunner().invoke(cli, ["lint", "--no-cache", "--select", "G", *args, str(path)])
    return result.exit_code, result.stdout


def test_cli_prints_the_skipped_note(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    exit_code, stdout = _invoke(tmp_path, VI_BODY, lang="vi")
    assert exit_code == 0
    assert stdout.splitlines()[-1] == VI_NOTE


def test_cli_no_grammar_runs_no_backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object) -> service.BackendChoice:
        raise AssertionError("--no-grammar must not choose a backend")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(service, "choose", refuse)
    exit_code, stdout = _invoke(tmp_path, "Their is a gift for you.\n", "--no-grammar")
    assert exit_code == 0
    assert "G001" not in stdout
    assert "grammar:" not in stdout


class _FakeLanguageTool(BaseHTTPRequestHandler):
    """A loopback stand-in for a LanguageTool server: Vietnamese, one known typo."""

    def log_message(self, *_: Any) -> None:
        """Keep test output quiet."""

    def _reply(self, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._reply([{"name": "Vietnamese", "code": "vi", "longCode": "vi"}])

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        text = form["text"][0]
        matches = []
        if "giẩm" in text:
            offset = text.index("giẩm")
            matches.append(
                {
                    "message": "Lỗi chính tả có thể xảy ra.",
                    "replacements": [{"value": "giảm"}, {"value": "giám"}],
                    "offset": offset,
                    "length": 4,
                    "context": {"text": text, "offset": offset, "length": 4},
                    "rule": {
                        "id": "HUNSPELL_RULE",
                        "issueType": "misspelling",
                        "category": {"id": "TYPOS"},
                    },
                }
            )
        self._reply({"matches": matches})


@pytest.fixture
def fake_languagetool() -> Iterator[str]:
    """The URL of a fake LanguageTool server on a free loopback port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeLanguageTool)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_languagetool_server_checks_vietnamese(fake_languagetool: str) -> None:
    config = LinterConfig(grammar=GrammarConfig(enabled=True, languagetool_url=fake_languagetool))
    body = "Chào {{ first_name }},\n\nQuý khách được giẩm 60% cho đĩa CD đến thứ Sáu.\n"
    findings = lint_g(body, config=config, lang="vi")
    assert [f.code for f in findings] == ["G002"]
    assert (findings[0].span.line, findings[0].span.column) == position(body, "giẩm", lang="vi")
    assert findings[0].message == 'Lỗi chính tả có thể xảy ra. (suggestions: "giảm", "giám")'
    assert notes_of(body, config=config, lang="vi") == set()


def test_languagetool_without_the_language_falls_back_to_harper(fake_languagetool: str) -> None:
    config = LinterConfig(grammar=GrammarConfig(enabled=True, languagetool_url=fake_languagetool))
    body = "Good news! Their is a gift for you.\n"
    assert [f.code for f in lint_g(body, config=config)] == ["G001"]
    assert notes_of(body, config=config) == {
        f"grammar: LanguageTool at {fake_languagetool} does not check en; en checked with Harper"
    }
