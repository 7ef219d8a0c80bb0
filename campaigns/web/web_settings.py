"""The ``[web]`` table of config.toml: where templates are edited, cookies, sign-in limits.

Read like the other tables (``HOOKLINE_WEB_<KEY>`` overrides a key).
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

WEB_DEFAULTS: dict[str, object] = {
    "templates-dir": "templates",
    "secure-cookies": "auto",
    "login-attempts": 5,
    "login-window-minutes": 15,
    "uploads": "var/uploads",
}
_SECURE_CHOICES = ("auto", "always", "never")


@dataclass(frozen=True)
class WebSettings:
    """The web app's settings."""

    templates_dir: Path = Path("templates")
    # auto: Secure cookies unless the browser talks plain http to a loopback address.
    secure_cookies: str = "auto"
    # Failed sign-ins allowed per address (and per client IP) within the window.
    login_attempts: int = 5
    login_window_minutes: float = 15
    uploads: Path = Path("var/uploads")


def web_settings_from_mapping(
    config: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> WebSettings:
    """Build the settings from a parsed config.toml and the environment."""
    values = section_with_env(config, "web", WEB_DEFAULTS, environ)
    secure = str(values["secure-cookies"]).strip().lower()
    if secure not in _SECURE_CHOICES:
        raise ConfigError(
            f"[web] secure-cookies must be one of {', '.join(_SECURE_CHOICES)}: {secure!r}"
        )
    return WebSettings(
        templates_dir=Path(str(values["templates-dir"])),
        secure_cookies=secure,
        login_attempts=positive_number("web", values, "login-attempts", int),
        login_window_minutes=positive_number("web", values, "login-window-minutes", float),
        uploads=Path(str(values["uploads"])),
    )


def load_web_settings(
    path: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> WebSettings:
    """Load ``[web]`` from the config file in force, with environment overrides."""
    return web_settings_from_mapping(read_config(find_config_file(path)), environ)
