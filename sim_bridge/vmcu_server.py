"""Serving the virtual microcontroller on a pseudo-terminal or a TCP socket.

The I/O shell around :class:`sim_bridge.vmcu.VirtualMcu`: it owns the file
descriptors and the clock (``time.monotonic``), feeds received bytes to the
core and writes back what it returns. One client at a time; the pty's slave
end is held open so a host may close and reopen the device path. The device
boots (0x00, Hello) when the pty is served, and again for each TCP connection.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import sys
import time
import tty
from collections.abc import Callable

from sim_bridge.vmcu import VirtualMcu

_READ_SIZE = 4096
_BACKLOG_MAX = 65536
"""Bytes a pty server queues for a host that is not reading before it drops frames."""


def _pump(
    core: VirtualMcu,
    rfd: int,
    write: Callable[[bytes], None],
    stop: Callable[[], bool],
) -> None:
    """Serve until the peer hangs up (socket) or ``stop()`` says so."""
    clock = time.monotonic
    longest = 0.02
    while not stop():
        # sleep until the core is due (its next report or heartbeat), not a fixed time:
        # a fixed wait of one period plus the work of a wake drifted the reports late
        wait = min(longest, max(0.0, core.next_due_s - clock()))
        ready, _, _ = select.select([rfd], [], [], wait)
        now = clock()
        if ready:
            try:
                data = os.read(rfd, _READ_SIZE)
            except OSError:
                data = b""
            if not data:
                return
            out = core.receive(data, now)
            if out:
                write(core.burst(out, clock()))
        out = core.poll(clock())
        if out:
            write(core.burst(out, clock()))
        else:
            write(b"")  # what an earlier full pty did not take


def serve_pty(core: VirtualMcu, announce: Callable[[str], None] | None = None) -> None:
    """Create a pty, announce its device path, serve until interrupted."""
    master, slave = os.openpty()
    tty.setraw(slave)
    path = os.ttyname(slave)
    (announce or _print_first_line)(path)
    os.set_blocking(master, False)
    pending = bytearray()
    dropped = 0

    def write(data: bytes) -> None:
        """Queue ``data`` and write what the pty takes now; the rest goes on later calls.

        ``os.write`` on a full pty takes part of a burst: writing the remainder later
        keeps frames whole. A host that stops reading makes the queue grow; past
        ``_BACKLOG_MAX`` whole frames are dropped (counted), as a UART would lose them,
        never the unsent tail of a frame already begun.
        """
        nonlocal dropped
        pending.extend(data)
        while pending:
            try:
                n = os.write(master, pending)
            except BlockingIOError:
                break
            del pending[:n]
        if len(pending) > _BACKLOG_MAX:
            begun = pending.find(b"\x00") + 1  # the frame on the wire ends here
            cut = pending.rfind(b"\x00", begun, len(pending) - _BACKLOG_MAX // 2) + 1
            if cut > begun:
                dropped += cut - begun
                del pending[begun:cut]

    # The kernel reports EIO on the master while no process has the slave open;
    # holding `slave` ourselves keeps the device usable across host reconnects.
    try:
        while True:
            _pump(core, master, write, lambda: False)
            time.sleep(0.01)
    finally:
        os.close(master)
        os.close(slave)


def serve_tcp(
    core: VirtualMcu, host: str, port: int, announce: Callable[[str], None] | None = None
) -> None:
    """Listen on ``host:port``; serve one client at a time, until interrupted."""
    with socket.create_server((host, port)) as server:
        bound = server.getsockname()
        (announce or _print_first_line)(f"socket://{bound[0]}:{bound[1]}")
        while True:
            conn, _ = server.accept()
            with conn:
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

                def write(data: bytes, conn: socket.socket = conn) -> None:
                    with contextlib.suppress(OSError):
                        conn.sendall(data)

                # a connection is this link's boot: 0x00 and a Hello first (ICD DEV-BOOT-1)
                write(core.link_up(time.monotonic()))
                _pump(core, conn.fileno(), write, lambda: False)


def _print_first_line(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()
