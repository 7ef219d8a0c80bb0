"""``[responses]`` in config.toml: the attribution window, the API token and the real-cost formula.

Every key can be overridden by ``HOOKLINE_RESPONSES_<KEY>``, as for every table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from linter.config_file import (
    ConfigError,
    find_config_file,
    positive_number,
    read_config,
    section_with_env,
)

DEFAULT_ATTRIBUTION_DAYS = 14
DEFAULT_TOKEN_ENV = "HOOKLINE_RESPONSES_TOKEN"
# The material's real acquisition cost divides by (gained + lost), as written; the
# "+" may be a transcription error for "-", so the denominator is a choice.
DENOMINATORS = ("gained+lost", "gained-lost")
RESPONSES_DEFAULTS: dict[str, object] = {
    "attribution-days": DEFAULT_ATTRIBUTION_DAYS,
    "api-token-env": DEFAULT_TOKEN_ENV,
    "real-cost-denominator": "gained+lost",
}


@dataclass(frozen=True)
class ResponseSettings:
    """How responses are attributed and reported, and which variable holds the API token."""

    attribution_days: int = DEFAULT_ATTRIBUTION_DAYS
    api_token_env: str = DEFAULT_TOKEN_ENV
    real_cost_denominator: str = "gained+lost"


def response_settings_from_mapping(
    config: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> ResponseSettings:
    """Build the settings from a parsed config.toml and the environment."""
    values = section_with_env(config, "responses", RESPONSES_DEFAULTS, environ)
    denominator = str(values["real-cost-denominator"]).replace(" ", "")
    if denominator not in DENOMINATORS:
        raise ConfigError(
            "[responses] real-cost-denominator must be "
            f"{' or '.join(repr(d) for d in DENOMINATORS)}, not {values['real-cost-denominator']!r}"
        )
    token_env = str(values["api-token-env"]).strip()
    if not token_env:
        raise ConfigError("[responses] api-token-env must name an environment variable")
    return ResponseSettings(
        attribution_days=positive_number("responses", values, "attribution-days", int),
        api_token_env=token_env,
        real_cost_denominator=denominator,
    )


def load_response_settings(
    path: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> ResponseSettings:
    """Load ``[responses]`` from the config file in force, with environment overrides."""
    return response_settings_from_mapping(read_config(find_config_file(path)), environ)
