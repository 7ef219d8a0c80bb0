"""``hookline response import``: good rows recorded, bad rows in a rejects file, once only."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from audiences.db import Database
from campaigns.models import CampaignEvent
from campaigns.offer_codes import offer_code
from tests.campaigns.conftest import SECRET_KEY, Hookline
from tests.campaigns.people import add_people
from tests.campaigns.responses.ledger_builder import T0, add_campaign, add_recipient, contact_ids
from tests.campaigns.test_campaign_cli import assert_one_line_error


def three_codes(db: Database) -> list[str]:
    """A campaign with three sent messages; their offer codes."""
    contacts = contact_ids(db, add_people(db, 3))
    campaign = add_campaign(db, "jazz")
    return [
        offer_code(SECRET_KEY, add_recipient(db, campaign, contact, sent_at=T0))
        for contact in contacts
    ]


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def stored(db: Database) -> list[tuple[str | None, Decimal | None, str | None, str | None]]:
    with db.engine.connect() as connection:
        rows = connection.execute(
            select(
                CampaignEvent.detail,
                CampaignEvent.amount,
                CampaignEvent.currency,
                CampaignEvent.source,
            ).order_by(CampaignEvent.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def test_import_records_good_rows_and_rejects_bad_ones_with_row_and_reason(
    cli: Hookline, db: Database, tmp_path: Path
) -> None:
    first, second, third = three_codes(db)
    head, check = third.split("-")
    forged = f"{head}-{check[::-1] if check[::-1] != check else 'ZZZZ'}"
    source = write_csv(
        tmp_path / "conversions.csv",
        [
            ["Code", "AMOUNT", "Currency", "Occurred_At", "Reference", "note"],
            [first, "450,000", "", "2026-03-03T10:00:00+07:00", "ORD-1", "a"],
            [second, "12.5x", "", "", "ORD-2", "bad amount"],
            [forged, "100", "", "", "ORD-3", "forged"],
            [third, "19.90", "usd", "2026-03-04", "ORD-4", "b"],
            [second, "", "", "last tuesday", "ORD-5", "bad date"],
            [first, "450,000", "", "2026-03-03T10:00:00+07:00", "ORD-1", "same again"],
        ],
    )

    result = cli.run("response", "import", str(source), "--json")

    assert result.exit_code == 1, result.output
    summary = json.loads(result.stdout)
    assert {k: summary[k] for k in ("rows", "recorded", "duplicates", "rejected")} == {
        "rows": 6,
        "recorded": 2,
        "duplicates": 1,
        "rejected": 3,
    }
    rejects_path = tmp_path / "conversions.rejects.csv"
    assert summary["rejects_path"] == str(rejects_path)
    assert [item["row"] for item in summary["rejected_rows"]] == [3, 4, 6]
    with rejects_path.open(encoding="utf-8", newline="") as handle:
        rejects = list(csv.reader(handle))
    assert rejects[0] == [
        "row",
        "reason",
        "Code",
        "AMOUNT",
        "Currency",
        "Occurred_At",
        "Reference",
        "note",
    ]
    assert [row[0] for row in rejects[1:]] == ["3", "4", "6"]
    assert "amount" in rejects[1][1] and "12.5x" in rejects[1][1]
    assert forged in rejects[2][1] and "check characters" in rejects[2][1]
    assert "occurred_at" in rejects[3][1] and "last tuesday" in rejects[3][1]
    assert rejects[2][2:] == [forged, "100", "", "", "ORD-3", "forged"]
    assert stored(db) == [
        ("ORD-1", Decimal("450000.00"), "VND", "import"),
        ("ORD-4", Decimal("19.90"), "USD", "import"),
    ]


def test_importing_the_same_file_again_records_nothing_new(
    cli: Hookline, db: Database, tmp_path: Path
) -> None:
    codes = three_codes(db)
    source = write_csv(
        tmp_path / "orders-export.csv",
        [
            ["code", "amount", "reference"],
            *([code, "1000", f"R-{i}"] for i, code in enumerate(codes)),
        ],
    )
    first = cli.run("response", "import", str(source))

    again = cli.run("response", "import", str(source))

    assert first.exit_code == 0, first.output
    assert first.stdout.startswith("Read 3 rows from")
    assert "3 recorded, 0 already recorded, 0 rejected." in first.stdout
    assert again.exit_code == 0, again.output
    assert "0 recorded, 3 already recorded, 0 rejected." in again.stdout
    assert len(stored(db)) == 3
    assert not (tmp_path / "orders-export.rejects.csv").exists()


def test_rejects_go_where_the_rejects_option_says(
    cli: Hookline, db: Database, tmp_path: Path
) -> None:
    (code, *_) = three_codes(db)
    source = write_csv(tmp_path / "in.csv", [["code"], [code], ["NOPE-0000"]])
    rejects = tmp_path / "out" / "bad.csv"
    rejects.parent.mkdir()

    result = cli.run("response", "import", str(source), "--rejects", str(rejects))

    assert result.exit_code == 1, result.output
    assert f"{source}: row 3: offer code 'NOPE-0000' is not one of ours" in result.stdout
    assert f"Rejected rows written to {rejects}" in result.stdout
    assert rejects.read_text(encoding="utf-8").splitlines()[1].startswith("3,")
    assert not (tmp_path / "in.rejects.csv").exists()


def test_a_file_without_a_code_column_is_refused_before_recording_anything(
    cli: Hookline, db: Database, tmp_path: Path
) -> None:
    three_codes(db)
    source = write_csv(tmp_path / "wrong.csv", [["coupon", "amount"], ["X", "1"]])

    assert_one_line_error(cli.run("response", "import", str(source)), 2, "no code column")
    assert stored(db) == []


def test_a_missing_file_is_a_one_line_error(cli: Hookline, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.csv"

    assert_one_line_error(cli.run("response", "import", str(missing)), 2, "no such file")
