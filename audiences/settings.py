"""The audiences' typed settings: ``[database]`` and ``[audience]`` in config.toml.

Each key can be overridden by ``HOOKLINE_<TABLE>_<KEY>``, for example
``HOOKLINE_DATABASE_URL=postgresql://127.0.0.1/hookline``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from linter.config_file import (
    ConfigError,
    find_config_file,
    positive_number,
    read_config,
    section_with_env,
)

DEFAULT_DATABASE_URL = "sqlite:///var/hookline.db"
DATABASE_DEFAULTS: dict[str, object] = {"url": DEFAULT_DATABASE_URL}
AUDIENCE_DEFAULTS: dict[str, object] = {
    "timezone": "Asia/Ho_Chi_Minh",
    "currency": "VND",
    "tier-window-days": 365,
    "platinum-share": 0.05,
    "gold-share": 0.15,
    "iron-share": 0.30,
}


@dataclass(frozen=True)
class TierShares:
    """The customer pyramid: the top share of spenders is Platinum, and so on down."""

    platinum: float = 0.05
    gold: float = 0.15
    iron: float = 0.30
    window_days: int = 365


@dataclass(frozen=True)
class AudienceSettings:
    """Where contacts live and how relative dates, money and tiers are read."""

    database_url: str = DEFAULT_DATABASE_URL
    timezone: str = "Asia/Ho_Chi_Minh"
    currency: str = "VND"
    tiers: TierShares = TierShares()

    @property
    def zone(self) -> ZoneInfo:
        """The configured time zone."""
        return ZoneInfo(self.timezone)


def audience_settings_from_mapping(
    config: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> AudienceSettings:
    """Build settings from a parsed config.toml and the environment."""
    database = section_with_env(config, "database", DATABASE_DEFAULTS, environ)
    audience = section_with_env(config, "audience", AUDIENCE_DEFAULTS, environ)
    try:
        ZoneInfo(str(audience["timezone"]))
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"[audience] timezone: unknown time zone {audience['timezone']!r}"
        ) from None
    platinum, gold, iron = (
        positive_number("audience", audience, key, float)
        for key in ("platinum-share", "gold-share", "iron-share")
    )
    if min(platinum, gold, iron) <= 0 or platinum + gold + iron >= 1:
        raise ConfigError(
            "[audience] platinum-share, gold-share and iron-share must be positive and sum below 1"
        )
    return AudienceSettings(
        database_url=str(database["url"]),
        timezone=str(audience["timezone"]),
        currency=str(audience["currency"]).upper(),
        tiers=TierShares(
            platinum,
            gold,
            iron,
            window_days=positive_number("audience", audience, "tier-window-days", int),
        ),
    )


def load_audience_settings(
    path: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> AudienceSettings:
    """Load the settings from the config file in force, with environment overrides."""
    return audience_settings_from_mapping(read_config(find_config_file(path)), environ)
