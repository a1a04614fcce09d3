"""Payload layer of the wire codec: every message's application data, in one table.

Theory of operation
===================

A packet's application data (TC) or source data (TM) is a fixed big-endian
record per message class, described once here and nowhere else:
:data:`LAYOUTS` maps each message class to its :class:`Layout`, the
precompiled ``struct.Struct`` of the record, the function that turns a message
into the record's values (fixed point, saturation, validation) and the
decoders that turn a record back into a message. The packet layer
(:mod:`controller.protocol.packets`) wraps these records in headers and a CRC
and generates its fast packers from the same rows; the stream decoder
(:mod:`controller.protocol.stream`) looks decoders up in :data:`DECODERS`,
which is also generated from the table.

The housekeeping record, the one with 56 channels, is built in
:mod:`controller.protocol.housekeeping` from its channel table; its row here
points there. Set-points saturate each field (NaN becomes the safe state's
value); the rarer messages range-check and raise instead.

**Decoders** raise :class:`RejectError` naming the link counter to bump
(``bad_length`` for a record of the wrong size, ``bad_field`` for an
impossible value); encoders raise :class:`~controller.errors.ProtocolError`
for messages that cannot be represented, which are caller bugs.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from operator import attrgetter
from typing import Any

from controller.errors import ProtocolError
from controller.protocol import messages as m
from controller.protocol.fields import (
    I16_MAX,
    U16_MAX,
    RejectError,
    fast_builder,
    int32,
    sat,
    unsigned,
)
from controller.protocol.housekeeping import HK_RECORD, decode_housekeeping, hk_values
from controller.types import ActuatorCommand, InitialConditions, PlantFault, Truth

# set-point scalings (counts per SI unit)
SP_DAMPER_SCALE = 1.0  # 1 N*s/m, uint16
SP_BRAKE_SCALE = 1.0  # 1 N, uint16
SP_RING_SPEED_SCALE = 100_000.0  # 10 um/s, int16
SP_HOOK_V_SCALE = 1_000.0  # 1 mV, int16

_SEQ_MASK = m.SEQ_COUNT_MODULO - 1

TC_PACKET_ID = 0x1800 | m.APID
"""Packet ID of every TC on the link: version 0, type 1 (TC), secondary header, APID."""
PSC_UNSEGMENTED = 0xC000
"""Sequence flags "unsegmented" in the sequence control word."""

# --------------------------------------------------------------------------- set-points

_SAFE = ActuatorCommand()


SP_FLAGS: tuple[str, ...] = (
    "ring_centring",
    "latch_arm",
    "latch_release",
    "seal_valve_open",
    "tunnel_valve_open",
    "pushrods_fire",
    "tunnel_vent_open",
    "contact_reported",
)
"""The boolean ``ActuatorCommand`` fields in the set-point flag byte, bit 0 first
(``docs/icd.md`` 4.4): a new discrete output is one more name here (the byte is full:
``contact_reported``, bit 7, took the last one)."""


_flag_values = attrgetter(*SP_FLAGS)
_FLAG_BOOLS = tuple(
    tuple(bool(v >> bit & 1) for bit in range(len(SP_FLAGS))) for v in range(1 << len(SP_FLAGS))
)
"""The flag byte's booleans in SP_FLAGS order, for every valid byte: one look-up per decode."""
_FLAG_BYTE = {bools: v for v, bools in enumerate(_FLAG_BOOLS)}
_FLAG_KWARGS = tuple(dict(zip(SP_FLAGS, bools, strict=True)) for bools in _FLAG_BOOLS)
"""The flag byte's booleans as ``ActuatorCommand`` keyword arguments, for every valid byte."""


def _flag_byte(c: ActuatorCommand) -> int:
    """The set-point flag byte of ``c`` (ICD 4.4): bit i set when ``SP_FLAGS[i]`` is true."""
    flags = _FLAG_BYTE.get(_flag_values(c))
    if flags is None:  # not plain booleans: every truthy value is a 1
        flags = sum(1 << bit for bit, v in enumerate(_flag_values(c)) if v)
    return flags


def _sp_values(sp: m.SetPoints) -> tuple[int, ...]:
    c = sp.cmd
    hook_a, hook_b = c.hook_motor_v
    flags = _flag_byte(c)
    s = _SAFE
    return (
        c.seq & 0xFFFFFFFF,
        sat(c.damper_n_s_m, SP_DAMPER_SCALE, 0, U16_MAX, round(s.damper_n_s_m)),
        sat(c.brake_slip_n, SP_BRAKE_SCALE, 0, U16_MAX, round(s.brake_slip_n)),
        sat(c.ring_speed_m_s, SP_RING_SPEED_SCALE, -I16_MAX, I16_MAX, 0),
        sat(hook_a, SP_HOOK_V_SCALE, -I16_MAX, I16_MAX, 0),
        sat(hook_b, SP_HOOK_V_SCALE, -I16_MAX, I16_MAX, 0),
        flags,
    )


def _sp_message(v: tuple[Any, ...]) -> m.SetPoints:
    cseq, damper, brake, ring, hook_a, hook_b, fl = v
    if fl >= len(_FLAG_BOOLS):
        raise RejectError("bad_field", 14)
    return m.SetPoints(
        ActuatorCommand(
            seq=cseq,
            damper_n_s_m=damper / SP_DAMPER_SCALE,
            brake_slip_n=brake / SP_BRAKE_SCALE,
            ring_speed_m_s=ring / SP_RING_SPEED_SCALE,
            hook_motor_v=(hook_a / SP_HOOK_V_SCALE, hook_b / SP_HOOK_V_SCALE),
            **_FLAG_KWARGS[fl],
        )
    )


_CMD_FIELDS = (
    "seq",
    "damper_n_s_m",
    "brake_slip_n",
    "ring_speed_m_s",
    *SP_FLAGS[:3],
    "hook_motor_v",
    *SP_FLAGS[3:],
)
"""``ActuatorCommand``'s fields in declaration order, as :func:`wire_command` builds them."""
if tuple(f.name for f in fields(ActuatorCommand)) != _CMD_FIELDS:  # pragma: no cover
    raise ImportError("ActuatorCommand's fields moved: update _CMD_FIELDS and wire_command")
_build_command = fast_builder(ActuatorCommand)


def wire_command(cmd: ActuatorCommand) -> ActuatorCommand:
    """``cmd`` as a device receives it: each field through its set-point LSB and range.

    The in-process backend applies this so that a run on ``sim://`` sees the
    same set-points as the same run over the wire (``docs/icd.md`` 4.4). The
    same numbers as encoding the set-points and decoding them again
    (``_sp_values`` then ``_sp_message``; a test holds the two equal), without
    the message objects: this runs every cycle.
    """
    c = cmd
    hook_a, hook_b = c.hook_motor_v
    f = _FLAG_BOOLS[_flag_byte(c)]
    s = _SAFE
    return _build_command(
        (
            c.seq & 0xFFFFFFFF,
            sat(c.damper_n_s_m, SP_DAMPER_SCALE, 0, U16_MAX, round(s.damper_n_s_m))
            / SP_DAMPER_SCALE,
            sat(c.brake_slip_n, SP_BRAKE_SCALE, 0, U16_MAX, round(s.brake_slip_n)) / SP_BRAKE_SCALE,
            sat(c.ring_speed_m_s, SP_RING_SPEED_SCALE, -I16_MAX, I16_MAX, 0) / SP_RING_SPEED_SCALE,
            f[0],
            f[1],
            f[2],
            (
                sat(hook_a, SP_HOOK_V_SCALE, -I16_MAX, I16_MAX, 0) / SP_HOOK_V_SCALE,
                sat(hook_b, SP_HOOK_V_SCALE, -I16_MAX, I16_MAX, 0) / SP_HOOK_V_SCALE,
            ),
            f[3],
            f[4],
            f[5],
            f[6],
            f[7],
        )
    )


# --------------------------------------------------------------------------- other payloads


def _hb_values(h: m.Heartbeat | m.HostHeartbeat) -> tuple[int, ...]:
    return (
        h.counter & 0xFFFFFFFF,
        unsigned(int(h.mode), 8, "mode"),
        int(h.fault_bits) & 0xFFFFFFFF,
        min(max(h.peer_age_ms, 0), U16_MAX),
        h.rx_ok & U16_MAX,
        h.rx_rejects & U16_MAX,
    )


def _hello_values(msg: m.Hello) -> tuple[Any, ...]:
    name = msg.device.encode("ascii", errors="replace")
    if len(name) > m.DEVICE_NAME_LEN:
        raise ProtocolError(f"device name {msg.device!r} is longer than {m.DEVICE_NAME_LEN}")
    if len(msg.protocol_version) != 2 or len(msg.firmware_version) != 3:
        raise ProtocolError("protocol_version needs 2 numbers, firmware_version 3")
    small = (
        *msg.protocol_version,
        *msg.firmware_version,
        msg.petals,
        msg.latches,
        msg.hooks,
        msg.hook_sets,
        msg.pushrods,
        int(msg.capabilities),
    )
    for x in small:
        unsigned(x, 8, "m.Hello field")
    return (*small, unsigned(msg.period_us, 32, "period_us"), name)


def _hello_message(v: tuple[Any, ...]) -> m.Hello:
    try:
        name = v[12].rstrip(b"\x00").decode("ascii")
    except UnicodeDecodeError:
        raise RejectError("bad_field") from None
    return m.Hello(
        protocol_version=(v[0], v[1]),
        firmware_version=(v[2], v[3], v[4]),
        petals=v[5],
        latches=v[6],
        hooks=v[7],
        hook_sets=v[8],
        pushrods=v[9],
        capabilities=v[10],
        period_us=v[11],
        device=name,
    )


def _verif_values(msg: m.Verification) -> tuple[int, ...]:
    if msg.subtype not in m.VERIFICATION_SUBTYPES:
        raise ProtocolError(f"verification subtype {msg.subtype} is not 1, 2, 7 or 8")
    req = (TC_PACKET_ID, PSC_UNSEGMENTED | (msg.tc_seq_count & _SEQ_MASK))
    if msg.success:
        return req
    return (
        *req,
        unsigned(msg.error_code, 16, "error_code"),
        unsigned(msg.error_data, 32, "error_data"),
    )


def _verif_message(subtype: int) -> Callable[[tuple[Any, ...]], m.Verification]:
    def build(v: tuple[Any, ...]) -> m.Verification:
        packet_id, psc = v[0], v[1]
        if packet_id != TC_PACKET_ID or psc & 0xC000 != PSC_UNSEGMENTED:
            raise RejectError("bad_field")
        return m.Verification(subtype, psc & _SEQ_MASK, *v[2:])

    return build


def _event_values(msg: m.EventReport) -> tuple[int, ...]:
    if not 1 <= msg.severity <= 4:
        raise ProtocolError(f"event severity {msg.severity} is not 1..4")
    return (
        unsigned(msg.event_id, 16, "event_id"),
        unsigned(msg.index, 8, "index"),
        int32(msg.value),
    )


def _event_message(severity: int) -> Callable[[tuple[Any, ...]], m.EventReport]:
    def build(v: tuple[Any, ...]) -> m.EventReport:
        return m.EventReport(severity, *v)

    return build


def _ic_values(ic: InitialConditions) -> tuple[float, ...]:
    return (
        ic.distance_m,
        ic.closing_speed_m_s,
        *ic.lateral_offset_m,
        *ic.lateral_speed_m_s,
        *ic.angle_deg,
        *ic.rate_deg_s,
    )


def _sim_setup_values(msg: m.SimSetup) -> tuple[Any, ...]:
    name = msg.preset.encode("utf-8")
    if len(name) > m.PRESET_MAX_LEN:
        raise ProtocolError(f"preset name {msg.preset!r} is longer than {m.PRESET_MAX_LEN} B")
    vals = _ic_values(msg.initial)
    if len(vals) != 12:
        raise ProtocolError("InitialConditions has a tuple of the wrong length")
    return (unsigned(msg.seed, 64, "seed"), *vals, len(name))


def _sim_setup_payload(msg: m.SimSetup) -> bytes:
    return _SIM_SETUP.pack(*_sim_setup_values(msg)) + msg.preset.encode("utf-8")


def _dec_sim_setup(data: bytes, time_s: float, seq: int) -> m.SimSetup:
    n = _SIM_SETUP.size
    if len(data) < n:
        raise RejectError("bad_length")
    v = _SIM_SETUP.unpack_from(data)
    if len(data) != n + v[13] or v[13] > m.PRESET_MAX_LEN:
        raise RejectError("bad_length")
    try:
        preset = bytes(data[n:]).decode("utf-8")
    except UnicodeDecodeError:
        raise RejectError("bad_field", n) from None
    d = v[1:13]
    ic = InitialConditions(
        distance_m=d[0],
        closing_speed_m_s=d[1],
        lateral_offset_m=(d[2], d[3]),
        lateral_speed_m_s=(d[4], d[5]),
        angle_deg=(d[6], d[7], d[8]),
        rate_deg_s=(d[9], d[10], d[11]),
    )
    return m.SimSetup(preset=preset, seed=v[0], initial=ic)


def _inject_values(msg: m.SimInject) -> tuple[Any, ...]:
    try:
        code = m.PLANT_FAULT_CODES.index(msg.fault.kind)
    except ValueError:
        raise ProtocolError(f"unknown plant fault kind {msg.fault.kind!r}") from None
    return (
        code,
        unsigned(msg.fault.index, 8, "fault index"),
        1 if msg.active else 0,
        msg.fault.value,
    )


def _inject_message(v: tuple[Any, ...]) -> m.SimInject:
    code, index, active, value = v
    if code >= len(m.PLANT_FAULT_CODES):
        raise RejectError("bad_field", 0)
    if active > 1:
        raise RejectError("bad_field", 2)
    return m.SimInject(PlantFault(m.PLANT_FAULT_CODES[code], index, value), active=bool(active))


def _step_values(msg: m.SimStep) -> tuple[int]:
    if msg.steps < 1:
        raise ProtocolError(f"m.SimStep.steps must be >= 1, got {msg.steps}")
    return (unsigned(msg.steps, 16, "steps"),)


def _step_message(v: tuple[Any, ...]) -> m.SimStep:
    if v[0] == 0:
        raise RejectError("bad_field", 0)
    return m.SimStep(v[0])


def _truth_values(msg: m.SimTruth) -> tuple[Any, ...]:
    t = msg.truth
    return (
        t.t_s,
        t.energy_kinetic_j,
        t.energy_stored_j,
        t.energy_dissipated_damper_j,
        t.energy_dissipated_brake_j,
        t.energy_dissipated_contact_j,
        t.axial_load_n,
        t.lateral_load_n,
        *(t.extra.get(name, math.nan) for name in TRUTH_EXTRAS),
        1 if t.in_contact else 0,
    )


TRUTH_EXTRAS: tuple[str, ...] = (
    "energy_actuator_work_j",
    "energy_dissipated_other_j",
    "energy_thrust_work_j",
    "thrust_n",
    "ring_stop_hits",
    "energy_kinetic_common_j",
)
"""The ``Truth.extra`` entries SimTruth carries, in wire order (telemetry records them):
enough to close DOMAIN 2a's energy ledger from a run over the link."""
ACTUATOR_WORK = TRUTH_EXTRAS[0]
_IN_CONTACT_OFFSET = 8 * (8 + len(TRUTH_EXTRAS))


def _truth_message(v: tuple[Any, ...]) -> m.SimTruth:
    t, ke, stored, damper, brake, contact, axial, lateral = v[:8]
    extras, in_contact = v[8:-1], v[-1]
    if in_contact > 1:
        raise RejectError("bad_field", _IN_CONTACT_OFFSET)
    extra = {
        name: value
        for name, value in zip(TRUTH_EXTRAS, extras, strict=True)
        if not math.isnan(value)
    }
    return m.SimTruth(
        Truth(
            t,
            ke,
            stored,
            damper,
            brake,
            contact,
            axial,
            lateral,
            in_contact=bool(in_contact),
            extra=extra,
        )
    )


# --------------------------------------------------------------------------- the table

Decoder = Callable[[bytes, float, int], m.Message]
"""Payload bytes, TM time stamp (s; 0 for a TC), message counter -> message."""
Key = tuple[bool, int, int]
"""(is_tm, service, subtype) of a packet."""


def _record(body: struct.Struct, build: Callable[[tuple[Any, ...]], m.Message]) -> Decoder:
    """The decoder of a fixed-size record: check the size, unpack, ``build``."""
    size = body.size
    unpack = body.unpack

    def dec(data: bytes, time_s: float, seq: int) -> m.Message:
        if len(data) != size:
            raise RejectError("bad_length")
        return build(unpack(data))

    return dec


@dataclass(frozen=True, slots=True)
class Layout:
    """One row of :data:`LAYOUTS`: how a message class's payload is laid out."""

    body: struct.Struct
    """The record, big-endian (for SimSetup the part before the preset name; for
    Verification the failure report, of which a success sends the first 4 bytes)."""
    values: Callable[[Any], Sequence[Any]]
    """Message -> the record's values in wire order; raises ProtocolError when the
    message cannot be represented."""
    decoders: Mapping[Key, Decoder]
    """The packets this class is decoded from."""
    hot: bool = False
    """Sent every control cycle: the packet layer packs it with one precompiled
    struct instead of ``spacepackets``."""
    pack: Callable[[Any], bytes] | None = None
    """Message -> payload bytes when it is not simply ``body.pack(*values(msg))``."""

    def payload(self, msg: m.Message) -> bytes:
        """The application/source data of ``msg``."""
        if self.pack is not None:
            return self.pack(msg)
        return self.body.pack(*self.values(msg))


def _row(
    cls: type[Any],
    fmt: str,
    values: Callable[[Any], Sequence[Any]],
    build: Callable[[tuple[Any, ...]], m.Message],
    *,
    hot: bool = False,
) -> Layout:
    """A layout decoded from the one packet type named by the class's ClassVars."""
    body = struct.Struct(fmt)
    return Layout(body, values, {(cls.IS_TM, cls.SERVICE, cls.SUBTYPE): _record(body, build)}, hot)


def _no_data(cls: type[m.Ping | m.Pong | m.HelloRequest]) -> Layout:
    inst = cls()
    return _row(cls, ">", lambda msg: (), lambda v: inst)


_SIM_SETUP = struct.Struct(">Q12dB")
_VERIF_OK = struct.Struct(">HH")
_VERIF_FAIL = struct.Struct(">HHHI")
_EVENT = struct.Struct(">HBi")


def _verif_payload(msg: m.Verification) -> bytes:
    v = _verif_values(msg)
    return (_VERIF_OK if len(v) == 2 else _VERIF_FAIL).pack(*v)


LAYOUTS: dict[type[Any], Layout] = {
    m.Housekeeping: Layout(
        HK_RECORD,
        hk_values,
        {(True, m.Service.HOUSEKEEPING, m.ST_HK_REPORT): decode_housekeeping},
        hot=True,
    ),
    m.SetPoints: _row(m.SetPoints, ">IHHhhhB", _sp_values, _sp_message, hot=True),
    m.Heartbeat: _row(m.Heartbeat, ">IBIHHH", _hb_values, lambda v: m.Heartbeat(*v), hot=True),
    m.HostHeartbeat: _row(
        m.HostHeartbeat, ">IBIHHH", _hb_values, lambda v: m.HostHeartbeat(*v), hot=True
    ),
    m.Ping: _no_data(m.Ping),
    m.Pong: _no_data(m.Pong),
    m.HelloRequest: _no_data(m.HelloRequest),
    m.Hello: _row(m.Hello, f">BBBBBBBBBBBI{m.DEVICE_NAME_LEN}s", _hello_values, _hello_message),
    m.ModeCommand: _row(
        m.ModeCommand,
        ">B",
        lambda msg: (unsigned(int(msg.mode), 8, "mode"),),
        lambda v: m.ModeCommand(*v),
    ),
    m.Verification: Layout(
        _VERIF_FAIL,
        _verif_values,
        {
            (True, m.Service.VERIFICATION, st): _record(
                _VERIF_OK if st % 2 else _VERIF_FAIL, _verif_message(st)
            )
            for st in sorted(m.VERIFICATION_SUBTYPES)
        },
        pack=_verif_payload,
    ),
    m.EventReport: Layout(
        _EVENT,
        _event_values,
        {
            (True, m.Service.EVENT, int(sev)): _record(_EVENT, _event_message(int(sev)))
            for sev in m.Severity
        },
    ),
    m.SimSetup: Layout(
        _SIM_SETUP,
        _sim_setup_values,
        {(False, m.Service.SIMULATION, m.ST_SIM_SETUP): _dec_sim_setup},
        pack=_sim_setup_payload,
    ),
    m.SimInject: _row(m.SimInject, ">BBBd", _inject_values, _inject_message),
    # the lockstep cycle's own packets: one SimStep out, one SimTruth back per cycle
    m.SimStep: _row(m.SimStep, ">H", _step_values, _step_message, hot=True),
    m.SimTruth: _row(
        m.SimTruth, f">{8 + len(TRUTH_EXTRAS)}dB", _truth_values, _truth_message, hot=True
    ),
}
"""Message class -> its payload layout: the one table of the application data."""

DECODERS: dict[Key, Decoder] = {k: d for lay in LAYOUTS.values() for k, d in lay.decoders.items()}
"""(is_tm, service, subtype) -> payload decoder, generated from :data:`LAYOUTS`."""


def packet_payload(msg: m.Message) -> bytes:
    """The application data (TC) or source data (TM) of ``msg``, big-endian, per the ICD.

    :raises ProtocolError: ``msg`` is not a protocol message or cannot be represented.
    """
    lay = LAYOUTS.get(type(msg))
    if lay is None:
        raise ProtocolError(f"not a protocol message: {msg!r}")
    return lay.payload(msg)
