"""Interoperability with an existing PUS ground tool: tmtccmd's serial COBS interface.

tmtccmd frames every packet as ``0x00 | COBS | 0x00`` and discards, as "possibly
broken", a frame that did not follow a 0x00 it saw. The device's first frame
after the port is opened (and flushed) is exactly such a frame unless the
device puts a 0x00 in front of a burst after a pause (ICD DEV-FRM-2). Here
tmtccmd pings the virtual microcontroller, steps it, and every packet it hands
back must unpack with ``spacepackets`` while tmtccmd logs no discarded frame.
The second test shows the check failing on a device that does not flush.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
import tty
from collections.abc import Iterator
from pathlib import Path

import pytest

tmtccmd_serial_cobs = pytest.importorskip("tmtccmd.com.serial_cobs")
from spacepackets.ecss import PusTc, PusTm  # noqa: E402
from tmtccmd.com.serial_base import SerialCfg  # noqa: E402

from controller.protocol import codec  # noqa: E402
from controller.protocol import messages as m  # noqa: E402
from controller.types import ActuatorCommand, InitialConditions  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.filterwarnings(
    # tmtccmd's close() joins its reader thread for 0.4 s and then closes the port under
    # it; the thread's last read then fails in tmtccmd's own code, after our checks
    "ignore::pytest.PytestUnhandledThreadExceptionWarning"
)
DISCARD = "Discarding possibly broken COBS frame"


def _subtype(p: PusTm) -> int:
    """The PUS subtype under either spacepackets name (``subservice`` up to 0.28)."""
    sub = getattr(p, "message_subtype", None)
    return int(p.subservice if sub is None else sub)


@pytest.fixture
def vmcu_path() -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "hil.cli", "vmcu", "--pty"],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    path = proc.stdout.readline().strip()
    try:
        yield path
    finally:
        proc.terminate()
        proc.wait(timeout=5)
        proc.stdout.close()


def _open(path: str) -> object:
    com = tmtccmd_serial_cobs.SerialCobsComIF(SerialCfg("dockhil", path, 921600, 0.1))
    com.open()
    return com


def _collect(com: object, seconds: float) -> list[bytes]:
    out: list[bytes] = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        out += com.receive()  # type: ignore[attr-defined]
        time.sleep(0.02)
    return out


def test_tmtccmd_pings_and_reads_telemetry_with_no_frame_discarded(
    vmcu_path: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="tmtccmd")
    time.sleep(0.35)  # let the device send heartbeats into the pty before the port opens
    com = _open(vmcu_path)
    try:
        time.sleep(0.25)  # heartbeats arrive while tmtccmd listens
        com.send(PusTc(17, 1, apid=m.APID, seq_count=0, ack_flags=0).pack())  # type: ignore[attr-defined]
        seq = codec.SeqCounter(1)
        setup = m.SimSetup("cn-10t-100t", 2, InitialConditions())
        com.send(codec.encode_packet(setup, seq.next()))  # type: ignore[attr-defined]
        com.send(codec.encode_packet(m.ModeCommand(m.DeviceMode.ACTIVE), seq.next()))  # type: ignore[attr-defined]
        raw: list[bytes] = []
        for _ in range(20):  # one step at a time: tmtccmd reads byte by byte, in Python
            com.send(codec.encode_packet(m.SetPoints(ActuatorCommand()), seq.next()))  # type: ignore[attr-defined]
            com.send(codec.encode_packet(m.SimStep(1), seq.next()))  # type: ignore[attr-defined]
            raw += _collect(com, 0.05)
        raw += _collect(com, 1.0)
    finally:
        com.close()  # type: ignore[attr-defined]
    kinds: dict[tuple[int, int], int] = {}
    for packet in raw:
        tm = PusTm.unpack(packet, timestamp_len=7)  # raises on a bad CRC or header
        assert tm.apid == m.APID
        key = (tm.service, _subtype(tm))
        kinds[key] = kinds.get(key, 0) + 1
    assert kinds.get((17, 2)) == 1, kinds  # the Pong
    assert kinds.get((3, 25), 0) == 21, kinds  # SimSetup's report and one per step
    assert kinds.get((131, 128), 0) == 21, kinds  # SimTruth after each
    assert kinds.get((17, 128), 0) >= 2, kinds  # heartbeats
    assert not [r for r in caplog.records if DISCARD in r.getMessage()]


def test_a_device_without_the_flush_loses_its_first_frame(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The same check on a device that sends no 0x00 first: tmtccmd discards the frame."""
    caplog.set_level(logging.WARNING, logger="tmtccmd")
    master, slave = os.openpty()
    tty.setraw(slave)
    com = _open(os.ttyname(slave))
    try:
        os.write(master, codec.encode(m.Pong(), 0))  # COBS frame and delimiter, no 0x00 first
        os.write(master, codec.encode(m.Pong(), 1))
        raw = _collect(com, 0.5)
    finally:
        com.close()  # type: ignore[attr-defined]
        os.close(master)
        os.close(slave)
    assert len(raw) == 1  # the second frame only
    assert [r for r in caplog.records if DISCARD in r.getMessage()]
