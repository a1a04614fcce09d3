"""The virtual microcontroller: the simulated mechanism behind the real wire protocol.

Theory of operation
===================

This is what a bench microcontroller does, with the plant in place of the
motors and sensors, written sans-io: :meth:`VirtualMcu.receive` takes the
bytes that arrived (and the device's clock reading), :meth:`VirtualMcu.poll`
is called whenever time passes; both return the bytes to send. The serving
shell (:mod:`sim_bridge.vmcu_server`) owns the pty or socket and the clock,
which keeps this core testable with plain values and byte strings.

**Boot.** The first :meth:`poll` (or :meth:`link_up`, for a new connection)
sends a ``Hello``. Every burst goes out through :meth:`burst`, which puts a
0x00 in front when the transmitter was silent for ``TX_IDLE_FLUSH_MS`` (and
before the very first), so a receiver that opened the port in the pause (and
flushed it) takes the next frame whole.

**Modes** (``docs/icd.md``). The device boots in BOOT with its actuators in
the safe state (``ActuatorCommand()``) and applies set-points only in ACTIVE,
entered by a ``ModeCommand``; ``SimSetup`` puts it back in SAFE. A simulated
hardware interlock (a bench's e-stop, opened by ``SimInject`` kind
``interlock_open``) forces SAFE and refuses ACTIVE while open. In ACTIVE
two watches drop it to SAFE: the set-point watchdog (no valid set-points for
``SETPOINT_WATCHDOG_MS``) and the host watch (no ``HostHeartbeat`` for
``HEARTBEAT_LOST_COUNT`` periods). In real time both count device (wall)
time; in lockstep they count simulated time, checked at every plant step, so
a lockstep run stays a pure function of what the host sends.

**Lockstep.** The plant advances only when a ``SimStep`` arrives: it applies
the newest set-points, steps that many control periods and answers with one
housekeeping report. The host paces the simulation, so a lockstep run over a
pty gives the same phase sequence as the in-process backend, whatever the
machine's speed.

**Real time.** :meth:`poll` advances the plant to ``speedup`` times the
elapsed device time, streams one housekeeping report per control period of
device (wall) time and a heartbeat every ``HEARTBEAT_PERIOD_MS``.

**Link faults** (for tests of the host's resilience) act on outgoing frames:
drop, corrupt one byte, duplicate, or delay by a number of frames; their
probabilities come from the command line and their randomness from a seeded
generator.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from controller import __version__
from controller.errors import DockhilError
from controller.protocol import codec
from controller.protocol import messages as m
from controller.protocol.housekeeping import analog_values
from controller.protocol.stream import Refused
from controller.types import N_HOOKS, ActuatorCommand, SensorFrame
from sim_bridge.backend import SimHal

_major, _minor, _patch = (int(x) for x in __version__.split(".")[:3])
_FW_VERSION = (_major, _minor, _patch)


# ICD 4.6-4.8: what a simulated device accepts in its simulation TCs. Each row is
# (byte offset in the application data, lowest, highest); anything else -- NaN and
# infinities included -- is answered 1,2 BAD_FIELD with the offset as error data.
_SETUP_LIMITS: tuple[tuple[int, float, float], ...] = (
    (8, 0.0, 10.0),  # distance_m
    (16, -1.0, 1.0),  # closing_speed_m_s
    (24, -1.0, 1.0),  # lateral_offset_m y
    (32, -1.0, 1.0),  # lateral_offset_m z
    (40, -0.5, 0.5),  # lateral_speed_m_s y
    (48, -0.5, 0.5),  # lateral_speed_m_s z
    (56, -30.0, 30.0),  # angle_deg roll
    (64, -30.0, 30.0),  # angle_deg pitch
    (72, -30.0, 30.0),  # angle_deg yaw
    (80, -10.0, 10.0),  # rate_deg_s roll
    (88, -10.0, 10.0),  # rate_deg_s pitch
    (96, -10.0, 10.0),  # rate_deg_s yaw
)
MAX_FAULT_VALUE = 1e6
"""Largest magnitude of a SimInject fault value (SI units of the fault)."""
MAX_SIM_STEPS = 1000
"""Most plant steps one SimStep may ask for (a second at 1 ms): the device stays responsive."""


def bad_field(msg: m.Message) -> int | None:
    """Byte offset of the first field of a simulation TC outside what the ICD allows."""
    if isinstance(msg, m.SimSetup):
        ic = msg.initial
        values = (
            ic.distance_m,
            ic.closing_speed_m_s,
            *ic.lateral_offset_m,
            *ic.lateral_speed_m_s,
            *ic.angle_deg,
            *ic.rate_deg_s,
        )
        for (offset, lo, hi), v in zip(_SETUP_LIMITS, values, strict=True):
            if not lo <= v <= hi:  # false for NaN
                return offset
        return None
    if isinstance(msg, m.SimInject):
        if not 0 <= msg.fault.index < 12:
            return 1
        if not -MAX_FAULT_VALUE <= msg.fault.value <= MAX_FAULT_VALUE:
            return 3
        return None
    if isinstance(msg, m.SimStep) and not 1 <= msg.steps <= MAX_SIM_STEPS:
        return 0
    return None


@dataclass(frozen=True, slots=True)
class LinkFaults:
    """Damage applied to outgoing frames (probabilities per frame, 0..1).

    (Alike in shape only to ``controller.protocol.stream.LinkCounters``: these
    are probabilities the device applies, those are counts the decoder keeps.)
    """

    drop: float = 0.0
    corrupt: float = 0.0
    duplicate: float = 0.0
    delay: float = 0.0
    delay_frames: int = 3
    """How many later frames a delayed frame is held back behind."""

    @property
    def any(self) -> bool:
        return (self.drop + self.corrupt + self.duplicate + self.delay) > 0.0


class VirtualMcu:
    """Sans-io device side of the ICD around an in-process plant.

    :param lockstep: advance the plant only on ``SimStep`` (True) or with time (False).
    :param period_s: control period in simulated time, s: what one ``SimStep``
        advances, and the simulated time between housekeeping reports.
    :param speedup: simulated seconds per device second in real time; reports
        then stream every ``period_s / speedup`` of device time.
    :param watchdog: run the set-point watchdog (False makes a broken device, for
        showing that ``dockhil conform`` catches one).
    :param flush: put a 0x00 before a burst after a pause (False: another broken device).
    """

    def __init__(
        self,
        preset: str = "cn-10t-100t",
        seed: int = 1,
        period_s: float = 0.01,
        lockstep: bool = True,
        speedup: float = 1.0,
        link_faults: LinkFaults | None = None,
        fault_seed: int = 0,
        watchdog: bool = True,
        flush: bool = True,
    ) -> None:
        self.period_s = period_s
        self.lockstep = lockstep
        self.speedup = speedup
        self.watchdog = watchdog
        self.flush = flush
        self.link_faults = link_faults or LinkFaults()
        self._rng = np.random.default_rng(fault_seed)
        self._plant = SimHal(f"sim://?preset={preset}&seed={seed}&period={period_s}")
        self._decoder = codec.StreamDecoder(keep_refused=True)
        self._seq = codec.SeqCounter()
        self.mode = m.DeviceMode.BOOT
        self.faults = m.DeviceFault.NONE
        self._setpoints = ActuatorCommand()
        self._last_sp_s: float | None = None
        """Watch clock (wall s in real time, simulated s in lockstep) of the newest SetPoints."""
        self._last_hhb_s: float | None = None
        """Watch clock of the newest HostHeartbeat (or of entering ACTIVE)."""
        self._tx_last_s: float | None = None
        """Device time of the newest burst sent; None before the first (boot)."""
        self._hooks_at: list[int] | None = None
        """Per hook: 0 at the open stop, 1 at the closed stop, 2 between (HOOK_EDGE)."""
        self._hook_pos_seen: tuple[float, ...] = ()
        """Hook positions of the report ``_hooks_at`` was judged on."""
        self._pending_events = b""
        self._last_hk_t_s = -1.0
        """Simulated time of the newest housekeeping report streamed in real time, s."""
        self._t0_s: float | None = None
        self._next_hk_s = 0.0
        self._next_hb_s = 0.0
        self._hb_counter = 0
        self._rejects_seen = 0
        self._delayed: deque[tuple[int, bytes]] = deque()
        self._last_frame: SensorFrame | None = None
        self.host_phase: int | None = None
        """The host's controller phase code from its newest HostHeartbeat."""
        self.internal_errors = 0
        """Commands whose handling raised (a device bug): answered SIM_ERROR, counted."""
        self.sim_fault_count = 0
        self.interlock_open = False
        """The simulated device's own hardware interlock (ICD DEV-MODE-3)."""

    # ----------------------------------------------------------------- outgoing
    def burst(self, out: bytes, send_s: float, force: bool = False) -> bytes:
        """``out`` as it goes on the wire at device time ``send_s`` (s): with one 0x00 in
        front when the transmitter was idle for ``TX_IDLE_FLUSH_MS`` (ICD DEV-FRM-2).

        The serving shell calls it with a clock reading taken just before it writes,
        since composing a burst can itself take a while (a first report loads the plant).
        """
        if not out:
            return out
        last = self._tx_last_s
        idle = last is None or (send_s - last) * 1000.0 >= m.TX_IDLE_FLUSH_MS
        self._tx_last_s = send_s
        return b"\x00" + out if self.flush and (idle or force) else out

    def _event(self, event_id: int, index: int = 0, value: int = 0) -> bytes:
        sev = m.event_severity(event_id, index)
        return self._tm(m.EventReport(int(sev), int(event_id), index, value))

    def _set_faults(self, bits: m.DeviceFault, on: bool, detail: int = 0) -> bytes:
        """Switch fault bits; FAULT_SET / FAULT_CLEARED for each bit that changed."""
        have = int(self.faults) & int(bits)
        if have == (int(bits) if on else 0):
            return b""  # nothing changes (every housekeeping report asks)
        out = b""
        for bit in range(32):
            flag = m.DeviceFault(1 << bit) if (1 << bit) & int(bits) else None
            if flag is None or bool(self.faults & flag) == on:
                continue
            if on:
                self.faults |= flag
                out += self._event(m.EventId.FAULT_SET, bit, detail)
            else:
                self.faults &= ~flag
                out += self._event(m.EventId.FAULT_CLEARED, bit, 0)
        return out

    def _set_mode(self, mode: m.DeviceMode) -> bytes:
        old = self.mode
        self.mode = mode
        if old == mode:
            return b""
        return self._event(m.EventId.MODE_CHANGE, int(mode), int(old))

    def _trip(self, fault: m.DeviceFault, age_ms: float) -> bytes:
        """A watch fired in ACTIVE: safe state, SAFE, the fault latched, events."""
        self._setpoints = ActuatorCommand()
        out = b""
        if fault == m.DeviceFault.WATCHDOG:
            out += self._event(m.EventId.WATCHDOG_TRIP, 0, int(age_ms))
        out += self._set_faults(fault, True, int(age_ms))
        return out + self._set_mode(m.DeviceMode.SAFE)

    def _watch(self, clock_s: float) -> bytes:
        """Both ACTIVE watches at ``clock_s`` (the watch clock, see the module docstring)."""
        if self.mode != m.DeviceMode.ACTIVE:
            return b""
        if self.watchdog and self._last_sp_s is not None:
            age_ms = (clock_s - self._last_sp_s) * 1000.0
            if age_ms > m.SETPOINT_WATCHDOG_MS:
                return self._trip(m.DeviceFault.WATCHDOG, age_ms)
        if self._last_hhb_s is not None:
            age_ms = (clock_s - self._last_hhb_s) * 1000.0
            if age_ms > m.HEARTBEAT_LOST_COUNT * m.HEARTBEAT_PERIOD_MS:
                return self._trip(m.DeviceFault.HOST_LOST, age_ms)
        return b""

    def _watch_clock(self, now_s: float) -> float:
        """Wall time in real time, simulated time in lockstep (ICD DEV-WDG-3)."""
        return self._now_tm() if self.lockstep else now_s

    def _now_tm(self) -> float:
        """Simulated time now, s: the time stamp of every TM but housekeeping."""
        return self._plant.plant.t_s

    def _tm(self, msg: m.Message) -> bytes:
        return self._damage(codec.encode(msg, self._seq.next(), self._now_tm()))

    def _damage(self, frame: bytes) -> bytes:
        lf = self.link_faults
        if not lf.any:
            return frame
        out = b""
        # release frames whose delay ran out
        still: deque[tuple[int, bytes]] = deque()
        for left, held in self._delayed:
            if left <= 1:
                out += held
            else:
                still.append((left - 1, held))
        self._delayed = still
        r = self._rng.random(4)
        if r[0] < lf.drop:
            return out
        if r[1] < lf.corrupt and len(frame) > 2:
            i = int(self._rng.integers(0, len(frame) - 1))
            b = bytearray(frame)
            b[i] ^= 1 << int(self._rng.integers(0, 8))
            frame = bytes(b)
        if r[3] < lf.delay:
            self._delayed.append((lf.delay_frames, frame))
            return out
        if r[2] < lf.duplicate:
            frame = frame + frame
        return out + frame

    def _verify(self, pkt: m.Packet, ok: bool, code: int = 0, data: int = 0) -> bytes:
        out = b""
        flags = pkt.ack_flags
        if ok:
            if flags & m.ACK_ACCEPTANCE:
                out += self._tm(m.Verification(m.ST_VERIF_ACCEPT_OK, pkt.seq_count))
            if flags & m.ACK_COMPLETION:
                out += self._tm(m.Verification(m.ST_VERIF_COMPLETE_OK, pkt.seq_count))
        else:
            # a failure is always reported, whatever the flags asked for
            out += self._tm(m.Verification(m.ST_VERIF_ACCEPT_FAIL, pkt.seq_count, code, data))
        return out

    def _housekeeping(self) -> bytes:
        """One report: Housekeeping, then SimTruth, then the events of the edges seen."""
        frame = self._plant.read()
        self._last_hk_t_s = self._plant.plant.t_s
        out = self._damage(codec.encode(m.Housekeeping(frame), self._seq.next()))
        truth = self._plant.truth()
        if truth is not None:
            out += self._damage(codec.encode(m.SimTruth(truth), self._seq.next(), frame.t_s))
        out += self._edges(frame)
        values = analog_values(frame)
        total = sum(values)  # NaN if any is (or +inf and -inf both): then look closer
        sensor_bad = total != total and any(math.isnan(v) for v in values)
        out += self._set_faults(m.DeviceFault.SENSOR, sensor_bad)
        self._last_frame = frame
        out += self._pending_events
        self._pending_events = b""
        return out

    def _hook_edges(self, frame: SensorFrame) -> bytes:
        """HOOK_EDGE: a hook reached its closed (1) or open (0) stop, or left one (2)."""
        prev = self._hooks_at
        positions = frame.hook_pos[:N_HOOKS]
        if prev is not None and positions == self._hook_pos_seen:
            return b""  # no hook moved since the last report
        self._hook_pos_seen = positions
        now: list[int] = []
        for k, pos in enumerate(positions):
            was = 2 if prev is None else prev[k]
            at = was
            if pos >= 1.0 - m.HOOK_END_ENTER:
                at = 1
            elif pos <= m.HOOK_END_ENTER:
                at = 0
            elif (
                was == 2
                or (was == 1 and pos < 1.0 - m.HOOK_END_LEAVE)
                or (was == 0 and pos > m.HOOK_END_LEAVE)
            ):
                at = 2
            now.append(at)
        self._hooks_at = now
        if prev is None:
            return b""
        out = b""
        for k, (a, b) in enumerate(zip(prev, now, strict=True)):
            if a != b:
                out += self._event(m.EventId.HOOK_EDGE, k, b)
        return out

    def _edges(self, frame: SensorFrame) -> bytes:
        """PUS 5 event reports for latch, limit-switch, contact, alignment, push-rod and
        hook edges, each with its severity from the ICD's table."""
        out = self._hook_edges(frame)
        prev = self._last_frame
        if prev is None:
            return out
        groups = (
            (m.EventId.LATCH_EDGE, prev.latch_captured, frame.latch_captured),
            (m.EventId.CONTACT_EDGE, prev.interface_contact, frame.interface_contact),
            (m.EventId.ALIGNMENT_EDGE, prev.alignment, frame.alignment),
            (m.EventId.PUSHROD_EDGE, prev.pushrod_extended, frame.pushrod_extended),
            (
                m.EventId.LIMIT_SWITCH,
                (prev.ring_ready_stop, prev.ring_retracted),
                (frame.ring_ready_stop, frame.ring_retracted),
            ),
        )
        for event_id, before, after in groups:
            if before != after:
                for k, (a, b) in enumerate(zip(before, after, strict=True)):
                    if a != b:
                        out += self._event(event_id, k, int(b))
        return out

    def _heartbeat(self, now_s: float) -> bytes:
        self._hb_counter = (self._hb_counter + 1) & 0xFFFFFFFF
        rejects = self._decoder.counters.rejects
        out = self._set_faults(m.DeviceFault.LINK_ERRORS, rejects != self._rejects_seen)
        self._rejects_seen = rejects
        c = self._decoder.counters
        last = self._last_sp_s
        age = 65535 if last is None else round((self._watch_clock(now_s) - last) * 1000.0)
        return out + self._tm(
            m.Heartbeat(
                counter=self._hb_counter,
                mode=int(self.mode),
                fault_bits=int(self.faults),
                peer_age_ms=min(max(age, 0), 65535),
                rx_ok=c.frames_ok & 0xFFFF,
                rx_rejects=c.rejects & 0xFFFF,
            )
        )

    def link_up(self, now_s: float) -> bytes:
        """A host connected (a new TCP connection): one 0x00 and a Hello (ICD DEV-BOOT-1)."""
        return self.burst(self.hello(), now_s, force=True)

    def hello(self) -> bytes:
        # LOCKSTEP is set only when this device waits for SimStep: it tells the
        # host which way to drive it.
        caps = m.Capability.FAULT_INJECTION | m.Capability.TRUTH
        if self.lockstep:
            caps |= m.Capability.LOCKSTEP
        return self._tm(
            m.Hello(
                firmware_version=_FW_VERSION,
                capabilities=int(caps),
                # the period the host should run at, in device (wall) time
                period_us=round(self.period_s / (1.0 if self.lockstep else self.speedup) * 1e6),
                device="dockhil-vmcu",
            )
        )

    # ----------------------------------------------------------------- incoming
    def receive(self, data: bytes, now_s: float) -> bytes:
        """Bytes from the host, arriving at device time ``now_s`` (s); returns the replies."""
        out = b""
        for pkt in self._decoder.feed(data):
            if pkt.is_tm:
                continue  # a device ignores telemetry (e.g. its own echo)
            out += self._handle(pkt, now_s)
        refused = self._decoder.refused
        if refused:
            for r in refused:
                out += self._refuse(r)
            refused.clear()
        return out

    def _refuse(self, r: Refused) -> bytes:
        """1,2 for a CRC-valid TC the decoder could not take (ICD DEV-RX-2)."""
        if r.reason == "unknown_service":
            code = m.ErrorCode.UNKNOWN_SUBTYPE
        elif r.reason == "bad_length":
            code = m.ErrorCode.BAD_LENGTH
        else:
            code = m.ErrorCode.BAD_FIELD
        v = m.Verification(m.ST_VERIF_ACCEPT_FAIL, r.seq_count, int(code), r.offset)
        return self._tm(v)

    def _handle(self, pkt: m.Packet, now_s: float) -> bytes:
        """One TC: never raises. A bug below answers 1,8 SIM_ERROR (and is counted)."""
        try:
            return self._dispatch(pkt, now_s)
        except Exception:  # the device must outlive any command it is sent
            self.internal_errors += 1
            return self._verify(pkt, False, m.ErrorCode.SIM_ERROR, self.internal_errors)

    def _dispatch(self, pkt: m.Packet, now_s: float) -> bytes:
        msg = pkt.msg
        bad = bad_field(msg)
        if bad is not None:
            return self._verify(pkt, False, m.ErrorCode.BAD_FIELD, bad)
        if isinstance(msg, m.SetPoints):
            self._last_sp_s = self._watch_clock(now_s)
            self._setpoints = msg.cmd
            return b""
        if isinstance(msg, m.SimStep):
            if not self.lockstep:
                return self._verify(pkt, False, m.ErrorCode.UNSUPPORTED, 0)
            for _ in range(max(1, msg.steps)):
                self._plant.write_from_wire(self._applied())
                self._pending_events += self._watch(self._now_tm())
            return self._housekeeping()
        if isinstance(msg, m.Ping):
            return self._tm(m.Pong())
        if isinstance(msg, m.HelloRequest):
            return self.hello()
        if isinstance(msg, m.HostHeartbeat):
            self._last_hhb_s = self._watch_clock(now_s)
            self.host_phase = msg.mode
            return b""
        if isinstance(msg, m.ModeCommand):
            return self._mode(pkt, msg, now_s)
        if isinstance(msg, m.SimSetup):
            return self._setup(pkt, msg, now_s)
        if isinstance(msg, m.SimInject) and msg.fault.kind == m.DEVICE_INTERLOCK_FAULT:
            return self._interlock(pkt, msg.active)
        if isinstance(msg, m.SimInject):
            try:
                self._plant.inject(msg.fault, msg.active)
            except DockhilError:
                return self._verify(pkt, False, m.ErrorCode.SIM_ERROR)
            self.sim_fault_count += 1 if msg.active else -1
            out = self._verify(pkt, True)
            return out + self._set_faults(m.DeviceFault.SIM_FAULT_ACTIVE, self.sim_fault_count > 0)
        return self._verify(pkt, False, m.ErrorCode.UNKNOWN_SUBTYPE)

    def _interlock(self, pkt: m.Packet, open_: bool) -> bytes:
        """Open or close the simulated hardware interlock (ICD DEV-MODE-3).

        Opening it in ACTIVE is what a bench's e-stop does: safe state and SAFE at
        once. The fault bit follows the interlock (not latched); closing it leaves
        the device in SAFE until the host commands ACTIVE again.
        """
        out = self._verify(pkt, True)
        if open_ == self.interlock_open:
            return out
        self.interlock_open = open_
        self.sim_fault_count += 1 if open_ else -1
        out += self._set_faults(m.DeviceFault.SIM_FAULT_ACTIVE, self.sim_fault_count > 0)
        if open_:
            self._setpoints = ActuatorCommand()
            out += self._set_faults(m.DeviceFault.INTERLOCK, True)
            if self.mode == m.DeviceMode.ACTIVE:
                out += self._set_mode(m.DeviceMode.SAFE)
            return out
        return out + self._set_faults(m.DeviceFault.INTERLOCK, False)

    def _mode(self, pkt: m.Packet, msg: m.ModeCommand, now_s: float) -> bytes:
        if msg.mode not in (m.DeviceMode.SAFE, m.DeviceMode.ACTIVE):
            return self._verify(pkt, False, m.ErrorCode.BAD_FIELD, 0)  # BOOT or no mode
        mode = m.DeviceMode(msg.mode)
        if mode == m.DeviceMode.ACTIVE and self.interlock_open:
            return self._verify(pkt, False, m.ErrorCode.NOT_ALLOWED, int(self.mode))
        out = self._verify(pkt, True)
        if mode == m.DeviceMode.ACTIVE:
            clock = self._watch_clock(now_s)
            self._last_sp_s = clock
            self._last_hhb_s = clock
            out += self._set_faults(m.DeviceFault.WATCHDOG | m.DeviceFault.HOST_LOST, False)
        else:
            self._setpoints = ActuatorCommand()
        return out + self._set_mode(mode)

    def _setup(self, pkt: m.Packet, msg: m.SimSetup, now_s: float) -> bytes:
        try:
            self._plant.setup(msg.preset, msg.seed, msg.initial)
        except DockhilError:
            return self._verify(pkt, False, m.ErrorCode.SIM_ERROR)
        self._setpoints = ActuatorCommand()
        self._last_frame = None
        self._hooks_at = None
        self._last_hk_t_s = -1.0
        self._t0_s = now_s
        self._next_hk_s = now_s
        self._last_sp_s = None
        self._last_hhb_s = None
        self.sim_fault_count = 0
        self.interlock_open = False
        out = self._verify(pkt, True)
        out += self._set_faults(m.DeviceFault.SIM_FAULT_ACTIVE | m.DeviceFault.INTERLOCK, False)
        out += self._set_mode(m.DeviceMode.SAFE)  # ICD SIM-SETUP-2: a new run starts in SAFE
        return out + self._housekeeping()

    def _applied(self) -> ActuatorCommand:
        """What the actuators get: the set-points in ACTIVE, the safe state otherwise."""
        return self._setpoints if self.mode == m.DeviceMode.ACTIVE else ActuatorCommand()

    # ----------------------------------------------------------------- time
    def poll(self, now_s: float) -> bytes:
        """Let device time pass up to ``now_s`` (s); returns what the device sends meanwhile."""
        out = b""
        if self._t0_s is None:
            self._t0_s = now_s
            self._next_hk_s = now_s
            self._next_hb_s = now_s
        if self._tx_last_s is None:
            out += self.hello()  # boot (ICD DEV-BOOT-1); burst() puts the 0x00 in front
        if now_s >= self._next_hb_s:
            out += self._heartbeat(now_s)
            self._next_hb_s += m.HEARTBEAT_PERIOD_MS / 1000.0
            if self._next_hb_s < now_s:
                self._next_hb_s = now_s + m.HEARTBEAT_PERIOD_MS / 1000.0
        if self.lockstep:
            return out
        out += self._watch(now_s)
        target_sim = (now_s - self._t0_s) * self.speedup
        steps = int((target_sim - self._plant.read().t_s) / self.period_s + 1e-9)
        for _ in range(max(0, steps)):
            self._plant.write_from_wire(self._applied())
        if now_s >= self._next_hk_s:
            if self._plant.plant.t_s <= self._last_hk_t_s:
                # the clock's rounding left the plant on the last report's sample: one
                # report per period means a new sample each time (ICD DEV-HK-1)
                self._plant.write_from_wire(self._applied())
            out += self._housekeeping()
            wall_period = self.period_s / self.speedup
            self._next_hk_s += wall_period
            if self._next_hk_s < now_s - 10 * wall_period:
                self._next_hk_s = now_s + wall_period  # fell far behind: skip, don't burst
        return out

    @property
    def next_due_s(self) -> float:
        """Device time of the next thing :meth:`poll` has to send (report or heartbeat), s."""
        if self.lockstep:
            return self._next_hb_s
        return min(self._next_hk_s, self._next_hb_s)

    @property
    def counters(self) -> dict[str, int]:
        return self._decoder.counters.as_dict()
