"""Round trips of every message, fixed-point behaviour, and identity with spacepackets."""

from __future__ import annotations

import ast
import dataclasses
import math
import re
import struct
from dataclasses import astuple
from pathlib import Path

import pytest
from cobs import cobs
from hypothesis import find, given, settings
from hypothesis import strategies as st
from spacepackets.ccsds.time import CdsShortTimestamp
from spacepackets.ecss import PusTc, PusTm
from test_protocol_strategies import (
    ALL_MESSAGE_TYPES,
    SEQ,
    TIME_MS,
    messages,
    quantised_commands,
    quantised_frames,
    raw_commands,
    raw_frames,
)

from controller.errors import ProtocolError
from controller.protocol import (
    APID,
    MAX_FRAME_LEN,
    Heartbeat,
    Housekeeping,
    Ping,
    Pong,
    SeqCounter,
    SetPoints,
    StreamDecoder,
    decode_packet,
    encode,
    encode_packet,
    layouts,
)
from controller.protocol import housekeeping as hk
from controller.protocol import messages as m
from controller.protocol.codec import HK_PACKET_LEN
from controller.protocol.messages import Packet
from controller.types import SAFE_COMMAND, ActuatorCommand, SensorFrame, Truth

ICD = Path(__file__).resolve().parents[2] / "docs" / "icd.md"


def pus_subtype(p: PusTc | PusTm) -> int:
    """The PUS subtype under either spacepackets name (``subservice`` up to 0.28)."""
    sub = getattr(p, "message_subtype", None)
    return int(sub if sub is not None else p.subservice)


def _expected_time(msg: m.Message, time_ms: int) -> float | None:
    if not msg.IS_TM:
        return None
    if isinstance(msg, Housekeeping):
        return msg.frame.t_s
    return time_ms / 1000.0


# --------------------------------------------------------------------------- round trips


@settings(max_examples=400)
@given(msg=messages, seq=SEQ, time_ms=TIME_MS)
def test_every_message_round_trips_through_a_frame(msg: m.Message, seq: int, time_ms: int) -> None:
    frame = encode(msg, seq, time_ms / 1000.0)
    assert frame.endswith(b"\x00")
    assert b"\x00" not in frame[:-1]
    assert len(frame) <= MAX_FRAME_LEN
    dec = StreamDecoder()
    [packet] = dec.feed(frame)
    assert packet.msg == msg
    assert packet.seq_count == seq
    assert packet.is_tm == msg.IS_TM
    assert packet.time_s == _expected_time(msg, time_ms)
    if not msg.IS_TM:
        assert packet.ack_flags == msg.DEFAULT_ACK
    assert dec.counters.frames_ok == 1
    assert dec.counters.rejects == 0
    assert dec.counters.bytes_ok == len(frame)


@pytest.mark.parametrize("cls", ALL_MESSAGE_TYPES, ids=lambda c: c.__name__)
def test_strategies_cover_every_message_type(cls: type) -> None:
    assert isinstance(find(messages, lambda msg: isinstance(msg, cls)), cls)


@given(frame=quantised_frames())
def test_housekeeping_decodes_to_an_equal_sensor_frame(frame: SensorFrame) -> None:
    packet = decode_packet(encode_packet(Housekeeping(frame), 1))
    assert isinstance(packet.msg, Housekeeping)
    got = packet.msg.frame
    assert got == frame
    assert packet.msg_counter == frame.seq
    # the fast constructor builds the same object the dataclass would
    assert got == SensorFrame(**got.as_dict())
    assert all(type(v) is type(getattr(frame, k)) for k, v in got.as_dict().items())


@given(frame=raw_frames())
def test_any_float_encodes_saturated_or_as_nan(frame: SensorFrame) -> None:
    packet = decode_packet(encode_packet(Housekeeping(frame), 1))
    assert isinstance(packet.msg, Housekeeping)
    got = packet.msg.frame
    for name, count, scale, _ in hk.HK_LAYOUT:
        sent = getattr(frame, name)
        back = getattr(got, name)
        sent_t = sent if count > 1 else (sent,)
        back_t = back if count > 1 else (back,)
        limit = 32767 / scale
        for s, b in zip(sent_t, back_t, strict=True):
            if math.isnan(s):
                assert math.isnan(b)
            else:
                expected = min(max(s, -limit), limit)
                assert abs(b - expected) <= 0.5 / scale + 1e-12 * abs(expected), name


def test_housekeeping_size_and_layout() -> None:
    assert HK_PACKET_LEN == 138
    assert hk.HK_CHANNELS == 56
    # every float field of SensorFrame is in the layout, in declaration order
    float_fields = [
        f.name
        for f in dataclasses.fields(SensorFrame)
        if f.name not in ("t_s", "seq") and f.name not in hk.HK_FLAG_FIELDS
    ]
    assert [name for name, *_ in hk.HK_LAYOUT] == float_fields
    bool_fields = [f.name for f in dataclasses.fields(SensorFrame) if "bool" in str(f.type)]
    assert sorted(bool_fields) == sorted(hk.HK_FLAG_FIELDS)


def test_housekeeping_nan_sentinel_on_the_wire() -> None:
    frame = _nominal_frame()
    nan_frame = dataclasses.replace(frame, axial_load_n=math.nan)
    packet = encode_packet(Housekeeping(nan_frame), 0)
    offset = m.TM_HEADER_LEN + 4 + 2 * 20  # axial_load_n is channel 20
    assert struct.unpack_from(">h", packet, offset)[0] == hk.HK_NAN
    got = decode_packet(packet).msg
    assert isinstance(got, Housekeeping)
    assert math.isnan(got.frame.axial_load_n)


def test_housekeeping_saturates_instead_of_wrapping() -> None:
    frame = dataclasses.replace(_nominal_frame(), axial_load_n=1e9, lateral_load_n=-math.inf)
    got = decode_packet(encode_packet(Housekeeping(frame), 0)).msg
    assert isinstance(got, Housekeeping)
    assert got.frame.axial_load_n == 65534.0
    assert got.frame.lateral_load_n == -65534.0


def test_housekeeping_rejects_wrong_tuple_length() -> None:
    frame = dataclasses.replace(_nominal_frame(), hook_pos=(0.0,) * 11)
    with pytest.raises(ProtocolError, match="hook_pos"):
        encode(Housekeeping(frame), 0)


@given(cmd=quantised_commands())
def test_set_points_round_trip_exactly(cmd: ActuatorCommand) -> None:
    got = decode_packet(encode_packet(SetPoints(cmd), 3)).msg
    assert got == SetPoints(cmd)


@given(cmd=raw_commands())
def test_set_points_saturate_and_nan_means_safe(cmd: ActuatorCommand) -> None:
    got = decode_packet(encode_packet(SetPoints(cmd), 3)).msg
    assert isinstance(got, SetPoints)
    c = got.cmd
    assert c.seq == cmd.seq & 0xFFFFFFFF
    for name in ("damper_n_s_m", "brake_slip_n"):
        sent, back = getattr(cmd, name), getattr(c, name)
        if math.isnan(sent):
            assert back == getattr(SAFE_COMMAND, name)
        else:
            assert 0.0 <= back <= 65535.0
            assert abs(back - min(max(sent, 0.0), 65535.0)) <= 0.5
    if math.isnan(cmd.ring_speed_m_s):
        assert c.ring_speed_m_s == 0.0
    assert abs(c.ring_speed_m_s) <= 0.32767


def test_safe_command_is_what_the_default_set_points_decode_to() -> None:
    got = decode_packet(encode_packet(SetPoints(), 0)).msg
    assert got == SetPoints(SAFE_COMMAND)


def test_time_stamp_resolution_and_clamping() -> None:
    for t, expected in ((1.2344, 1.234), (1.2346, 1.235), (-5.0, 0.0), (math.nan, 0.0)):
        packet = decode_packet(encode_packet(Pong(), 0, t))
        assert packet.time_s == expected
    # past the 16-bit day counter the stamp clamps to the last ms of day 65535
    late = decode_packet(encode_packet(Pong(), 0, 1e12)).time_s
    assert late == (65535 * 86_400_000 + 86_399_999) / 1000.0


def test_sequence_count_wraps_at_14_bits() -> None:
    assert decode_packet(encode_packet(Ping(), 16384 + 5)).seq_count == 5
    counter = SeqCounter(16383)
    assert [counter.next() for _ in range(3)] == [16383, 0, 1]


def test_encoder_rejects_unrepresentable_messages() -> None:
    with pytest.raises(ProtocolError):
        encode(m.SimSetup(preset="x" * 33, seed=1), 0)
    with pytest.raises(ProtocolError):
        encode(m.SimInject(m.PlantFault("gremlins")), 0)
    with pytest.raises(ProtocolError):
        encode(m.SimStep(0), 0)
    with pytest.raises(ProtocolError):
        encode(m.Verification(3, 0), 0)
    with pytest.raises(ProtocolError):
        encode(m.EventReport(5, 1), 0)


# --------------------------------------------------------------------------- spacepackets


@settings(max_examples=300)
@given(msg=messages, seq=SEQ, time_ms=TIME_MS)
def test_fast_path_is_byte_identical_to_spacepackets(
    msg: m.Message, seq: int, time_ms: int
) -> None:
    fast = encode_packet(msg, seq, time_ms / 1000.0)
    ref = encode_packet(msg, seq, time_ms / 1000.0, reference=True)
    assert fast == ref


@settings(max_examples=300)
@given(msg=messages, seq=SEQ, time_ms=TIME_MS)
def test_spacepackets_unpacks_every_packet(msg: m.Message, seq: int, time_ms: int) -> None:
    raw = encode_packet(msg, seq, time_ms / 1000.0)
    if msg.IS_TM:
        tm = PusTm.unpack(raw, timestamp_len=7)  # verifies the CRC
        assert (tm.apid, tm.seq_count) == (APID, seq)
        assert tm.service == msg.SERVICE
        stamp = CdsShortTimestamp.unpack(tm.timestamp)
        t = _expected_time(msg, time_ms)
        assert t is not None
        assert stamp.ccsds_days * 86_400_000 + stamp.ms_of_day == round(t * 1000)
        assert tm.source_data == raw[m.TM_HEADER_LEN : -2]
    else:
        tc = PusTc.unpack(raw)  # verifies the CRC
        assert (tc.apid, tc.seq_count) == (APID, seq)
        assert (tc.service, pus_subtype(tc)) == (msg.SERVICE, msg.SUBTYPE)
        assert tc.app_data == raw[m.TC_HEADER_LEN : -2]


def test_ping_built_with_spacepackets_alone_is_a_ping() -> None:
    raw = PusTc(17, 1, apid=0x0D1, seq_count=42).pack()
    [packet] = StreamDecoder().feed(cobs.encode(bytes(raw)) + b"\x00")
    # ack flags 0b1111: spacepackets' default asks for every verification report
    assert packet == Packet(Ping(), is_tm=False, seq_count=42, ack_flags=0b1111)


def test_pong_built_with_spacepackets_alone_is_a_pong() -> None:
    stamp = CdsShortTimestamp(ccsds_days=1, ms_of_day=1234, init_dt_unix_stamp=False).pack()
    raw = PusTm(17, 2, apid=0x0D1, seq_count=7, timestamp=stamp).pack()
    [packet] = StreamDecoder().feed(cobs.encode(bytes(raw)) + b"\x00")
    assert packet.msg == Pong()
    assert packet.time_s == 86_401.234


def test_heartbeat_known_bytes() -> None:
    """A golden vector, so that a device developer can check an implementation."""
    raw = encode_packet(Heartbeat(counter=1, mode=2, fault_bits=0, peer_age_ms=3), 5, 1.5)
    assert (
        raw.hex()
        == (
            "08d1c005001e"  # TM, APID 0x0D1, unsegmented, seq 5, data length 37 - 7 = 30
            "201180"
            "0000"
            "0000"  # PUS-C, service 17, subtype 128, counter 0, destination 0
            "40"
            "0000"
            "000005dc"  # CDS short: 0 days, 1500 ms
            "00000001"
            "02"
            "00000000"
            "0003"
            "0000"
            "0000"  # heartbeat fields
            + raw[-2:].hex()
        )
    )
    assert int.from_bytes(raw[-2:], "big") == _crc_ccitt_false(raw[:-2])


def _crc_ccitt_false(data: bytes) -> int:
    """Bitwise CRC-16/CCITT-FALSE, written out as an independent oracle."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


# --------------------------------------------------------------------------- the ICD


def test_icd_size_table_matches_the_codec() -> None:
    """Every row of the ICD's size table names a message and its sizes; check them all."""
    examples: dict[str, m.Message] = {
        "Ping": Ping(),
        "Pong": Pong(),
        "HelloRequest": m.HelloRequest(),
        "Hello": m.Hello(),
        "Heartbeat": Heartbeat(),
        "HostHeartbeat": m.HostHeartbeat(),
        "Housekeeping": Housekeeping(_nominal_frame()),
        "SetPoints": SetPoints(),
        "ModeCommand": m.ModeCommand(),
        "Verification (1,1 / 1,7)": m.Verification(1, 0),
        "Verification (1,2 / 1,8)": m.Verification(2, 0, 1, 0),
        "EventReport": m.EventReport(1, 1),
        "SimSetup": m.SimSetup("cn-10t-100t", 1),
        "SimInject": m.SimInject(m.PlantFault("hook_jam")),
        "SimStep": m.SimStep(),
        "SimTruth": m.SimTruth(Truth(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, False)),
    }
    rows = re.findall(r"^\| `([^`]+)` \|[^|]*\|[^|]*\| (\d+) \| (\d+) \|", ICD.read_text(), re.M)
    table = {name: (int(p), int(w)) for name, p, w in rows}
    assert set(table) == set(examples)
    for name, msg in examples.items():
        packet = encode_packet(msg, 0)
        frame = encode(msg, 0)
        if isinstance(msg, m.SimSetup):  # variable: the table gives the maximum
            packet_len = len(packet) - len(msg.preset) + m.PRESET_MAX_LEN
            assert table[name] == (packet_len, packet_len + 2)
        else:
            assert table[name] == (len(packet), len(frame)), name


def test_icd_channel_table_is_the_layout_table() -> None:
    """The ICD's housekeeping channel table says what HK_LAYOUT says, row by row."""
    rows = re.findall(
        r"^\| (\d+) \| (\d+) \| (\d+) \| `(\w+)(?:\[\d+\])?` \| ([^|]+?) \|", ICD.read_text(), re.M
    )
    expected = [
        (str(ch), str(4 + 2 * ch), str(24 + 2 * ch), name, unit)
        for ch, (name, unit) in enumerate(
            (name, unit) for name, count, _, unit in hk.HK_LAYOUT for _ in range(count)
        )
    ]
    assert rows == expected


# --------------------------------------------------------------------------- the ICD's test vector


def _icd_vector(text: str) -> tuple[SensorFrame, int, bytes, bytes]:
    """docs/icd.md's housekeeping test vector: (frame, sequence count, packet, wire bytes)."""
    section = text.split("### Housekeeping test vector", 1)[1].split("\n## ", 1)[0]
    values = {
        name: math.nan if literal == "NaN" else ast.literal_eval(literal)
        for name, literal in re.findall(r"^\| `(\w+)` \| `([^`]+)` \|$", section, re.M)
    }
    [seq] = re.findall(r"sequence count \*\*(\d+)\*\*", section)
    packet_hex, wire_hex = re.findall(r"```text\n(.*?)```", section, re.S)
    return SensorFrame(**values), int(seq), bytes.fromhex(packet_hex), bytes.fromhex(wire_hex)


def _same(a: object, b: object) -> bool:
    """Equality that counts NaN equal to NaN, inside tuples too."""
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    return a == b


def _check_icd_encoding(text: str) -> None:
    frame, seq, packet, wire = _icd_vector(text)
    msg = Housekeeping(frame)
    assert encode_packet(msg, seq).hex(" ") == packet.hex(" ")
    assert encode_packet(msg, seq, reference=True) == packet
    assert encode(msg, seq).hex(" ") == wire.hex(" ")


def _check_icd_decoding(text: str) -> None:
    frame, seq, packet, wire = _icd_vector(text)
    [got] = StreamDecoder().feed(wire)
    assert (got.seq_count, got.time_s, got.msg_counter) == (seq, frame.t_s, frame.seq)
    assert isinstance(got.msg, Housekeeping)
    for name, value in got.msg.frame.as_dict().items():
        assert _same(value, getattr(frame, name)), name
    from_packet = decode_packet(packet)
    assert isinstance(from_packet.msg, Housekeeping)
    assert from_packet.seq_count == got.seq_count
    assert _same(astuple(from_packet.msg.frame), astuple(got.msg.frame))


def test_icd_housekeeping_vector_encodes_to_the_documented_bytes() -> None:
    """The values in docs/icd.md encode to its packet and wire hex."""
    frame, _, packet, wire = _icd_vector(ICD.read_text())
    assert (len(packet), len(wire)) == (HK_PACKET_LEN, HK_PACKET_LEN + 2)
    assert math.isnan(frame.tunnel_pressure_pa)  # the vector shows the NaN sentinel
    _check_icd_encoding(ICD.read_text())


def test_icd_housekeeping_vector_decodes_to_the_documented_values() -> None:
    """The wire hex in docs/icd.md decodes to its values (NaN for the failed sensor)."""
    _check_icd_decoding(ICD.read_text())


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("08 d1 c0 2a 00 83\n", "08 d1 c0 2b 00 83\n"),  # sequence count in the packet
        ("36 e2 09 c4", "36 e3 09 c4"),  # one channel, in the packet and on the wire
        ("\n19 53\n", "\n19 54\n"),  # the CRC
        ("b8 0b d1 4f 29 4f 28 80 03 19 53 00", "b8 0b d1 4f 29 4f 28 80 03 19 53 01"),  # delimiter
        ("| `bus_voltage_v` | `28.1` |", "| `bus_voltage_v` | `28.102` |"),  # one value
    ],
)
def test_icd_vector_checks_detect_a_one_byte_change(old: str, new: str) -> None:
    """A changed byte (or value) in the document fails the encoding check."""
    text = ICD.read_text()
    assert text.count(old) >= 1
    with pytest.raises(AssertionError):
        _check_icd_encoding(text.replace(old, new))


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("4f 28 80 03 19 53 00", "4f 28 80 03 19 53 01"),  # wire: the delimiter
        ("05 08 d1 c0 2a 07 83", "05 08 d1 c0 2a 07 84"),  # wire: data length (bad_length)
        ("4f 29 4f 28 80 03", "4f 2a 4f 28 80 03"),  # wire: a channel (bad_crc)
        ("| `ring_retracted` | `True` |", "| `ring_retracted` | `False` |"),  # one value
    ],
)
def test_icd_vector_decoding_check_detects_a_one_byte_change(old: str, new: str) -> None:
    """A changed wire byte (or value) in the document fails the decoding check."""
    text = ICD.read_text()
    assert text.count(old) == 1
    with pytest.raises((AssertionError, ValueError)):
        _check_icd_decoding(text.replace(old, new))


def _nominal_frame() -> SensorFrame:
    return SensorFrame(
        t_s=12.345,
        seq=7,
        bus_voltage_v=28.0,
        rel_pos_m=(0.3, 0.01, -0.02),
        rel_vel_m_s=(-0.1, 0.0, 0.001),
        rel_angle_rad=(0.0, 0.03, 0.01),
        rel_rate_rad_s=(0.0, 0.0, 0.0),
        ring_extension_m=0.4,
        ring_extension_b_m=0.4,
        ring_speed_m_s=0.0,
        ring_lateral_m=(0.0, 0.0),
        ring_tilt_rad=(0.0, 0.0),
        axial_load_n=1234.0,
        lateral_load_n=200.0,
        ring_ready_stop=True,
        ring_retracted=False,
        alignment=(True, False, True),
        latch_captured=(True, True, True, True, True, True),
        interface_contact=(False, False, False),
        drive_current_a=1.5,
        hook_pos=tuple(i / 12 for i in range(12)),
        hook_load_n=(20000.0,) * 12,
        hook_motor_current_a=(0.5, 0.5),
        hook_motor_speed_rad_s=(100.0, 100.0),
        cable_tension_n=(30000.0, 30000.0),
        seal_cavity_pressure_pa=101325.0,
        seal_cavity_pressure_b_pa=101320.0,
        tunnel_pressure_pa=0.0,
        pushrod_extended=(False, True, False, False),
    )


@pytest.mark.parametrize("chunk", [1, 7, 64, 10_000])
def test_chunking_does_not_matter(chunk: int) -> None:
    frames = [
        encode(Housekeeping(dataclasses.replace(_nominal_frame(), seq=i)), i) for i in range(50)
    ]
    stream = b"".join(frames)
    dec = StreamDecoder()
    out = []
    for i in range(0, len(stream), chunk):
        out += dec.feed(stream[i : i + chunk])
    assert [p.seq_count for p in out] == list(range(50))
    assert dec.counters.seq_gaps == 0
    assert dec.counters.rejects == 0


# --------------------------------------------------------------------------- clause ids


def test_every_icd_clause_has_a_check_and_conform_rows_are_clauses() -> None:
    """Clause ids (bold in docs/icd.md) and the conformance table (section 9) agree,
    and every row of ``dockhil conform`` is a device clause the ICD defines."""
    from hil.conform import CLAUSES

    text = ICD.read_text()
    body, table = text.split("## 9. Conformance", 1)
    defined = set(re.findall(r"\*\*((?:DEV|HOST|LINK|SIM)-[A-Z]+-\d+)\*\*", body))
    listed = set()
    for first, rest in re.findall(
        r"^\| ((?:DEV|HOST|LINK|SIM)-[^|]+?) \| ([^|]+) \|$", table, re.M
    ):
        listed.update(x.strip() for x in first.split(","))
        assert rest.strip(), first
    assert defined == listed, (sorted(defined - listed), sorted(listed - defined))
    rows = {c.clause for c in CLAUSES}
    assert rows <= defined, sorted(rows - defined)
    cited = set(re.findall(r"conform ((?:DEV|SIM)-[A-Z]+-\d+)", table))
    cited |= {
        x
        for line in re.findall(r"conform ([^|]+)", table)
        for x in re.findall(r"(?:DEV|SIM)-[A-Z]+-\d+", line)
    }
    assert cited <= rows, sorted(cited - rows)


_FLAG_VALUES = st.one_of(st.booleans(), st.integers(0, 2))


@given(
    raw_commands(),
    st.fixed_dictionaries(dict.fromkeys(layouts.SP_FLAGS, _FLAG_VALUES)),
)
def test_wire_command_is_the_set_point_round_trip(
    cmd: ActuatorCommand, flags: dict[str, object]
) -> None:
    """``wire_command`` (sim://'s per-cycle fast path) gives what encoding the set-points
    and decoding them gives, value for value and type for type."""
    cmd = dataclasses.replace(cmd, **flags)
    sp = m.SetPoints(cmd)
    slow = layouts._sp_message(layouts._sp_values(sp)).cmd
    fast = layouts.wire_command(cmd)
    assert fast == slow
    assert [type(v) for v in astuple(fast)] == [type(v) for v in astuple(slow)]
    assert fast.hook_motor_v == slow.hook_motor_v


@dataclasses.dataclass(frozen=True, slots=True)
class _Base:
    a: float


@dataclasses.dataclass(frozen=True, slots=True)
class _Derived(_Base):
    b: tuple[int, ...]


@pytest.mark.parametrize("cls", [SensorFrame, ActuatorCommand, Truth, Packet, _Derived])
def test_fast_builder_makes_the_object_the_constructor_makes(cls: type) -> None:
    """Every path of ``fast_builder`` (twin class, C setattr, constructor) gives an object of
    the class itself, equal to the constructor's, frozen, and pickled like it."""
    import pickle

    from controller.protocol.fields import fast_builder

    names = [f.name for f in dataclasses.fields(cls)]
    values = tuple(float(i) if i % 2 else (i, -i) for i in range(len(names)))
    if cls is Truth:
        values = (*values[:-1], {"thrust_n": 1.5})
    built = fast_builder(cls)(values)
    made = cls(*values)
    assert type(built) is cls
    assert built == made
    assert [getattr(built, n) for n in names] == list(values)
    assert pickle.loads(pickle.dumps(built)) == made
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(built, names[0], 0.0)


def test_fast_constructor_makes_what_the_constructor_makes() -> None:
    """``fast_constructor`` takes the constructor's parameters and defaults and gives an
    equal, frozen object of the class; a class it cannot do (a default factory) is itself."""
    from controller.protocol.fields import fast_constructor

    make = fast_constructor(ActuatorCommand)
    assert make is not ActuatorCommand
    for args, kwargs in [
        ((), {}),
        ((7,), {"brake_slip_n": 3.5, "ring_centring": True}),
        ((), {"seq": 2, "hook_motor_v": (1.0, -1.0), "contact_reported": True}),
        ((1, 2.0, 3.0, 4.0, True, True, True, (5.0, 6.0), True, True, True, True, True), {}),
    ]:
        built, made = make(*args, **kwargs), ActuatorCommand(*args, **kwargs)
        assert type(built) is ActuatorCommand
        assert built == made
        assert dataclasses.astuple(built) == dataclasses.astuple(made)
    with pytest.raises(dataclasses.FrozenInstanceError):
        make().seq = 3  # type: ignore[misc]
    with pytest.raises(TypeError):
        make(no_such_field=1)
    assert fast_constructor(Truth) is Truth  # extra has a default factory
