"""The virtual microcontroller validates everything it is sent and never raises.

Issue 15, point 3: a ``SimSetup`` with an angle of 1e241 killed it with a
traceback, a huge lateral speed divided by zero in the kernel, and NaN or
infinite initial conditions were acknowledged and then streamed NaN. Here:
each of those is answered 1,2 BAD_FIELD with the offending field's offset,
and a fuzz of valid-CRC commands with mutated application data raises
nothing, and leaves a device whose housekeeping is finite.
"""

from __future__ import annotations

import dataclasses
import math
from binascii import crc_hqx

import pytest
from cobs import cobs
from hypothesis import given, settings
from hypothesis import strategies as st

from controller.protocol import codec
from controller.protocol import messages as m
from controller.types import ActuatorCommand, InitialConditions, PlantFault
from sim_bridge.vmcu import VirtualMcu

SEQ = codec.SeqCounter()


def _verifications(dev: VirtualMcu, msg: m.Message) -> list[m.Verification]:
    out = codec.StreamDecoder().feed(dev.receive(codec.encode(msg, SEQ.next()), 0.0))
    return [p.msg for p in out if isinstance(p.msg, m.Verification)]


@pytest.mark.parametrize(
    ("initial", "offset"),
    [
        ({"angle_deg": (0.0, 1e241, 0.0)}, 64),
        ({"lateral_speed_m_s": (1e300, 0.0)}, 40),
        ({"distance_m": math.nan}, 8),
        ({"closing_speed_m_s": math.inf}, 16),
        ({"rate_deg_s": (0.0, 0.0, -math.inf)}, 96),
    ],
)
def test_bad_setup_fields_are_answered_bad_field(initial: dict[str, object], offset: int) -> None:
    dev = VirtualMcu()
    ic = dataclasses.replace(InitialConditions(), **initial)  # type: ignore[arg-type]
    verifs = _verifications(dev, m.SimSetup("cn-10t-100t", 1, ic))
    assert [(v.subtype, v.error_code, v.error_data) for v in verifs] == [
        (m.ST_VERIF_ACCEPT_FAIL, m.ErrorCode.BAD_FIELD, offset)
    ]


def test_good_setup_is_still_accepted() -> None:
    verifs = _verifications(VirtualMcu(), m.SimSetup("cn-10t-100t", 1, InitialConditions()))
    assert [v.subtype for v in verifs] == [1, 7]


@pytest.mark.parametrize(
    ("msg", "offset"),
    [
        (m.SimInject(PlantFault("hook_jam", 0, math.nan)), 3),
        (m.SimInject(PlantFault("hook_jam", 0, 1e12)), 3),
        (m.SimInject(PlantFault("hook_jam", 40, 0.0)), 1),
        (m.SimStep(60_000), 0),
    ],
)
def test_bad_inject_and_step_fields(msg: m.Message, offset: int) -> None:
    verifs = _verifications(VirtualMcu(), msg)
    assert [(v.error_code, v.error_data) for v in verifs] == [(m.ErrorCode.BAD_FIELD, offset)]


_TEMPLATES = [
    codec.encode_packet(msg, 1)
    for msg in (
        m.SimSetup("cn-10t-100t", 7, InitialConditions()),
        m.SimInject(PlantFault("hook_jam", 2, 0.5)),
        m.SimStep(3),
        m.ModeCommand(m.DeviceMode.ACTIVE),
        m.SetPoints(ActuatorCommand()),
        m.Ping(),
        m.HostHeartbeat(counter=3, mode=2),
    )
]
_HEADER = 11
"""CCSDS primary (6) and PUS-C TC secondary (5) header bytes: mutated past them."""


def _mutated(template: bytes, edits: list[tuple[int, int]]) -> bytes:
    body = bytearray(template[:-2])
    span = len(body) - _HEADER
    for pos, value in edits:
        if span > 0:
            body[_HEADER + pos % span] = value
    crc = crc_hqx(bytes(body), 0xFFFF)
    return cobs.encode(bytes(body) + crc.to_bytes(2, "big")) + b"\x00"


@settings(max_examples=1500)
@given(
    which=st.integers(0, len(_TEMPLATES) - 1),
    edits=st.lists(st.tuples(st.integers(0, 200), st.integers(0, 255)), min_size=1, max_size=12),
)
def test_mutated_commands_with_valid_crc_never_raise(
    which: int, edits: list[tuple[int, int]]
) -> None:
    dev = VirtualMcu()
    frame = _mutated(_TEMPLATES[which], edits)
    out = dev.receive(frame, 0.0)  # must not raise
    assert dev.internal_errors == 0  # and no command reached a bug behind the validation
    out += dev.receive(codec.encode(m.SimStep(1), SEQ.next()), 0.001)
    for p in codec.StreamDecoder().feed(out):
        if isinstance(p.msg, m.Housekeeping):
            f = p.msg.frame
            assert all(math.isfinite(v) for v in (*f.rel_pos_m, *f.rel_vel_m_s, f.axial_load_n))
