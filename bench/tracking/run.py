"""Load ``hookline serve`` with 100k distinct open and click requests; count what it recorded.

    .venv/bin/python bench/tracking/run.py                         # SQLite, wrk
    .venv/bin/python bench/tracking/run.py --database-url postgresql://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/tracking/run.py --tool python --requests 20000
    .venv/bin/python bench/tracking/run.py --http h11 --loop asyncio   # without the C parts

It makes a throwaway database (an SQLite file in a temporary folder; with
``--database-url``, a fresh PostgreSQL database created beside the one named and
dropped afterwards), creates a campaign whose ledger has one row per half of the
requests (inserted in bulk), and signs an open token and a click token for every row,
so no two requests are alike. It starts ``hookline serve --no-scheduler`` as a
subprocess on a free port and fires every request with **wrk** (its Lua script,
``walk_tokens.lua``, walks the token list), or with an asyncio client over raw sockets
(``--tool python``, the fallback when wrk is missing). Then it stops the server with
SIGTERM (a graceful stop writes every queued event), counts ``campaign_events`` and
prints: requests, answers that weren't 2xx/3xx, events recorded, events lost (must be
0), events/s (requests ÷ the load phase's wall time) and the server's peak RSS.

The goal: at least 2,000 events/s recorded on the 2-core machine, none lost. Figures
are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

import psycopg  # noqa: E402
from sqlalchemy import func, insert, literal, select  # noqa: E402

from audiences.emails import address_hash  # noqa: E402
from audiences.models import Contact, utcnow  # noqa: E402
from campaigns.database import open_campaign_database  # noqa: E402
from campaigns.models import Campaign, CampaignEvent, Recipient  # noqa: E402
from campaigns.tokens import TokenSigner  # noqa: E402

LUA = Path(__file__).with_name("walk_tokens.lua")
GOAL_RATE = 2000.0
CHUNK = 5000
LOAD_LIMIT_SECONDS = 900.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100_000, help="half opens, half clicks")
    parser.add_argument(
        "--database-url",
        help="PostgreSQL URL of an existing database; a fresh one is made beside it and "
        "dropped afterwards. Default: an SQLite file in a temporary folder.",
    )
    parser.add_argument("--tool", choices=["wrk", "python"], help="default: wrk if installed")
    parser.add_argument("--connections", type=int, default=64, help="concurrent connections")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--http", default="auto", help="hookline serve --http")
    parser.add_argument("--loop", default="auto", help="hookline serve --loop")
    parser.add_argument("--keep", type=Path, help="keep the working folder here")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    return parser.parse_args()


@contextmanager
def throwaway_database(folder: Path, admin_url: str | None) -> Iterator[str]:
    """An empty database's URL: an SQLite file, or a PostgreSQL database made for the run."""
    if admin_url is None:
        yield f"sqlite:///{folder / 'bench.db'}"
        return
    plain = admin_url.replace("postgresql+psycopg://", "postgresql://")
    name = f"hookline_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(plain, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{plain.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(plain, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def fill_ledger(database_url: str, rows: int) -> list[int]:
    """``rows`` consented contacts and a sent campaign to each; the ledger row ids."""
    db = open_campaign_database(database_url)
    try:
        now = utcnow()
        with db.engine.begin() as connection:
            for start in range(0, rows, CHUNK):
                connection.execute(
                    insert(Contact),
                    [
                        {
                            "email": f"reader{i:07d}@example.com",
                            "email_hash": address_hash(f"reader{i:07d}@example.com"),
                            "first_name": f"Reader{i}",
                            "attrs": {},
                            "created_at": now,
                            "updated_at": now,
                            "email_consent": "granted",
                        }
                        for i in range(start, min(rows, start + CHUNK))
                    ],
                )
            connection.execute(
                insert(Campaign).values(
                    name="tracking bench",
                    state="done",
                    template_path="bench.txt.j2",
                    template_source="Hi {{ first_name }}",
                    from_addr="Bench <bench@example.com>",
                    created_at=now,
                    updated_at=now,
                )
            )
            campaign_id = connection.scalar(select(Campaign.id))
            # One campaign row: the product with it is one ledger row per contact.
            connection.execute(
                insert(Recipient).from_select(
                    ["campaign_id", "contact_id", "state", "attempts", "sent_at", "updated_at"],
                    select(
                        Campaign.id,
                        Contact.id,
                        literal("sent"),
                        literal(1),
                        Campaign.created_at,
                        Campaign.created_at,
                    )
                    .select_from(Contact)
                    .join(Campaign, Campaign.id == campaign_id),
                )
            )
            return list(connection.scalars(select(Recipient.id).order_by(Recipient.id)))
    finally:
        db.engine.dispose()


def token_paths(secret: str, rows: list[int], requests: int) -> list[str]:
    """Distinct request paths: an open and a click per row, interleaved, ``requests`` in all."""
    signer = TokenSigner(secret)
    paths: list[str] = []
    for index, row in enumerate(rows):
        paths.append(f"/t/o/{signer.recipient_token('open', row)}")
        paths.append(f"/t/c/{signer.click_token(row, f'https://shop.example.com/item/{index}')}")
    return paths[:requests]


def count_events(database_url: str) -> int:
    db = open_campaign_database(database_url)
    try:
        with db.engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(CampaignEvent)) or 0)
    finally:
        db.engine.dispose()


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_wrk(url: str, paths_file: Path, args: argparse.Namespace) -> dict[str, Any]:
    """wrk until every thread has its answers; the Lua script's counts."""
    env = {**os.environ, "TOKENS": str(paths_file), "WRK_THREADS": str(args.threads)}
    command = ["wrk", "-t", str(args.threads), "-c", str(args.connections)]
    command += ["-d", f"{int(LOAD_LIMIT_SECONDS)}s", "-s", str(LUA), url]
    started = time.perf_counter()
    wrk = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    assert wrk.stdout is not None
    done = 0
    lines: list[str] = []
    while done < args.threads:
        line = wrk.stdout.readline()
        if not line:
            break
        lines.append(line)
        done += line.strip() == "done"
    elapsed = time.perf_counter() - started
    # wrk sleeps out its whole -d; an interrupt ends it now and runs done().
    wrk.send_signal(signal.SIGINT)
    rest, _ = wrk.communicate(timeout=60)
    figures: dict[str, Any] = json.loads(
        next(line for line in [*lines, *rest.splitlines()] if line.startswith("{"))
    )
    figures["seconds"] = elapsed
    return figures


async def _python_load(host: str, port: int, paths: list[str], connections: int) -> dict[str, Any]:
    todo = iter(paths)
    counts = {"sent": 0, "answered": 0, "failed": 0, "socket_errors": 0}

    async def one_connection() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            for path in todo:
                writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
                counts["sent"] += 1
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head.split(b" ", 2)[1])
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                await reader.readexactly(length)
                counts["answered"] += 1
                counts["failed"] += not 200 <= status < 400
        except (OSError, asyncio.IncompleteReadError):
            counts["socket_errors"] += 1
        finally:
            writer.close()

    await asyncio.gather(*(one_connection() for _ in range(connections)))
    return counts


def run_python(url: str, paths: list[str], args: argparse.Namespace) -> dict[str, Any]:
    """The fallback load generator: keep-alive connections over raw asyncio sockets."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    started = time.perf_counter()
    figures = asyncio.run(_python_load(host, int(port), paths, args.connections))
    figures["seconds"] = time.perf_counter() - started
    return figures


@contextmanager
def served(
    workdir: Path, database_url: str, secret: str, args: argparse.Namespace
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("HOOKLINE_")},
        "HOOKLINE_DATABASE_URL": database_url,
        "HOOKLINE_SECRET_KEY": secret,
        "HOOKLINE_SENDING_OUTBOX": str(workdir / "outbox"),
    }
    command = [sys.executable, "-m", "campaigns.cli", "serve", "--no-scheduler", "--port", "0"]
    command += ["--http", args.http, "--loop", args.loop, "--config", str(REPO / "config.toml")]
    server = subprocess.Popen(
        command, cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        first = server.stdout.readline()
        if not first.startswith("Serving "):
            raise SystemExit(f"hookline serve did not start: {first}{server.communicate()[1]}")
        yield server, first.split()[1]
    finally:
        if server.poll() is None:
            server.kill()
            server.communicate()


def main() -> None:
    args = parse_args()
    tool = args.tool or ("wrk" if shutil.which("wrk") else "python")
    if tool == "wrk" and not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk); or use --tool python")
    folder = Path(tempfile.mkdtemp(prefix="hookline-tracking-bench-"))
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        folder = args.keep
    secret = uuid.uuid4().hex
    try:
        with throwaway_database(folder, args.database_url) as database_url:
            kind = "postgresql" if args.database_url else "sqlite"
            t0 = time.perf_counter()
            rows = fill_ledger(database_url, (args.requests + 1) // 2)
            paths = token_paths(secret, rows, args.requests)
            paths_file = folder / "paths.txt"
            paths_file.write_text("\n".join(paths) + "\n", encoding="ascii")
            prepare = time.perf_counter() - t0
            with served(folder, database_url, secret, args) as (server, url):
                if tool == "wrk":
                    load = run_wrk(url, paths_file, args)
                else:
                    load = run_python(url, paths, args)
                rss = peak_rss_mb(server.pid)
                cpu = cpu_seconds(server.pid)
                stop_started = time.perf_counter()
                server.send_signal(signal.SIGTERM)
                _out, err = server.communicate(timeout=120)
                stop_seconds = time.perf_counter() - stop_started
                if server.returncode != 0:
                    print(err, file=sys.stderr)
            recorded = count_events(database_url)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    ok = load["answered"] - load["failed"]
    figures = {
        "database": kind,
        "tool": f"{tool} ({args.connections} connections)",
        "server": f"--http {args.http} --loop {args.loop}",
        "requests": load["sent"],
        "answered": load["answered"],
        "non_2xx_3xx": load["failed"],
        "socket_errors": load["socket_errors"],
        "events_recorded": recorded,
        "lost": ok - recorded,
        "load_seconds": round(load["seconds"], 2),
        "events_per_second": round(load["sent"] / load["seconds"]),
        "server_cpu_seconds": round(cpu, 1),
        "server_peak_rss_mb": round(rss, 1),
        "graceful_stop_seconds": round(stop_seconds, 2),
        "prepare_seconds": round(prepare, 1),
        "p50_ms": load.get("p50_ms"),
        "p99_ms": load.get("p99_ms"),
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(
        f"hookline serve tracking benchmark on {kind}: {args.requests:,} distinct requests "
        f"(half opens, half clicks), {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    for key, value in figures.items():
        print(f"  {key.replace('_', ' '):<22} {value}")
    rate = figures["events_per_second"]
    verdict = "met" if rate >= GOAL_RATE and figures["lost"] == 0 else "not met"
    print(f"goal, >= {GOAL_RATE:,.0f} events/s with none lost: {verdict}")


if __name__ == "__main__":
    main()
