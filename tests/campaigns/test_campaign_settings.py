"""The campaigns' settings: defaults, overrides by environment, clear errors, the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from campaigns.settings import campaign_settings_from_mapping, secret_key
from linter.config_file import ConfigError


def test_defaults_are_the_embedded_capture_and_four_connections() -> None:
    settings = campaign_settings_from_mapping({}, environ={})
    assert settings.smtp.url == ""
    assert settings.smtp.connections == 4
    assert settings.smtp.rate_per_second is None
    assert not settings.dkim.enabled


def test_the_environment_overrides_the_file() -> None:
    settings = campaign_settings_from_mapping(
        {"smtp": {"url": "smtp://mail.example.com:25", "rate-per-second": 10}},
        environ={"HOOKLINE_SMTP_URL": "smtp://127.0.0.1:2525", "HOOKLINE_SMTP_CONNECTIONS": "8"},
    )
    assert settings.smtp.url == "smtp://127.0.0.1:2525"
    assert settings.smtp.connections == 8
    assert settings.smtp.rate_per_second == 10.0


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"smtp": {"connections": 0}}, "[smtp] connections must be positive"),
        ({"smtp": {"rate-per-hour": -1}}, "[smtp] rate-per-hour must be 0"),
        ({"smtp": {"conections": 2}}, "unknown key(s) conections"),
        ({"sending": {"base-url": "example.com"}}, "base-url must start with http"),
        ({"sending": {"render-processes": -1}}, "render-processes must be 0 or more"),
    ],
)
def test_bad_values_name_the_key(config: dict[str, dict[str, object]], message: str) -> None:
    with pytest.raises(
        ConfigError, match=message.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")
    ):
        campaign_settings_from_mapping(config, environ={})


def test_the_secret_key_comes_from_the_environment_when_set(tmp_path: Path) -> None:
    settings = campaign_settings_from_mapping(
        {"sending": {"secret-key-file": str(tmp_path / "key")}}, environ={}
    )
    assert secret_key(settings, {"HOOKLINE_SECRET_KEY": "from-env"}) == "from-env"
    assert not (tmp_path / "key").exists()


def test_without_the_environment_a_key_is_made_once_and_kept(tmp_path: Path) -> None:
    settings = campaign_settings_from_mapping(
        {"sending": {"secret-key-file": str(tmp_path / "var" / "key")}}, environ={}
    )
    first = secret_key(settings, {})
    assert len(first) >= 32
    assert secret_key(settings, {}) == first
    assert (tmp_path / "var" / "key").stat().st_mode & 0o077 == 0
