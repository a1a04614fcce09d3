"""The hardware abstraction layer: one small protocol, backends chosen by URL.

The harness owns the loop ``frame = hal.read(); cmd = controller.step(frame);
hal.write(cmd)``; the controller never calls the HAL. Backends are looked up
by URL scheme in :data:`BACKENDS`, a plain table of ``(module, class)`` names
imported lazily, the way ``pyserial.serial_for_url`` and python-can's
``Bus(interface=...)`` do it. That keeps ``controller`` free of imports from
``sim_bridge`` and ``hil`` while ``open_hal("sim://...")`` still works.

Lockstep backends advance simulated time by exactly one control period in
``write``; ``read`` then returns the frame sampled at the new time.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from typing import Protocol, runtime_checkable
from urllib.parse import parse_qsl, urlsplit

from controller.errors import ConfigError, HalError, UnknownBackendError
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


HAL_URL_ENV = "DOCKHIL_HAL_URL"

#: scheme -> (module, class). The class is called as ``cls(url, **options)``
#: with the URL's query parameters as string options.
BACKENDS: dict[str, tuple[str, str]] = {
    "sim": ("sim_bridge.backend", "SimHal"),
    "serial": ("hil.backends.serial_hal", "SerialHal"),
    "vmcu": ("hil.backends.vmcu_hal", "VmcuHal"),
    # pyserial's own URL handlers, passed straight through to the serial backend
    "socket": ("hil.backends.serial_hal", "SerialHal"),
    "rfc2217": ("hil.backends.serial_hal", "SerialHal"),
    "loop": ("hil.backends.serial_hal", "SerialHal"),
    "spy": ("hil.backends.serial_hal", "SerialHal"),
    "hwgrep": ("hil.backends.serial_hal", "SerialHal"),
}


def parse_url(url: str) -> tuple[str, str, dict[str, str]]:
    """Split a HAL URL into (scheme, location, options). A bare path has scheme ``''``."""
    parts = urlsplit(url)
    options = dict(parse_qsl(parts.query, keep_blank_values=True))
    location = parts.netloc + parts.path
    return parts.scheme, location, options


def backend_class(url: str) -> type[Hal]:
    """Resolve the backend class for ``url`` from :data:`BACKENDS`."""
    scheme, _, _ = parse_url(url)
    if scheme == "" and url.startswith("/"):
        scheme = "serial"  # a plain device path, e.g. /dev/ttyACM0 or a pty
    try:
        module_name, class_name = BACKENDS[scheme]
    except KeyError:
        known = ", ".join(sorted(f"{s}://" for s in BACKENDS))
        raise UnknownBackendError(
            f"no HAL backend for URL {url!r} (known schemes: {known}, or a device path)"
        ) from None
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise HalError(
            f"backend {scheme}:// needs {module_name}, which failed to import: {exc}"
        ) from exc
    cls: type[Hal] = getattr(module, class_name)
    return cls


def open_hal(url: str | None = None, **overrides: str) -> Hal:
    """Open the backend named by ``url`` (or ``$DOCKHIL_HAL_URL``, or ``sim://``).

    ``overrides`` add to or replace the URL's query options.
    """
    if url is None:
        url = os.environ.get(HAL_URL_ENV, "sim://")
    cls = backend_class(url)
    try:
        return cls(url, **overrides)  # type: ignore[call-arg]
    except TypeError as exc:
        raise ConfigError(f"backend for {url!r} rejected its options: {exc}") from exc


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
