"""``hookline serve --demo``: demo data on the first start, and never again."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from audiences.models import Contact, Order, Segment
from campaigns.database import open_campaign_database
from campaigns.models import Campaign
from campaigns.settings import load_campaign_settings
from campaigns.web.demo_seed import CONTACTS, DRAFTS, SEGMENTS, seed_demo, write_demo_files
from campaigns.web.web_settings import WebSettings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(ROOT / "config.toml", tmp_path / "config.toml")
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_first_start_loads_contacts_orders_segments_and_drafts_once(site: Path) -> None:
    settings = load_campaign_settings(site / "config.toml")
    db = open_campaign_database(f"sqlite:///{site / 'hookline.db'}")
    web = WebSettings(uploads=site / "var" / "uploads")
    try:
        said = list(seed_demo(db, settings, web, site / "config.toml"))
        assert said[0].startswith(f"Demo data: {CONTACTS} contacts and ")
        with db.session() as session:
            assert session.scalar(select(func.count()).select_from(Contact)) == CONTACTS
            orders = session.scalar(select(func.count()).select_from(Order)) or 0
            assert orders > CONTACTS  # a long tail: some contacts buy often
            assert set(session.scalars(select(Segment.name))) == set(SEGMENTS)
            drafts = {c.name: c for c in session.scalars(select(Campaign))}
            assert set(drafts) == {name for name, _ in DRAFTS.values()}
            assert {c.state for c in drafts.values()} == {"draft"}
            assert drafts["jazz-sale"].segment == "@jazz-fans"
            assert drafts["reply-card-gift"].channel == "letter"
            # The example templates lint clean, so every draft's gate is open.
            assert {c.lint_errors for c in drafts.values()} == {0}
        # A second start finds contacts and adds nothing.
        assert list(seed_demo(db, settings, web, site / "config.toml")) == []
        with db.session() as session:
            assert session.scalar(select(func.count()).select_from(Contact)) == CONTACTS
            assert session.scalar(select(func.count()).select_from(Campaign)) == len(DRAFTS)
    finally:
        db.engine.dispose()


def test_the_demo_files_are_the_same_for_every_newcomer(tmp_path: Path) -> None:
    from datetime import date

    first = write_demo_files(tmp_path / "a", date(2026, 11, 30))
    second = write_demo_files(tmp_path / "b", date(2026, 11, 30))
    for one, other in zip(first, second, strict=True):
        assert one.read_bytes() == other.read_bytes()
    assert len(first[0].read_text(encoding="utf-8").splitlines()) == CONTACTS + 1
