"""RateLimiter on a fake clock: every sleep is recorded and advances the clock exactly."""

from __future__ import annotations

import threading

import pytest

from campaigns.smtp.rate_limit import RateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def limiter(clock: FakeClock, per_second: float | None, per_hour: float | None) -> RateLimiter:
    return RateLimiter(per_second, per_hour, clock=clock, sleep=clock.sleep)


def send_times(clock: FakeClock, rate: RateLimiter, count: int) -> list[float]:
    times = []
    for _ in range(count):
        rate.acquire()
        times.append(clock.now - 1000.0)
    return times


def test_no_limits_never_sleep() -> None:
    clock = FakeClock()
    send_times(clock, limiter(clock, None, None), 1000)

    assert clock.sleeps == []


def test_per_second_allows_a_burst_of_one_second_then_paces() -> None:
    clock = FakeClock()
    times = send_times(clock, limiter(clock, 4, None), 7)

    assert times == pytest.approx([0, 0, 0, 0, 0.25, 0.5, 0.75])


def test_per_second_below_one_allows_one_at_a_time() -> None:
    clock = FakeClock()
    times = send_times(clock, limiter(clock, 0.5, None), 3)

    assert times == pytest.approx([0, 2, 4])


def test_idle_time_refills_the_bucket_only_up_to_its_burst() -> None:
    clock = FakeClock()
    rate = limiter(clock, 2, None)
    send_times(clock, rate, 2)
    clock.now += 60  # a long pause
    times = send_times(clock, rate, 4)

    assert times == pytest.approx([60, 60, 60.5, 61])


def test_per_hour_bursts_a_minutes_worth_then_paces() -> None:
    clock = FakeClock()
    # 600 an hour: a burst of 10, then one every 3600 / (600 - 10) seconds.
    times = send_times(clock, limiter(clock, None, 600), 12)

    assert times[:10] == [0.0] * 10
    assert times[10:] == pytest.approx([3600 / 590, 2 * 3600 / 590])


@pytest.mark.parametrize("per_hour", [2, 7, 100, 600, 3600, 10_000])
def test_no_rolling_hour_exceeds_the_hourly_limit(per_hour: int) -> None:
    clock = FakeClock()
    times = send_times(clock, limiter(clock, None, per_hour), 3 * per_hour)

    # The hour starting at any send holds at most per_hour sends.
    end = 0
    for start, started_at in enumerate(times):
        while end < len(times) and times[end] < started_at + 3600:
            end += 1
        assert end - start <= per_hour


def test_both_limits_apply_together() -> None:
    clock = FakeClock()
    # The second limit allows 10 at once, but only 5 a second: the hour's burst is paced.
    times = send_times(clock, limiter(clock, 5, 600), 11)

    assert times[:5] == [0.0] * 5
    assert times[5:10] == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0])
    assert times[10] == pytest.approx(3600 / 590)


def test_sleeps_once_for_exactly_the_missing_time() -> None:
    clock = FakeClock()
    rate = limiter(clock, 10, None)
    send_times(clock, rate, 10)
    rate.acquire()

    assert clock.sleeps == pytest.approx([0.1])


@pytest.mark.parametrize(
    ("per_second", "per_hour", "message"),
    [
        (0, None, "per_second must be more than 0"),
        (-1, None, "per_second must be more than 0"),
        (None, 1, "per_hour must be more than 1"),
        (None, 0, "per_hour must be more than 1"),
    ],
)
def test_impossible_limits_are_refused(
    per_second: float | None, per_hour: float | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        RateLimiter(per_second, per_hour)


def test_threads_sharing_a_limiter_never_exceed_it() -> None:
    lock = threading.Lock()
    clock = FakeClock()

    def sleep(seconds: float) -> None:
        # Threads share the fake clock; a sleeper advances it for everyone.
        with lock:
            clock.now += seconds

    rate = RateLimiter(10, None, clock=clock, sleep=sleep)
    stamps: list[float] = []

    def worker() -> None:
        for _ in range(25):
            rate.acquire()
            with lock:
                stamps.append(clock.now)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(stamps) == 100
    # A token bucket of 10 refilled at 10/s lets at most 10 + 10t through by time t.
    stamps.sort()
    for sent, stamp in enumerate(stamps, start=1):
        assert sent <= 10 + 10 * (stamp - 1000.0) + 1e-6
