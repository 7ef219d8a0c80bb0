"""The suppression rule (X001). The runner reports it after applying suppressions."""

from __future__ import annotations

from linter.model import Severity
from linter.registry import Rule


class UnusedSuppression(Rule):
    """## What it does
    Reports a suppression comment, `{# hookline: ignore[C001] reason #}`, that
    suppresses nothing: the code no longer fires on the line it covers (or anywhere, for
    a suppression at the top of the file). The fix deletes the comment.

    ## Why is this bad?
    Stale suppressions hide future problems: once the copy changes, an old
    `ignore[C001]` would silently let real shouting through. Like ruff's RUF100, keep
    only suppressions that still do something.

    ## Example
    ```
    {# hookline: ignore[C001] brand name #}
    Our new range is here.
    ```

    Use instead:
    ```
    Our new range is here.
    ```
    """

    code = "X001"
    name = "unused-suppression"
    severity = Severity.WARNING
    summary = "A suppression comment suppresses nothing"
    scope = "template"
    fixable = True
