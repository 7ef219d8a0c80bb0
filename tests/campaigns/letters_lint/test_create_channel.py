"""``campaign create --channel``: letters from letter templates, linted as letters."""

from __future__ import annotations

from pathlib import Path

from audiences.db import Database
from tests.campaigns.conftest import Hookline
from tests.campaigns.people import add_people
from tests.campaigns.test_campaign_cli import (
    JAZZ,
    REPO,
    SENDER,
    assert_one_line_error,
    load_json,
)

LETTER = REPO / "templates" / "letters" / "reply-card-gift.html.j2"
VI_LETTER = REPO / "templates" / "letters" / "thu-uu-dai.html.j2"
RETURN_ADDRESS = "Hookline Records, 12 Hang Bai Street, Hoan Kiem, Hanoi 100000, Vietnam"
POSTAL = {"address_line1": "1 Trang Tien", "city": "Hanoi", "country": "VN"}


def letter_without_device(folder: Path) -> Path:
    """A letter template with no offer code and no reply card: D001."""
    path = folder / "no-device.html.j2"
    path.write_text(
        '+++\nlang = "en"\nchannel = "letter"\n+++\n'
        "<p>Dear {{ first_name }}, you get 20% off every jazz record until 31 March,"
        " delivered free within three days.</p>\n"
        "<p>P.S. Your 20% gift ends on 31 March.</p>\n",
        encoding="utf-8",
    )
    return path


def test_a_letter_campaign_takes_its_channel_and_sender_from_the_template_and_config(
    hookline: Hookline, campaign_db: Database
) -> None:
    add_people(campaign_db, 3, **POSTAL)
    add_people(campaign_db, 2, prefix="nopost")
    summary = load_json(
        hookline.run("campaign", "create", "gift", "--template", str(LETTER), "--json")
    )
    assert summary["channel"] == "letter"
    assert summary["from"] == RETURN_ADDRESS
    # Letters go to contacts with a complete postal address, not to the email list.
    assert summary["audience_now"] == 3
    assert summary["lint_errors"] == 0
    shown = load_json(hookline.run("campaign", "show", "gift", "--json"))
    assert (shown["channel"], shown["from"]) == ("letter", RETURN_ADDRESS)


def test_channel_letter_with_a_sender_keeps_the_sender(hookline: Hookline) -> None:
    summary = load_json(
        hookline.run(
            "campaign", "create", "gift", "--template", str(VI_LETTER),
            "--channel", "letter", "--from", SENDER, "--json",
        )
    )  # fmt: skip
    assert (summary["channel"], summary["from"]) == ("letter", SENDER)


def test_the_text_report_names_the_return_address(hookline: Hookline) -> None:
    result = hookline.run("campaign", "create", "gift", "--template", str(LETTER))
    assert result.exit_code == 0, result.output
    assert "Created campaign gift (letter)" in result.stdout
    assert f"return address: {RETURN_ADDRESS}" in result.stdout


def test_channel_email_on_a_letter_template_is_one_line_exit_2(hookline: Hookline) -> None:
    result = hookline.run(
        "campaign", "create", "gift", "--template", str(LETTER),
        "--channel", "email", "--from", SENDER,
    )  # fmt: skip
    assert_one_line_error(result, 2, "--channel email", 'channel = "letter"', "--channel letter")
    assert load_json(hookline.run("campaign", "list", "--json")) == []


def test_channel_letter_on_an_email_template_is_one_line_exit_2(hookline: Hookline) -> None:
    result = hookline.run(
        "campaign", "create", "jazz", "--template", str(JAZZ), "--channel", "letter"
    )
    assert_one_line_error(result, 2, "--channel letter", 'channel = "email"')


def test_an_email_campaign_still_needs_a_sender(hookline: Hookline) -> None:
    result = hookline.run("campaign", "create", "jazz", "--template", str(JAZZ))
    assert_one_line_error(result, 2, "--from is required for an email campaign")


def test_an_unknown_channel_is_a_usage_error(hookline: Hookline) -> None:
    result = hookline.run(
        "campaign", "create", "gift", "--template", str(LETTER), "--channel", "fax"
    )
    assert result.exit_code == 2
    assert "fax" in result.stderr


def test_a_letter_without_a_response_device_closes_the_lint_gate(
    hookline: Hookline, tmp_path: Path
) -> None:
    template = letter_without_device(tmp_path)
    summary = load_json(
        hookline.run("campaign", "create", "bare", "--template", str(template), "--json")
    )
    assert summary["lint_errors"] == 1
    shown = load_json(hookline.run("campaign", "show", "bare", "--json"))
    assert any("D001" in line for line in shown["lint_report"])
    # Neither the subject rules nor the unsubscribe rule judge a letter.
    assert not any(code in line for line in shown["lint_report"] for code in ("S00", "U001"))


def test_the_help_teaches_the_letter_channel(hookline: Hookline) -> None:
    result = hookline.run("campaign", "create", "--help")
    assert result.exit_code == 0
    assert "--channel [email|letter]" in result.stdout
    assert "return-address" in result.stdout
