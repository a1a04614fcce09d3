"""Hypothesis strategies for the wire-protocol tests (no tests here).

``quantised_*`` strategies draw values that the wire carries exactly (every
fixed-point channel an integer count), so a round trip must give back an
equal object; ``raw_*`` strategies draw anything, NaN and infinities included.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from controller.protocol import housekeeping as hk
from controller.protocol import layouts
from controller.protocol import messages as m
from controller.types import ActuatorCommand, InitialConditions, PlantFault, SensorFrame, Truth

I16 = st.integers(-32767, 32767)
U8 = st.integers(0, 255)
U16 = st.integers(0, 0xFFFF)
U32 = st.integers(0, 0xFFFFFFFF)
SEQ = st.integers(0, m.SEQ_COUNT_MODULO - 1)
TIME_MS = st.integers(0, 3 * 86_400_000)
FINITE = st.floats(allow_nan=False, allow_infinity=False)


def _frame_from(values: list[Any], t_ms: int, seq: int, flags: tuple[int, int, int]) -> SensorFrame:
    """A frame whose analog fields take ``values`` in wire order (from HK_LAYOUT)."""
    f0, latches, pushrods = flags
    analog: dict[str, Any] = {}
    i = 0
    for name, count, _, _ in hk.HK_LAYOUT:
        analog[name] = values[i] if count == 1 else tuple(values[i : i + count])
        i += count
    return SensorFrame(
        t_s=t_ms / 1000.0,
        seq=seq,
        ring_ready_stop=bool(f0 & 1),
        ring_retracted=bool(f0 & 2),
        alignment=(bool(f0 & 4), bool(f0 & 8), bool(f0 & 16)),
        latch_captured=tuple(bool(latches >> i & 1) for i in range(6)),  # type: ignore[arg-type]
        interface_contact=(bool(f0 & 32), bool(f0 & 64), bool(f0 & 128)),
        pushrod_extended=tuple(bool(pushrods >> i & 1) for i in range(4)),  # type: ignore[arg-type]
        **analog,
    )


FLAGS = st.tuples(U8, st.integers(0, 63), st.integers(0, 15))


@st.composite
def quantised_frames(draw: st.DrawFn, max_seq: int = 0xFFFF) -> SensorFrame:
    counts = draw(st.lists(I16, min_size=hk.HK_CHANNELS, max_size=hk.HK_CHANNELS))
    values = [c / k for c, k in zip(counts, hk.HK_SCALES, strict=True)]
    return _frame_from(values, draw(TIME_MS), draw(st.integers(0, max_seq)), draw(FLAGS))


@st.composite
def raw_frames(draw: st.DrawFn) -> SensorFrame:
    values = draw(st.lists(st.floats(), min_size=hk.HK_CHANNELS, max_size=hk.HK_CHANNELS))
    return _frame_from(values, draw(TIME_MS), draw(U16), draw(FLAGS))


@st.composite
def quantised_commands(draw: st.DrawFn) -> ActuatorCommand:
    return ActuatorCommand(
        seq=draw(U32),
        damper_n_s_m=float(draw(U16)),
        brake_slip_n=float(draw(U16)),
        ring_speed_m_s=draw(I16) / layouts.SP_RING_SPEED_SCALE,
        ring_centring=draw(st.booleans()),
        latch_arm=draw(st.booleans()),
        latch_release=draw(st.booleans()),
        hook_motor_v=(draw(I16) / layouts.SP_HOOK_V_SCALE, draw(I16) / layouts.SP_HOOK_V_SCALE),
        seal_valve_open=draw(st.booleans()),
        tunnel_valve_open=draw(st.booleans()),
        pushrods_fire=draw(st.booleans()),
        tunnel_vent_open=draw(st.booleans()),
    )


@st.composite
def raw_commands(draw: st.DrawFn) -> ActuatorCommand:
    return ActuatorCommand(
        seq=draw(st.integers(0, 2**40)),
        damper_n_s_m=draw(st.floats()),
        brake_slip_n=draw(st.floats()),
        ring_speed_m_s=draw(st.floats()),
        hook_motor_v=(draw(st.floats()), draw(st.floats())),
        pushrods_fire=draw(st.booleans()),
        tunnel_vent_open=draw(st.booleans()),
    )


initial_conditions = st.builds(
    InitialConditions,
    distance_m=FINITE,
    closing_speed_m_s=FINITE,
    lateral_offset_m=st.tuples(FINITE, FINITE),
    lateral_speed_m_s=st.tuples(FINITE, FINITE),
    angle_deg=st.tuples(FINITE, FINITE, FINITE),
    rate_deg_s=st.tuples(FINITE, FINITE, FINITE),
)

_heartbeat_fields: dict[str, Any] = {
    "counter": U32,
    "mode": U8,
    "fault_bits": U32,
    "peer_age_ms": U16,
    "rx_ok": U16,
    "rx_rejects": U16,
}

_ascii_name = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=m.DEVICE_NAME_LEN
)
_preset = st.text(min_size=1, max_size=12).filter(
    lambda s: len(s.encode("utf-8")) <= m.PRESET_MAX_LEN
)

messages: st.SearchStrategy[m.Message] = st.one_of(
    st.just(m.Ping()),
    st.just(m.Pong()),
    st.just(m.HelloRequest()),
    st.builds(
        m.Hello,
        protocol_version=st.tuples(U8, U8),
        firmware_version=st.tuples(U8, U8, U8),
        petals=U8,
        latches=U8,
        hooks=U8,
        hook_sets=U8,
        pushrods=U8,
        capabilities=st.integers(0, 15),
        period_us=U32,
        device=_ascii_name,
    ),
    st.builds(m.Heartbeat, **_heartbeat_fields),
    st.builds(m.HostHeartbeat, **_heartbeat_fields),
    st.builds(m.Housekeeping, quantised_frames()),
    st.builds(m.SetPoints, quantised_commands()),
    st.builds(m.ModeCommand, U8),
    st.builds(m.Verification, st.sampled_from([1, 7]), SEQ),
    st.builds(m.Verification, st.sampled_from([2, 8]), SEQ, U16, U32),
    st.builds(m.EventReport, st.integers(1, 4), U16, U8, st.integers(-(2**31), 2**31 - 1)),
    st.builds(m.SimSetup, _preset, st.integers(0, 2**64 - 1), initial_conditions),
    st.builds(
        m.SimInject,
        st.builds(PlantFault, st.sampled_from(m.PLANT_FAULT_CODES), U8, FINITE),
        st.booleans(),
    ),
    st.builds(m.SimStep, st.integers(1, 0xFFFF)),
    st.builds(
        m.SimTruth,
        st.builds(
            Truth,
            FINITE,
            FINITE,
            FINITE,
            FINITE,
            FINITE,
            FINITE,
            FINITE,
            FINITE,
            st.booleans(),
        ),
    ),
)
"""Every message type, with values the wire carries exactly."""

# every message class must be drawable above (checked by a test)
ALL_MESSAGE_TYPES = (*m.TM_MESSAGES, *m.TC_MESSAGES)
