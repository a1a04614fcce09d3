"""Locking, from a retracted ring to MATED: close both hook sets, preload, check the seals.

Theory of operation
-------------------
LOCKING drives both hook sets at once, each through
:func:`controller.laws.drive_hook_set` (synchrony within a set, stall
detection, preload control), with the sets' state on the cycle so SEAL_CHECK
can re-tighten them. The step is RECOVER while a set reverses after too much
spread, PRELOAD once every set still driving is closed, DRIVE before.
LOCKING reports ``hard_locked`` when neither set is still driving and at
least one is closed with every preload in band (either set alone holds the
joint); both sets failed, or T_lock without a lock, is ``locking_given_up``.

SEAL_CHECK pressurises the seal cavity (PRESSURISE), lets it SETTLE, then
runs the DECAY test: both transducers are averaged over ``seal_average_s``
at the start and at the end of ``seal_decay_duration_s`` and the decay rates
compared with ``seal_decay_limit_pa_s``. A leak re-tightens the hooks
(RETIGHTEN) and repeats the test ``seal_retighten_retries`` times; then the
check is done unsealed (flag ``seal_leak``: the tunnel valve stays shut). A
seal transducer fault decides unsealed at once (flag ``seal_sensor``).

MATED holds the joint and opens the tunnel valve only if the seal passed
(MATED.UNSEALED otherwise). From SEAL_CHECK on, no full hook set closed for
``hard_lock_lost_s`` is ``hard_lock_lost``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from controller import laws
from controller.sequences.context import Cycle, Procedure
from controller.types import ActuatorCommand, SensorFrame


@dataclass(slots=True)
class Locking(Procedure):
    """LOCKING: close and preload both hook sets (DRIVE, PRELOAD, RECOVER)."""

    hard_locked: bool = False
    locking_given_up: bool = False

    def run(self, c: Cycle, f: SensorFrame) -> ActuatorCommand:
        cfg = c.cfg
        pt = c.pt
        volts = [0.0, 0.0]
        for st in c.sets:
            before = st.mode
            volts[st.index] = laws.drive_hook_set(st, f, pt, cfg)
            if st.mode != before:
                _report_set_change(c, st, f)
        a, b = c.sets
        if a.mode == "reverse" or b.mode == "reverse":
            c.set_sub("RECOVER")
        elif all(st.mode != "drive" or laws.set_closed(f.hook_pos, st.index, cfg) for st in c.sets):
            c.set_sub("PRELOAD")
        else:
            c.set_sub("DRIVE")
        settled = a.mode in ("preloaded", "failed") and b.mode in ("preloaded", "failed")
        self.hard_locked = settled and any(
            st.mode == "preloaded"
            and laws.set_closed(f.hook_pos, st.index, cfg)
            and laws.set_preload_in_band(f.hook_load_n, st.index, cfg)
            for st in c.sets
        )
        self.locking_given_up = (a.mode == "failed" and b.mode == "failed") or (
            pt > cfg.lock_timeout_s and not self.hard_locked
        )
        return laws.locking_command(c.seq, (volts[0], volts[1]), cfg)


def _report_set_change(c: Cycle, st: laws.HookSetState, f: SensorFrame) -> None:
    """One event when a hook set starts reversing, fails or reaches preload."""
    name = laws.SET_NAMES[st.index]
    if st.mode == "reverse":
        c.emit("retry", f"hook set {name}: spread {st.spread_max:.3f}, reversing")
    elif st.mode == "failed":
        c.emit("fault", f"hook set {name}: {st.fault}")
        c.degrade(f"hook_set_{name}", st.fault)
    elif st.mode == "preloaded":
        loads = f.hook_load_n[st.index :: 2]
        c.emit("info", f"hook set {name} preloaded: {min(loads):.0f}..{max(loads):.0f} N")


@dataclass(slots=True)
class Locked(Procedure):
    """Memory of the phases that hold a hard lock: SEAL_CHECK, MATED, UNLOCKING."""

    unlocked_t_s: float | None = None
    """Phase time no full set was closed any more, s."""
    hard_lock_lost: bool = False

    def watch_lock(self, c: Cycle, f: SensorFrame) -> None:
        """Hard lock lost: no full hook set closed for ``hard_lock_lost_s``."""
        if laws.full_set_closed(f.hook_pos, c.cfg):
            self.unlocked_t_s = None
            self.hard_lock_lost = False
        else:
            if self.unlocked_t_s is None:
                self.unlocked_t_s = c.pt
            self.hard_lock_lost = c.pt - self.unlocked_t_s >= c.cfg.hard_lock_lost_s


def _sums() -> list[float]:
    return [0.0, 0.0, 0.0]


@dataclass(slots=True)
class SealCheck(Locked):
    """SEAL_CHECK: PRESSURISE, SETTLE, DECAY; RETIGHTEN and repeat on a leak."""

    t0_s: float = 0.0
    """Phase time the current step started, s."""
    sums_start: list[float] = field(default_factory=_sums)
    """Sum of cavity pressure A, B (Pa) and sample count over the first averaging window."""
    sums_end: list[float] = field(default_factory=_sums)
    """The same over the last averaging window."""
    retightened: int = 0
    seal_check_done: bool = False

    def run(self, c: Cycle, f: SensorFrame) -> ActuatorCommand:
        cfg = c.cfg
        pt = c.pt
        self.watch_lock(c, f)
        seq = c.seq
        brake = cfg.brake_slip_max_n
        if self.seal_check_done:
            return ActuatorCommand(seq=seq, brake_slip_n=brake, latch_arm=True)
        if c.sub == "":
            c.set_sub("PRESSURISE")
            self.t0_s = pt
        pa = f.seal_cavity_pressure_pa
        pb = f.seal_cavity_pressure_b_pa
        if c.sub == "PRESSURISE":
            if min(pa, pb) >= cfg.seal_test_pressure_pa:
                c.set_sub("SETTLE")
                self.t0_s = pt
            elif pt - self.t0_s > cfg.seal_pressurise_timeout_s:
                self.attempt_failed(c, f"cavity did not reach {cfg.seal_test_pressure_pa:.0f} Pa")
            else:
                return ActuatorCommand(
                    seq=seq, brake_slip_n=brake, latch_arm=True, seal_valve_open=True
                )
        if c.sub == "SETTLE" and pt - self.t0_s >= cfg.seal_settle_s:
            c.set_sub("DECAY")
            self.t0_s = pt
            self.sums_start = _sums()
            self.sums_end = _sums()
        elif c.sub == "DECAY":
            elapsed = pt - self.t0_s
            avg = cfg.seal_average_s
            if elapsed < avg:
                acc = self.sums_start
            elif elapsed >= cfg.seal_decay_duration_s - avg:
                acc = self.sums_end
            else:
                acc = None
            if acc is not None:
                acc[0] += pa
                acc[1] += pb
                acc[2] += 1
            if elapsed >= cfg.seal_decay_duration_s:
                self.finish_decay_test(c, elapsed - avg)
        elif c.sub == "RETIGHTEN":
            if pt - self.t0_s >= cfg.seal_retighten_s:
                c.set_sub("PRESSURISE")
                self.t0_s = pt
            else:
                upper = cfg.hook_preload_nominal_n * (1.0 + 0.8 * cfg.hook_preload_tolerance)
                volts = [0.0, 0.0]
                for st in c.sets:
                    if st.mode == "drive" and max(f.hook_load_n[st.index :: 2]) < upper:
                        volts[st.index] = cfg.hook_voltage_slow_v
                return laws.locking_command(seq, (volts[0], volts[1]), cfg)
        return ActuatorCommand(seq=seq, brake_slip_n=brake, latch_arm=True)

    def attempt_failed(self, c: Cycle, why: str) -> None:
        """A leak or no pressure: re-tighten and repeat while retries remain, else unsealed."""
        cfg = c.cfg
        c.emit("fault", f"seal check: {why}")
        if self.retightened < cfg.seal_retighten_retries:
            self.retightened += 1
            self.t0_s = c.pt
            c.set_sub("RETIGHTEN")
            c.emit("retry", "seal: re-tighten hooks and repeat the decay test")
            for st in c.sets:
                if st.mode != "failed":
                    st.mode = "drive"
        else:
            self.seal_check_done = True
            c.sealed = False
            c.degrade("seal_leak", why + "; tunnel valve kept shut")

    def finish_decay_test(self, c: Cycle, baseline_s: float) -> None:
        """Judge the decay from the averaged start and end pressures of both transducers."""
        cfg = c.cfg
        s0 = self.sums_start
        s1 = self.sums_end
        n0 = max(int(s0[2]), 1)
        n1 = max(int(s1[2]), 1)
        p0 = (s0[0] / n0, s0[1] / n0)
        p1 = (s1[0] / n1, s1[1] / n1)
        rates = laws.seal_decay_rates(p0, p1, max(baseline_s, 1e-9))
        limit = cfg.seal_decay_limit_pa_s
        c.emit("info", f"seal decay {rates[0]:.2f} / {rates[1]:.2f} Pa/s (limit {limit} Pa/s)")
        if c.mon.seal_fault is not None:
            self.seal_check_done = True
            c.sealed = False
            c.degrade(
                "seal_sensor",
                f"{c.mon.seal_fault}: cannot judge the seal; tunnel valve kept shut",
            )
        elif laws.seal_test_passed(rates, cfg):
            self.seal_check_done = True
            c.sealed = True
            c.emit("info", "seal check passed")
        else:
            self.attempt_failed(c, f"decay {max(rates):.2f} Pa/s above limit")


@dataclass(slots=True)
class Mated(Locked):
    """MATED: hold the joint; tunnel valve open only if the seal check passed."""

    def run(self, c: Cycle, f: SensorFrame) -> ActuatorCommand:
        self.watch_lock(c, f)
        if c.sub == "" and not c.sealed:
            c.set_sub("UNSEALED")
        return ActuatorCommand(
            seq=c.seq,
            brake_slip_n=c.cfg.brake_slip_max_n,
            latch_arm=True,
            tunnel_valve_open=c.sealed,
        )
