"""The host side of the ICD (section 6), against a scripted fake device on a pty.

The fake device is a thread on the pty's master: it decodes what the host
sends and answers with what each test scripts. Checked here: the leading
0x00, the Hello checks (shape, period), and ACTIVE sent just before the first
set-points rather than at the handshake.
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

from controller.errors import DeviceRefusedError
from controller.protocol import codec
from controller.protocol import messages as m
from controller.types import ActuatorCommand
from hil.backends.serial_hal import SerialHal


class FakeDevice:
    """A scripted device: answers HelloRequest with ``hello``, confirms ModeCommands."""

    def __init__(self, hello: m.Hello) -> None:
        self.master, slave = os.openpty()
        tty.setraw(slave)
        self.path = os.ttyname(slave)
        self._slave = slave
        self.hello = hello
        self.raw = bytearray()
        self.received: list[m.Message] = []
        self._stop = False
        self._seq = codec.SeqCounter()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _send(self, msg: m.Message) -> None:
        os.write(self.master, codec.encode(msg, self._seq.next()))

    def _serve(self) -> None:
        decoder = codec.StreamDecoder()
        while not self._stop:
            ready, _, _ = select.select([self.master], [], [], 0.05)
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
