"""The stream decoder under damage: garbage, truncation, bit flips, loss, concatenation.

Invariants checked everywhere:

* ``feed`` never raises;
* every non-empty delimited frame ends in exactly one counter
  (``frames_ok + rejects``), plus one ``oversize`` for a pending frame that
  already outgrew the limit;
* every byte is accounted for (``bytes_ok + bytes_discarded + pending``);
* every frame that reached the decoder intact (its bytes unchanged and
  preceded by a delimiter) decodes to its message, in order.
"""

from __future__ import annotations

import dataclasses
import itertools
from binascii import crc_hqx

from cobs import cobs
from hypothesis import given, settings
from hypothesis import strategies as st
from spacepackets.ecss import PusTc, PusTm
from test_protocol_codec import _nominal_frame
from test_protocol_strategies import SEQ, messages, quantised_frames

from controller.protocol import (
    MAX_FRAME_LEN,
    Housekeeping,
    Ping,
    Pong,
    StreamDecoder,
    encode,
    encode_packet,
)
from controller.protocol import messages as m
from controller.protocol.messages import Packet
from controller.types import SensorFrame


def feed_in_chunks(dec: StreamDecoder, stream: bytes, cuts: list[int]) -> list[Packet]:
    out: list[Packet] = []
    points = sorted({c % (len(stream) + 1) for c in cuts} | {0, len(stream)})
    for a, b in itertools.pairwise(points):
        out += dec.feed(stream[a:b])
    return out


def check_accounting(dec: StreamDecoder, stream: bytes) -> None:
    c = dec.counters
    segments = stream.split(b"\x00")
    tail = segments.pop()
    frames = sum(1 for s in segments if s)
    if len(tail) > MAX_FRAME_LEN - 1:
        frames += 1  # counted oversize while still arriving
    assert c.frames_ok + c.rejects == frames
    assert c.bytes_ok + c.bytes_discarded + dec.pending == len(stream)
    assert dec.pending <= MAX_FRAME_LEN - 1


def intact_messages(stream: bytes, bodies: dict[bytes, m.Message]) -> list[m.Message]:
    """Messages whose frames survive as whole segments of ``stream``."""
    segments = stream.split(b"\x00")[:-1]
    return [bodies[s] for s in segments if s in bodies]


def wire(msg: m.Message) -> m.Message:
    """The message as the wire carries it: the stream decoder unwraps the 16-bit
    housekeeping counter, so compare sample numbers modulo 2**16."""
    if isinstance(msg, Housekeeping):
        return Housekeeping(dataclasses.replace(msg.frame, seq=msg.frame.seq & 0xFFFF))
    return msg


def is_subsequence(needle: list[m.Message], hay: list[m.Message]) -> bool:
    it = iter([wire(y) for y in hay])
    return all(any(wire(x) == y for y in it) for x in needle)


CUTS = st.lists(st.integers(0, 10_000), max_size=20)
FRAMES = st.lists(st.tuples(messages, SEQ), min_size=1, max_size=12)


def encode_all(items: list[tuple[m.Message, int]]) -> tuple[list[bytes], dict[bytes, m.Message]]:
    frames = [encode(msg, seq, 1.0) for msg, seq in items]
    return frames, {f[:-1]: msg for f, (msg, _) in zip(frames, items, strict=True)}


# --------------------------------------------------------------------------- properties


@settings(max_examples=300)
@given(data=st.binary(max_size=3000), cuts=CUTS)
def test_garbage_never_raises_and_counters_add_up(data: bytes, cuts: list[int]) -> None:
    dec = StreamDecoder()
    feed_in_chunks(dec, data, cuts)
    check_accounting(dec, data)


@settings(max_examples=200)
@given(
    items=FRAMES,
    garbage=st.lists(st.binary(max_size=400), min_size=1, max_size=12),
    cuts=CUTS,
)
def test_valid_frames_survive_garbage_between_them(
    items: list[tuple[m.Message, int]], garbage: list[bytes], cuts: list[int]
) -> None:
    frames, _bodies = encode_all(items)
    # each run of garbage is closed by a delimiter, so it can only hurt itself
    parts = []
    for i, frame in enumerate(frames):
        parts.append(garbage[i % len(garbage)] + b"\x00")
        parts.append(frame)
    stream = b"".join(parts)
    dec = StreamDecoder()
    out = feed_in_chunks(dec, stream, cuts)
    check_accounting(dec, stream)
    assert is_subsequence([msg for msg, _ in items], [p.msg for p in out])


@settings(max_examples=300)
@given(
    items=FRAMES,
    flips=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 7)), min_size=1, max_size=8),
    cuts=CUTS,
)
def test_bit_flips_lose_only_the_damaged_frames(
    items: list[tuple[m.Message, int]], flips: list[tuple[int, int]], cuts: list[int]
) -> None:
    frames, bodies = encode_all(items)
    damaged = bytearray(b"".join(frames))
    for pos, bit in flips:
        damaged[pos % len(damaged)] ^= 1 << bit
    stream = bytes(damaged)
    dec = StreamDecoder()
    out = feed_in_chunks(dec, stream, cuts)
    check_accounting(dec, stream)
    assert is_subsequence(intact_messages(stream, bodies), [p.msg for p in out])
    if stream != b"".join(frames):
        assert dec.counters.frames_ok <= len(frames)


@settings(max_examples=300)
@given(
    items=FRAMES,
    edits=st.lists(
        st.tuples(st.integers(0, 10_000), st.integers(0, 40), st.binary(max_size=20)),
        min_size=1,
        max_size=5,
    ),
    cuts=CUTS,
)
def test_lost_and_inserted_bytes_lose_only_the_damaged_frames(
    items: list[tuple[m.Message, int]], edits: list[tuple[int, int, bytes]], cuts: list[int]
) -> None:
    frames, bodies = encode_all(items)
    stream = b"".join(frames)
    for pos, drop, insert in edits:
        p = pos % (len(stream) + 1)
        stream = stream[:p] + insert + stream[p + drop :]
    dec = StreamDecoder()
    out = feed_in_chunks(dec, stream, cuts)
    check_accounting(dec, stream)
    assert is_subsequence(intact_messages(stream, bodies), [p.msg for p in out])


@settings(max_examples=200)
@given(items=FRAMES, cut=st.integers(0, 10_000), cuts=CUTS)
def test_truncated_stream_decodes_every_complete_frame(
    items: list[tuple[m.Message, int]], cut: int, cuts: list[int]
) -> None:
    frames, _ = encode_all(items)
    full = b"".join(frames)
    stream = full[: cut % (len(full) + 1)]
    dec = StreamDecoder()
    out = feed_in_chunks(dec, stream, cuts)
    check_accounting(dec, stream)
    complete = stream.count(b"\x00")
    assert [wire(p.msg) for p in out] == [wire(msg) for msg, _ in items[:complete]]
    assert dec.counters.rejects == 0
    assert dec.pending == len(stream) - sum(len(f) for f in frames[:complete])


@settings(max_examples=100)
@given(items=FRAMES, drop=st.integers(0, 11), keep=st.integers(1, 200))
def test_truncated_frame_with_its_delimiter_costs_only_itself(
    items: list[tuple[m.Message, int]], drop: int, keep: int
) -> None:
    frames, _ = encode_all(items)
    i = drop % len(frames)
    victim = frames[i][:-1]
    short = victim[: min(keep, len(victim) - 1)]
    stream = b"".join(frames[:i]) + short + b"\x00" + b"".join(frames[i + 1 :])
    dec = StreamDecoder()
    out = dec.feed(stream)
    expected = [msg for j, (msg, _) in enumerate(items) if j != i]
    assert [wire(p.msg) for p in out] == [wire(msg) for msg in expected]
    assert dec.counters.rejects == 1


# --------------------------------------------------------------------------- each counter


def _frame(packet: bytes) -> bytes:
    return bytes(cobs.encode(bytes(packet))) + b"\x00"


def _with_crc(body: bytes) -> bytes:
    return body + crc_hqx(body, 0xFFFF).to_bytes(2, "big")


def _only(dec: StreamDecoder, name: str) -> None:
    got = {k: v for k, v in dec.counters.as_dict().items() if v and not k.startswith("bytes")}
    assert got == {name: 1}


def test_counts_bad_cobs() -> None:
    dec = StreamDecoder()
    assert dec.feed(b"\x05\x01\x00") == []
    _only(dec, "bad_cobs")


def test_counts_bad_crc() -> None:
    raw = bytearray(encode_packet(Ping(), 1))
    raw[-1] ^= 0x01
    dec = StreamDecoder()
    assert dec.feed(_frame(raw)) == []
    _only(dec, "bad_crc")


def test_counts_bad_length() -> None:
    raw = bytearray(encode_packet(Ping(), 1))
    dec = StreamDecoder()
    assert dec.feed(_frame(raw[:-1])) == []  # one byte short of the length field
    _only(dec, "bad_length")


def test_counts_bad_length_of_application_data() -> None:
    raw = PusTm(3, 25, apid=0x0D1, timestamp=bytes([0x40]) + bytes(6))
    dec = StreamDecoder()
    assert dec.feed(_frame(raw.pack())) == []
    assert dec.counters.bad_length == 1


def test_counts_bad_header() -> None:
    raw = bytearray(encode_packet(Ping(), 1))[:-2]
    raw[6] = 0x10 | (raw[6] & 0x0F)  # PUS-A version number
    dec = StreamDecoder()
    assert dec.feed(_frame(_with_crc(bytes(raw)))) == []
    _only(dec, "bad_header")


def test_counts_wrong_apid() -> None:
    dec = StreamDecoder()
    assert dec.feed(_frame(PusTc(17, 1, apid=0x0D2).pack())) == []
    _only(dec, "wrong_apid")


def test_counts_unknown_service() -> None:
    dec = StreamDecoder()
    assert dec.feed(_frame(PusTc(99, 1, apid=0x0D1).pack())) == []
    _only(dec, "unknown_service")


def test_counts_bad_field() -> None:
    raw = PusTc(131, 2, apid=0x0D1, app_data=bytes([200, 0, 1]) + bytes(8))
    dec = StreamDecoder()
    assert dec.feed(_frame(raw.pack())) == []  # fault code 200 does not exist
    _only(dec, "bad_field")


def test_counts_oversize_and_resyncs() -> None:
    dec = StreamDecoder()
    junk = b"\x01" * 1000
    assert dec.feed(junk[:300]) == []
    assert dec.counters.oversize == 1
    assert dec.pending == 0
    out = dec.feed(junk[300:] + b"\x00" + encode(Ping(), 3))
    assert [p.msg for p in out] == [Ping()]
    assert dec.counters.oversize == 1
    assert dec.counters.bytes_discarded == 1001


def test_lone_delimiters_are_not_frames() -> None:
    dec = StreamDecoder()
    assert [p.msg for p in dec.feed(b"\x00\x00" + encode(Ping(), 0) + b"\x00")] == [Ping()]
    assert dec.counters.rejects == 0
    assert dec.counters.bytes_discarded == 3


def test_sequence_gaps_per_source() -> None:
    dec = StreamDecoder()
    stream = b"".join(
        [
            encode(Pong(), 16382),
            encode(Ping(), 0),
            encode(Pong(), 16383),
            encode(Pong(), 0),  # wraps: no gap
            encode(Ping(), 1),  # TC counted apart from TM: no gap
            encode(Pong(), 3),  # 1 and 2 lost
        ]
    )
    out = dec.feed(stream)
    assert [p.gap for p in out] == [0, 0, 0, 0, 0, 2]
    assert dec.counters.seq_gaps == 1


def test_housekeeping_sequence_is_unwrapped() -> None:
    base = _nominal_frame()
    dec = StreamDecoder()
    seqs = [65534, 65535, 65536, 65537, 65540]
    stream = b"".join(
        encode(Housekeeping(dataclasses.replace(base, seq=s)), i) for i, s in enumerate(seqs)
    )
    out = dec.feed(stream)
    got = [p.msg.frame.seq for p in out if isinstance(p.msg, Housekeeping)]
    assert got == seqs
    assert [p.msg_counter for p in out] == [s & 0xFFFF for s in seqs]


def _unwrapped(seqs: list[int]) -> list[int]:
    base = _nominal_frame()
    dec = StreamDecoder()
    stream = b"".join(
        encode(Housekeeping(dataclasses.replace(base, seq=s)), i) for i, s in enumerate(seqs)
    )
    return [p.msg.frame.seq for p in dec.feed(stream) if isinstance(p.msg, Housekeeping)]


def test_a_late_frame_does_not_shift_the_count_by_a_wrap() -> None:
    """Issue 15, point 10: 10, 11, 12, 11, 13 used to unwrap to 10, 11, 12, 65547, 65549."""
    assert _unwrapped([10, 11, 12, 11, 13]) == [10, 11, 12, 11, 13]


def test_duplicate_and_late_frames_across_a_wrap() -> None:
    seqs = [65533, 65534, 65534, 65536, 65535, 65537, 65536, 65538]
    assert _unwrapped(seqs) == seqs
    assert _unwrapped([0, 1, 1, 1, 2]) == [0, 1, 1, 1, 2]


def test_forward_steps_up_to_half_the_counter_range() -> None:
    assert _unwrapped([5, 5 + 32767, 5 + 32767 + 32767]) == [5, 32772, 65539]


@settings(max_examples=50)
@given(frames=st.lists(quantised_frames(), min_size=2, max_size=20))
def test_concatenated_housekeeping_in_one_chunk(frames: list[SensorFrame]) -> None:
    numbered = [dataclasses.replace(f, seq=i) for i, f in enumerate(frames)]
    stream = b"".join(encode(Housekeeping(f), i) for i, f in enumerate(numbered))
    dec = StreamDecoder()
    out = dec.feed(stream)
    assert [p.msg for p in out] == [Housekeeping(f) for f in numbered]
    assert dec.counters.frames_ok == len(frames)
