"""The ``hookline`` command: one entry point with a subcommand per job."""

from __future__ import annotations

import importlib
import os
import sys

import click

# Each subcommand's module is imported only when that subcommand runs, so
# `hookline lint` doesn't pay for SQLAlchemy and Alembic (about 0.3 s of start-up).
SUBCOMMANDS = {
    "lint": "linter.cli:lint_command",
    "audience": "audiences.cli:audience_group",
    "campaign": "campaigns.campaign_cli:campaign_group",
    "worker": "campaigns.worker_cli:worker_command",
    "outbox": "campaigns.outbox_cli:outbox_group",
    "demo": "campaigns.demo_cli:demo_command",
    "sequence": "campaigns.sequence_cli:sequence_group",
    "scheduler": "campaigns.scheduler_cli:scheduler_command",
    "bounces": "campaigns.mailbox_cli:bounces_group",
    "replies": "campaigns.mailbox_cli:replies_group",
    "response": "campaigns.response_cli:response_group",
    "serve": "campaigns.serve_cli:serve_command",
    "user": "campaigns.user_cli:user_group",
}


class LazyGroup(click.Group):
    """A click group that imports a subcommand's module on first use (click's LazyGroup)."""

    def __init__(self, *args: object, lazy: dict[str, str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every subcommand, loaded or not."""
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The subcommand, importing its module the first time."""
        if cmd_name in self.lazy and cmd_name not in self.commands:
            module_name, attribute = self.lazy[cmd_name].split(":")
            command = getattr(importlib.import_module(module_name), attribute)
            if not isinstance(command, click.Command):
                raise TypeError(f"{self.lazy[cmd_name]} is not a click command")
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(
    cls=LazyGroup,
    lazy=SUBCOMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(package_name="hookline")
def cli() -> None:
    """Hookline: permission-based email and direct-mail campaigns.

    \b
    Start with:
      hookline lint templates/      check copy against the copy rules
      hookline lint --explain S002  learn what a rule checks and why
      hookline audience --help      import contacts, count and export segments
      hookline campaign --help      create, schedule, send and report on campaigns
      hookline serve                the web app (/app/), tracking links, signup, scheduler
      hookline scheduler            the scheduler alone: scheduled campaigns, sequences
      hookline sequence --help      welcome series, birthdays and anniversaries
      hookline bounces fetch        record bounces and complaints from a mailbox
      hookline replies fetch        record replies to campaigns
      hookline response --help      record offer codes used (conversions)
      hookline outbox               mail caught by the built-in SMTP capture
      hookline user --help          web app accounts: create, roles, disable, reset
      hookline demo                 the whole loop on demo data, nothing leaves the machine
    """


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


if __name__ == "__main__":
    main()
