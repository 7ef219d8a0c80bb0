"""The outbox library and ``hookline outbox`` (run with click's CliRunner)."""

from __future__ import annotations

import json
import re
import signal
import smtplib
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from campaigns import outbox_cli
from campaigns.outbox_cli import outbox_group
from campaigns.smtp.capture_server import CaptureServer
from campaigns.smtp.outbox import (
    OutboxError,
    clear_outbox,
    count_outbox,
    find_message,
    list_outbox,
    read_message,
)
from campaigns.smtp.smtp_client import Outcome, SmtpConnection
from campaigns.smtp.smtp_url import parse_smtp_url


def email_bytes(
    subject: str = "Hello", to: str = "lan@example.com", html: str | None = None, text: str = "Hi"
) -> bytes:
    message = EmailMessage()
    message["From"] = "Shop <news@shop.example>"
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = "Sat, 09 May 2026 07:35:25 +0000"
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message.as_bytes(policy=message.policy.clone(linesep="\r\n"))


def store(outbox: Path, stem: str, content: bytes, envelope_to: str = "lan@example.com") -> Path:
    """A message file as the capture server writes it."""
    outbox.mkdir(parents=True, exist_ok=True)
    path = outbox / f"{stem}.eml"
    envelope = (
        "X-Hookline-Envelope-From: bounces@shop.example\r\n"
        f"X-Hookline-Envelope-To: {envelope_to}\r\n"
    )
    path.write_bytes(envelope.encode() + content)
    return path


@pytest.fixture
def outbox(tmp_path: Path) -> Path:
    box = tmp_path / "outbox"
    store(box, "20260509T073525.000001Z-000001", email_bytes("First"))
    store(
        box,
        "20260509T073526.000001Z-000002",
        email_bytes("=?utf-8?b?VGnhur9uZyBWaeG7h3Q=?=", to="minh@example.com"),
        envelope_to="minh@example.com, lan@example.com",
    )
    store(
        box,
        "20260510T080000.000001Z-000003",
        email_bytes("Sale", html="<p>Big <b>sale</b></p>", text="Big sale"),
    )
    return box


def run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(outbox_group, list(args), input=input, env=env)


# -- the library -----------------------------------------------------------------------


def test_list_reads_headers_and_envelope_newest_last(outbox: Path) -> None:
    entries = list_outbox(outbox)

    assert [entry.subject for entry in entries] == ["First", "Tiếng Việt", "Sale"]
    second = entries[1]
    assert second.id == "20260509T073526.000001Z-000002"
    assert second.envelope_from == "bounces@shop.example"
    assert second.envelope_to == ["minh@example.com", "lan@example.com"]
    assert second.from_ == "Shop <news@shop.example>"
    assert second.to == "minh@example.com"
    assert second.date == "Sat, 09 May 2026 07:35:25 +0000"
    assert second.size == second.path.stat().st_size


def test_list_limit_keeps_the_newest(outbox: Path) -> None:
    assert [entry.subject for entry in list_outbox(outbox, limit=2)] == ["Tiếng Việt", "Sale"]


def test_list_ignores_unfinished_temporary_files_and_other_files(outbox: Path) -> None:
    (outbox / ".20260511T000000.000000Z-000004.eml.tmp").write_bytes(b"Subject: half\r\n")
    (outbox / "notes.txt").write_text("not mail")

    assert count_outbox(outbox) == 3
    assert len(list_outbox(outbox)) == 3


def test_list_of_a_missing_outbox_is_empty(tmp_path: Path) -> None:
    assert list_outbox(tmp_path / "nowhere") == []
    assert clear_outbox(tmp_path / "nowhere") == 0


def test_list_reads_only_the_header_block(tmp_path: Path) -> None:
    # A body that isn't a valid message at all doesn't matter to the listing.
    store(tmp_path, "a", b"Subject: Big\r\n\r\n" + b"\xff\x00garbage\r\n" * 200_000)

    [entry] = list_outbox(tmp_path)
    assert entry.subject == "Big"
    assert entry.size > 1_000_000


def test_list_survives_malformed_headers(tmp_path: Path) -> None:
    store(tmp_path, "a", b"Subject: =?bogus-charset?q?x?=\r\nDate: not a date\r\nTo: <<<\r\n\r\nx")

    [entry] = list_outbox(tmp_path)
    assert entry.date == "not a date"
    assert entry.to == "<<<"


def test_read_message_accepts_a_unique_prefix(outbox: Path) -> None:
    message = read_message(outbox, "20260510")

    assert message["Subject"] == "Sale"


def test_read_message_prefers_an_exact_id_over_longer_ones(tmp_path: Path) -> None:
    store(tmp_path, "abc", email_bytes("short"))
    store(tmp_path, "abcdef", email_bytes("long"))

    assert read_message(tmp_path, "abc")["Subject"] == "short"


def test_unknown_id_is_an_outbox_error(outbox: Path) -> None:
    with pytest.raises(OutboxError, match=r"no message 'nope' in .*hookline outbox list"):
        read_message(outbox, "nope")


def test_ambiguous_prefix_is_an_outbox_error(outbox: Path) -> None:
    with pytest.raises(OutboxError, match="matches 2 messages"):
        find_message(outbox, "20260509")


def test_empty_id_matches_nothing(outbox: Path) -> None:
    with pytest.raises(OutboxError, match="no message"):
        find_message(outbox, "")


def test_clear_deletes_every_message_and_counts_them(outbox: Path) -> None:
    assert clear_outbox(outbox) == 3
    assert list_outbox(outbox) == []


# -- hookline outbox list --------------------------------------------------------------


def test_list_command_prints_ids_recipients_and_subjects(outbox: Path) -> None:
    result = run("--outbox", str(outbox), "list")

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["ID", "TO", "SUBJECT"]
    assert lines[2].split(maxsplit=2) == [
        "20260509T073526.000001Z-000002",
        "minh@example.com",
        "Tiếng Việt",
    ]
    assert f"3 messages in {outbox}" in result.output


def test_no_subcommand_lists(outbox: Path) -> None:
    result = run("--outbox", str(outbox))

    assert result.exit_code == 0
    assert "Tiếng Việt" in result.output


def test_outbox_option_after_the_subcommand_and_from_the_environment(outbox: Path) -> None:
    after = run("list", "--outbox", str(outbox))
    from_env = run("list", env={"HOOKLINE_OUTBOX_DIR": str(outbox)})

    assert "Sale" in after.output
    assert "Sale" in from_env.output


def test_list_limit_says_how_many_were_left_out(outbox: Path) -> None:
    result = run("--outbox", str(outbox), "list", "--limit", "1")

    assert "Sale" in result.output
    assert "First" not in result.output
    assert "the 1 newest of 3 messages" in result.output


def test_list_json_gives_every_field(outbox: Path) -> None:
    result = run("--outbox", str(outbox), "list", "--json")

    entries = json.loads(result.output)
    assert [entry["subject"] for entry in entries] == ["First", "Tiếng Việt", "Sale"]
    assert entries[1]["from"] == "Shop <news@shop.example>"
    assert entries[1]["envelope_to"] == ["minh@example.com", "lan@example.com"]
    assert entries[1]["path"].endswith("20260509T073526.000001Z-000002.eml")
    assert set(entries[0]) == {
        "id", "path", "envelope_from", "envelope_to", "from", "to", "subject", "date", "size",
    }  # fmt: skip


def test_empty_outbox_says_so_and_succeeds(tmp_path: Path) -> None:
    result = run("--outbox", str(tmp_path / "empty"), "list")

    assert result.exit_code == 0
    assert "is empty" in result.output
    assert "hookline outbox serve" in result.output


def test_empty_outbox_as_json_is_an_empty_list(tmp_path: Path) -> None:
    result = run("--outbox", str(tmp_path / "empty"), "list", "--json")

    assert (result.exit_code, json.loads(result.output)) == (0, [])


def test_outbox_that_is_a_file_is_an_error_line(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    result = run("list", "--outbox", str(not_a_dir))

    assert result.exit_code == 2
    assert "file" in result.output.lower()


# -- hookline outbox show --------------------------------------------------------------


def test_show_prints_headers_then_the_text_part(outbox: Path) -> None:
    result = run("--outbox", str(outbox), "show", "20260510")

    assert result.exit_code == 0, result.output
    assert result.output == (
        "From:    Shop <news@shop.example>\n"
        "To:      lan@example.com\n"
        "Subject: Sale\n"
        "Date:    Sat, 09 May 2026 07:35:25 +0000\n"
        "\n"
        "Big sale\n"
    )


def test_show_html_prints_the_html_part(outbox: Path) -> None:
    result = run("--outbox", str(outbox), "show", "20260510", "--html")

    assert result.exit_code == 0
    assert result.output == "<p>Big <b>sale</b></p>\n"


def test_show_raw_prints_the_file_bytes(outbox: Path) -> None:
    result = run("--outbox", str(outbox), "show", "20260510", "--raw")

    assert result.exit_code == 0
    assert result.stdout_bytes == find_message(outbox, "20260510").read_bytes()


def test_show_html_of_a_text_only_message_is_an_error(outbox: Path) -> None:
    result = run("--outbox", str(outbox), "show", "20260509T073525", "--html")

    assert result.exit_code == 2
    assert result.stderr == "hookline outbox: error: message '20260509T073525' has no HTML part\n"


def test_show_html_only_message_points_to_html(tmp_path: Path) -> None:
    store(tmp_path, "a", b"Subject: x\r\nContent-Type: text/html\r\n\r\n<p>hi</p>\r\n")
    result = run("--outbox", str(tmp_path), "show", "a")

    assert result.exit_code == 0
    assert "(no text part (--html prints the HTML part))" in result.output


def test_show_unknown_id_is_one_error_line(outbox: Path) -> None:
    result = run("--outbox", str(outbox), "show", "nope")

    assert result.exit_code == 2
    assert result.stderr.startswith("hookline outbox: error: no message 'nope' in ")
    assert result.stderr.count("\n") == 1
    assert result.stdout == ""


def test_show_ambiguous_id_is_an_error(outbox: Path) -> None:
    result = run("--outbox", str(outbox), "show", "20260509")

    assert result.exit_code == 2
    assert "matches 2 messages" in result.stderr


def test_show_html_and_raw_together_is_an_error(outbox: Path) -> None:
    result = run("--outbox", str(outbox), "show", "20260510", "--html", "--raw")

    assert result.exit_code == 2
    assert "choose one of --html and --raw" in result.stderr


# -- hookline outbox clear -------------------------------------------------------------


def test_clear_asks_first_and_keeps_mail_when_told_no(outbox: Path) -> None:
    result = run("--outbox", str(outbox), "clear", input="n\n")

    assert f"Delete 3 messages from {outbox}?" in result.output
    assert result.exit_code == 1
    assert count_outbox(outbox) == 3


def test_clear_deletes_after_yes(outbox: Path) -> None:
    result = run("--outbox", str(outbox), "clear", input="y\n")

    assert result.exit_code == 0
    assert f"Deleted 3 messages from {outbox}." in result.output
    assert count_outbox(outbox) == 0


def test_clear_yes_does_not_ask(outbox: Path) -> None:
    result = run("--outbox", str(outbox), "clear", "--yes")

    assert result.exit_code == 0
    assert "Delete 3" not in result.output
    assert count_outbox(outbox) == 0


def test_clear_of_an_empty_outbox_succeeds(tmp_path: Path) -> None:
    result = run("--outbox", str(tmp_path), "clear")

    assert result.exit_code == 0
    assert "is empty" in result.output


# -- hookline outbox serve -------------------------------------------------------------


def test_serve_prints_the_url_captures_mail_and_stops_on_ctrl_c(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []

    def send_then_interrupt(server: CaptureServer) -> None:
        seen.append(server.url.display())
        with SmtpConnection(server.url, timeout=5) as connection:
            result = connection.send("a@shop.example", "lan@example.com", email_bytes("Served"))
        assert result.outcome is Outcome.SENT
        raise KeyboardInterrupt

    monkeypatch.setattr(outbox_cli, "_serve_forever", send_then_interrupt)
    outbox = tmp_path / "outbox"
    result = run("serve", "--port", "0", "--outbox", str(outbox))

    assert result.exit_code == 0, result.output
    assert f"export HOOKLINE_SMTP_URL={seen[0]}" in result.output
    assert seen[0].startswith("smtp://127.0.0.1:")
    assert "The outbox holds 1 message." in result.output
    assert [entry.subject for entry in list_outbox(outbox)] == ["Served"]
    port = int(seen[0].rsplit(":", 1)[1])
    with pytest.raises(OSError):  # stopped: nothing listens any more
        smtplib.SMTP("127.0.0.1", port, timeout=5)


def test_serve_on_a_port_in_use_is_an_error_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox_cli, "_serve_forever", lambda server: None)
    with CaptureServer(tmp_path / "first") as first:
        taken = first.url.port
        result = run("serve", "--port", str(taken), "--outbox", str(tmp_path / "second"))

    assert result.exit_code == 2
    assert result.stderr.startswith(f"hookline outbox: error: cannot listen on 127.0.0.1:{taken}: ")
    assert result.stderr.count("\n") == 1


# -- help ------------------------------------------------------------------------------


def test_group_help_teaches_with_examples() -> None:
    result = run("--help")

    assert result.exit_code == 0
    assert "hookline outbox show 20260509T0735 --html > preview.html" in result.output
    assert "HOOKLINE_OUTBOX_DIR" in result.output
    for command in ("list", "show", "clear", "serve"):
        assert command in result.output


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_serve_process_captures_mail_and_stops_cleanly_on_a_signal(
    tmp_path: Path, stop_signal: signal.Signals
) -> None:
    outbox = tmp_path / "outbox"
    code = (
        "from campaigns.outbox_cli import outbox_group; outbox_group(prog_name='hookline outbox')"
    )
    with subprocess.Popen(
        [sys.executable, "-c", code, "serve", "--port", "0", "--outbox", str(outbox)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            assert process.stdout is not None
            first_line = process.stdout.readline()
            url = re.search(r"smtp://127\.0\.0\.1:\d+", first_line)
            assert url is not None, first_line + process.stderr.read()  # type: ignore[union-attr]
            parsed = parse_smtp_url(url.group())
            with SmtpConnection(parsed, timeout=5) as connection:
                sent = connection.send("a@shop.example", "lan@example.com", email_bytes("Live"))
            process.send_signal(stop_signal)
            rest, errors = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()

    assert sent.outcome is Outcome.SENT
    assert process.returncode == 0, errors
    assert "Stopped. The outbox holds 1 message." in rest
    assert [entry.subject for entry in list_outbox(outbox)] == ["Live"]
