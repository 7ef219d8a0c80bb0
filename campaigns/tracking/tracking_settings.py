"""The ``[tracking]`` table of config.toml: event batching and the signup form.

Read like the other tables (``HOOKLINE_TRACKING_<KEY>`` overrides a key); kept apart
from :mod:`campaigns.settings` because only ``hookline serve`` needs it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from linter.config_file import (
    ConfigError,
    find_config_file,
    positive_number,
    read_config,
    section_with_env,
)

TRACKING_DEFAULTS: dict[str, object] = {
    "flush-interval": 0.05,
    "flush-batch": 500,
    "confirm-days": 7.0,
    "subscribe-from": "Hookline <news@hookline.example>",
    "list-name": "our newsletter",
    "subscribe-per-hour": 10,
}


@dataclass(frozen=True)
class TrackingSettings:
    """How opens and clicks are batched, and how the signup form mails and limits."""

    flush_interval: float = 0.05
    flush_batch: int = 500
    confirm_days: float = 7.0
    subscribe_from: str = "Hookline <news@hookline.example>"
    list_name: str = "our newsletter"
    subscribe_per_hour: int = 10

    @property
    def confirm_seconds(self) -> float:
        """How long a confirmation link works."""
        return self.confirm_days * 86400


def tracking_settings_from_mapping(
    config: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> TrackingSettings:
    """Build the settings from a parsed config.toml and the environment."""
    values = section_with_env(config, "tracking", TRACKING_DEFAULTS, environ)
    sender = str(values["subscribe-from"]).strip()
    if "@" not in parseaddr(sender)[1]:
        raise ConfigError(
            f'[tracking] subscribe-from must be an address like "Shop <news@shop.vn>": {sender!r}'
        )
    return TrackingSettings(
        flush_interval=positive_number("tracking", values, "flush-interval", float),
        flush_batch=positive_number("tracking", values, "flush-batch", int),
        confirm_days=positive_number("tracking", values, "confirm-days", float),
        subscribe_from=sender,
        list_name=str(values["list-name"]).strip() or "our newsletter",
        subscribe_per_hour=positive_number("tracking", values, "subscribe-per-hour", int),
    )


def load_tracking_settings(
    path: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> TrackingSettings:
    """Load ``[tracking]`` from the config file in force, with environment overrides."""
    return tracking_settings_from_mapping(read_config(find_config_file(path)), environ)
