"""A hostile device on a pty: the real virtual microcontroller until ``at_s``, then an attack.

Kept as a test fixture (issue 15, point 7). Until the attack the host sees a
real docking (the plant, lockstep), so the controller is mid-sequence with its
drives moving; from device time ``at_s`` on, every housekeeping report is
rewritten:

* ``freeze``: the clock stops (time stamps stay at ``at_s``);
* ``reverse``: the clock runs backwards;
* ``nan``: the axial load reads NaN;
* ``fullscale``: the loads read the wire's full scale (a pegged sensor);
* ``wrong_apid``: reports go out under another APID (the host must drop them);
* ``flood``: 4 KiB of garbage (delimited) after every report.

The device thread runs beside the host in the test process; it is a test
double, not product code, so it lives with the tests.
"""

from __future__ import annotations

import dataclasses
import math
import os
import select
import threading
import time
import tty
from binascii import crc_hqx

from cobs import cobs

from controller.protocol import codec
from controller.protocol import messages as m
from sim_bridge.vmcu import VirtualMcu

ATTACKS = ("freeze", "reverse", "nan", "fullscale", "wrong_apid", "flood")


class HostileDevice:
    """Serve :class:`VirtualMcu` (lockstep, ``period_s``) on a pty, attacking from ``at_s``."""

    def __init__(self, attack: str, at_s: float, period_s: float = 0.01) -> None:
        assert attack in ATTACKS, attack
        self.attack = attack
        self.at_s = at_s
        self.core = VirtualMcu(period_s=period_s, lockstep=True)
        self.master, self._slave = os.openpty()
        tty.setraw(self._slave)
        self.path = os.ttyname(self._slave)
        self.attacked = 0
        """Housekeeping reports rewritten so far."""
        self._decoder = codec.StreamDecoder()
        self._stop = False
        self._thread = threading.Thread(target=self._serve, name="hostile-device", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        t0 = time.monotonic()
        while not self._stop:
            ready, _, _ = select.select([self.master], [], [], 0.02)
            now = time.monotonic() - t0
            out = b""
            if ready:
                try:
                    data = os.read(self.master, 65536)
                except OSError:
                    return
                out += self.core.receive(data, now)
            out += self.core.poll(now)
            if out:
                try:
                    os.write(self.master, self._rewrite(out))
                except OSError:
                    return

    def _rewrite(self, out: bytes) -> bytes:
        result = b""
        for p in self._decoder.feed(out):
            msg = p.msg
            if isinstance(msg, m.Housekeeping) and msg.frame.t_s >= self.at_s - 1e-9:
                result += self._attacked(p, msg)
            else:
                result += codec.encode(msg, p.seq_count, p.time_s or 0.0)
        return result

    def _attacked(self, p: m.Packet, msg: m.Housekeeping) -> bytes:
        self.attacked += 1
        f = msg.frame
        late = f.t_s - self.at_s
        if self.attack == "freeze":
            f = dataclasses.replace(f, t_s=self.at_s)
        elif self.attack == "reverse":
            f = dataclasses.replace(f, t_s=max(0.0, self.at_s - late))
        elif self.attack == "nan":
            f = dataclasses.replace(f, axial_load_n=math.nan)
        elif self.attack == "fullscale":
            fs = 32767 / 0.5
            f = dataclasses.replace(
                f, axial_load_n=fs, lateral_load_n=fs, hook_load_n=(fs,) * len(f.hook_load_n)
            )
        frame = codec.encode(m.Housekeeping(f), p.seq_count)
        if self.attack == "wrong_apid":
            packet = bytearray(cobs.decode(frame[:-1]))
            packet[1] ^= 0x01  # another APID (low bits of the primary header's first word)
            packet[-2:] = crc_hqx(bytes(packet[:-2]), 0xFFFF).to_bytes(2, "big")
            frame = cobs.encode(bytes(packet)) + b"\x00"
        elif self.attack == "flood":
            frame += os.urandom(4096) + b"\x00"  # garbage frames between the real ones
        return frame

    def close(self) -> None:
        self._stop = True
        self._thread.join(timeout=2)
        os.close(self.master)
        os.close(self._slave)
