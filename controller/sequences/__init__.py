"""The phase procedures, one small class per phase, grouped by the sequence they belong to.

* :mod:`controller.sequences.docking`: READY to RETRACTION (prepare,
  approach, capture, damp, centre, retract);
* :mod:`controller.sequences.locking`: LOCKING, SEAL_CHECK, MATED;
* :mod:`controller.sequences.undocking`: UNLOCKING, SEPARATION and ABORT.

STANDBY and SAFE only hold. :data:`PROCEDURES` maps each phase to its
procedure class; the machine builds a new instance on every entry, which is
what resets the phase's memory (:mod:`controller.sequences.context`).
"""

from __future__ import annotations

from dataclasses import dataclass

from controller.phases import Phase
from controller.sequences.context import Cycle, Procedure
from controller.sequences.docking import (
    Approach,
    Buffering,
    Capture,
    Contact,
    Correction,
    Ready,
    Retraction,
)
from controller.sequences.locking import Locking, Mated, SealCheck
from controller.sequences.undocking import Abort, Separation, Unlocking
from controller.types import ActuatorCommand, SensorFrame


@dataclass(slots=True)
class Safe(Procedure):
    """SAFE: exactly the safe command (drives off, valves shut) until an operator reset."""

    def run(self, c: Cycle, f: SensorFrame) -> ActuatorCommand:
        return ActuatorCommand(seq=c.seq)


PROCEDURES: dict[Phase, type[Procedure]] = {
    Phase.STANDBY: Procedure,
    Phase.READY: Ready,
    Phase.APPROACH: Approach,
    Phase.CONTACT: Contact,
    Phase.CAPTURE: Capture,
    Phase.BUFFERING: Buffering,
    Phase.CORRECTION: Correction,
    Phase.RETRACTION: Retraction,
    Phase.LOCKING: Locking,
    Phase.SEAL_CHECK: SealCheck,
    Phase.MATED: Mated,
    Phase.UNLOCKING: Unlocking,
    Phase.SEPARATION: Separation,
    Phase.ABORT: Abort,
    Phase.SAFE: Safe,
}
"""The procedure of each phase; a new instance per entry is the phase's fresh memory."""

__all__ = ["PROCEDURES", "Cycle", "Procedure"]
