"""Options every ``hookline`` command of the campaigns package shares."""

from __future__ import annotations

from pathlib import Path

import click

config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    help="Config file (default: ./config.toml or $HOOKLINE_CONFIG).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
