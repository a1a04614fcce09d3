"""Sans-io codec of the wire protocol: messages <-> COBS-framed PUS packets.

Theory of operation
===================

**Layers.** A message (:mod:`controller.protocol.messages`) becomes a CCSDS
Space Packet: the 6-byte primary header (version 0, type TM/TC, secondary
header flag set, APID 0x0D1, sequence flags "unsegmented", 14-bit sequence
count, data length), a PUS-C secondary header (7 bytes for TM plus a 7-byte
CDS short time stamp; 5 bytes for TC), the big-endian application data and a
CRC-16/CCITT-FALSE packet error control field (poly 0x1021, init 0xFFFF, the
``crc_hqx`` of the whole packet; a packet including its CRC checks to 0). The
packet is COBS-encoded and ends with one 0x00 byte. One packet per frame.

**Encoding** is a pure function: :func:`encode` takes the message, the
sender's sequence count and (for TM) the time stamp in seconds on the
source's clock, and returns the complete frame. No clock is read; counters
are the caller's (:class:`SeqCounter` helps). The packets sent every cycle
(housekeeping, set-points, heartbeats) are built here with precompiled
``struct.Struct`` objects and ``binascii.crc_hqx``; ``spacepackets`` builds
the rest and stays the reference: the tests prove byte identity of both paths
for every message type (``spacepackets`` takes 12-35 us per packet, too slow
for 1 kHz both ways on one core, see ``benchmarks/bench_codec.py``).

**Framing and resynchronisation.** :class:`StreamDecoder` buffers bytes
until a 0x00 arrives; everything since the previous 0x00 is one frame. COBS
guarantees that 0x00 never occurs inside a frame, so after any corruption,
loss or insertion the decoder is back in step at the next delimiter: at most
the damaged frame and the one it ran into are lost. A frame whose bytes grow
beyond :data:`~controller.protocol.messages.MAX_FRAME_LEN` without a
delimiter is dropped at once and the decoder discards bytes until the next
delimiter (it never buffers more than one maximum frame).

**Validation order** of one frame, each failure counted once, first match
wins: oversize -> ``bad_cobs`` (COBS decode error) -> ``bad_length`` (shorter
than a header, or the primary header's length field disagrees with the frame)
-> ``bad_crc`` -> ``bad_header`` (CCSDS version, secondary header flag,
sequence flags, PUS version, time code P-field, ms of day) -> ``wrong_apid``
-> sequence tracking -> ``unknown_service`` (type, service, subtype not in
the ICD) -> ``bad_length`` / ``bad_field`` (application data size or values)
-> ``frames_ok``.

**Counters** (:class:`LinkCounters`) are link telemetry. Every non-empty
frame ends in exactly one of ``frames_ok`` or a reject counter, so
``frames_ok + rejects`` equals the number of non-empty delimited frames seen;
every byte fed ends in ``bytes_ok`` (accepted frames with their delimiter),
``bytes_discarded`` (rejected frames, lone delimiters, oversize debris) or
the pending buffer. ``seq_gaps`` counts packets whose CCSDS sequence count
is not the previous one plus one (mod 2**14) for the same source (TM and TC
are tracked apart); the first packet of a source sets the reference.

**Never raises on input bytes.** The decoder catches the library and struct
errors and counts them as rejects; anything unexpected is counted as
``bad_field``. Encoders raise :class:`~controller.errors.ProtocolError` only
for messages that cannot be represented (wrong tuple lengths, a preset name
that is too long): those are caller bugs, not link data.
"""

from __future__ import annotations

import math
import struct
from binascii import crc_hqx
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, fields
from itertools import repeat
from operator import mul, truediv
from typing import Any, TypeVar

from cobs import cobs
from spacepackets.ccsds.time import CdsShortTimestamp
from spacepackets.ecss import PusTc, PusTm

from controller.errors import ProtocolError
from controller.protocol import messages as m
from controller.protocol.messages import (
    APID,
    HK_CHANNELS,
    HK_NAN,
    HK_SCALES,
    HK_SID_SENSOR_FRAME,
    MAX_FRAME_LEN,
    PLANT_FAULT_CODES,
    PRESET_MAX_LEN,
    SEQ_COUNT_MODULO,
    EventReport,
    Heartbeat,
    Hello,
    HelloRequest,
    HostHeartbeat,
    Housekeeping,
    Message,
    ModeCommand,
    Packet,
    Ping,
    Pong,
    SetPoints,
    SimInject,
    SimSetup,
    SimStep,
    SimTruth,
    Verification,
)
from controller.types import ActuatorCommand, InitialConditions, PlantFault, SensorFrame, Truth

__all__ = [
    "LinkCounters",
    "SeqCounter",
    "StreamDecoder",
    "decode_packet",
    "encode",
    "encode_packet",
    "packet_payload",
]

_cobs_encode = cobs.encode
_cobs_decode = cobs.decode
_CobsDecodeError = cobs.DecodeError

_MS_PER_DAY = 86_400_000
_SEQ_MASK = SEQ_COUNT_MODULO - 1
_TM_PACKET_ID = 0x0800 | APID  # version 0, type 0 (TM), sec header 1
_TC_PACKET_ID = 0x1800 | APID  # version 0, type 1 (TC), sec header 1
_PSC_UNSEGMENTED = 0xC000
_PUS_C = 0x20  # PUS version 2 in the high nibble
_CDS_PFIELD = 0x40  # CDS, 1958 epoch flag 0, 16-bit days, no sub-ms

# ----------------------------------------------------------------------------- headers

_TM_HDR = struct.Struct(">HHHBBBHHBHI")  # 20 bytes: primary, PUS-C TM, CDS short
_TC_HDR = struct.Struct(">HHHBBBH")  # 11 bytes: primary, PUS-C TC
_PRIMARY = struct.Struct(">HHH")
_TM_SEC = struct.Struct(">BBBHHBHI")  # from byte 6
_TC_SEC = struct.Struct(">BBBH")

# ----------------------------------------------------------------------------- payloads

_HK = struct.Struct(f">BBBB{HK_CHANNELS}h")
_HK_PACKET = struct.Struct(_TM_HDR.format + _HK.format[1:])
HK_PACKET_LEN = _HK_PACKET.size + m.CRC_LEN
"""Length of a housekeeping packet, bytes (before COBS)."""
_HELLO = struct.Struct(f">BBBBBBBBBBBI{m.DEVICE_NAME_LEN}s")
_HEARTBEAT = struct.Struct(">IBIHHH")
_SETPOINTS = struct.Struct(">IHHhhhB")
_SP_PACKET = struct.Struct(_TC_HDR.format + _SETPOINTS.format[1:])
_HB_TM_PACKET = struct.Struct(_TM_HDR.format + _HEARTBEAT.format[1:])
_HB_TC_PACKET = struct.Struct(_TC_HDR.format + _HEARTBEAT.format[1:])
_U8 = struct.Struct(">B")
_U16 = struct.Struct(">H")
_REQ_ID = struct.Struct(">HH")
_FAILURE = struct.Struct(">HHHI")  # request ID, error code, error data
_FAILURE_TAIL = struct.Struct(">HI")
_EVENT = struct.Struct(">HBi")
_SIM_SETUP = struct.Struct(">Q12dB")
_SIM_INJECT = struct.Struct(">BBBd")
_SIM_TRUTH = struct.Struct(">8dB")

_I16_MAX = 32767
_round = float.__round__
_U16_MAX = 0xFFFF


_T = TypeVar("_T")


class _RejectError(Exception):
    """Internal: a frame is rejected; ``args[0]`` names the counter."""


def _cds(time_s: float) -> tuple[int, int]:
    """(days, ms of day) of a time in seconds since the source's time zero (1 ms, clamped)."""
    if not time_s > 0.0 or not math.isfinite(time_s):
        return 0, 0
    total = round(time_s * 1000.0)
    days, ms = divmod(total, _MS_PER_DAY)
    if days > _U16_MAX:
        return _U16_MAX, _MS_PER_DAY - 1
    return days, ms


def _sat(x: float, scale: float, lo: int, hi: int, nan: int) -> int:
    """Fixed-point conversion with saturation; NaN maps to ``nan``."""
    if x != x:
        return nan
    y = x * scale
    if y >= hi:
        return hi
    if y <= lo:
        return lo
    return round(y)


def _u(x: int, bits: int, name: str) -> int:
    if not 0 <= x < (1 << bits):
        raise ProtocolError(f"{name}={x!r} does not fit in an unsigned {bits}-bit field")
    return x


# ----------------------------------------------------------------------------- housekeeping


def _bits(flags: tuple[Any, ...]) -> int:
    out = 0
    for i, b in enumerate(flags):
        if b:
            out |= 1 << i
    return out


def _bools(value: int, n: int) -> tuple[bool, ...]:
    return tuple(bool(value >> i & 1) for i in range(n))


_F0_TABLE = tuple(
    (bool(v & 1), bool(v & 2), _bools(v >> 2, 3), _bools(v >> 5, 3)) for v in range(256)
)
_LATCH_TABLE = tuple(_bools(v, 6) for v in range(64))
_PUSHROD_TABLE = tuple(_bools(v, 4) for v in range(16))


def _hk_channels(f: SensorFrame) -> list[int]:
    vals = (
        f.bus_voltage_v,
        *f.rel_pos_m,
        *f.rel_vel_m_s,
        *f.rel_angle_rad,
        *f.rel_rate_rad_s,
        f.ring_extension_m,
        f.ring_extension_b_m,
        f.ring_speed_m_s,
        *f.ring_lateral_m,
        *f.ring_tilt_rad,
        f.axial_load_n,
        f.lateral_load_n,
        f.drive_current_a,
        *f.hook_pos,
        *f.hook_load_n,
        *f.hook_motor_current_a,
        *f.hook_motor_speed_rad_s,
        *f.cable_tension_n,
        f.seal_cavity_pressure_pa,
        f.seal_cavity_pressure_b_pa,
        f.tunnel_pressure_pa,
    )
    if len(vals) != HK_CHANNELS:
        raise ProtocolError(
            f"SensorFrame has {len(vals)} analog channels, the ICD has {HK_CHANNELS}: "
            "check the lengths of hook_pos and hook_load_n (12 each)"
        )
    try:
        # float.__round__ skips the builtin's dispatch (the products are always floats)
        ints = list(map(_round, map(mul, vals, HK_SCALES)))
        if max(ints) <= _I16_MAX and min(ints) >= -_I16_MAX:
            return ints
    except (ValueError, OverflowError):  # NaN or inf somewhere: take the slow path
        pass
    return [_sat(v, k, -_I16_MAX, _I16_MAX, HK_NAN) for v, k in zip(vals, HK_SCALES, strict=True)]


def _hk_flags(f: SensorFrame) -> tuple[int, int, int]:
    f0 = (
        (1 if f.ring_ready_stop else 0)
        | (2 if f.ring_retracted else 0)
        | _bits(f.alignment) << 2
        | _bits(f.interface_contact) << 5
    )
    return f0, _bits(f.latch_captured), _bits(f.pushrod_extended)


def _hk_payload(f: SensorFrame) -> bytes:
    return _HK.pack(HK_SID_SENSOR_FRAME, *_hk_flags(f), *_hk_channels(f))


def _builder(cls: type[_T]) -> Callable[[tuple[Any, ...]], _T]:
    """A fast constructor of the frozen slotted dataclass ``cls``, values in field order.

    A generated frozen ``__init__`` costs one ``object.__setattr__`` call per
    field from Python code (about 10 us for the 29 fields of a SensorFrame);
    setting the slots from C (``map`` over ``object.__setattr__``) takes about
    a third of that and yields an equal object. Falls back to the normal
    constructor if the class ever gains a ``__post_init__`` or loses its slots
    (a test checks that both paths give equal objects).
    """
    names = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]
    if hasattr(cls, "__post_init__") or not hasattr(cls, "__slots__"):
        return lambda values: cls(*values)
    new = object.__new__
    setattr_ = object.__setattr__

    def build(values: tuple[Any, ...]) -> _T:
        obj = new(cls)
        deque(map(setattr_, repeat(obj), names, values), 0)
        return obj

    return build


_build_frame = _builder(SensorFrame)
_build_packet = _builder(Packet)


def _dec_hk(data: bytes, time_s: float, seq: int) -> Housekeeping:
    if len(data) != _HK.size:
        raise _RejectError("bad_length")
    v = _HK.unpack(data)
    if v[0] != HK_SID_SENSOR_FRAME:
        raise _RejectError("bad_field")
    ch = v[4:]
    if HK_NAN in ch:
        x = tuple(math.nan if c == HK_NAN else c / k for c, k in zip(ch, HK_SCALES, strict=True))
    else:
        x = tuple(map(truediv, ch, HK_SCALES))
    ready, retracted, alignment, contact = _F0_TABLE[v[1]]
    return Housekeeping(
        _build_frame(
            (
                time_s,  # t_s
                seq,  # seq
                x[0],  # bus_voltage_v
                x[1:4],  # rel_pos_m
                x[4:7],  # rel_vel_m_s
                x[7:10],  # rel_angle_rad
                x[10:13],  # rel_rate_rad_s
                x[13],  # ring_extension_m
                x[14],  # ring_extension_b_m
                x[15],  # ring_speed_m_s
                x[16:18],  # ring_lateral_m
                x[18:20],  # ring_tilt_rad
                x[20],  # axial_load_n
                x[21],  # lateral_load_n
                ready,  # ring_ready_stop
                retracted,  # ring_retracted
                alignment,  # alignment
                _LATCH_TABLE[v[2] & 0x3F],  # latch_captured
                contact,  # interface_contact
                x[22],  # drive_current_a
                x[23:35],  # hook_pos
                x[35:47],  # hook_load_n
                x[47:49],  # hook_motor_current_a
                x[49:51],  # hook_motor_speed_rad_s
                x[51:53],  # cable_tension_n
                x[53],  # seal_cavity_pressure_pa
                x[54],  # seal_cavity_pressure_b_pa
                x[55],  # tunnel_pressure_pa
                _PUSHROD_TABLE[v[3] & 0x0F],  # pushrod_extended
            )
        )
    )


# ----------------------------------------------------------------------------- set-points

_SAFE = ActuatorCommand()


def _sp_fields(c: ActuatorCommand) -> tuple[int, ...]:
    hook_a, hook_b = c.hook_motor_v
    flags = (
        (1 if c.ring_centring else 0)
        | (2 if c.latch_arm else 0)
        | (4 if c.latch_release else 0)
        | (8 if c.seal_valve_open else 0)
        | (16 if c.tunnel_valve_open else 0)
        | (32 if c.pushrods_fire else 0)
        | (64 if c.tunnel_vent_open else 0)
    )
    s = _SAFE
    return (
        c.seq & 0xFFFFFFFF,
        _sat(c.damper_n_s_m, m.SP_DAMPER_SCALE, 0, _U16_MAX, round(s.damper_n_s_m)),
        _sat(c.brake_slip_n, m.SP_BRAKE_SCALE, 0, _U16_MAX, round(s.brake_slip_n)),
        _sat(c.ring_speed_m_s, m.SP_RING_SPEED_SCALE, -_I16_MAX, _I16_MAX, 0),
        _sat(hook_a, m.SP_HOOK_V_SCALE, -_I16_MAX, _I16_MAX, 0),
        _sat(hook_b, m.SP_HOOK_V_SCALE, -_I16_MAX, _I16_MAX, 0),
        flags,
    )


def _dec_setpoints(data: bytes, time_s: float, seq: int) -> SetPoints:
    if len(data) != _SETPOINTS.size:
        raise _RejectError("bad_length")
    cseq, damper, brake, ring, hook_a, hook_b, fl = _SETPOINTS.unpack(data)
    return SetPoints(
        ActuatorCommand(
            seq=cseq,
            damper_n_s_m=damper / m.SP_DAMPER_SCALE,
            brake_slip_n=brake / m.SP_BRAKE_SCALE,
            ring_speed_m_s=ring / m.SP_RING_SPEED_SCALE,
            ring_centring=bool(fl & 1),
            latch_arm=bool(fl & 2),
            latch_release=bool(fl & 4),
            hook_motor_v=(hook_a / m.SP_HOOK_V_SCALE, hook_b / m.SP_HOOK_V_SCALE),
            seal_valve_open=bool(fl & 8),
            tunnel_valve_open=bool(fl & 16),
            pushrods_fire=bool(fl & 32),
            tunnel_vent_open=bool(fl & 64),
        )
    )


# ----------------------------------------------------------------------------- other payloads


def _hb_fields(h: Heartbeat | HostHeartbeat) -> tuple[int, ...]:
    return (
        h.counter & 0xFFFFFFFF,
        _u(int(h.mode), 8, "mode"),
        int(h.fault_bits) & 0xFFFFFFFF,
        min(max(h.peer_age_ms, 0), _U16_MAX),
        h.rx_ok & _U16_MAX,
        h.rx_rejects & _U16_MAX,
    )


def _ic_values(ic: InitialConditions) -> tuple[float, ...]:
    return (
        ic.distance_m,
        ic.closing_speed_m_s,
        *ic.lateral_offset_m,
        *ic.lateral_speed_m_s,
        *ic.angle_deg,
        *ic.rate_deg_s,
    )


def packet_payload(msg: Message) -> bytes:
    """The application data (TC) or source data (TM) of ``msg``, big-endian, per the ICD."""
    if isinstance(msg, Housekeeping):
        return _hk_payload(msg.frame)
    if isinstance(msg, SetPoints):
        return _SETPOINTS.pack(*_sp_fields(msg.cmd))
    if isinstance(msg, Heartbeat | HostHeartbeat):
        return _HEARTBEAT.pack(*_hb_fields(msg))
    if isinstance(msg, Ping | Pong | HelloRequest):
        return b""
    if isinstance(msg, Hello):
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
            _u(x, 8, "Hello field")
        return _HELLO.pack(*small, _u(msg.period_us, 32, "period_us"), name)
    if isinstance(msg, ModeCommand):
        return _U8.pack(_u(int(msg.mode), 8, "mode"))
    if isinstance(msg, Verification):
        if msg.subtype not in m.VERIFICATION_SUBTYPES:
            raise ProtocolError(f"verification subtype {msg.subtype} is not 1, 2, 7 or 8")
        req = _REQ_ID.pack(_TC_PACKET_ID, _PSC_UNSEGMENTED | (msg.tc_seq_count & _SEQ_MASK))
        if msg.success:
            return req
        return req + _FAILURE_TAIL.pack(
            _u(msg.error_code, 16, "error_code"), _u(msg.error_data, 32, "error_data")
        )
    if isinstance(msg, EventReport):
        if not 1 <= msg.severity <= 4:
            raise ProtocolError(f"event severity {msg.severity} is not 1..4")
        return _EVENT.pack(
            _u(msg.event_id, 16, "event_id"), _u(msg.index, 8, "index"), _i32(msg.value)
        )
    if isinstance(msg, SimSetup):
        name = msg.preset.encode("utf-8")
        if len(name) > PRESET_MAX_LEN:
            raise ProtocolError(f"preset name {msg.preset!r} is longer than {PRESET_MAX_LEN} B")
        vals = _ic_values(msg.initial)
        if len(vals) != 12:
            raise ProtocolError("InitialConditions has a tuple of the wrong length")
        return _SIM_SETUP.pack(_u(msg.seed, 64, "seed"), *vals, len(name)) + name
    if isinstance(msg, SimInject):
        try:
            code = PLANT_FAULT_CODES.index(msg.fault.kind)
        except ValueError:
            raise ProtocolError(f"unknown plant fault kind {msg.fault.kind!r}") from None
        return _SIM_INJECT.pack(
            code, _u(msg.fault.index, 8, "fault index"), 1 if msg.active else 0, msg.fault.value
        )
    if isinstance(msg, SimTruth):
        t = msg.truth
        return _SIM_TRUTH.pack(
            t.t_s,
            t.energy_kinetic_j,
            t.energy_stored_j,
            t.energy_dissipated_damper_j,
            t.energy_dissipated_brake_j,
            t.energy_dissipated_contact_j,
            t.axial_load_n,
            t.lateral_load_n,
            1 if t.in_contact else 0,
        )
    if isinstance(msg, SimStep):
        if msg.steps < 1:
            raise ProtocolError(f"SimStep.steps must be >= 1, got {msg.steps}")
        return _U16.pack(_u(msg.steps, 16, "steps"))
    raise ProtocolError(f"not a protocol message: {msg!r}")


def _i32(x: int) -> int:
    if not -(1 << 31) <= x < (1 << 31):
        raise ProtocolError(f"event value {x} does not fit in int32")
    return x


def _subtype(msg: Message) -> int:
    if isinstance(msg, Verification):
        return msg.subtype
    if isinstance(msg, EventReport):
        return msg.severity
    return msg.SUBTYPE


# ----------------------------------------------------------------------------- encoders

_HOT = (Housekeeping, SetPoints, Heartbeat, HostHeartbeat)


def _with_crc(body: bytes) -> bytes:
    return body + crc_hqx(body, 0xFFFF).to_bytes(2, "big")


def encode_packet(
    msg: Message,
    seq_count: int,
    time_s: float = 0.0,
    *,
    ack_flags: int | None = None,
    reference: bool = False,
) -> bytes:
    """The space packet of ``msg`` (no COBS, no delimiter).

    :param seq_count: the sender's CCSDS sequence count; taken modulo 2**14.
    :param time_s: TM time stamp, s on the source's clock (1 ms resolution, clamped
        to 0 .. 65536 days). Ignored for :class:`Housekeeping` (its stamp is
        ``frame.t_s``) and for TCs.
    :param ack_flags: PUS-C acknowledgement flags of a TC (default: the class's).
    :param reference: build with ``spacepackets`` even for the hot packets (tests).
    """
    seq = seq_count & _SEQ_MASK
    if not reference and isinstance(msg, _HOT):
        return _encode_hot(msg, seq, time_s, ack_flags)
    payload = packet_payload(msg)
    if msg.IS_TM:
        if isinstance(msg, Housekeeping):
            time_s = msg.frame.t_s
            counter = msg.frame.seq & _U16_MAX
        else:
            counter = 0
        days, ms = _cds(time_s)
        stamp = CdsShortTimestamp(days, ms, init_dt_unix_stamp=False).pack()
        packet = PusTm(
            service=msg.SERVICE,
            message_subtype=_subtype(msg),
            timestamp=stamp,
            source_data=payload,
            apid=APID,
            seq_count=seq,
            message_counter=counter,
        ).pack()
    else:
        ack = msg.DEFAULT_ACK if ack_flags is None else ack_flags  # type: ignore[union-attr]
        packet = PusTc(
            service=msg.SERVICE,
            message_subtype=_subtype(msg),
            apid=APID,
            app_data=payload,
            seq_count=seq,
            ack_flags=ack & 0x0F,
        ).pack()
    if len(packet) > m.MAX_PACKET_LEN:
        raise ProtocolError(f"{type(msg).__name__} packet is {len(packet)} B, over the maximum")
    return bytes(packet)


def _encode_hot(msg: Message, seq: int, time_s: float, ack_flags: int | None) -> bytes:
    psc = _PSC_UNSEGMENTED | seq
    if isinstance(msg, Housekeeping):
        f = msg.frame
        days, ms = _cds(f.t_s)
        body = _HK_PACKET.pack(
            _TM_PACKET_ID,
            psc,
            HK_PACKET_LEN - 7,
            _PUS_C,
            3,
            25,
            f.seq & _U16_MAX,
            0,
            _CDS_PFIELD,
            days,
            ms,
            HK_SID_SENSOR_FRAME,
            *_hk_flags(f),
            *_hk_channels(f),
        )
    elif isinstance(msg, SetPoints):
        ack = SetPoints.DEFAULT_ACK if ack_flags is None else ack_flags & 0x0F
        body = _SP_PACKET.pack(
            _TC_PACKET_ID,
            psc,
            _SP_PACKET.size + 2 - 7,
            _PUS_C | ack,
            m.Service.MECHANISM,
            m.ST_SETPOINTS,
            0,
            *_sp_fields(msg.cmd),
        )
    elif isinstance(msg, Heartbeat):
        days, ms = _cds(time_s)
        body = _HB_TM_PACKET.pack(
            _TM_PACKET_ID,
            psc,
            _HB_TM_PACKET.size + 2 - 7,
            _PUS_C,
            m.Service.TEST,
            m.ST_HEARTBEAT,
            0,
            0,
            _CDS_PFIELD,
            days,
            ms,
            *_hb_fields(msg),
        )
    elif isinstance(msg, HostHeartbeat):
        ack = HostHeartbeat.DEFAULT_ACK if ack_flags is None else ack_flags & 0x0F
        body = _HB_TC_PACKET.pack(
            _TC_PACKET_ID,
            psc,
            _HB_TC_PACKET.size + 2 - 7,
            _PUS_C | ack,
            m.Service.TEST,
            m.ST_HEARTBEAT,
            0,
            *_hb_fields(msg),
        )
    else:  # pragma: no cover - _HOT lists exactly the four above
        raise ProtocolError(f"no fast path for {type(msg).__name__}")
    return _with_crc(body)


def encode(
    msg: Message, seq_count: int, time_s: float = 0.0, *, ack_flags: int | None = None
) -> bytes:
    """One complete frame for ``msg``: COBS-encoded packet plus the 0x00 delimiter.

    :param seq_count: the sender's CCSDS sequence count (per direction); modulo 2**14.
    :param time_s: TM time stamp, s on the source's clock (1 ms resolution);
        ignored for :class:`Housekeeping` (stamped with ``frame.t_s``) and for TCs.
    :param ack_flags: PUS-C acknowledgement flags of a TC (default: the class's).
    :raises ProtocolError: the message cannot be represented (a caller bug).
    """
    return _cobs_encode(encode_packet(msg, seq_count, time_s, ack_flags=ack_flags)) + b"\x00"  # type: ignore[no-any-return]


class SeqCounter:
    """The sender's CCSDS sequence count: 0, 1, ..., 16383, 0, ... (one per direction)."""

    __slots__ = ("value",)

    def __init__(self, start: int = 0) -> None:
        self.value = start & _SEQ_MASK

    def next(self) -> int:
        """The count for the next packet (then advances)."""
        v = self.value
        self.value = (v + 1) & _SEQ_MASK
        return v


# ----------------------------------------------------------------------------- decoders


def _empty(cls: type[Ping | Pong | HelloRequest]) -> Callable[[bytes, float, int], Message]:
    inst = cls()

    def dec(data: bytes, time_s: float, seq: int) -> Message:
        if data:
            raise _RejectError("bad_length")
        return inst

    return dec


def _dec_hb(cls: type[Heartbeat | HostHeartbeat]) -> Callable[[bytes, float, int], Message]:
    def dec(data: bytes, time_s: float, seq: int) -> Message:
        if len(data) != _HEARTBEAT.size:
            raise _RejectError("bad_length")
        return cls(*_HEARTBEAT.unpack(data))

    return dec


def _dec_hello(data: bytes, time_s: float, seq: int) -> Hello:
    if len(data) != _HELLO.size:
        raise _RejectError("bad_length")
    v = _HELLO.unpack(data)
    try:
        name = v[12].rstrip(b"\x00").decode("ascii")
    except UnicodeDecodeError:
        raise _RejectError("bad_field") from None
    return Hello(
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


def _dec_mode(data: bytes, time_s: float, seq: int) -> ModeCommand:
    if len(data) != 1:
        raise _RejectError("bad_length")
    return ModeCommand(mode=data[0])


def _dec_verif(subtype: int) -> Callable[[bytes, float, int], Message]:
    size = 4 if subtype % 2 else 10

    def dec(data: bytes, time_s: float, seq: int) -> Message:
        if len(data) != size:
            raise _RejectError("bad_length")
        packet_id, psc = _REQ_ID.unpack_from(data)
        if packet_id != _TC_PACKET_ID or psc & 0xC000 != _PSC_UNSEGMENTED:
            raise _RejectError("bad_field")
        if size == 4:
            return Verification(subtype, psc & _SEQ_MASK)
        _, _, code, err = _FAILURE.unpack(data)
        return Verification(subtype, psc & _SEQ_MASK, code, err)

    return dec


def _dec_event(severity: int) -> Callable[[bytes, float, int], Message]:
    def dec(data: bytes, time_s: float, seq: int) -> Message:
        if len(data) != _EVENT.size:
            raise _RejectError("bad_length")
        event_id, index, value = _EVENT.unpack(data)
        return EventReport(severity, event_id, index, value)

    return dec


def _dec_sim_setup(data: bytes, time_s: float, seq: int) -> SimSetup:
    n = _SIM_SETUP.size
    if len(data) < n:
        raise _RejectError("bad_length")
    v = _SIM_SETUP.unpack_from(data)
    if len(data) != n + v[13] or v[13] > PRESET_MAX_LEN:
        raise _RejectError("bad_length")
    try:
        preset = bytes(data[n:]).decode("utf-8")
    except UnicodeDecodeError:
        raise _RejectError("bad_field") from None
    d = v[1:13]
    ic = InitialConditions(
        distance_m=d[0],
        closing_speed_m_s=d[1],
        lateral_offset_m=(d[2], d[3]),
        lateral_speed_m_s=(d[4], d[5]),
        angle_deg=(d[6], d[7], d[8]),
        rate_deg_s=(d[9], d[10], d[11]),
    )
    return SimSetup(preset=preset, seed=v[0], initial=ic)


def _dec_sim_inject(data: bytes, time_s: float, seq: int) -> SimInject:
    if len(data) != _SIM_INJECT.size:
        raise _RejectError("bad_length")
    code, index, active, value = _SIM_INJECT.unpack(data)
    if code >= len(PLANT_FAULT_CODES) or active > 1:
        raise _RejectError("bad_field")
    return SimInject(PlantFault(PLANT_FAULT_CODES[code], index, value), active=bool(active))


def _dec_sim_step(data: bytes, time_s: float, seq: int) -> SimStep:
    if len(data) != 2:
        raise _RejectError("bad_length")
    steps = _U16.unpack(data)[0]
    if steps == 0:
        raise _RejectError("bad_field")
    return SimStep(steps)


def _dec_sim_truth(data: bytes, time_s: float, seq: int) -> SimTruth:
    if len(data) != _SIM_TRUTH.size:
        raise _RejectError("bad_length")
    t, ke, stored, damper, brake, contact, axial, lateral, in_contact = _SIM_TRUTH.unpack(data)
    if in_contact > 1:
        raise _RejectError("bad_field")
    return SimTruth(
        Truth(t, ke, stored, damper, brake, contact, axial, lateral, in_contact=bool(in_contact))
    )


_Decoder = Callable[[bytes, float, int], Message]

#: (is_tm, service, subtype) -> payload decoder
_DECODERS: dict[tuple[bool, int, int], _Decoder] = {
    (True, 3, 25): _dec_hk,
    (False, 130, 1): _dec_setpoints,
    (True, 17, 128): _dec_hb(Heartbeat),
    (False, 17, 128): _dec_hb(HostHeartbeat),
    (False, 17, 1): _empty(Ping),
    (True, 17, 2): _empty(Pong),
    (False, 17, 129): _empty(HelloRequest),
    (True, 17, 130): _dec_hello,
    (False, 130, 2): _dec_mode,
    (False, 131, 1): _dec_sim_setup,
    (False, 131, 2): _dec_sim_inject,
    (False, 131, 3): _dec_sim_step,
    (True, 131, 128): _dec_sim_truth,
    **{(True, 1, st): _dec_verif(st) for st in sorted(m.VERIFICATION_SUBTYPES)},
    **{(True, 5, sev): _dec_event(sev) for sev in (1, 2, 3, 4)},
}

_TM_MIN = m.TM_HEADER_LEN + m.CRC_LEN
_TC_MIN = m.TC_HEADER_LEN + m.CRC_LEN


def _parse(
    p: bytes, apid: int
) -> tuple[bool, int, tuple[bool, int, int], float | None, int, int, bytes]:
    """Check one packet's framing fields; (is_tm, seq, key, time_s, counter, ack, data)."""
    n = len(p)
    if n < _TC_MIN:
        raise _RejectError("bad_length")
    h0, h1, dlen = _PRIMARY.unpack_from(p)
    if dlen + 7 != n:
        raise _RejectError("bad_length")
    if crc_hqx(p, 0xFFFF):
        raise _RejectError("bad_crc")
    if h0 & 0xE800 != 0x0800 or h1 & 0xC000 != _PSC_UNSEGMENTED or p[6] & 0xF0 != _PUS_C:
        raise _RejectError("bad_header")
    is_tm = not h0 & 0x1000
    if is_tm:
        if n < _TM_MIN:
            raise _RejectError("bad_length")
        _, service, subtype, counter, _, pfield, days, ms = _TM_SEC.unpack_from(p, 6)
        if pfield != _CDS_PFIELD or ms >= _MS_PER_DAY:
            raise _RejectError("bad_header")
        time_s: float | None = (days * _MS_PER_DAY + ms) / 1000.0
        ack = 0
        data = p[m.TM_HEADER_LEN : n - 2]
    else:
        b6, service, subtype, _ = _TC_SEC.unpack_from(p, 6)
        time_s = None
        counter = 0
        ack = b6 & 0x0F
        data = p[m.TC_HEADER_LEN : n - 2]
    if h0 & 0x07FF != apid:
        raise _RejectError("wrong_apid")
    return is_tm, h1 & _SEQ_MASK, (is_tm, service, subtype), time_s, counter, ack, data


def decode_packet(packet: bytes, apid: int = APID) -> Packet:
    """Decode one space packet (no COBS). For tools and tests; the link uses
    :class:`StreamDecoder`. ``Housekeeping.frame.seq`` is the 16-bit counter.

    :raises ProtocolError: naming the reject counter the stream decoder would bump.
    """
    try:
        is_tm, seq, key, time_s, counter, ack, data = _parse(bytes(packet), apid)
        dec = _DECODERS.get(key)
        if dec is None:
            raise _RejectError("unknown_service")
        msg = dec(data, time_s or 0.0, counter)
    except _RejectError as r:
        raise ProtocolError(f"packet rejected: {r.args[0]}") from None
    except (struct.error, ValueError, IndexError) as exc:
        raise ProtocolError(f"packet rejected: bad_field ({exc})") from None
    return Packet(msg, is_tm, seq, time_s, counter, ack)


# ----------------------------------------------------------------------------- stream


@dataclass(slots=True)
class LinkCounters:
    """Link telemetry of one :class:`StreamDecoder` (all counts since creation)."""

    frames_ok: int = 0
    """Frames decoded into a message."""
    bad_cobs: int = 0
    """Frames that are not valid COBS."""
    bad_crc: int = 0
    """Packets whose CRC-16 check failed."""
    bad_length: int = 0
    """Packets too short, disagreeing with their length field, or with the wrong data size."""
    bad_header: int = 0
    """Packets with a wrong CCSDS version, flags, PUS version or time code."""
    wrong_apid: int = 0
    """Valid packets for another APID."""
    unknown_service: int = 0
    """Valid packets whose (type, service, subtype) the ICD does not define."""
    bad_field: int = 0
    """Packets whose data holds an impossible value (SID, enum code, text)."""
    oversize: int = 0
    """Frames longer than the maximum frame length (dropped while arriving)."""
    seq_gaps: int = 0
    """Packets whose sequence count did not follow the previous one from the same source."""
    bytes_ok: int = 0
    """Bytes of accepted frames, delimiters included."""
    bytes_discarded: int = 0
    """Bytes of rejected frames, lone delimiters and oversize debris."""

    REJECTS = (
        "bad_cobs",
        "bad_crc",
        "bad_length",
        "bad_header",
        "wrong_apid",
        "unknown_service",
        "bad_field",
        "oversize",
    )

    @property
    def rejects(self) -> int:
        """Frames rejected for any reason."""
        return (
            self.bad_cobs
            + self.bad_crc
            + self.bad_length
            + self.bad_header
            + self.wrong_apid
            + self.unknown_service
            + self.bad_field
            + self.oversize
        )

    def as_dict(self) -> dict[str, int]:
        """Counter name -> value, for result records and telemetry."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


class StreamDecoder:
    """Turns arbitrary chunks of received bytes into decoded packets.

    ``feed`` never raises on input bytes: damage ends up in :attr:`counters`.
    ``Housekeeping.frame.seq`` is unwrapped from the 16-bit message counter
    into a count that keeps increasing across wraps.

    :param max_frame_len: longest frame accepted, bytes including the delimiter.
    :param apid: APID to accept; packets for others count as ``wrong_apid``.
    """

    __slots__ = ("_apid", "_buf", "_hk_seq", "_last_seq", "_max_body", "_skipping", "counters")

    def __init__(self, max_frame_len: int = MAX_FRAME_LEN, apid: int = APID) -> None:
        self.counters = LinkCounters()
        self._apid = apid
        self._max_body = max_frame_len - 1
        self._buf = b""
        self._skipping = False
        self._last_seq: dict[bool, int] = {}
        self._hk_seq: int | None = None

    @property
    def pending(self) -> int:
        """Bytes buffered of a frame whose delimiter has not arrived yet."""
        return len(self._buf)

    def feed(self, chunk: bytes) -> list[Packet]:
        """Take any number of received bytes; return the packets they completed, in order."""
        out: list[Packet] = []
        c = self.counters
        if self._skipping:
            i = chunk.find(b"\x00")
            if i < 0:
                c.bytes_discarded += len(chunk)
                return out
            c.bytes_discarded += i + 1
            chunk = chunk[i + 1 :]
            self._skipping = False
        parts = (self._buf + chunk).split(b"\x00")
        tail = parts.pop()
        for part in parts:
            self._frame(part, out)
        if len(tail) > self._max_body:
            c.oversize += 1
            c.bytes_discarded += len(tail)
            tail = b""
            self._skipping = True
        self._buf = tail
        return out

    def _frame(self, part: bytes, out: list[Packet]) -> None:
        c = self.counters
        n = len(part) + 1
        if n == 1:
            c.bytes_discarded += 1
            return
        if n > self._max_body + 1:
            c.oversize += 1
            c.bytes_discarded += n
            return
        try:
            p = _cobs_decode(part)
        except _CobsDecodeError:
            c.bad_cobs += 1
            c.bytes_discarded += n
            return
        try:
            is_tm, seq, key, time_s, counter, ack, data = _parse(p, self._apid)
            last = self._last_seq.get(is_tm)
            gap = 0 if last is None else (seq - last - 1) & _SEQ_MASK
            self._last_seq[is_tm] = seq
            if gap:
                c.seq_gaps += 1
            dec = _DECODERS.get(key)
            if dec is None:
                raise _RejectError("unknown_service")
            msg: Message
            if dec is _dec_hk:
                h = self._hk_seq
                hk_seq = counter if h is None else h + ((counter - h) & _U16_MAX)
                msg = dec(data, time_s or 0.0, hk_seq)
                self._hk_seq = hk_seq
            else:
                msg = dec(data, time_s or 0.0, counter)
        except _RejectError as r:
            setattr(c, r.args[0], getattr(c, r.args[0]) + 1)
            c.bytes_discarded += n
            return
        except Exception:  # never raise on input bytes: count, carry on
            c.bad_field += 1
            c.bytes_discarded += n
            return
        c.frames_ok += 1
        c.bytes_ok += n
        out.append(_build_packet((msg, is_tm, seq, time_s, counter, ack, gap)))
