"""The ``hookline`` command: one entry point with a subcommand per job."""

from __future__ import annotations

import os
import sys

import click

from audiences.cli import audience_group
from linter.cli import lint_command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="hookline")
def cli() -> None:
    """Hookline: permission-based email and direct-mail campaigns.

    \b
    Start with:
      hookline lint templates/      check copy against the copy rules
      hookline lint --explain S002  learn what a rule checks and why
      hookline audience --help      import contacts, count and export segments
    """


cli.add_command(lint_command)
cli.add_command(audience_group)


def main() -> None:
    """Run the CLI; an unexpected error is one line, not a traceback (HOOKLINE_DEBUG=1 shows it)."""
    try:
        cli.main(standalone_mode=True)
    except Exception as exc:
        if os.environ.get("HOOKLINE_DEBUG"):
            raise
        click.echo(f"hookline: internal error: {type(exc).__name__}: {exc}", err=True)
        click.echo("Run again with HOOKLINE_DEBUG=1 for the traceback, and report it.", err=True)
        sys.exit(2)
