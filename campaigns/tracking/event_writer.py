"""Opens and clicks, written to ``campaign_events`` in batches by one thread.

A request handler only verifies its token and calls :meth:`EventWriter.put`, which
appends to an in-memory queue and returns at once; one writer thread takes the queue
every ``interval`` seconds (or as soon as ``batch_size`` events wait) and writes each
batch with one ``INSERT … SELECT`` executemany in one transaction. The campaign and
the contact come from the ledger row inside that statement, so an event for a row
that doesn't exist records nothing, and the handler never reads the database.

The bound: a process killed with -9 loses the events still queued, at most one
interval's worth (or ``batch_size`` if they arrive faster). A normal stop calls
:meth:`EventWriter.close`, which writes everything. When the database refuses a batch
the batch goes back to the head of the queue and is retried after ``retry_delay``, so
an outage delays events without losing them, up to ``max_pending`` queued events;
beyond that new events are dropped and counted in :attr:`EventWriter.dropped`.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Engine, String, Table, Text, bindparam, select
from sqlalchemy.exc import SQLAlchemyError

from audiences.models import utcnow
from campaigns.models import CampaignEvent, Recipient

log = logging.getLogger(__name__)

_RECIPIENTS = Recipient.__table__
_EVENTS = CampaignEvent.__table__
assert isinstance(_RECIPIENTS, Table) and isinstance(_EVENTS, Table)
# Built once: the writer runs it for every batch.
_INSERT_FROM_LEDGER = _EVENTS.insert().from_select(
    ["campaign_id", "recipient_id", "contact_id", "kind", "url", "source", "occurred_at"],
    select(
        _RECIPIENTS.c.campaign_id,
        _RECIPIENTS.c.id,
        _RECIPIENTS.c.contact_id,
        bindparam("kind", type_=String(16)),
        bindparam("url", type_=Text()),
        bindparam("source", type_=String(32)),
        bindparam("at", type_=DateTime()),
    ).where(_RECIPIENTS.c.id == bindparam("rid")),
)


class EventWriter:
    """A queue of events and the one thread that writes it; see the module docstring.

    Call :meth:`start` once, :meth:`put` from any thread or coroutine, and
    :meth:`close` at shutdown. :meth:`flush` writes what is queued now.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        interval: float = 0.05,
        batch_size: int = 500,
        retry_delay: float = 1.0,
        max_pending: int = 1_000_000,
    ) -> None:
        self.engine = engine
        self.interval = interval
        self.batch_size = batch_size
        self.retry_delay = retry_delay
        self.max_pending = max_pending
        self.written = 0
        self.dropped = 0
        # deque's append and popleft are atomic: put() needs no lock.
        self._pending: deque[dict[str, Any]] = deque()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        # One batch at a time, whether from the thread or from flush().
        self._write_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the writer thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="event-writer", daemon=True)
            self._thread.start()

    def put(
        self,
        recipient_id: int,
        kind: str,
        *,
        url: str | None = None,
        source: str | None = None,
        occurred_at: datetime | None = None,
    ) -> None:
        """Queue one event of ledger row ``recipient_id``; never blocks."""
        if len(self._pending) >= self.max_pending:
            self.dropped += 1
            return
        self._pending.append(
            {
                "rid": recipient_id,
                "kind": kind,
                "url": url,
                "source": source,
                "at": occurred_at or utcnow(),
            }
        )
        if len(self._pending) >= self.batch_size:
            self._wake.set()

    @property
    def pending(self) -> int:
        """Events queued and not yet written."""
        return len(self._pending)

    def flush(self) -> int:
        """Write every event queued now, in batches; how many rows were inserted.

        Raises the database's error when a batch fails (that batch stays queued).
        """
        inserted = 0
        with self._write_lock:
            while self._pending:
                inserted += self._write_batch()
        return inserted

    def close(self) -> None:
        """Stop the thread and write everything still queued."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        try:
            self.flush()
        except SQLAlchemyError as exc:
            log.error("lost %d queued event(s) at shutdown: %s", len(self._pending), exc)
        if self.dropped:
            log.error("dropped %d event(s): the queue was full", self.dropped)

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            try:
                self.flush()
            except Exception as exc:  # the thread must outlive any one batch's failure
                log.error(
                    "cannot record %d event(s), retrying in %.1fs: %s",
                    len(self._pending),
                    self.retry_delay,
                    str(exc).splitlines()[0],
                )
                self._stopping.wait(self.retry_delay)

    def _write_batch(self) -> int:
        batch: list[dict[str, Any]] = []
        try:
            while len(batch) < self.batch_size:
                batch.append(self._pending.popleft())
        except IndexError:
            pass
        if not batch:
            return 0
        try:
            with self.engine.begin() as connection:
                result = connection.execute(_INSERT_FROM_LEDGER, batch)
        except BaseException:
            # Back at the head, in order, for the next attempt.
            self._pending.extendleft(reversed(batch))
            raise
        # executemany's row count is the sum over the batch where the driver reports it.
        inserted = result.rowcount if result.rowcount >= 0 else len(batch)
        self.written += inserted
        return inserted
