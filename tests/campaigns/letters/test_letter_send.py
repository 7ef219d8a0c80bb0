"""``hookline campaign send`` on a letter campaign: PDFs, manifest, skips, reruns."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from audiences.db import Database
from audiences.emails import address_hash
from audiences.suppressions import suppress
from campaigns.letters.letter_send import letter_recipe
from campaigns.letters.letter_settings import load_letter_settings
from campaigns.letters.print_run import RunStats, print_letters
from campaigns.models import Campaign
from campaigns.offer_codes import offer_code
from tests.campaigns.conftest import Hookline
from tests.campaigns.letters.conftest import FIXTURES, manifest_rows, pdf_info, pdf_pages
from tests.campaigns.people import add_people

ADDRESS = {
    "address_line1": "12 Hang Bai Street",
    "city": "Hanoi",
    "postcode": "100000",
    "country": "Vietnam",
    "mail_consent": "granted",
}


def create(letters: Hookline, name: str, template: str, segment: str = "") -> None:
    """Create a letter campaign from a fixture template."""
    result = letters.run(
        "campaign", "create", name, "--template", str(FIXTURES / template),
        "--segment", segment, "--channel", "letter",
    )  # fmt: skip
    assert result.exit_code == 0, result.output


def add_audience(db: Database) -> dict[str, list[str]]:
    """Five who get a letter, and four who don't, each for a different reason."""
    people = {
        "ok": add_people(db, 5, prefix="ok", last_name="Tran", **ADDRESS),
        "no_line": add_people(db, 1, prefix="noline", **{**ADDRESS, "address_line1": " "}),
        "no_place": add_people(
            db, 1, prefix="noplace", **{**ADDRESS, "city": None, "postcode": ""}
        ),
        "withdrawn": add_people(
            db, 1, prefix="withdrawn", **{**ADDRESS, "mail_consent": "withdrawn"}
        ),
        "suppressed": add_people(db, 1, prefix="suppressed", **ADDRESS),
    }
    with db.engine.begin() as connection:
        suppress(connection, address_hash(people["suppressed"][0]), "mail", "unsubscribed")
    return people


def campaign_folder(letters: Hookline, name: str) -> Path:
    return Path(letters.env["HOOKLINE_LETTERS_OUTPUT"]) / name


def test_send_renders_one_batch_pdf_with_each_letter_on_its_own_pages(
    letters: Hookline, letters_db: Database
) -> None:
    add_audience(letters_db)
    create(letters, "thanks", "thank-you.html.j2")

    result = letters.run("campaign", "send", "thanks")

    assert result.exit_code == 0, result.output
    folder = campaign_folder(letters, "thanks")
    pages = pdf_pages(folder / "letters.pdf")
    rows = manifest_rows(folder / "manifest.csv")
    ledger = letters.ledger("thanks")
    # Five letters, each a letter page and a reply card page.
    assert len(pages) == 10
    assert pdf_info(folder / "letters.pdf")["Pages"] == "10"
    assert [row["sequence"] for row in rows] == ["1", "2", "3", "4", "5"]
    for row in rows:
        first, last = int(row["first_page"]), int(row["last_page"])
        assert (first, last) == (2 * int(row["sequence"]) - 1, 2 * int(row["sequence"]))
        code = offer_code(letters.secret_key, ledger[row["email"]].id)
        assert row["offer_code"] == code
        letter, card = pages[first - 1], pages[last - 1]
        name = f"{row['name']}"
        assert name.startswith("Name") and name.endswith("Tran")
        for page in (letter, card):
            assert name in page
            assert "12 Hang Bai Street" in page
            assert "Hanoi 100000" in page
            assert code in page
        assert f"Dear {name}," in letter
        assert f"https://hooks.example.com/r/{code}" in letter
        assert "Reply card" in card
        # The card goes back to the sender: their address is on it.
        assert "Hookline Records" in card
        # No other letter's code on these pages.
        others = [r["offer_code"] for r in rows if r is not row]
        assert not any(other in letter or other in card for other in others)
        assert ledger[row["email"]].state == "sent"


def test_skipped_contacts_are_counted_by_reason_before_rendering_and_kept_in_the_ledger(
    letters: Hookline, letters_db: Database
) -> None:
    people = add_audience(letters_db)
    create(letters, "thanks", "thank-you.html.j2")

    result = letters.run("campaign", "send", "thanks")

    assert result.exit_code == 0, result.output
    ledger = letters.ledger("thanks")
    expected = {
        "no_line": "no postal address: address line missing",
        "no_place": "no postal address: postcode or city missing",
        "withdrawn": "no mail consent",
        "suppressed": "mail suppressed: unsubscribed",
    }
    for group, reason in expected.items():
        row = ledger[people[group][0]]
        assert (row.state, row.detail) == ("skipped", reason)
        assert f"1  {reason}" in result.stdout
    out = result.stdout
    assert "To render: 5 letters." in out
    assert "Skipped: 4" in out
    # Counts come before the work.
    assert out.index("Skipped: 4") < out.index("Rendered 5 letters")
    emails = {
        row["email"] for row in manifest_rows(campaign_folder(letters, "thanks") / "manifest.csv")
    }
    assert emails == set(people["ok"])


def test_json_report_lists_the_batch_and_the_skips(letters: Hookline, letters_db: Database) -> None:
    add_audience(letters_db)
    create(letters, "thanks", "thank-you.html.j2")

    result = letters.run("campaign", "send", "thanks", "--json")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["printed"], report["pages"], report["skipped"]) == (5, 10, 4)
    assert report["skipped_by_reason"]["no mail consent"] == 1
    assert report["pdf"].endswith("thanks/letters.pdf")


def test_a4_and_us_letter_paper_come_from_the_config(
    letters: Hookline, letters_db: Database
) -> None:
    add_people(letters_db, 1, **ADDRESS)
    create(letters, "a4", "thank-you.html.j2")
    create(letters, "us", "thank-you.html.j2")

    assert letters.run("campaign", "send", "a4").exit_code == 0
    letters.env["HOOKLINE_LETTERS_PAPER_SIZE"] = "letter"
    assert letters.run("campaign", "send", "us").exit_code == 0

    a4 = pdf_info(campaign_folder(letters, "a4") / "letters.pdf")["Page size"]
    us = pdf_info(campaign_folder(letters, "us") / "letters.pdf")["Page size"]
    # The template's own @page size (A5) gives way to the configured paper.
    assert a4 == "595.276 x 841.89 pts (A4)"
    assert us == "612 x 792 pts (letter)"


def test_a_rerun_renders_nothing_twice_and_keeps_the_batch(
    letters: Hookline, letters_db: Database
) -> None:
    add_audience(letters_db)
    create(letters, "thanks", "thank-you.html.j2")
    assert letters.run("campaign", "send", "thanks").exit_code == 0
    folder = campaign_folder(letters, "thanks")
    chunks = sorted(path.name for path in (folder / "chunks").glob("*.pdf"))

    again = letters.run("campaign", "send", "thanks")

    assert again.exit_code == 0, again.output
    assert "To render: 0 letters (5 already printed)." in again.stdout
    assert "Rendered" not in again.stdout
    assert sorted(path.name for path in (folder / "chunks").glob("*.pdf")) == chunks
    assert len(pdf_pages(folder / "letters.pdf")) == 10
    assert len(manifest_rows(folder / "manifest.csv")) == 5


def test_an_interrupted_run_keeps_what_it_printed_and_a_rerun_prints_only_the_rest(
    letters: Hookline, letters_db: Database
) -> None:
    emails = add_people(letters_db, 5, **ADDRESS)
    create(letters, "thanks", "thank-you.html.j2")
    letters.start("thanks")
    with letters_db.session() as session:
        campaign = session.scalars(select(Campaign).where(Campaign.name == "thanks")).one()
        session.expunge(campaign)
    settings = letters.settings()
    folder = campaign_folder(letters, "thanks")
    recipe = letter_recipe(
        campaign, settings, load_letter_settings(letters.config, letters.env), folder
    )

    def ctrl_c(stats: RunStats) -> None:
        raise KeyboardInterrupt

    # One process, one letter a chunk: Ctrl-C after the first chunk lets the one
    # still rendering finish and be recorded, and gives the other rows back.
    with pytest.raises(KeyboardInterrupt):
        print_letters(letters_db.engine, campaign.id, recipe, 1, 1, 300.0, on_chunk=ctrl_c)
    states = [row.state for row in letters.ledger("thanks").values()]
    assert sorted(states) == ["queued"] * 3 + ["sent"] * 2

    result = letters.run("campaign", "send", "thanks")

    assert result.exit_code == 0, result.output
    assert "To render: 3 letters (2 already printed)." in result.stdout
    assert "Rendered 3 letters" in result.stdout
    rows = manifest_rows(folder / "manifest.csv")
    assert sorted(row["email"] for row in rows) == sorted(emails)
    pages = pdf_pages(folder / "letters.pdf")
    assert len(pages) == 10
    for row in rows:
        assert row["offer_code"] in pages[int(row["first_page"]) - 1]
    assert all(row.state == "sent" for row in letters.ledger("thanks").values())


def test_a_letter_whose_data_fails_to_render_fails_alone_with_the_reason(
    letters: Hookline, letters_db: Database
) -> None:
    good = add_people(letters_db, 3, prefix="good", attrs={"divisor": 4}, **ADDRESS)
    bad = add_people(letters_db, 1, prefix="zero", attrs={"divisor": 0}, **ADDRESS)
    create(letters, "prize", "prize.html.j2")

    result = letters.run("campaign", "send", "prize")

    assert result.exit_code == 1
    ledger = letters.ledger("prize")
    assert ledger[bad[0]].state == "failed"
    assert "division" in (ledger[bad[0]].detail or "")
    assert "division" in result.stderr
    assert all(ledger[email].state == "sent" for email in good)
    rows = manifest_rows(campaign_folder(letters, "prize") / "manifest.csv")
    assert {row["email"] for row in rows} == set(good)
    pages = pdf_pages(campaign_folder(letters, "prize") / "letters.pdf")
    assert len(pages) == 3
    assert all("25 records" in page for page in pages)


def test_per_letter_writes_one_pdf_per_letter_named_by_sequence_and_name(
    letters: Hookline, letters_db: Database
) -> None:
    add_people(letters_db, 3, last_name="Nguyễn Đức", **ADDRESS)
    create(letters, "thanks", "thank-you.html.j2")

    result = letters.run("campaign", "send", "thanks", "--per-letter")

    assert result.exit_code == 0, result.output
    folder = campaign_folder(letters, "thanks")
    files = sorted(path.name for path in (folder / "letters").iterdir())
    assert files == [f"{n:04d}-name{n:04d}-nguyen-duc.pdf" for n in (1, 2, 3)]
    rows = manifest_rows(folder / "manifest.csv")
    for row, name in zip(rows, files, strict=True):
        pages = pdf_pages(folder / "letters" / name)
        assert len(pages) == 2
        assert row["offer_code"] in pages[0]
        assert row["name"] in pages[0]


def test_per_letter_on_an_email_campaign_is_a_usage_error(letters: Hookline) -> None:
    result = letters.run(
        "campaign", "create", "jazz", "--template",
        str(Path(__file__).resolve().parents[3] / "templates" / "en" / "jazz-sale.html.j2"),
        "--from", "Shop <news@shop.example.com>",
    )  # fmt: skip
    assert result.exit_code == 0, result.output

    result = letters.run("campaign", "send", "jazz", "--per-letter")

    assert result.exit_code == 2
    assert "--per-letter is for letter campaigns" in result.output


def test_the_printed_qr_code_opens_the_recipients_response_url(
    letters: Hookline, letters_db: Database, tmp_path: Path
) -> None:
    add_people(letters_db, 2, **ADDRESS)
    create(letters, "thanks", "thank-you.html.j2")
    assert letters.run("campaign", "send", "thanks").exit_code == 0
    folder = campaign_folder(letters, "thanks")
    rows = manifest_rows(folder / "manifest.csv")

    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", str(folder / "letters.pdf"), str(tmp_path / "page")],
        check=True,
    )
    decoded = subprocess.run(
        ["zbarimg", "-q", "--raw", *sorted(map(str, tmp_path.glob("page-*.png")))],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()

    # Each letter page and each reply card carries its own recipient's code.
    expected = [f"https://hooks.example.com/r/{row['offer_code']}" for row in rows for _ in "lc"]
    assert decoded == expected
