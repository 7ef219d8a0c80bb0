"""``hookline audience`` end to end, on SQLite and PostgreSQL.

Each test runs the real click group in-process with ``HOOKLINE_DATABASE_URL`` naming
the test database, on copies of the CSV files in tests/fixtures/audiences/cli/ (the
importer writes FILE.rejects.csv beside its input).

contacts.csv holds six people in three cities. Sendable by e-mail: an, binh, chi and
giang (consent yes); dung withdrew and em never gave consent. The ``imported`` fixture
also suppresses giang for e-mail, which leaves an and binh in Hanoi.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from audiences.db import open_database
from audiences.emails import address_hash
from audiences.models import Suppression
from campaigns.cli import cli

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "audiences" / "cli"
EVERY_COMMAND = (
    ("import",),
    ("import-orders",),
    ("count",),
    ("show",),
    ("export",),
    ("segment",),
    ("segment", "save"),
    ("segment", "list"),
    ("forget",),
    ("export-contact",),
)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary current folder holding copies of the fixture CSVs."""
    for source in FIXTURES.iterdir():
        shutil.copy(source, tmp_path / source.name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HOOKLINE_CONFIG", raising=False)
    return tmp_path


@pytest.fixture
def audience(database_url: str, workdir: Path) -> Any:
    """``audience(*args)`` runs ``hookline audience ARGS`` on the test database."""

    def run(*args: str) -> Result:
        result = CliRunner().invoke(
            cli, ["audience", *args], env={"HOOKLINE_DATABASE_URL": database_url}
        )
        # Anything but a clean exit is a crash, and a crash is a bug.
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        assert "Traceback" not in result.output
        return result

    return run


@pytest.fixture
def imported(audience: Any, database_url: str) -> Any:
    """contacts.csv imported, and giang suppressed for e-mail after a complaint."""
    assert audience("import", "contacts.csv").exit_code == 0
    db = open_database(database_url)
    with db.session() as session:
        session.add(
            Suppression(
                address_hash=address_hash("giang@example.com"), channel="email", reason="complaint"
            )
        )
        session.commit()
    db.engine.dispose()
    return audience


def count(audience: Any, *args: str) -> int:
    result = audience("count", *args, "--json")
    assert result.exit_code == 0, result.output
    value: int = json.loads(result.stdout)["count"]
    return value


def emails_in_csv(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [row["email"] for row in csv.DictReader(handle)]


class TestImport:
    def test_a_clean_file_imports_every_row_and_exits_0(self, audience: Any) -> None:
        result = audience("import", "contacts.csv")
        assert result.exit_code == 0
        assert "Imported 6 of 6 rows from contacts.csv." in result.stdout
        assert not Path("contacts.rejects.csv").exists()

    def test_a_bad_row_is_named_by_number_written_to_rejects_and_exits_1(
        self, audience: Any, workdir: Path
    ) -> None:
        result = audience("import", "contacts_with_bad_row.csv")
        assert result.exit_code == 1
        assert "Imported 2 of 3" in result.stdout
        assert "row 3: email:" in result.stdout
        rejects = workdir / "contacts_with_bad_row.rejects.csv"
        assert "not-an-address" in rejects.read_text(encoding="utf-8")
        assert count(audience) == 2  # the good rows are kept

    def test_json_reports_rows_and_each_rejected_row(self, audience: Any, workdir: Path) -> None:
        result = audience("import", "contacts_with_bad_row.csv", "--json")
        assert result.exit_code == 1
        report = json.loads(result.stdout)
        assert report["rows"] == 3 and report["imported"] == 2 and report["rejected"] == 1
        assert report["rejects_path"] == "contacts_with_bad_row.rejects.csv"
        [bad] = report["rejected_rows"]
        assert bad["row"] == 3 and bad["reason"].startswith("email:")

    def test_the_listing_stops_at_20_and_points_to_the_rejects_file(
        self, audience: Any, workdir: Path
    ) -> None:
        lines = ["email,city"] + [f"bad{n},Hanoi" for n in range(25)]
        (workdir / "many.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        result = audience("import", "many.csv")
        assert result.exit_code == 1
        assert result.stdout.count(": row ") == 20
        assert "... and 5 more in" in result.stdout
        assert "many.rejects.csv" in result.stdout

    def test_a_file_that_is_not_utf8_exits_2_with_one_line(self, audience: Any) -> None:
        result = audience("import", "contacts_latin1.csv")
        assert result.exit_code == 2
        assert "not UTF-8" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
        assert count(audience) == 0

    def test_a_missing_file_exits_2_with_one_line(self, audience: Any) -> None:
        result = audience("import", "missing.csv")
        assert result.exit_code == 2
        assert result.stderr.strip() == "cli audience import: error: missing.csv: no such file"

    def test_orders_import_reports_an_unknown_address_and_sets_metrics(self, imported: Any) -> None:
        result = imported("import-orders", "orders.csv", "--json")
        assert result.exit_code == 1
        report = json.loads(result.stdout)
        assert report["imported"] == 3
        [bad] = report["rejected_rows"]
        assert bad["row"] == 5
        assert count(imported, "orders >= 2") == 1
        assert count(imported, "total_spent > 1000000") == 1


class TestQueries:
    def test_count_json_is_an_object_with_the_count(self, imported: Any) -> None:
        result = imported("count", 'city = "Hanoi"', "--json")
        assert result.exit_code == 0
        assert json.loads(result.stdout) == {"count": 2}

    def test_an_empty_or_missing_query_counts_everyone_sendable(self, imported: Any) -> None:
        assert count(imported) == 3
        assert count(imported, "") == 3

    def test_count_as_text_names_the_channel(self, imported: Any) -> None:
        result = imported("count", 'city = "Hanoi"')
        assert result.stdout.strip() == "2 contact(s) sendable by email."

    def test_without_consent_or_with_a_suppression_nobody_is_counted_shown_or_exported(
        self, imported: Any, workdir: Path
    ) -> None:
        for email in ("dung@example.com", "em@example.com", "giang@example.com"):
            assert count(imported, f'email = "{email}"') == 0
        shown = json.loads(imported("show", "--limit", "50", "--json").stdout)
        assert sorted(row["email"] for row in shown["contacts"]) == [
            "an@example.com",
            "binh@example.com",
            "chi@example.com",
        ]
        assert shown["count"] == 3
        assert imported("export", "", "all.csv").exit_code == 0
        assert emails_in_csv(workdir / "all.csv") == [
            "an@example.com",
            "binh@example.com",
            "chi@example.com",
        ]

    def test_mail_needs_a_postal_address_not_email_consent(self, imported: Any) -> None:
        result = imported("show", "--channel", "mail", "--json")
        emails = sorted(row["email"] for row in json.loads(result.stdout)["contacts"])
        assert emails == [
            "an@example.com",
            "chi@example.com",
            "dung@example.com",
            "giang@example.com",
        ]

    def test_an_injection_attempt_is_a_plain_string_and_counts_0(self, imported: Any) -> None:
        assert count(imported, 'city = "x\' OR 1=1 --"') == 0
        assert count(imported, "city = 'x\\' OR 1=1 --'") == 0
        assert count(imported) == 3  # the table is still there

    def test_show_prints_a_table_and_how_many_of_the_total(self, imported: Any) -> None:
        result = imported("show", 'city = "Hanoi"', "--limit", "1")
        assert result.exit_code == 0
        header, _rule, first, footer = result.stdout.strip().splitlines()
        assert header.split()[:3] == ["email", "first_name", "last_name"]
        assert first.startswith("an@example.com")
        assert footer == "Showing 1 of 2 contact(s) sendable by email."

    def test_show_json_has_every_field_tags_and_attrs(self, imported: Any) -> None:
        result = imported("show", 'email = "an@example.com"', "--json")
        [row] = json.loads(result.stdout)["contacts"]
        assert row["last_name"] == "Trần"
        assert row["tags"] == ["books", "vip"]
        assert row["attrs"] == {}
        assert row["address_line1"] == "12 Hàng Bài"

    def test_export_writes_exactly_the_selected_rows_with_tags(
        self, imported: Any, workdir: Path
    ) -> None:
        result = imported("export", 'tag "vip" or city = "Hue"', "out.csv")
        assert result.exit_code == 0
        assert result.stdout.strip() == "Exported 2 contact(s) sendable by email to out.csv."
        with (workdir / "out.csv").open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert [row["email"] for row in rows] == ["an@example.com", "chi@example.com"]
        assert rows[0]["tags"] == "books;vip"
        assert rows[0]["first_name"] == "An"

    def test_export_json_reports_the_count(self, imported: Any) -> None:
        result = imported("export", 'city = "Hanoi"', "hanoi.csv", "--json")
        assert json.loads(result.stdout) == {
            "exported": 2,
            "file": "hanoi.csv",
            "channel": "email",
        }

    def test_export_to_a_missing_folder_exits_2_and_writes_nothing(
        self, imported: Any, workdir: Path
    ) -> None:
        result = imported("export", "", "nowhere/out.csv")
        assert result.exit_code == 2
        assert "nowhere does not exist" in result.stderr
        assert not (workdir / "nowhere").exists()


class TestQueryErrors:
    def test_an_unknown_field_is_named_with_the_nearest_and_a_caret(self, imported: Any) -> None:
        result = imported("count", 'ctiy = "Hanoi"')
        assert result.exit_code == 2
        assert result.stdout == ""
        lines = result.stderr.splitlines()
        assert lines[0] == 'ctiy = "Hanoi"'
        assert lines[1] == "^"
        assert "ctiy" in lines[2] and "city" in lines[2]

    def test_a_syntax_error_shows_the_caret_under_the_fault(self, imported: Any) -> None:
        result = imported("show", 'city = "Hanoi" and')
        assert result.exit_code == 2
        query, caret, *_message = result.stderr.splitlines()
        assert query == 'city = "Hanoi" and'
        assert caret.index("^") >= len('city = "Hanoi"')

    def test_a_bad_query_writes_no_export_file(self, imported: Any, workdir: Path) -> None:
        result = imported("export", "ctiy = 1", "out.csv")
        assert result.exit_code == 2
        assert not (workdir / "out.csv").exists()
        assert not list(workdir.glob(".out.csv.*"))

    def test_an_unknown_segment_exits_2(self, imported: Any) -> None:
        result = imported("count", "@nope")
        assert result.exit_code == 2
        assert "@nope" in result.stderr


class TestSegments:
    def test_a_saved_segment_is_listed_and_usable_as_at_name(self, imported: Any) -> None:
        saved = imported("segment", "save", "hanoi", 'city = "Hanoi"')
        assert saved.exit_code == 0
        assert "@hanoi" in saved.stdout and "2 contact(s)" in saved.stdout
        listed = imported("segment", "list", "--json")
        assert json.loads(listed.stdout) == [{"name": "hanoi", "query": 'city = "Hanoi"'}]
        assert "@hanoi" in imported("segment", "list").stdout
        assert count(imported, "@hanoi") == 2
        assert count(imported, '@hanoi and tag "vip"') == 1

    def test_a_bad_query_is_not_saved(self, imported: Any) -> None:
        result = imported("segment", "save", "broken", "ctiy = 1")
        assert result.exit_code == 2
        assert json.loads(imported("segment", "list", "--json").stdout) == []

    def test_an_empty_list_says_how_to_save_one(self, imported: Any) -> None:
        assert "segment save NAME QUERY" in imported("segment", "list").stdout


class TestForget:
    def test_after_forget_only_the_suppression_is_held_and_nobody_counts(
        self, imported: Any
    ) -> None:
        assert imported("import-orders", "orders.csv").exit_code == 1
        before = json.loads(imported("export-contact", "an@example.com").stdout)
        assert before["found"] is True and len(before["orders"]) == 2
        assert before["consent"][0]["status"] == "granted"
        result = imported("forget", "An@Example.com")
        assert result.exit_code == 0
        assert "contact erased" in result.stdout
        after = json.loads(imported("export-contact", "an@example.com").stdout)
        assert after["contact"] is None
        assert after["tags"] == after["consent"] == after["orders"] == []
        assert [(s["channel"], s["reason"]) for s in after["suppressions"]] == [
            ("all", "forgotten")
        ]
        assert count(imported, 'email = "an@example.com"') == 0
        assert count(imported, 'email = "an@example.com"', "--channel", "mail") == 0
        assert count(imported) == 2
        assert json.loads(imported("export-contact", "an@example.com", "--json").stdout) == after

    def test_a_forgotten_address_imported_again_stays_unsendable(self, imported: Any) -> None:
        assert imported("forget", "an@example.com").exit_code == 0
        assert imported("import", "forgotten_again.csv").exit_code == 0
        assert json.loads(imported("export-contact", "an@example.com").stdout)["found"]
        assert count(imported, 'email = "an@example.com"') == 0

    def test_forgetting_an_unknown_address_still_suppresses_it(self, imported: Any) -> None:
        result = imported("forget", "new@example.com", "--json")
        assert json.loads(result.stdout) == {
            "email": "new@example.com",
            "erased": False,
            "suppressed": True,
        }

    def test_a_string_that_is_not_an_address_exits_2(self, imported: Any) -> None:
        for command in ("forget", "export-contact"):
            result = imported(command, "lan@")
            assert result.exit_code == 2
            assert result.stderr.startswith(f"cli audience {command}: error:")


class TestSetUp:
    def test_the_database_is_created_on_first_use(self, tmp_path: Path, workdir: Path) -> None:
        url = f"sqlite:///{tmp_path / 'new' / 'hookline.db'}"
        result = CliRunner().invoke(
            cli, ["audience", "count", "--json"], env={"HOOKLINE_DATABASE_URL": url}
        )
        assert result.exit_code == 0 and json.loads(result.stdout) == {"count": 0}
        assert (tmp_path / "new" / "hookline.db").is_file()

    def test_an_unreachable_database_exits_2_with_one_line(self, workdir: Path) -> None:
        url = "postgresql://nobody@127.0.0.1:1/none"
        result = CliRunner().invoke(cli, ["audience", "count"], env={"HOOKLINE_DATABASE_URL": url})
        assert result.exit_code == 2
        assert result.stderr.startswith("cli audience count: error: cannot open the database")
        assert len(result.stderr.strip().splitlines()) == 1

    @pytest.mark.parametrize(
        ("url", "says"),
        [
            ("foo://u:secret@host/x", "use sqlite:///PATH or postgresql://HOST/NAME"),
            ("mysql://u:secret@localhost/x", "its driver is not installed"),
        ],
    )
    def test_a_database_url_that_cant_work_exits_2_hiding_the_password(
        self, workdir: Path, url: str, says: str
    ) -> None:
        result = CliRunner().invoke(cli, ["audience", "count"], env={"HOOKLINE_DATABASE_URL": url})
        assert result.exit_code == 2
        assert says in result.stderr
        assert "secret" not in result.stderr and "u:***@" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1

    def test_a_bad_config_file_exits_2_naming_the_key(self, workdir: Path) -> None:
        (workdir / "bad.toml").write_text("[database]\nurl = 1\nport = 2\n", encoding="utf-8")
        result = CliRunner().invoke(cli, ["audience", "count", "--config", "bad.toml"])
        assert result.exit_code == 2
        assert "port" in result.stderr

    @pytest.mark.parametrize("command", EVERY_COMMAND, ids=" ".join)
    def test_every_command_has_help_with_examples(self, command: tuple[str, ...]) -> None:
        result = CliRunner().invoke(cli, ["audience", *command, "--help"])
        assert result.exit_code == 0
        assert "Examples:" in result.stdout
