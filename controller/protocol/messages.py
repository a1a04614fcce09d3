"""Messages of the controller <-> microcontroller wire protocol (``docs/icd.md``).

Every packet on the link is a CCSDS Space Packet with a PUS-C secondary header
and a CRC-16 packet error control field, APID :data:`APID` in both directions.
This module holds the numbers (services, subtypes, codes) and one frozen
dataclass per message; the codec layers turn them into bytes and back
(:mod:`controller.protocol.layouts` the payloads, with their fixed-point
scalings, :mod:`~controller.protocol.packets` the packets,
:mod:`~controller.protocol.stream` the stream). Nothing here does I/O or reads a clock.

Direction: *TM* (telemetry) flows from the microcontroller (the *device*) to
the host, *TC* (telecommand) from the host to the device.

==========  ========  =========================  ==================================
Service     Subtype   Message                    Direction / rate
==========  ========  =========================  ==================================
1           1, 7      :class:`Verification`      TM, when a TC asks for it
1           2, 8      :class:`Verification`      TM, failure with an error code
3           25        :class:`Housekeeping`      TM, every control cycle
5           1..4      :class:`EventReport`       TM, on edges and faults
17          1 / 2     :class:`Ping` / :class:`Pong`  TC / TM
17          128       :class:`HostHeartbeat`     TC, 10 Hz
17          128       :class:`Heartbeat`         TM, 10 Hz
17          129 / 130 :class:`HelloRequest` / :class:`Hello`  TC / TM
130         1         :class:`SetPoints`         TC, every control cycle
130         2         :class:`ModeCommand`       TC, on demand
131         1..3      :class:`SimSetup`, :class:`SimInject`, :class:`SimStep`
                                                 TC, simulated devices only
131         128       :class:`SimTruth`          TM, simulated devices, after each
                                                 housekeeping report
==========  ========  =========================  ==================================
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import ClassVar

from controller.types import (
    N_HOOK_SETS,
    N_HOOKS,
    N_LATCHES,
    N_PETALS,
    N_PUSHRODS,
    ActuatorCommand,
    InitialConditions,
    PlantFault,
    SensorFrame,
    Truth,
)

# --------------------------------------------------------------------------- link constants

APID = 0x0D1
"""Application process ID of the mechanism, both directions."""

PROTOCOL_VERSION = (1, 3)
"""(major, minor) of this ICD; a major mismatch means the two sides cannot talk."""

SEQ_COUNT_MODULO = 1 << 14
"""CCSDS packet sequence count wraps at 2**14 (per direction)."""

MAX_PACKET_LEN = 254
"""Longest space packet on the link, bytes (COBS then adds exactly one byte)."""

MAX_FRAME_LEN = MAX_PACKET_LEN + 2
"""Longest frame on the wire, bytes, including the COBS code byte and the 0x00 delimiter."""

TM_HEADER_LEN = 6 + 7 + 7
"""Primary header + PUS-C TM secondary header + CDS short time stamp, bytes."""

TC_HEADER_LEN = 6 + 5
"""Primary header + PUS-C TC secondary header, bytes."""

CRC_LEN = 2

SETPOINT_WATCHDOG_MS = 100
"""Device watchdog: no valid :class:`SetPoints` for this long -> safe state, ms."""

HOUSEKEEPING_STALE_MS = 100
"""Host watchdog: no valid :class:`Housekeeping` for this long -> link fault, ms."""

HEARTBEAT_PERIOD_MS = 100
"""Both sides send a heartbeat this often, ms."""

HEARTBEAT_LOST_COUNT = 5
"""Heartbeats missed in a row before a side declares the link lost."""

TX_IDLE_FLUSH_MS = 5
"""A device whose transmitter was silent this long sends one 0x00 before its next
frame, ms, so that a receiver that began listening in the pause (a port just
opened and flushed) takes that frame whole (``docs/icd.md`` DEV-FRM-2)."""

HOOK_END_ENTER = 0.01
"""A hook is at an end stop within this fraction of stroke of it (HOOK_EDGE events)."""
HOOK_END_LEAVE = 0.02
"""... and has left it beyond this fraction (hysteresis against sensor noise)."""


class Service(enum.IntEnum):
    """PUS service types used on the link (128 and up are mission services)."""

    VERIFICATION = 1
    HOUSEKEEPING = 3
    EVENT = 5
    TEST = 17
    MECHANISM = 130
    SIMULATION = 131


# subtypes
ST_VERIF_ACCEPT_OK = 1
ST_VERIF_ACCEPT_FAIL = 2
ST_VERIF_COMPLETE_OK = 7
ST_VERIF_COMPLETE_FAIL = 8
VERIFICATION_SUBTYPES = frozenset({1, 2, 7, 8})
ST_HK_REPORT = 25
ST_PING = 1
ST_PONG = 2
ST_HEARTBEAT = 128
ST_HELLO_REQUEST = 129
ST_HELLO = 130
ST_SETPOINTS = 1
ST_MODE = 2
ST_SIM_SETUP = 1
ST_SIM_INJECT = 2
ST_SIM_STEP = 3
ST_SIM_TRUTH = 128

HK_SID_SENSOR_FRAME = 1
"""Housekeeping structure ID of the sensor frame (first byte of the 3,25 source data)."""

# PUS-C acknowledgement flags of a TC (bit 0 = MSB of the nibble in ECSS numbering)
ACK_NONE = 0b0000
ACK_ACCEPTANCE = 0b1000
ACK_START = 0b0100
ACK_PROGRESS = 0b0010
ACK_COMPLETION = 0b0001
ACK_ACCEPT_COMPLETE = ACK_ACCEPTANCE | ACK_COMPLETION


class DeviceMode(enum.IntEnum):
    """What the device does with set-points (reported in :class:`Heartbeat`)."""

    BOOT = 0
    """Just powered; actuators in the safe state; waits for :class:`ModeCommand`."""
    SAFE = 1
    """Actuators held in the safe state (``ActuatorCommand()``); set-points ignored."""
    ACTIVE = 2
    """Set-points applied as they arrive; the set-point watchdog runs."""


class DeviceFault(enum.IntFlag):
    """Fault bits of the device (:attr:`Heartbeat.fault_bits`)."""

    NONE = 0
    WATCHDOG = 1 << 0
    """The set-point watchdog tripped; latched until a ModeCommand(ACTIVE)."""
    UNDERVOLTAGE = 1 << 1
    DRIVE_OVERCURRENT = 1 << 2
    HOOK_MOTOR_A = 1 << 3
    HOOK_MOTOR_B = 1 << 4
    SENSOR = 1 << 5
    """A sensor channel reads out of range (reported as the NaN sentinel)."""
    LINK_ERRORS = 1 << 6
    """The device's decoder rejected frames since the last heartbeat."""
    SIM_FAULT_ACTIVE = 1 << 7
    """A simulated plant fault is switched on (virtual device only)."""
    HOST_LOST = 1 << 8
    """No HostHeartbeat for HEARTBEAT_LOST_COUNT periods in ACTIVE: safe state; latched
    until a ModeCommand(ACTIVE) (protocol 1.1)."""
    INTERLOCK = 1 << 9
    """A hardware interlock the device owns is open (e-stop, inhibit plug): safe state,
    ACTIVE refused; clears when the interlock closes (protocol 1.2)."""


class Capability(enum.IntFlag):
    """What the device can do (:attr:`Hello.capabilities`)."""

    NONE = 0
    LOCKSTEP = 1 << 0
    FAULT_INJECTION = 1 << 1
    TRUTH = 1 << 2
    HARDWARE = 1 << 3


class Severity(enum.IntEnum):
    """PUS 5 event subtypes."""

    INFO = 1
    LOW = 2
    MEDIUM = 3
    HIGH = 4


class EventId(enum.IntEnum):
    """Event definition IDs (:attr:`EventReport.event_id`); index and value per ICD."""

    LIMIT_SWITCH = 1
    """index 0 = ring ready stop, 1 = ring retracted; value = new state (0/1)."""
    LATCH_EDGE = 2
    """index = latch 0..5; value = 1 captured, 0 released."""
    HOOK_EDGE = 3
    """index = hook 0..11; value = 1 reached closed, 0 reached open, 2 left its end stop."""
    CONTACT_EDGE = 4
    """index = interface contact sensor 0..2; value = new state."""
    ALIGNMENT_EDGE = 5
    """index = alignment sensor 0..2; value = new state."""
    PUSHROD_EDGE = 6
    """index = push-rod 0..3; value = 1 extended."""
    FAULT_SET = 7
    """index = bit number of :class:`DeviceFault`; value = detail (device-specific)."""
    FAULT_CLEARED = 8
    """index = bit number of :class:`DeviceFault`."""
    WATCHDOG_TRIP = 9
    """value = set-point age at the trip, ms."""
    MODE_CHANGE = 10
    """index = new :class:`DeviceMode`; value = old mode."""


def event_severity(event_id: int, index: int = 0) -> Severity:
    """The severity (PUS 5 subtype) of an event, per the ICD's event table (4.8)."""
    if event_id == EventId.FAULT_SET:
        high = (
            DeviceFault.WATCHDOG,
            DeviceFault.UNDERVOLTAGE,
            DeviceFault.HOST_LOST,
            DeviceFault.INTERLOCK,
        )
        return Severity.HIGH if index < 32 and (1 << index) in high else Severity.MEDIUM
    if event_id == EventId.WATCHDOG_TRIP:
        return Severity.HIGH
    if event_id == EventId.PUSHROD_EDGE:
        return Severity.LOW
    return Severity.INFO


class ErrorCode(enum.IntEnum):
    """Failure codes in verification failure reports (1,2 and 1,8)."""

    UNKNOWN_SUBTYPE = 1
    BAD_LENGTH = 2
    BAD_FIELD = 3
    """error_data = byte offset of the offending field in the application data."""
    NOT_ALLOWED = 4
    """Interlock or mode forbids it; error_data = current DeviceMode."""
    UNSUPPORTED = 5
    """Not on this device (e.g. a simulation TC sent to a bench)."""
    SIM_ERROR = 6
    """The simulation rejected the request (unknown preset, bad fault)."""


DEVICE_INTERLOCK_FAULT = "interlock_open"
"""SimInject kind (code 13) that opens the simulated device's own hardware interlock (a
bench's e-stop or inhibit loop): not a plant fault, handled by the device (ICD DEV-MODE-3)."""

PLANT_FAULT_CODES: tuple[str, ...] = (
    "latch_fail",
    "hook_jam",
    "hook_motor_fail",
    "cable_break",
    "damper_weak",
    "brake_fail",
    "drive_jam",
    "seal_leak",
    "unlock_fail",
    "power_loss",
    "thrust_none",
    "thrust_late",
    "thrust_stuck",
    DEVICE_INTERLOCK_FAULT,
)
"""Wire code of a :class:`~controller.types.PlantFault` kind = its index here (10-12, the
chaser's thrust faults, since protocol 1.1; 13, the device's own interlock, since 1.2)."""

PRESET_MAX_LEN = 32
"""Longest preset name in :class:`SimSetup`, bytes of UTF-8."""

DEVICE_NAME_LEN = 16
"""Fixed size of :attr:`Hello.device`, bytes of ASCII, NUL-padded."""

# --------------------------------------------------------------------------- messages


@dataclass(frozen=True, slots=True)
class Ping:
    """PUS 17,1 are-you-alive request (host -> device). No data."""

    IS_TM: ClassVar[bool] = False
    SERVICE: ClassVar[int] = Service.TEST
    SUBTYPE: ClassVar[int] = ST_PING
    DEFAULT_ACK: ClassVar[int] = ACK_NONE


@dataclass(frozen=True, slots=True)
class Pong:
    """PUS 17,2 are-you-alive report (device -> host), the answer to every :class:`Ping`."""

    IS_TM: ClassVar[bool] = True
    SERVICE: ClassVar[int] = Service.TEST
    SUBTYPE: ClassVar[int] = ST_PONG


@dataclass(frozen=True, slots=True)
class HelloRequest:
    """PUS 17,129: ask the device for its :class:`Hello` (host -> device). No data."""

    IS_TM: ClassVar[bool] = False
    SERVICE: ClassVar[int] = Service.TEST
    SUBTYPE: ClassVar[int] = ST_HELLO_REQUEST
    DEFAULT_ACK: ClassVar[int] = ACK_NONE


@dataclass(frozen=True, slots=True)
class Hello:
    """PUS 17,130 identification (device -> host), sent at boot and on request."""

    IS_TM: ClassVar[bool] = True
    SERVICE: ClassVar[int] = Service.TEST
    SUBTYPE: ClassVar[int] = ST_HELLO

    protocol_version: tuple[int, int] = PROTOCOL_VERSION
    """(major, minor) of the ICD the device implements."""
    firmware_version: tuple[int, int, int] = (0, 0, 0)
    """(major, minor, patch) of the device firmware."""
    petals: int = N_PETALS
    latches: int = N_LATCHES
    hooks: int = N_HOOKS
    hook_sets: int = N_HOOK_SETS
    pushrods: int = N_PUSHRODS
    capabilities: int = Capability.NONE
    """Bit set of :class:`Capability`."""
    period_us: int = 1_000
    """Nominal control period of the device, us."""
    device: str = ""
    """Device name, ASCII, at most :data:`DEVICE_NAME_LEN` characters."""


def hello_problems(hello: Hello) -> list[str]:
    """Why this host cannot drive the device that sent ``hello`` (ICD DEV-HELLO-1,
    HOST-HELLO-1), each as the end of "the device ...": another major protocol version,
    another mechanism shape, a control period outside 1 us .. 1 s. Empty when none.

    One judgement for the host's handshake and for ``dockhil conform``.
    """
    problems = []
    if hello.protocol_version[0] != PROTOCOL_VERSION[0]:
        problems.append(f"speaks ICD {hello.protocol_version}, this host {PROTOCOL_VERSION}")
    shape = {
        "petals": (hello.petals, N_PETALS),
        "latches": (hello.latches, N_LATCHES),
        "hooks": (hello.hooks, N_HOOKS),
        "hook sets": (hello.hook_sets, N_HOOK_SETS),
        "push-rods": (hello.pushrods, N_PUSHRODS),
    }
    wrong = [f"{n} {got} (not {want})" for n, (got, want) in shape.items() if got != want]
    if wrong:
        problems.append(f"is a different mechanism: {', '.join(wrong)}")
    if not 0 < hello.period_us <= 1_000_000:
        problems.append(
            f"announces a control period of {hello.period_us} us in its Hello "
            "(the ICD allows 1 us to 1 s)"
        )
    return problems


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """PUS 17,128 heartbeat from the device (TM), every :data:`HEARTBEAT_PERIOD_MS`."""

    IS_TM: ClassVar[bool] = True
    SERVICE: ClassVar[int] = Service.TEST
    SUBTYPE: ClassVar[int] = ST_HEARTBEAT

    counter: int = 0
    """Heartbeats sent since boot, uint32 (wraps)."""
    mode: int = DeviceMode.BOOT
    """:class:`DeviceMode` of the device."""
    fault_bits: int = DeviceFault.NONE
    """Bit set of :class:`DeviceFault`, uint32."""
    peer_age_ms: int = 0
    """Time since the last valid set-point, ms (uint16, saturates at 65535)."""
    rx_ok: int = 0
    """Frames the device decoded since boot, uint16 (wraps)."""
    rx_rejects: int = 0
    """Frames the device rejected since boot, uint16 (wraps)."""


@dataclass(frozen=True, slots=True)
class HostHeartbeat:
    """PUS 17,128 heartbeat from the host (TC), every :data:`HEARTBEAT_PERIOD_MS`.

    Same layout as :class:`Heartbeat`; ``mode`` is the controller's phase code
    (index in the ICD's phase list) and ``peer_age_ms`` the age of the newest
    housekeeping frame.
    """

    IS_TM: ClassVar[bool] = False
    SERVICE: ClassVar[int] = Service.TEST
    SUBTYPE: ClassVar[int] = ST_HEARTBEAT
    DEFAULT_ACK: ClassVar[int] = ACK_NONE

    counter: int = 0
    mode: int = 0
    fault_bits: int = 0
    peer_age_ms: int = 0
    rx_ok: int = 0
    rx_rejects: int = 0


@dataclass(frozen=True, slots=True)
class Housekeeping:
    """PUS 3,25 housekeeping report, SID 1: one :class:`~controller.types.SensorFrame`.

    On the wire ``frame.t_s`` is the packet's CDS time stamp (1 ms resolution)
    and ``frame.seq`` its PUS message type counter (16 bits; the stream decoder
    unwraps it). Analog channels are int16 fixed point per
    :data:`controller.protocol.layouts.HK_LAYOUT`.
    """

    IS_TM: ClassVar[bool] = True
    SERVICE: ClassVar[int] = Service.HOUSEKEEPING
    SUBTYPE: ClassVar[int] = ST_HK_REPORT

    frame: SensorFrame


@dataclass(frozen=True, slots=True)
class SetPoints:
    """Mission TC 130,1: one :class:`~controller.types.ActuatorCommand`, every cycle.

    Sent without acknowledgement flags (no verification reports). Values
    outside a field's range saturate; NaN becomes the safe state's value.
    The booleans share one flag byte (``docs/icd.md`` 4.4): bit 0
    ``ring_centring``, 1 ``latch_arm``, 2 ``latch_release``, 3
    ``seal_valve_open``, 4 ``tunnel_valve_open``, 5 ``pushrods_fire``, 6
    ``tunnel_vent_open`` (a formerly reserved bit, so the size is unchanged);
    bit 7 is reserved 0.
    """

    IS_TM: ClassVar[bool] = False
    SERVICE: ClassVar[int] = Service.MECHANISM
    SUBTYPE: ClassVar[int] = ST_SETPOINTS
    DEFAULT_ACK: ClassVar[int] = ACK_NONE

    cmd: ActuatorCommand = field(default_factory=ActuatorCommand)


@dataclass(frozen=True, slots=True)
class ModeCommand:
    """Mission TC 130,2: switch the device to a :class:`DeviceMode` (SAFE or ACTIVE)."""

    IS_TM: ClassVar[bool] = False
    SERVICE: ClassVar[int] = Service.MECHANISM
    SUBTYPE: ClassVar[int] = ST_MODE
    DEFAULT_ACK: ClassVar[int] = ACK_ACCEPT_COMPLETE

    mode: int = DeviceMode.SAFE


@dataclass(frozen=True, slots=True)
class Verification:
    """PUS 1 request verification report (device -> host).

    ``subtype`` is 1 (acceptance OK), 2 (acceptance failed), 7 (completion OK)
    or 8 (completion failed); ``tc_seq_count`` is the CCSDS sequence count of
    the TC it reports on. Failures carry an :class:`ErrorCode` and 32 bits of
    error data; successes carry zeros there (and do not send them).
    """

    IS_TM: ClassVar[bool] = True
    SERVICE: ClassVar[int] = Service.VERIFICATION

    subtype: int
    tc_seq_count: int
    error_code: int = 0
    error_data: int = 0

    @property
    def success(self) -> bool:
        return self.subtype % 2 == 1


@dataclass(frozen=True, slots=True)
class EventReport:
    """PUS 5 event report (device -> host); the subtype is the :class:`Severity`."""

    IS_TM: ClassVar[bool] = True
    SERVICE: ClassVar[int] = Service.EVENT

    severity: int
    """:class:`Severity`, 1..4 (= the PUS subtype)."""
    event_id: int
    """:class:`EventId`, uint16."""
    index: int = 0
    """Which latch, hook, sensor or fault bit, uint8."""
    value: int = 0
    """Event-specific value, int32 (see :class:`EventId`)."""


@dataclass(frozen=True, slots=True)
class SimSetup:
    """Mission TC 131,1 (simulated devices only): re-initialise the plant at t = 0."""

    IS_TM: ClassVar[bool] = False
    SERVICE: ClassVar[int] = Service.SIMULATION
    SUBTYPE: ClassVar[int] = ST_SIM_SETUP
    DEFAULT_ACK: ClassVar[int] = ACK_ACCEPT_COMPLETE

    preset: str
    """Preset name, UTF-8, at most :data:`PRESET_MAX_LEN` bytes."""
    seed: int
    """Random seed, uint64."""
    initial: InitialConditions = field(default_factory=InitialConditions)


@dataclass(frozen=True, slots=True)
class SimInject:
    """Mission TC 131,2 (simulated devices only): switch a plant fault on or off."""

    IS_TM: ClassVar[bool] = False
    SERVICE: ClassVar[int] = Service.SIMULATION
    SUBTYPE: ClassVar[int] = ST_SIM_INJECT
    DEFAULT_ACK: ClassVar[int] = ACK_ACCEPT_COMPLETE

    fault: PlantFault
    active: bool = True


@dataclass(frozen=True, slots=True)
class SimStep:
    """Mission TC 131,3 (lockstep only): advance the plant ``steps`` control periods.

    The device applies the newest set-points, steps, and answers with one
    :class:`Housekeeping` report sampled at the new time.
    """

    IS_TM: ClassVar[bool] = False
    SERVICE: ClassVar[int] = Service.SIMULATION
    SUBTYPE: ClassVar[int] = ST_SIM_STEP
    DEFAULT_ACK: ClassVar[int] = ACK_NONE

    steps: int = 1
    """Periods to advance, uint16, >= 1."""


@dataclass(frozen=True, slots=True)
class SimTruth:
    """Mission TM 131,128 (simulated devices only): model truth of the last report.

    Sent right after each :class:`Housekeeping` report by a device whose Hello
    has the TRUTH capability, so telemetry over the link carries the same
    energy ledger and true loads as the in-process backend (``extra`` is not
    carried). Values are IEEE-754 doubles: this packet is for simulation and
    is never on a bench's budget.
    """

    IS_TM: ClassVar[bool] = True
    SERVICE: ClassVar[int] = Service.SIMULATION
    SUBTYPE: ClassVar[int] = ST_SIM_TRUTH

    truth: Truth


Message = (
    Ping
    | Pong
    | HelloRequest
    | Hello
    | Heartbeat
    | HostHeartbeat
    | Housekeeping
    | SetPoints
    | ModeCommand
    | Verification
    | EventReport
    | SimSetup
    | SimInject
    | SimStep
    | SimTruth
)
"""Every message the link carries."""

TM_MESSAGES: tuple[type, ...] = (
    Pong,
    Hello,
    Heartbeat,
    Housekeeping,
    Verification,
    EventReport,
    SimTruth,
)
TC_MESSAGES: tuple[type, ...] = (
    Ping,
    HelloRequest,
    HostHeartbeat,
    SetPoints,
    ModeCommand,
    SimSetup,
    SimInject,
    SimStep,
)


@dataclass(frozen=True, slots=True)
class Packet:
    """One decoded packet: the message and what its headers said.

    ``time_s`` is the TM time stamp on the source's clock, s (None for a TC);
    ``msg_counter`` the PUS-C message type counter of a TM (0 for a TC);
    ``ack_flags`` the PUS-C acknowledgement flags of a TC (0 for a TM);
    ``gap`` how many packets from the same source were lost (or arrived out
    of order) just before this one, judged by the CCSDS sequence count.
    """

    msg: Message
    is_tm: bool
    seq_count: int
    time_s: float | None = None
    msg_counter: int = 0
    ack_flags: int = 0
    gap: int = 0
