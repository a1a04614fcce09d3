"""The in-process simulation backend of the HAL: ``sim://?preset=...&seed=...``.

``SimHal`` runs a :class:`~sim_bridge.plant.Plant` in lockstep with the
harness: ``write(cmd)`` applies the set-points and advances exactly one
control period (``period / dt`` physics steps); ``read()`` returns the frame
sampled at the new time. Both go through the wire's fixed point (set-points
per ICD 4.4 here, sensors per 4.3 in the plant's sensing, time stamps to the
ms), so a run here and the same run over the virtual microcontroller's link
are bit-identical. Same seed, same commands: bit-identical frames,
whatever the wall-clock speed.

URL options (all optional):

``preset``  preset name or TOML path (default ``cn-10t-100t``)
``seed``    sensor-noise seed, integer (default 0)
``dt``      physics step, s (default 0.001)
``period``  control period, s, a whole multiple of ``dt`` (default 0.001)
``mated``   ``1`` to start hard-mated at rest (undocking tests), ``0`` default
"""

from __future__ import annotations

from dataclasses import fields
from operator import attrgetter
from typing import Any

from controller.errors import ConfigError, HalError, LinkError
from controller.hal import FAULT_INJECTION, LOCKSTEP, TRUTH, option_float, option_int, parse_url
from controller.protocol.layouts import wire_command
from controller.types import ActuatorCommand, InitialConditions, PlantFault, SensorFrame, Truth
from sim_bridge.plant import Plant
from sim_bridge.preset import load_preset

DEFAULT_PRESET = "cn-10t-100t"
_setpoints = attrgetter(*(f.name for f in fields(ActuatorCommand) if f.name != "seq"))
"""Every field of a command but ``seq``: what :func:`wire_command` makes the plant's input
of, as a function of these values alone. Half the cycles of a docking repeat the last
set-points; they reuse its wire command (and so the plant's packed command) instead of
quantising them again. Values that compare equal quantise alike (0.0 and -0.0 both to 0)."""
_OPTIONS = frozenset({"preset", "seed", "dt", "period", "mated"})


class SimHal:
    """HAL backend over the in-process plant (lockstep, fault injection, truth)."""

    PERIOD_OPTION = ("period", 1.0)
    """The URL option that sets the control period, in s (see ``hil.backends.open_hal``)."""

    def __init__(self, url: str, initial: InitialConditions | None = None, **options: Any) -> None:
        scheme, _, opts = parse_url(url)
        if scheme != "sim":
            raise ConfigError(f"SimHal needs a sim:// URL, got {url!r}")
        opts.update({k: str(v) for k, v in options.items()})
        unknown = sorted(set(opts) - _OPTIONS)
        if unknown:
            raise ConfigError(
                f"sim:// does not know option(s) {', '.join(unknown)}; "
                f"known: {', '.join(sorted(_OPTIONS))}"
            )
        self._preset_name = opts.get("preset", DEFAULT_PRESET)
        self._seed = option_int(opts, "seed", 0)
        self._dt_s = option_float(opts, "dt", 0.001)
        period = option_float(opts, "period", self._dt_s)
        if not (self._dt_s > 0.0 and period > 0.0):
            raise ConfigError(f"sim:// dt={self._dt_s} and period={period} must be positive")
        n = round(period / self._dt_s)
        if n < 1 or abs(n * self._dt_s - period) > 1e-9 * max(1.0, period):
            raise ConfigError(
                f"sim:// period={period} s must be a whole multiple of dt={self._dt_s} s"
            )
        self._substeps = n
        self._period_s = n * self._dt_s
        self._mated = option_int(opts, "mated", 0) != 0
        self._closed = False
        self._cmd_in: ActuatorCommand | None = None
        self._cmd_wire = ActuatorCommand()
        self._cmd_key: tuple[object, ...] = ()
        """The set-points (every field but ``seq``) of the command ``_cmd_wire`` came from."""
        self._truth: Truth | None = None
        """The truth of the current step, once asked for (or kept before an injection)."""
        self._plant: Plant | None = None
        self.setup(self._preset_name, self._seed, initial or InitialConditions())

    # ------------------------------------------------------------ Hal
    @property
    def capabilities(self) -> frozenset[str]:
        return frozenset({LOCKSTEP, FAULT_INJECTION, TRUTH})

    @property
    def period_s(self) -> float:
        return self._period_s

    @property
    def plant(self) -> Plant:
        """The plant being served (for tests and tools)."""
        if self._plant is None or self._closed:
            raise HalError("sim:// backend is closed")
        return self._plant

    def read(self) -> SensorFrame:
        if self._closed:
            raise LinkError("sim:// backend is closed; open a new one")
        return self.plant.sense()

    def write(self, cmd: ActuatorCommand) -> None:
        if self._closed:
            raise LinkError("sim:// backend is closed; open a new one")
        if cmd is not self._cmd_in:  # the same object again keeps the plant's cache warm
            self._cmd_in = cmd
            key = _setpoints(cmd)
            if key != self._cmd_key:  # same set-points (seq aside): same wire command
                self._cmd_key = key
                self._cmd_wire = wire_command(cmd)
        self._truth = None
        self.plant.advance(self._cmd_wire, self._substeps)

    def write_from_wire(self, cmd: ActuatorCommand) -> None:
        """:meth:`write` for set-points decoded off the wire (the virtual microcontroller):
        they are quantised already, and quantising is idempotent, so it is not done again."""
        if self._closed:
            raise LinkError("sim:// backend is closed; open a new one")
        self._cmd_in = self._cmd_wire = cmd
        self._cmd_key = ()  # a later write() computes its wire command afresh
        self._truth = None
        self.plant.advance(cmd, self._substeps)

    def truth(self) -> Truth | None:
        """The model truth at the current step's sample, as a simulated device reports it
        (SimTruth right after the housekeeping report: before any injection of this cycle)."""
        if self._closed:
            return None
        if self._truth is None:
            self._truth = self.plant.device_truth()
        return self._truth

    def close(self) -> None:
        self._closed = True
        self._plant = None

    # ------------------------------------------------------------ SimControl
    def setup(self, preset: str, seed: int, initial: InitialConditions) -> None:
        """Re-initialise the plant at t = 0 (preset by name or path)."""
        if self._closed:
            raise HalError("sim:// backend is closed")
        ps = load_preset(preset)
        self._truth = None
        self._preset_name = preset
        self._seed = int(seed)
        if self._mated:
            self._plant = Plant.mated(ps, self._seed, self._dt_s)
        else:
            self._plant = Plant(ps, initial, self._seed, self._dt_s)

    def inject(self, fault: PlantFault, active: bool = True) -> None:
        if self._truth is None:
            self._truth = self.plant.device_truth()  # this step's truth: before the fault
        self.plant.inject(fault, active)

    def __enter__(self) -> SimHal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
