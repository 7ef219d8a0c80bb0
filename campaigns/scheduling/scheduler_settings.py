"""The scheduler's typed settings: ``[scheduler]`` in config.toml.

``HOOKLINE_SCHEDULER_MISFIRE_GRACE_SECONDS`` and ``HOOKLINE_SCHEDULER_TICK_SECONDS``
override the keys. The time zone schedules are read in is ``[audience] timezone``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from linter.config_file import find_config_file, positive_number, read_config, section_with_env

SCHEDULER_DEFAULTS: dict[str, object] = {"misfire-grace-seconds": 3600, "tick-seconds": 15.0}


@dataclass(frozen=True)
class SchedulerSettings:
    """How late a missed job may still run, and how often periodic work runs."""

    misfire_grace_seconds: int = 3600
    tick_seconds: float = 15.0


def scheduler_settings_from_mapping(
    config: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> SchedulerSettings:
    """Build the settings from a parsed config.toml and the environment."""
    values = section_with_env(config, "scheduler", SCHEDULER_DEFAULTS, environ)
    return SchedulerSettings(
        misfire_grace_seconds=positive_number("scheduler", values, "misfire-grace-seconds", int),
        tick_seconds=positive_number("scheduler", values, "tick-seconds", float),
    )


def load_scheduler_settings(
    path: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> SchedulerSettings:
    """Load ``[scheduler]`` from the config file in force, with environment overrides."""
    return scheduler_settings_from_mapping(read_config(find_config_file(path)), environ)
