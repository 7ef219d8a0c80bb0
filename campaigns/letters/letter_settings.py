"""The letters' typed settings: ``[letters]`` in config.toml.

Every key can be overridden by ``HOOKLINE_LETTERS_<KEY>``. Money is in ``[audience]
currency``, per letter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from linter.config_file import (
    ConfigError,
    find_config_file,
    positive_number,
    read_config,
    section_with_env,
)

PAPER_SIZES = ("A4", "letter")
LETTERS_DEFAULTS: dict[str, object] = {
    "paper-size": "A4",
    "return-address": [],
    "output": "var/letters",
    "print-cost": "0",
    "postage": "0",
    "processes": 2,
    "chunk-size": 50,
    "place": "",
}


@dataclass(frozen=True)
class LetterSettings:
    """Paper, the sender's return address, where PDFs go, and what a letter costs."""

    paper_size: str = "A4"
    # The sender's return address, one line per item, printed above the window.
    return_address: tuple[str, ...] = ()
    output: Path = Path("var/letters")
    # Printing and postage per letter, for the report's cost figures.
    print_cost: Decimal = Decimal(0)
    postage: Decimal = Decimal(0)
    # Rendering processes, and letters rendered per PDF chunk in each.
    processes: int = 2
    chunk_size: int = 50
    # Where the letters are written from, printed before the date: "Hà Nội, ngày …".
    place: str = ""

    @property
    def cost_per_letter(self) -> Decimal:
        """Printing plus postage for one letter."""
        return self.print_cost + self.postage


def _money(values: Mapping[str, Any], key: str) -> Decimal:
    value = values[key]
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ConfigError(f"[letters] {key} must be an amount such as 1500 or 0.85")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ConfigError(
            f"[letters] {key} must be an amount such as 1500, not {value!r}"
        ) from None
    if not amount.is_finite() or amount < 0:
        raise ConfigError(f"[letters] {key} must be 0 or more, not {value!r}")
    return amount


def _lines(values: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = values[key]
    if isinstance(value, str):
        value = value.split("\n")
    if not isinstance(value, list) or not all(isinstance(line, str) for line in value):
        raise ConfigError(f"[letters] {key} must be a list of lines")
    return tuple(line.strip() for line in value if line.strip())


def letter_settings_from_mapping(
    config: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> LetterSettings:
    """Build the settings from a parsed config.toml and the environment."""
    values = section_with_env(config, "letters", LETTERS_DEFAULTS, environ)
    paper = str(values["paper-size"])
    matched = {size.lower(): size for size in PAPER_SIZES}.get(paper.lower())
    if matched is None:
        raise ConfigError(f"[letters] paper-size must be A4 or letter, not {paper!r}")
    return LetterSettings(
        paper_size=matched,
        return_address=_lines(values, "return-address"),
        output=Path(str(values["output"])),
        print_cost=_money(values, "print-cost"),
        postage=_money(values, "postage"),
        processes=positive_number("letters", values, "processes", int),
        chunk_size=positive_number("letters", values, "chunk-size", int),
        place=str(values["place"]).strip(),
    )


def load_letter_settings(
    path: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> LetterSettings:
    """Load ``[letters]`` from the config file in force, with environment overrides."""
    return letter_settings_from_mapping(read_config(find_config_file(path)), environ)
