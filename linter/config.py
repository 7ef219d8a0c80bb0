"""The linter's typed configuration: the ``[linter]`` table of config.toml."""

from __future__ import annotations

import fnmatch
import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from linter.config_file import ConfigError, find_config_file, read_config, section_with_env
from linter.model import Severity

LINTER_DEFAULTS: dict[str, object] = {
    "select": ["ALL"],
    "ignore": [],
    "per-file-ignores": {},
    "extend-acronyms": [],
    "attributes": [],
    "word-limit": 250,
    "line-length": 67,
    "severity": {},
    "cache": True,
}
GRAMMAR_DEFAULTS: dict[str, object] = {
    "enabled": True,
    "languagetool-url": "",
    "languagetool-path": "",
    "harper": True,
    "words": [],
}


@dataclass(frozen=True)
class GrammarConfig:
    """Which grammar backends to use. See ``[linter.grammar]`` in config.toml."""

    enabled: bool = True
    languagetool_url: str = ""
    languagetool_path: str = ""
    harper: bool = True
    words: tuple[str, ...] = ()


@dataclass(frozen=True)
class LinterConfig:
    """Everything that changes what the linter reports."""

    select: tuple[str, ...] = ("ALL",)
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    extend_acronyms: tuple[str, ...] = ()
    attributes: tuple[str, ...] = ()
    word_limit: int = 250
    line_length: int = 67
    severity: tuple[tuple[str, Severity], ...] = ()
    cache: bool = True
    grammar: GrammarConfig = field(default_factory=GrammarConfig)

    def severity_for(self, code: str, default: Severity) -> Severity:
        """The severity in force for ``code``: config.toml's override, else the rule's."""
        for configured_code, severity in self.severity:
            if configured_code == code:
                return severity
        return default

    def ignored_for_path(self, path: str) -> tuple[str, ...]:
        """The codes or prefixes that ``per-file-ignores`` switches off for ``path``."""
        codes: list[str] = []
        posix = Path(path).as_posix()
        for pattern, pattern_codes in self.per_file_ignores:
            if fnmatch.fnmatch(posix, pattern) or fnmatch.fnmatch(Path(path).name, pattern):
                codes.extend(pattern_codes)
        return tuple(codes)

    def fingerprint(self) -> str:
        """A stable hash of the settings, so cached results die with a config change."""
        encoded = json.dumps(asdict(self), sort_keys=True, default=str)
        return hashlib.sha256(encoded.encode()).hexdigest()[:16]


def _strings(value: object, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"[linter] {key} must be a list of strings")
    return tuple(value)


def linter_config_from_mapping(
    config: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> LinterConfig:
    """Build a :class:`LinterConfig` from a parsed config.toml and the environment."""
    raw_table = config.get("linter", {})
    if not isinstance(raw_table, dict):
        raise ConfigError("[linter] must be a table")
    linter_table = dict(raw_table)
    grammar_table = linter_table.pop("grammar", {})
    values = section_with_env({"linter": linter_table}, "linter", LINTER_DEFAULTS, environ)
    grammar = section_with_env(
        {"linter.grammar": grammar_table}, "linter.grammar", GRAMMAR_DEFAULTS, environ
    )

    per_file = values["per-file-ignores"]
    if not isinstance(per_file, dict):
        raise ConfigError("[linter] per-file-ignores must be a table of glob = [codes]")
    severities: list[tuple[str, Severity]] = []
    raw_severity = values["severity"]
    if not isinstance(raw_severity, dict):
        raise ConfigError("[linter] severity must be a table of CODE = level")
    for code, level in raw_severity.items():
        try:
            severities.append((str(code), Severity(str(level))))
        except ValueError:
            raise ConfigError(
                f"[linter] severity.{code} must be error, warning or info, not {level!r}"
            ) from None
    for key in ("word-limit", "line-length"):
        if not isinstance(values[key], int) or values[key] < 1:
            raise ConfigError(f"[linter] {key} must be a positive whole number")

    return LinterConfig(
        select=_strings(values["select"], "select"),
        ignore=_strings(values["ignore"], "ignore"),
        per_file_ignores=tuple(
            (str(glob), _strings(codes, f"per-file-ignores.{glob}"))
            for glob, codes in per_file.items()
        ),
        extend_acronyms=_strings(values["extend-acronyms"], "extend-acronyms"),
        attributes=_strings(values["attributes"], "attributes"),
        word_limit=int(values["word-limit"]),
        line_length=int(values["line-length"]),
        severity=tuple(severities),
        cache=bool(values["cache"]),
        grammar=GrammarConfig(
            enabled=bool(grammar["enabled"]),
            languagetool_url=str(grammar["languagetool-url"]),
            languagetool_path=str(grammar["languagetool-path"]),
            harper=bool(grammar["harper"]),
            words=_strings(grammar["words"], "grammar.words"),
        ),
    )


def load_linter_config(
    path: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> LinterConfig:
    """Load ``[linter]`` from the config file in force, with environment overrides."""
    return linter_config_from_mapping(read_config(find_config_file(path)), environ)
