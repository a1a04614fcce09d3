"""``dockhil timing``: the control loop alone, at a fixed rate, and its statistics.

Each cycle reads the newest frame, steps the controller and writes the
command, on absolute deadlines (:mod:`hil.realtime`). The figures answer the
bench operator's question "can this host hold the rate against this device":
execution time of the tick, lateness of each wake-up, the period actually
achieved, missed cycles, and the sensor-to-command latency (from the moment
the frame's bytes were decoded by the reader thread to the moment the command
was written).
"""

from __future__ import annotations

import time
from typing import Any

from controller.hal import SimControl, open_hal
from controller.machine import DockingController
from controller.types import InitialConditions
from hil.realtime import (
    LoopOverrunError,
    SchedulerRequest,
    apply_scheduler,
    restore_scheduler,
    run_loop,
)


def measure(
    hal_url: str,
    rate_hz: float,
    seconds: float,
    request: SchedulerRequest,
    max_overruns_in_row: int = 1_000_000,
) -> dict[str, Any]:
    """Run the loop for ``seconds`` at ``rate_hz``; return the timing summary (JSON-ready)."""
    hal = open_hal(hal_url)
    try:
        if isinstance(hal, SimControl):
            hal.setup("cn-10t-100t", 1, InitialConditions())
        ctl = DockingController()
        ctl.command("dock", 0.0)
        arrival = getattr(hal, "last_arrival_ns", None)

        def tick() -> int | None:
            frame = hal.read()
            got = time.monotonic_ns()
            cmd = ctl.step(frame)
            hal.write(cmd)
            ctl.drain_events()
            t = arrival() if arrival is not None else None
            return t if t else got

        for _ in range(max(10, round(rate_hz * 0.2))):
            tick()  # warm-up, untimed: JIT compilation, caches, the device's first reports
        grant = apply_scheduler(request)
        try:
            stats = run_loop(
                tick,
                1.0 / rate_hz,
                seconds=seconds,
                spin_us=request.spin_us,
                max_overruns_in_row=max_overruns_in_row,
            )
            error = None
        except LoopOverrunError as exc:
            stats, error = exc.stats, str(exc)
        finally:
            if request.fifo_priority:
                restore_scheduler()
        out = stats.summary(1.0 / rate_hz, grant)
        out["hal"] = hal_url
        out["seconds"] = seconds
        if error:
            out["error"] = error
        link = getattr(hal, "link_counters", None)
        if link is not None:
            out["link"] = link()
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
    for key, label in (
        ("exec_us", "tick exec"),
        ("lateness_us", "lateness"),
        ("period_us", "period"),
        ("latency_us", "sensor->cmd"),
    ):
        row = s[key]
        cells = "".join(
            f"{'-' if row[q] is None else f'{row[q]:.1f}':>10}"
            for q in ("p50", "p99", "p999", "max")
        )
        lines.append(f"{label:<14}{cells}")
    sched = s["scheduler"]
    lines.append("")
    lines.append(f"scheduler requested {sched['requested']}")
    lines.append(f"scheduler granted   {sched['granted']}")
    lines.extend(f"note: {m}" for m in sched["messages"])
    if "error" in s:
        lines.append(f"error: {s['error']}")
    return "\n".join(lines)
