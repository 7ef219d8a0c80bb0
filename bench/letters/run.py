"""Time ``hookline campaign send`` on a letter campaign: letters/s, CPU and memory.

    .venv/bin/python bench/letters/run.py                    # 1,000 then 10,000 letters
    .venv/bin/python bench/letters/run.py --letters 200,2000 --processes 1,2 --json

For each size it fills a fresh SQLite database with that many contacts with a postal
address (Vietnamese names and streets, so the font's diacritics are exercised), creates
a campaign from ``templates/letters/reply-card-gift.html.j2`` without its reply card
(``--reply-card`` keeps it: two pages a letter), and runs ``hookline campaign send``
as a subprocess, watching its process tree (bench/process_watch.py): wall time, the
CPU of the parent and its rendering workers (how much of the 2 cores they used), and
the peak RSS of the parent and of each worker. It checks the batch PDF's page count
with ``pdfinfo`` and the manifest's row count.

The issue's goals: at least 100 letters/s on the 2-core development machine, both
cores used, and memory that doesn't grow with the batch (compare 1k with 10k).
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from process_watch import run_watched  # noqa: E402 - beside the benches

TEMPLATE = REPO / "templates" / "letters" / "reply-card-gift.html.j2"
GOAL_RATE = 100.0
FIRST = ("An", "Bình", "Chi", "Dũng", "Đức", "Hà", "Hương", "Khánh", "Lan", "Minh")
LAST = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi")
STREETS = ("Hàng Bài", "Lý Thường Kiệt", "Tràng Tiền", "Nguyễn Huệ", "Lê Lợi")


def fill(url: str, count: int) -> None:
    """Migrate the database and insert ``count`` contacts who may get a letter."""
    from sqlalchemy import insert

    from audiences.emails import address_hash
    from audiences.models import Contact, utcnow
    from campaigns.database import open_campaign_database

    db = open_campaign_database(url)
    now = utcnow()
    rows = []
    for index in range(count):
        email = f"reader{index:07d}@example.com"
        rows.append(
            {
                "email": email,
                "email_hash": address_hash(email),
                "first_name": FIRST[index % len(FIRST)],
                "last_name": LAST[index % len(LAST)],
                "address_line1": f"{index % 300 + 1} {STREETS[index % len(STREETS)]}",
                "city": "Hà Nội",
                "postcode": f"{100000 + index % 50}",
                "country": "Việt Nam",
                "mail_consent": "granted",
                "attrs": {},
                "created_at": now,
                "updated_at": now,
            }
        )
    with db.engine.begin() as connection:
        for start in range(0, count, 5000):
            connection.execute(insert(Contact), rows[start : start + 5000])
    db.engine.dispose()


def template(folder: Path, reply_card: bool) -> Path:
    """The example letter, with or without its reply card."""
    text = TEMPLATE.read_text(encoding="utf-8")
    if not reply_card:
        text = text.replace("reply_card = true", "reply_card = false")
    path = folder / "letter.html.j2"
    path.write_text(text, encoding="utf-8")
    return path


def run(
    count: int, processes: int, reply_card: bool, folder: Path, chunk_size: int
) -> dict[str, Any]:
    """One send of ``count`` letters with ``processes`` workers; its figures."""
    work = folder / f"n{count}-p{processes}-c{chunk_size}"
    work.mkdir()
    url = f"sqlite:///{work / 'hookline.db'}"
    fill(url, count)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("HOOKLINE_")},
        "HOOKLINE_DATABASE_URL": url,
        "HOOKLINE_SECRET_KEY": "bench-secret",
        "HOOKLINE_SENDING_BASE_URL": "https://hooks.example.com",
        "HOOKLINE_LETTERS_OUTPUT": str(work / "letters"),
        "HOOKLINE_LETTERS_PROCESSES": str(processes),
        "HOOKLINE_LETTERS_CHUNK_SIZE": str(chunk_size),
    }
    hookline = [sys.executable, "-m", "campaigns.cli", "campaign"]
    config = ["--config", str(REPO / "config.toml")]
    subprocess.run(
        [*hookline, "create", "bench", "--template", str(template(work, reply_card)),
         "--channel", "letter", *config],
        env=env, cwd=work, check=True, capture_output=True,
    )  # fmt: skip
    watched = run_watched([*hookline, "send", "bench", "--json", *config], env, work, timeout=3600)
    if watched["exit_code"] != 0:
        raise SystemExit(f"send failed: {watched['stderr']}")
    report = json.loads(watched["stdout"])
    info = subprocess.run(
        ["pdfinfo", report["pdf"]], capture_output=True, text=True, check=True
    ).stdout
    pages_line = next(line for line in info.splitlines() if line.startswith("Pages:"))
    pdf_pages = int(pages_line.split()[1])
    with Path(report["manifest"]).open(encoding="utf-8") as manifest:
        manifest_rows = sum(1 for _ in manifest) - 1
    procs = watched["processes"]
    parent = procs[0]["peak_rss_mb"]
    workers = [p["peak_rss_mb"] for p in procs[1:] if p["peak_rss_mb"] > 60]
    return {
        "letters": count,
        "processes": processes,
        "reply_card": reply_card,
        "chunk_size": chunk_size,
        "wall_seconds": round(watched["seconds"], 2),
        "letters_per_second_wall": round(count / watched["seconds"], 1),
        "render_seconds": report["seconds"],
        "letters_per_second_render": report["letters_per_second"],
        "cpu_seconds": watched["cpu_seconds"],
        "cores_used": round(watched["cpu_seconds"] / watched["seconds"], 2),
        "parent_peak_rss_mb": parent,
        "worker_peak_rss_mb": workers,
        "pdf_pages": pdf_pages,
        "pdf_mb": round(Path(report["pdf"]).stat().st_size / 1e6, 1),
        "manifest_rows": manifest_rows,
        "printed": report["printed"],
    }


def main() -> None:
    """Parse the options, run each size and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--letters", default="1000,10000", help="sizes, comma-separated")
    parser.add_argument("--processes", default="2", help="worker counts, comma-separated")
    parser.add_argument("--chunk-size", type=int, default=50, help="letters per chunk")
    parser.add_argument("--reply-card", action="store_true", help="keep the reply card page")
    parser.add_argument("--json", action="store_true", help="print JSON")
    options = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="hookline-letters-bench-") as folder:
        for count in (int(n) for n in options.letters.split(",")):
            for processes in (int(n) for n in options.processes.split(",")):
                result = run(count, processes, options.reply_card, Path(folder), options.chunk_size)
                results.append(result)
                if not options.json:
                    print(
                        f"{count:>7,} letters, {processes} proc: "
                        f"{result['letters_per_second_render']} letters/s rendering, "
                        f"{result['letters_per_second_wall']} letters/s wall "
                        f"({result['wall_seconds']} s); CPU {result['cpu_seconds']} s = "
                        f"{result['cores_used']} cores; peak RSS parent "
                        f"{result['parent_peak_rss_mb']} MB, workers "
                        f"{result['worker_peak_rss_mb']} MB; {result['pdf_pages']} pages "
                        f"({result['pdf_mb']} MB), manifest {result['manifest_rows']} rows",
                        flush=True,
                    )
    if options.json:
        print(json.dumps(results, indent=2))
    else:
        best = max(r["letters_per_second_render"] or 0 for r in results)
        print(f"goal {GOAL_RATE:.0f} letters/s: best {best} letters/s")


if __name__ == "__main__":
    main()
