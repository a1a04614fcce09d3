"""Housekeeping payload (PUS 3,25, SID 1): the channel table and what is generated from it.

Theory of operation
===================

A :class:`~controller.types.SensorFrame` travels as the SID byte, three flag
bytes (twelve booleans, ``docs/icd.md`` 4.3) and 56 int16 analog channels.
The channels' order, scale and unit are written once, in :data:`HK_LAYOUT`.
Everything else is derived from it at import time: the scale vector
:data:`HK_SCALES`, the record's ``struct.Struct``, the attribute reader of
the encoder (:func:`_compile_reader`) and the field mapping of the decoder
(:func:`_hk_field_order`), so adding or moving a channel is one line here
(and one row of the ICD table, which a test compares with this one).

Encoding multiplies by the scale vector and rounds in C (``map``); only a
frame holding NaN, an infinity or an out-of-range value takes the per-channel
saturating path. Decoding divides by the same vector and builds the frame
with :func:`~controller.protocol.fields.fast_builder`: this is the per-cycle
path of the host, so both directions avoid per-channel Python code.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable, Iterable
from dataclasses import fields
from operator import itemgetter, mul, truediv
from typing import Any

from controller.errors import ProtocolError
from controller.protocol.fields import I16_MAX, RejectError, fast_builder, sat
from controller.protocol.messages import HK_SID_SENSOR_FRAME, Housekeeping
from controller.types import N_HOOK_SETS, N_HOOKS, SensorFrame

HK_NAN = -32768
"""An int16 housekeeping channel holding this value means "not available" (NaN)."""

HK_LAYOUT: tuple[tuple[str, int, float, str], ...] = (
    # (SensorFrame field, channels, counts per unit, wire unit): a data table, so its
    # rows are alike by design (the duplicates tool pairs them; nothing to factor out)
    ("bus_voltage_v", 1, 500.0, "2 mV"),
    ("rel_pos_m", 3, 10_000.0, "0.1 mm"),
    ("rel_vel_m_s", 3, 50_000.0, "20 um/s"),
    ("rel_angle_rad", 3, 10_000.0, "0.1 mrad"),
    ("rel_rate_rad_s", 3, 100_000.0, "10 urad/s"),
    ("ring_extension_m", 1, 50_000.0, "20 um"),
    ("ring_extension_b_m", 1, 50_000.0, "20 um"),
    ("ring_speed_m_s", 1, 50_000.0, "20 um/s"),
    ("ring_lateral_m", 2, 100_000.0, "10 um"),
    ("ring_tilt_rad", 2, 10_000.0, "0.1 mrad"),
    ("axial_load_n", 1, 0.5, "2 N"),
    ("lateral_load_n", 1, 0.5, "2 N"),
    ("drive_current_a", 1, 1_000.0, "1 mA"),
    ("hook_pos", N_HOOKS, 10_000.0, "1e-4 of stroke"),
    ("hook_load_n", N_HOOKS, 0.5, "2 N"),
    ("hook_motor_current_a", N_HOOK_SETS, 1_000.0, "1 mA"),
    ("hook_motor_speed_rad_s", N_HOOK_SETS, 20.0, "0.05 rad/s"),
    ("cable_tension_n", N_HOOK_SETS, 0.25, "4 N"),
    ("seal_cavity_pressure_pa", 1, 0.2, "5 Pa"),
    ("seal_cavity_pressure_b_pa", 1, 0.2, "5 Pa"),
    ("tunnel_pressure_pa", 1, 0.2, "5 Pa"),
)
"""The int16 channels of the housekeeping frame, in wire order: the only place
that order is written. A field with one channel is a float, one with more a tuple.

Channel value = round(SI value * counts per unit), saturated to +-32767;
NaN is sent as :data:`HK_NAN`. Decoding divides by counts per unit.
"""

HK_CHANNELS = sum(n for _, n, _, _ in HK_LAYOUT)
HK_SCALES: tuple[float, ...] = tuple(k for _, n, k, _ in HK_LAYOUT for _ in range(n))
"""Counts per SI unit of every channel, in wire order."""
HK_RECORD = struct.Struct(f">BBBB{HK_CHANNELS}h")
"""SID, three flag bytes, the channels: the source data of a 3,25 report."""

HK_FLAG_FIELDS = (
    "ring_ready_stop",
    "ring_retracted",
    "alignment",
    "interface_contact",
    "latch_captured",
    "pushrod_extended",
)
"""The boolean SensorFrame fields, carried as bits in three flag bytes."""

_round = float.__round__


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
_BITS = {_bools(v, n): v for n in (3, 4, 6) for v in range(1 << n)}
"""``_bits`` of every tuple of 3, 4 or 6 booleans: one dict look-up instead of a loop."""


def _compile_reader(
    layout: Iterable[tuple[str, int, float, str]],
) -> Callable[[Any], tuple[Any, ...]]:
    """``lambda f: (f.a, *f.b, ...)`` over the table's fields, compiled once.

    Why generated source: reading the 21 fields and flattening their tuples
    takes about 1 us written out, and 4-5 us with ``attrgetter`` plus a
    flattening loop (measured here, 2026-12), a fifth of the whole
    housekeeping encoder. ``dataclasses`` builds its methods the same way; the
    names come from the table and are checked to be identifiers.
    """
    parts = []
    for name, count, _, _ in layout:
        if not name.isidentifier():
            raise ValueError(f"HK_LAYOUT field {name!r} is not an identifier")
        parts.append(f"*f.{name}" if count > 1 else f"f.{name}")
    reader: Callable[[Any], tuple[Any, ...]] = eval(f"lambda f: ({', '.join(parts)},)")
    return reader


_hk_read_analog = _compile_reader(HK_LAYOUT)


def analog_values(frame: SensorFrame) -> tuple[float, ...]:
    """The frame's analog channels in wire order, SI units (before fixed point)."""
    return _hk_read_analog(frame)


def _hk_channels(f: SensorFrame) -> list[int]:
    vals = _hk_read_analog(f)
    if len(vals) != HK_CHANNELS:
        raise ProtocolError(
            f"SensorFrame has {len(vals)} analog channels, the ICD has {HK_CHANNELS}: "
            "check the lengths of hook_pos and hook_load_n (12 each)"
        )
    try:
        # float.__round__ skips the builtin's dispatch (the products are always floats)
        ints = list(map(_round, map(mul, vals, HK_SCALES)))
        if max(ints) <= I16_MAX and min(ints) >= -I16_MAX:
            return ints
    except (ValueError, OverflowError):  # NaN or inf somewhere: take the slow path
        pass
    return [sat(v, k, -I16_MAX, I16_MAX, HK_NAN) for v, k in zip(vals, HK_SCALES, strict=True)]


def hk_values(h: Housekeeping) -> list[int]:
    """The record's values in wire order: SID, three flag bytes, the channels (counts)."""
    f = h.frame
    try:
        bits = _BITS
        alignment, contact = bits[f.alignment], bits[f.interface_contact]
        latches, pushrods = bits[f.latch_captured], bits[f.pushrod_extended]
    except (KeyError, TypeError):  # not plain booleans: every truthy value is a 1
        alignment, contact = _bits(f.alignment), _bits(f.interface_contact)
        latches, pushrods = _bits(f.latch_captured), _bits(f.pushrod_extended)
    f0 = (
        (1 if f.ring_ready_stop else 0)
        | (2 if f.ring_retracted else 0)
        | alignment << 2
        | contact << 5
    )
    out = [HK_SID_SENSOR_FRAME, f0, latches, pushrods]
    out += _hk_channels(f)
    return out


def _hk_field_order() -> itemgetter[Any]:
    """Picks SensorFrame's fields, in declaration order, out of ``head + channels``.

    ``head`` is what the decoder knows besides the channels (time stamp,
    counter, the six boolean fields); the channel slices come from
    :data:`HK_LAYOUT`. One C-level ``itemgetter`` replaces writing the
    field order out a second time.
    """
    where: dict[str, int | slice] = {name: i for i, name in enumerate(_HK_HEAD)}
    start = len(_HK_HEAD)
    for name, count, _, _ in HK_LAYOUT:
        where[name] = start if count == 1 else slice(start, start + count)
        start += count
    missing = [f.name for f in fields(SensorFrame) if f.name not in where]
    if missing:
        raise ValueError(f"SensorFrame fields {missing} are not in HK_LAYOUT or the flags")
    return itemgetter(*(where[f.name] for f in fields(SensorFrame)))


_HK_HEAD = ("t_s", "seq", *HK_FLAG_FIELDS)
"""What :func:`decode_housekeeping` puts in front of the channels, in this order."""
_hk_order = _hk_field_order()
_build_frame = fast_builder(SensorFrame)


def decode_housekeeping(data: bytes, time_s: float, seq: int) -> Housekeeping:
    """Source data of a 3,25 report -> Housekeeping; ``seq`` becomes ``frame.seq``.

    The stream decoder passes the unwrapped sample count as ``seq`` (it
    recognises this decoder by identity); :func:`decode_packet` passes the
    16-bit message counter.
    """
    if len(data) != HK_RECORD.size:
        raise RejectError("bad_length")
    v = HK_RECORD.unpack(data)
    if v[0] != HK_SID_SENSOR_FRAME:
        raise RejectError("bad_field")
    ch = v[4:]
    if HK_NAN in ch:
        x: Iterable[float] = (
            math.nan if c == HK_NAN else c / k for c, k in zip(ch, HK_SCALES, strict=True)
        )
    else:
        x = map(truediv, ch, HK_SCALES)
    ready, retracted, alignment, contact = _F0_TABLE[v[1]]
    return Housekeeping(
        _build_frame(
            _hk_order(
                (
                    time_s,
                    seq,
                    ready,
                    retracted,
                    alignment,
                    contact,
                    _LATCH_TABLE[v[2] & 0x3F],
                    _PUSHROD_TABLE[v[3] & 0x0F],
                    *x,
                )
            )
        )
    )
