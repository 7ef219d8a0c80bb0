"""The send rate a provider allows: so many messages a second and so many an hour.

Both limits are token buckets: a bucket holds up to ``burst`` tokens, refills at a
steady rate, and every send takes one token from each bucket.

- Per second: burst ``max(1, per_second)``, refilled at ``per_second`` tokens a
  second. After a pause, up to a second's worth of messages go at once; sustained
  sending runs at exactly ``per_second``.
- Per hour: burst ``max(1, per_hour / 60)`` (a minute's worth), refilled at
  ``(per_hour - burst) / 3600`` tokens a second. A bucket with burst ``B`` and refill
  rate ``r`` lets at most ``B + 3600 r`` sends through in any hour, however the hour is
  placed, so this choice means no rolling hour ever exceeds ``per_hour``. The price is a
  sustained rate of ``per_hour - burst`` an hour: 59/60 of the limit for large limits,
  less for small ones. ``per_hour`` must therefore be more than 1.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

# Float rounding can leave a bucket at 0.9999999999 tokens after waiting exactly
# long enough; without this margin acquire() would sleep for ever-smaller slivers.
_EPSILON = 1e-9
SECONDS_PER_HOUR = 3600.0


class _TokenBucket:
    """Up to ``burst`` tokens, refilled at ``rate`` tokens a second; starts full."""

    def __init__(self, burst: float, rate: float, now: float) -> None:
        self.burst = burst
        self.rate = rate
        self.tokens = burst
        self.updated = now

    def refill(self, now: float) -> None:
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(self.burst, self.tokens + elapsed * self.rate)
        self.updated = now

    def wait_for_token(self) -> float:
        """Seconds until the bucket holds a whole token (0 if it does now)."""
        missing = 1.0 - self.tokens
        return 0.0 if missing <= _EPSILON else missing / self.rate


class RateLimiter:
    """Blocks each send until both the per-second and the per-hour limit allow it.

    ``None`` leaves a limit off. Safe to share between the threads of a worker pool.
    ``clock`` and ``sleep`` are injectable so tests run on a fake clock. The bucket
    sizes, and why no rolling hour exceeds ``per_hour``, are in the module docstring.
    """

    def __init__(
        self,
        per_second: float | None,
        per_hour: float | None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if per_second is not None and not per_second > 0:
            raise ValueError(f"per_second must be more than 0, not {per_second}")
        if per_hour is not None and not per_hour > 1:
            raise ValueError(f"per_hour must be more than 1, not {per_hour}")
        self.per_second = per_second
        self.per_hour = per_hour
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        now = clock()
        self._buckets: list[_TokenBucket] = []
        if per_second is not None:
            self._buckets.append(_TokenBucket(max(1.0, per_second), per_second, now))
        if per_hour is not None:
            burst = max(1.0, per_hour / 60)
            self._buckets.append(_TokenBucket(burst, (per_hour - burst) / SECONDS_PER_HOUR, now))

    def acquire(self) -> None:
        """Return when one more send is allowed under both limits, sleeping until then."""
        while True:
            with self._lock:
                now = self._clock()
                for bucket in self._buckets:
                    bucket.refill(now)
                wait = max((bucket.wait_for_token() for bucket in self._buckets), default=0.0)
                if wait == 0.0:
                    for bucket in self._buckets:
                        bucket.tokens = max(0.0, bucket.tokens - 1.0)
                    return
            # Sleep outside the lock so other threads can check too; whoever wakes
            # first takes the token and the others wait again.
            self._sleep(wait)
