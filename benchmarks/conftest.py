"""Benchmarks come in kinds; each is divided by the reference of its kind from the same run.

Shared machines drift by 3-30 % between runs (PERFORMANCE.md), so absolute
times cannot gate CI; ``gate.py`` gates ratios instead. A ratio only holds
under load when both sides feel the load alike, so every benchmark declares
its kind as its pytest-benchmark group, ``@pytest.mark.benchmark(group=...)``
(a module's ``pytestmark`` or a test's own mark), and is divided by the
reference of that kind in ``bench_reference.py``:

* ``compute`` - single-thread interpreter or numba work; reference
  ``test_reference_workload``, a fixed piece of pure Python (attribute access,
  float arithmetic, small tuples, one frozen dataclass per iteration, like a
  controller tick). Compute benchmarks are timed in the thread's CPU time
  (``time.thread_time``, set here for the whole kind): a wall-clock round long
  enough to be shared with another process (a 1.5 s simulated run, a 50 ms
  stream decode) measures the machine's load, while the reference's 25 us
  rounds mostly slip between time slices; in CPU time both measure the work.
* ``parallel`` - numba ``prange`` work on all cores; reference
  ``test_reference_parallel``, a fixed ``prange`` kernel split the same way.
  Wall time: a lost core is what this kind feels.
* ``ipc`` - processes handing bytes over a pty; reference
  ``test_reference_pty_round_trip``, a bare 140 B echo round trip with the
  serial backend's I/O style. Wall time: the waiting is what is measured.

Load from other jobs comes and goes, and with it the speed of the machine
(on the shared 2-vCPU test bed the reference's median moved between 22 and
42 us from one pass to the next, while reference and benchmark calls
interleaved kept their ratio within +-7 %). So a reference measured once, a
minute away from a benchmark, is not enough: for the compute and parallel
kinds :func:`_bracketing_reference` also measures the reference right before
and right after each benchmark (``bracket_compute``: 0.25 s of calls;
``bracket_parallel``: 3 calls) and records both medians in the benchmark's
``extra_info["reference_s"]``, which ``gate.py`` divides by. The reference
tests themselves still run (the gate requires them), each right after the
last benchmark of its kind (reordered here). The ipc kind is not bracketed:
it is reported, not gated (see gate.py).
``benchmarks/under_load.py`` runs the suite idle and beside CPU hogs to show
the ratios hold.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from benchmarks.bench_reference import bracket_compute, bracket_parallel
from benchmarks.gate import REFERENCES

#: pytest-benchmark options that every benchmark of a kind gets (unless it sets them itself)
KIND_OPTIONS: dict[str, dict[str, Any]] = {
    "compute": {"timer": time.thread_time},
    "parallel": {},
    "ipc": {},
}


def _kind(item: pytest.Item) -> str | None:
    mark = item.get_closest_marker("benchmark")
    group = mark.kwargs.get("group") if mark else None
    return group if isinstance(group, str) else None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # the options of each kind, as a mark in front of the test's own
    for item in items:
        mark = item.get_closest_marker("benchmark")
        kind = _kind(item)
        if mark is not None and kind in KIND_OPTIONS:
            options = {**KIND_OPTIONS[kind], **mark.kwargs}
            item.add_marker(pytest.mark.benchmark(**options), append=False)
    # each reference right after the last benchmark of its kind
    refs = {item.name: item for item in items if item.name in REFERENCES.values()}
    for kind, name in REFERENCES.items():
        ref = refs.get(name)
        if ref is None:
            continue
        items.remove(ref)
        last = max((i for i, it in enumerate(items) if _kind(it) == kind), default=len(items) - 1)
        items.insert(last + 1, ref)


#: kind -> reference measured right before and after each benchmark of that kind
BRACKETS: dict[str, Callable[[], float]] = {
    "compute": bracket_compute,
    "parallel": bracket_parallel,
}


@pytest.fixture(autouse=True)
def _bracketing_reference(request: pytest.FixtureRequest) -> Iterator[None]:
    kind = _kind(request.node)
    measure = BRACKETS.get(kind or "")
    if (
        measure is None
        or "benchmark" not in request.fixturenames
        or request.node.name in REFERENCES.values()
    ):
        yield
        return
    bench = request.getfixturevalue("benchmark")
    if bench.disabled:
        yield
        return
    before = measure()
    yield
    bench.extra_info["reference_s"] = [before, measure()]
