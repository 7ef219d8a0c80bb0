"""Time ``hookline campaign send`` to an SMTP sink in another process, stage by stage.

    .venv/bin/python bench/send_bench.py                          # 10k and 100k, workers 1 and 2
    .venv/bin/python bench/send_bench.py --recipients 100000,1000000 --workers 2
    .venv/bin/python bench/send_bench.py --database postgresql --sink raw --json

For each audience size it fills a fresh database with that many consented contacts,
then for each ``--workers`` count creates a campaign from
``templates/en/jazz-sale.html.j2`` and times ``hookline campaign send`` as a
subprocess, from start to exit, against ``bench/smtp_sink.py`` running in a process of
its own. It reads the peak RSS of the send process and of each worker it starts, and
checks that the sink received every recipient exactly once.

Before that, one thread in this process times each stage of the pipeline over a few
thousand real ledger rows (render, text part, links, MIME, the whole composer, DKIM,
the ledger's commits, SMTP alone) and the CSS inlining done once per campaign. After
it, the ``mailmerge`` tool (PyPI) sends an equivalent template to the same kind of
sink, for comparison.

The issue's goals: at least 2,000 messages/s end to end on the 2-core development
machine, and peak memory that doesn't grow with the audience (under 300 MB for 1M
recipients). Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import importlib.util
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from process_watch import run_watched  # noqa: E402
from send_stages import print_stages, stage_figures  # noqa: E402 - beside this script
from smtp_sink import running_sink  # noqa: E402

TEMPLATE = REPO / "templates" / "en" / "jazz-sale.html.j2"
SENDER = "Hookline Records <news@shop.example.com>"
DKIM_KEY = REPO / "tests" / "fixtures" / "campaigns" / "dkim-test.key"
ADMIN_URL = os.environ.get(
    "HOOKLINE_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
GOAL_RATE = 2000.0
GOAL_MEMORY_MB = 300.0
GOAL_MEMORY_RECIPIENTS = 1_000_000

FIRST_NAMES = ("Lan", "Minh", "Hương", "Dũng", "Ngọc", "Trang", "Quân", "Oliver", "Amelia", "Vy")
LAST_NAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Smith", "Taylor")
CITIES = ("Hanoi", "Ho Chi Minh City", "Da Nang", "Hue", "Hai Phong", "London")
GENRES = ("bebop", "swing", "cool jazz", "fusion", "", "")
DOMAINS = ("example.com", "example.net", "example.org", "mail.example.vn")


def contact_row(index: int) -> dict[str, Any]:
    """Contact ``index``: a unique address, a name (often Vietnamese), a city, a genre."""
    genre = GENRES[index % len(GENRES)]
    return {
        "email": f"reader{index:07d}@{DOMAINS[index % len(DOMAINS)]}",
        "first_name": FIRST_NAMES[index % len(FIRST_NAMES)],
        "last_name": LAST_NAMES[index // 7 % len(LAST_NAMES)],
        "city": CITIES[index // 3 % len(CITIES)],
        "attrs": {"favourite_genre": genre} if genre else {},
    }


def fill_contacts(url: str, count: int) -> None:
    """Migrate the database at ``url`` and bulk-insert ``count`` consented contacts."""
    from sqlalchemy import insert, text

    from audiences.emails import address_hash
    from audiences.models import Contact, utcnow
    from campaigns.database import open_campaign_database

    db = open_campaign_database(url)
    now = utcnow()
    chunk = 20_000
    for start in range(0, count, chunk):
        rows = []
        for index in range(start, min(count, start + chunk)):
            row = contact_row(index)
            row.update(
                email_hash=address_hash(row["email"]),
                email_consent="granted",
                created_at=now,
                updated_at=now,
            )
            rows.append(row)
        with db.engine.begin() as connection:
            connection.execute(insert(Contact), rows)
    with db.engine.begin() as connection:
        connection.execute(text("ANALYZE"))
        if db.engine.dialect.name == "sqlite":
            # A copy of the file must hold everything: fold the WAL into it.
            connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    db.engine.dispose()


class Databases:
    """Audience databases: one filled per size, cloned for each run, all removed at the end."""

    def __init__(self, kind: str, folder: Path) -> None:
        self.kind = "sqlite" if kind == "sqlite" else "postgresql"
        self.folder = folder
        self.admin = ADMIN_URL if kind in ("sqlite", "postgresql") else kind
        self.prefix = f"hookline_bench_{uuid.uuid4().hex[:8]}"
        self.created: list[str] = []
        self.filled: dict[int, str] = {}

    def _url(self, name: str) -> str:
        if self.kind == "sqlite":
            return f"sqlite:///{self.folder / (name + '.db')}"
        return f"{self.admin.rsplit('/', 1)[0]}/{name}"

    def _admin(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self.admin, autocommit=True) as connection:
            connection.execute(statement)  # type: ignore[arg-type]

    def filled_with(self, count: int) -> str:
        """The URL of a database holding ``count`` contacts (filled on first use)."""
        if count not in self.filled:
            name = f"{self.prefix}_{count}"
            if self.kind == "postgresql":
                self._admin(f'CREATE DATABASE "{name}"')
            self.created.append(name)
            fill_contacts(self._url(name), count)
            self.filled[count] = name
        return self._url(self.filled[count])

    def clone(self, count: int, label: str) -> str:
        """A fresh copy of the ``count`` database for one run; its URL."""
        self.filled_with(count)
        source, name = self.filled[count], f"{self.prefix}_{label}"
        if self.kind == "sqlite":
            shutil.copyfile(self.folder / f"{source}.db", self.folder / f"{name}.db")
        else:
            self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
        self.created.append(name)
        return self._url(name)

    def drop(self, url: str) -> None:
        """Remove one database made here."""
        name = url.rsplit("/", 1)[1].removesuffix(".db")
        if name not in self.created:
            return
        self.created.remove(name)
        if self.kind == "sqlite":
            for path in self.folder.glob(f"{name}.db*"):
                path.unlink()
        else:
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def drop_all(self) -> None:
        """Remove every database made here."""
        for name in list(self.created):
            self.drop(self._url(name))

    def version(self) -> str:
        """The database engine and version, for the report."""
        if self.kind == "sqlite":
            return f"SQLite {sqlite3.sqlite_version}"
        import psycopg

        with psycopg.connect(self.admin) as connection:
            row = connection.execute("SHOW server_version").fetchone()
        return f"PostgreSQL {row[0] if row else '?'}"


def hookline_command() -> list[str]:
    """The installed ``hookline`` script, or the same entry point through Python."""
    script = Path(sys.executable).with_name("hookline")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "campaigns.cli"]


class Bench:
    """What every run shares: the folder, config, environment and options."""

    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.args = args
        self.work = work
        self.config = work / "config.toml"
        shutil.copy(REPO / "config.toml", self.config)
        env = {k: v for k, v in os.environ.items() if not k.startswith("HOOKLINE_")}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
        env["HOOKLINE_SECRET_KEY"] = "bench-" + uuid.uuid4().hex
        if args.connections:
            env["HOOKLINE_SMTP_CONNECTIONS"] = str(args.connections)
        if args.batch_size:
            env["HOOKLINE_SENDING_BATCH_SIZE"] = str(args.batch_size)
        if args.dkim:
            env["HOOKLINE_DKIM_DOMAIN"] = "shop.example.com"
            env["HOOKLINE_DKIM_SELECTOR"] = "bench"
            env["HOOKLINE_DKIM_KEY_FILE"] = str(DKIM_KEY)
        self.env = env
        self.runs = 0

    def settings(self, database_url: str, smtp_url: str = "") -> Any:
        """The campaign settings a send with this environment sees."""
        from campaigns.settings import campaign_settings_from_mapping
        from linter.config_file import read_config

        env = {**self.env, "HOOKLINE_DATABASE_URL": database_url, "HOOKLINE_SMTP_URL": smtp_url}
        return campaign_settings_from_mapping(read_config(self.config), env)

    def hookline(self, env: dict[str, str], *arguments: str) -> subprocess.CompletedProcess[str]:
        """Run a quick ``hookline`` command; exits the bench if it fails."""
        done = subprocess.run(
            [*hookline_command(), *arguments, "--config", str(self.config)],
            env=env, cwd=self.work, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            sys.exit(f"hookline {' '.join(arguments[:2])} failed: {done.stderr[-800:]}")
        return done

    def create_campaign(
        self, env: dict[str, str], name: str, audience: int
    ) -> tuple[list[str], float | None]:
        """Create the campaign; the options ``send`` needs (``--force`` on lint errors)
        and the peak RSS of ``campaign create`` (start-up, imports, the lint gate)."""
        command = [*hookline_command(), "campaign", "create", name, "--template", str(TEMPLATE)]
        command += ["--from", SENDER, "--json", "--config", str(self.config)]
        run = run_watched(command, env, self.work, 300)
        if run["exit_code"] != 0:
            sys.exit(f"hookline campaign create failed: {run['stderr']}")
        summary = json.loads(run["stdout"])
        if summary["audience_now"] != audience:
            sys.exit(f"campaign {name}: audience {summary['audience_now']}, expected {audience}")
        extra = ["--force", "--reason", "send benchmark"] if summary["lint_errors"] else []
        return extra, run["largest_rss_mb"]


def end_to_end(bench: Bench, databases: Databases, size: int, workers: int) -> dict[str, Any]:
    """One timed ``hookline campaign send`` of ``size`` recipients with ``workers``."""
    bench.runs += 1
    name = f"bench-{size}-w{workers}-{bench.runs}"
    url = databases.clone(size, f"run{bench.runs}")
    try:
        with running_sink(bench.args.sink) as sink:
            env = {**bench.env, "HOOKLINE_DATABASE_URL": url, "HOOKLINE_SMTP_URL": sink.url}
            extra, create_rss = bench.create_campaign(env, name, size)
            cpu_before = sink.cpu_seconds()
            command = [*hookline_command(), "campaign", "send", name, "--workers", str(workers)]
            run = run_watched(
                [*command, *extra, "--config", str(bench.config)],
                env, bench.work, bench.args.timeout, marker="Snapshot:",
            )  # fmt: skip
            sink_cpu = sink.cpu_seconds() - cpu_before
            received = sink.stop()
        report = json.loads(bench.hookline(env, "campaign", "report", name, "--json").stdout)
    finally:
        databases.drop(url)
    seconds = run["seconds"]
    snapshot = run["marker_seconds"]
    hookline_peak = sum(p["peak_rss_mb"] for p in run["processes"])
    return {
        "recipients": size,
        "workers": workers,
        "seconds": round(seconds, 2),
        "messages_per_second": round(size / seconds, 1),
        "until_snapshot_seconds": round(snapshot, 2) if snapshot is not None else None,
        "sending_messages_per_second": (
            round(size / (seconds - snapshot), 1) if snapshot is not None else None
        ),
        "exit_code": run["exit_code"],
        "timed_out": run["timed_out"],
        "cpu_seconds": run["cpu_seconds"],
        "sink_cpu_seconds": round(sink_cpu, 2),
        "processes": run["processes"],
        "peak_rss_mb_sum": round(hookline_peak, 1),
        "largest_rss_mb": run["largest_rss_mb"],
        "create_peak_rss_mb": create_rss,
        "ledger": {key: report.get(key) for key in ("sent", "bounced", "failed", "skipped")},
        "sink": received,
        "check": sink_check(received, size),
        "stderr": run["stderr"] if run["exit_code"] else "",
    }


def sink_check(received: dict[str, Any], expected: int) -> dict[str, Any]:
    """Did the sink get every recipient exactly once?"""
    messages = received.get("messages", -1)
    distinct = received.get("distinct_recipients", -1)
    recipients = received.get("recipients", -1)
    ok = messages == recipients == distinct == expected
    return {
        "ok": ok,
        "expected": expected,
        "messages": messages,
        "distinct_recipients": distinct,
        "lost": max(0, expected - distinct),
        "doubled": max(0, recipients - distinct),
    }


MAILMERGE_RUN = "import sys; from mailmerge.__main__ import main; sys.argv[0] = 'mailmerge'; main()"


def mailmerge_python(bench: Bench) -> tuple[str | None, str]:
    """A Python that has mailmerge: given, this one, or a throw-away venv; or why not."""
    if bench.args.mailmerge_python:
        return bench.args.mailmerge_python, "given"
    if importlib.util.find_spec("mailmerge") is not None:
        return sys.executable, "installed"
    venv = bench.work / "mailmerge-venv"
    print("installing mailmerge into a throw-away venv...", file=sys.stderr)
    for command in (
        [sys.executable, "-m", "venv", str(venv)],
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "mailmerge>=2.2"],
    ):
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            return None, f"could not install mailmerge: {done.stderr.strip()[-300:]}"
    return str(venv / "bin" / "python"), "throw-away venv"


def mailmerge_figures(bench: Bench, count: int) -> dict[str, Any]:
    """``mailmerge`` sending an equivalent template to ``count`` contacts via a sink."""
    python, how = mailmerge_python(bench)
    if python is None:
        return {"skipped": how}
    version = subprocess.run(
        [python, "-c", "import importlib.metadata as m; print(m.version('mailmerge'))"],
        capture_output=True, text=True, check=False,
    ).stdout.strip()  # fmt: skip
    from linter.document import parse_document

    folder = bench.work / "mailmerge"
    folder.mkdir(exist_ok=True)
    document = parse_document(str(TEMPLATE), TEMPLATE.read_text(encoding="utf-8"))
    # mailmerge's rows are flat, and it has no preheader, text part or link tracking.
    body = document.body.replace("attrs.favourite_genre", "favourite_genre")
    subject = document.front.subject or ""
    (folder / "template.txt").write_text(
        f"TO: {{{{ email }}}}\nSUBJECT: {subject}\nFROM: {SENDER}\n"
        f"Content-Type: text/html\n\n{body}",
        encoding="utf-8",
    )
    columns = ("email", "first_name", "city", "favourite_genre", "offer_code")
    with (folder / "database.csv").open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow((*columns, "unsubscribe_url", "view_url"))
        for index in range(count):
            row = contact_row(index)
            token = hashlib.sha256(row["email"].encode()).hexdigest()[:43]
            writer.writerow(
                (
                    row["email"], row["first_name"], row["city"],
                    row["attrs"].get("favourite_genre", ""), f"JAZZ-{token[:8].upper()}",
                    f"http://127.0.0.1:8025/u/{token}", f"http://127.0.0.1:8025/v/{token}",
                )
            )  # fmt: skip
    with running_sink(bench.args.sink) as sink:
        (folder / "server.conf").write_text(
            f"[smtp_server]\nhost = 127.0.0.1\nport = {sink.port}\nsecurity = Never\n"
            "ratelimit = 0\n"
        )
        command = [python, "-c", MAILMERGE_RUN, "--no-limit", "--no-dry-run"]
        command += ["--output-format", "raw", "--template", str(folder / "template.txt")]
        command += ["--database", str(folder / "database.csv")]
        command += ["--config", str(folder / "server.conf")]
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        run = run_watched(command, env, folder, bench.args.timeout, keep_stdout=False)
        received = sink.stop()
    seconds = run["seconds"]
    return {
        "version": version,
        "python": how,
        "recipients": count,
        "seconds": round(seconds, 2),
        "messages_per_second": round(count / seconds, 1),
        "exit_code": run["exit_code"],
        "peak_rss_mb": run["largest_rss_mb"],
        "sink": received,
        "check": sink_check(received, count),
        "stderr": run["stderr"] if run["exit_code"] else "",
    }


def machine() -> dict[str, Any]:
    """Cores, CPU model, Python and OS."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.machine()}",
        # Another busy process on a 2-core machine halves the figures: say so.
        "load_average_at_start": round(os.getloadavg()[0], 2),
    }


def print_runs(runs: list[dict[str, Any]]) -> None:
    """The end-to-end table."""
    print("\nend to end: `hookline campaign send` as a subprocess, from start to exit")
    print(
        f"{'recipients':>10}{'workers':>8}{'seconds':>9}{'msgs/s':>8}{'snapshot s':>11}"
        f"{'send msgs/s':>12}  {'CPU µs/msg':<12}{'peak RSS MB':<14}sink check"
    )
    for run in runs:
        peaks = " + ".join(f"{p['peak_rss_mb']:.0f}" for p in run["processes"]) or "?"
        check = run["check"]
        verdict = "ok: each recipient once" if check["ok"] else (
            f"WRONG: {check['messages']} messages, {check['lost']} lost, "
            f"{check['doubled']} doubled"
        )  # fmt: skip
        snapshot, sending = run["until_snapshot_seconds"], run["sending_messages_per_second"]
        scale = 1e6 / run["recipients"]
        cpu = f"{(run['cpu_seconds'] or 0) * scale:.0f} + {run['sink_cpu_seconds'] * scale:.0f}"
        print(
            f"{run['recipients']:>10}{run['workers']:>8}{run['seconds']:>9.1f}"
            f"{run['messages_per_second']:>8.0f}"
            f"{'-' if snapshot is None else f'{snapshot:.1f}':>11}"
            f"{'-' if sending is None else f'{sending:.0f}':>12}"
            f"  {cpu:<12}{peaks:<14}{verdict}"
        )
        if run["exit_code"]:
            print(f"    exit {run['exit_code']}: {run['stderr'].strip()[-300:]}")
    print(
        "snapshot s: until `Snapshot: N recipients queued.` (start-up, imports, lint gate,\n"
        "  snapshot); send msgs/s: the rate after it. CPU µs/msg: the send and its workers\n"
        "  + the sink. peak RSS: the send process, then each worker process it started."
    )
    baseline = [run["create_peak_rss_mb"] for run in runs if run.get("create_peak_rss_mb")]
    if baseline:
        print(
            "  For scale, `hookline campaign create` (start-up, imports, lint gate) peaks at "
            f"{max(baseline):.0f} MB."
        )


def print_mailmerge(merge: dict[str, Any], ratios: list[dict[str, Any]]) -> None:
    """The mailmerge line and the ratios."""
    if "skipped" in merge:
        print(f"\nmailmerge: skipped ({merge['skipped']})")
        return
    check = "ok: each recipient once" if merge["check"]["ok"] else "WRONG"
    print(
        f"\nmailmerge {merge['version']} ({merge['python']}), same sink: "
        f"{merge['recipients']} recipients in {merge['seconds']:.1f} s, "
        f"{merge['messages_per_second']:.0f} msgs/s, peak RSS {merge['peak_rss_mb']:.0f} MB, "
        f"sink check {check}"
    )
    if merge["exit_code"]:
        print(f"    exit {merge['exit_code']}: {merge['stderr'].strip()[-300:]}")
    for ratio in ratios:
        print(
            f"  hookline / mailmerge, {ratio['recipients']} recipients, --workers "
            f"{ratio['workers']}: {ratio['ratio']:.2f}"
        )


def _largest(run: dict[str, Any]) -> float:
    return max((process["peak_rss_mb"] for process in run["processes"]), default=0.0)


def goals(runs: list[dict[str, Any]]) -> list[str]:
    """The issue's goals against the figures."""
    lines = []
    good = [run for run in runs if not run["exit_code"] and run["check"]["ok"]]
    if good:
        best = max(good, key=lambda run: run["messages_per_second"])
        verdict = "met" if best["messages_per_second"] >= GOAL_RATE else "not met"
        lines.append(
            f"goal, at least {GOAL_RATE:,.0f} msgs/s end to end: {verdict} (best "
            f"{best['messages_per_second']:,.0f} msgs/s: {best['recipients']} recipients, "
            f"--workers {best['workers']})"
        )
    for workers in sorted({run["workers"] for run in good}):
        sizes = sorted(
            (run for run in good if run["workers"] == workers), key=lambda run: run["recipients"]
        )
        described = ", ".join(
            f"{r['recipients']}: {_largest(r):.0f} MB ({r['peak_rss_mb_sum']:.0f} MB)"
            for r in sizes
        )
        lines.append(f"peak RSS, largest process (all processes), --workers {workers}: {described}")
        big = [run for run in sizes if run["recipients"] >= GOAL_MEMORY_RECIPIENTS]
        if big:
            largest, together = _largest(big[-1]), big[-1]["peak_rss_mb_sum"]
            lines.append(
                f"  goal, under {GOAL_MEMORY_MB:.0f} MB for 1M recipients: largest process "
                f"{'met' if largest < GOAL_MEMORY_MB else 'not met'}, all processes "
                f"{'met' if together < GOAL_MEMORY_MB else 'not met'}"
            )
    if good and all(run["recipients"] < GOAL_MEMORY_RECIPIENTS for run in good):
        lines.append("(add 1000000 to --recipients to check the 300 MB goal for 1M recipients)")
    return lines


def print_report(result: dict[str, Any]) -> None:
    """Every table, for people."""
    info = result["machine"]
    print(
        f"hookline send benchmark: {TEMPLATE.relative_to(REPO)} to an SMTP sink "
        f"({result['sink_kind']}) in another process; {result['database']}"
    )
    print(
        f"machine: {info['cpus']} CPUs ({info['cpu_model'] or 'unknown'}), "
        f"Python {info['python']}, {info['system']}; load average at start "
        f"{info['load_average_at_start']}"
    )
    print(
        f"[smtp] connections {result['connections']}, [sending] batch-size "
        f"{result['batch_size']}, DKIM {'on' if result['dkim'] else 'off'}"
    )
    if "stages" in result:
        print_stages(result["stages"], info["cpus"] or 1, GOAL_RATE)
    print_runs(result["runs"])
    if "mailmerge" in result:
        print_mailmerge(result["mailmerge"], result.get("ratios", []))
    print()
    for line in result["goals"]:
        print(line)


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--recipients", default="10000,100000", help="audience sizes, comma-separated"
    )
    parser.add_argument("--workers", default="1,2", help="--workers values, comma-separated")
    parser.add_argument(
        "--database", default="sqlite",
        help="sqlite, postgresql, or a postgresql:// admin URL where hookline_bench_* "
        "databases are created and dropped",
    )  # fmt: skip
    parser.add_argument("--sink", choices=("aiosmtpd", "raw"), default="aiosmtpd")
    parser.add_argument("--connections", type=int, help="[smtp] connections (default: config)")
    parser.add_argument("--batch-size", type=int, help="[sending] batch-size (default: config)")
    parser.add_argument("--dkim", action="store_true", help="sign with the test DKIM key")
    parser.add_argument("--stage-messages", type=int, default=2000, help="recipients per stage")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many, per stage")
    parser.add_argument("--no-stages", action="store_true", help="skip the per-stage figures")
    parser.add_argument("--mailmerge-recipients", type=int, default=5000, help="0: skip it")
    parser.add_argument("--mailmerge-python", help="a Python with mailmerge (skips the install)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds allowed per send")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    args = parser.parse_args(argv)
    try:
        args.sizes = [int(size) for size in args.recipients.split(",")]
        args.worker_counts = [int(count) for count in args.workers.split(",")]
    except ValueError:
        parser.error("--recipients and --workers take comma-separated numbers")
    if args.database not in ("sqlite", "postgresql") and not args.database.startswith(
        ("postgresql://", "postgres://")
    ):
        parser.error("--database: sqlite, postgresql or a postgresql:// URL")
    return args


def say(message: str) -> None:
    """Progress, on stderr so that --json output stays clean."""
    print(message, file=sys.stderr, flush=True)


def run_all(bench: Bench, databases: Databases, result: dict[str, Any]) -> None:
    """Stages, then each size and worker count, then mailmerge; results into ``result``."""
    args = bench.args
    if not args.no_stages:
        say(f"stages over {args.stage_messages} recipients...")
        url = databases.clone(args.stage_messages, "stages")
        try:
            env = {**bench.env, "HOOKLINE_DATABASE_URL": url}
            bench.create_campaign(env, "stages", args.stage_messages)
            result["stages"] = stage_figures(
                url, "stages", bench.settings(url), env["HOOKLINE_SECRET_KEY"],
                args.repeat, args.sink, DKIM_KEY,
            )  # fmt: skip
        finally:
            databases.drop(url)
    for size in args.sizes:
        say(f"filling a database with {size} contacts...")
        started = time.perf_counter()
        databases.filled_with(size)
        say(f"  {time.perf_counter() - started:.1f} s")
        for workers in args.worker_counts:
            say(f"sending to {size} recipients with --workers {workers}...")
            run = end_to_end(bench, databases, size, workers)
            check = "ok" if run["check"]["ok"] else "WRONG"
            say(f"  {run['seconds']:.1f} s, {run['messages_per_second']:.0f} msgs/s, sink {check}")
            result["runs"].append(run)
    if args.mailmerge_recipients:
        say(f"mailmerge to {args.mailmerge_recipients} recipients...")
        merge = mailmerge_figures(bench, args.mailmerge_recipients)
        result["mailmerge"] = merge
        rate = merge.get("messages_per_second")
        result["ratios"] = [
            {
                "recipients": run["recipients"],
                "workers": run["workers"],
                "ratio": round(run["messages_per_second"] / rate, 2),
            }
            for run in result["runs"]
            if rate and run["recipients"] == max(args.sizes)
        ]


def main(argv: list[str] | None = None) -> int:
    """Fill the databases, time the stages, the sends and mailmerge, print."""
    args = parse_arguments(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="hookline-send-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    os.chdir(work)  # the lint gate reads ./config.toml, and var/ lands here
    bench = Bench(args, work)
    databases = Databases(args.database, work)
    settings = bench.settings("sqlite://")
    result: dict[str, Any] = {
        "machine": machine(),
        "database": databases.version(),
        "sink_kind": args.sink,
        "connections": settings.smtp.connections,
        "batch_size": settings.batch_size,
        "dkim": args.dkim,
        "runs": [],
    }
    try:
        run_all(bench, databases, result)
    finally:
        databases.drop_all()
        os.chdir(REPO)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    result["goals"] = goals(result["runs"])
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        print_report(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
