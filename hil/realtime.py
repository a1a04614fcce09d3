"""The real-time run loop: absolute deadlines, optional real-time scheduling, statistics.

A bench host runs the controller at a fixed rate against a device that keeps
its own time. The loop wakes at absolute deadlines (``next += period``; a
relative ``sleep(period)`` drifts, ros2_control #644 ran 5.9 % slow that
way), optionally as SCHED_FIFO with 1 ns timer slack, a short final spin and
locked memory (PERFORMANCE.md section 2d: p99 lateness from ~230 us to ~0.3 us
on this kind of machine). The serial reader runs on its own thread inside the
HAL; the loop never waits on the port.

Overrun policy: a cycle that ends after the next deadline is an overrun. The
deadlines it ran over are *missed cycles*: they are skipped, not made up in a
burst, and the device keeps applying the last command (the microcontroller
holds its set-points until its own watchdog trips). ``max_overruns_in_row``
consecutive overruns raise :class:`LoopOverrunError`: a host that cannot keep
its rate must not keep driving a mechanism.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from controller.errors import DockhilError

_PR_SET_TIMERSLACK = 29
_MCL_CURRENT, _MCL_FUTURE = 1, 2


class LoopOverrunError(DockhilError):
    """The loop overran its period too many times in a row to keep driving the mechanism.

    ``stats`` holds the timing samples up to that moment, for the record.
    """

    def __init__(self, message: str, stats: LoopStats) -> None:
        super().__init__(message)
        self.stats = stats


@dataclass(frozen=True, slots=True)
class SchedulerRequest:
    """What the loop asks of the operating system (each may be refused)."""

    fifo_priority: int = 0
    """SCHED_FIFO priority (1..99); 0 = stay on the normal scheduler."""
    timer_slack_ns: int | None = None
    """Timer slack for this thread, ns (1 = as exact as the kernel allows); None = leave."""
    spin_us: float = 0.0
    """Sleep until this long before each deadline, then busy-wait, us."""
    lock_memory: bool = False
    """mlockall(): no page faults in the loop."""


@dataclass(slots=True)
class SchedulerGrant:
    requested: dict[str, Any] = field(default_factory=dict)
    granted: dict[str, Any] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        return ctypes.CDLL(name, use_errno=True)
    except OSError:
        return None


def apply_scheduler(req: SchedulerRequest) -> SchedulerGrant:
    """Ask for what ``req`` says; report what was granted and why not, never raise."""
    g = SchedulerGrant(
        requested={
            "policy": "SCHED_FIFO" if req.fifo_priority else "SCHED_OTHER",
            "priority": req.fifo_priority,
            "timer_slack_ns": req.timer_slack_ns,
            "spin_us": req.spin_us,
            "lock_memory": req.lock_memory,
        }
    )
    g.granted = {
        "policy": "SCHED_OTHER",
        "priority": 0,
        "timer_slack_ns": None,
        "spin_us": req.spin_us,
        "lock_memory": False,
    }
    if req.fifo_priority:
        try:
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(req.fifo_priority))
            g.granted["policy"] = "SCHED_FIFO"
            g.granted["priority"] = req.fifo_priority
        except (PermissionError, OSError, AttributeError) as exc:
            g.messages.append(
                f"SCHED_FIFO {req.fifo_priority} not granted ({exc}); running on the normal "
                "scheduler: expect more lateness (give the user CAP_SYS_NICE or an rtprio limit)"
            )
    libc = _libc()
    if req.timer_slack_ns is not None:
        if (
            libc is not None
            and libc.prctl(_PR_SET_TIMERSLACK, ctypes.c_ulong(req.timer_slack_ns), 0, 0, 0) == 0
        ):
            g.granted["timer_slack_ns"] = req.timer_slack_ns
        else:
            g.messages.append("timer slack not set (prctl unavailable); the default is 50 us")
    if req.lock_memory:
        if libc is not None and libc.mlockall(_MCL_CURRENT | _MCL_FUTURE) == 0:
            g.granted["lock_memory"] = True
        else:
            err = ctypes.get_errno() if libc is not None else 0
            g.messages.append(
                f"mlockall refused ({os.strerror(err) if err else 'no libc'}); page faults possible"
            )
    return g


def restore_scheduler() -> None:
    """Back to SCHED_OTHER (e.g. after a timing measurement in a test process)."""
    with contextlib.suppress(PermissionError, OSError, AttributeError):
        os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))


@contextlib.contextmanager
def scheduled(req: SchedulerRequest) -> Iterator[SchedulerGrant]:
    """Apply ``req`` for the ``with`` block (floor and loop alike), then restore."""
    grant = apply_scheduler(req)
    try:
        yield grant
    finally:
        if req.fifo_priority:
            restore_scheduler()


FLOOR_SECONDS = 3.0
"""How long the host's floor is measured, s: a few thousand deadlines at 1 kHz."""


def _idle_tick() -> int | None:
    return None


def measure_floor(
    period_s: float,
    seconds: float,
    spin_us: float = 0.0,
    clock_ns: Callable[[], int] = time.monotonic_ns,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """The host's own timing floor: the same deadline loop with nothing to do.

    What cyclictest measures: a thread that only wakes at absolute deadlines,
    at the loop's rate and under the scheduler settings already applied
    (call it inside :func:`scheduled`). Its misses and lateness are the
    platform's (timer latency, other load, the hypervisor); whatever the real
    loop shows above them is the loop's own doing.
    """
    stats = run_loop(
        _idle_tick,
        period_s,
        seconds=seconds,
        spin_us=spin_us,
        max_overruns_in_row=2**62,
        clock_ns=clock_ns,
        sleep=sleep,
    )
    expected = stats.cycles + stats.missed_cycles
    return {
        "seconds": seconds,
        "cycles": stats.cycles,
        "missed_cycles": stats.missed_cycles,
        "missed_fraction": stats.missed_cycles / expected if expected else 0.0,
        "lateness_us": percentiles_us(np.asarray(stats.lateness_ns, dtype=np.int64)),
    }


def above_floor(loop: dict[str, Any], floor: dict[str, Any]) -> dict[str, float | None]:
    """What the loop adds to the host's floor: missed cycles (percentage points) and
    lateness percentiles (us), each loop minus floor."""
    out: dict[str, float | None] = {
        "missed_pp": (loop["missed_fraction"] - floor["missed_fraction"]) * 100.0
    }
    for q in ("p50", "p99", "p999"):
        a, b = loop["lateness_us"][q], floor["lateness_us"][q]
        out[f"lateness_{q}_us"] = None if a is None or b is None else a - b
    return out


def histogram_us(samples_ns: np.ndarray, bins: int = 40) -> dict[str, list[float]]:
    """Log-spaced histogram of nanosecond samples, in microseconds, for the report."""
    us = samples_ns.astype(np.float64) / 1000.0
    us = us[us > 0]
    if us.size == 0:
        return {"edges_us": [], "counts": []}
    lo, hi = max(float(us.min()), 0.01), max(float(us.max()), 0.02)
    edges = np.geomspace(lo, hi * 1.0001, bins + 1)
    counts, _ = np.histogram(us, edges)
    return {"edges_us": [float(e) for e in edges], "counts": [int(c) for c in counts]}


def percentiles_us(samples_ns: np.ndarray) -> dict[str, float | None]:
    """p50, p99, p99.9 and max of nanosecond samples, in microseconds."""
    if samples_ns.size == 0:
        return {"p50": None, "p99": None, "p999": None, "max": None}
    us = samples_ns.astype(np.float64) / 1000.0
    return {
        "p50": float(np.percentile(us, 50)),
        "p99": float(np.percentile(us, 99)),
        "p999": float(np.percentile(us, 99.9)),
        "max": float(us.max()),
    }


class LoopStats:
    """Per-cycle timing samples of a real-time run, in ns, kept in growable arrays."""

    def __init__(self) -> None:
        self.exec_ns: list[int] = []
        self.lateness_ns: list[int] = []
        self.period_ns: list[int] = []
        self.latency_ns: list[int] = []
        self.overruns = 0
        self.missed_cycles = 0
        self.cycles = 0
        self.wall_s = 0.0
        self.first_wake_ns = 0
        self.last_wake_ns = 0
        self.first_deadline_ns = 0
        self.last_deadline_ns = 0

    def summary(self, period_s: float, grant: SchedulerGrant | None = None) -> dict[str, Any]:
        expected = self.cycles + self.missed_cycles
        # Two rates between the first and the last wake: the loop's time base (control
        # periods elapsed per second, missed ones included: drifts if sleeping were
        # relative) and the cycles actually executed per second (lower by the misses).
        span_s = (self.last_wake_ns - self.first_wake_ns) / 1e9
        periods = (self.last_deadline_ns - self.first_deadline_ns) / (period_s * 1e9)
        achieved = periods / span_s if span_s > 0 else 0.0
        executed = (self.cycles - 1) / span_s if self.cycles > 1 and span_s > 0 else 0.0
        return {
            "mode": "realtime",
            "rate_hz_target": 1.0 / period_s,
            "rate_hz_achieved": achieved,
            "rate_hz_executed": executed,
            "cycles": self.cycles,
            "missed_cycles": self.missed_cycles,
            "missed_fraction": self.missed_cycles / expected if expected else 0.0,
            "overruns": self.overruns,
            "wall_s": self.wall_s,
            "exec_us": percentiles_us(np.asarray(self.exec_ns, dtype=np.int64)),
            "lateness_us": percentiles_us(np.asarray(self.lateness_ns, dtype=np.int64)),
            "period_us": percentiles_us(np.asarray(self.period_ns, dtype=np.int64)),
            "latency_us": percentiles_us(np.asarray(self.latency_ns, dtype=np.int64)),
            "histograms": {
                "exec_us": histogram_us(np.asarray(self.exec_ns, dtype=np.int64)),
                "lateness_us": histogram_us(np.asarray(self.lateness_ns, dtype=np.int64)),
            },
            "scheduler": {
                "requested": grant.requested if grant else {},
                "granted": grant.granted if grant else {},
                "messages": grant.messages if grant else [],
            },
        }


Tick = Callable[[], int | None]
"""One cycle of work; returns the wall time (monotonic ns) at which its input
sample arrived, for the sensor-to-command latency, or None if unknown."""


def run_loop(
    tick: Tick,
    period_s: float,
    cycles: int | None = None,
    seconds: float | None = None,
    spin_us: float = 0.0,
    max_overruns_in_row: int = 50,
    should_stop: Callable[[], bool] | None = None,
    clock_ns: Callable[[], int] = time.monotonic_ns,
    sleep: Callable[[float], None] = time.sleep,
) -> LoopStats:
    """Call ``tick`` at absolute deadlines until ``cycles``, ``seconds`` or ``should_stop``.

    ``clock_ns`` and ``sleep`` are injectable so the deadline and overrun
    logic is tested under a fake clock; real runs use the monotonic clock.
    While it runs, the interpreter is kept out of the loop's way
    (:func:`quiet_interpreter`).
    """
    with quiet_interpreter():
        return _run_loop(
            tick,
            period_s,
            cycles,
            seconds,
            spin_us,
            max_overruns_in_row,
            should_stop,
            clock_ns,
            sleep,
        )


SWITCH_INTERVAL_S = 1e-4
"""GIL hand-over interval while a loop runs, s (CPython's default is 5 ms)."""


@contextlib.contextmanager
def quiet_interpreter() -> Iterator[None]:
    """What CPython itself adds to a loop's wake-up, switched off for its duration.

    * The cyclic garbage collector: a full collection walks every tracked
      object (a long run's telemetry is hundreds of thousands of rows) and
      stops the loop for milliseconds at moments it cannot choose. The loop's
      per-cycle objects are freed by reference counting; the collector is
      paused and what existed before is frozen, and both are undone after.
    * The GIL hand-over: a thread that wants the GIL waits up to the switch
      interval for the holder to give it up. The serial reader thread decodes
      frames in Python; at 5 ms a control thread woken at its deadline could
      wait that long behind it. 100 us bounds the wait at a tenth of a 1 kHz
      period for a few per cent more switching.
    """
    was_enabled = gc.isenabled()
    interval = sys.getswitchinterval()
    gc.disable()
    gc.freeze()
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    try:
        yield
    finally:
        sys.setswitchinterval(interval)
        gc.unfreeze()
        if was_enabled:
            gc.enable()


def _run_loop(
    tick: Tick,
    period_s: float,
    cycles: int | None,
    seconds: float | None,
    spin_us: float,
    max_overruns_in_row: int,
    should_stop: Callable[[], bool] | None,
    clock_ns: Callable[[], int],
    sleep: Callable[[float], None],
) -> LoopStats:
    stats = LoopStats()
    period_ns = round(period_s * 1e9)
    spin_ns = round(spin_us * 1000)
    start = clock_ns()
    deadline = start + period_ns
    end = start + round(seconds * 1e9) if seconds is not None else None
    last_wake: int | None = None
    in_row = 0
    while True:
        if cycles is not None and stats.cycles >= cycles:
            break
        if should_stop is not None and should_stop():
            break
        # wait for the deadline: sleep most of the way, spin the rest
        now = clock_ns()
        remaining = deadline - now - spin_ns
        if remaining > 0:
            sleep(remaining / 1e9)
        while clock_ns() < deadline:
            pass
        wake = clock_ns()
        if end is not None and wake >= end:
            break
        stats.lateness_ns.append(wake - deadline)
        if last_wake is not None:
            stats.period_ns.append(wake - last_wake)
        else:
            stats.first_wake_ns = wake
            stats.first_deadline_ns = deadline
        last_wake = wake
        stats.last_wake_ns = wake
        stats.last_deadline_ns = deadline
        t0 = clock_ns()
        arrived = tick()
        t1 = clock_ns()
        stats.exec_ns.append(t1 - t0)
        if arrived is not None:
            stats.latency_ns.append(t1 - arrived)
        stats.cycles += 1
        deadline += period_ns
        if t1 > deadline:
            missed = (t1 - deadline) // period_ns + 1
            stats.overruns += 1
            stats.missed_cycles += int(missed)
            deadline += int(missed) * period_ns  # skip them: no catch-up burst
            in_row += 1
            if in_row >= max_overruns_in_row:
                stats.wall_s = (clock_ns() - start) / 1e9
                raise LoopOverrunError(
                    f"{in_row} overruns in a row at {1.0 / period_s:g} Hz: this host cannot "
                    "hold the rate (see docs/timing.md)",
                    stats,
                )
        else:
            in_row = 0
    stats.wall_s = (clock_ns() - start) / 1e9
    return stats
