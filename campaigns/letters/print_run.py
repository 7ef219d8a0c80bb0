"""A letter campaign's print run: ledger rows in, chunk PDFs out, in worker processes.

The parent claims ``chunk-size`` queued rows at a time (under a lease, as the email
workers do), loads their contacts, and hands each chunk to a pool of ``[letters]
processes`` spawned workers (:mod:`campaigns.letters.chunk_render`). At most two
chunks per worker are in flight, so memory stays flat however big the batch. When a
worker has written a chunk's PDF, its rows are marked ``sent`` with ``detail`` =
``chunk <key>`` in one transaction; a letter that failed to render is ``failed`` with
the reason. Ctrl-C lets the running chunks finish and be recorded, and gives the
other claimed rows back: the next run renders only what is left.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, Engine, update

from audiences.models import utcnow
from campaigns import ledger
from campaigns.campaign_store import CampaignError
from campaigns.letters.chunk_render import ChunkJob, ChunkResult, LetterRecipe, render_chunk
from campaigns.letters.chunk_render import start_worker as _start_worker
from campaigns.models import Recipient
from campaigns.sending import worker_name

CHUNK_DETAIL = "chunk "


class LetterError(CampaignError):
    """The print run can't go on: a worker died, or a file can't be written."""


@dataclass
class RunStats:
    """What one print run did."""

    printed: int = 0
    pages: int = 0
    failed: int = 0
    skipped: int = 0
    chunks: int = 0
    seconds: float = 0.0
    failures: dict[int, str] = field(default_factory=dict)


def chunk_key(first_recipient_id: int) -> str:
    """A chunk's file name: its first ledger row, so names sort in print order."""
    return f"c{first_recipient_id:010d}"


def _record(connection: Connection, result: ChunkResult) -> None:
    """Mark a written chunk's rows sent, and its failed letters failed."""
    now = utcnow()
    if result.printed:
        connection.execute(
            update(Recipient)
            .where(Recipient.id.in_(result.printed))
            .values(
                state="sent",
                detail=f"{CHUNK_DETAIL}{result.key}",
                sent_at=now,
                lease_owner=None,
                lease_until=None,
                updated_at=now,
                attempts=Recipient.attempts + 1,
            )
        )
    for recipient_id, reason in result.failed.items():
        connection.execute(
            update(Recipient)
            .where(Recipient.id == recipient_id)
            .values(
                state="failed",
                detail=reason,
                lease_owner=None,
                lease_until=None,
                updated_at=now,
                attempts=Recipient.attempts + 1,
            )
        )


def _next_job(
    engine: Engine, campaign_id: int, owner: str, size: int, lease: float, stats: RunStats
) -> ChunkJob | None:
    """Claim the next chunk of queued rows; None when none is left."""
    while True:
        with engine.begin() as connection:
            ids = ledger.claim(connection, campaign_id, owner, size, lease)
            if not ids:
                return None
            ready, skipped = ledger.load_claimed(connection, ids, "letter")
            if skipped:
                # Consent or address changed since the snapshot: checked again here.
                ledger.mark_skipped(connection, skipped, utcnow())
                stats.skipped += len(skipped)
        if ready:
            return ChunkJob(
                chunk_key(ready[0].recipient_id),
                [(row.recipient_id, row.email, row.context) for row in ready],
            )


def print_letters(
    engine: Engine,
    campaign_id: int,
    recipe: LetterRecipe,
    processes: int,
    chunk_size: int,
    lease_seconds: float,
    on_chunk: Callable[[RunStats], None] | None = None,
) -> RunStats:
    """Render every queued row of a letter campaign into chunk PDFs; what was done.

    Raises KeyboardInterrupt after recording the chunks that finished, and
    LetterError when a worker process fails.
    """
    Path(recipe.chunk_folder).mkdir(parents=True, exist_ok=True)
    owner = worker_name()
    stats = RunStats()
    started = time.perf_counter()
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(
        processes, mp_context=context, initializer=_start_worker, initargs=(recipe,)
    )
    running: set[Future[ChunkResult]] = set()
    try:
        exhausted = False
        while True:
            while not exhausted and len(running) < 2 * processes:
                job = _next_job(engine, campaign_id, owner, chunk_size, lease_seconds, stats)
                if job is None:
                    exhausted = True
                else:
                    running.add(pool.submit(render_chunk, job))
            if not running:
                break
            done, running = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                _finish(engine, future, stats)
            stats.seconds = time.perf_counter() - started
            if on_chunk is not None:
                on_chunk(stats)
    except KeyboardInterrupt:
        for future in running:
            future.cancel()
        for future in running:
            if not future.cancelled():
                _finish(engine, future, stats)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        with engine.begin() as connection:
            # Rows claimed but not rendered go back to the queue at once.
            ledger.release(connection, campaign_id, owner, utcnow())
        stats.seconds = time.perf_counter() - started
    return stats


def _finish(engine: Engine, future: Future[ChunkResult], stats: RunStats) -> None:
    try:
        result = future.result()
    except Exception as exc:
        raise LetterError(f"a letter-rendering process failed: {exc}") from exc
    with engine.begin() as connection:
        _record(connection, result)
    stats.chunks += 1 if result.printed else 0
    stats.printed += len(result.printed)
    stats.pages += result.pages
    stats.failed += len(result.failed)
    stats.failures.update(result.failed)
