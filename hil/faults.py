"""Fault injection as a HAL wrapper, so the same fault runs on every backend.

Sensor faults (``sensor_*``) rewrite the frames the controller sees; they work
on ``sim://``, the virtual microcontroller and a bench alike. Physical faults
(a jammed hook, a broken cable, ...) are forwarded to the backend's
``SimControl.inject`` when it has one; on a bench they are reported as not
injectable rather than silently skipped.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from controller.errors import ConfigError
from controller.hal import ArrivalStamps, Hal, SimControl
from controller.types import ActuatorCommand, PlantFault, SensorFrame, Truth
from hil.scenario import SENSOR_FAULT_KINDS, Fault


class FaultyHal:
    """Wraps a HAL and applies the sensor faults that are active.

    ``rng`` is the seeded generator for noise faults (time and randomness are
    passed in, never global).
    """

    def __init__(self, inner: Hal, rng: np.random.Generator) -> None:
        self.inner = inner
        self._rng = rng
        self._active: list[tuple[Fault, Any]] = []
        self._frozen: SensorFrame | None = None
        self.source_t_s = 0.0
        """Time stamp of the newest frame the backend produced, s: the run's clock even
        while a dropout fault feeds the controller a frozen frame."""

    @property
    def capabilities(self) -> frozenset[str]:
        return self.inner.capabilities | {"fault_injection"}

    @property
    def period_s(self) -> float:
        return self.inner.period_s

    def activate(self, fault: Fault, frame: SensorFrame | None) -> None:
        """Switch ``fault`` on; ``frame`` is the latest frame (for stuck values)."""
        if fault.kind in SENSOR_FAULT_KINDS:
            held = getattr(frame, fault.field) if (frame is not None and fault.field) else None
            self._active.append((fault, held))
            if fault.kind == "sensor_dropout":
                self._frozen = frame
            return
        if not isinstance(self.inner, SimControl):
            raise ConfigError(
                f"fault {fault.kind!r} is physical and this backend cannot inject it "
                "(only simulated backends can)"
            )
        self.inner.inject(PlantFault(fault.kind, fault.index, fault.value), True)

    def deactivate(self, fault: Fault) -> None:
        if fault.kind in SENSOR_FAULT_KINDS:
            self._active = [(f, h) for f, h in self._active if f is not fault]
            if fault.kind == "sensor_dropout":
                self._frozen = None
        elif isinstance(self.inner, SimControl):
            self.inner.inject(PlantFault(fault.kind, fault.index, fault.value), False)

    def read(self) -> SensorFrame:
        frame = self.inner.read()
        self.source_t_s = frame.t_s
        if not self._active:
            return frame
        if self._frozen is not None:
            return self._frozen
        changes: dict[str, Any] = {}
        for fault, held in self._active:
            current = changes.get(fault.field, getattr(frame, fault.field, None))
            changes[fault.field] = self._apply(fault, held, current)
        return dataclasses.replace(frame, **changes)

    def _apply(self, fault: Fault, held: Any, current: Any) -> Any:
        if isinstance(current, tuple):
            items = list(current)
            k = min(fault.index, len(items) - 1)
            items[k] = self._apply_scalar(
                fault, held[k] if isinstance(held, tuple) else held, items[k]
            )
            return tuple(items)
        return self._apply_scalar(fault, held, current)

    def _apply_scalar(self, fault: Fault, held: Any, value: Any) -> Any:
        if fault.kind == "sensor_stuck":
            return held
        if isinstance(value, bool):
            # boolean sensors: bias/noise/nan make no sense; "stuck" is the fault
            return not value if fault.kind == "sensor_nan" else value
        if fault.kind == "sensor_bias":
            return value + fault.value
        if fault.kind == "sensor_noise":
            return value + float(self._rng.normal(0.0, fault.value))
        if fault.kind == "sensor_nan":
            return math.nan
        return value

    def write(self, cmd: ActuatorCommand) -> None:
        self.inner.write(cmd)

    def last_arrival_ns(self) -> int | None:
        """Monotonic ns at which the last frame arrived, where the backend knows it."""
        return self.inner.last_arrival_ns() if isinstance(self.inner, ArrivalStamps) else None

    def truth(self) -> Truth | None:
        return self.inner.truth()

    def close(self) -> None:
        self.inner.close()
