"""Demo data for ``hookline serve --demo`` (what ``make run`` starts), loaded once.

On the first start (a database without contacts) it imports a few hundred made-up
contacts and their orders through the same CSV imports a marketer uses, saves two
segments, and creates a draft campaign from each example template, so the web app
has something to show from its first page. The data is generated from a fixed seed:
every newcomer sees the same shop. Later starts change nothing.
"""

from __future__ import annotations

import csv
import random
import unicodedata
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select

from audiences.contact_import import import_contacts
from audiences.db import Database
from audiences.models import Contact
from audiences.order_import import import_orders
from audiences.segment_errors import SegmentError
from audiences.segments import save_segment
from campaigns.campaign_store import CampaignError, create_campaign
from campaigns.models import Campaign
from campaigns.settings import CampaignSettings
from campaigns.web.web_settings import WebSettings
from linter.config import load_linter_config
from linter.config_file import ConfigError

CONTACTS = 300
SEED = 2026
SENDER = "Hookline Records <news@hookline.example>"
SEGMENTS = {
    "jazz-fans": 'tag "jazz"',
    "best-customers": 'tier in ("Gold", "Platinum")',
}
# Example templates that become draft campaigns, with the segment each goes to.
DRAFTS = {
    "en/jazz-sale.html.j2": ("jazz-sale", "jazz-fans"),
    "vi/khuyen-mai-jazz.html.j2": ("khuyen-mai-jazz", "jazz-fans"),
    "vi/thu-tri-an.html.j2": ("thu-tri-an", "best-customers"),
    "letters/reply-card-gift.html.j2": ("reply-card-gift", "best-customers"),
}
_FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Smith", "Lee"]
_GIVEN = ["An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hải", "Hương", "Khoa", "Lan", "Linh",
          "Minh", "Nam", "Ngọc", "Phúc", "Quân", "Tâm", "Thảo", "Trang", "Tuấn", "Vy",
          "Emma", "Oliver", "Mia"]  # fmt: skip
_CITIES = [("Hanoi", "100000"), ("Huế", "530000"), ("Saigon", "700000"), ("Đà Nẵng", "550000")]
_STREETS = ["Hàng Bài", "Lê Lợi", "Trần Phú", "Nguyễn Huệ", "Hai Bà Trưng", "Lý Thường Kiệt"]
_GENRES = ["bebop", "swing", "cool jazz", "fusion", "bossa nova", "baroque", "romantic"]
_CATEGORIES = ["vinyl", "cd", "concert", "merch"]


def _slug(text: str) -> str:
    """ "Nguyễn" -> "nguyen": the accents dropped, for made-up addresses."""
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("đ", "d"))
    return "".join(c for c in decomposed if c.isascii() and c.isalnum())


def write_demo_files(folder: Path, today: date) -> tuple[Path, Path]:
    """Write the demo contacts and orders CSV files into ``folder``; returns both paths."""
    rng = random.Random(SEED)
    folder.mkdir(parents=True, exist_ok=True)
    contacts_path, orders_path = folder / "demo-contacts.csv", folder / "demo-orders.csv"
    emails: list[str] = []
    with contacts_path.open("w", newline="", encoding="utf-8") as file:
        out = csv.writer(file)
        out.writerow(["email", "first_name", "last_name", "city", "country", "address_line1",
                      "postcode", "birthday", "consent", "tags", "favourite_genre"])  # fmt: skip
        for n in range(CONTACTS):
            given, family = rng.choice(_GIVEN), rng.choice(_FAMILY)
            email = f"{_slug(given)}.{_slug(family)}{n}@example.com"
            city, postcode = rng.choice(_CITIES)
            genre = rng.choice(_GENRES)
            tags = ["jazz" if genre not in ("baroque", "romantic") else "classical"]
            if rng.random() < 0.1:
                tags.append("vip")
            born = date(1960, 1, 1) + timedelta(days=rng.randrange(365 * 45))
            consent = "yes" if rng.random() < 0.9 else "no"
            street = f"{rng.randrange(1, 200)} {rng.choice(_STREETS)}"
            out.writerow([email, given, family, city, "VN", street, postcode,
                          born.isoformat(), consent, ";".join(tags), genre])  # fmt: skip
            emails.append(email)
    with orders_path.open("w", newline="", encoding="utf-8") as file:
        out = csv.writer(file)
        out.writerow(["email", "order_id", "amount", "ordered_at", "category"])
        number = 0
        for email in emails:
            # A long tail: most buy once or twice, a few buy often (the pyramid's top).
            for _ in range(min(int(rng.paretovariate(1.3)) - 1, 12)):
                number += 1
                when = today - timedelta(days=rng.randrange(1, 700))
                amount = rng.randrange(8, 120) * 10_000
                out.writerow([email, f"DEMO-{number:05d}", amount, when.isoformat(),
                              rng.choice(_CATEGORIES)])  # fmt: skip
    return contacts_path, orders_path


def seed_demo(
    db: Database, settings: CampaignSettings, web: WebSettings, config_path: Path | None
) -> Iterator[str]:
    """Load the demo data when the database has no contacts; yields what it did."""
    with db.session() as session:
        if session.scalar(select(func.count()).select_from(Contact)):
            return
    contacts_file, orders_file = write_demo_files(web.uploads / "demo", date.today())
    contacts = import_contacts(db, contacts_file, settings.audience)
    orders = import_orders(db, orders_file, settings.audience)
    yield (
        f"Demo data: {contacts.imported} contacts and {orders.imported} orders "
        f"(from {contacts_file} and {orders_file})."
    )
    try:
        lint_config = load_linter_config(config_path)
    except ConfigError:
        lint_config = None
    with db.session() as session, session.begin():
        for name, query in SEGMENTS.items():
            save_segment(session, name, query)
        made = []
        for relative, (name, segment) in DRAFTS.items():
            template = web.templates_dir / relative
            exists = session.scalar(select(Campaign.id).where(Campaign.name == name))
            if exists is not None or not template.is_file():
                continue
            try:
                create_campaign(
                    session,
                    name,
                    template,
                    f"@{segment}",
                    SENDER,
                    lint_config=lint_config,
                    return_address=settings_return_address(config_path),
                )
            except (CampaignError, SegmentError) as exc:
                yield f"Demo data: no draft from {template}: {exc}"
                continue
            made.append(name)
    yield f"Demo data: saved segments {', '.join(SEGMENTS)}; draft campaigns {', '.join(made)}."


def settings_return_address(config_path: Path | None) -> tuple[str, ...]:
    """``[letters] return-address``, for the letter drafts."""
    from campaigns.letters.letter_settings import load_letter_settings

    try:
        return load_letter_settings(config_path).return_address
    except ConfigError:
        return ()
