"""The reference workloads, one per kind of benchmark (see conftest.py and gate.py).

Each kind has a fixed workload that exercises the same machine resource as the
benchmarks of that kind, so load that slows one slows the other alike:

* ``compute`` - :func:`reference_workload`, about 30 us of pure-Python
  interpreter work on one thread (what a controller tick is made of).
* ``parallel`` - :func:`parallel_workload`, a fixed numba ``prange`` kernel
  with as many equal chunks as numba has threads, scheduled like the batch
  plant (``advance_parallel``): the round lasts as long as its slowest thread,
  so a hog on one core stretches it the same way it stretches the batch.
* ``ipc`` - a bare round trip of one 140 B frame (a housekeeping frame's size)
  over a pty to a minimal echo child, with the serial backend's I/O style:
  the host opens the slave end with pyserial, a reader thread does
  ``port.read(port.in_waiting or 1)`` and wakes the caller through a
  ``threading.Condition``; the child owns the master end and serves it with
  ``select`` + ``os.read`` + ``os.write`` like ``dockhil vmcu --pty``. Three
  wake-ups per round trip, as in a lockstep cycle, and almost no computation.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
import pytest
import serial
from numba import njit, prange

# ------------------------------------------------------------------ compute


@dataclass(frozen=True, slots=True)
class _Sample:
    t_s: float
    pos_m: tuple[float, float, float]
    ok: bool


def reference_workload(n: int = 20) -> float:
    """About 30 us of interpreter work: build, read and combine small frozen values."""
    acc = 0.0
    for i in range(n):
        s = _Sample(i * 0.001, (i * 0.5, -i * 0.25, 0.125), i % 3 == 0)
        x, y, z = s.pos_m
        if s.ok:
            acc += (x * x + y * y + z * z) ** 0.5 * s.t_s
        else:
            acc -= min(x, y, z) * 1e-3
    return acc


def bracket_compute(seconds: float = 0.25) -> float:
    """Median of :func:`reference_workload` calls for ``seconds``, in thread CPU time, s.

    Timed the way the compute kind times its benchmarks (one call per round,
    ``time.thread_time``); conftest.py runs it right before and after each one.
    """
    clock = time.thread_time
    samples: list[float] = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end or len(samples) < 5:
        t0 = clock()
        reference_workload()
        samples.append(clock() - t0)
    return statistics.median(samples)


@pytest.mark.benchmark(group="compute")
def test_reference_workload(benchmark: Any) -> None:
    assert benchmark(reference_workload) != 0.0


# ------------------------------------------------------------------ parallel

#: items per thread and integration steps per item: ~0.2 s per call on this 2-core VM
PARALLEL_ITEMS_PER_THREAD = 64
PARALLEL_STEPS = 40_000


@njit(cache=True, parallel=True)
def _parallel_kernel(n_items: int, n_steps: int) -> float:  # pragma: no cover - compiled
    out = np.empty(n_items)
    for b in prange(n_items):
        # a stiff nonlinear spring-damper, semi-implicit Euler: a serial float chain per item
        x = 0.1 + 1e-4 * b
        v = 0.0
        for _ in range(n_steps):
            a = -400.0 * x - 0.8 * v - 50.0 * x * abs(x) + 0.01 * np.sin(x)
            v += a * 1e-3
            x += v * 1e-3
        out[b] = x
    return float(out.sum())


def parallel_workload() -> float:
    """One fixed parallel job, an equal share of the items for each numba thread."""
    n_items = PARALLEL_ITEMS_PER_THREAD * numba.get_num_threads()
    return _parallel_kernel(n_items, PARALLEL_STEPS)


def bracket_parallel(rounds: int = 3) -> float:
    """Median wall time of ``rounds`` calls of :func:`parallel_workload`, s (see conftest.py)."""
    samples: list[float] = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        parallel_workload()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


@pytest.mark.benchmark(group="parallel")
def test_reference_parallel(benchmark: Any) -> None:
    parallel_workload()  # load or compile the kernel outside the timing
    out = benchmark.pedantic(parallel_workload, rounds=5, iterations=1, warmup_rounds=1)
    assert np.isfinite(out)


# ------------------------------------------------------------------ ipc

FRAME_BYTES = 140

#: the echo device: owns the pty master like ``dockhil vmcu --pty`` (select, os.read, os.write)
_ECHO_CHILD = """
import os, select, sys, tty
master, slave = os.openpty()
tty.setraw(slave)
sys.stdout.write(os.ttyname(slave) + "\\n"); sys.stdout.flush()
while True:
    ready, _, _ = select.select([master, sys.stdin], [], [], 0.02)
    if sys.stdin in ready:
        break  # parent closed our stdin: done
    if ready:
        data = os.read(master, 4096)
        if data:
            os.write(master, data)
"""


class PtyEcho:
    """Host side of the echo round trip, in the serial backend's style (see module doc)."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _ECHO_CHILD],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        path = self.proc.stdout.readline().strip()
        self.port = serial.serial_for_url(path, baudrate=921600, timeout=0.005)
        self._cond = threading.Condition()
        self._received = 0
        self._closed = False
        self._frame = bytes(range(FRAME_BYTES))
        self._reader = threading.Thread(target=self._read_loop, name="echo-rx", daemon=True)
        self._reader.start()

    def _read_loop(self) -> None:
        port = self.port
        while not self._closed:
            try:
                data = port.read(port.in_waiting or 1)
            except (serial.SerialException, OSError, TypeError, AttributeError):
                return
            if data:
                with self._cond:
                    self._received += len(data)
                    self._cond.notify_all()

    def round_trip(self) -> None:
        """Write one frame, wait until all of it came back."""
        with self._cond:
            want = self._received + FRAME_BYTES
        self.port.write(self._frame)
        with self._cond:
            if not self._cond.wait_for(lambda: self._received >= want, 1.0):
                raise TimeoutError("echo child did not answer within 1 s")

    def close(self) -> None:
        self._closed = True
        self._reader.join(timeout=1.0)
        self.port.close()
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="module")
def pty_echo() -> Iterator[Callable[[], None]]:
    echo = PtyEcho()
    try:
        for _ in range(50):  # warm-up, as the lockstep benchmark does
            echo.round_trip()
        yield echo.round_trip
    finally:
        echo.close()


@pytest.mark.benchmark(group="ipc")
def test_reference_pty_round_trip(benchmark: Any, pty_echo: Callable[[], None]) -> None:
    benchmark(pty_echo)
