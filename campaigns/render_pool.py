"""Rendering in worker processes, so the sending process keeps its core for SMTP.

One Python process can't use more than one core for Python code. The sending loop
spends about a third of its time composing messages; handing that to separate
processes leaves the sending process the ledger and SMTP, and lets both cores work.

The renderers are *spawned*, not forked (the sending process already runs threads,
such as the capture server's), and each rebuilds the campaign's composer from its
recipe: the campaign's fields and the settings. Only contacts go in and message bytes
come out, in the order they went in.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator, Sequence
from multiprocessing.pool import Pool
from typing import Any

from campaigns.composer import ComposerRecipe, MessageComposer
from campaigns.ledger import ClaimedRecipient
from campaigns.render.campaign_template import RenderError

# Recipients per task: large enough that the pipe's overhead is small, small enough
# that the first messages reach SMTP at once.
CHUNK = 25

# (recipient_id, message bytes, or the reason rendering failed)
Rendered = tuple[int, bytes | None, str | None]

# Each renderer process's composer, built once by _start.
_WORKER: dict[str, MessageComposer] = {}


def _start(recipe: ComposerRecipe) -> None:
    _WORKER["composer"] = recipe.build()


def _compose(chunk: list[tuple[int, str, dict[str, Any], str | None]]) -> list[Rendered]:
    composer = _WORKER["composer"]
    rendered: list[Rendered] = []
    for recipient_id, address, context, variant in chunk:
        try:
            message = composer.compose(recipient_id, address, context, variant=variant)
            rendered.append((recipient_id, message, None))
        except RenderError as exc:
            rendered.append((recipient_id, None, str(exc)))
    return rendered


class RenderPool:
    """``processes`` renderer processes for one campaign."""

    def __init__(self, recipe: ComposerRecipe, processes: int) -> None:
        context = multiprocessing.get_context("spawn")
        self._pool: Pool = context.Pool(processes, initializer=_start, initargs=(recipe,))

    def render(self, recipients: Sequence[ClaimedRecipient]) -> Iterator[Rendered]:
        """Each recipient's message (or failure), in order, as the renderers finish them."""
        items = [(r.recipient_id, r.email, r.context, r.variant) for r in recipients]
        chunks = [items[i : i + CHUNK] for i in range(0, len(items), CHUNK)]
        for rendered in self._pool.imap(_compose, chunks):
            yield from rendered

    def close(self) -> None:
        """Stop the renderers."""
        self._pool.terminate()
        self._pool.join()
