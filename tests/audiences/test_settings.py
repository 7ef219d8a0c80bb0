"""Audience settings: defaults, environment overrides, and errors that name the key."""

from __future__ import annotations

import pytest

from audiences.db import DatabaseError, make_engine
from audiences.settings import DEFAULT_DATABASE_URL, audience_settings_from_mapping
from linter.config_file import ConfigError


def test_defaults_use_an_sqlite_file_and_the_material_pyramid() -> None:
    settings = audience_settings_from_mapping({}, {})
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert (settings.tiers.platinum, settings.tiers.gold, settings.tiers.iron) == (0.05, 0.15, 0.30)
    assert settings.tiers.window_days == 365


def test_environment_overrides_the_database_url_and_timezone() -> None:
    settings = audience_settings_from_mapping(
        {"database": {"url": "sqlite:///a.db"}},
        {"HOOKLINE_DATABASE_URL": "postgresql://127.0.0.1/x", "HOOKLINE_AUDIENCE_TIMEZONE": "UTC"},
    )
    assert settings.database_url == "postgresql://127.0.0.1/x"
    assert settings.timezone == "UTC"


@pytest.mark.parametrize(
    ("table", "named"),
    [
        ({"audience": {"tier-window-days": "abc"}}, "tier-window-days"),
        ({"audience": {"gold-share": True}}, "gold-share"),
        ({"audience": {"timezone": "Mars/Olympus"}}, "timezone"),
        ({"audience": {"platinum-share": 0.5, "gold-share": 0.5}}, "share"),
        ({"database": {"uri": "x"}}, "uri"),
    ],
)
def test_a_bad_value_is_one_error_that_names_the_key(
    table: dict[str, dict[str, object]], named: str
) -> None:
    with pytest.raises(ConfigError, match=named):
        audience_settings_from_mapping(table, {})


@pytest.mark.parametrize("url", ["mysqlx://host/db", "not a url", "sqlite:////proc/none/x.db"])
def test_an_unusable_database_url_is_a_database_error(url: str) -> None:
    with pytest.raises(DatabaseError):
        make_engine(url)
