"""Values the controller hands back besides actuator commands: events and command results.

Events feed the run record (``result.json``: ``events: [{t_s, kind, detail}]``)
and the phase timeline. They are produced only when something changes, so a
long quiet run produces a short list.
"""

from __future__ import annotations

from dataclasses import dataclass

EVENT_KINDS = frozenset(
    {
        "phase",  # phase or step entered; detail = new phase string and why
        "command_accepted",
        "command_rejected",  # detail says why
        "fault",  # monitor finding or mechanism fault detected
        "recovered",  # a monitor finding cleared (data good again, power back)
        "interlock",  # the controller masked a set-point an interlock forbids
        "abort",  # ABORT entered; detail = cause
        "safe",  # SAFE entered; detail = cause
        "retry",  # a fault response retried (capture, jam, attenuation, seal)
        "degraded",  # a redundant element was given up; detail = flag
        "contingency_unlock",  # hooks failed to open by T_unlock: pyros on a bench
        "info",  # figures worth recording (seal decay rates, preloads)
        "internal_fault",  # a controller bug caught; detail = exception and phase; SAFE follows
    }
)


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened, stamped with frame time ``t_s`` (s)."""

    t_s: float
    kind: str
    detail: str


@dataclass(frozen=True, slots=True)
class CommandResult:
    """Outcome of an operator command: accepted or rejected with a reason, never an exception."""

    command: str
    accepted: bool
    phase_before: str
    phase_after: str
    reason: str = ""

    def __bool__(self) -> bool:
        return self.accepted
