"""The campaigns' typed settings: ``[smtp]``, ``[sending]`` and ``[dkim]`` in config.toml.

Every key can be overridden by ``HOOKLINE_<TABLE>_<KEY>``: ``HOOKLINE_SMTP_URL`` picks
the mail server, for example. Secrets never come from the committed file: the SMTP
password rides in ``HOOKLINE_SMTP_URL``, the signing key in ``HOOKLINE_SECRET_KEY``
(or a generated file for the embedded default), and the DKIM key in a key file.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audiences.settings import AudienceSettings, audience_settings_from_mapping
from linter.config_file import (
    ConfigError,
    find_config_file,
    positive_number,
    read_config,
    section_with_env,
)

SMTP_DEFAULTS: dict[str, object] = {
    "url": "",
    "connections": 4,
    "timeout": 30.0,
    "rate-per-second": 0.0,
    "rate-per-hour": 0.0,
    "max-attempts": 5,
    "retry-delay": 60.0,
}
SENDING_DEFAULTS: dict[str, object] = {
    "base-url": "http://127.0.0.1:8025",
    "unsubscribe-mailto": "",
    "message-id-domain": "",
    "batch-size": 100,
    "lease-seconds": 300.0,
    "render-processes": 1,
    "outbox": "var/outbox",
    "secret-key-file": "var/secret_key",
}
DKIM_DEFAULTS: dict[str, object] = {"domain": "", "selector": "", "key-file": ""}
SECRET_ENV = "HOOKLINE_SECRET_KEY"


@dataclass(frozen=True)
class SmtpSettings:
    """Where mail goes and how hard to push: connections, rate limits, retries."""

    url: str = ""
    connections: int = 4
    timeout: float = 30.0
    rate_per_second: float | None = None
    rate_per_hour: float | None = None
    max_attempts: int = 5
    retry_delay: float = 60.0


@dataclass(frozen=True)
class DkimSettings:
    """The DKIM signing domain, selector and private-key file; empty when not signing."""

    domain: str = ""
    selector: str = ""
    key_file: str = ""

    @property
    def enabled(self) -> bool:
        """Whether messages are signed."""
        return bool(self.domain and self.selector and self.key_file)


@dataclass(frozen=True)
class CampaignSettings:
    """Everything a send needs besides the campaign itself."""

    audience: AudienceSettings
    smtp: SmtpSettings
    dkim: DkimSettings
    base_url: str = "http://127.0.0.1:8025"
    unsubscribe_mailto: str = ""
    message_id_domain: str = ""
    batch_size: int = 100
    lease_seconds: float = 300.0
    render_processes: int = 1
    outbox: Path = Path("var/outbox")
    secret_key_file: Path = Path("var/secret_key")

    @property
    def database_url(self) -> str:
        """The database shared with the audiences."""
        return self.audience.database_url


def _processes(value: object) -> int:
    """0 (render in the sending process) or a positive number of processes."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"[sending] render-processes must be 0 or more, not {value!r}")
    return value


def _rate(values: Mapping[str, Any], key: str) -> float | None:
    """A rate limit; 0 means none."""
    value = values[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"[smtp] {key} must be a number (0 for no limit), not {value!r}")
    if value < 0:
        raise ConfigError(f"[smtp] {key} must be 0 (no limit) or positive, not {value!r}")
    return float(value) or None


def campaign_settings_from_mapping(
    config: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> CampaignSettings:
    """Build the settings from a parsed config.toml and the environment."""
    smtp = section_with_env(config, "smtp", SMTP_DEFAULTS, environ)
    sending = section_with_env(config, "sending", SENDING_DEFAULTS, environ)
    dkim = section_with_env(config, "dkim", DKIM_DEFAULTS, environ)
    base_url = str(sending["base-url"]).rstrip("/")
    if not base_url.startswith(("http://", "https://")):
        raise ConfigError(f"[sending] base-url must start with http:// or https://: {base_url!r}")
    return CampaignSettings(
        audience=audience_settings_from_mapping(config, environ),
        smtp=SmtpSettings(
            url=str(smtp["url"]).strip(),
            connections=positive_number("smtp", smtp, "connections", int),
            timeout=positive_number("smtp", smtp, "timeout", float),
            rate_per_second=_rate(smtp, "rate-per-second"),
            rate_per_hour=_rate(smtp, "rate-per-hour"),
            max_attempts=positive_number("smtp", smtp, "max-attempts", int),
            retry_delay=positive_number("smtp", smtp, "retry-delay", float),
        ),
        dkim=DkimSettings(
            domain=str(dkim["domain"]),
            selector=str(dkim["selector"]),
            key_file=str(dkim["key-file"]),
        ),
        base_url=base_url,
        unsubscribe_mailto=str(sending["unsubscribe-mailto"]),
        message_id_domain=str(sending["message-id-domain"]),
        batch_size=positive_number("sending", sending, "batch-size", int),
        lease_seconds=positive_number("sending", sending, "lease-seconds", float),
        render_processes=_processes(sending["render-processes"]),
        outbox=Path(str(sending["outbox"])),
        secret_key_file=Path(str(sending["secret-key-file"])),
    )


def load_campaign_settings(
    path: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> CampaignSettings:
    """Load the settings from the config file in force, with environment overrides."""
    return campaign_settings_from_mapping(read_config(find_config_file(path)), environ)


def secret_key(settings: CampaignSettings, environ: Mapping[str, str] | None = None) -> str:
    """The key that signs tracking and unsubscribe tokens.

    ``HOOKLINE_SECRET_KEY`` when set (every machine of a deployment must share it).
    Otherwise, for the embedded default, a random key kept in ``secret-key-file`` and
    created on first use, so links in mail already sent keep working after a restart.
    """
    environ = os.environ if environ is None else environ
    if environ.get(SECRET_ENV):
        return environ[SECRET_ENV]
    path = settings.secret_key_file
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    try:
        # O_EXCL: two processes starting at once agree on one key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    return key
