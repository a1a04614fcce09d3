"""The hardware abstraction layer: one small protocol, backends chosen by URL.

The harness owns the loop ``frame = hal.read(); cmd = controller.step(frame);
hal.write(cmd)``; the controller never calls the HAL. This module holds only
the seam: the :class:`Hal` protocol every backend provides, the optional
extras a harness may use where a backend has them (declared here as
protocols, so nothing is reached by ``getattr``), and URL parsing helpers the
backends share. The table of backends by URL scheme lives with the backends
(:mod:`hil.backends`), so ``controller`` names no module of ``sim_bridge`` or
``hil``.

Lockstep backends advance simulated time by exactly one control period in
``write``; ``read`` then returns the frame sampled at the new time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable
from urllib.parse import parse_qsl, urlsplit

from controller.errors import ConfigError
from controller.types import ActuatorCommand, InitialConditions, PlantFault, SensorFrame, Truth

# Capability names a backend may advertise (tests gate on them).
LOCKSTEP = "lockstep"
FAULT_INJECTION = "fault_injection"
TRUTH = "truth"
HARDWARE = "hardware"


@runtime_checkable
class Hal(Protocol):
    """What every backend provides. Small on purpose."""

    @property
    def capabilities(self) -> frozenset[str]:
        """Subset of {lockstep, fault_injection, truth, hardware}."""
        ...

    @property
    def period_s(self) -> float:
        """Control period the backend runs at, s."""
        ...

    def read(self) -> SensorFrame:
        """Latest sensor frame. Raises :class:`~controller.errors.LinkError` if the link died."""
        ...

    def write(self, cmd: ActuatorCommand) -> None:
        """Send set-points (in lockstep: apply them and advance one period)."""
        ...

    def truth(self) -> Truth | None:
        """Model truth for telemetry, or ``None`` where there is no model."""
        ...

    def close(self) -> None:
        """Release the backend; idempotent."""
        ...


def parse_url(url: str) -> tuple[str, str, dict[str, str]]:
    """Split a HAL URL into (scheme, location, options). A bare path has scheme ``''``."""
    parts = urlsplit(url)
    options = dict(parse_qsl(parts.query, keep_blank_values=True))
    location = parts.netloc + parts.path
    return parts.scheme, location, options


def option_float(options: Mapping[str, str], name: str, default: float) -> float:
    """Parse a float URL option with a clear error."""
    if name not in options:
        return default
    try:
        return float(options[name])
    except ValueError:
        raise ConfigError(f"URL option {name}={options[name]!r} is not a number") from None


def option_int(options: Mapping[str, str], name: str, default: int) -> int:
    """Parse an integer URL option with a clear error."""
    if name not in options:
        return default
    try:
        return int(options[name])
    except ValueError:
        raise ConfigError(f"URL option {name}={options[name]!r} is not an integer") from None


@runtime_checkable
class LinkCounters(Protocol):
    """A backend with a link (serial, TCP) counts what crossed it."""

    def link_counters(self) -> dict[str, int]:
        """Decoder rejects, frames and bytes each way, since the link was opened."""
        ...


@runtime_checkable
class ArrivalStamps(Protocol):
    """A backend that knows when (host monotonic clock) each frame's bytes arrived."""

    def last_arrival_ns(self) -> int | None:
        """Monotonic ns at which the frame last returned by ``read`` arrived."""
        ...


@runtime_checkable
class DeviceIdentity(Protocol):
    """A device that identified itself (a Hello: firmware, ICD version, name, period)."""

    def device_identity(self) -> dict[str, str | int]:
        """What the device said it is, as flat JSON-ready values; empty before a Hello."""
        ...


@runtime_checkable
class DeviceEvents(Protocol):
    """A device that reports events of its own (PUS 5: limit switches, edges, faults)."""

    def drain_device_events(self) -> list[str]:
        """The device's events since the last call, one line each, oldest first."""
        ...


@runtime_checkable
class PhaseReport(Protocol):
    """A device link that tells the device the controller's phase (``HostHeartbeat.mode``)."""

    def report_phase(self, code: int) -> None:
        """The controller's phase code (index in ``controller.phases.Phase``, 0..14)."""
        ...


@runtime_checkable
class SourceClock(Protocol):
    """A wrapper whose controller-facing frames may lag the backend's own clock.

    A sensor dropout fault feeds the controller a frozen frame while the
    backend's time goes on; the run's schedule follows ``source_t_s``.
    """

    @property
    def source_t_s(self) -> float:
        """Time stamp of the newest frame the backend produced, s."""
        ...


@runtime_checkable
class SimControl(Protocol):
    """Extra calls of simulated backends (in-process plant, virtual microcontroller).

    A bench has none of them; the harness checks ``isinstance(hal, SimControl)``.
    """

    def setup(self, preset: str, seed: int, initial: InitialConditions) -> None:
        """Re-initialise the plant at t = 0 for a run."""
        ...

    def inject(self, fault: PlantFault, active: bool = True) -> None:
        """Switch a physical fault on (or off) from the next step."""
        ...
