"""dockhil controller: the firmware reference for the docking mechanism.

Pure logic: phases, guards, control laws, safety monitors, the HAL seam and
the wire protocol. No wall clock, no sleeping, no global randomness, and no
imports from ``sim_bridge`` or ``hil``.
"""

from controller.errors import DockhilError
from controller.types import SAFE_COMMAND, ActuatorCommand, SensorFrame, Truth

__version__ = "0.1.0"
__all__ = ["SAFE_COMMAND", "ActuatorCommand", "DockhilError", "SensorFrame", "Truth", "__version__"]
