"""``[sequences]`` in config.toml: the defaults ``hookline sequence create`` gives a sequence.

Each sequence keeps its own send time and catch-up window once created, so changing
the config never moves the timeline of a sequence already running.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from campaigns.sequences.local_time import parse_send_at
from linter.config_file import (
    ConfigError,
    find_config_file,
    positive_number,
    read_config,
    section_with_env,
)

SEQUENCE_DEFAULTS: dict[str, object] = {"send-at": "09:00", "catch-up-days": 3}


@dataclass(frozen=True)
class SequenceSettings:
    """The local send time and catch-up window new sequences start with."""

    send_at: str = "09:00"
    catch_up_days: int = 3


def sequence_settings_from_mapping(
    config: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> SequenceSettings:
    """Build the settings from a parsed config.toml and the environment."""
    values = section_with_env(config, "sequences", SEQUENCE_DEFAULTS, environ)
    send_at = str(values["send-at"])
    try:
        parse_send_at(send_at)
    except ValueError as exc:
        raise ConfigError(f"[sequences] send-at: {exc}") from None
    return SequenceSettings(
        send_at=send_at.strip(),
        catch_up_days=positive_number("sequences", values, "catch-up-days", int),
    )


def load_sequence_settings(
    path: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> SequenceSettings:
    """Load the settings from the config file in force, with environment overrides."""
    return sequence_settings_from_mapping(read_config(find_config_file(path)), environ)
