"""Stream layer of the wire codec: received bytes -> decoded packets, damage counted.

Theory of operation
===================

**Framing and resynchronisation.** :class:`StreamDecoder` buffers bytes
until a 0x00 arrives; everything since the previous 0x00 is one frame. COBS
guarantees that 0x00 never occurs inside a frame, so after any corruption,
loss or insertion the decoder is back in step at the next delimiter: at most
the damaged frame and the one it ran into are lost. A frame whose bytes grow
beyond :data:`~controller.protocol.messages.MAX_FRAME_LEN` without a
delimiter is dropped at once and the decoder discards bytes until the next
delimiter (it never buffers more than one maximum frame).

**Validation order** of one frame, each failure counted once, first match
wins: oversize -> ``bad_cobs`` (COBS decode error) -> the packet layer's
checks (:func:`~controller.protocol.packets.parse`: ``bad_length``,
``bad_crc``, ``bad_header``, ``wrong_apid``) -> sequence tracking ->
``unknown_service`` (type, service, subtype not in the ICD) -> the payload
decoder's ``bad_length`` / ``bad_field`` -> ``frames_ok``.

**Counters** (:class:`LinkCounters`) are link telemetry. Every non-empty
frame ends in exactly one of ``frames_ok`` or a reject counter, so
``frames_ok + rejects`` equals the number of non-empty delimited frames seen;
every byte fed ends in ``bytes_ok`` (accepted frames with their delimiter),
``bytes_discarded`` (rejected frames, lone delimiters, oversize debris) or
the pending buffer. ``seq_gaps`` counts packets whose CCSDS sequence count
is not the previous one plus one (mod 2**14) for the same source (TM and TC
are tracked apart); the first packet of a source sets the reference.

**Refused TCs.** A receiver built with ``keep_refused=True`` (a device)
also remembers every CRC-valid TC for its APID that failed only at the
payload stage (``unknown_service``, ``bad_length``, ``bad_field``) as a
:class:`Refused` in :attr:`StreamDecoder.refused`: the ICD has the device
answer those with a 1,2 report, which needs the TC's sequence count.

**Never raises on input bytes.** The decoder catches the library and struct
errors and counts them as rejects; anything unexpected is counted as
``bad_field``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from cobs import cobs

from controller.protocol.fields import U16_MAX, RejectError
from controller.protocol.housekeeping import decode_housekeeping
from controller.protocol.layouts import DECODERS
from controller.protocol.messages import APID, MAX_FRAME_LEN, Message, Packet
from controller.protocol.packets import SEQ_MASK, build_packet, parse

_cobs_decode = cobs.decode
_CobsDecodeError = cobs.DecodeError


@dataclass(frozen=True, slots=True)
class Refused:
    """A CRC-valid TC that the payload decoders rejected (see the module docstring)."""

    seq_count: int
    """CCSDS sequence count of the TC (what a verification report names)."""
    service: int
    subtype: int
    ack_flags: int
    reason: str
    """The ``LinkCounters`` field it was counted in: unknown_service, bad_length, bad_field."""
    offset: int = 0
    """For bad_field: data offset of the offending field (0 when the decoder cannot tell)."""


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
        """Frames rejected for any reason (the sum of the :attr:`REJECTS` counters)."""
        return sum(getattr(self, name) for name in self.REJECTS)

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
    :param keep_refused: remember refused TCs in :attr:`refused` (a device does).
    """

    __slots__ = (
        "_apid",
        "_buf",
        "_hk_seq",
        "_last_seq",
        "_max_body",
        "_skipping",
        "counters",
        "refused",
    )

    def __init__(
        self, max_frame_len: int = MAX_FRAME_LEN, apid: int = APID, *, keep_refused: bool = False
    ) -> None:
        self.counters = LinkCounters()
        self.refused: list[Refused] | None = [] if keep_refused else None
        """CRC-valid TCs refused at the payload stage since the caller last cleared it
        (only with ``keep_refused``)."""
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
            is_tm, seq, key, time_s, counter, ack, data = parse(p, self._apid)
        except RejectError as r:
            setattr(c, r.args[0], getattr(c, r.args[0]) + 1)
            c.bytes_discarded += n
            return
        except Exception:  # never raise on input bytes: count, carry on
            c.bad_field += 1
            c.bytes_discarded += n
            return
        try:
            last = self._last_seq.get(is_tm)
            gap = 0 if last is None else (seq - last - 1) & SEQ_MASK
            self._last_seq[is_tm] = seq
            if gap:
                c.seq_gaps += 1
            dec = DECODERS.get(key)
            if dec is None:
                raise RejectError("unknown_service")
            msg: Message
            if dec is decode_housekeeping:
                h = self._hk_seq
                # the counter's step from the newest frame, as a signed 16-bit number:
                # a late or repeated frame steps back a little instead of a whole wrap
                step = ((counter - h + 0x8000) & U16_MAX) - 0x8000 if h is not None else 0
                hk_seq = counter if h is None else h + step
                msg = dec(data, time_s or 0.0, hk_seq)
                if h is None or hk_seq > h:
                    self._hk_seq = hk_seq
            else:
                msg = dec(data, time_s or 0.0, counter)
        except RejectError as r:
            reason = r.args[0]
            setattr(c, reason, getattr(c, reason) + 1)
            c.bytes_discarded += n
            if self.refused is not None and not is_tm:
                offset = r.args[1] if len(r.args) > 1 else 0
                self.refused.append(Refused(seq, key[1], key[2], ack, reason, offset))
            return
        except Exception:  # never raise on input bytes: count, carry on
            c.bad_field += 1
            c.bytes_discarded += n
            if self.refused is not None and not is_tm:
                self.refused.append(Refused(seq, key[1], key[2], ack, "bad_field"))
            return
        c.frames_ok += 1
        c.bytes_ok += n
        out.append(build_packet((msg, is_tm, seq, time_s, counter, ack, gap)))
