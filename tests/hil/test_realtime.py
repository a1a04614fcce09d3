"""The real-time loop's deadline and overrun logic, under a fake clock (no real timing)."""

from __future__ import annotations

import pytest

from hil.realtime import LoopOverrunError, SchedulerRequest, apply_scheduler, run_loop


class FakeClock:
    """A monotonic clock that moves only when the loop sleeps or work is simulated."""

    def __init__(self, tick_ns: int = 0) -> None:
        self.ns = 1_000_000_000
        self.tick_ns = tick_ns  # each reading advances the clock (for busy-wait spins)
        self.sleeps: list[float] = []

    def clock(self) -> int:
        self.ns += self.tick_ns
        return self.ns

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.ns += round(seconds * 1e9)


def test_absolute_deadlines_do_not_drift_with_work() -> None:
    clk = FakeClock()
    wakes: list[int] = []

    def tick() -> None:
        wakes.append(clk.ns)
        clk.ns += 300_000  # 0.3 ms of work in a 1 ms period

    stats = run_loop(tick, 0.001, cycles=1000, clock_ns=clk.clock, sleep=clk.sleep)
    assert stats.cycles == 1000
    assert stats.missed_cycles == 0
    # the 1000th wake is exactly 1000 periods after the start: work did not push it later
    assert wakes[-1] - wakes[0] == 999 * 1_000_000
    assert max(stats.lateness_ns) == 0


def test_overrun_skips_missed_deadlines_without_burst() -> None:
    clk = FakeClock()
    n = 0

    def tick() -> None:
        nonlocal n
        n += 1
        clk.ns += 3_500_000 if n == 10 else 100_000  # cycle 10 takes 3.5 periods

    stats = run_loop(tick, 0.001, cycles=20, clock_ns=clk.clock, sleep=clk.sleep)
    assert stats.overruns == 1
    assert stats.missed_cycles == 3
    # after the overrun the loop sleeps again rather than running the missed cycles back to back
    assert all(p >= 1_000_000 for p in stats.period_ns)


def test_persistent_overruns_raise_with_stats() -> None:
    clk = FakeClock()

    def tick() -> None:
        clk.ns += 1_500_000

    with pytest.raises(LoopOverrunError, match="overruns in a row") as info:
        run_loop(
            tick, 0.001, cycles=100, max_overruns_in_row=5, clock_ns=clk.clock, sleep=clk.sleep
        )
    assert info.value.stats.overruns == 5
    assert info.value.stats.cycles == 5


def test_spin_sleeps_short_of_the_deadline() -> None:
    clk = FakeClock(tick_ns=1_000)
    run_loop(lambda: None, 0.001, cycles=3, spin_us=200, clock_ns=clk.clock, sleep=clk.sleep)
    assert len(clk.sleeps) == 3
    # each sleep ends ~200 us before its deadline; the spin covers the rest
    assert all(0.00079 < s < 0.00080 for s in clk.sleeps)


def test_scheduler_request_reports_what_was_granted() -> None:
    grant = apply_scheduler(SchedulerRequest(timer_slack_ns=None))
    assert grant.requested["policy"] == "SCHED_OTHER"
    assert grant.granted["policy"] == "SCHED_OTHER"
    assert grant.messages == []


def test_achieved_rate_counts_missed_cycles() -> None:
    clk = FakeClock()
    n = 0

    def tick() -> None:
        nonlocal n
        n += 1
        clk.ns += 2_500_000 if n % 10 == 0 else 100_000  # every 10th cycle misses 2 deadlines

    stats = run_loop(tick, 0.001, cycles=100, clock_ns=clk.clock, sleep=clk.sleep)
    summary = stats.summary(0.001)
    assert summary["missed_cycles"] == 20
    # 99 intervals between the first and the last wake, 9 of them stretched by 2 missed periods:
    # the time base holds 1000 Hz exactly, the executed rate is lower by the misses
    assert summary["rate_hz_achieved"] == pytest.approx(1000.0, rel=1e-9)
    assert summary["rate_hz_executed"] == pytest.approx(99 / ((99 + 18) * 0.001), rel=1e-9)
    assert summary["missed_fraction"] == pytest.approx(20 / 120, rel=1e-9)
