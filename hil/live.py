"""``dockhil run --live``: the telemetry as it happens, in Foxglove or Lichtblick, and in MCAP.

The Foxglove SDK (``pip install -e '.[live]'``) serves the run's channels
over its WebSocket protocol (open ``ws://127.0.0.1:8765`` in Foxglove or the
open-source Lichtblick) and records the same channels to ``live.mcap`` in
the run directory. Messages are JSON with a JSON Schema per channel; their
log time is the run's simulated (device) time, so the recording plays back
on the run's own clock.

It costs nothing when off: without ``--live`` the loop records into a plain
:class:`~hil.telemetry.TelemetryRecorder` and this module is never imported.
With it, :class:`LiveTelemetry` publishes every ``1 / rate_hz`` s of
simulated time as well as recording each cycle.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from controller.errors import ConfigError
from controller.types import ActuatorCommand, SensorFrame, Truth
from hil.telemetry import TelemetryRecorder

DEFAULT_PORT = 8765
"""Foxglove's usual WebSocket port."""
DEFAULT_RATE_HZ = 20.0
"""Messages per channel per second of simulated time."""


def _number_array(n: int, description: str) -> dict[str, Any]:
    return {
        "type": "array",
        "items": {"type": "number"},
        "minItems": n,
        "maxItems": n,
        "description": description,
    }


def _schema(description: str, properties: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "properties": {"t_s": {"type": "number", "description": "simulated time, s"}, **properties},
    }


_NUM = {"type": "number"}

CHANNELS: dict[str, dict[str, Any]] = {
    "/dockhil/phase": _schema(
        "The controller's phase (PHASE or PHASE.SUBSTATE)", {"phase": {"type": "string"}}
    ),
    "/dockhil/motion": _schema(
        "Relative motion of the chaser interface (sensed), m, m/s, deg",
        {
            "gap_m": _NUM,
            "ring_extension_m": _NUM,
            "lateral_m": _number_array(2, "y, z, m"),
            "rel_vel_m_s": _number_array(3, "x, y, z, m/s"),
            "angle_deg": _number_array(3, "roll, pitch, yaw, deg"),
        },
    ),
    "/dockhil/loads": _schema(
        "Interface loads, N (true_* from the model where the backend has one)",
        {"axial_n": _NUM, "lateral_n": _NUM, "true_axial_n": _NUM, "true_lateral_n": _NUM},
    ),
    "/dockhil/latches": _schema(
        "Capture latches, 1 captured", {"captured": _number_array(6, "latch 0..5")}
    ),
    "/dockhil/hooks": _schema(
        "Hooks: position (0 open, 1 closed) and load, N",
        {"pos": _number_array(12, "hook 0..11"), "load_n": _number_array(12, "hook 0..11, N")},
    ),
    "/dockhil/seals": _schema(
        "Seal cavities and tunnel pressure, Pa",
        {"cavity_a_pa": _NUM, "cavity_b_pa": _NUM, "tunnel_pa": _NUM},
    ),
    "/dockhil/command": _schema(
        "Set-points sent this cycle",
        {
            "damper_n_s_m": _NUM,
            "brake_slip_n": _NUM,
            "ring_speed_m_s": _NUM,
            "hook_motor_v": _number_array(2, "set A, set B, V"),
        },
    ),
}
"""Topic -> JSON Schema of the channels served and recorded."""


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _vec(v: tuple[float, ...], scale: float = 1.0) -> list[float | None]:
    return [_finite(x * scale) for x in v]


def messages(
    frame: SensorFrame, truth: Truth | None, phase: str, cmd: ActuatorCommand
) -> dict[str, dict[str, Any]]:
    """One cycle as a message per channel (JSON-ready; non-finite values are null)."""
    t = frame.t_s
    deg = 180.0 / math.pi
    return {
        "/dockhil/phase": {"t_s": t, "phase": phase},
        "/dockhil/motion": {
            "t_s": t,
            "gap_m": _finite(frame.rel_pos_m[0]),
            "ring_extension_m": _finite(frame.ring_extension_m),
            "lateral_m": _vec(frame.rel_pos_m[1:]),
            "rel_vel_m_s": _vec(frame.rel_vel_m_s),
            "angle_deg": _vec(frame.rel_angle_rad, deg),
        },
        "/dockhil/loads": {
            "t_s": t,
            "axial_n": _finite(frame.axial_load_n),
            "lateral_n": _finite(frame.lateral_load_n),
            "true_axial_n": None if truth is None else _finite(truth.axial_load_n),
            "true_lateral_n": None if truth is None else _finite(truth.lateral_load_n),
        },
        "/dockhil/latches": {"t_s": t, "captured": [float(x) for x in frame.latch_captured]},
        "/dockhil/hooks": {
            "t_s": t,
            "pos": _vec(frame.hook_pos),
            "load_n": _vec(frame.hook_load_n),
        },
        "/dockhil/seals": {
            "t_s": t,
            "cavity_a_pa": _finite(frame.seal_cavity_pressure_pa),
            "cavity_b_pa": _finite(frame.seal_cavity_pressure_b_pa),
            "tunnel_pa": _finite(frame.tunnel_pressure_pa),
        },
        "/dockhil/command": {
            "t_s": t,
            "damper_n_s_m": cmd.damper_n_s_m,
            "brake_slip_n": cmd.brake_slip_n,
            "ring_speed_m_s": cmd.ring_speed_m_s,
            "hook_motor_v": list(cmd.hook_motor_v),
        },
    }


class LiveView:
    """A Foxglove WebSocket server and an MCAP writer on a context of their own."""

    def __init__(
        self,
        port: int = DEFAULT_PORT,
        mcap_path: Path | None = None,
        host: str = "127.0.0.1",
        rate_hz: float = DEFAULT_RATE_HZ,
    ) -> None:
        try:
            import foxglove
        except ImportError:
            raise ConfigError(
                "--live needs the Foxglove SDK: pip install -e '.[live]' (or foxglove-sdk)"
            ) from None
        if not (math.isfinite(rate_hz) and rate_hz > 0):
            raise ConfigError(f"--live-rate must be a positive number of Hz, not {rate_hz}")
        self.rate_hz = rate_hz
        self._context = foxglove.Context()
        self._channels = {
            topic: foxglove.Channel(topic, schema=schema, context=self._context)
            for topic, schema in CHANNELS.items()
        }
        self._server: Any = None
        try:
            self._server = foxglove.start_server(
                name="dockhil", host=host, port=port, context=self._context
            )
        except Exception as exc:  # the SDK raises its own error types for a busy port
            raise ConfigError(f"--live: cannot serve on {host}:{port}: {exc}") from None
        self.port: int = self._server.port
        self.url = f"ws://{host}:{self.port}"
        self._mcap: Any = None
        if mcap_path is not None:
            self._mcap = foxglove.open_mcap(mcap_path, allow_overwrite=True, context=self._context)
        self.mcap_path = mcap_path

    def publish(self, msgs: Mapping[str, Mapping[str, Any]], t_s: float) -> None:
        log_time = max(0, round(t_s * 1e9))
        for topic, msg in msgs.items():
            self._channels[topic].log(dict(msg), log_time=log_time)

    def close(self) -> None:
        """Finish the MCAP file and stop the server; idempotent."""
        if self._mcap is not None:
            self._mcap.close()
            self._mcap = None
        if self._server is not None:
            self._server.stop()
            self._server = None


class LiveTelemetry(TelemetryRecorder):
    """A telemetry recorder that also publishes to a :class:`LiveView`.

    Publishes the first cycle and then one every ``1 / view.rate_hz`` s of
    simulated time; records every cycle as its base class does.
    """

    def __init__(
        self,
        view: LiveView,
        path: str | Path | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(path, metadata=metadata)
        self.view = view
        self._every_s = 1.0 / view.rate_hz
        self._next_s = -math.inf

    def record(
        self, frame: SensorFrame, truth: Truth | None, phase: str, cmd: ActuatorCommand
    ) -> None:
        super().record(frame, truth, phase, cmd)
        if frame.t_s >= self._next_s:
            self._next_s = frame.t_s + self._every_s
            self.view.publish(messages(frame, truth, phase, cmd), frame.t_s)

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.view.close()
