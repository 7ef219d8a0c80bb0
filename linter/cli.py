"""``hookline lint``: the copy linter's command line, modelled on ruff's."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import click

from linter.config import LinterConfig, load_linter_config
from linter.config_file import ConfigError
from linter.explain import explain, rule_table
from linter.fixes import fix_text, unified_diff
from linter.formats import FORMATS
from linter.model import Finding
from linter.registry import RuleSelection, get_rule
from linter.runner import (
    LintReport,
    TemplateReadError,
    discover,
    lint_paths,
    lint_source,
    read_template,
)

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def _codes(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(
        code.strip().upper() for value in values for code in value.split(",") if code.strip()
    )


def _fix_files(
    files: list[Path], config: LinterConfig, selection: RuleSelection, write: bool
) -> tuple[int, list[str]]:
    """Fix each file; write it back or collect its diff. Returns (fixes, diffs)."""
    total, diffs = 0, []
    for path in files:
        text, problem = read_template(path)
        if problem is not None:
            # Writing the fixes would silently re-encode the file as UTF-8 (T004's job
            # is to make that a decision, not a side effect).
            click.echo(f"hookline lint: not fixing {path}: {problem}", err=True)
            continue

        def lint_text(
            candidate: str, where: Path = path, note: str | None = problem
        ) -> list[Finding]:
            return lint_source(str(where), candidate, config, selection, note).findings

        outcome = fix_text(text, lint_text)
        if outcome.applied and outcome.text != text:
            total += outcome.applied
            if write:
                path.write_text(outcome.text, encoding="utf-8")
            else:
                diffs.append(unified_diff(str(path), text, outcome.text))
    return total, diffs


@click.command("lint")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(sorted(FORMATS)),
    default="text",
    show_default=True,
    help="Report format: text for people, json, sarif or github annotations.",
)
@click.option(
    "--select",
    multiple=True,
    help="Only these codes or prefixes, e.g. --select S,W001 (replaces config).",
)
@click.option(
    "--ignore",
    multiple=True,
    help="Also skip these codes or prefixes, e.g. --ignore P (adds to config).",
)
@click.option(
    "--fix", is_flag=True, help="Apply safe fixes to the files, then report what is left."
)
@click.option("--diff", is_flag=True, help="Show the safe fixes as a diff without applying them.")
@click.option(
    "--explain", "explain_code", metavar="CODE", help="Print a rule's documentation and exit."
)
@click.option(
    "--list-rules", is_flag=True, help="List every rule with its code, name and severity."
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    help="Config file (default: ./config.toml or $HOOKLINE_CONFIG).",
)
@click.option("--no-grammar", is_flag=True, help="Skip the grammar and spelling backends (faster).")
@click.option("--no-cache", is_flag=True, help="Don't read or write .hookline_cache/.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when errors are found.")
@click.option(
    "--jobs", type=click.IntRange(min=1), help="Worker processes (default: one per core)."
)
def lint_command(
    paths: tuple[Path, ...],
    output_format: str,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    fix: bool,
    diff: bool,
    explain_code: str | None,
    list_rules: bool,
    config_path: Path | None,
    no_grammar: bool,
    no_cache: bool,
    exit_zero: bool,
    jobs: int | None,
) -> None:
    """Check templates against Hookline's copy rules.

    PATHS are template files or folders (default: templates/). Folders are searched
    for *.html.j2 and *.txt.j2 files.

    \b
    Examples:
      hookline lint                         lint templates/
      hookline lint mail/ --select S,W      only subject and line rules
      hookline lint --format sarif > out.sarif
      hookline lint --fix                   re-wrap long lines and more
      hookline lint --explain W001          what W001 checks, and why

    Exit status: 0 when there are no error-level findings, 1 when there are,
    2 on a usage error or a file that can't be read.

    Suppress a finding with a Jinja comment on the line before it:
    {# hookline: ignore[C001] brand name #}, or at the top of the body for the
    whole file.
    """
    if list_rules:
        click.echo(rule_table(), nl=False)
        return
    if explain_code:
        rule = get_rule(explain_code)
        if rule is None:
            raise click.UsageError(f"unknown rule code {explain_code!r}; see --list-rules")
        click.echo(explain(rule), nl=False)
        return
    try:
        config = load_linter_config(config_path)
    except ConfigError as exc:
        # One line naming the key, like an unreadable file: not a usage banner.
        click.echo(f"hookline lint: error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    if no_grammar:
        config = dataclasses.replace(
            config, grammar=dataclasses.replace(config.grammar, enabled=False)
        )
    selection = RuleSelection(_codes(select) or config.select, config.ignore + _codes(ignore))
    unknown = selection.unknown_selectors()
    if unknown:
        raise click.UsageError(
            f"unknown rule code or prefix: {', '.join(unknown)}; see --list-rules"
        )
    targets = list(paths) or [Path("templates")]
    try:
        if fix or diff:
            fixed, diffs = _fix_files(discover(targets), config, selection, write=fix and not diff)
            if diff:
                click.echo("".join(diffs), nl=False)
                click.echo(f"Would fix {fixed} finding(s).", err=True)
                sys.exit(EXIT_FINDINGS if fixed else EXIT_OK)
            click.echo(f"Fixed {fixed} finding(s).", err=True)
        report: LintReport = lint_paths(
            targets, config, selection, jobs=jobs, cache=False if no_cache or fix else None
        )
    except TemplateReadError as exc:
        click.echo(f"hookline lint: error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    colour = output_format == "text" and sys.stdout.isatty()
    click.echo(FORMATS[output_format](report, colour), nl=False)
    if output_format != "text":
        for note in report.notes:
            click.echo(note, err=True)
    sys.exit(EXIT_OK if exit_zero or not report.has_errors else EXIT_FINDINGS)
