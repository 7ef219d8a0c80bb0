"""The sending loop: claim a batch, render it, hand it to a pool of SMTP connections.

The same loop runs in ``hookline campaign send`` (in the foreground, for one
campaign) and in ``hookline worker`` (for every campaign that is sending). Several
loops, in one process or on several machines, share a campaign through the ledger.

Each SMTP connection is one thread. It marks a message ``sending`` before the SMTP
transaction and records the outcome in the same commit as its next message's
``sending`` mark, so at most one message per connection is ever in flight and
unrecorded (see :mod:`campaigns.ledger`). The commits of all connections are grouped
by :mod:`campaigns.ledger_writer`.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Engine, select

from audiences.models import utcnow
from campaigns import ledger
from campaigns.composer import MessageComposer
from campaigns.ledger_writer import LedgerWriter
from campaigns.models import Campaign
from campaigns.render.campaign_template import RenderError
from campaigns.render_pool import Rendered, RenderPool
from campaigns.smtp.rate_limit import RateLimiter
from campaigns.smtp.smtp_client import DeliveryResult, Outcome

# How long an idle loop waits before looking for due retries or new work again.
IDLE_POLL_SECONDS = 0.5


class Transport(Protocol):
    """One SMTP connection (campaigns.smtp.smtp_client.SmtpConnection)."""

    def send(self, envelope_from: str, recipient: str, message: bytes) -> DeliveryResult:
        """Deliver one message to one recipient; never raises for SMTP problems."""

    def close(self) -> None:
        """Say goodbye to the server."""


@dataclass(frozen=True)
class DeliveryOptions:
    """How a loop sends: connections, batches, leases, retries and rate limits."""

    connections: int = 4
    batch_size: int = 100
    lease_seconds: float = 300.0
    max_attempts: int = 5
    retry_delay: float = 60.0
    limiter: RateLimiter | None = None
    # Processes that render messages; 0 renders in the sending process. Starting them
    # costs about a second, so small sends (fewer rows than render_pool_from) don't.
    render_processes: int = 0
    render_pool_from: int = 2000


@dataclass
class _Job:
    recipient_id: int
    address: str
    message: bytes
    attempts: int


@dataclass
class LoopStats:
    """What one loop did, for its caller's summary."""

    sent: int = 0
    bounced: int = 0
    failed: int = 0
    retried: int = 0
    skipped: int = 0
    lost_leases: int = 0


class ConnectionPool:
    """``connections`` threads, each with an SMTP connection and a database connection."""

    def __init__(
        self,
        engine: Engine,
        owner: str,
        envelope_from: str,
        transport_factory: Callable[[], Transport],
        options: DeliveryOptions,
        stats: LoopStats,
    ) -> None:
        self.engine = engine
        self.owner = owner
        self.envelope_from = envelope_from
        self.options = options
        self.stats = stats
        self.jobs: queue.Queue[_Job | None] = queue.Queue(maxsize=options.connections * 4)
        self.fatal: BaseException | None = None
        self._lock = threading.Lock()
        self.writer = LedgerWriter(engine, owner, options.lease_seconds)
        self.threads = [
            threading.Thread(
                target=self._run, args=(transport_factory,), name=f"smtp-{i}", daemon=True
            )
            for i in range(options.connections)
        ]
        for thread in self.threads:
            thread.start()

    def put(self, job: _Job) -> None:
        """Queue one rendered message (blocks while every connection is busy)."""
        if self.fatal is not None:
            raise self.fatal
        self.jobs.put(job)

    def drain(self) -> None:
        """Wait until every queued message has an outcome recorded."""
        self.jobs.join()
        if self.fatal is not None:
            raise self.fatal

    def close(self) -> None:
        """Finish the queued messages and close every connection."""
        for _ in self.threads:
            self.jobs.put(None)
        for thread in self.threads:
            thread.join()
        self.writer.close()

    def _outcome(self, job: _Job, result: DeliveryResult, now: datetime) -> ledger.Outcome:
        detail = result.detail or None
        if result.outcome == Outcome.SENT:
            return ledger.Outcome(job.recipient_id, "sent", None, result.code)
        if result.outcome == Outcome.BOUNCED:
            return ledger.Outcome(job.recipient_id, "bounced", detail, result.code)
        attempts = job.attempts + 1
        if attempts >= self.options.max_attempts:
            return ledger.Outcome(
                job.recipient_id,
                "failed",
                f"gave up after {attempts} attempts: {detail}",
                result.code,
            )
        delay = self.options.retry_delay * 2 ** (attempts - 1)
        return ledger.Outcome(
            job.recipient_id,
            "queued",
            f"attempt {attempts} failed: {detail}",
            result.code,
            retry_at=now + timedelta(seconds=delay),
        )

    def _count(self, outcome: ledger.Outcome) -> None:
        with self._lock:
            if outcome.state == "queued":
                self.stats.retried += 1
            else:
                setattr(self.stats, outcome.state, getattr(self.stats, outcome.state) + 1)

    def _submit(self, pending: tuple[_Job, ledger.Outcome] | None, sending: int | None) -> bool:
        """Record the previous outcome and mark the next row in one group commit."""
        job, outcome = pending if pending is not None else (None, None)
        granted = self.writer.submit(outcome, job.address if job else None, sending)
        if pending is not None:
            self._count(pending[1])
            self.jobs.task_done()
        return granted

    def _run(self, transport_factory: Callable[[], Transport]) -> None:
        transport = transport_factory()
        pending: tuple[_Job, ledger.Outcome] | None = None
        try:
            while True:
                try:
                    job = self.jobs.get(timeout=0.05) if pending else self.jobs.get()
                except queue.Empty:
                    self._submit(pending, None)
                    pending = None
                    continue
                if job is None:
                    self._submit(pending, None)
                    pending = None
                    self.jobs.task_done()
                    return
                if self.fatal is not None:
                    self.jobs.task_done()
                    continue
                if self.options.limiter is not None:
                    self.options.limiter.acquire()
                # The previous outcome and this message's turn are committed together.
                granted = self._submit(pending, job.recipient_id)
                pending = None
                if not granted:
                    with self._lock:
                        self.stats.lost_leases += 1
                    self.jobs.task_done()
                    continue
                result = transport.send(self.envelope_from, job.address, job.message)
                pending = (job, self._outcome(job, result, utcnow()))
        except BaseException as exc:  # a config error (bad SMTP login) or a database failure
            self.fatal = exc
            if pending is not None:
                self.jobs.task_done()
            # Keep draining so nobody waits on this thread forever.
            while True:
                job = self.jobs.get()
                self.jobs.task_done()
                if job is None:
                    return
        finally:
            transport.close()


def campaign_state(engine: Engine, campaign_id: int) -> str | None:
    """The campaign's state now, as another process may have changed it."""
    with engine.connect() as connection:
        return connection.scalar(select(Campaign.state).where(Campaign.id == campaign_id))


def deliver(
    engine: Engine,
    campaign_id: int,
    composer: MessageComposer,
    transport_factory: Callable[[], Transport],
    owner: str,
    options: DeliveryOptions,
    stop: threading.Event | None = None,
    on_batch: Callable[[LoopStats], None] | None = None,
    wait_for_retries: bool = True,
) -> LoopStats:
    """Send the campaign's queued rows until none is left, it is paused, or ``stop`` is set.

    Returns when every row is final (the campaign is then ``done``), when only rows
    held for an A/B decision remain (the decision queues them later), or, with
    ``wait_for_retries`` False, when only retries that aren't yet due remain.
    """
    stop = stop or threading.Event()
    stats = LoopStats()
    renderers = None
    if options.render_processes:
        with engine.connect() as connection:
            waiting = ledger.unfinished(connection, campaign_id)
        if waiting >= options.render_pool_from:
            renderers = RenderPool(composer.recipe, options.render_processes)
    pool = ConnectionPool(engine, owner, composer.envelope_from, transport_factory, options, stats)
    try:
        while not stop.is_set():
            if campaign_state(engine, campaign_id) != "sending":
                break
            now = utcnow()
            with engine.begin() as connection:
                ledger.recover_expired(connection, campaign_id, now)
                ids = ledger.claim(
                    connection, campaign_id, owner, options.batch_size, options.lease_seconds, now
                )
            if not ids:
                # Every message in flight must have its outcome before "done" is decided.
                pool.drain()
                with engine.begin() as connection:
                    if ledger.finish_if_complete(connection, campaign_id, now):
                        break
                    due = ledger.next_due(connection, campaign_id)
                    # Only held rows left: waiting here would wait for the scheduler.
                    held_only = not ledger.unfinished(connection, campaign_id)
                if held_only or not wait_for_retries:
                    break
                wait = IDLE_POLL_SECONDS if due is None else (due - utcnow()).total_seconds()
                stop.wait(min(max(wait, 0.01), IDLE_POLL_SECONDS))
                continue
            _send_batch(engine, composer, renderers, pool, ids, stats, stop)
            if on_batch is not None:
                on_batch(stats)
        pool.drain()
    finally:
        pool.close()
        if renderers is not None:
            renderers.close()
        with engine.begin() as connection:
            ledger.release(connection, campaign_id, owner, utcnow())
    if on_batch is not None:
        on_batch(stats)
    return stats


def _compose_here(
    composer: MessageComposer, recipients: list[ledger.ClaimedRecipient]
) -> Iterator[Rendered]:
    """Render in this process (one core, or no fork)."""
    for recipient in recipients:
        try:
            message = composer.compose(
                recipient.recipient_id,
                recipient.email,
                recipient.context,
                variant=recipient.variant,
            )
        except RenderError as exc:
            yield recipient.recipient_id, None, str(exc)
        else:
            yield recipient.recipient_id, message, None


def _send_batch(
    engine: Engine,
    composer: MessageComposer,
    renderers: RenderPool | None,
    pool: ConnectionPool,
    ids: list[int],
    stats: LoopStats,
    stop: threading.Event,
) -> None:
    now = utcnow()
    with engine.begin() as connection:
        ready, skipped = ledger.load_claimed(connection, ids, "email")
        ledger.mark_skipped(connection, skipped, now)
    stats.skipped += len(skipped)
    failures: list[ledger.Outcome] = []
    by_id = {recipient.recipient_id: recipient for recipient in ready}
    rendered = renderers.render(ready) if renderers is not None else _compose_here(composer, ready)
    for recipient_id, message, problem in rendered:
        if stop.is_set():
            break  # the rest stay claimed by us and are released on the way out
        recipient = by_id[recipient_id]
        if message is None:
            failures.append(ledger.Outcome(recipient_id, "failed", f"render failed: {problem}"))
            continue
        pool.put(_Job(recipient_id, recipient.email, message, recipient.attempts))
    if failures:
        with engine.begin() as connection:
            for outcome in failures:
                ledger.record_outcome(connection, outcome, utcnow())
        stats.failed += len(failures)
