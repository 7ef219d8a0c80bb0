"""What ``hookline audience`` draws on the terminal: a progress bar and plain tables."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Literal

import click

# Longer cells are cut with an ellipsis, so one long address doesn't push the table
# off the screen.
CELL_WIDTH = 32


@contextmanager
def progress_bar(
    label: str, unit: Literal["bytes", "rows"] = "bytes"
) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on stderr when it is a terminal; None (no bar) otherwise.

    The callback takes ``(done, total)`` in ``unit``, as the importers (bytes) and the
    export (rows) call it. The bar vanishes when the work ends, so the report that
    follows stands alone.
    """
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    console = Console(stderr=True)
    if not console.is_terminal:
        yield None
        return
    done = DownloadColumn() if unit == "bytes" else MofNCompleteColumn()
    columns = (TextColumn(label), BarColumn(), done, TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(label, total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total or None)

        yield advance


def echo_json(value: object) -> None:
    """Print ``value`` as indented JSON, non-ASCII letters as they are."""
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))


def text_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """A plain, aligned text table (no colour, so it pipes cleanly)."""
    cells = [[_cell(row[name]) for name in columns] for row in rows]
    widths = [max(len(name), *(len(line[i]) for line in cells)) for i, name in enumerate(columns)]
    lines = [list(columns), ["-" * width for width in widths], *cells]
    return "\n".join(
        "  ".join(value.ljust(width) for value, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= CELL_WIDTH else text[: CELL_WIDTH - 1] + "…"
