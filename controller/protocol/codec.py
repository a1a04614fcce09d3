"""The wire codec, one import for its three layers: messages <-> COBS-framed PUS packets.

Theory of operation
===================

The codec is sans-io and split by layer, each module opening with its own
account:

1. **Payloads** (:mod:`controller.protocol.layouts`): one table,
   :data:`~controller.protocol.layouts.LAYOUTS`, keyed by message class, holds
   every message's application data (precompiled struct, fixed-point scalings,
   validation) and its decoders. The housekeeping channel order is written
   once, in :data:`~controller.protocol.layouts.HK_LAYOUT`.
2. **Packets** (:mod:`controller.protocol.packets`): CCSDS primary header,
   PUS-C secondary header with the CDS time stamp, CRC-16, COBS; the fast
   packers of the per-cycle messages are generated from the layout table,
   ``spacepackets`` builds the rest and is the reference.
3. **Stream** (:mod:`controller.protocol.stream`): delimiting, resynchronising
   and counting rejects of received bytes; never raises on input.

Encoders raise :class:`~controller.errors.ProtocolError` only for messages
that cannot be represented (caller bugs, not link data). This module keeps the
names its callers have always imported from ``controller.protocol.codec``.
"""

from controller.protocol.layouts import packet_payload as packet_payload
from controller.protocol.packets import HK_PACKET_LEN as HK_PACKET_LEN
from controller.protocol.packets import SeqCounter as SeqCounter
from controller.protocol.packets import decode_packet as decode_packet
from controller.protocol.packets import encode as encode
from controller.protocol.packets import encode_packet as encode_packet
from controller.protocol.stream import LinkCounters as LinkCounters
from controller.protocol.stream import StreamDecoder as StreamDecoder
