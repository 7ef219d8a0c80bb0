"""Benchmark the audiences: import 1M contacts and 2M orders, then count segments.

    .venv/bin/python bench/audiences_bench.py                          # full size
    .venv/bin/python bench/audiences_bench.py --contacts 50000 --orders 100000
    .venv/bin/python bench/audiences_bench.py --databases sqlite --keep /tmp/bench

Generates the two CSV files (deterministic for a seed) in a temporary folder, then on
each database (an SQLite file, and a fresh PostgreSQL database it creates and drops)
imports the contacts, imports the orders (which recomputes the metrics and tiers) and
times common segment counts, each among the contacts sendable by e-mail, best of 3.
Each import runs in its own process, so the peak RSS printed is that step's own.
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing
import os
import platform
import random
import resource
import sys
import tempfile
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

GOAL_IMPORT_SECONDS = 120.0
# The default configured time zone, in which the generated order times are written.
VN = ZoneInfo("Asia/Ho_Chi_Minh")
GOAL_COUNT_SECONDS = 0.3
ADMIN_URL = os.environ.get(
    "HOOKLINE_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
SEGMENTS = (
    ("everyone sendable (empty query)", ""),
    ('city = "Hanoi"', 'city = "Hanoi"'),
    ('tier in ("Gold", "Platinum")', 'tier in ("Gold", "Platinum")'),
    ("last_purchase_at >= 90 days ago", "last_purchase_at >= 90 days ago"),
    ('tag "vip"', 'tag "vip"'),
)

# Family names with their rough share among Vietnamese people, then English ones.
VI_FAMILY = (
    ("Nguyễn", 38), ("Trần", 11), ("Lê", 10), ("Phạm", 7), ("Hoàng", 5), ("Huỳnh", 5),
    ("Phan", 5), ("Vũ", 4), ("Võ", 4), ("Đặng", 2), ("Bùi", 2), ("Đỗ", 2), ("Hồ", 1),
    ("Ngô", 1), ("Dương", 1), ("Lý", 1),
)  # fmt: skip
VI_GIVEN = (
    "An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hiếu", "Hoa", "Hùng",
    "Hương", "Khánh", "Lan", "Linh", "Long", "Mai", "Minh", "Nam", "Ngọc", "Phong",
    "Phương", "Quân", "Quang", "Sơn", "Tâm", "Thảo", "Thắng", "Trang", "Trung", "Tuấn",
    "Vy", "Yến",
)  # fmt: skip
EN_FAMILY = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
    "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green",
)  # fmt: skip
EN_GIVEN = (
    "Oliver", "Amelia", "Jack", "Olivia", "Harry", "Emily", "George", "Isla", "Noah",
    "Ava", "Charlie", "Jessica", "Thomas", "Lily", "Oscar", "Sophie",
)  # fmt: skip
VI_CITIES = (
    ("Ho Chi Minh City", 35), ("Hanoi", 30), ("Da Nang", 8), ("Hai Phong", 6),
    ("Can Tho", 4), ("Hue", 3), ("Nha Trang", 3), ("Vung Tau", 2),
)  # fmt: skip
EN_CITIES = (("London", 40), ("Manchester", 15), ("Birmingham", 15), ("Leeds", 10),
             ("Glasgow", 10), ("Bristol", 10))  # fmt: skip
VI_STREETS = ("Hàng Bài", "Đồng Khởi", "Lê Lợi", "Trần Hưng Đạo", "Nguyễn Huệ", "Bà Triệu")
EN_STREETS = ("High Street", "Station Road", "Church Lane", "Victoria Road", "Mill Lane")
DOMAINS = ("gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "fpt.vn", "vnn.vn")
TAGS = (("newsletter", 0.40), ("student", 0.10), ("lapsed", 0.08), ("vip", 0.05),
        ("wholesale", 0.03))  # fmt: skip
GENRES = ("jazz", "pop", "classical", "rock", "bolero", "nhạc trẻ", "indie")
STORES = ("Hàng Bài", "Đồng Khởi", "online", "Oxford Street")
CATEGORIES = ("books", "music", "films", "stationery", "gifts")
CONTACT_COLUMNS = (
    "email", "first_name", "last_name", "gender", "birthday", "city", "country",
    "address_line1", "postcode", "timezone", "tags", "consent", "favourite_genre",
    "loyalty_points", "store",
)  # fmt: skip
ORDER_COLUMNS = ("email", "order_id", "amount", "ordered_at", "category")
# Share of contacts who have bought something; the rest have no orders and no tier.
BUYERS = 0.6


def _weighted(pairs: tuple[tuple[str, int], ...]) -> list[str]:
    return [name for name, weight in pairs for _ in range(weight)]


def _ascii(text: str) -> str:
    text = text.replace("Đ", "D").replace("đ", "d")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if c.isascii()).lower()


_VI_FAMILY = _weighted(VI_FAMILY)
_VI_CITIES = _weighted(VI_CITIES)
_EN_CITIES = _weighted(EN_CITIES)


def _mix(index: int, seed: int) -> int:
    """A well-spread integer from an index, so a contact's address is a pure function."""
    value = (index * 0x9E3779B97F4A7C15 + seed * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    value ^= value >> 31
    value = (value * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return value ^ (value >> 29)


def contact_name(index: int, seed: int) -> tuple[str, str, bool]:
    """(given name, family name, Vietnamese?) of contact ``index``."""
    mixed = _mix(index, seed)
    vietnamese = mixed % 10 < 8
    if vietnamese:
        return (
            VI_GIVEN[(mixed >> 8) % len(VI_GIVEN)],
            _VI_FAMILY[(mixed >> 16) % len(_VI_FAMILY)],
            True,
        )
    return EN_GIVEN[(mixed >> 8) % len(EN_GIVEN)], EN_FAMILY[(mixed >> 16) % len(EN_FAMILY)], False


def contact_email(index: int, seed: int) -> str:
    """The address of contact ``index`` (unique: the index is part of it)."""
    given, family, _ = contact_name(index, seed)
    domain = DOMAINS[(_mix(index, seed) >> 24) % len(DOMAINS)]
    return f"{_ascii(given)}.{_ascii(family)}{index}@{domain}"


def write_contacts(path: Path, count: int, seed: int) -> None:
    """Write ``count`` contacts, with about 0.2% bad addresses and 0.3% case duplicates."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(CONTACT_COLUMNS)
        for index in range(count):
            given, family, vietnamese = contact_name(index, seed)
            email = contact_email(index, seed)
            roll = rng.random()
            if roll < 0.002:
                email = email.replace("@", " at ")
            elif roll < 0.005 and index:
                email = contact_email(rng.randrange(index), seed).upper()
            city = rng.choice(_VI_CITIES if vietnamese else _EN_CITIES)
            street = rng.choice(VI_STREETS if vietnamese else EN_STREETS)
            tags = ";".join(tag for tag, share in TAGS if rng.random() < share)
            consent = rng.random()
            writer.writerow(
                (
                    email,
                    given,
                    family,
                    rng.choice(("female", "male", "")),
                    f"{rng.randint(1950, 2006)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
                    if rng.random() < 0.7
                    else "",
                    city,
                    "VN" if vietnamese else "GB",
                    f"{rng.randint(1, 300)} {street}",
                    f"{rng.randint(10000, 99999)}" if vietnamese else "",
                    ("Asia/Ho_Chi_Minh" if vietnamese else "Europe/London")
                    if rng.random() < 0.5
                    else "",
                    tags,
                    "yes" if consent < 0.6 else "no" if consent < 0.75 else "",
                    rng.choice(GENRES) if rng.random() < 0.5 else "",
                    str(rng.randint(0, 5000)) if rng.random() < 0.4 else "",
                    rng.choice(STORES) if rng.random() < 0.3 else "",
                )
            )


def write_orders(path: Path, count: int, contacts: int, seed: int, now: datetime) -> None:
    """Write ``count`` orders over the last three years by the first 60% of contacts.

    Purchases are skewed: low contact numbers buy far more often, as loyal customers do.
    """
    rng = random.Random(seed + 1)
    buyers = max(1, int(contacts * BUYERS))
    start = now - timedelta(days=3 * 365)
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(ORDER_COLUMNS)
        for number in range(count):
            # Each buyer gets one order first, the rest go by a skewed draw.
            index = number if number < buyers else int(buyers * rng.random() ** 2)
            amount = rng.randint(50, 5000) * 1000
            moment = start + timedelta(seconds=rng.randrange(3 * 365 * 86400))
            writer.writerow(
                (
                    contact_email(index, seed) if rng.random() > 0.001 else f"ghost{number}@x.vn",
                    f"ORD-{number:09d}",
                    f"{amount:,}" if number % 2 else str(amount),
                    moment.strftime("%Y-%m-%d %H:%M:%S"),
                    rng.choice(CATEGORIES),
                )
            )


def _peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux (bytes on macOS).
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 1e6


Figures = tuple[float, int, int, float, float]


def _import_step(kind: str, url: str, path: str, queue: Any) -> None:
    """One import in a child process.

    Puts (seconds, rows, rejected, peak RSS MB, seconds spent recomputing metrics).
    """
    from audiences import order_import
    from audiences.contact_import import import_contacts
    from audiences.db import open_database
    from audiences.settings import AudienceSettings

    metrics_seconds = 0.0
    recompute = getattr(order_import, "recompute_metrics")  # noqa: B009 - patched below

    def timed_recompute(*args: Any, **kwargs: Any) -> None:
        nonlocal metrics_seconds
        started = time.perf_counter()
        recompute(*args, **kwargs)
        metrics_seconds = time.perf_counter() - started

    setattr(order_import, "recompute_metrics", timed_recompute)  # noqa: B010 - to time it
    db = open_database(url)
    importer: Callable[..., Any] = (
        import_contacts if kind == "contacts" else order_import.import_orders
    )
    started = time.perf_counter()
    result = importer(db, Path(path), AudienceSettings(database_url=url))
    seconds = time.perf_counter() - started
    db.engine.dispose()
    queue.put((seconds, result.rows, result.rejected, _peak_rss_mb(), metrics_seconds))


def run_import(kind: str, url: str, path: Path) -> Figures:
    """Run one import in a fresh process and return its figures."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_import_step, args=(kind, url, str(path), queue))
    process.start()
    figures: Figures = queue.get()
    process.join()
    return figures


def time_counts(url: str) -> Iterator[tuple[str, int, float]]:
    """(segment, count, best seconds of 3) for each of :data:`SEGMENTS`."""
    from sqlalchemy import and_, func, select

    from audiences.db import open_database
    from audiences.models import Contact
    from audiences.segment_query import segment_filter  # type: ignore[import-not-found,unused-ignore]
    from audiences.sendable import sendable
    from audiences.settings import AudienceSettings

    settings = AudienceSettings(database_url=url)
    db = open_database(url)
    with db.session() as session:
        for label, query in SEGMENTS:
            statement = (
                select(func.count())
                .select_from(Contact)
                .where(and_(segment_filter(session, query, settings), sendable("email")))
            )
            best, total = float("inf"), 0
            for _ in range(3):
                started = time.perf_counter()
                total = int(session.scalar(statement) or 0)
                best = min(best, time.perf_counter() - started)
            yield label, total, best
    db.engine.dispose()


def bench_database(name: str, url: str, contacts: Path, orders: Path) -> None:
    """Import both files into the database at ``url`` and time the segment counts."""
    print(f"\n{name}")
    print(f"{'step':<38}{'rows':>10}{'rejected':>10}{'seconds':>9}{'rows/s':>10}{'peak RSS':>11}")
    for kind, path in (("contacts", contacts), ("orders", orders)):
        seconds, rows, rejected, rss, metrics = run_import(kind, url, path)
        label = f"import {kind}" + (" (+ metrics, tiers)" if kind == "orders" else "")
        verdict = "" if seconds <= GOAL_IMPORT_SECONDS else "  (goal 120 s: not met)"
        print(
            f"{label:<38}{rows:>10}{rejected:>10}{seconds:>9.1f}{rows / seconds:>10.0f}"
            f"{rss:>8.0f} MB{verdict}"
        )
        if metrics:
            print(f"{'  of which recompute_metrics':<58}{metrics:>9.1f}")
    try:
        counts = list(time_counts(url))
    except ImportError as exc:
        print(f"segment counts skipped: {exc}")
        return
    print(f"{'segment count (sendable by e-mail)':<38}{'count':>10}{'best of 3':>19}")
    for label, total, seconds in counts:
        verdict = (
            "" if seconds <= GOAL_COUNT_SECONDS else f"  (goal {GOAL_COUNT_SECONDS} s: not met)"
        )
        print(f"{label:<38}{total:>10}{seconds:>17.3f} s{verdict}")


def _postgres_database() -> tuple[str, Callable[[], None]]:
    import psycopg

    name = f"hookline_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"{ADMIN_URL.rsplit('/', 1)[0]}/{name}", drop


def main(argv: list[str] | None = None) -> int:
    """Generate the files, then bench each database asked for."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=2_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated")
    parser.add_argument("--keep", type=Path, help="write the CSV files and SQLite file here")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="hookline-bench-") as temporary:
        folder = args.keep or Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        contacts, orders = folder / "contacts.csv", folder / "orders.csv"
        print(
            f"hookline audiences benchmark: {args.contacts} contacts, {args.orders} orders "
            f"(seed {args.seed})"
        )
        print(
            f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
            f"{platform.system()} {platform.machine()}"
        )
        started = time.perf_counter()
        write_contacts(contacts, args.contacts, args.seed)
        write_orders(
            orders, args.orders, args.contacts, args.seed, datetime.now(VN).replace(tzinfo=None)
        )
        print(
            f"generated the files in {time.perf_counter() - started:.1f} s "
            f"({contacts.stat().st_size / 1e6:.0f} MB + {orders.stat().st_size / 1e6:.0f} MB)"
        )
        for name in args.databases.split(","):
            if name == "sqlite":
                database = folder / "bench.db"
                for stale in folder.glob("bench.db*"):
                    stale.unlink()
                bench_database("SQLite", f"sqlite:///{database}", contacts, orders)
            elif name == "postgresql":
                url, drop = _postgres_database()
                try:
                    bench_database("PostgreSQL", url, contacts, orders)
                finally:
                    drop()
            else:
                parser.error(f"unknown database {name!r}; use sqlite and/or postgresql")
    return 0


if __name__ == "__main__":
    sys.exit(main())
