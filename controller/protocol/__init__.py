"""The controller <-> microcontroller wire protocol (``docs/icd.md``).

Sans-io: :func:`encode` turns a message into one COBS frame, :class:`StreamDecoder`
turns received bytes back into :class:`Packet` objects and counts what it rejects.
No I/O, no clocks: callers pass time stamps and own the port. Modules:
``messages`` (numbers and message classes), then the codec's layers ``layouts``
(payloads, one table keyed by message class; ``housekeeping`` holds the
sensor frame's channel table), ``packets`` (headers, CRC, COBS)
and ``stream`` (the stream decoder); ``codec`` re-exports the three.
"""

from controller.protocol.housekeeping import HK_LAYOUT, HK_NAN
from controller.protocol.layouts import LAYOUTS, Layout, packet_payload
from controller.protocol.messages import (
    APID,
    MAX_FRAME_LEN,
    PROTOCOL_VERSION,
    Capability,
    DeviceFault,
    DeviceMode,
    ErrorCode,
    EventId,
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
    Severity,
    SimInject,
    SimSetup,
    SimStep,
    Verification,
)
from controller.protocol.packets import SeqCounter, decode_packet, encode, encode_packet
from controller.protocol.stream import LinkCounters, StreamDecoder

__all__ = [
    "APID",
    "HK_LAYOUT",
    "HK_NAN",
    "LAYOUTS",
    "MAX_FRAME_LEN",
    "PROTOCOL_VERSION",
    "Capability",
    "DeviceFault",
    "DeviceMode",
    "ErrorCode",
    "EventId",
    "EventReport",
    "Heartbeat",
    "Hello",
    "HelloRequest",
    "HostHeartbeat",
    "Housekeeping",
    "Layout",
    "LinkCounters",
    "Message",
    "ModeCommand",
    "Packet",
    "Ping",
    "Pong",
    "SeqCounter",
    "SetPoints",
    "Severity",
    "SimInject",
    "SimSetup",
    "SimStep",
    "StreamDecoder",
    "Verification",
    "decode_packet",
    "encode",
    "encode_packet",
    "packet_payload",
]
