"""Each clause of ``dockhil conform`` can fail: a virtual microcontroller with one defect
fails the clause that names it.

The device is the real :class:`~sim_bridge.vmcu.VirtualMcu` (in real time) with one
method changed, served on a pty by a thread of this process; the kit runs only the
clause under test (and DEV-HELLO-1, which every run needs). The good device's rows are
checked by ``test_conform.py``.
"""

from __future__ import annotations

import dataclasses
import os
import select
import threading
import time
import tty
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from controller.protocol import messages as m
from hil.conform import run_conformance
from sim_bridge.vmcu import LinkFaults, VirtualMcu


def _no_pong(dev: VirtualMcu) -> None:
    inner = dev._dispatch

    def dispatch(pkt: m.Packet, now_s: float) -> bytes:
        return b"" if isinstance(pkt.msg, m.Ping) else inner(pkt, now_s)

    dev._dispatch = dispatch  # type: ignore[method-assign]


def _silent_refusals(dev: VirtualMcu) -> None:
    dev._refuse = lambda r: b""  # type: ignore[method-assign]


def _boot_accepted(dev: VirtualMcu) -> None:
    inner = dev._mode

    def mode(pkt: m.Packet, msg: m.ModeCommand, now_s: float) -> bytes:
        if msg.mode == m.DeviceMode.BOOT:
            return dev._verify(pkt, True)
        return inner(pkt, msg, now_s)

    dev._mode = mode  # type: ignore[method-assign]


def _interlock_ignored(dev: VirtualMcu) -> None:
    """Takes ACTIVE whatever its interlock says (the e-stop of a bench wired wrong)."""
    inner = dev._mode

    def mode(pkt: m.Packet, msg: m.ModeCommand, now_s: float) -> bytes:
        was, dev.interlock_open = dev.interlock_open, False
        try:
            return inner(pkt, msg, now_s)
        finally:
            dev.interlock_open = was

    dev._mode = mode  # type: ignore[method-assign]


def _all_info(dev: VirtualMcu) -> None:
    def event(event_id: int, index: int = 0, value: int = 0) -> bytes:
        return dev._tm(m.EventReport(int(m.Severity.INFO), int(event_id), index, value))

    dev._event = event  # type: ignore[method-assign]


def _skips_a_count(dev: VirtualMcu) -> None:
    inner = dev._heartbeat

    def heartbeat(now_s: float) -> bytes:
        dev._seq.next()  # a count that is never sent, before every heartbeat
        return inner(now_s)

    dev._heartbeat = heartbeat  # type: ignore[method-assign]


def _wrong_shape(dev: VirtualMcu) -> None:
    inner = dev._tm

    def tm(msg: m.Message) -> bytes:
        if isinstance(msg, m.Hello):
            msg = dataclasses.replace(msg, hooks=8)
        return inner(msg)

    dev._tm = tm  # type: ignore[method-assign]


def _no_host_watch(dev: VirtualMcu) -> None:
    inner = dev._dispatch

    def dispatch(pkt: m.Packet, now_s: float) -> bytes:
        out = inner(pkt, now_s)
        dev._last_hhb_s = None  # forgets the host's heartbeats: never declares it lost
        return out

    dev._dispatch = dispatch  # type: ignore[method-assign]


def _slow_heartbeat(dev: VirtualMcu) -> None:
    inner = dev._heartbeat

    def heartbeat(now_s: float) -> bytes:
        dev._next_hb_s += 0.1  # every 200 ms
        return inner(now_s)

    dev._heartbeat = heartbeat  # type: ignore[method-assign]


def _stale_peer_age(dev: VirtualMcu) -> None:
    inner = dev._heartbeat

    def heartbeat(now_s: float) -> bytes:
        dev._last_sp_s = now_s if dev._last_sp_s is not None else None  # age always 0
        return inner(now_s)

    dev._heartbeat = heartbeat  # type: ignore[method-assign]


def _setup_stays_active(dev: VirtualMcu) -> None:
    inner = dev._setup

    def setup(pkt: m.Packet, msg: m.SimSetup, now_s: float) -> bytes:
        mode = dev.mode
        out = inner(pkt, msg, now_s)
        dev.mode = mode
        return out

    dev._setup = setup  # type: ignore[method-assign]


def _no_truth(dev: VirtualMcu) -> None:
    dev._plant.truth = lambda: None  # type: ignore[method-assign]


def _no_garbage_count(dev: VirtualMcu) -> None:
    inner = dev._heartbeat

    def heartbeat(now_s: float) -> bytes:
        dev._decoder.counters.oversize = 0
        dev._decoder.counters.bad_crc = 0
        dev._decoder.counters.bad_length = 0
        dev._decoder.counters.bad_cobs = 0
        return inner(now_s)

    dev._heartbeat = heartbeat  # type: ignore[method-assign]


def _half_rate(dev: VirtualMcu) -> None:
    inner = dev._housekeeping
    count = [0]

    def housekeeping() -> bytes:
        count[0] += 1
        return inner() if count[0] % 2 else b""

    dev._housekeeping = housekeeping  # type: ignore[method-assign]


def _no_mode_events(dev: VirtualMcu) -> None:
    def set_mode(mode: m.DeviceMode) -> bytes:
        dev.mode = mode
        return b""

    dev._set_mode = set_mode  # type: ignore[method-assign]


def _jumpy_watchdog(dev: VirtualMcu) -> None:
    inner = dev._watch
    dev._watch = lambda clock_s: inner(clock_s + 0.2)  # type: ignore[method-assign]


def _corrupts(dev: VirtualMcu) -> None:
    dev.link_faults = LinkFaults(corrupt=0.05)


def _setup_unchecked(dev: VirtualMcu) -> None:
    inner = dev._dispatch

    def dispatch(pkt: m.Packet, now_s: float) -> bytes:
        if isinstance(pkt.msg, m.SimSetup):
            return dev._verify(pkt, True)
        return inner(pkt, now_s)

    dev._dispatch = dispatch  # type: ignore[method-assign]


def _no_sim_fault_bit(dev: VirtualMcu) -> None:
    inner = dev._set_faults

    def set_faults(bits: m.DeviceFault, on: bool, detail: int = 0) -> bytes:
        return b"" if bits == m.DeviceFault.SIM_FAULT_ACTIVE else inner(bits, on, detail)

    dev._set_faults = set_faults  # type: ignore[method-assign]


def _step_not_allowed(dev: VirtualMcu) -> None:
    inner = dev._dispatch

    def dispatch(pkt: m.Packet, now_s: float) -> bytes:
        if isinstance(pkt.msg, m.SimStep):  # protocol 1.0's answer
            return dev._verify(pkt, False, m.ErrorCode.NOT_ALLOWED, int(dev.mode))
        return inner(pkt, now_s)

    dev._dispatch = dispatch  # type: ignore[method-assign]


DEFECTS: list[tuple[str, Callable[[VirtualMcu], None], str]] = [
    ("housekeeping every other period", _half_rate, "DEV-HK-1"),
    ("no MODE_CHANGE", _no_mode_events, "DEV-MODE-1"),
    ("watchdog trips while fed", _jumpy_watchdog, "DEV-WDG-2"),
    ("corrupt frames", _corrupts, "DEV-FRM-1"),
    ("SimSetup fields unchecked", _setup_unchecked, "SIM-SETUP-2"),
    ("no SIM_FAULT_ACTIVE events", _no_sim_fault_bit, "SIM-INJ-1"),
    ("SimStep NOT_ALLOWED", _step_not_allowed, "SIM-STEP-1"),
    ("no Pong", _no_pong, "DEV-PING-1"),
    ("refusals unanswered", _silent_refusals, "DEV-RX-2"),
    ("wrong lengths unanswered", _silent_refusals, "DEV-RX-3"),
    ("ModeCommand(BOOT) accepted", _boot_accepted, "DEV-MODE-2"),
    ("ACTIVE taken with the interlock open", _interlock_ignored, "DEV-MODE-3"),
    ("every event informative", _all_info, "DEV-EVT-1"),
    ("a sequence count skipped", _skips_a_count, "DEV-SEQ-1"),
    ("eight hooks", _wrong_shape, "DEV-HELLO-1"),
    ("no host watch", _no_host_watch, "DEV-HB-3"),
    ("heartbeat every 200 ms", _slow_heartbeat, "DEV-HB-1"),
    ("peer_age_ms always 0", _stale_peer_age, "DEV-HB-2"),
    ("SimSetup keeps ACTIVE", _setup_stays_active, "SIM-SETUP-1"),
    ("no SimTruth", _no_truth, "SIM-TRUTH-1"),
    ("rejects not counted", _no_garbage_count, "DEV-RX-1"),
]


@pytest.fixture
def served() -> Iterator[Callable[[Callable[[VirtualMcu], None]], str]]:
    """Serve a VirtualMcu with a defect on a pty from a thread; yields a starter."""
    stops: list[Callable[[], None]] = []

    def start(defect: Callable[[VirtualMcu], None]) -> str:
        dev = VirtualMcu(lockstep=False)
        defect(dev)
        master, slave = os.openpty()
        tty.setraw(slave)
        stop = threading.Event()

        def serve() -> None:
            while not stop.is_set():
                wait = min(0.005, max(0.0, dev.next_due_s - time.monotonic()))
                ready, _, _ = select.select([master], [], [], wait)
                out = b""
                if ready:
                    out += dev.receive(os.read(master, 4096), time.monotonic())
                out += dev.poll(time.monotonic())
                if out:
                    os.write(master, dev.burst(out, time.monotonic()))

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()

        def close() -> None:
            stop.set()
            thread.join(timeout=2)
            os.close(master)
            os.close(slave)

        stops.append(close)
        return os.ttyname(slave)

    yield start
    for close in stops:
        close()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("defect", "clause"), [(d[1], d[2]) for d in DEFECTS], ids=[d[0] for d in DEFECTS]
)
def test_a_defect_fails_its_clause(
    served: Callable[[Callable[[VirtualMcu], None]], str],
    defect: Callable[[VirtualMcu], None],
    clause: str,
) -> None:
    path = served(defect)
    rows = {r.clause: r for r in run_conformance(path, frozenset({clause}))}
    assert rows[clause].status == "FAIL", rows[clause]


def test_the_same_clauses_pass_without_the_defect(
    served: Callable[[Callable[[VirtualMcu], None]], str],
) -> None:
    """The twin of the test above: the undamaged device passes those clauses."""
    timed = {"DEV-HB-1", "DEV-HB-3", "DEV-HK-1", "DEV-WDG-2"}  # (checked in test_conform)
    clauses = frozenset(d[2] for d in DEFECTS) - timed
    rows: Any = run_conformance(served(lambda dev: None), clauses)
    assert {r.clause: r.status for r in rows} == dict.fromkeys(clauses | {"DEV-HELLO-1"}, "PASS")


def _report_before_setup(dev: VirtualMcu) -> None:
    """Sends one last report of the old run just before it takes a SimSetup, as a device
    streaming in ACTIVE does when the command lands between two of its periods."""
    inner = dev._setup

    def setup(pkt: m.Packet, msg: m.SimSetup, now_s: float) -> bytes:
        return dev._housekeeping() + inner(pkt, msg, now_s)

    dev._setup = setup  # type: ignore[method-assign]


def test_a_report_sent_just_before_the_simsetup_is_not_its_first(
    served: Callable[[Callable[[VirtualMcu], None]], str],
) -> None:
    """SIM-SETUP-1 reads the first report *after* the 1,7 (ICD: "answer 1,1 and 1,7, then
    send the housekeeping report at t = 0"). It took the first after sending, and failed
    a good device in CI with "the first housekeeping after SimSetup is at [8.33] s"."""
    path = served(_report_before_setup)
    rows = {r.clause: r for r in run_conformance(path, frozenset({"SIM-SETUP-1"}))}
    assert rows["SIM-SETUP-1"].status == "PASS", rows["SIM-SETUP-1"]
