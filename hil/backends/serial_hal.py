"""The serial HAL backend: a microcontroller speaking the ICD over a byte stream.

Any pyserial port works: a device path (``/dev/ttyACM0``, a pty), a
``serial://`` URL, or pyserial's own URLs (``socket://``, ``rfc2217://``,
``loop://``, ``spy://``, ``hwgrep://``) passed straight through. Our options
(``baud``; ``timeout_ms``, the wait for a reply; ``stale_ms``, the host watchdog,
default ``HOUSEKEEPING_STALE_MS`` of the ICD) are taken off the query string; the rest goes to
pyserial.

A reader thread owns the receive side: it reads whatever has arrived, feeds
the stream decoder and keeps the newest housekeeping frame, so the control
loop never blocks on the port. Writes happen on the control thread (a
set-point frame is under 40 bytes; the kernel buffers it).

Two ways to drive a device, chosen by what its Hello says:

* **lockstep** (a virtual microcontroller in lockstep): ``write`` sends the
  set-points and a ``SimStep``; ``read`` waits for the housekeeping report of
  the new step. The wait has a wall-clock guard, so a dead device ends the
  run with a link fault instead of hanging it (the PX4 lockstep lesson).
* **real time** (a bench, or the virtual device in real time): ``read``
  returns the newest frame at once; if none arrived for
  ``HOUSEKEEPING_STALE_MS`` the link is declared lost.

A vanished port, a stale link or a dead reader raise
:class:`~controller.errors.LinkError` with a message naming the port.
"""

from __future__ import annotations

import contextlib
import enum
import os
import select
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import serial

from controller.errors import ConfigError, DeviceRefusedError, DeviceSafeError, LinkError
from controller.hal import FAULT_INJECTION, HARDWARE, LOCKSTEP, TRUTH, parse_url
from controller.protocol import codec
from controller.protocol import messages as m
from controller.types import (
    ActuatorCommand,
    InitialConditions,
    PlantFault,
    SensorFrame,
    Truth,
)

_OUR_OPTIONS = ("baud", "timeout_ms", "stale_ms")
_ATTEMPTS = 3
"""Tries of an idempotent request (Hello, mode, simulation setup) before a link fault."""
_READ_SIZE = 65536
"""Bytes the reader takes per wake at most (a second of housekeeping at 921600 baud)."""
_READ_WAIT_S = 0.05
"""Longest the reader waits in ``select`` before looking at ``closed`` again, s."""
_LAST_LOOK_S = 0.2
"""After a lockstep wait times out, how long the reader gets to catch up, s."""
_PYSERIAL_SCHEMES = ("socket", "rfc2217", "loop", "spy", "hwgrep", "alt", "cp2110")


def split_url(url: str) -> tuple[str, dict[str, str]]:
    """(what pyserial opens, our options) for a HAL URL."""
    scheme, location, options = parse_url(url)
    ours = {k: options.pop(k) for k in list(options) if k in _OUR_OPTIONS}
    rest = "&".join(f"{k}={v}" if v else k for k, v in options.items())
    if scheme in ("", "serial"):
        target = location
    elif scheme in _PYSERIAL_SCHEMES:
        target = f"{scheme}://{location}" + (f"?{rest}" if rest else "")
    else:
        raise ConfigError(f"{url!r}: not a serial URL")
    return target, ours


def _name(kind: type[enum.IntEnum], value: int) -> str:
    """The enum member's name, or the number a device sent that the ICD does not define."""
    try:
        return kind(value).name
    except ValueError:
        return str(value)


class _RefusedError(LinkError):
    """A request answered with a failure report: the link works, the device said no."""

    def __init__(self, what: str, code: int, data: int) -> None:
        super().__init__(f"device refused {what}: error code {code} ({data})")
        self.code = code
        self.data = data


class SerialHal:
    """HAL over a serial byte stream speaking ``docs/icd.md``."""

    def __init__(self, url: str, **options: str) -> None:
        target, ours = split_url(url)
        ours.update(options)
        self.url = url
        try:
            self._baud = int(ours.get("baud", "921600"))
            self._timeout_s = float(ours.get("timeout_ms", "1000")) / 1000.0
            self._stale_ms = float(ours.get("stale_ms", str(m.HOUSEKEEPING_STALE_MS)))
        except ValueError as exc:
            raise ConfigError(f"{url!r}: bad option: {exc}") from None
        try:
            self._port = serial.serial_for_url(target, baudrate=self._baud, timeout=0.005)
        except (serial.SerialException, ValueError, OSError) as exc:
            raise LinkError(f"cannot open serial port {target!r}: {exc}") from None
        self._seq = codec.SeqCounter()
        self._decoder = codec.StreamDecoder()
        self._lock = threading.Condition()
        self._frame: SensorFrame | None = None
        self._frame_wall = 0.0
        self._frame_arrival_ns = 0
        self._returned_arrival_ns: int | None = None
        self._frames_received = 0
        self._replies: deque[m.Packet] = deque(maxlen=256)
        self.device_events: deque[m.Packet] = deque(maxlen=4096)
        self._error: str | None = None
        self._closed = False
        self._tx_frames = 0
        self._tx_bytes = 0
        self._hb_counter = 0
        self._next_hb = -1.0
        """When the next HostHeartbeat is due: host monotonic s in real time, the device's
        frame time in lockstep (so a lockstep run does not depend on the wall clock)."""
        self._frame_t_s = 0.0
        """Time stamp of the newest frame returned by :meth:`read`, s."""
        self._phase_code = 0
        """The controller's phase code (ICD section 6), sent in every HostHeartbeat."""
        self.hello: m.Hello | None = None
        self._lockstep = False
        """The device's Hello has LOCKSTEP (read once per cycle, so kept as a plain bool)."""
        self._device_heartbeat: m.Heartbeat | None = None
        self._hb_wall = time.monotonic()
        """Wall time (monotonic s) of the newest device heartbeat (or of opening)."""
        self._active_since: float | None = None
        """Wall time the device confirmed ACTIVE; heartbeats from before do not count."""
        self._activate_sent: float | None = None
        """Wall time this host sent ModeCommand(ACTIVE) for the current run, or None."""
        self._active_seq: int | None = None
        """Sequence count of that ModeCommand, to match its completion report."""
        self._device_trouble: str | None = None
        """Why the device is not applying set-points (from its heartbeat or events)."""
        self._truth: Truth | None = None
        self._reader = threading.Thread(
            target=self._read_loop, name="dockhil-serial-rx", daemon=True
        )
        self._reader.start()
        try:
            # ICD section 6: one 0x00 first, so the device's decoder drops whatever
            # partial frame it may hold and takes our first frame whole
            self._write_raw(b"\x00")
            self._handshake()
        except LinkError:
            self.close()
            raise

    # ------------------------------------------------------------ reader thread
    def _read_loop(self) -> None:
        read = self._raw_reader()
        while not self._closed:
            try:
                data = read()
            except (serial.SerialException, OSError, TypeError, AttributeError, ValueError) as exc:
                if not self._closed:
                    with self._lock:
                        self._error = f"serial port {self.url!r} failed: {exc}"
                        self._lock.notify_all()
                return
            if not data:
                continue
            packets = self._decoder.feed(data)
            if not packets:
                continue
            now_ns = time.monotonic_ns()
            now = now_ns / 1e9
            with self._lock:
                for p in packets:
                    msg = p.msg
                    if isinstance(msg, m.Housekeeping):
                        self._frame = msg.frame
                        self._frame_wall = now
                        self._frame_arrival_ns = now_ns
                        self._frames_received += 1
                    elif isinstance(msg, m.SimTruth):
                        self._truth = msg.truth
                    elif isinstance(msg, m.EventReport):
                        self.device_events.append(p)
                        if (
                            msg.event_id == m.EventId.WATCHDOG_TRIP
                            and self._active_since is not None
                        ):
                            self._device_trouble = (
                                f"its set-point watchdog tripped (set-points {msg.value} ms old)"
                            )
                    elif isinstance(msg, m.Heartbeat):
                        self._device_heartbeat = msg
                        self._hb_wall = now
                        active = self._active_since
                        if (
                            active is not None
                            and now > active
                            and msg.mode != m.DeviceMode.ACTIVE
                            and self._device_trouble is None
                        ):
                            mode = _name(m.DeviceMode, msg.mode)
                            self._device_trouble = (
                                f"it reports mode {mode} (fault bits 0x{msg.fault_bits:x})"
                            )
                    else:
                        if isinstance(msg, m.Verification) and msg.tc_seq_count == (
                            self._active_seq
                        ):
                            self._confirm_active(msg, now)
                        self._replies.append(p)
                self._lock.notify_all()

    def _confirm_active(self, v: m.Verification, now: float) -> None:
        """The device's answer to this run's ModeCommand(ACTIVE); call with the lock held."""
        if v.subtype == m.ST_VERIF_COMPLETE_OK:
            self._active_since = now
            self._hb_wall = max(self._hb_wall, now)
        elif not v.success:
            self._device_trouble = (
                f"it refused mode ACTIVE (error code {v.error_code}, data {v.error_data})"
            )

    def _raw_reader(self) -> Callable[[], bytes]:
        """How the reader thread takes bytes off the port: one call per burst.

        On a POSIX device (a tty, a pty) it waits in ``select`` and takes
        everything there is with one ``os.read``, both without the GIL. That
        matters to a real-time host: pyserial's ``read(in_waiting or 1)``
        returns the first byte of a frame alone, so the reader woke twice per
        frame and ran pyserial's Python timeout logic each time, while the
        control thread waited for the GIL at its deadline. Other ports
        (``socket://``, ``loop://``) keep pyserial's read.
        """
        port = self._port
        try:
            fd = port.fileno()
        except (AttributeError, OSError, ValueError, serial.SerialException):
            fd = None
        if not isinstance(fd, int) or fd < 0:
            return lambda: bytes(port.read(port.in_waiting or 1))

        def read() -> bytes:
            ready, _, _ = select.select([fd], [], [], _READ_WAIT_S)
            if not ready:
                return b""
            data = os.read(fd, _READ_SIZE)
            if not data:
                raise OSError("the device closed the port (end of file)")
            return data

        return read

    # ------------------------------------------------------------ sending
    def _send(self, msg: m.Message) -> int:
        out: list[bytes] = []
        seq = self._queue(out, msg)
        self._write_raw(out[0])
        return seq

    def _queue(self, out: list[bytes], msg: m.Message) -> int:
        """Encode ``msg`` with the next sequence count onto ``out``; returns that count."""
        seq = self._seq.next()
        out.append(codec.encode(msg, seq))
        self._tx_frames += 1
        return seq

    def _write_raw(self, data: bytes) -> None:
        try:
            self._port.write(data)
        except (serial.SerialException, OSError) as exc:
            raise LinkError(f"serial port {self.url!r} write failed: {exc}") from None
        self._tx_bytes += len(data)

    def _wait_reply(self, match: Any, what: str, timeout_s: float | None = None) -> m.Packet:
        deadline = time.monotonic() + (timeout_s or self._timeout_s)
        with self._lock:
            while True:
                for p in self._replies:
                    if match(p):
                        self._replies.remove(p)
                        return p
                if self._error:
                    raise LinkError(self._error)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise LinkError(
                        f"no {what} from {self.url!r} within {timeout_s or self._timeout_s:g} s"
                    )
                self._lock.wait(left)

    def _request(self, msg: m.Message, what: str) -> None:
        """Send an idempotent TC and wait for its completion report, retrying on silence.

        A lossy link (a UART with noise, or a device with link faults switched on)
        can lose the TC or its report; the requests sent this way (mode, simulation
        setup, fault injection) are idempotent, so sending again is safe.
        """
        for attempt in range(_ATTEMPTS):
            seq = self._send(msg)
            try:
                reply = self._wait_reply(
                    lambda p, seq=seq: (
                        isinstance(p.msg, m.Verification)
                        and p.msg.tc_seq_count == seq
                        and p.msg.subtype
                        in (
                            m.ST_VERIF_COMPLETE_OK,
                            m.ST_VERIF_ACCEPT_FAIL,
                            m.ST_VERIF_COMPLETE_FAIL,
                        )
                    ),
                    what,
                )
                break
            except LinkError:
                if self._error or attempt == _ATTEMPTS - 1:
                    raise
        v = reply.msg
        assert isinstance(v, m.Verification)
        if not v.success:
            raise _RefusedError(what, v.error_code, v.error_data)

    def _handshake(self) -> None:
        for attempt in range(_ATTEMPTS):
            self._send(m.HelloRequest())
            try:
                reply = self._wait_reply(lambda p: isinstance(p.msg, m.Hello), "Hello")
                break
            except LinkError:
                if self._error or attempt == _ATTEMPTS - 1:
                    raise
        hello = reply.msg
        assert isinstance(hello, m.Hello)
        problems = m.hello_problems(hello)
        if problems:
            raise DeviceRefusedError(f"the device at {self.url!r} {problems[0]}")
        self.hello = hello
        self._lockstep = bool(hello.capabilities & m.Capability.LOCKSTEP)
        # ACTIVE is commanded with the first set-points (:meth:`write`), not here: it arms
        # the device's 100 ms set-point watchdog, and a run's setup may take longer

    # ------------------------------------------------------------ HAL
    @property
    def capabilities(self) -> frozenset[str]:
        caps = set()
        bits = self.hello.capabilities if self.hello else 0
        if bits & m.Capability.LOCKSTEP:
            caps.add(LOCKSTEP)
        if bits & m.Capability.FAULT_INJECTION:
            caps.add(FAULT_INJECTION)
        if bits & m.Capability.HARDWARE:
            caps.add(HARDWARE)
        if bits & m.Capability.TRUTH:
            caps.add(TRUTH)
        return frozenset(caps)

    @property
    def lockstep(self) -> bool:
        return self._lockstep

    @property
    def period_s(self) -> float:
        return (self.hello.period_us if self.hello else 1000) / 1e6

    def read(self) -> SensorFrame:
        stale_s = self._stale_ms / 1000.0
        with self._lock:
            if self.lockstep or self._frame is None:
                # lockstep: the report of the step just requested; real time: the first one
                ready = self._lock.wait_for(self._frame_or_error, self._timeout_s)
                if not ready:
                    # A last look before a link fault: if this process itself was stopped
                    # (SIGSTOP, a VM pause, swapping), the time-out ran out while the
                    # reader thread could not run either, and the report may be sitting
                    # unread in the port's buffer.
                    self._lock.wait_for(self._frame_or_error, _LAST_LOOK_S)
            if self._error:
                raise LinkError(self._error)
            self._watch_device()
            frame = self._frame
            if frame is None:
                raise LinkError(f"no housekeeping from {self.url!r} within {self._timeout_s:g} s")
            self._returned_arrival_ns = self._frame_arrival_ns
            self._frame_t_s = frame.t_s
            if self.lockstep:
                self._frame = None  # the next read waits for the next step's report
            elif time.monotonic() - self._frame_wall > stale_s:
                raise LinkError(
                    f"housekeeping from {self.url!r} stale for more than "
                    f"{self._stale_ms:g} ms (device gone?)"
                )
            return frame

    def _watch_device(self) -> None:
        """The host watches the device (ICD heartbeat rules); call with the lock held.

        A device that reports SAFE or BOOT after it confirmed ACTIVE, whose
        set-point watchdog tripped, or whose heartbeats stopped for
        ``HEARTBEAT_LOST_COUNT`` periods is not applying what the host sends:
        :class:`~controller.errors.DeviceSafeError`, so the run ends SAFE
        with the reason instead of commanding blind.
        """
        if self._device_trouble is not None:
            raise DeviceSafeError(
                f"the device at {self.url!r} is not applying set-points: {self._device_trouble}"
            )
        sent = self._activate_sent
        if sent is not None and self._active_since is None and time.monotonic() - sent > 1.0:
            self._lock.wait_for(lambda: self._active_since is not None, _LAST_LOOK_S)
            if self._active_since is None:
                raise DeviceSafeError(
                    f"the device at {self.url!r} did not confirm mode ACTIVE within 1 s: "
                    "it is not applying set-points"
                )
        lost_s = m.HEARTBEAT_LOST_COUNT * m.HEARTBEAT_PERIOD_MS / 1000.0
        if time.monotonic() - self._hb_wall > lost_s:
            # a last look: a stall of this process stopped the reader thread too
            fresh = self._lock.wait_for(
                lambda: time.monotonic() - self._hb_wall <= lost_s or self._error is not None,
                _LAST_LOOK_S,
            )
            if not fresh:
                raise DeviceSafeError(
                    f"no heartbeat from the device at {self.url!r} for "
                    f"{(time.monotonic() - self._hb_wall) * 1000:.0f} ms "
                    f"({m.HEARTBEAT_LOST_COUNT} missed): link lost"
                )

    def _frame_or_error(self) -> bool:
        return self._frame is not None or self._error is not None

    def write(self, cmd: ActuatorCommand) -> None:
        # One write per cycle: a device (and the pty between) wakes once for the lot.
        out: list[bytes] = []
        if self._activate_sent is None:
            # the device applies set-points only in ACTIVE; the mode command goes just
            # before the first set-points, so its watchdog is armed by the run itself
            with self._lock:
                self._activate_sent = time.monotonic()
                self._active_seq = self._queue(out, m.ModeCommand(m.DeviceMode.ACTIVE))
        self._queue(out, m.SetPoints(cmd))
        now = self._frame_t_s if self._lockstep else time.monotonic()
        if now >= self._next_hb - 1e-9:  # frame times are whole ms: no float misses
            self._queue(out, self._host_heartbeat())
            self._next_hb = now + m.HEARTBEAT_PERIOD_MS / 1000.0
        if self._lockstep:
            self._queue(out, m.SimStep(1))
        self._write_raw(b"".join(out))

    def _host_heartbeat(self) -> m.HostHeartbeat:
        """HostHeartbeat per ICD 4.2: phase code, housekeeping age, decoder counts."""
        self._hb_counter = (self._hb_counter + 1) & 0xFFFFFFFF
        with self._lock:
            c = self._decoder.counters
            rx_ok, rx_rejects = c.frames_ok, c.rejects
            got = self._frames_received
            age_ms = (time.monotonic() - self._frame_wall) * 1000.0 if got else 65535.0
        return m.HostHeartbeat(
            counter=self._hb_counter,
            mode=self._phase_code,
            peer_age_ms=min(round(age_ms), 65535),
            rx_ok=rx_ok & 0xFFFF,
            rx_rejects=rx_rejects & 0xFFFF,
        )

    def report_phase(self, code: int) -> None:
        """The controller's phase code for the next HostHeartbeats (ICD HOST-HB-2)."""
        self._phase_code = code

    def drain_device_events(self) -> list[str]:
        """The device's event reports since the last call, one line each, oldest first."""
        if not self.device_events:
            return []
        with self._lock:
            packets = list(self.device_events)
            self.device_events.clear()
        lines = []
        for p in packets:
            ev = p.msg
            assert isinstance(ev, m.EventReport)
            name = _name(m.EventId, ev.event_id)
            sev = _name(m.Severity, ev.severity)
            lines.append(f"{name} index={ev.index} value={ev.value} severity={sev}")
        return lines

    def last_arrival_ns(self) -> int | None:
        """Monotonic ns at which the frame last returned by :meth:`read` arrived."""
        return self._returned_arrival_ns

    def truth(self) -> Truth | None:
        """Model truth from a simulated device (SimTruth packets), else None."""
        with self._lock:
            return self._truth

    def setup(self, preset: str, seed: int, initial: InitialConditions) -> None:
        with self._lock:
            self._frame = None
            # SimSetup puts the device in SAFE (ICD SIM-SETUP-1): stop watching for ACTIVE
            # before it answers, so its heartbeats in SAFE are not taken for a fault
            self._active_since = None
        try:
            self._request(m.SimSetup(preset, seed, initial), "simulation setup")
        except _RefusedError as exc:
            raise DeviceRefusedError(
                f"the device at {self.url!r} refused the simulation setup (preset {preset!r}, "
                f"seed {seed}): error code {exc.code} ({exc.data}); is the preset known there?"
            ) from None
        with self._lock:  # a new run: ACTIVE again with its first set-points
            self._next_hb = -1.0
            self._frame_t_s = 0.0
            self._activate_sent = None
            self._active_seq = None
            self._active_since = None

    def inject(self, fault: PlantFault, active: bool = True) -> None:
        self._request(m.SimInject(fault, active), f"fault injection {fault.kind}")

    def ping(self, timeout_s: float = 1.0) -> float:
        """Round-trip time of a PUS 17,1 ping, s."""
        t0 = time.monotonic()
        self._send(m.Ping())
        self._wait_reply(lambda p: isinstance(p.msg, m.Pong), "Pong", timeout_s)
        return time.monotonic() - t0

    def device_identity(self) -> dict[str, str | int]:
        """The Hello's identity fields (``controller.hal.DeviceIdentity``), for the record."""
        h = self.hello
        if h is None:
            return {}
        return {
            "device": h.device,
            "firmware_version": ".".join(map(str, h.firmware_version)),
            "protocol_version": ".".join(map(str, h.protocol_version)),
            "period_us": h.period_us,
            "capabilities": h.capabilities,
        }

    def link_counters(self) -> dict[str, int]:
        """The host decoder's counts, frames sent, and what the device's newest heartbeat
        said of its side (``device_rx_ok``, ``device_rx_rejects``, ``device_fault_bits``,
        ``device_heartbeats``)."""
        with self._lock:
            c = self._decoder.counters.as_dict()
            c["hk_frames"] = self._frames_received
            hb = self._device_heartbeat
            if hb is not None:
                c["device_heartbeats"] = hb.counter
                c["device_rx_ok"] = hb.rx_ok
                c["device_rx_rejects"] = hb.rx_rejects
                c["device_fault_bits"] = hb.fault_bits
        c["tx_frames"] = self._tx_frames
        c["tx_bytes"] = self._tx_bytes
        return c

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            if self._port.is_open:
                # leave the device in its safe state; a dead port cannot take it
                with contextlib.suppress(serial.SerialException, OSError):
                    self._port.write(
                        codec.encode(m.ModeCommand(m.DeviceMode.SAFE), self._seq.next())
                    )
            self._port.close()
        finally:
            self._reader.join(timeout=1.0)
