"""What the controller remembers beyond one phase, and the table's actions that change it.

Theory of operation
-------------------
A phase's own memory is its procedure (:mod:`controller.sequences`), built
fresh on every entry. Everything that must outlive a phase is here, on
:class:`Memory`, the base of the ``transitions`` model in
:mod:`controller.machine`:

* the events drained by the harness, and the redundancy given up (``degraded``);
* the remembered operator command (``dock_pending``) and the retry counters
  (``capture_retries_used``, ``attenuation_extensions_used``);
* the latched faults (``link_lost``, ``internal_fault_caught``), cleared only
  by an accepted ``reset``;
* the state shared by consecutive phases: both hook sets (LOCKING into
  SEAL_CHECK), the seal verdict (into MATED), the capture window (CONTACT into
  CAPTURE) and the motion filter (CONTACT to CORRECTION).

Only the actions named in :mod:`controller.phases` (``ON_ENTER`` and the
rows' ``after`` column) change this memory, so the table shows every side
effect of every transition. The library calls them with its ``EventData``
(``send_event=True``), from which they read the trigger's name.
"""

from __future__ import annotations

from transitions import EventData

from controller import laws
from controller.config import ControllerConfig
from controller.events import Event
from controller.monitor import OK, FrameMonitor
from controller.phases import CAUSES

MAX_EVENTS = 100_000
"""Events kept between drains; older ones are dropped (and counted) beyond this."""


class Memory:
    """Memory that outlives a phase, its guards (``MEMORY_GUARDS``) and the table's actions."""

    def __init__(self, cfg: ControllerConfig) -> None:
        self.cfg = cfg
        self.mon = FrameMonitor(cfg)
        self.events: list[Event] = []
        self.events_dropped = 0
        self.degraded: set[str] = set()
        self.t_s = 0.0
        """Time stamp of events, s: the latest frame's, or a later command's."""
        self.clock_s = 0.0
        """Frame time summed over good, non-holding frames, s."""
        self.status = OK
        self.link_lost = False
        self.internal_fault_caught = False
        self.dock_pending = False
        self.capture_retries_used = 0
        self.attenuation_extensions_used = 0
        self.sets = [laws.HookSetState(0), laws.HookSetState(1)]
        self.sealed = False
        self.capture_window_t0_s = 0.0
        self.motion_v_m_s = -1.0
        self.motion_w_rad_s = -1.0
        self.push_since_s = -1.0

    def emit(self, kind: str, detail: str) -> None:
        """Record an event stamped with ``t_s``; beyond MAX_EVENTS the oldest is dropped."""
        if len(self.events) >= MAX_EVENTS:
            del self.events[0]
            self.events_dropped += 1
        self.events.append(Event(self.t_s, kind, detail))

    def degrade(self, flag: str, why: str) -> None:
        """Give up a redundant element: one ``degraded`` event per flag until reset."""
        if flag not in self.degraded:
            self.degraded.add(flag)
            self.emit("degraded", f"{flag}: {why}")

    # ---- guards on remembered state (controller.phases.MEMORY_GUARDS) ---------

    @property
    def sensor_data_lost(self) -> bool:
        return self.mon.data_lost or self.link_lost

    @property
    def capture_retry_left(self) -> bool:
        return self.capture_retries_used < self.cfg.capture_retries

    @property
    def attenuation_extension_left(self) -> bool:
        return self.attenuation_extensions_used < self.cfg.attenuation_extensions

    # ---- actions (named in controller.phases: ON_ENTER and "after") -------------

    def forget_dock(self, ev: EventData) -> None:
        self.dock_pending = False

    def remember_dock(self, ev: EventData) -> None:
        self.dock_pending = True
        self.capture_retries_used = 0

    def report_abort(self, ev: EventData) -> None:
        self.emit("abort", CAUSES.get(ev.event.name, ev.event.name))

    def report_safe(self, ev: EventData) -> None:
        trigger = ev.event.name
        cause = CAUSES.get(trigger, trigger)
        self.emit("safe", cause + (f": {self.mon.reason}" if trigger == "fail_safe" else ""))

    def start_capture_window(self, ev: EventData) -> None:
        self.capture_window_t0_s = self.clock_s

    def reset_motion_filter(self, ev: EventData) -> None:
        self.motion_v_m_s = -1.0
        self.motion_w_rad_s = -1.0
        self.push_since_s = -1.0

    def reset_hook_sets(self, ev: EventData) -> None:
        self.sets = [laws.HookSetState(0), laws.HookSetState(1)]

    def mark_unsealed(self, ev: EventData) -> None:
        self.sealed = False

    def count_capture_retry(self, ev: EventData) -> None:
        self.capture_retries_used += 1
        cause = CAUSES.get(ev.event.name, ev.event.name)
        self.emit("retry", f"capture retry {self.capture_retries_used}: {cause}")

    def restart_attenuation_allowance(self, ev: EventData) -> None:
        self.attenuation_extensions_used = 0

    def extend_attenuation(self, ev: EventData) -> None:
        self.attenuation_extensions_used += 1
        self.emit("retry", "attenuation window extended once")

    def clear_faults(self, ev: EventData) -> None:
        """An accepted ``reset``: the monitor, the latched faults and the degraded flags."""
        self.mon.reset()
        self.link_lost = False
        self.internal_fault_caught = False
        self.status = OK
        self.degraded.clear()
