"""``dockhil conform``: drive a device through the device clauses of ``docs/icd.md``.

Theory of operation
===================

A bench team that builds firmware from the ICD needs to know, clause by clause,
whether the device does what the ICD says. The kit talks to the device on the
wire only (its own encoder and :class:`~controller.protocol.stream.StreamDecoder`,
no :class:`~hil.backends.serial_hal.SerialHal`, which would hide what it
checks), runs one check per clause in a fixed order and reports a :class:`Row`
per clause: its id, what was checked, PASS / FAIL / SKIP, and on failure the
bytes that were seen. ``SIM-*`` clauses use simulation TCs and are checked only
on a device whose Hello announces a simulation capability; every other clause
needs only the wire, as a flight-like device meets it.

The clauses that count time (heartbeat period, housekeeping rate, the two
watches) need a device on its own clock; a lockstep device reports them SKIP.
``vmcu://`` therefore starts the virtual microcontroller in real time unless
the URL says ``realtime=0``.

The checks wait on the wall clock with generous margins (a shared CI machine
is slow): each bound below is the ICD's figure plus a stated tolerance.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import os
import select
import socket
import struct
import subprocess
import time
import tty
import xml.etree.ElementTree as ET
from binascii import crc_hqx
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cobs import cobs

from controller.errors import ConfigError, DockhilError, LinkError
from controller.hal import parse_url
from controller.protocol import codec
from controller.protocol import messages as m
from controller.protocol.layouts import PSC_UNSEGMENTED, TC_PACKET_ID
from controller.protocol.packets import PUS_C
from controller.types import (
    ActuatorCommand,
    InitialConditions,
    PlantFault,
)

TIME_TOLERANCE_S = 0.1
"""Added to every time bound of the ICD: scheduling of the device and of this kit, s
(a shared two-core CI machine delays either by tens of ms now and then)."""
REPLY_TIMEOUT_S = 1.0
"""Longest wait for an answer that the ICD wants at once, s."""
PAUSE_READ_S = 0.004
"""The kit's read time-out, s: a read that times out proves the device was silent."""
PAUSE_S = 3 * m.TX_IDLE_FLUSH_MS / 1000.0
"""A gap between bursts (with a timed-out read in it) long enough that DEV-FRM-2
surely wants a 0x00 in front of the next burst, s: three times the ICD's 5 ms, as
this kit may read a burst late on a busy machine and so see a pause longer than
the device's."""


class ClauseError(DockhilError):
    """A clause check failed; the message says what was expected and what came."""


@dataclass(frozen=True, slots=True)
class Row:
    """The result of one clause."""

    clause: str
    what: str
    status: str
    """PASS, FAIL or SKIP."""
    detail: str = ""
    seen: str = ""
    """Hex of the bytes received during the check (on failure; the last 512 B)."""
    sim_only: bool = False


@dataclass(frozen=True, slots=True)
class Clause:
    """One device clause of the ICD and its check."""

    clause: str
    what: str
    check: Callable[[Device], str | None]
    """Raises :class:`ClauseError`; returns None for a pass, ``"PASS <note>"`` for a
    pass with a note, or the reason to SKIP."""
    sim_only: bool = False


# ----------------------------------------------------------------------------- transport


class _Port:
    """Raw bytes to and from the device: a tty path, a TCP socket, or a pyserial URL."""

    def __init__(self, target: str) -> None:
        self._sock: socket.socket | None = None
        self._fd: int | None = None
        self._serial: Any = None
        scheme, location, _ = parse_url(target)
        if scheme == "socket":
            host, _, port = location.rpartition(":")
            try:
                self._sock = socket.create_connection((host, int(port)), timeout=5.0)
            except (OSError, ValueError) as exc:
                raise LinkError(f"cannot connect to {target!r}: {exc}") from None
            self._sock.setblocking(False)
        elif scheme in ("", "serial"):
            try:
                self._fd = os.open(location, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
            except OSError as exc:
                raise LinkError(f"cannot open {location!r}: {exc}") from None
            with contextlib.suppress(OSError):
                tty.setraw(self._fd)
        else:
            import serial

            try:
                self._serial = serial.serial_for_url(target, timeout=0)
            except (serial.SerialException, ValueError, OSError) as exc:
                raise LinkError(f"cannot open {target!r}: {exc}") from None

    def write(self, data: bytes) -> None:
        if self._sock is not None:
            self._sock.sendall(data)
        elif self._fd is not None:
            view = memoryview(data)
            while view:
                try:
                    n = os.write(self._fd, view)
                except BlockingIOError:
                    select.select([], [self._fd], [], 0.1)
                    continue
                view = view[n:]
        else:
            self._serial.write(data)

    def read(self, timeout_s: float) -> bytes:
        if self._serial is not None:
            end = time.monotonic() + timeout_s
            while True:
                data = bytes(self._serial.read(self._serial.in_waiting or 1))
                if data or time.monotonic() >= end:
                    return data
                time.sleep(0.001)
        fd = self._sock.fileno() if self._sock is not None else self._fd
        assert fd is not None
        ready, _, _ = select.select([fd], [], [], max(timeout_s, 0.0))
        if not ready:
            return b""
        try:
            data = self._sock.recv(65536) if self._sock is not None else os.read(fd, 65536)
        except (BlockingIOError, InterruptedError):
            return b""
        if not data:
            raise LinkError("the device closed the link")
        return data

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
        if self._fd is not None:
            os.close(self._fd)
        if self._serial is not None:
            self._serial.close()


@dataclass(slots=True)
class Seen:
    """One packet from the device, with the wall time it was decoded (monotonic s)."""

    at_s: float
    packet: m.Packet
    flushed: bool = False
    """The chunk that completed it started with 0x00 after a pause (DEV-FRM-2 evidence)."""


@dataclass
class Device:
    """The device under test, on the wire: send TCs, collect what comes back."""

    port: _Port
    booted_here: bool
    """The kit saw the device start (it started it, or the link is a new connection)."""
    decoder: codec.StreamDecoder = field(default_factory=codec.StreamDecoder)
    seq: codec.SeqCounter = field(default_factory=codec.SeqCounter)
    log: list[Seen] = field(default_factory=list)
    raw: bytearray = field(default_factory=bytearray)
    """Bytes received since the current clause started."""
    first_bytes: bytes = b""
    """The first bytes the device sent after the link opened."""
    hello: m.Hello | None = None
    pauses: list[tuple[float, bool, str]] = field(default_factory=list)
    """(pause, s; the burst started with 0x00) for bursts after a pause of the device."""
    _last_rx_s: float | None = None
    _idle: bool = False
    """A read timed out since the last byte: the device really was silent meanwhile."""
    last_setpoints_s: float = 0.0
    """When this kit last sent SetPoints (monotonic s)."""
    last_host_heartbeat_s: float = 0.0
    """When this kit last sent a HostHeartbeat (monotonic s)."""

    # ------------------------------------------------------------------ io
    def send(self, msg: m.Message, ack: int | None = None) -> int:
        s = self.seq.next()
        self.port.write(codec.encode(msg, s, ack_flags=ack))
        if isinstance(msg, m.SetPoints):
            self.last_setpoints_s = time.monotonic()
        elif isinstance(msg, m.HostHeartbeat):
            self.last_host_heartbeat_s = time.monotonic()
        return s

    def drain(self) -> None:
        """Take everything that already arrived (a burst may take several reads)."""
        while True:
            before = len(self.raw)
            self.pump(0.0)
            if len(self.raw) == before:
                return

    def send_packet(self, service: int, subtype: int, data: bytes, ack: int = 0) -> int:
        """A TC built by hand (CRC-valid, any service, subtype and data): for the refusals."""
        s = self.seq.next()
        head = struct.pack(
            ">HHHBBBH",
            TC_PACKET_ID,
            PSC_UNSEGMENTED | s,
            m.TC_HEADER_LEN + len(data) + m.CRC_LEN - 7,
            PUS_C | ack,
            service,
            subtype,
            0,
        )
        body = head + data
        packet = body + crc_hqx(body, 0xFFFF).to_bytes(2, "big")
        self.port.write(cobs.encode(packet) + b"\x00")
        return s

    def pump(self, seconds: float) -> list[Seen]:
        """Receive for ``seconds``; returns the packets that arrived meanwhile."""
        end = time.monotonic() + seconds
        start = len(self.log)
        while True:
            left = end - time.monotonic()
            data = self.port.read(max(0.0, min(left, PAUSE_READ_S)))
            now = time.monotonic()
            if not data:
                self._idle = self._last_rx_s is not None
            else:
                if not self.first_bytes:
                    self.first_bytes = data[:64]
                last = self._last_rx_s
                # a chunk that completes a frame already begun is no new burst
                fresh = self.decoder.pending == 0
                if fresh and self._idle and last is not None and now - last >= PAUSE_S:
                    self.pauses.append((now - last, data[:1] == b"\x00", data[:24].hex(" ")))
                self._idle = False
                self._last_rx_s = now
                self.raw += data
                for p in self.decoder.feed(data):
                    self.log.append(Seen(now, p))
            if left <= 0:
                return self.log[start:]

    def wait_for(
        self, match: Callable[[m.Packet], bool], timeout_s: float = REPLY_TIMEOUT_S
    ) -> Seen | None:
        """Pump until a packet matches (searching what arrived since this call)."""
        start = len(self.log)
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            self.pump(0.01)
            for s in self.log[start:]:
                if match(s.packet):
                    return s
        return None

    def messages(self, since: int, kind: type) -> list[Any]:
        return [s.packet.msg for s in self.log[since:] if isinstance(s.packet.msg, kind)]

    def verification(self, seq: int, subtypes: tuple[int, ...]) -> m.Verification | None:
        got = self.wait_for(
            lambda p: (
                isinstance(p.msg, m.Verification)
                and p.msg.tc_seq_count == seq
                and p.msg.subtype in subtypes
            )
        )
        return None if got is None else got.packet.msg  # type: ignore[return-value]

    def heartbeat(self, timeout_s: float = 0.3) -> m.Heartbeat:
        got = self.wait_for(lambda p: isinstance(p.msg, m.Heartbeat), timeout_s)
        if got is None:
            raise ClauseError(f"no Heartbeat within {timeout_s:g} s")
        return got.packet.msg  # type: ignore[return-value]

    @property
    def lockstep(self) -> bool:
        return bool(self.hello and self.hello.capabilities & m.Capability.LOCKSTEP)

    @property
    def simulated(self) -> bool:
        sim = m.Capability.LOCKSTEP | m.Capability.FAULT_INJECTION | m.Capability.TRUTH
        return bool(self.hello and self.hello.capabilities & sim)

    @property
    def period_s(self) -> float:
        return (self.hello.period_us if self.hello else 10_000) / 1e6

    # ------------------------------------------------------------------ helpers
    def activate(self) -> None:
        """ModeCommand(ACTIVE) with set-points and a host heartbeat; checks completion."""
        self.send(m.HostHeartbeat(counter=1))
        self.send(m.SetPoints(ActuatorCommand()))
        s = self.send(m.ModeCommand(m.DeviceMode.ACTIVE))
        self.send(m.SetPoints(ActuatorCommand()))
        v = self.verification(s, (m.ST_VERIF_COMPLETE_OK, m.ST_VERIF_ACCEPT_FAIL))
        if v is None or v.subtype != m.ST_VERIF_COMPLETE_OK:
            raise ClauseError(f"ModeCommand(ACTIVE) not completed: {v}")

    def stream(self, seconds: float, setpoints: bool = True, heartbeats: bool = True) -> list[Seen]:
        """Act as a host for ``seconds``: set-points each period, heartbeats each 100 ms."""
        end = time.monotonic() + seconds
        next_hb = 0.0
        start = len(self.log)
        counter = 0
        while time.monotonic() < end:
            now = time.monotonic()
            if heartbeats and now >= next_hb:
                counter += 1
                self.send(m.HostHeartbeat(counter=counter))
                next_hb = now + m.HEARTBEAT_PERIOD_MS / 1000.0
            if setpoints:
                self.send(m.SetPoints(ActuatorCommand()))
            self.pump(min(self.period_s, 0.02))
        return self.log[start:]

    def safe(self) -> None:
        """Back to SAFE between clauses (answers are not checked here)."""
        self.send(m.ModeCommand(m.DeviceMode.SAFE))
        self.pump(0.1)


# ----------------------------------------------------------------------------- the clauses


def _expect(cond: bool, text: str) -> None:
    if not cond:
        raise ClauseError(text)


def _events(seen: list[Seen]) -> list[m.EventReport]:
    return [s.packet.msg for s in seen if isinstance(s.packet.msg, m.EventReport)]


def _c_boot(d: Device) -> str | None:
    if not d.booted_here:
        return "the device booted before the link was opened (use vmcu:// or socket://)"
    if not d.log:
        d.pump(1.0)
    _expect(d.first_bytes[:1] == b"\x00", f"first byte {d.first_bytes[:1].hex()} is not 0x00")
    first = d.log[0].packet.msg if d.log else None
    _expect(isinstance(first, m.Hello), f"first frame after boot is {type(first).__name__}")
    return None


def _c_hello(d: Device) -> str | None:
    since = len(d.log)
    d.send(m.HelloRequest())
    got = d.wait_for(lambda p: isinstance(p.msg, m.Hello))
    _expect(got is not None, "no Hello in answer to HelloRequest within 1 s")
    assert got is not None
    h = got.packet.msg
    assert isinstance(h, m.Hello)
    d.hello = h
    problems = m.hello_problems(h)
    _expect(not problems, "the device " + "; ".join(problems))
    _expect(len(d.messages(since, m.Hello)) == 1, "more than one Hello for one request")
    return None


def _c_ping(d: Device) -> str | None:
    for k in range(10):
        since = len(d.log)
        d.send(m.Ping())
        got = d.wait_for(lambda p: isinstance(p.msg, m.Pong), 0.5)
        _expect(got is not None, f"ping {k}: no Pong within 0.5 s")
        _expect(len(d.messages(since, m.Pong)) == 1, f"ping {k}: more than one Pong")
    return None


def _c_heartbeat_period(d: Device) -> str | None:
    if d.lockstep:
        return "lockstep device: heartbeats are counted on a device with its own clock"
    seen = d.stream(1.55, setpoints=False)
    beats = [(s.at_s, s.packet.msg) for s in seen if isinstance(s.packet.msg, m.Heartbeat)]
    _expect(12 <= len(beats) <= 18, f"{len(beats)} heartbeats in 1.55 s (want 15 +- 3)")
    counters = [hb.counter for _, hb in beats]
    steps = {(b - a) & 0xFFFFFFFF for a, b in itertools.pairwise(counters)}
    _expect(steps == {1}, f"heartbeat counters step by {sorted(steps)}, not 1")
    gaps = [b - a for (a, _), (b, _) in itertools.pairwise(beats)]
    worst = max(gaps)
    _expect(worst <= 0.1 + 2 * TIME_TOLERANCE_S, f"a gap of {worst * 1000:.0f} ms between beats")
    return None


def _c_heartbeat_content(d: Device) -> str | None:
    hb = d.heartbeat()
    _expect(hb.mode in (m.DeviceMode.BOOT, m.DeviceMode.SAFE), f"mode {hb.mode} before ACTIVE")
    _expect(hb.fault_bits >> 9 == 0, f"reserved fault bits set: 0x{hb.fault_bits:x}")
    ok0 = hb.rx_ok
    for _ in range(5):
        d.send(m.SetPoints(ActuatorCommand()))
    d.pump(0.05)
    since = len(d.log)
    hb2 = d.heartbeat()
    _expect(
        (hb2.rx_ok - ok0) & 0xFFFF >= 5,
        f"rx_ok went {ok0} -> {hb2.rx_ok} after 5 set-points",
    )
    _expect(hb2.peer_age_ms <= 300, f"peer_age_ms {hb2.peer_age_ms} just after set-points")
    del since
    if d.lockstep:
        return None  # its watch clock is simulated time, which stands still here
    d.pump(0.4)  # reading on: a device streaming into an unread port would overflow it
    hb3 = d.heartbeat()
    _expect(hb3.peer_age_ms >= 300, f"peer_age_ms {hb3.peer_age_ms} 0.4 s after the set-points")
    return None


def _c_hk_rate(d: Device) -> str | None:
    if d.lockstep:
        return "lockstep device: one report per SimStep instead (SIM-STEP-1)"
    seen = d.stream(1.0, setpoints=False)
    hk = [s.packet for s in seen if isinstance(s.packet.msg, m.Housekeeping)]
    want = 1.0 / d.period_s
    _expect(
        abs(len(hk) - want) <= 0.25 * want + 2,
        f"{len(hk)} housekeeping reports in 1 s, period {d.period_s * 1000:g} ms wants {want:.0f}",
    )
    stamps = [p.time_s or 0.0 for p in hk]
    _expect(
        all(b > a for a, b in itertools.pairwise(stamps)),
        "time stamps do not increase",
    )
    counters = [p.msg_counter for p in hk]
    steps = {(b - a) & 0xFFFF for a, b in itertools.pairwise(counters)}
    _expect(
        all(0 < x < 0x8000 for x in steps), f"sample counter does not rise: steps {sorted(steps)}"
    )
    return None


def _c_mode(d: Device) -> str | None:
    since = len(d.log)
    d.activate()
    beats = [s.packet.msg for s in d.stream(0.25) if isinstance(s.packet.msg, m.Heartbeat)]
    _expect(bool(beats), "no heartbeat in 0.25 s")
    _expect(beats[-1].mode == m.DeviceMode.ACTIVE, f"heartbeat mode {beats[-1].mode} in ACTIVE")
    ev = [e for e in _events(d.log[since:]) if e.event_id == m.EventId.MODE_CHANGE and e.index == 2]
    _expect(bool(ev), "no MODE_CHANGE event to ACTIVE")
    d.safe()
    return None


def _c_mode_bad(d: Device) -> str | None:
    for mode in (m.DeviceMode.BOOT, 7):
        s = d.send(m.ModeCommand(int(mode)), ack=0)
        v = d.verification(s, (m.ST_VERIF_ACCEPT_FAIL, m.ST_VERIF_ACCEPT_OK))
        _expect(v is not None, f"ModeCommand({mode}) without ack flags: no 1,2")
        assert v is not None
        _expect(
            (v.subtype, v.error_code, v.error_data) == (2, m.ErrorCode.BAD_FIELD, 0),
            f"ModeCommand({mode}): {v}, want 1,2 BAD_FIELD at offset 0",
        )
    return None


def _refusal(d: Device, service: int, subtype: int, data: bytes, code: int, what: str) -> None:
    s = d.send_packet(service, subtype, data, ack=0)
    v = d.verification(s, (m.ST_VERIF_ACCEPT_FAIL, m.ST_VERIF_ACCEPT_OK, m.ST_VERIF_COMPLETE_OK))
    _expect(v is not None, f"{what}: no 1,2 within 1 s")
    assert v is not None
    _expect(
        v.subtype == m.ST_VERIF_ACCEPT_FAIL and v.error_code == code,
        f"{what}: {v}, want 1,2 {m.ErrorCode(code).name}",
    )


def _c_unknown(d: Device) -> str | None:
    _refusal(d, 17, 99, b"", m.ErrorCode.UNKNOWN_SUBTYPE, "TC 17,99")
    _refusal(d, 200, 1, b"", m.ErrorCode.UNKNOWN_SUBTYPE, "TC 200,1")
    return None


def _c_length(d: Device) -> str | None:
    _refusal(d, 17, 1, b"\x01", m.ErrorCode.BAD_LENGTH, "Ping with one data byte")
    _refusal(d, 130, 1, bytes(3), m.ErrorCode.BAD_LENGTH, "SetPoints of 3 bytes")
    return None


def _c_garbage(d: Device) -> str | None:
    hb0 = d.heartbeat()
    junk = bytes((k * 37 + 11) % 255 + 1 for k in range(300))  # no 0x00 inside: one frame
    packet = bytearray(codec.encode_packet(m.Ping(), d.seq.next()))
    packet[-1] ^= 0x5A  # a ping with a bad CRC, framed correctly
    since = len(d.log)
    d.port.write(junk + b"\x00" + cobs.encode(bytes(packet)) + b"\x00\x01\x02\x00")
    d.send(m.Ping())
    got = d.wait_for(lambda p: isinstance(p.msg, m.Pong))
    _expect(got is not None, "no Pong after garbage and a bad-CRC frame")
    _expect(len(d.messages(since, m.Pong)) == 1, "the bad-CRC ping was answered")
    hb = d.heartbeat()
    if (hb.rx_rejects - hb0.rx_rejects) & 0xFFFF < 2:
        hb = d.heartbeat()
    _expect(
        (hb.rx_rejects - hb0.rx_rejects) & 0xFFFF >= 2,
        f"rx_rejects went {hb0.rx_rejects} -> {hb.rx_rejects}",
    )
    return None


def _trip_events(seen: list[Seen], bit: m.DeviceFault) -> list[m.EventReport]:
    index = int(math.log2(int(bit)))
    return [e for e in _events(seen) if e.event_id == m.EventId.FAULT_SET and e.index == index]


def _c_watchdog(d: Device) -> str | None:
    if d.lockstep:
        return "lockstep device: its watchdog counts simulated time (tests/sim_bridge)"
    d.activate()
    d.stream(0.3)
    since = len(d.log)
    d.stream(0.1 + 0.25, setpoints=False)
    stop = d.last_setpoints_s
    seen = d.log[since:]
    trips = [e for e in _events(seen) if e.event_id == m.EventId.WATCHDOG_TRIP]
    _expect(len(trips) == 1, f"{len(trips)} WATCHDOG_TRIP events after set-points stopped")
    trip = trips[0]
    at = next(s.at_s for s in seen if s.packet.msg is trip)
    _expect(trip.severity == m.Severity.HIGH, f"WATCHDOG_TRIP severity {trip.severity}")
    late = at - stop
    _expect(
        late <= 0.1 + 2 * TIME_TOLERANCE_S,
        f"tripped {late * 1000:.0f} ms after the last set-points",
    )
    _expect(trip.value >= m.SETPOINT_WATCHDOG_MS, f"age at the trip {trip.value} ms")
    sets = _trip_events(seen, m.DeviceFault.WATCHDOG)
    _expect(bool(sets) and sets[0].severity == m.Severity.HIGH, "no FAULT_SET WATCHDOG (sev 4)")
    hb = d.heartbeat()
    _expect(hb.mode == m.DeviceMode.SAFE, f"heartbeat mode {hb.mode} after the trip")
    _expect(bool(hb.fault_bits & m.DeviceFault.WATCHDOG), "WATCHDOG bit not set")
    return None


def _c_watchdog_quiet(d: Device) -> str | None:
    if d.lockstep:
        return "lockstep device: its watchdog counts simulated time (tests/sim_bridge)"
    since = len(d.log)
    d.activate()
    d.stream(0.6)
    seen = d.log[since:]
    trips = [e for e in _events(seen) if e.event_id == m.EventId.WATCHDOG_TRIP]
    _expect(not trips, "WATCHDOG_TRIP while set-points arrived every period")
    beats = [s.packet.msg for s in seen if isinstance(s.packet.msg, m.Heartbeat)]
    _expect(bool(beats) and beats[-1].mode == m.DeviceMode.ACTIVE, "not ACTIVE after 0.6 s")
    d.safe()
    return None


def _c_recovery(d: Device) -> str | None:
    if d.lockstep:
        return "lockstep device: its watchdog counts simulated time (tests/sim_bridge)"
    hb = d.heartbeat()
    _expect(
        bool(hb.fault_bits & m.DeviceFault.WATCHDOG),
        "WATCHDOG not latched (DEV-WDG-1 must pass first)",
    )
    since = len(d.log)
    d.activate()
    beats = [s.packet.msg for s in d.stream(0.25) if isinstance(s.packet.msg, m.Heartbeat)]
    _expect(bool(beats), "no heartbeat in 0.25 s")
    hb = beats[-1]
    _expect(hb.mode == m.DeviceMode.ACTIVE, f"mode {hb.mode} after ModeCommand(ACTIVE)")
    _expect(not hb.fault_bits & m.DeviceFault.WATCHDOG, "WATCHDOG bit still set")
    cleared = [
        e for e in _events(d.log[since:]) if e.event_id == m.EventId.FAULT_CLEARED and e.index == 0
    ]
    _expect(bool(cleared), "no FAULT_CLEARED WATCHDOG event")
    d.safe()
    return None


def _c_host_lost(d: Device) -> str | None:
    if d.lockstep:
        return "lockstep device: its host watch counts simulated time (tests/sim_bridge)"
    d.activate()
    d.stream(0.3)
    since = len(d.log)
    limit = m.HEARTBEAT_LOST_COUNT * m.HEARTBEAT_PERIOD_MS / 1000.0
    d.stream(limit + 0.3, heartbeats=False)
    stop = d.last_host_heartbeat_s
    seen = d.log[since:]
    sets = _trip_events(seen, m.DeviceFault.HOST_LOST)
    _expect(len(sets) == 1, f"{len(sets)} FAULT_SET HOST_LOST events after host heartbeats stopped")
    at = next(s.at_s for s in seen if s.packet.msg is sets[0])
    _expect(
        limit - TIME_TOLERANCE_S <= at - stop <= limit + 0.1 + 2 * TIME_TOLERANCE_S,
        f"declared lost {(at - stop) * 1000:.0f} ms after the last host heartbeat",
    )
    _expect(sets[0].severity == m.Severity.HIGH, f"severity {sets[0].severity}")
    hb = d.heartbeat()
    _expect(hb.mode == m.DeviceMode.SAFE, f"heartbeat mode {hb.mode} after host loss")
    d.safe()
    return None


def _c_sequence(d: Device) -> str | None:
    c = d.decoder.counters
    _expect(c.seq_gaps == 0, f"{c.seq_gaps} sequence gaps in the device's TM so far")
    if d.booted_here and d.log:
        first = d.log[0].packet.seq_count
        _expect(first == 0, f"first TM after boot has sequence count {first}, not 0")
    return None


def _c_frames(d: Device) -> str | None:
    c = d.decoder.counters
    bad = {k: getattr(c, k) for k in c.REJECTS if getattr(c, k)}
    _expect(not bad, f"the device sent frames this kit rejected: {bad}")
    return None


def _c_flush(d: Device) -> str | None:
    if not d.pauses:
        return f"the device was never silent for {PAUSE_S * 1000:g} ms or more"
    missing = [(p, head) for p, flushed, head in d.pauses if not flushed]
    # A pty or socket may hand this kit one burst in two reads, the second late on a
    # busy machine: a rare miss is the transport's; a device without the flush misses
    # (nearly) every time. The allowance is stated in the row when it was used.
    allowed = max(2, len(d.pauses) // 10)
    text = (
        f"{len(missing)} of {len(d.pauses)} bursts after a pause had no 0x00 in front: "
        + "; ".join(f"after {p * 1000:.0f} ms: {head}" for p, head in missing[:3])
    )
    _expect(len(missing) <= allowed, text)
    return f"PASS with {text} (allowed: {allowed}, late reads)" if missing else None


def _c_events(d: Device) -> str | None:
    events = _events(d.log)
    _expect(bool(events), "no event report seen")
    wrong = [e for e in events if e.severity != m.event_severity(e.event_id, e.index)]
    _expect(
        not wrong,
        "wrong severities: "
        + ", ".join(f"event {e.event_id} index {e.index} severity {e.severity}" for e in wrong[:5]),
    )
    known = {int(x) for x in m.EventId}
    unknown = sorted({e.event_id for e in events} - known)
    _expect(not unknown, f"event ids the ICD does not define: {unknown}")
    return None


def _mode_changes(log: list[Seen]) -> list[m.EventReport]:
    """MODE_CHANGE events to SAFE (index 1) in ``log``."""
    return [e for e in _events(log) if e.event_id == m.EventId.MODE_CHANGE and e.index == 1]


def _c_sim_setup(d: Device) -> str | None:
    if not d.simulated:
        return "not a simulated device"
    d.activate()
    since = len(d.log)
    s = d.send(m.SimSetup("cn-10t-100t", 3, InitialConditions()))
    v = d.verification(s, (m.ST_VERIF_COMPLETE_OK, m.ST_VERIF_ACCEPT_FAIL))
    _expect(v is not None and v.subtype == m.ST_VERIF_COMPLETE_OK, f"SimSetup: {v}")
    # the ICD's order: 1,7, then the report at t = 0. Reports the device sent before it
    # took the SimSetup (it streams while ACTIVE) arrive after `since` but before the 1,7;
    # and the frames are waited for, not given a fixed window (both flaked in CI)
    done = next(i for i in range(len(d.log) - 1, since - 1, -1) if d.log[i].packet.msg is v)
    if not d.messages(done + 1, m.Housekeeping):
        d.wait_for(lambda p: isinstance(p.msg, m.Housekeeping))
    if not _mode_changes(d.log[since:]):
        d.wait_for(lambda p: bool(_mode_changes([Seen(0.0, p)])))
    first = [h.frame.t_s for h in d.messages(done + 1, m.Housekeeping)][:1]
    _expect(first == [0.0], f"the first housekeeping after SimSetup is at {first} s, not 0")
    _expect(bool(_mode_changes(d.log[since:])), "no MODE_CHANGE to SAFE after SimSetup in ACTIVE")
    hb = d.heartbeat()
    _expect(hb.mode == m.DeviceMode.SAFE, f"heartbeat mode {hb.mode} after SimSetup")
    return None


def _c_sim_field(d: Device) -> str | None:
    if not d.simulated:
        return "not a simulated device"
    s = d.send(m.SimSetup("cn-10t-100t", 3, InitialConditions(distance_m=20.0)))
    v = d.verification(s, (m.ST_VERIF_COMPLETE_OK, m.ST_VERIF_ACCEPT_FAIL))
    _expect(v is not None, "no answer to SimSetup with distance 20 m")
    assert v is not None
    _expect(
        (v.subtype, v.error_code, v.error_data) == (2, m.ErrorCode.BAD_FIELD, 8),
        f"{v}, want 1,2 BAD_FIELD at offset 8",
    )
    s = d.send_packet(131, 2, bytes([200, 0, 1]) + bytes(8), ack=0)
    v = d.verification(s, (m.ST_VERIF_ACCEPT_FAIL, m.ST_VERIF_COMPLETE_OK))
    _expect(
        v is not None and (v.error_code, v.error_data) == (m.ErrorCode.BAD_FIELD, 0),
        f"SimInject with fault code 200: {v}, want BAD_FIELD at offset 0",
    )
    return None


def _c_sim_inject(d: Device) -> str | None:
    if not (d.hello and d.hello.capabilities & m.Capability.FAULT_INJECTION):
        return "no FAULT_INJECTION capability"
    since = len(d.log)
    fault = PlantFault("damper_weak", 0, 0.5)
    for active in (True, False):
        s = d.send(m.SimInject(fault, active))
        v = d.verification(s, (m.ST_VERIF_COMPLETE_OK, m.ST_VERIF_ACCEPT_FAIL))
        _expect(v is not None and v.subtype == m.ST_VERIF_COMPLETE_OK, f"SimInject: {v}")
    d.pump(0.1)
    ev = [(e.event_id, e.index) for e in _events(d.log[since:])]
    _expect((m.EventId.FAULT_SET, 7) in ev, "no FAULT_SET SIM_FAULT_ACTIVE")
    _expect((m.EventId.FAULT_CLEARED, 7) in ev, "no FAULT_CLEARED SIM_FAULT_ACTIVE")
    return None


def _c_interlock(d: Device) -> str | None:
    """DEV-MODE-3 on a simulated device: its interlock is opened over the wire.

    A bench device's interlock is opened by hand; there this clause is skipped and
    the bench's own test covers it (docs/icd.md, §9).
    """
    if not (d.hello and d.hello.capabilities & m.Capability.FAULT_INJECTION):
        return "no FAULT_INJECTION capability: open the bench's interlock by hand instead"
    interlock = PlantFault(m.DEVICE_INTERLOCK_FAULT)
    d.activate()
    d.stream(0.1)
    since = len(d.log)
    s = d.send(m.SimInject(interlock, True))
    v = d.verification(s, (m.ST_VERIF_COMPLETE_OK, m.ST_VERIF_ACCEPT_FAIL))
    _expect(v is not None and v.subtype == m.ST_VERIF_COMPLETE_OK, f"open the interlock: {v}")
    d.stream(0.15)
    hb = d.heartbeat()
    _expect(hb.mode == m.DeviceMode.SAFE, f"heartbeat mode {hb.mode} with the interlock open")
    _expect(bool(hb.fault_bits & m.DeviceFault.INTERLOCK), "INTERLOCK bit not set")
    bit = m.DeviceFault.INTERLOCK.bit_length() - 1
    sets = _trip_events(d.log[since:], m.DeviceFault.INTERLOCK)
    _expect(len(sets) == 1, f"{len(sets)} FAULT_SET INTERLOCK events")
    s = d.send(m.ModeCommand(m.DeviceMode.ACTIVE), ack=0)
    v = d.verification(s, (m.ST_VERIF_ACCEPT_FAIL, m.ST_VERIF_ACCEPT_OK))
    want = (m.ST_VERIF_ACCEPT_FAIL, m.ErrorCode.NOT_ALLOWED, int(m.DeviceMode.SAFE))
    _expect(
        v is not None and (v.subtype, v.error_code, v.error_data) == want,
        f"ModeCommand(ACTIVE) with the interlock open: {v}, want 1,2 NOT_ALLOWED data 1 (SAFE)",
    )
    since = len(d.log)
    s = d.send(m.SimInject(interlock, False))
    v = d.verification(s, (m.ST_VERIF_COMPLETE_OK, m.ST_VERIF_ACCEPT_FAIL))
    _expect(v is not None and v.subtype == m.ST_VERIF_COMPLETE_OK, f"close the interlock: {v}")
    d.pump(0.15)
    ev = [(e.event_id, e.index) for e in _events(d.log[since:])]
    _expect((m.EventId.FAULT_CLEARED, bit) in ev, "no FAULT_CLEARED INTERLOCK event")
    d.activate()  # raises if ACTIVE is still refused
    d.safe()
    return None


def _c_sim_step(d: Device) -> str | None:
    if not d.simulated:
        return "not a simulated device"
    since = len(d.log)
    s = d.send(m.SimStep(3), ack=0)
    if not d.lockstep:
        v = d.verification(s, (m.ST_VERIF_ACCEPT_FAIL,))
        _expect(
            v is not None and v.error_code == m.ErrorCode.UNSUPPORTED,
            f"SimStep to a real-time device: {v}, want 1,2 UNSUPPORTED",
        )
        return None
    d.pump(0.3)
    hk = d.messages(since, m.Housekeeping)
    _expect(len(hk) == 1, f"{len(hk)} housekeeping reports for one SimStep(3)")
    return None


def _c_sim_truth(d: Device) -> str | None:
    if not (d.hello and d.hello.capabilities & m.Capability.TRUTH):
        return "no TRUTH capability"
    seen = d.stream(0.3, setpoints=False) if not d.lockstep else d.pump(0.1)
    kinds = [type(s.packet.msg).__name__ for s in seen]
    pairs = [
        (a, b) for a, b in itertools.pairwise(kinds) if a == "Housekeeping" and b != "SimTruth"
    ]
    _expect(not pairs, f"{len(pairs)} housekeeping reports not followed by SimTruth")
    return None


CLAUSES: tuple[Clause, ...] = (
    Clause("DEV-BOOT-1", "after boot (or a new connection): 0x00, then Hello first", _c_boot),
    Clause("DEV-HELLO-1", "HelloRequest answered with one Hello: version, shape, period", _c_hello),
    Clause("DEV-PING-1", "every Ping answered with exactly one Pong", _c_ping),
    Clause("DEV-HB-1", "a Heartbeat every 100 ms, counter +1 each", _c_heartbeat_period),
    Clause(
        "DEV-HB-2", "Heartbeat mode, rx_ok and peer_age_ms say what happened", _c_heartbeat_content
    ),
    Clause("DEV-HK-1", "one Housekeeping per period, rising stamps and sample count", _c_hk_rate),
    Clause(
        "DEV-MODE-1", "ModeCommand(ACTIVE): 1,1 and 1,7, heartbeat ACTIVE, MODE_CHANGE", _c_mode
    ),
    Clause("DEV-MODE-2", "ModeCommand(BOOT) and an undefined mode: 1,2 BAD_FIELD 0", _c_mode_bad),
    Clause(
        "DEV-MODE-3",
        "interlock open: SAFE, INTERLOCK bit, ACTIVE refused NOT_ALLOWED (opened by SimInject)",
        _c_interlock,
        True,
    ),
    Clause("DEV-RX-2", "unknown service or subtype: 1,2 UNKNOWN_SUBTYPE, no ack asked", _c_unknown),
    Clause("DEV-RX-3", "a TC of the wrong data length: 1,2 BAD_LENGTH, no ack asked", _c_length),
    Clause(
        "DEV-RX-1", "garbage and bad CRC: ignored, counted in rx_rejects, Pong after", _c_garbage
    ),
    Clause("DEV-WDG-2", "set-points every period: the watchdog stays quiet", _c_watchdog_quiet),
    Clause(
        "DEV-WDG-1", "no set-points for 100 ms in ACTIVE: SAFE, WATCHDOG_TRIP, bit", _c_watchdog
    ),
    Clause("DEV-WDG-3", "ModeCommand(ACTIVE) recovers and clears WATCHDOG", _c_recovery),
    Clause("DEV-HB-3", "no HostHeartbeat for 5 periods in ACTIVE: SAFE, HOST_LOST", _c_host_lost),
    Clause(
        "SIM-SETUP-1", "SimSetup: completed, housekeeping at t = 0, mode SAFE", _c_sim_setup, True
    ),
    Clause("SIM-SETUP-2", "bad simulation fields: 1,2 BAD_FIELD at the field", _c_sim_field, True),
    Clause("SIM-INJ-1", "SimInject on/off: FAULT_SET / FAULT_CLEARED bit 7", _c_sim_inject, True),
    Clause(
        "SIM-STEP-1", "SimStep: one report (lockstep) or UNSUPPORTED (real time)", _c_sim_step, True
    ),
    Clause("SIM-TRUTH-1", "TRUTH: a SimTruth after every Housekeeping", _c_sim_truth, True),
    Clause("DEV-EVT-1", "every event report has the ICD's severity and a known id", _c_events),
    Clause("DEV-SEQ-1", "TM sequence count from 0, +1 per packet, no gaps", _c_sequence),
    Clause("DEV-FRM-1", "every frame valid: COBS, length, CRC, headers, APID", _c_frames),
    Clause("DEV-FRM-2", "after a pause of the transmitter, 0x00 before the next frame", _c_flush),
)
"""The device clauses in the order they run (later ones use what earlier ones left)."""


# ----------------------------------------------------------------------------- running


@contextlib.contextmanager
def open_device(url: str) -> Iterator[Device]:
    """The device at ``url``; ``vmcu://`` starts a virtual microcontroller (real time)."""
    from hil.backends.vmcu_hal import vmcu_command

    scheme, location, options = parse_url(url)
    child: subprocess.Popen[str] | None = None
    booted = scheme == "socket"
    if scheme == "vmcu":
        options.setdefault("realtime", "1")
        cmd = vmcu_command(options)
        child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
        assert child.stdout is not None
        target = child.stdout.readline().strip()
        if not target:
            raise LinkError("the virtual microcontroller did not start")
        booted = True
    elif scheme in ("", "serial"):
        target = location
    else:
        target = url
    try:
        port = _Port(target)
        try:
            yield Device(port, booted)
        finally:
            port.close()
    finally:
        if child is not None:
            child.terminate()
            try:
                child.wait(timeout=3)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
            if child.stdout is not None:
                child.stdout.close()


def run_conformance(url: str, only: frozenset[str] | None = None) -> list[Row]:
    """Run every clause (or those in ``only``, with DEV-HELLO-1 always: the others need
    the Hello) against the device at ``url``; one :class:`Row` per clause run."""
    rows: list[Row] = []
    with open_device(url) as d:
        d.pump(0.5)
        for c in CLAUSES:
            if only is not None and c.clause not in only and c.clause != "DEV-HELLO-1":
                continue
            d.raw.clear()
            try:
                why = c.check(d)
            except ClauseError as exc:
                rows.append(
                    Row(
                        c.clause, c.what, "FAIL", str(exc), bytes(d.raw[-512:]).hex(" "), c.sim_only
                    )
                )
                continue
            except LinkError as exc:
                rows.append(Row(c.clause, c.what, "FAIL", f"link: {exc}", "", c.sim_only))
                break
            if why is None:
                rows.append(Row(c.clause, c.what, "PASS", sim_only=c.sim_only))
            elif why.startswith("PASS "):
                rows.append(Row(c.clause, c.what, "PASS", why[5:], sim_only=c.sim_only))
            else:
                rows.append(Row(c.clause, c.what, "SKIP", why, sim_only=c.sim_only))
    return rows


def format_rows(rows: list[Row]) -> str:
    """The report as plain text, one line per clause (and the bytes under a failure)."""
    lines = []
    for r in rows:
        mark = " (sim)" if r.sim_only else ""
        lines.append(f"{r.clause:<12} {r.status:<4} {r.what}{mark}")
        if r.detail:
            lines.append(f"{'':<17} {r.detail}")
        if r.status == "FAIL" and r.seen:
            lines.append(f"{'':<17} bytes seen: {r.seen[:400]}")
    failed = sum(r.status == "FAIL" for r in rows)
    passed = sum(r.status == "PASS" for r in rows)
    lines.append(f"{passed} passed, {failed} failed, {len(rows) - passed - failed} skipped")
    return "\n".join(lines)


def write_junit(rows: list[Row], path: Path, url: str) -> None:
    """JUnit XML: one test case per clause (failure text with the bytes seen)."""
    suite = ET.Element(
        "testsuite",
        name=f"dockhil conform {url}",
        tests=str(len(rows)),
        failures=str(sum(r.status == "FAIL" for r in rows)),
        skipped=str(sum(r.status == "SKIP" for r in rows)),
    )
    for r in rows:
        case = ET.SubElement(suite, "testcase", classname="icd", name=f"{r.clause} {r.what}")
        if r.status == "FAIL":
            fail = ET.SubElement(case, "failure", message=r.detail)
            fail.text = f"bytes seen: {r.seen}" if r.seen else r.detail
        elif r.status == "SKIP":
            ET.SubElement(case, "skipped", message=r.detail)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)


def check_url(url: str) -> None:
    """A clear error for a URL the kit cannot open (before any device is started)."""
    scheme, _, _ = parse_url(url)
    if scheme not in ("", "serial", "socket", "vmcu", "rfc2217", "loop", "spy", "hwgrep"):
        raise ConfigError(
            f"dockhil conform cannot open {url!r} (a device path, vmcu://, socket://)"
        )
