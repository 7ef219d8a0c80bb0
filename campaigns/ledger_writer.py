"""Group commit for the ledger: one transaction for every SMTP connection's news.

Each connection thread must record its last message's outcome and mark its next
message ``sending`` durably *before* that next SMTP transaction starts: that is what
bounds a crash's resends to one message per connection. Committing that per thread
costs a transaction per message, and on SQLite the threads would queue for the write
lock. Instead each thread hands its request to this writer and waits; the writer
takes every request that has arrived, applies them all in one transaction, and wakes
the threads. The guarantee is the same, with one commit per round instead of one per
message.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass

from sqlalchemy import Engine

from audiences.emails import address_hash
from audiences.models import utcnow
from audiences.suppressions import suppress
from campaigns import ledger

# Requests applied in one transaction at most; more wait for the next round.
MAX_GROUP = 256


@dataclass
class Request:
    """A finished message's outcome (with its address) and/or the next row to send.

    The writer answers on ``reply``: True or False (is ``sending`` still ours?), or the
    exception that stopped the commit. ``SimpleQueue`` is implemented in C; a
    ``threading.Event`` per message cost a quarter of the process's time here.
    """

    outcome: ledger.Outcome | None
    address: str | None
    sending: int | None
    reply: queue.SimpleQueue[bool | BaseException]


class _ThreadReplies(threading.local):
    """One reply queue per connection thread, reused for every message it sends."""

    def __init__(self) -> None:
        self.reply: queue.SimpleQueue[bool | BaseException] = queue.SimpleQueue()


class LedgerWriter:
    """A thread that commits the connection threads' ledger changes in groups."""

    def __init__(self, engine: Engine, owner: str, lease_seconds: float) -> None:
        self.engine = engine
        self.owner = owner
        self.lease_seconds = lease_seconds
        self.requests: queue.SimpleQueue[Request | None] = queue.SimpleQueue()
        self.commits = 0
        self._replies = _ThreadReplies()
        self.thread = threading.Thread(target=self._run, name="ledger-writer", daemon=True)
        self.thread.start()

    def submit(
        self, outcome: ledger.Outcome | None, address: str | None, sending: int | None
    ) -> bool:
        """Record ``outcome`` and mark ``sending``; blocks until committed.

        Returns whether the ``sending`` row is still leased to this worker (False: another
        worker took it over, so it must not be sent). Re-raises a database error.
        """
        reply = self._replies.reply
        self.requests.put(Request(outcome, address, sending, reply))
        answer = reply.get()
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def close(self) -> None:
        """Stop the thread once the requests already queued are committed."""
        self.requests.put(None)
        self.thread.join()

    def _run(self) -> None:
        while True:
            first = self.requests.get()
            if first is None:
                return
            group = [first]
            stopping = False
            while len(group) < MAX_GROUP:
                try:
                    more = self.requests.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stopping = True
                    break
                group.append(more)
            try:
                granted = self._commit(group)
            except BaseException as exc:  # the waiting threads re-raise it
                for request in group:
                    request.reply.put(exc)
            else:
                for request in group:
                    request.reply.put(request.sending in granted)
            if stopping:
                return

    def _commit(self, group: list[Request]) -> set[int]:
        now = utcnow()
        sent: list[tuple[int, int | None]] = []
        with self.engine.begin() as connection:
            for request in group:
                outcome = request.outcome
                if outcome is None:
                    continue
                if outcome.state == "sent":
                    sent.append((outcome.recipient_id, outcome.smtp_code))
                    continue
                ledger.record_outcome(connection, outcome, now)
                if outcome.state == "bounced" and request.address:
                    suppress(
                        connection,
                        address_hash(request.address),
                        "email",
                        "hard_bounce",
                        outcome.detail,
                    )
            ledger.record_sent_many(connection, sent, now)
            wanted = [r.sending for r in group if r.sending is not None]
            granted = ledger.mark_sending_many(
                connection, wanted, self.owner, self.lease_seconds, now
            )
        self.commits += 1
        return granted
