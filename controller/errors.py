"""One exception tree for dockhil.

::

    DockhilError
    ├── ConfigError            a file or argument the user supplied is wrong (exit code 2)
    │   └── ScenarioError      a scenario file is malformed; names the file and the field
    ├── HalError               a HAL backend cannot be opened or used
    │   ├── UnknownBackendError    no backend for that URL scheme
    │   ├── DeviceRefusedError     the device is not one this host can drive, or refused a
    │   │                          request on its merits (bad Hello, unknown preset)
    │   └── LinkError          the link to the mechanism failed (port vanished, stale data)
    │       └── DeviceSafeError    the device stopped applying set-points (SAFE, watchdog)
    ├── ProtocolError          bytes on the wire violate the interface control document
    └── PlantError             the simulated mechanism was asked for something impossible

Messages are whole sentences a bench operator can act on. Inside the control
loop nothing raises on bad sensor data: bad frames become fault events (see
``controller.monitor``); these exceptions are for the edges (files, ports, URLs).
"""

from __future__ import annotations


class DockhilError(Exception):
    """Base of every error dockhil raises on purpose."""


class ConfigError(DockhilError, ValueError):
    """A user-supplied file, URL or argument is invalid.

    Example scenarios: a preset name that does not exist, a negative duration.
    """


class ScenarioError(ConfigError):
    """A scenario file is malformed.

    Carries ``path`` and ``field`` so the command line can say exactly which
    key of which file is wrong and what was expected.
    """

    def __init__(self, path: str, field: str, expected: str) -> None:
        self.path = path
        self.field = field
        self.expected = expected
        super().__init__(f"{path}: field '{field}': {expected}")


class HalError(DockhilError):
    """A HAL backend could not be opened or used."""

    event_kind = "link_fault"
    """The event kind a run records when this ends it."""


class UnknownBackendError(HalError, ConfigError):
    """No backend is registered for the URL's scheme."""


class DeviceRefusedError(HalError, ConfigError):
    """The device at the URL cannot be used as asked: it is not a link fault.

    Its Hello is not one this host can drive (protocol version, a period of
    zero), or it refused a request on its merits (an unknown preset). The
    user picked the wrong device or the wrong request: exit code 2.
    """


class LinkError(HalError, ConnectionError):
    """The link to the mechanism failed: the port vanished or data went stale.

    Example scenarios: the USB cable was pulled, the virtual microcontroller
    was killed, housekeeping stopped arriving within the ICD's timeout.
    """


class DeviceSafeError(LinkError):
    """The device is not applying the host's set-points: it reports SAFE or BOOT, its
    set-point watchdog tripped, or its heartbeats stopped. Commanding on would be blind."""

    event_kind = "device_fault"


class ProtocolError(DockhilError):
    """Bytes violate the interface control document (used at API edges only;
    the stream decoder counts rejects instead of raising)."""


class PlantError(DockhilError):
    """The simulated mechanism was configured or driven outside its model."""
