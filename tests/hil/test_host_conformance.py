"""The host side of the ICD (section 6), against a scripted fake device on a pty.

The fake device is a thread on the pty's master: it decodes what the host
sends and answers with what each test scripts; it can stream housekeeping
and heartbeats on its own clock, or answer SimStep in lockstep. Checked here,
by clause: HOST-OPEN-1 (the leading 0x00), HOST-HELLO-1 (version, shape,
period), HOST-MODE-1 (ACTIVE just before the first set-points), HOST-HB-1
(heartbeat period, on the frame clock in lockstep), HOST-HB-2 (heartbeat
content: phase code, housekeeping age), HOST-HB-3 (link lost from missing
heartbeats), HOST-HK-1 (housekeeping staleness) and HOST-WATCH-1 (a device
that leaves ACTIVE ends the run). Each check has its passing twin, so the
failing one is shown to be caused by what the device did.
"""

from __future__ import annotations

import dataclasses
import os
import select
import threading
import time
import tty
from collections.abc import Iterator

import pytest

from controller.errors import DeviceRefusedError, DeviceSafeError, LinkError
from controller.protocol import codec
from controller.protocol import messages as m
from controller.protocol.housekeeping import HK_CHANNELS, HK_RECORD, decode_housekeeping
from controller.types import ActuatorCommand
from hil.backends.serial_hal import SerialHal

_ZEROS = HK_RECORD.pack(m.HK_SID_SENSOR_FRAME, 0, 0, 0, *[0] * HK_CHANNELS)
"""A housekeeping record of zeros: the fake device's reports (values do not matter here)."""


class FakeDevice:
    """A scripted device: answers HelloRequest with ``hello``, confirms ModeCommands.

    ``hk_on`` / ``hb_on`` switch streaming of housekeeping (every 10 ms) and
    heartbeats (every 100 ms, mode ``hb_mode``) on the device's own clock; a
    Hello with the LOCKSTEP capability makes it answer each SimStep with one
    report 10 ms later instead.
    """

    def __init__(self, hello: m.Hello) -> None:
        self.master, slave = os.openpty()
        tty.setraw(slave)
        self.path = os.ttyname(slave)
        self._slave = slave
        self.hello = hello
        self.raw = bytearray()
        self.received: list[m.Message] = []
        self.hk_on = False
        self.hb_on = False
        self.hb_mode = int(m.DeviceMode.SAFE)
        self._stop = False
        self._seq = codec.SeqCounter()
        self.decoder = codec.StreamDecoder()
        self._n = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _send(self, msg: m.Message) -> None:
        os.write(self.master, codec.encode(msg, self._seq.next()))

    def _report(self) -> None:
        self._n += 1
        self._send(decode_housekeeping(_ZEROS, self._n * 0.01, self._n))

    def _serve(self) -> None:
        decoder = self.decoder
        next_hk = next_hb = time.monotonic()
        while not self._stop:
            ready, _, _ = select.select([self.master], [], [], 0.002)
            now = time.monotonic()
            if self.hk_on and now >= next_hk:
                self._report()
                next_hk = now + 0.01
            if self.hb_on and now >= next_hb:
                self._send(m.Heartbeat(counter=self._n, mode=self.hb_mode))
                next_hb = now + 0.1
            if not ready:
                continue
            data = os.read(self.master, 4096)
            self.raw += data
            for p in decoder.feed(data):
                self.received.append(p.msg)
                if isinstance(p.msg, m.HelloRequest):
                    self._send(self.hello)
                elif isinstance(p.msg, m.ModeCommand):
                    seq = p.seq_count
                    self._send(m.Verification(m.ST_VERIF_COMPLETE_OK, seq))
                elif isinstance(p.msg, m.SimStep):
                    self._report()

    def of(self, kind: type) -> list[object]:
        return [x for x in list(self.received) if isinstance(x, kind)]

    def close(self) -> None:
        self._stop = True
        self._thread.join(timeout=1)
        os.close(self.master)
        os.close(self._slave)


@pytest.fixture
def device_factory() -> Iterator[list[FakeDevice]]:
    made: list[FakeDevice] = []
    yield made
    for d in made:
        d.close()


def _device(made: list[FakeDevice], **hello: object) -> FakeDevice:
    d = FakeDevice(dataclasses.replace(m.Hello(), **hello))  # type: ignore[arg-type]
    made.append(d)
    return d


def test_host_sends_a_leading_zero_then_hello_request(device_factory: list[FakeDevice]) -> None:
    dev = _device(device_factory)
    hal = SerialHal(dev.path)
    try:
        assert dev.raw[:1] == b"\x00"
        assert isinstance(dev.received[0], m.HelloRequest)
    finally:
        hal.close()


@pytest.mark.parametrize(
    ("hello", "words"),
    [
        ({"hooks": 8}, "hooks 8 (not 12)"),
        ({"latches": 3, "petals": 4}, "petals 4 (not 3), latches 3 (not 6)"),
        ({"period_us": 0}, "period of 0 us"),
        ({"protocol_version": (9, 0)}, "speaks ICD (9, 0)"),
    ],
)
def test_host_refuses_a_device_it_cannot_drive(
    device_factory: list[FakeDevice], hello: dict[str, object], words: str
) -> None:
    dev = _device(device_factory, **hello)
    with pytest.raises(DeviceRefusedError, match=words.replace("(", r"\(").replace(")", r"\)")):
        SerialHal(dev.path)


def test_active_goes_with_the_first_set_points(device_factory: list[FakeDevice]) -> None:
    dev = _device(device_factory)
    hal = SerialHal(dev.path)
    try:
        time.sleep(0.2)
        assert not any(isinstance(x, m.ModeCommand) for x in dev.received)  # not at handshake
        hal.write(ActuatorCommand())
        deadline = time.monotonic() + 2.0
        while len(dev.received) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        kinds = [type(x).__name__ for x in dev.received]
        assert kinds[1:3] == ["ModeCommand", "SetPoints"], kinds
        mode = dev.received[1]
        assert isinstance(mode, m.ModeCommand)
        assert mode.mode == m.DeviceMode.ACTIVE
    finally:
        hal.close()


def _drive(hal: SerialHal, seconds: float, period_s: float = 0.01) -> None:
    """A host loop: read, write, every ``period_s`` for ``seconds`` (the HAL raises)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        hal.read()
        hal.write(ActuatorCommand())
        time.sleep(period_s)


def _streaming(made: list[FakeDevice]) -> tuple[FakeDevice, SerialHal]:
    dev = _device(made)
    dev.hk_on = dev.hb_on = True
    dev.hb_mode = int(m.DeviceMode.ACTIVE)
    return dev, SerialHal(dev.path, stale_ms="5000")


def test_host_heartbeats_every_100_ms_with_phase_code_and_age(
    device_factory: list[FakeDevice],
) -> None:
    """HOST-HB-1 and HOST-HB-2 (real time)."""
    dev, hal = _streaming(device_factory)
    try:
        hal.report_phase(4)  # CAPTURE
        _drive(hal, 1.0)
        beats = dev.of(m.HostHeartbeat)
        assert 8 <= len(beats) <= 12, len(beats)
        assert [b.counter for b in beats] == list(range(1, len(beats) + 1))  # type: ignore[attr-defined]
        assert {b.mode for b in beats} == {4}  # type: ignore[attr-defined]
        # housekeeping arrives every 10 ms: its age is small, never the "none yet" 65535
        assert max(b.peer_age_ms for b in beats) < 100  # type: ignore[attr-defined]
        dev.hk_on = False
        time.sleep(0.3)
        hal.write(ActuatorCommand())
        time.sleep(0.15)
        hal.write(ActuatorCommand())
        time.sleep(0.05)
        last = dev.of(m.HostHeartbeat)[-1]
        assert last.peer_age_ms >= 300  # type: ignore[attr-defined]
        # HOST-SEQ-1: one sequence count for everything the host sent, no gaps
        assert dev.decoder.counters.seq_gaps == 0
        assert dev.decoder.counters.frames_ok > 100
    finally:
        hal.close()


def test_lockstep_host_heartbeats_follow_the_frame_clock(device_factory: list[FakeDevice]) -> None:
    """HOST-HB-1 in lockstep: one HostHeartbeat per 100 ms of device time, whatever the wall."""
    dev = _device(device_factory, capabilities=int(m.Capability.LOCKSTEP))
    hal = SerialHal(dev.path)
    try:
        hal.write(ActuatorCommand())
        for _ in range(40):  # 400 ms of frame time, as fast as the pty goes
            hal.read()
            hal.write(ActuatorCommand())
        time.sleep(0.1)
        assert len(dev.of(m.HostHeartbeat)) == 4 + 1  # at 0, 0.1, 0.2, 0.3 and 0.4 s
    finally:
        hal.close()


def test_missing_device_heartbeats_are_a_lost_link(device_factory: list[FakeDevice]) -> None:
    """HOST-HB-3: housekeeping flows (and is not stale), heartbeats stop: link lost."""
    dev, hal = _streaming(device_factory)
    try:
        _drive(hal, 0.6)  # heartbeats flowing: no complaint
        dev.hb_on = False
        t0 = time.monotonic()
        with pytest.raises(DeviceSafeError, match="no heartbeat"):
            _drive(hal, 3.0)
        lost_s = m.HEARTBEAT_LOST_COUNT * m.HEARTBEAT_PERIOD_MS / 1000.0
        assert lost_s - 0.1 <= time.monotonic() - t0 <= lost_s + 0.5
    finally:
        hal.close()


def test_stale_housekeeping_is_a_link_fault(device_factory: list[FakeDevice]) -> None:
    """HOST-HK-1: heartbeats flow, housekeeping stops: LinkError after about 100 ms."""
    dev = _device(device_factory)
    dev.hk_on = dev.hb_on = True
    dev.hb_mode = int(m.DeviceMode.ACTIVE)
    hal = SerialHal(dev.path)
    try:
        _drive(hal, 0.5)
        dev.hk_on = False
        t0 = time.monotonic()
        with pytest.raises(LinkError, match="stale"):
            _drive(hal, 2.0)
        assert time.monotonic() - t0 <= m.HOUSEKEEPING_STALE_MS / 1000.0 + 0.3
    finally:
        hal.close()


def test_a_device_that_leaves_active_ends_the_run(device_factory: list[FakeDevice]) -> None:
    """HOST-WATCH-1: once ACTIVE is confirmed, a heartbeat in SAFE is a device fault."""
    dev, hal = _streaming(device_factory)
    try:
        _drive(hal, 0.5)
        dev.hb_mode = int(m.DeviceMode.SAFE)
        with pytest.raises(DeviceSafeError, match="mode SAFE"):
            _drive(hal, 1.0)
    finally:
        hal.close()
