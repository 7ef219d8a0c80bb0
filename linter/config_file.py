"""Read one table of ``config.toml`` and apply ``HOOKLINE_*`` environment overrides.

This is the project's one loader for configuration: the linter uses it for ``[linter]``
and the other packages for their own tables. An environment variable named
``HOOKLINE_<TABLE>_<KEY>`` (key upper-cased, dashes as underscores) overrides the key,
so ``HOOKLINE_LINTER_WORD_LIMIT=300`` overrides ``[linter] word-limit``.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

Number = TypeVar("Number", int, float)

DEFAULT_CONFIG_NAME = "config.toml"
CONFIG_ENV = "HOOKLINE_CONFIG"


class ConfigError(Exception):
    """The configuration can't be read or a value has the wrong type. Names the key."""


def find_config_file(explicit: str | Path | None = None) -> Path | None:
    """The config file in force: ``explicit``, then ``$HOOKLINE_CONFIG``, then ./config.toml."""
    if explicit is not None:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"config file not found: {path}")
        return path
    from_env = os.environ.get(CONFIG_ENV)
    if from_env:
        path = Path(from_env)
        if not path.is_file():
            raise ConfigError(f"{CONFIG_ENV} names a missing file: {path}")
        return path
    default = Path.cwd() / DEFAULT_CONFIG_NAME
    return default if default.is_file() else None


def read_config(path: Path | None) -> dict[str, Any]:
    """Parse the whole config file, or return an empty config when there is none."""
    if path is None:
        return {}
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from exc


def env_name(table: str, key: str) -> str:
    """The environment variable that overrides ``[table] key``."""
    return "HOOKLINE_" + f"{table}_{key}".upper().replace("-", "_").replace(".", "_")


def parse_env_value(raw: str, like: object) -> object:
    """Turn an environment string into the type of the default value ``like``.

    Lists take a comma-separated string or a JSON array; tables take JSON; booleans
    take true/false/1/0/yes/no.
    """
    if isinstance(like, bool):
        lowered = raw.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
        raise ValueError(f"expected true or false, got {raw!r}")
    if isinstance(like, int):
        return int(raw)
    if isinstance(like, float):
        return float(raw)
    if isinstance(like, list):
        text = raw.strip()
        if text.startswith("["):
            value = json.loads(text)
            if not isinstance(value, list):
                raise ValueError("expected a JSON array")
            return value
        return [part.strip() for part in text.split(",") if part.strip()]
    if isinstance(like, dict):
        value = json.loads(raw)
        if not isinstance(value, dict):
            raise ValueError("expected a JSON object")
        return value
    return raw


def section_with_env(
    config: Mapping[str, Any],
    table: str,
    defaults: Mapping[str, object],
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The ``[table]`` values over ``defaults``, then the environment over both.

    Unknown keys are an error that names them, so a typo in config.toml is not silently
    ignored.
    """
    environ = os.environ if environ is None else environ
    raw = config.get(table, {})
    if not isinstance(raw, dict):
        raise ConfigError(f"[{table}] must be a table")
    unknown = sorted(set(raw) - set(defaults))
    if unknown:
        known = ", ".join(sorted(defaults))
        raise ConfigError(f"[{table}] has unknown key(s) {', '.join(unknown)}; known: {known}")
    merged: dict[str, Any] = {**defaults, **raw}
    for key, default in defaults.items():
        name = env_name(table, key)
        if name in environ:
            try:
                merged[key] = parse_env_value(environ[name], default)
            except (ValueError, json.JSONDecodeError) as exc:
                raise ConfigError(f"{name}: {exc}") from exc
    return merged


def positive_number(table: str, values: Mapping[str, Any], key: str, kind: type[Number]) -> Number:
    """``values[key]`` as a positive ``kind``, or a ConfigError that names ``[table] key``."""
    value = values[key]
    try:
        if isinstance(value, bool):
            raise ValueError
        number = kind(value)
    except (TypeError, ValueError):
        raise ConfigError(f"[{table}] {key} must be a number, not {value!r}") from None
    if number <= 0:
        raise ConfigError(f"[{table}] {key} must be positive, not {value!r}")
    return number
