"""How quickly the web app answers what marketers do most, on the demo data.

Starts ``hookline serve --demo --no-scheduler`` in a temporary folder (SQLite, 300
demo contacts, 440 orders, 4 draft campaigns), signs in, and times each request N
times over one keep-alive connection, one at a time (a person types; no load test):

- live lint of the jazz-sale template (what the editor posts 400 ms after a keystroke);
- the segment builder's live count and sample for ``tag "jazz"``;
- a contact search, a contact page, a campaign page and a campaign report.

Prints the median, 95th percentile and worst time of each, in milliseconds. Run:
``.venv/bin/python bench/web/run.py [--repeat 50]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.web.conftest import (  # noqa: E402  (the test harness starts and signs in)
    ACCOUNTS,
    PASSWORD,
    prepare_site,
    sign_in,
    start_server,
    stop_server,
)

TEMPLATE = "en/jazz-sale.html.j2"


def timed(call: Callable[[], httpx.Response], repeat: int) -> list[float]:
    """Milliseconds of each of ``repeat`` calls, after one warm-up; every answer must be 200."""
    call().raise_for_status()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = call()
        times.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
    return times


def main() -> None:
    """Run the benchmark and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50, help="requests per action")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder) / "site"
        (workdir / "var").mkdir(parents=True)
        prepare_site(workdir)
        server = start_server(workdir, "--demo", "--no-scheduler")
        try:
            client = sign_in(server.url, ACCOUNTS["admin"], PASSWORD)
            source = (workdir / "templates" / TEMPLATE).read_text(encoding="utf-8")
            actions: dict[str, Callable[[], httpx.Response]] = {
                "live lint (jazz-sale)": lambda: client.htmx_post(
                    "/app/templates/lint", {"path": TEMPLATE, "source": source}
                ),
                'segment count + sample (tag "jazz")': lambda: client.htmx_post(
                    "/app/segments/preview", {"query": 'tag "jazz"', "channel": "email"}
                ),
                "contact search ('nguyen')": lambda: client.get("/app/contacts?q=nguyen"),
                "contact page": lambda: client.get("/app/contacts/1"),
                "campaign page": lambda: client.get("/app/campaigns/jazz-sale"),
                "campaign report": lambda: client.get("/app/campaigns/jazz-sale/report"),
            }
            print(f"{'action':<38} {'median':>8} {'p95':>8} {'worst':>8}  (ms, n={args.repeat})")
            for name, call in actions.items():
                times = sorted(timed(call, args.repeat))
                p95 = times[max(0, round(0.95 * len(times)) - 1)]
                print(f"{name:<38} {statistics.median(times):>8.1f} {p95:>8.1f} {times[-1]:>8.1f}")
        finally:
            stop_server(server)


if __name__ == "__main__":
    main()
