"""The virtual microcontroller's core, driven with byte strings (no pty, no clock)."""

from __future__ import annotations

from controller.protocol import codec
from controller.protocol import messages as m
from controller.types import ActuatorCommand, InitialConditions, PlantFault
from sim_bridge.vmcu import LinkFaults, VirtualMcu


class Host:
    """The host side of the ICD in a few lines, for talking to the core."""

    def __init__(self) -> None:
        self.seq = codec.SeqCounter()
        self.decoder = codec.StreamDecoder()

    def tc(self, msg: m.Message) -> bytes:
        return codec.encode(msg, self.seq.next())

    def packets(self, data: bytes) -> list[m.Packet]:
        return self.decoder.feed(data)


def msgs(host: Host, data: bytes, kind: type) -> list:
    return [p.msg for p in host.packets(data) if isinstance(p.msg, kind)]


def test_ping_hello_and_mode() -> None:
    dev, host = VirtualMcu(), Host()
    assert msgs(host, dev.receive(host.tc(m.Ping()), 0.0), m.Pong)
    hello = msgs(host, dev.receive(host.tc(m.HelloRequest()), 0.0), m.Hello)[0]
    assert (hello.latches, hello.hooks, hello.hook_sets, hello.pushrods) == (6, 12, 2, 4)
    assert hello.capabilities & m.Capability.LOCKSTEP
    assert dev.mode == m.DeviceMode.BOOT
    out = host.packets(dev.receive(host.tc(m.ModeCommand(m.DeviceMode.ACTIVE)), 0.0))
    verifs = [p.msg for p in out if isinstance(p.msg, m.Verification)]
    assert [v.subtype for v in verifs] == [1, 7]
    assert dev.mode == m.DeviceMode.ACTIVE


def test_lockstep_steps_only_on_simstep_and_applies_setpoints() -> None:
    dev, host = VirtualMcu(period_s=0.01), Host()
    dev.receive(host.tc(m.ModeCommand(m.DeviceMode.ACTIVE)), 0.0)
    setup = host.tc(m.SimSetup("cn-10t-100t", 3, InitialConditions(distance_m=0.5)))
    hk0 = msgs(host, dev.receive(setup, 0.0), m.Housekeeping)
    assert len(hk0) == 1
    assert hk0[0].frame.t_s == 0.0
    # set-points alone do not move time
    assert (
        msgs(host, dev.receive(host.tc(m.SetPoints(ActuatorCommand())), 0.0), m.Housekeeping) == []
    )
    frames = []
    for _ in range(5):
        data = host.tc(m.SetPoints(ActuatorCommand(ring_speed_m_s=-0.004))) + host.tc(m.SimStep(1))
        frames += [h.frame for h in msgs(host, dev.receive(data, 0.0), m.Housekeeping)]
    assert [round(f.t_s, 3) for f in frames] == [0.01, 0.02, 0.03, 0.04, 0.05]
    assert host.decoder.counters.rejects == 0
    assert host.decoder.counters.seq_gaps == 0


def test_device_in_boot_mode_holds_the_safe_state() -> None:
    """Without ModeCommand(ACTIVE) a drive set-point must not move the ring."""
    moved = {}
    for active in (False, True):
        dev, host = VirtualMcu(period_s=0.01), Host()
        first = msgs(host, dev.receive(host.tc(m.SimSetup("cn-10t-100t", 1)), 0.0), m.Housekeeping)
        if active:  # after SimSetup, which puts the device in SAFE (ICD SIM-SETUP-2)
            dev.receive(host.tc(m.ModeCommand(m.DeviceMode.ACTIVE)), 0.0)
        x0 = first[0].frame.ring_extension_b_m
        last = None
        for k in range(100):
            data = host.tc(m.SetPoints(ActuatorCommand(ring_speed_m_s=-0.005, brake_slip_n=0.0)))
            if k % 10 == 0:  # every 100 ms of simulated time, as the host does in lockstep
                data += host.tc(m.HostHeartbeat(counter=k))
            last = msgs(host, dev.receive(data + host.tc(m.SimStep(1)), 0.0), m.Housekeeping)[-1]
        moved[active] = abs(last.frame.ring_extension_b_m - x0)
    assert moved[False] < 1e-4
    assert moved[True] > 1e-3


def test_realtime_watchdog_trips_to_safe_when_setpoints_stop() -> None:
    dev, host = VirtualMcu(period_s=0.001, lockstep=False), Host()
    dev.receive(host.tc(m.ModeCommand(m.DeviceMode.ACTIVE)), 0.0)
    dev.receive(host.tc(m.SetPoints(ActuatorCommand())), 0.0)
    out = b""
    t = 0.0
    while t < 0.2:
        out += dev.poll(t)
        t += 0.001
    assert dev.mode == m.DeviceMode.SAFE
    assert dev.faults & m.DeviceFault.WATCHDOG
    events = msgs(host, out, m.EventReport)
    trips = [e for e in events if e.event_id == m.EventId.WATCHDOG_TRIP]
    assert len(trips) == 1
    assert m.SETPOINT_WATCHDOG_MS <= trips[0].value <= m.SETPOINT_WATCHDOG_MS + 5
    # streaming: about one housekeeping report per period, heartbeats every 100 ms
    assert 150 <= len(msgs(host, out, m.Housekeeping)) <= 201
    assert 2 <= len(msgs(host, out, m.Heartbeat)) <= 3


def test_bad_requests_are_refused_with_a_failure_report() -> None:
    dev, host = VirtualMcu(), Host()
    data = host.tc(m.SimInject(PlantFault("hook_jam", index=40)))
    v = msgs(host, dev.receive(data, 0.0), m.Verification)
    assert [x.subtype for x in v] == [m.ST_VERIF_ACCEPT_FAIL]
    assert (v[0].error_code, v[0].error_data) == (m.ErrorCode.BAD_FIELD, 1)  # index, offset 1
    v = msgs(host, dev.receive(host.tc(m.SimSetup("no-such-preset", 1)), 0.0), m.Verification)
    assert v[0].error_code == m.ErrorCode.SIM_ERROR


def test_garbage_from_the_host_is_counted_not_fatal() -> None:
    dev, host = VirtualMcu(), Host()
    dev.receive(b"\x01\x02\x03\x00\xff\xfe\x00", 0.0)
    assert dev.counters["frames_ok"] == 0
    assert dev.counters["bad_cobs"] + dev.counters["bad_length"] >= 1
    assert msgs(host, dev.receive(host.tc(m.Ping()), 0.0), m.Pong)


def test_link_faults_damage_outgoing_frames() -> None:
    dev, host = VirtualMcu(link_faults=LinkFaults(drop=0.3, corrupt=0.3), fault_seed=5), Host()
    data = b"".join(dev.receive(host.tc(m.Ping()), 0.0) for _ in range(200))
    pongs = msgs(host, data, m.Pong)
    c = host.decoder.counters
    assert 40 < len(pongs) < 160
    assert c.bad_crc + c.bad_cobs + c.bad_length + c.bad_header > 10


# ----------------------------------------------------------------------------- ICD 1.1


def _events(host: Host, data: bytes) -> list[m.EventReport]:
    return msgs(host, data, m.EventReport)


def _lockstep_active(period_s: float = 0.01) -> tuple[VirtualMcu, Host]:
    dev, host = VirtualMcu(period_s=period_s), Host()
    dev.receive(host.tc(m.SimSetup("cn-10t-100t", 1)), 0.0)
    dev.receive(host.tc(m.ModeCommand(m.DeviceMode.ACTIVE)), 0.0)
    return dev, host


def test_lockstep_watchdog_counts_simulated_time() -> None:
    """DEV-WDG-4: fed every step it never trips; 11 steps of 10 ms without set-points trip it."""
    dev, host = _lockstep_active()
    out = b""
    for k in range(50):
        out += dev.receive(
            host.tc(m.SetPoints(ActuatorCommand()))
            + host.tc(m.HostHeartbeat(counter=k))
            + host.tc(m.SimStep(1)),
            float(k),  # the wall clock runs wild: it must not matter in lockstep
        )
    assert dev.mode == m.DeviceMode.ACTIVE
    assert not [e for e in _events(host, out) if e.event_id == m.EventId.WATCHDOG_TRIP]
    out = dev.receive(host.tc(m.HostHeartbeat(counter=99)) + host.tc(m.SimStep(11)), 100.0)
    trips = [e for e in _events(host, out) if e.event_id == m.EventId.WATCHDOG_TRIP]
    assert len(trips) == 1
    assert trips[0].severity == m.Severity.HIGH
    assert trips[0].value > m.SETPOINT_WATCHDOG_MS
    assert dev.mode == m.DeviceMode.SAFE
    assert dev.faults & m.DeviceFault.WATCHDOG


def test_lockstep_host_watch_counts_simulated_time() -> None:
    """DEV-HB-3 in simulated time: set-points every step but no HostHeartbeat for 0.5 s."""
    dev, host = _lockstep_active()
    out = b""
    steps = 0
    while dev.mode == m.DeviceMode.ACTIVE and steps < 60:
        out += dev.receive(host.tc(m.SetPoints(ActuatorCommand())) + host.tc(m.SimStep(1)), 0.0)
        steps += 1
    assert steps == 51  # 510 ms after the last HostHeartbeat (entering ACTIVE counts as one)
    lost = [e for e in _events(host, out) if e.event_id == m.EventId.FAULT_SET]
    assert [(e.index, e.severity) for e in lost] == [(8, m.Severity.HIGH)]
    assert dev.faults & m.DeviceFault.HOST_LOST
    assert not dev.faults & m.DeviceFault.WATCHDOG
    # recovery: ACTIVE clears the latched bit with a FAULT_CLEARED event
    out = dev.receive(host.tc(m.ModeCommand(m.DeviceMode.ACTIVE)), 0.0)
    cleared = [e for e in _events(host, out) if e.event_id == m.EventId.FAULT_CLEARED]
    assert [(e.index, e.severity) for e in cleared] == [(8, m.Severity.INFO)]
    assert dev.mode == m.DeviceMode.ACTIVE


def test_sim_setup_leaves_the_device_in_safe() -> None:
    """SIM-SETUP-1: a new run never applies the old run's set-points."""
    dev, host = _lockstep_active()
    out = dev.receive(host.tc(m.SimSetup("cn-10t-100t", 2)), 0.0)
    changes = [e for e in _events(host, out) if e.event_id == m.EventId.MODE_CHANGE]
    assert [(e.index, e.value) for e in changes] == [(m.DeviceMode.SAFE, m.DeviceMode.ACTIVE)]
    assert dev.mode == m.DeviceMode.SAFE


def test_bad_tcs_are_answered_with_their_code() -> None:
    """DEV-RX-2/3/4: CRC-valid TCs the decoder refuses get 1,2 with the right code."""
    from binascii import crc_hqx

    from cobs import cobs

    def raw_tc(service: int, subtype: int, data: bytes, seq: int) -> bytes:
        head = bytes([0x18, 0xD1, 0xC0, seq, 0, 6 + len(data), 0x20, service, subtype, 0, 0])
        body = head + data
        return cobs.encode(body + crc_hqx(body, 0xFFFF).to_bytes(2, "big")) + b"\x00"

    dev, host = VirtualMcu(), Host()
    cases = [
        (raw_tc(17, 99, b"", 1), m.ErrorCode.UNKNOWN_SUBTYPE, 0),
        (raw_tc(17, 1, b"\x01", 2), m.ErrorCode.BAD_LENGTH, 0),
        (raw_tc(131, 2, bytes([200, 0, 1]) + bytes(8), 3), m.ErrorCode.BAD_FIELD, 0),
        (raw_tc(131, 3, b"\x00\x00", 4), m.ErrorCode.BAD_FIELD, 0),
        (host.tc(m.ModeCommand(0)), m.ErrorCode.BAD_FIELD, 0),
    ]
    for data, code, offset in cases:
        v = msgs(host, dev.receive(data, 0.0), m.Verification)
        assert [(x.subtype, x.error_code, x.error_data) for x in v] == [(2, code, offset)], data


def test_event_severities_and_hook_edges() -> None:
    """DEV-EVT-1: HOOK_EDGE at the ends with hysteresis; severities from the ICD's table."""
    import dataclasses

    dev = VirtualMcu()
    host = Host()
    base = dev._plant.read()
    seen = []
    # hook 3 closes (noise around the end must not chatter), then leaves the end
    for pos in (0.5, 0.995, 0.985, 0.999, 0.97, 0.5, 0.005, 0.015, 0.03):
        hooks = list(base.hook_pos)
        hooks[3] = pos
        frame = dataclasses.replace(base, hook_pos=tuple(hooks))
        seen += _events(host, dev._edges(frame))
        dev._last_frame = frame
    edges = [(e.index, e.value) for e in seen if e.event_id == m.EventId.HOOK_EDGE]
    assert edges == [(3, 1), (3, 2), (3, 0), (3, 2)]
    assert m.event_severity(m.EventId.PUSHROD_EDGE) == m.Severity.LOW
    assert m.event_severity(m.EventId.FAULT_SET, 0) == m.Severity.HIGH  # WATCHDOG
    assert m.event_severity(m.EventId.FAULT_SET, 7) == m.Severity.MEDIUM  # SIM_FAULT_ACTIVE
    assert m.event_severity(m.EventId.FAULT_CLEARED, 0) == m.Severity.INFO


def test_a_burst_after_a_pause_starts_with_a_zero() -> None:
    """DEV-FRM-2 on the core: the first burst and any after 5 ms of silence get a 0x00."""
    dev, host = VirtualMcu(), Host()
    pong = dev.receive(host.tc(m.Ping()), 0.0)
    assert dev.burst(pong, 0.0)[:1] == b"\x00"  # the first burst ever
    assert dev.burst(pong, 0.004)[:1] != b"\x00"  # 4 ms later: no pause
    assert dev.burst(pong, 0.008)[:1] != b"\x00"  # each 4 ms after the one before
    assert dev.burst(pong, 0.0135)[:1] == b"\x00"  # 5.5 ms of silence


def test_the_safe_state_is_its_own_wire_image() -> None:
    """The device applies the safe state (and set-points off the wire) without quantising
    again (``SimHal.write_from_wire``): that is only the same as ``sim://`` if the safe
    state is representable on the wire exactly."""
    from controller.protocol.layouts import wire_command

    assert wire_command(ActuatorCommand()) == ActuatorCommand()
    odd = ActuatorCommand(damper_n_s_m=11000.3)
    assert wire_command(odd) != odd  # the check can fail: an off-LSB value moves
