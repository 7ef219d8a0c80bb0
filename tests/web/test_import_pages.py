"""The import pages: upload a CSV, watch the job, read and download what was rejected."""

from __future__ import annotations

import csv
import io
import re
import time
from pathlib import Path

import pytest

from audiences.db import Database
from audiences.settings import AudienceSettings
from campaigns.database import open_campaign_database
from campaigns.web.import_jobs import ImportJob, ImportJobs, safe_name
from tests.web.conftest import SignedInClient, WebServer

GOOD_AND_BAD = (
    "email,first_name,city,consent\n"
    "lan@example.com,Lan,Hanoi,yes\n"
    "not-an-address,Bad,Hue,yes\n"
    "minh@example.com,Minh,Hue,no\n"
)
JOB_URL = re.compile(r"/app/import/([0-9a-f]{32})$")


def upload(
    client: SignedInClient, name: str, content: bytes, kind: str = "contacts"
) -> tuple[str, str]:
    """POST a file to /import; the job's id and the job page's HTML."""
    answer = client.http.post(
        "/app/import",
        data={"csrf_token": client.csrf, "kind": kind},
        files={"file": (name, content, "text/csv")},
    )
    assert answer.status_code == 200, answer.text
    match = JOB_URL.search(str(answer.url))
    assert match, answer.url
    return match.group(1), answer.text


def finished(client: SignedInClient, job_id: str) -> str:
    """Poll the progress fragment, as the page does, until the job has ended."""
    for _ in range(600):
        fragment = client.get(f"/app/import/{job_id}/progress", headers={"HX-Request": "true"})
        assert fragment.status_code == 200
        if 'data-state="running"' not in fragment.text:
            return fragment.text
        time.sleep(0.05)
    raise AssertionError("the import never finished")


def figure(html: str, name: str) -> int:
    """A figure of the result (new, updated, rejected)."""
    match = re.search(rf'data-figure="{name}">([\d,]+)<', html)
    assert match, html
    return int(match.group(1).replace(",", ""))


def test_upload_with_a_bad_row_imports_the_rest_and_reports_the_row(web: WebServer) -> None:
    client = web.client("marketer")
    job_id, page = upload(client, "people.csv", GOOD_AND_BAD.encode())
    assert "Importing contacts from people.csv" in page
    result = finished(client, job_id)
    assert 'data-state="done"' in result
    assert "Imported 2 of 3 rows from people.csv; 1 rejected." in result
    assert (figure(result, "new"), figure(result, "updated"), figure(result, "rejected")) == (
        2,
        0,
        1,
    )
    assert "Download rejects (1 row)" in result
    row = re.search(r'<td class="num">(\d+)</td>\s*<td>([^<]+)</td>', result)
    assert row and row.group(1) == "3" and "email" in row.group(2)
    assert "not-an-address" in result

    rejects = client.get(f"/app/import/{job_id}/rejects.csv")
    assert rejects.status_code == 200
    assert rejects.headers["content-disposition"].startswith("attachment")
    assert "people.rejects.csv" in rejects.headers["content-disposition"]
    lines = list(csv.reader(io.StringIO(rejects.text)))
    assert lines[0] == ["row", "reason", "email", "first_name", "city", "consent"]
    assert lines[1][0] == "3" and lines[1][2] == "not-an-address"

    # The job page survives a reload (and shows the same result).
    again = client.get(f"/app/import/{job_id}")
    assert "Imported 2 of 3 rows" in again.text

    # Importing the same good rows again updates, never duplicates.
    job_id, _ = upload(client, "people.csv", GOOD_AND_BAD.encode())
    result = finished(client, job_id)
    assert (figure(result, "new"), figure(result, "updated")) == (0, 2)


def test_a_job_outlives_a_server_restart(web: WebServer, tmp_path: Path) -> None:
    from tests.web.conftest import start_server, stop_server

    client = web.client("marketer")
    job_id, _ = upload(client, "people.csv", GOOD_AND_BAD.encode())
    finished(client, job_id)
    assert "Traceback" not in stop_server(web)
    restarted = start_server(web.workdir)
    try:
        page = restarted.client("viewer").get(f"/app/import/{job_id}")
        assert page.status_code == 200
        assert "Imported 2 of 3 rows from people.csv; 1 rejected." in page.text
        assert (
            restarted.client("viewer").get(f"/app/import/{job_id}/rejects.csv").status_code == 200
        )
    finally:
        assert "Traceback" not in stop_server(restarted)


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("latin.csv", "email,city\nan@example.com,S\xe3o Paulo\n".encode("latin-1"), "not UTF-8"),
        ("names.csv", b"first_name,city\nLan,Hanoi\n", "has no email column"),
        ("picture.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not"),
    ],
)
def test_a_file_that_cannot_be_imported_is_named_with_its_problem(
    web: WebServer, name: str, content: bytes, problem: str
) -> None:
    client = web.client("marketer")
    job_id, _ = upload(client, name, content)
    result = finished(client, job_id)
    assert 'data-state="failed"' in result
    assert f"{name} could not be imported." in result
    assert problem in result
    assert "Traceback" not in result
    home = client.get("/app/")
    assert re.search(r'<span class="value">0</span> <span class="name">contacts', home.text)


def test_orders_import_after_contacts(web: WebServer) -> None:
    client = web.client("marketer")
    finished(client, upload(client, "people.csv", GOOD_AND_BAD.encode())[0])
    orders = (
        "email,order_id,amount,ordered_at\n"
        "lan@example.com,A1,250000,2026-01-05\n"
        "nobody@example.com,A2,100,2026-01-06\n"
    )
    result = finished(client, upload(client, "orders.csv", orders.encode(), kind="orders")[0])
    assert "Imported 1 of 2 rows from orders.csv; 1 rejected." in result
    assert figure(result, "new") == 1
    assert "nobody@example.com" in result


def test_an_upload_without_a_file_or_with_an_empty_one_is_refused_at_the_field(
    web: WebServer,
) -> None:
    client = web.client("marketer")
    answer = client.http.post(
        "/app/import",
        data={"csrf_token": client.csrf, "kind": "contacts"},
        files={"file": ("empty.csv", b"", "text/csv")},
    )
    assert answer.status_code == 400
    assert "empty.csv is empty" in answer.text
    assert 'aria-invalid="true"' in answer.text


def test_a_viewer_sees_the_form_disabled_and_cannot_upload(web: WebServer) -> None:
    viewer = web.client("viewer")
    form = viewer.get("/app/import")
    assert form.status_code == 200
    assert "can look but not import" in form.text
    assert re.search(r"<fieldset[^>]* disabled", form.text)
    answer = viewer.http.post(
        "/app/import",
        data={"csrf_token": viewer.csrf, "kind": "contacts"},
        files={"file": ("people.csv", GOOD_AND_BAD.encode(), "text/csv")},
    )
    assert answer.status_code == 403
    assert not list((web.workdir / "var" / "uploads").glob("*/people.csv"))


def test_an_unknown_job_is_not_found(web: WebServer) -> None:
    client = web.client("viewer")
    assert client.get("/app/import/" + "0" * 32).status_code == 404
    assert client.get("/app/import/..%2F..%2Fconfig.toml").status_code == 404


def test_upload_names_stay_inside_the_job_folder() -> None:
    assert safe_name("../../etc/passwd") == "passwd.csv"
    assert safe_name("C:\\Users\\lan\\My contacts.csv") == "My_contacts.csv"
    assert safe_name(".hidden.csv") == "hidden.csv"


def test_progress_advances_through_a_large_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import audiences.contact_import

    # Report every 500 rows rather than every 5000, so a few thousand rows show steps.
    monkeypatch.setattr(audiences.contact_import, "BATCH", 500)
    rows = "".join(f"person{n}@example.com,Person {n},Hanoi,yes\n" for n in range(4000))
    db: Database = open_campaign_database(f"sqlite:///{tmp_path / 'hookline.db'}")
    jobs = ImportJobs(db, AudienceSettings(), tmp_path / "uploads")
    seen: list[tuple[int, int]] = []
    advance = jobs.advance

    def recording(job: ImportJob, done: int, total: int) -> None:
        seen.append((done, total))
        advance(job, done, total)

    monkeypatch.setattr(jobs, "advance", recording)
    try:
        job_id, folder = jobs.new_folder()
        path = folder / "big.csv"
        path.write_text("email,first_name,city,consent\n" + rows, encoding="utf-8")
        job = ImportJob(job_id, "contacts", path.name, total_bytes=path.stat().st_size)
        jobs.run(job, path)
    finally:
        db.engine.dispose()
    done = [value for value, _ in seen]
    assert len(done) >= 8
    assert done == sorted(done) and len(set(done)) >= 8
    assert done[0] < done[-1] == path.stat().st_size
    assert (job.state, job.imported, job.new, job.percent) == ("done", 4000, 4000, 100)
    stored = jobs.get(job_id)
    assert stored is not None and stored.state == "done" and stored.new == 4000
