"""``dockhil timing``: the control loop alone, at a fixed rate, and its statistics.

Each cycle reads the newest frame, steps the controller and writes the
command, on absolute deadlines (:mod:`hil.realtime`). The figures answer the
bench operator's question "can this host hold the rate against this device":
execution time of the tick, lateness of each wake-up, the period actually
achieved, missed cycles, and the sensor-to-command latency (from the moment
the frame's bytes were decoded by the reader thread to the moment the command
was written).

Every figure comes with the host's *floor*, measured first in the same
process under the same scheduler settings: a bare loop that only wakes at the
same absolute deadlines, as cyclictest does. A shared virtual machine's timer
latency swings by an order of magnitude from hour to hour; the floor says how
much of the loop's lateness and missed cycles the host would show with no
loop at all, and ``above_floor`` is the loop's own share.
"""

from __future__ import annotations

from typing import Any

from controller.hal import LOCKSTEP, LinkCounters, SimControl
from controller.machine import DockingController
from controller.types import InitialConditions
from hil.backends import open_hal
from hil.loop import ControlLoop
from hil.realtime import (
    FLOOR_SECONDS,
    LoopOverrunError,
    SchedulerRequest,
    above_floor,
    measure_floor,
    scheduled,
)


def measure(
    hal_url: str,
    rate_hz: float,
    seconds: float,
    request: SchedulerRequest,
    max_overruns_in_row: int = 1_000_000,
    floor_seconds: float = FLOOR_SECONDS,
) -> dict[str, Any]:
    """The host's floor, then the loop for ``seconds`` at ``rate_hz``; JSON-ready summary.

    Both run under the same scheduler settings, one right after the other;
    the floor before the HAL is opened, so the summary's ``above_floor`` is
    what the loop adds on this host now: its own work, its HAL's reader
    thread, and a virtual device's process when it runs on the same host.
    """
    period_s = 1.0 / rate_hz
    with scheduled(request):
        # the host alone, before the HAL (its reader thread, a virtual device) exists
        floor = measure_floor(period_s, floor_seconds, request.spin_us)
    hal = open_hal(hal_url)
    try:
        if isinstance(hal, SimControl):
            hal.setup("cn-10t-100t", 1, InitialConditions())
        loop = ControlLoop(hal, DockingController(), lockstep=LOCKSTEP in hal.capabilities)
        loop.command("dock")
        for _ in range(max(10, round(rate_hz * 0.2))):
            loop.cycle()  # warm-up, untimed: JIT compilation, caches, the device's first reports
        error = None
        with scheduled(request) as grant:
            try:
                stats = loop.run_realtime(
                    period_s,
                    request.spin_us,
                    seconds=seconds,
                    max_overruns_in_row=max_overruns_in_row,
                )
            except LoopOverrunError as exc:
                stats, error = exc.stats, str(exc)
        out = stats.summary(period_s, grant)
        out["floor"] = floor
        out["above_floor"] = above_floor(out, floor)
        out["hal"] = hal_url
        out["seconds"] = seconds
        if error:
            out["error"] = error
        if isinstance(hal, LinkCounters):
            out["link"] = hal.link_counters()
        return out
    finally:
        hal.close()


def format_table(s: dict[str, Any]) -> str:
    """A plain-text table of a timing summary, for the terminal."""
    lines = [
        f"hal {s['hal']}: {s['cycles']} cycles in {s['wall_s']:.2f} s",
        f"rate   target {s['rate_hz_target']:.1f} Hz, achieved {s['rate_hz_achieved']:.2f} Hz "
        f"({(s['rate_hz_achieved'] / s['rate_hz_target'] - 1) * 100:+.3f} %), "
        f"executed {s['rate_hz_executed']:.2f} Hz",
        f"missed {s['missed_cycles']} cycles ({s['missed_fraction'] * 100:.3f} %), "
        f"{s['overruns']} overruns",
        "",
        f"{'us':<14}{'p50':>10}{'p99':>10}{'p99.9':>10}{'max':>10}",
    ]
    rows = [
        ("tick exec", s["exec_us"]),
        ("lateness", s["lateness_us"]),
        ("period", s["period_us"]),
        ("sensor->cmd", s["latency_us"]),
    ]
    floor = s.get("floor")
    if floor is not None:
        rows.append(("floor late", floor["lateness_us"]))
    for label, row in rows:
        cells = "".join(
            f"{'-' if row[q] is None else f'{row[q]:.1f}':>10}"
            for q in ("p50", "p99", "p999", "max")
        )
        lines.append(f"{label:<14}{cells}")
    if floor is not None:
        above = s["above_floor"]
        lines.append("")
        lines.append(
            f"floor  the host alone (a bare loop on the same deadlines, {floor['seconds']:g} s): "
            f"missed {floor['missed_cycles']} of {floor['cycles'] + floor['missed_cycles']} "
            f"({floor['missed_fraction'] * 100:.3f} %)"
        )
        p99 = above["lateness_p99_us"]
        lines.append(
            f"loop above floor: missed {above['missed_pp']:+.3f} percentage points, "
            f"lateness p99 {'-' if p99 is None else f'{p99:+.1f} us'}"
        )
    sched = s["scheduler"]
    lines.append("")
    lines.append(f"scheduler requested {sched['requested']}")
    lines.append(f"scheduler granted   {sched['granted']}")
    lines.extend(f"note: {m}" for m in sched["messages"])
    if "error" in s:
        lines.append(f"error: {s['error']}")
    return "\n".join(lines)
