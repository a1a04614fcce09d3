"""The docking controller: one ``step(frame) -> command`` per control cycle.

Theory of operation
-------------------
Each cycle :meth:`DockingController.step` does, in this order:

1. **Monitor** the frame (:mod:`controller.monitor`). A bad frame (NaN,
   out of range, clock not advancing, ring channels disagreeing) drives
   nothing: the cycle returns a hold command and phase time does not
   advance. Bus undervoltage holds the same way but is not a data fault.
   Persistent bad data sets ``sensor_data_lost`` and the ``fail_safe`` row
   takes the machine to SAFE, latched until ``reset``.
2. **Run the phase procedure**: a method per top-level phase that picks the
   step inside the phase (``LOCKING.PRELOAD`` ...), calls the control laws
   (:mod:`controller.laws`) and records the facts the guards read
   (``_capture_complete`` ...). Procedures never change phase themselves.
3. **Watch the table**: evaluate, in table order, the guards of the internal
   rows leaving the current phase (:mod:`controller.phases`) and fire the
   first row whose guards all hold. So a ``transitions`` trigger runs only
   when something changed, at most once per cycle; the guards run again
   inside ``transitions``, which keeps the table the single authority.
   After a phase change the new phase's procedure computes this cycle's
   command.
4. **Enforce the interlocks** (:mod:`controller.interlocks`): set-points an
   interlock forbids are masked and reported once per change.

Time is the frame clock: phase time is the sum of frame-to-frame intervals
of good, non-holding frames, so time-outs pause during holds and the
controller needs no wall clock. Operator commands (:meth:`command`) go
through the same table; a command the table does not allow is rejected with
a reason. Nothing in here does I/O, reads a clock or draws random numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from transitions import Machine, MachineError

from controller import interlocks, laws
from controller.config import ControllerConfig
from controller.events import CommandResult, Event
from controller.monitor import BAD, HOLD, REPEAT, FrameMonitor
from controller.phases import COMMANDS, INITIAL_PHASE, TRANSITIONS, Phase, rows_from
from controller.types import SAFE_COMMAND, ActuatorCommand, SensorFrame

MAX_EVENTS = 100_000
"""Events kept between drains; older ones are dropped (and counted) beyond this."""

_CAUSES: dict[str, str] = {
    "fail_safe": "sensor data lost or implausible for too long",
    "prep_timeout": "mechanism not ready within ready_prep_timeout_s",
    "approach_timeout": "no contact within approach_timeout_s",
    "capture_timeout": "no full capture within T_cap of contact",
    "capture_lost": "fewer than three latch pairs holding after capture",
    "attenuation_timeout": "relative motion not damped within T_att",
    "correction_timeout": "ring not centred within correction_timeout_s",
    "ring_jam": "ring drive jammed (high current, no motion) after re-equalising",
    "retraction_timeout": "ring not retracted within retraction_timeout_s",
    "lock_failed": "no full hook set preloaded (both sets failed, or T_lock expired)",
    "lock_lost": "no full hook set closed while locked",
    "unlock_failed": "hooks or latches did not open after the contingency",
    "vent_failed": "tunnel not vented and stable within tunnel_vent_timeout_s: staying mated",
    "separation_failed": "no separation after push-rods and ring push",
    "abort_failed": "hooks or latches did not open during abort",
    "abort": "operator abort",
}

_REFLEXIVE: frozenset[tuple[str, str]] = frozenset(
    (row["trigger"], str(src))
    for row in TRANSITIONS
    for src in (row["source"] if isinstance(row["source"], list) else [row["source"]])
    if row["dest"] is not None and str(row["dest"]) == str(src)
)


def _machine_rows() -> list[dict[str, Any]]:
    """The table with enum members turned into the plain strings ``transitions`` stores."""
    out = []
    for row in TRANSITIONS:
        src = row["source"]
        new = dict(row)
        new["source"] = [str(s) for s in src] if isinstance(src, list) else str(src)
        new["dest"] = None if row["dest"] is None else str(row["dest"])
        out.append(new)
    return out


class _Core:
    """The ``transitions`` model: all runtime state, the procedures and the guards.

    Kept apart from :class:`DockingController` so the trigger methods
    ``transitions`` binds onto its model are not public API.
    """

    state: str

    def __init__(self, cfg: ControllerConfig) -> None:
        self.cfg = cfg
        self.mon = FrameMonitor(cfg)
        self.events: list[Event] = []
        self.events_dropped = 0
        self.degraded: set[str] = set()
        self.seq = 0
        self.t_s = 0.0
        self.clock_s = 0.0
        self.phase_t0 = 0.0
        self.frame: SensorFrame | None = None
        self.status = 0
        self.last_cmd: ActuatorCommand = SAFE_COMMAND
        self.violations: tuple[str, ...] = ()
        self.dock_pending = False
        self.capture_retries_used = 0
        self.attenuation_extensions_used = 0
        self.sets = [laws.HookSetState(0), laws.HookSetState(1)]
        self.sealed = False
        self.fv = -1.0
        self.fw = -1.0
        self.top = INITIAL_PHASE
        self.sub = ""
        self.phase_str = INITIAL_PHASE.value
        self.machine = Machine(
            model=self,
            states=[p.value for p in Phase],
            transitions=_machine_rows(),
            initial=INITIAL_PHASE.value,
            auto_transitions=False,
            queued=False,
            ignore_invalid_triggers=False,
        )
        self.procs: dict[Phase, Callable[[SensorFrame], ActuatorCommand]] = {
            Phase.STANDBY: self.run_standby,
            Phase.READY: self.run_ready,
            Phase.APPROACH: self.run_approach,
            Phase.CONTACT: self.run_contact,
            Phase.CAPTURE: self.run_capture,
            Phase.BUFFERING: self.run_buffering,
            Phase.CORRECTION: self.run_correction,
            Phase.RETRACTION: self.run_retraction,
            Phase.LOCKING: self.run_locking,
            Phase.SEAL_CHECK: self.run_seal_check,
            Phase.MATED: self.run_mated,
            Phase.UNLOCKING: self.run_unlocking,
            Phase.SEPARATION: self.run_separation,
            Phase.ABORT: self.run_abort,
            Phase.SAFE: self.run_safe,
        }
        self.watch: dict[
            Phase, list[tuple[str, tuple[Callable[[], bool], ...], tuple[Callable[[], bool], ...]]]
        ] = {}
        for phase in Phase:
            rows = []
            for row in rows_from(phase):
                if row["trigger"] in COMMANDS:
                    continue
                conds = tuple(getattr(self, g) for g in row.get("conditions", []))
                unless = tuple(getattr(self, g) for g in row.get("unless", []))
                rows.append((row["trigger"], conds, unless))
            self.watch[phase] = rows
        self.reset_phase_vars()

    # ---- bookkeeping ---------------------------------------------------------

    def emit(self, kind: str, detail: str) -> None:
        if len(self.events) >= MAX_EVENTS:
            del self.events[0]
            self.events_dropped += 1
        self.events.append(Event(self.t_s, kind, detail))

    def degrade(self, flag: str, why: str) -> None:
        if flag not in self.degraded:
            self.degraded.add(flag)
            self.emit("degraded", f"{flag}: {why}")

    def set_sub(self, sub: str) -> None:
        if sub != self.sub:
            self.sub = sub
            self.phase_str = self.top.value + "." + sub if sub else self.top.value
            self.emit("phase", self.phase_str)

    def reset_phase_vars(self) -> None:
        """Per-phase memory, cleared on every phase entry."""
        self.f_prepared = False
        self.f_prep_timeout = False
        self.armed_t: float | None = None
        self.ready_ext: float | None = None
        self.f_contact = False
        self.f_approach_over = False
        self.cap_started = False
        self.cap_complete = False
        self.cap_timed_out = False
        self.lost_t: float | None = None
        self.f_lost = False
        self.ok_t: float | None = None
        self.f_damped = False
        self.att_timed_out = False
        self.f_centred = False
        self.corr_timed_out = False
        self.f_retracted = False
        self.jam_t: float | None = None
        self.reeq_used = 0
        self.reeq_t0 = 0.0
        self.jam_confirmed = False
        self.retr_timed_out = False
        self.f_locked = False
        self.lock_given_up = False
        self.seal_t0 = 0.0
        self.seal_sum0: list[float] = [0.0, 0.0, 0.0]
        self.seal_sum1: list[float] = [0.0, 0.0, 0.0]
        self.seal_retries = 0
        self.seal_done = False
        self.unlock_t: float | None = None
        self.f_lock_lost = False
        self.vented = False
        self.vent_hold_t0 = 0.0
        self.f_vent_given_up = False
        self.hooks_t0 = 0.0
        self.hooks_opened = False
        self.contingency = False
        self.release_t0: float | None = None
        self.f_unlocked = False
        self.f_unlock_given_up = False
        self.f_separated = False
        self.push_t0: float | None = None
        self.sep_given_up = False
        self.abort_settled_flag = False
        self.abort_given_up_flag = False

    # ---- transitions -----------------------------------------------------------

    def fire(self, trigger: str) -> bool:
        """Fire ``trigger`` through ``transitions``; handle phase entry if it moved."""
        before = self.state
        try:
            ok = bool(self.machine.events[trigger].trigger(self))
        except MachineError:
            return False
        if ok and (self.state != before or (trigger, before) in _REFLEXIVE):
            self.enter(trigger)
        return ok

    def enter(self, trigger: str) -> None:
        top = Phase(self.state)
        self.top = top
        self.sub = ""
        self.phase_str = top.value
        self.phase_t0 = self.clock_s
        contact_clock = self.contact_clock if top is Phase.CAPTURE else self.clock_s
        self.reset_phase_vars()
        self.contact_clock = contact_clock
        cause = _CAUSES.get(trigger, trigger)
        self.emit("phase", f"{top.value} ({trigger})")
        if top is Phase.ABORT:
            self.dock_pending = False
            self.emit("abort", cause)
        elif top is Phase.SAFE:
            self.dock_pending = False
            detail = cause + (f": {self.mon.reason}" if trigger == "fail_safe" else "")
            self.emit("safe", detail)
        elif top is Phase.STANDBY or top is Phase.UNLOCKING:
            self.dock_pending = False
        elif top is Phase.LOCKING:
            self.sets = [laws.HookSetState(0), laws.HookSetState(1)]
        elif top is Phase.SEAL_CHECK:
            self.sealed = False
        elif top is Phase.READY and trigger == "capture_timeout":
            self.capture_retries_used += 1
            self.emit("retry", f"capture retry {self.capture_retries_used}: {cause}")
        elif top is Phase.READY and trigger == "separated":
            self.dock_pending = False
        elif top is Phase.CONTACT:
            self.fv = -1.0
        elif top is Phase.BUFFERING:
            if trigger == "attenuation_timeout":
                self.attenuation_extensions_used += 1
                self.emit("retry", "attenuation window extended once")
            else:
                self.attenuation_extensions_used = 0

    # ---- the cycle ---------------------------------------------------------------

    def step(self, frame: SensorFrame) -> ActuatorCommand:
        self.seq += 1
        mon = self.mon
        status = mon.check(frame)
        if status == REPEAT:
            return self.last_cmd  # no new sample since last cycle: keep the last command
        if frame.t_s == frame.t_s:
            self.t_s = frame.t_s if frame.t_s > self.t_s or self.frame is None else self.t_s
        if status != self.status:
            if status == BAD:
                self.emit("fault", f"bad frame: {mon.reason}")
            elif status == HOLD:
                self.emit("fault", f"{mon.reason}: drives held")
            else:
                self.emit(
                    "recovered",
                    "frames good: resuming"
                    if self.status == BAD
                    else "bus voltage restored: resuming",
                )
            self.status = status
        elif status == BAD and mon.reason != self.last_reason:
            self.emit("fault", f"bad frame: {mon.reason}")
        self.last_reason = mon.reason
        if mon.seal_fault is not None and "seal_sensor" not in self.degraded:
            self.degrade("seal_sensor", mon.seal_fault)
        if status != 0:
            if mon.data_lost and self.top is not Phase.SAFE:
                self.fire("fail_safe")
            if self.top is Phase.SAFE:
                cmd = ActuatorCommand(seq=self.seq)
            else:
                cmd = laws.hold_command(
                    self.seq, self.last_cmd.latch_arm and not self.last_cmd.latch_release
                )
            self.last_cmd = cmd
            return cmd
        self.frame = frame
        self.clock_s += mon.dt_s
        top = self.top
        cmd = self.procs[top](frame)
        for trigger, conds, unless in self.watch[top]:
            for g in conds:
                if not g():
                    break
            else:
                for u in unless:
                    if u():
                        break
                else:
                    if self.fire(trigger) and self.top is not top:
                        cmd = self.procs[self.top](frame)
                    break
        cmd, names = interlocks.enforce(self.phase_str, frame, cmd, self.cfg, True)
        if names:
            key = tuple(names)
            if key != self.violations:
                self.emit("interlock", f"{self.phase_str}: masked {', '.join(names)}")
            self.violations = key
        elif self.violations:
            self.violations = ()
        self.last_cmd = cmd
        return cmd

    last_reason = ""
    contact_clock = 0.0

    @property
    def pt(self) -> float:
        """Phase time, s (frame time, paused during holds)."""
        return self.clock_s - self.phase_t0

    # ---- phase procedures ------------------------------------------------------------

    def run_standby(self, f: SensorFrame) -> ActuatorCommand:
        return laws.hold_command(self.seq)

    def run_safe(self, f: SensorFrame) -> ActuatorCommand:
        return ActuatorCommand(seq=self.seq)

    def open_hooks_command(self) -> ActuatorCommand:
        v = -self.cfg.hook_voltage_open_v
        return ActuatorCommand(seq=self.seq, hook_motor_v=(v, v))

    def run_ready(self, f: SensorFrame) -> ActuatorCommand:
        cfg = self.cfg
        pt = self.pt
        if not laws.all_hooks_open(f.hook_pos, cfg):
            self.set_sub("OPEN_HOOKS")
            self.armed_t = None
            cmd = self.open_hooks_command()
        elif any(f.latch_captured):
            self.set_sub("RELEASE")
            self.armed_t = None
            cmd = ActuatorCommand(seq=self.seq, latch_release=True)
        elif not f.ring_ready_stop:
            self.set_sub("EXTEND")
            self.armed_t = None
            cmd = ActuatorCommand(
                seq=self.seq, ring_speed_m_s=cfg.ring_extend_speed_m_s, latch_arm=True
            )
        else:
            self.set_sub("ARMED")
            if self.armed_t is None:
                self.armed_t = pt
            self.f_prepared = pt - self.armed_t >= cfg.arm_settle_s
            return laws.contact_command(self.seq, cfg)
        self.f_prepared = False
        self.f_prep_timeout = pt > cfg.ready_prep_timeout_s
        return cmd

    def run_approach(self, f: SensorFrame) -> ActuatorCommand:
        cfg = self.cfg
        if self.ready_ext is None:
            self.ready_ext = f.ring_extension_m
        self.f_contact = (
            abs(f.axial_load_n) >= cfg.contact_axial_load_n
            or f.ring_extension_m <= self.ready_ext - cfg.contact_ring_deflection_m
            or any(f.alignment)
            or any(f.latch_captured)
        )
        self.f_approach_over = self.pt > cfg.approach_timeout_s
        return laws.contact_command(self.seq, cfg)

    def capture_facts(self, f: SensorFrame) -> None:
        cfg = self.cfg
        self.cap_complete = laws.pairs_captured(f.latch_captured, cfg.latch_pair_needs_both) == 3
        self.cap_started = all(f.alignment) or any(f.latch_captured)
        self.cap_timed_out = self.clock_s - self.contact_clock > cfg.capture_timeout_s

    def run_contact(self, f: SensorFrame) -> ActuatorCommand:
        self.capture_facts(f)
        return laws.contact_command(self.seq, self.cfg)

    def run_capture(self, f: SensorFrame) -> ActuatorCommand:
        self.capture_facts(f)
        return laws.buffering_command(self.seq, f, self.cfg)

    def watch_capture(self, f: SensorFrame) -> None:
        """Capture lost: fewer than three pairs holding for ``capture_lost_s``."""
        if laws.pairs_captured(f.latch_captured, self.cfg.latch_pair_needs_both) < 3:
            if self.lost_t is None:
                self.lost_t = self.pt
            self.f_lost = self.pt - self.lost_t >= self.cfg.capture_lost_s
        else:
            self.lost_t = None
            self.f_lost = False

    def held(self, condition: bool, hold_s: float) -> bool:
        """``condition`` true continuously for ``hold_s`` of phase time."""
        if not condition:
            self.ok_t = None
            return False
        if self.ok_t is None:
            self.ok_t = self.pt
        return self.pt - self.ok_t >= hold_s

    def filter_motion(self, f: SensorFrame) -> None:
        """Low-pass |v_rel| and |omega_rel| (time constant ``motion_filter_s``, frame time)."""
        v = laws.residual_speed_m_s(f)
        w = laws.residual_rate_rad_s(f)
        if self.fv < 0.0:
            self.fv = v
            self.fw = w
            return
        a = self.mon.dt_s / self.cfg.motion_filter_s
        if a > 1.0:
            a = 1.0
        self.fv += a * (v - self.fv)
        self.fw += a * (w - self.fw)

    def run_buffering(self, f: SensorFrame) -> ActuatorCommand:
        cfg = self.cfg
        self.watch_capture(f)
        self.filter_motion(f)
        ok = laws.motion_within(self.fv, self.fw, f, cfg.buffer_rate_limit_rad_s, cfg)
        self.f_damped = self.held(ok, cfg.residual_hold_s)
        self.att_timed_out = self.pt > cfg.attenuation_timeout_s
        return laws.buffering_command(self.seq, f, cfg)

    def run_correction(self, f: SensorFrame) -> ActuatorCommand:
        cfg = self.cfg
        self.watch_capture(f)
        self.filter_motion(f)
        ok = laws.ring_centred(f, cfg) and self.residual_motion_ok()
        self.f_centred = self.held(ok, cfg.centred_hold_s)
        self.corr_timed_out = self.pt > cfg.correction_timeout_s
        return laws.correction_command(self.seq, cfg, laws.centring_dissipates(f, cfg))

    def run_retraction(self, f: SensorFrame) -> ActuatorCommand:
        cfg = self.cfg
        pt = self.pt
        self.watch_capture(f)
        # the seals hold the faces ~1 mm apart until the hooks pull them in, so
        # interface contact is a LOCKING outcome, not a retraction exit condition
        self.f_retracted = f.ring_retracted
        self.retr_timed_out = pt > cfg.retraction_timeout_s
        if self.sub == "REEQUALISE":
            if pt - self.reeq_t0 < cfg.ring_reequalise_s:
                return laws.retraction_command(self.seq, cfg.ring_extend_speed_m_s, cfg)
            self.jam_t = None
        if self.sub != "SLOW":
            self.set_sub("SLOW" if f.ring_extension_m < cfg.retract_slow_zone_m else "DRIVE")
        if self.f_retracted:
            return laws.retraction_command(self.seq, 0.0, cfg)
        speed = laws.retraction_speed(f.ring_extension_m, cfg)
        if (
            abs(f.drive_current_a) >= cfg.ring_jam_current_a
            and abs(f.ring_speed_m_s) <= cfg.ring_jam_speed_m_s
        ):
            if self.jam_t is None:
                self.jam_t = pt
            elif pt - self.jam_t >= cfg.ring_jam_time_s and not self.jam_confirmed:
                if self.reeq_used < cfg.ring_jam_retries:
                    self.reeq_used += 1
                    self.reeq_t0 = pt
                    self.set_sub("REEQUALISE")
                    self.emit("fault", f"ring drive jam at {f.ring_extension_m:.4f} m")
                    self.emit(
                        "retry", "ring re-equalise: drive to forward stops, then retract again"
                    )
                    return laws.retraction_command(self.seq, cfg.ring_extend_speed_m_s, cfg)
                self.jam_confirmed = True
                self.emit("fault", "ring drive jam persists after re-equalising")
                self.degrade("ring_drive", "jammed")
                return laws.retraction_command(self.seq, 0.0, cfg)
        else:
            self.jam_t = None
        return laws.retraction_command(self.seq, speed, cfg)

    def run_locking(self, f: SensorFrame) -> ActuatorCommand:
        cfg = self.cfg
        pt = self.pt
        volts = [0.0, 0.0]
        for st in self.sets:
            before = st.mode
            volts[st.index] = laws.drive_hook_set(st, f, pt, cfg)
            if st.mode != before:
                name = laws.SET_NAMES[st.index]
                if st.mode == "reverse":
                    self.emit(
                        "retry",
                        f"hook set {name}: spread {st.spread_max:.3f}, reversing",
                    )
                elif st.mode == "failed":
                    self.emit("fault", f"hook set {name}: {st.fault}")
                    self.degrade(f"hook_set_{name}", st.fault)
                elif st.mode == "preloaded":
                    loads = f.hook_load_n[st.index :: 2]
                    self.emit(
                        "info",
                        f"hook set {name} preloaded: {min(loads):.0f}..{max(loads):.0f} N",
                    )
        a, b = self.sets
        if a.mode == "reverse" or b.mode == "reverse":
            self.set_sub("RECOVER")
        elif all(
            st.mode != "drive" or laws.set_closed(f.hook_pos, st.index, cfg) for st in self.sets
        ):
            self.set_sub("PRELOAD")
        else:
            self.set_sub("DRIVE")
        settled = a.mode in ("preloaded", "failed") and b.mode in ("preloaded", "failed")
        self.f_locked = settled and any(
            st.mode == "preloaded"
            and laws.set_closed(f.hook_pos, st.index, cfg)
            and laws.set_preload_in_band(f.hook_load_n, st.index, cfg)
            for st in self.sets
        )
        self.lock_given_up = (a.mode == "failed" and b.mode == "failed") or (
            pt > cfg.lock_timeout_s and not self.f_locked
        )
        return laws.locking_command(self.seq, (volts[0], volts[1]), cfg)

    def watch_lock(self, f: SensorFrame) -> None:
        if laws.full_set_closed(f.hook_pos, self.cfg):
            self.unlock_t = None
            self.f_lock_lost = False
        else:
            if self.unlock_t is None:
                self.unlock_t = self.pt
            self.f_lock_lost = self.pt - self.unlock_t >= self.cfg.hard_lock_lost_s

    def seal_attempt_failed(self, why: str) -> None:
        cfg = self.cfg
        self.emit("fault", f"seal check: {why}")
        if self.seal_retries < cfg.seal_retighten_retries:
            self.seal_retries += 1
            self.seal_t0 = self.pt
            self.set_sub("RETIGHTEN")
            self.emit("retry", "seal: re-tighten hooks and repeat the decay test")
            for st in self.sets:
                if st.mode != "failed":
                    st.mode = "drive"
        else:
            self.seal_done = True
            self.sealed = False
            self.degrade("seal_leak", why + "; tunnel valve kept shut")

    def finish_decay_test(self, baseline_s: float) -> None:
        """Judge the decay from the averaged start and end pressures of both transducers."""
        cfg = self.cfg
        s0 = self.seal_sum0
        s1 = self.seal_sum1
        n0 = max(int(s0[2]), 1)
        n1 = max(int(s1[2]), 1)
        p0 = (s0[0] / n0, s0[1] / n0)
        p1 = (s1[0] / n1, s1[1] / n1)
        rates = laws.seal_decay_rates(p0, p1, max(baseline_s, 1e-9))
        limit = cfg.seal_decay_limit_pa_s
        self.emit("info", f"seal decay {rates[0]:.2f} / {rates[1]:.2f} Pa/s (limit {limit} Pa/s)")
        if self.mon.seal_fault is not None:
            self.seal_done = True
            self.sealed = False
            self.degrade(
                "seal_sensor",
                f"{self.mon.seal_fault}: cannot judge the seal; tunnel valve kept shut",
            )
        elif laws.seal_test_passed(rates, cfg):
            self.seal_done = True
            self.sealed = True
            self.emit("info", "seal check passed")
        else:
            self.seal_attempt_failed(f"decay {max(rates):.2f} Pa/s above limit")

    def run_seal_check(self, f: SensorFrame) -> ActuatorCommand:
        cfg = self.cfg
        pt = self.pt
        self.watch_lock(f)
        seq = self.seq
        brake = cfg.brake_slip_max_n
        if self.seal_done:
            return ActuatorCommand(seq=seq, brake_slip_n=brake, latch_arm=True)
        if self.sub == "":
            self.set_sub("PRESSURISE")
            self.seal_t0 = pt
        pa = f.seal_cavity_pressure_pa
        pb = f.seal_cavity_pressure_b_pa
        if self.sub == "PRESSURISE":
            if min(pa, pb) >= cfg.seal_test_pressure_pa:
                self.set_sub("SETTLE")
                self.seal_t0 = pt
            elif pt - self.seal_t0 > cfg.seal_pressurise_timeout_s:
                self.seal_attempt_failed(f"cavity did not reach {cfg.seal_test_pressure_pa:.0f} Pa")
            else:
                return ActuatorCommand(
                    seq=seq, brake_slip_n=brake, latch_arm=True, seal_valve_open=True
                )
        if self.sub == "SETTLE" and pt - self.seal_t0 >= cfg.seal_settle_s:
            self.set_sub("DECAY")
            self.seal_t0 = pt
            self.seal_sum0 = [0.0, 0.0, 0.0]
            self.seal_sum1 = [0.0, 0.0, 0.0]
        elif self.sub == "DECAY":
            elapsed = pt - self.seal_t0
            avg = cfg.seal_average_s
            if elapsed < avg:
                acc = self.seal_sum0
            elif elapsed >= cfg.seal_decay_duration_s - avg:
                acc = self.seal_sum1
            else:
                acc = None
            if acc is not None:
                acc[0] += pa
                acc[1] += pb
                acc[2] += 1
            if elapsed >= cfg.seal_decay_duration_s:
                self.finish_decay_test(elapsed - avg)
        elif self.sub == "RETIGHTEN":
            if pt - self.seal_t0 >= cfg.seal_retighten_s:
                self.set_sub("PRESSURISE")
                self.seal_t0 = pt
            else:
                upper = cfg.hook_preload_nominal_n * (1.0 + 0.8 * cfg.hook_preload_tolerance)
                volts = [0.0, 0.0]
                for st in self.sets:
                    if st.mode == "drive" and max(f.hook_load_n[st.index :: 2]) < upper:
                        volts[st.index] = cfg.hook_voltage_slow_v
                return laws.locking_command(seq, (volts[0], volts[1]), cfg)
        return ActuatorCommand(seq=seq, brake_slip_n=brake, latch_arm=True)

    def run_mated(self, f: SensorFrame) -> ActuatorCommand:
        self.watch_lock(f)
        if self.sub == "" and not self.sealed:
            self.set_sub("UNSEALED")
        return ActuatorCommand(
            seq=self.seq,
            brake_slip_n=self.cfg.brake_slip_max_n,
            latch_arm=True,
            tunnel_valve_open=self.sealed,
        )

    def open_hooks_then_latches(
        self, f: SensorFrame, hooks_sub: str
    ) -> tuple[ActuatorCommand | None, bool]:
        """UNLOCKING and ABORT: open hooks (contingency at T_unlock), then release latches.

        Returns (command, given_up); command None once hooks are open and latches free.
        Time counts from ``hooks_t0`` (UNLOCKING: the end of venting; ABORT: entry).
        The motors run on ``hook_open_overdrive`` past the open threshold, so that
        position noise cannot flicker a stopped hook back across it.
        """
        cfg = self.cfg
        pt = self.pt - self.hooks_t0
        if max(f.hook_pos) <= cfg.hook_open_pos - cfg.hook_open_overdrive:
            self.hooks_opened = True
        if not self.hooks_opened or not laws.all_hooks_open(f.hook_pos, cfg):
            if pt > cfg.unlock_timeout_s and not self.contingency:
                self.contingency = True
                self.emit(
                    "contingency_unlock",
                    "hooks not open at T_unlock: contingency release (pyro on the bench)",
                )
                self.degrade("contingency_unlock", "hooks failed to open by drive")
            self.set_sub("CONTINGENCY" if self.contingency else hooks_sub)
            given_up = self.contingency and pt > cfg.unlock_timeout_s + cfg.contingency_grace_s
            v = -cfg.hook_voltage_open_v
            cmd = ActuatorCommand(
                seq=self.seq, brake_slip_n=cfg.brake_slip_max_n, hook_motor_v=(v, v)
            )
            return cmd, given_up
        if any(f.latch_captured):
            self.set_sub("LATCHES")
            if self.release_t0 is None:
                self.release_t0 = pt
            given_up = pt - self.release_t0 > cfg.latch_release_timeout_s
            return ActuatorCommand(seq=self.seq, latch_release=True), given_up
        return None, False

    def abandon_undocking(self, why: str) -> ActuatorCommand:
        """U1 failed: raise ``vent_given_up`` (back to MATED) and hold the joint as mated does."""
        self.f_vent_given_up = True
        self.emit("fault", f"undock prep: {why}: undocking abandoned, staying mated")
        return ActuatorCommand(seq=self.seq, brake_slip_n=self.cfg.brake_slip_max_n, latch_arm=True)

    def vent_tunnel(self, f: SensorFrame) -> ActuatorCommand | None:
        """DOMAIN U1 (undock prep): vent the tunnel and confirm no pressure rise.

        VENT: tunnel valve closed, vent open until the tunnel reads below
        ``tunnel_vented_pa``. CONFIRM: vent closed; the tunnel must stay below
        ``tunnel_pressure_limit_pa`` for ``tunnel_vent_hold_s`` (a rise means a
        hatch or the tunnel valve leaks). Returns None once vented; the hooks
        are locked throughout, so a lost hook set here is ``lock_lost`` as in MATED.
        """
        cfg = self.cfg
        pt = self.pt
        p = f.tunnel_pressure_pa
        limit = cfg.tunnel_pressure_limit_pa
        self.watch_lock(f)
        if self.sub == "":
            self.set_sub("VENT")
            self.emit("info", f"undock prep: tunnel valve closed, venting from {p:.0f} Pa")
        if self.sub == "VENT" and p <= cfg.tunnel_vented_pa:
            self.set_sub("CONFIRM")
            self.vent_hold_t0 = pt
        elif self.sub == "CONFIRM":
            if p > limit:
                return self.abandon_undocking(
                    f"tunnel pressure rose to {p:.0f} Pa (limit {limit:.0f} Pa) with the vent "
                    "closed: hatch or tunnel valve leaking"
                )
            if pt - self.vent_hold_t0 >= cfg.tunnel_vent_hold_s:
                self.vented = True
                self.hooks_t0 = pt
                self.emit(
                    "info",
                    f"tunnel vented: {p:.0f} Pa, below {limit:.0f} Pa for "
                    f"{cfg.tunnel_vent_hold_s:g} s with the vent closed ({pt:.1f} s)",
                )
                return None
        if pt > cfg.tunnel_vent_timeout_s:
            return self.abandon_undocking(
                f"tunnel at {p:.0f} Pa after {cfg.tunnel_vent_timeout_s:g} s "
                f"(need below {cfg.tunnel_vented_pa:.0f} Pa and no rise)"
            )
        return ActuatorCommand(
            seq=self.seq,
            brake_slip_n=cfg.brake_slip_max_n,
            latch_arm=True,
            tunnel_vent_open=self.sub == "VENT",
        )

    def run_unlocking(self, f: SensorFrame) -> ActuatorCommand:
        if not self.vented:
            vent = self.vent_tunnel(f)
            if vent is not None:
                return vent
        cmd, self.f_unlock_given_up = self.open_hooks_then_latches(f, "HOOKS")
        if cmd is not None:
            return cmd
        self.f_unlocked = True
        return ActuatorCommand(seq=self.seq, latch_release=True)

    def run_separation(self, f: SensorFrame) -> ActuatorCommand:
        cfg = self.cfg
        pt = self.pt
        gap = f.rel_pos_m[0]
        opening = f.rel_vel_m_s[0]
        self.f_separated = gap >= cfg.separation_clear_gap_m and opening > 0.0
        self.sep_given_up = pt > cfg.separation_timeout_s and not self.f_separated
        ring = 0.0
        if (
            self.push_t0 is None
            and pt > cfg.separation_push_after_s
            and opening < cfg.separation_min_speed_m_s
        ):
            self.push_t0 = pt
            self.set_sub("PUSH")
            self.emit("fault", "no separation speed after push-rods: pushing with the ring drive")
        if self.push_t0 is not None and pt - self.push_t0 < cfg.separation_push_s:
            ring = cfg.ring_extend_speed_m_s
        elif self.sub == "":
            self.set_sub("PUSHRODS")
        return ActuatorCommand(
            seq=self.seq, pushrods_fire=True, latch_release=True, ring_speed_m_s=ring
        )

    def run_abort(self, f: SensorFrame) -> ActuatorCommand:
        cmd, self.abort_given_up_flag = self.open_hooks_then_latches(f, "OPEN_HOOKS")
        if cmd is not None:
            self.abort_settled_flag = False
            return cmd
        self.set_sub("HOLD")
        self.abort_settled_flag = True
        return laws.hold_command(self.seq)

    # ---- guards (named in controller.phases.TRANSITIONS) ----------------------------

    def sensor_data_lost(self) -> bool:
        return self.mon.data_lost or self.link_lost

    link_lost = False

    def lose_link(self, t_s: float | None, reason: str) -> None:
        """The harness lost the link to the mechanism: SAFE, latched until reset."""
        if t_s is not None and t_s == t_s and t_s > self.t_s:
            self.t_s = t_s
        self.link_lost = True
        self.emit("fault", f"link lost: {reason}")
        if self.top is not Phase.SAFE:
            self.fire("fail_safe")

    def abort_settled(self) -> bool:
        return self.abort_settled_flag

    def ready_prepared(self) -> bool:
        return self.f_prepared

    def dock_requested(self) -> bool:
        return self.dock_pending

    def ready_prep_timed_out(self) -> bool:
        return self.f_prep_timeout

    def contact_detected(self) -> bool:
        return self.f_contact

    def approach_timed_out(self) -> bool:
        return self.f_approach_over

    def capture_complete(self) -> bool:
        return self.cap_complete

    def capture_started(self) -> bool:
        return self.cap_started

    def capture_timed_out(self) -> bool:
        return self.cap_timed_out

    def capture_retry_left(self) -> bool:
        return self.capture_retries_used < self.cfg.capture_retries

    def latches_lost(self) -> bool:
        return self.f_lost

    def motion_damped(self) -> bool:
        return self.f_damped

    def attenuation_timed_out(self) -> bool:
        return self.att_timed_out

    def attenuation_extension_left(self) -> bool:
        return self.attenuation_extensions_used < self.cfg.attenuation_extensions

    def ring_centred(self) -> bool:
        return self.f_centred

    def residual_motion_ok(self) -> bool:
        f = self.frame
        cfg = self.cfg
        return f is not None and laws.motion_within(
            self.fv, self.fw, f, cfg.residual_rate_limit_rad_s, cfg
        )

    def correction_timed_out(self) -> bool:
        return self.corr_timed_out

    def retraction_complete(self) -> bool:
        return self.f_retracted

    def ring_jam_confirmed(self) -> bool:
        return self.jam_confirmed

    def retraction_timed_out(self) -> bool:
        return self.retr_timed_out

    def hard_locked(self) -> bool:
        return self.f_locked

    def locking_given_up(self) -> bool:
        return self.lock_given_up

    def seal_check_done(self) -> bool:
        return self.seal_done

    def hard_lock_lost(self) -> bool:
        return self.f_lock_lost

    def unlock_complete(self) -> bool:
        return self.f_unlocked

    def unlock_given_up(self) -> bool:
        return self.f_unlock_given_up

    def vent_given_up(self) -> bool:
        return self.f_vent_given_up

    def undock_prep_in_progress(self) -> bool:
        """UNLOCKING still venting (hooks not yet driven): an abort keeps the joint mated."""
        return self.top is Phase.UNLOCKING and not self.vented

    def separation_complete(self) -> bool:
        return self.f_separated

    def separation_given_up(self) -> bool:
        return self.sep_given_up

    def abort_given_up(self) -> bool:
        return self.abort_given_up_flag

    # ---- operator commands -------------------------------------------------------------

    def rejection_reason(self, name: str) -> str:
        rows = [r for r in rows_from(self.top) if r["trigger"] == name]
        if not rows:
            return f"{self.phase_str} does not accept '{name}'"
        why: list[str] = []
        for row in rows:
            false = [g for g in row.get("conditions", []) if not getattr(self, g)()]
            true_unless = [u for u in row.get("unless", []) if getattr(self, u)()]
            why.extend(f"{g} is false" for g in false)
            why.extend(f"{u} is true" for u in true_unless)
        return f"{self.phase_str}: '{name}' needs " + ", ".join(sorted(set(why)))

    def command(self, name: str, t_s: float | None) -> CommandResult:
        if t_s is not None and t_s == t_s and t_s > self.t_s:
            self.t_s = t_s
        before = self.phase_str
        if name not in COMMANDS:
            reason = f"unknown command '{name}' (known: {', '.join(sorted(COMMANDS))})"
            self.emit("command_rejected", f"{name}: {reason}")
            return CommandResult(name, False, before, before, reason)
        reason = self.rejection_reason(name)
        if not self.fire(name):
            self.emit("command_rejected", f"{name}: {reason}")
            return CommandResult(name, False, before, before, reason)
        if name == "dock":
            self.dock_pending = True
            self.capture_retries_used = 0
        elif name == "reset":
            self.mon.reset()
            self.link_lost = False
            self.status = 0
            self.degraded.clear()
        self.emit("command_accepted", f"{name}: {before} -> {self.phase_str}")
        return CommandResult(name, True, before, self.phase_str)


class DockingController:
    """The docking mechanism's controller (firmware reference), one instance per mechanism.

    The harness owns the loop::

        frame = hal.read(); cmd = ctl.step(frame); hal.write(cmd)

    and sends operator commands with :meth:`command` at scheduled times.
    """

    def __init__(self, config: ControllerConfig | None = None) -> None:
        self._core = _Core(config or ControllerConfig())

    @property
    def config(self) -> ControllerConfig:
        """The limits and gains in use (pass to :func:`controller.interlocks.violated`)."""
        return self._core.cfg

    def step(self, frame: SensorFrame) -> ActuatorCommand:
        """One control cycle: monitor, procedure, table, interlocks. Pure; never raises on data."""
        return self._core.step(frame)

    def command(self, name: str, t_s: float | None = None) -> CommandResult:
        """An operator command (arm, dock, abort, undock, reset, standby).

        ``t_s`` stamps the events (frame time; default: the last frame's).
        Accepted only where the phase table allows; otherwise rejected with a
        reason, and a ``command_rejected`` event records it.
        """
        return self._core.command(name, t_s)

    def link_fault(self, t_s: float | None, reason: str) -> None:
        """Tell the controller the link to the mechanism is gone (port vanished, data stale).

        The controller goes to SAFE, latched until ``reset``; the device's own
        watchdog puts the actuators in their safe state on its side.
        """
        self._core.lose_link(t_s, reason)

    @property
    def phase(self) -> str:
        """Current phase, e.g. ``"LOCKING.PRELOAD"``; the part before the dot is a Phase."""
        return self._core.phase_str

    @property
    def top_phase(self) -> Phase:
        """Current top-level phase."""
        return self._core.top

    @property
    def degraded(self) -> frozenset[str]:
        """Redundancy given up or contingencies used (``hook_set_A``, ``seal_leak``...)."""
        return frozenset(self._core.degraded)

    @property
    def interlocks_active(self) -> tuple[str, ...]:
        """Interlocks that masked a set-point in the last cycle."""
        return self._core.violations

    @property
    def monitor(self) -> FrameMonitor:
        """Frame monitor state (counters: seq_gaps, bad_frames)."""
        return self._core.mon

    def drain_events(self) -> list[Event]:
        """Events since the last drain, oldest first."""
        out = self._core.events
        self._core.events = []
        return out
