"""Packet layer of the wire codec: headers, CRC and COBS around a payload.

Theory of operation
===================

A payload (:mod:`controller.protocol.layouts`) becomes a CCSDS Space Packet:
the 6-byte primary header (version 0, type TM/TC, secondary header flag set,
APID 0x0D1, sequence flags "unsegmented", 14-bit sequence count, data length),
a PUS-C secondary header (7 bytes for TM plus a 7-byte CDS short time stamp;
5 bytes for TC), the big-endian payload and a CRC-16/CCITT-FALSE packet error
control field (poly 0x1021, init 0xFFFF, the ``crc_hqx`` of the whole packet;
a packet including its CRC checks to 0). :func:`encode` COBS-encodes the
packet and ends it with one 0x00 byte: one packet per frame.

::

    TM: | ID u16 | seq ctl u16 | len u16 | 0x20 svc st | counter u16 | dest u16 |
        | 0x40 | days u16 | ms of day u32 | source data ... | CRC u16 |
    TC: | ID u16 | seq ctl u16 | len u16 | 0x20|ack svc st | source u16 | app data ... | CRC u16 |

**Encoding** is a pure function of the message, the sender's sequence count
and (for TM) the time stamp in seconds on the source's clock; no clock is
read, counters are the caller's (:class:`SeqCounter` helps). The packets sent
every control cycle (the layouts marked ``hot``: housekeeping, set-points,
heartbeats) are packed by one precompiled ``struct.Struct`` per layout, header
and payload together, generated from :data:`~controller.protocol.layouts.LAYOUTS`,
plus ``binascii.crc_hqx``. ``spacepackets`` builds the rest and stays the
reference: the tests prove byte identity of both paths for every message type
(``spacepackets`` takes 12-35 us per packet, too slow for 1 kHz both ways on
one core, see ``benchmarks/bench_codec.py``).

**Parsing** (:func:`parse`) checks one de-framed packet in the order the
stream decoder counts rejects: ``bad_length`` (shorter than a header, or the
primary header's length field disagrees) -> ``bad_crc`` -> ``bad_header``
(CCSDS version, secondary header flag, sequence flags, PUS version, time code
P-field, ms of day) -> ``wrong_apid``. The payload decoders check the rest.
"""

from __future__ import annotations

import math
import struct
from binascii import crc_hqx
from typing import Any

from cobs import cobs
from spacepackets.ccsds.time import CdsShortTimestamp
from spacepackets.ecss import PusTc, PusTm

from controller.errors import ProtocolError
from controller.protocol import messages as m
from controller.protocol.fields import U16_MAX, RejectError, fast_builder
from controller.protocol.layouts import (
    DECODERS,
    LAYOUTS,
    PSC_UNSEGMENTED,
    TC_PACKET_ID,
    Key,
    Layout,
    packet_payload,
)
from controller.protocol.messages import (
    APID,
    SEQ_COUNT_MODULO,
    EventReport,
    Housekeeping,
    Message,
    Packet,
    Verification,
)

_cobs_encode = cobs.encode

MS_PER_DAY = 86_400_000
SEQ_MASK = SEQ_COUNT_MODULO - 1
TM_PACKET_ID = 0x0800 | APID
"""Packet ID of every TM on the link: version 0, type 0 (TM), secondary header, APID."""
PUS_C = 0x20
"""PUS version 2 in the high nibble of the first secondary-header byte."""
CDS_PFIELD = 0x40
"""CDS, 1958 epoch flag 0, 16-bit days, no sub-millisecond field."""

_TM_HDR = struct.Struct(">HHHBBBHHBHI")  # 20 bytes: primary, PUS-C TM, CDS short
_TC_HDR = struct.Struct(">HHHBBBH")  # 11 bytes: primary, PUS-C TC
_PRIMARY = struct.Struct(">HHH")
_TM_SEC = struct.Struct(">BBBHHBHI")  # from byte 6
_TC_SEC = struct.Struct(">BBBH")


def _cds(time_s: float) -> tuple[int, int]:
    """(days, ms of day) of a time in seconds since the source's time zero (1 ms, clamped)."""
    if not time_s > 0.0 or not math.isfinite(time_s):
        return 0, 0
    total = round(time_s * 1000.0)
    days, ms = divmod(total, MS_PER_DAY)
    if days > U16_MAX:
        return U16_MAX, MS_PER_DAY - 1
    return days, ms


def _subtype(msg: Message) -> int:
    if isinstance(msg, Verification):
        return msg.subtype
    if isinstance(msg, EventReport):
        return msg.severity
    return msg.SUBTYPE


def _stamp(msg: Message, time_s: float) -> tuple[float, int]:
    """(time stamp s, message type counter) of a TM: a housekeeping report carries its
    frame's sample time and number, every other TM the caller's time and counter 0."""
    if isinstance(msg, Housekeeping):
        return msg.frame.t_s, msg.frame.seq & U16_MAX
    return time_s, 0


# ----------------------------------------------------------------------------- fast packers


class _FastPacker:
    """Header and payload of one hot layout as one precompiled struct; the CRC is appended.

    One ``pack`` call for the whole packet instead of ``spacepackets``' object
    construction is what makes 1 kHz both ways fit one core (module docstring).
    """

    __slots__ = ("data_len", "default_ack", "is_tm", "pack", "service", "subtype", "values")

    def __init__(self, cls: type[Any], layout: Layout) -> None:
        header = _TM_HDR if cls.IS_TM else _TC_HDR
        packet = struct.Struct(header.format + layout.body.format[1:])
        self.pack = packet.pack
        self.data_len = packet.size + m.CRC_LEN - 7
        self.is_tm: bool = cls.IS_TM
        self.service: int = cls.SERVICE
        self.subtype: int = cls.SUBTYPE
        self.default_ack: int = getattr(cls, "DEFAULT_ACK", 0)
        self.values = layout.values


_FAST: dict[type[Any], _FastPacker] = {
    cls: _FastPacker(cls, lay) for cls, lay in LAYOUTS.items() if lay.hot
}

HK_PACKET_LEN = _FAST[Housekeeping].data_len + 7
"""Length of a housekeeping packet, bytes (before COBS)."""


def _encode_fast(
    p: _FastPacker, msg: Message, seq: int, time_s: float, ack_flags: int | None
) -> bytes:
    psc = PSC_UNSEGMENTED | seq
    if p.is_tm:
        time_s, counter = _stamp(msg, time_s)
        days, ms = _cds(time_s)
        body = p.pack(
            TM_PACKET_ID,
            psc,
            p.data_len,
            PUS_C,
            p.service,
            p.subtype,
            counter,
            0,
            CDS_PFIELD,
            days,
            ms,
            *p.values(msg),
        )
    else:
        ack = p.default_ack if ack_flags is None else ack_flags & 0x0F
        body = p.pack(
            TC_PACKET_ID, psc, p.data_len, PUS_C | ack, p.service, p.subtype, 0, *p.values(msg)
        )
    return body + crc_hqx(body, 0xFFFF).to_bytes(2, "big")


# ----------------------------------------------------------------------------- encoding


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
    :raises ProtocolError: the message cannot be represented (a caller bug).
    """
    seq = seq_count & SEQ_MASK
    if not reference:
        fast = _FAST.get(type(msg))
        if fast is not None:
            return _encode_fast(fast, msg, seq, time_s, ack_flags)
    payload = packet_payload(msg)
    # service and subtype go positionally: the subtype keyword is ``subservice`` up to
    # spacepackets 0.28 (tmtccmd's pin) and ``message_subtype`` from 0.30 on
    service, subtype = msg.SERVICE, _subtype(msg)
    if msg.IS_TM:
        time_s, counter = _stamp(msg, time_s)
        days, ms = _cds(time_s)
        stamp = CdsShortTimestamp(days, ms, init_dt_unix_stamp=False).pack()
        packet = PusTm(
            service,
            subtype,
            timestamp=stamp,
            source_data=payload,
            apid=APID,
            seq_count=seq,
            message_counter=counter,
        ).pack()
    else:
        ack = msg.DEFAULT_ACK if ack_flags is None else ack_flags  # type: ignore[union-attr]
        packet = PusTc(
            service, subtype, apid=APID, app_data=payload, seq_count=seq, ack_flags=ack & 0x0F
        ).pack()
    if len(packet) > m.MAX_PACKET_LEN:
        raise ProtocolError(f"{type(msg).__name__} packet is {len(packet)} B, over the maximum")
    return bytes(packet)


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
        self.value = start & SEQ_MASK

    def next(self) -> int:
        """The count for the next packet (then advances)."""
        v = self.value
        self.value = (v + 1) & SEQ_MASK
        return v


# ----------------------------------------------------------------------------- parsing

_TM_MIN = m.TM_HEADER_LEN + m.CRC_LEN
_TC_MIN = m.TC_HEADER_LEN + m.CRC_LEN

Parsed = tuple[bool, int, Key, float | None, int, int, bytes]
"""(is_tm, sequence count, decoder key, time stamp s, message counter, ack flags, payload)."""


def parse(p: bytes, apid: int) -> Parsed:
    """Check one packet's framing fields and split off its payload.

    :raises RejectError: naming the reject counter (see the module docstring).
    """
    n = len(p)
    if n < _TC_MIN:
        raise RejectError("bad_length")
    h0, h1, dlen = _PRIMARY.unpack_from(p)
    if dlen + 7 != n:
        raise RejectError("bad_length")
    if crc_hqx(p, 0xFFFF):
        raise RejectError("bad_crc")
    if h0 & 0xE800 != 0x0800 or h1 & 0xC000 != PSC_UNSEGMENTED or p[6] & 0xF0 != PUS_C:
        raise RejectError("bad_header")
    is_tm = not h0 & 0x1000
    if is_tm:
        if n < _TM_MIN:
            raise RejectError("bad_length")
        _, service, subtype, counter, _, pfield, days, ms = _TM_SEC.unpack_from(p, 6)
        if pfield != CDS_PFIELD or ms >= MS_PER_DAY:
            raise RejectError("bad_header")
        time_s: float | None = (days * MS_PER_DAY + ms) / 1000.0
        ack = 0
        data = p[m.TM_HEADER_LEN : n - 2]
    else:
        b6, service, subtype, _ = _TC_SEC.unpack_from(p, 6)
        time_s = None
        counter = 0
        ack = b6 & 0x0F
        data = p[m.TC_HEADER_LEN : n - 2]
    if h0 & 0x07FF != apid:
        raise RejectError("wrong_apid")
    return is_tm, h1 & SEQ_MASK, (is_tm, service, subtype), time_s, counter, ack, data


build_packet = fast_builder(Packet)
"""Packet from its field values in declaration order, without the frozen ``__init__``."""


def decode_packet(packet: bytes, apid: int = APID) -> Packet:
    """Decode one space packet (no COBS). For tools and tests; the link uses
    :class:`~controller.protocol.stream.StreamDecoder`. ``Housekeeping.frame.seq``
    is the 16-bit counter.

    :raises ProtocolError: naming the reject counter the stream decoder would bump.
    """
    try:
        is_tm, seq, key, time_s, counter, ack, data = parse(bytes(packet), apid)
        dec = DECODERS.get(key)
        if dec is None:
            raise RejectError("unknown_service")
        msg = dec(data, time_s or 0.0, counter)
    except RejectError as r:
        raise ProtocolError(f"packet rejected: {r.args[0]}") from None
    except (struct.error, ValueError, IndexError) as exc:
        raise ProtocolError(f"packet rejected: bad_field ({exc})") from None
    return Packet(msg, is_tm, seq, time_s, counter, ack)
