"""``hookline campaign``, end to end: the CLI on a real database and a real SMTP peer."""

from __future__ import annotations

import json
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from audiences.db import Database
from audiences.emails import address_hash
from audiences.suppressions import suppress
from tests.campaigns.conftest import Hookline
from tests.campaigns.people import add_people
from tests.campaigns.smtp_peer import SmtpPeer

REPO = Path(__file__).resolve().parents[2]
JAZZ = REPO / "templates" / "en" / "jazz-sale.html.j2"
LINT_ERROR = REPO / "tests" / "fixtures" / "campaigns" / "templates" / "lint-error.html.j2"
RENDER_FAILS = REPO / "tests" / "fixtures" / "campaigns" / "templates" / "render-fails.html.j2"
SENDER = "Jazz Shop <news@shop.example.com>"
JAZZ_SEGMENT = 'tag "jazz"'


def assert_ok(result: Result) -> None:
    assert result.exit_code == 0, result.output
    assert result.exception is None, repr(result.exception)


def assert_clean_failure(result: Result, exit_code: int) -> list[str]:
    """The exit status, no traceback and nothing on stdout; returns stderr's lines."""
    assert result.exit_code == exit_code, result.output
    # CliRunner keeps an uncaught exception instead of printing it: none may escape.
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    assert "internal error" not in result.output
    assert result.stdout == ""
    return result.stderr.strip().splitlines()


def assert_one_line_error(result: Result, exit_code: int, *fragments: str) -> str:
    """One line on stderr containing every fragment, the right exit status, no traceback."""
    lines = assert_clean_failure(result, exit_code)
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def load_json(result: Result) -> Any:
    assert_ok(result)
    return json.loads(result.stdout)


def create(
    hookline: Hookline, name: str = "jazz", template: Path = JAZZ, segment: str = JAZZ_SEGMENT
) -> Result:
    result = hookline.run(
        "campaign",
        "create",
        name,
        "--template",
        str(template),
        "--segment",
        segment,
        "--from",
        SENDER,
    )
    assert_ok(result)
    return result


def recipients_of(peer: SmtpPeer) -> list[str]:
    """The envelope recipient of every message the peer accepted."""
    return sorted(rcpt for _sender, rcpts, _content in peer.messages for rcpt in rcpts)


def parse(content: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(content)
    assert isinstance(message, EmailMessage)
    return message


# -- create ------------------------------------------------------------------------------


def test_create_prints_the_sendable_audience_of_the_segment(
    hookline: Hookline, campaign_db: Database
) -> None:
    add_people(campaign_db, 5, prefix="fan", tags=("jazz",))
    add_people(campaign_db, 3, prefix="other", tags=("rock",))
    add_people(campaign_db, 2, prefix="silent", consent=None, tags=("jazz",))

    result = create(hookline)

    assert "Created campaign jazz (email)" in result.stdout
    assert "audience now: 5 sendable contacts" in result.stdout
    assert "lint gate: open" in result.stdout


def test_create_json_reports_the_audience_and_an_open_lint_gate(
    hookline: Hookline, campaign_db: Database
) -> None:
    add_people(campaign_db, 4, tags=("jazz",))

    summary = load_json(
        hookline.run(
            "campaign",
            "create",
            "jazz",
            "--template",
            str(JAZZ),
            "--segment",
            JAZZ_SEGMENT,
            "--from",
            SENDER,
            "--json",
        )
    )

    assert summary["campaign"] == "jazz"
    assert summary["channel"] == "email"
    assert summary["audience_now"] == 4
    assert summary["lint_errors"] == 0


def test_create_rejects_a_sender_that_is_not_an_address(hookline: Hookline) -> None:
    result = hookline.run(
        "campaign",
        "create",
        "jazz",
        "--template",
        str(JAZZ),
        "--from",
        "Jazz Shop",
    )

    assert_one_line_error(result, 2, "--from", "Jazz Shop")
    assert json.loads(hookline.run("campaign", "list", "--json").stdout) == []


def test_create_rejects_an_unknown_saved_segment_with_a_caret(hookline: Hookline) -> None:
    result = hookline.run(
        "campaign",
        "create",
        "jazz",
        "--template",
        str(JAZZ),
        "--segment",
        "@vip-fans",
        "--from",
        SENDER,
    )

    lines = assert_clean_failure(result, 2)
    assert lines[0] == "@vip-fans"
    assert lines[1].strip() == "^"
    assert "no segment is saved as `@vip-fans`" in lines[2]
    assert json.loads(hookline.run("campaign", "list", "--json").stdout) == []


def test_create_rejects_a_missing_template_file_in_one_line(
    hookline: Hookline, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-template.html.j2"

    result = hookline.run(
        "campaign",
        "create",
        "jazz",
        "--template",
        str(missing),
        "--from",
        SENDER,
    )

    assert_one_line_error(result, 2, str(missing), "no such template file")


def test_create_rejects_a_name_with_spaces_in_one_line(hookline: Hookline) -> None:
    result = hookline.run(
        "campaign", "create", "jazz sale", "--template", str(JAZZ), "--from", SENDER
    )

    assert_one_line_error(result, 2, "campaign name 'jazz sale'")


@pytest.mark.parametrize("name", ["new", "Audience-Count"])
def test_create_refuses_a_name_the_web_app_uses_for_a_page(hookline: Hookline, name: str) -> None:
    result = hookline.run("campaign", "create", name, "--template", str(JAZZ), "--from", SENDER)

    assert_one_line_error(result, 2, f"campaign name {name!r} is taken by a page of the web app")


def test_create_refuses_a_name_that_is_taken(hookline: Hookline) -> None:
    create(hookline)

    result = hookline.run(
        "campaign",
        "create",
        "jazz",
        "--template",
        str(JAZZ),
        "--from",
        SENDER,
    )

    assert_one_line_error(result, 2, "'jazz' already exists")
    assert len(json.loads(hookline.run("campaign", "list", "--json").stdout)) == 1


def test_create_lints_with_the_linter_settings_of_the_config_option(
    hookline: Hookline,
) -> None:
    # attrs.divisor is declared only in the --config file; the working folder has none.
    summary = load_json(
        hookline.run(
            "campaign",
            "create",
            "prize",
            "--template",
            str(RENDER_FAILS),
            "--from",
            SENDER,
            "--json",
        )
    )

    assert summary["lint_errors"] == 0


# -- list and show -----------------------------------------------------------------------


def test_list_json_shows_each_campaign_with_its_state_and_sent_count(
    hookline: Hookline, campaign_db: Database, smtp_peer: SmtpPeer
) -> None:
    add_people(campaign_db, 3, tags=("jazz",))
    create(hookline, "first")
    create(hookline, "second")
    assert_ok(hookline.run("campaign", "send", "first"))

    rows = load_json(hookline.run("campaign", "list", "--json"))

    assert [(r["name"], r["state"], r["sent"]) for r in rows] == [
        ("second", "draft", 0),
        ("first", "done", 3),
    ]
    assert rows[0]["segment"] == JAZZ_SEGMENT


def test_show_json_describes_the_draft(hookline: Hookline) -> None:
    create(hookline)

    info = load_json(hookline.run("campaign", "show", "jazz", "--json"))

    assert info["name"] == "jazz"
    assert info["state"] == "draft"
    assert info["template"] == str(JAZZ)
    assert info["from"] == SENDER
    assert info["segment"] == JAZZ_SEGMENT
    assert info["lint_errors"] == 0
    assert info["forced_reason"] is None
    assert info["ledger"] == {}


def test_show_of_an_unknown_campaign_is_a_one_line_error(hookline: Hookline) -> None:
    assert_one_line_error(hookline.run("campaign", "show", "nope"), 2, "no campaign named 'nope'")


# -- preview and test --------------------------------------------------------------------


def test_preview_text_part_is_rendered_for_the_chosen_contact(
    hookline: Hookline, campaign_db: Database
) -> None:
    add_people(campaign_db, 3, tags=("jazz",), city="Hanoi")
    create(hookline)

    result = hookline.run(
        "campaign", "preview", "jazz", "--contact", "person0002@example.com", "--part", "text"
    )

    assert_ok(result)
    assert result.stdout.startswith("Hi Name0002,")
    assert "ships free to Hanoi" in result.stdout
    assert "<p>" not in result.stdout


def test_preview_html_part_is_rendered_for_the_chosen_contact(
    hookline: Hookline, campaign_db: Database
) -> None:
    add_people(campaign_db, 3, tags=("jazz",))
    create(hookline)

    result = hookline.run(
        "campaign", "preview", "jazz", "--contact", "person0003@example.com", "--part", "html"
    )

    assert_ok(result)
    assert "Hi Name0003," in result.stdout
    assert "<html" in result.stdout


def test_preview_writes_a_multipart_alternative_eml_file(
    hookline: Hookline, campaign_db: Database, tmp_path: Path, smtp_peer: SmtpPeer
) -> None:
    add_people(campaign_db, 2, tags=("jazz",))
    create(hookline)
    output = tmp_path / "jazz.eml"

    result = hookline.run(
        "campaign", "preview", "jazz", "--contact", "person0001@example.com", "-o", str(output)
    )

    assert_ok(result)
    message = parse(output.read_bytes())
    assert message.get_content_type() == "multipart/alternative"
    assert message["To"] == "person0001@example.com"
    assert message["Subject"] == "Name0001, save 60% on every jazz CD until Friday"
    assert [part.get_content_type() for part in message.iter_parts()] == [
        "text/plain",
        "text/html",
    ]
    assert smtp_peer.messages == []


def test_preview_of_an_unknown_contact_is_a_one_line_error(hookline: Hookline) -> None:
    create(hookline)

    result = hookline.run("campaign", "preview", "jazz", "--contact", "nobody@example.com")

    assert_one_line_error(result, 2, "nobody@example.com")


def test_preview_of_a_contact_whose_data_breaks_the_template_fails_in_one_line(
    hookline: Hookline, campaign_db: Database
) -> None:
    add_people(campaign_db, 1, prefix="zero", attrs={"divisor": 0})
    create(hookline, "prize", RENDER_FAILS, segment="")

    result = hookline.run("campaign", "preview", "prize", "--contact", "zero0001@example.com")

    line = next(
        number
        for number, text in enumerate(RENDER_FAILS.read_text(encoding="utf-8").splitlines(), 1)
        if "attrs.divisor" in text
    )
    assert_one_line_error(result, 1, "can't be rendered", f"line {line}:", "division")


def test_test_sends_one_message_to_the_address_and_leaves_the_ledger_alone(
    hookline: Hookline, campaign_db: Database, smtp_peer: SmtpPeer
) -> None:
    add_people(campaign_db, 3, tags=("jazz",))
    create(hookline)

    result = hookline.run("campaign", "test", "jazz", "--to", "proofreader@example.org")

    assert_ok(result)
    assert "Sent a test of jazz to proofreader@example.org" in result.stdout
    assert recipients_of(smtp_peer) == ["proofreader@example.org"]
    sender, _, content = smtp_peer.messages[0]
    assert sender == "news@shop.example.com"
    assert parse(content)["To"] == "proofreader@example.org"
    info = load_json(hookline.run("campaign", "show", "jazz", "--json"))
    assert info["state"] == "draft"
    assert info["ledger"] == {}


def test_test_refuses_a_bad_address_in_one_line(hookline: Hookline, smtp_peer: SmtpPeer) -> None:
    create(hookline)

    assert_one_line_error(hookline.run("campaign", "test", "jazz", "--to", "bogus"), 2, "--to")
    assert smtp_peer.messages == []


def test_test_reports_a_refused_address_in_one_line(
    hookline: Hookline, smtp_peer: SmtpPeer
) -> None:
    create(hookline)
    smtp_peer.reject_recipient("proofreader@example.org", 550)

    result = hookline.run("campaign", "test", "jazz", "--to", "proofreader@example.org")

    assert_one_line_error(result, 1, "not sent", "550")
    assert smtp_peer.messages == []


# -- send and the lint gate --------------------------------------------------------------


def test_send_delivers_one_message_to_each_recipient_and_finishes(
    hookline: Hookline, campaign_db: Database, smtp_peer: SmtpPeer
) -> None:
    emails = add_people(campaign_db, 6, tags=("jazz",))
    add_people(campaign_db, 2, prefix="rock", tags=("rock",))
    create(hookline)

    result = hookline.run("campaign", "send", "jazz")

    assert_ok(result)
    assert "Snapshot: 6 recipients queued." in result.stdout
    assert "jazz: done. sent 6, bounced 0, failed 0, skipped 0 of 6." in result.stdout
    assert recipients_of(smtp_peer) == emails


def test_send_refuses_a_template_with_lint_errors_and_names_them(
    hookline: Hookline, campaign_db: Database, smtp_peer: SmtpPeer
) -> None:
    add_people(campaign_db, 3, tags=("jazz",))
    created = create(hookline, template=LINT_ERROR)
    assert "lint gate: closed, 1 error(s)" in created.stdout

    result = hookline.run("campaign", "send", "jazz")

    lines = assert_clean_failure(result, 1)
    assert "the template has 1 error-level finding(s)" in lines[0]
    assert any("T002" in line and "frist_name" in line for line in lines[1:])
    assert "--force" in lines[-1]
    assert smtp_peer.messages == []
    assert load_json(hookline.run("campaign", "show", "jazz", "--json"))["state"] == "draft"


def test_send_force_without_a_reason_is_a_usage_error(
    hookline: Hookline, campaign_db: Database, smtp_peer: SmtpPeer
) -> None:
    add_people(campaign_db, 3, tags=("jazz",))
    create(hookline, template=LINT_ERROR)

    result = hookline.run("campaign", "send", "jazz", "--force")

    lines = assert_clean_failure(result, 2)
    assert any("--force needs --reason" in line for line in lines)
    assert smtp_peer.messages == []


def test_send_force_with_a_reason_sends_and_keeps_the_reason(
    hookline: Hookline, campaign_db: Database, smtp_peer: SmtpPeer
) -> None:
    emails = add_people(campaign_db, 3, tags=("jazz",))
    create(hookline, template=LINT_ERROR)

    result = hookline.run(
        "campaign", "send", "jazz", "--force", "--reason", "typo approved by the editor"
    )

    assert_ok(result)
    assert recipients_of(smtp_peer) == emails
    info = load_json(hookline.run("campaign", "show", "jazz", "--json"))
    assert info["forced_reason"] == "typo approved by the editor"
    report = load_json(hookline.run("campaign", "report", "jazz", "--json"))
    assert report["forced_reason"] == "typo approved by the editor"
    assert report["sent"] == 3


def test_a_second_send_of_a_finished_campaign_sends_nothing(
    hookline: Hookline, campaign_db: Database, smtp_peer: SmtpPeer
) -> None:
    add_people(campaign_db, 4, tags=("jazz",))
    create(hookline)
    assert_ok(hookline.run("campaign", "send", "jazz"))
    assert len(smtp_peer.messages) == 4
    # Someone who joins afterwards is not in this campaign's snapshot either.
    add_people(campaign_db, 2, prefix="late", tags=("jazz",))

    result = hookline.run("campaign", "send", "jazz")

    assert_ok(result)
    assert "Snapshot" not in result.stdout
    assert "jazz: done. sent 4" in result.stdout
    assert len(smtp_peer.messages) == 4


def test_report_json_counts_every_outcome_exactly(
    hookline: Hookline, campaign_db: Database, smtp_peer: SmtpPeer
) -> None:
    emails = add_people(campaign_db, 7, tags=("jazz",))
    bouncing, failing, leaving = emails[1], emails[3], emails[5]
    smtp_peer.reject_recipient(bouncing, 550)
    smtp_peer.defer_recipient(failing, times=10, code=451)
    create(hookline)
    assert hookline.start("jazz") == 7
    with campaign_db.engine.begin() as connection:
        suppress(connection, address_hash(leaving), "email", "unsubscribed")

    sent = hookline.run("campaign", "send", "jazz")
    report = load_json(hookline.run("campaign", "report", "jazz", "--json"))

    # A failed message makes the send exit 1; the summary still goes to stdout.
    assert sent.exit_code == 1, sent.output
    assert "sent 4, bounced 1, failed 1, skipped 1 of 7" in sent.stdout
    assert {key: report[key] for key in ("recipients", "sent", "failed", "bounced", "skipped")} == {
        "recipients": 7,
        "sent": 4,
        "failed": 1,
        "bounced": 1,
        "skipped": 1,
    }
    assert report["queued"] == report["sending"] == 0
    assert report["state"] == "done"
    reasons = {item["state"]: item for item in report["reasons"]}
    assert reasons["bounced"]["count"] == 1
    assert "550" in reasons["bounced"]["reason"]
    assert reasons["failed"]["reason"].startswith("gave up after 3 attempts")
    assert reasons["skipped"]["reason"] == "the address was suppressed before their turn"
    assert recipients_of(smtp_peer) == sorted(set(emails) - {bouncing, failing, leaving})


def test_report_of_an_unknown_campaign_is_a_one_line_error(hookline: Hookline) -> None:
    assert_one_line_error(hookline.run("campaign", "report", "nope", "--json"), 2, "'nope'")


# -- pause, resume, cancel, edit ---------------------------------------------------------


def test_cancel_of_a_draft_prevents_sending_it(
    hookline: Hookline, campaign_db: Database, smtp_peer: SmtpPeer
) -> None:
    add_people(campaign_db, 3, tags=("jazz",))
    create(hookline)

    cancelled = hookline.run("campaign", "cancel", "jazz")
    result = hookline.run("campaign", "send", "jazz")

    assert_ok(cancelled)
    assert "Campaign jazz is now cancelled." in cancelled.stdout
    assert_one_line_error(result, 2, "cancelled")
    assert smtp_peer.messages == []


def test_cancel_of_a_sending_campaign_skips_its_queued_recipients(
    hookline: Hookline, campaign_db: Database, smtp_peer: SmtpPeer
) -> None:
    add_people(campaign_db, 5, tags=("jazz",))
    create(hookline)
    assert hookline.start("jazz") == 5

    assert_ok(hookline.run("campaign", "cancel", "jazz"))
    result = hookline.run("campaign", "send", "jazz")

    assert_one_line_error(result, 2, "was cancelled")
    report = load_json(hookline.run("campaign", "report", "jazz", "--json"))
    assert report["state"] == "cancelled"
    assert (report["recipients"], report["skipped"], report["queued"]) == (5, 5, 0)
    assert report["reasons"] == [
        {"state": "skipped", "reason": "the campaign was cancelled", "count": 5}
    ]
    assert smtp_peer.messages == []


def test_send_of_a_paused_campaign_says_to_resume_it(
    hookline: Hookline, campaign_db: Database, smtp_peer: SmtpPeer
) -> None:
    add_people(campaign_db, 3, tags=("jazz",))
    create(hookline)
    hookline.start("jazz")

    paused = hookline.run("campaign", "pause", "jazz")
    result = hookline.run("campaign", "send", "jazz")

    assert_ok(paused)
    assert "Campaign jazz is now paused." in paused.stdout
    assert_one_line_error(result, 2, "paused", "hookline campaign resume jazz")
    assert smtp_peer.messages == []


def test_resume_lets_a_paused_campaign_send_everyone(
    hookline: Hookline, campaign_db: Database, smtp_peer: SmtpPeer
) -> None:
    emails = add_people(campaign_db, 3, tags=("jazz",))
    create(hookline)
    hookline.start("jazz")
    assert_ok(hookline.run("campaign", "pause", "jazz"))

    resumed = hookline.run("campaign", "resume", "jazz")
    sent = hookline.run("campaign", "send", "jazz")

    assert_ok(resumed)
    assert "Campaign jazz is now sending." in resumed.stdout
    assert_ok(sent)
    assert recipients_of(smtp_peer) == emails


def test_pause_of_a_draft_is_a_one_line_error(hookline: Hookline) -> None:
    create(hookline)

    assert_one_line_error(hookline.run("campaign", "pause", "jazz"), 2, "is draft", "can't pause")


def test_resume_of_a_campaign_that_is_not_paused_is_a_one_line_error(
    hookline: Hookline,
) -> None:
    create(hookline)

    assert_one_line_error(hookline.run("campaign", "resume", "jazz"), 2, "can't resume")


def test_edit_changes_a_draft(hookline: Hookline, campaign_db: Database) -> None:
    add_people(campaign_db, 2, tags=("jazz",))
    add_people(campaign_db, 3, prefix="rock", tags=("rock",))
    create(hookline)

    result = hookline.run("campaign", "edit", "jazz", "--segment", 'tag "rock"')

    assert_ok(result)
    assert "Updated campaign jazz; lint gate open." in result.stdout
    info = load_json(hookline.run("campaign", "show", "jazz", "--json"))
    assert info["segment"] == 'tag "rock"'
    assert hookline.start("jazz") == 3


def test_edit_of_a_campaign_that_has_sent_is_refused(
    hookline: Hookline, campaign_db: Database
) -> None:
    add_people(campaign_db, 2, tags=("jazz",))
    create(hookline)
    assert_ok(hookline.run("campaign", "send", "jazz"))

    result = hookline.run("campaign", "edit", "jazz", "--segment", "")

    assert_one_line_error(result, 2, "is done", "only a draft can be edited")
    assert load_json(hookline.run("campaign", "show", "jazz", "--json"))["segment"] == JAZZ_SEGMENT
