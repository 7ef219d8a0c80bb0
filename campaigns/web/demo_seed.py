"""Demo data for ``hookline serve --demo`` (``make run``): written once, on the first start."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from audiences.db import Database
from campaigns.settings import CampaignSettings
from campaigns.web.web_settings import WebSettings


def seed_demo(
    db: Database, settings: CampaignSettings, web: WebSettings, config_path: Path | None
) -> Iterator[str]:
    """Load the demo data when the database has no contacts; yields what it did."""
    return iter(())
