"""Named interlocks: combinations of phase, sensed state and command that must never occur.

:func:`violated` is the single definition. The controller runs it on every
command it is about to emit and masks the offending set-points
(:func:`enforce`), so it cannot emit a violating command even when a law or
a sequence step has a bug; the harness runs it again on every cycle of every
scenario as an independent check. Each interlock reads only the frame, the
command and the phase string, never controller internals, so both sides
agree by construction.

The interlocks (DOMAIN.md sections 1 and 3, and the mechanism's physics):

``hook_drive_needs_capture_and_retraction``
    closing hooks only with every latch pair captured and the ring fully retracted.
``latch_release_needs_hooks_open``
    no latch release while any hook is past the open threshold.
``retraction_needs_damped_motion``
    no ring retraction while captured unless relative motion is within the
    residual limit (plus the motion the retraction itself causes).
``pushrods_need_hooks_open_and_latches_free``
    push-rods only after every hook is open and every latch released.
``tunnel_valve_needs_seal_pass``
    no tunnel pressurisation unless the seal check passed (phase ``MATED``
    exactly; a leaking joint is ``MATED.UNSEALED``) and a full hook set holds.
``seal_valve_needs_hard_lock``
    no cavity pressurisation unless a full hook set is closed.
``hook_opening_needs_vented_tunnel``
    no hook opening (negative hook motor voltage) while the tunnel pressure is
    above ``tunnel_pressure_limit_pa``: at cabin pressure the tunnel pushes
    the craft apart with about 51 kN and would throw the chaser off the
    still-latched ring (DOMAIN U1: vent before unlocking).
``tunnel_valve_and_vent_exclusive``
    the tunnel valve (to the cabin) and the tunnel vent (to vacuum) never
    open together: that would vent the cabin.
``ring_drive_needs_hooks_open``
    the ring drive must not fight closed hooks.
``latch_arm_and_release_exclusive``
    one latch command at a time.
``no_drive_on_bad_frame``
    an implausible frame must not move anything (drives, valves, releases, push-rods).
``no_motor_on_undervoltage``
    no ring or hook motor on a sagging bus (locks self-hold; resume later).
``safe_outputs_safe_command``
    in SAFE the command is exactly :data:`~controller.types.SAFE_COMMAND`.
"""

from __future__ import annotations

from dataclasses import replace

from controller.config import DEFAULT_CONFIG, ControllerConfig
from controller.monitor import implausible
from controller.types import SAFE_COMMAND, ActuatorCommand, SensorFrame

HOOK_DRIVE = "hook_drive_needs_capture_and_retraction"
LATCH_RELEASE = "latch_release_needs_hooks_open"
RETRACTION = "retraction_needs_damped_motion"
PUSHRODS = "pushrods_need_hooks_open_and_latches_free"
TUNNEL_VALVE = "tunnel_valve_needs_seal_pass"
SEAL_VALVE = "seal_valve_needs_hard_lock"
HOOK_OPEN = "hook_opening_needs_vented_tunnel"
TUNNEL_EXCLUSIVE = "tunnel_valve_and_vent_exclusive"
RING_VS_HOOKS = "ring_drive_needs_hooks_open"
LATCH_EXCLUSIVE = "latch_arm_and_release_exclusive"
BAD_FRAME = "no_drive_on_bad_frame"
UNDERVOLTAGE = "no_motor_on_undervoltage"
SAFE_OUTPUT = "safe_outputs_safe_command"


def _pairs_ok(latches: tuple[bool, ...], need_both: bool) -> bool:
    if need_both:
        return all(latches)
    return (latches[0] or latches[1]) and (latches[2] or latches[3]) and (latches[4] or latches[5])


def _drives_active(cmd: ActuatorCommand) -> bool:
    va, vb = cmd.hook_motor_v
    return (
        cmd.ring_speed_m_s != 0.0
        or va != 0.0
        or vb != 0.0
        or cmd.ring_centring
        or cmd.latch_release
        or cmd.pushrods_fire
        or cmd.seal_valve_open
        or cmd.tunnel_valve_open
        or cmd.tunnel_vent_open
    )


def violated(
    phase: str,
    frame: SensorFrame,
    cmd: ActuatorCommand,
    config: ControllerConfig | None = None,
    frame_ok: bool | None = None,
) -> list[str]:
    """Names of the interlocks that ``cmd`` would violate in ``phase`` given ``frame``.

    ``phase`` is the controller's phase string after the cycle (e.g.
    ``"LOCKING.PRELOAD"``). ``frame_ok`` lets a caller that has already run
    the plausibility check skip repeating it; the harness leaves it None.
    """
    cfg = config or DEFAULT_CONFIG
    out: list[str] = []
    if (phase == "SAFE" or phase.startswith("SAFE.")) and replace(cmd, seq=0) != SAFE_COMMAND:
        out.append(SAFE_OUTPUT)
    if frame_ok is None:
        frame_ok = implausible(frame, cfg) is None
    if not frame_ok:
        if _drives_active(cmd):
            out.append(BAD_FRAME)
        return out
    hook_pos = frame.hook_pos
    va, vb = cmd.hook_motor_v
    ring_v = cmd.ring_speed_m_s
    if (ring_v != 0.0 or va != 0.0 or vb != 0.0) and frame.bus_voltage_v < cfg.bus_undervoltage_v:
        out.append(UNDERVOLTAGE)
    if (va > 0.0 or vb > 0.0) and not (
        frame.ring_retracted and _pairs_ok(frame.latch_captured, cfg.latch_pair_needs_both)
    ):
        out.append(HOOK_DRIVE)
    if (va < 0.0 or vb < 0.0) and frame.tunnel_pressure_pa > cfg.tunnel_pressure_limit_pa:
        out.append(HOOK_OPEN)
    if cmd.tunnel_valve_open and cmd.tunnel_vent_open:
        out.append(TUNNEL_EXCLUSIVE)
    hooks_open = max(hook_pos) <= cfg.hook_open_pos
    if cmd.latch_release and not hooks_open:
        out.append(LATCH_RELEASE)
    if cmd.latch_release and cmd.latch_arm:
        out.append(LATCH_EXCLUSIVE)
    if ring_v != 0.0 and not hooks_open:
        out.append(RING_VS_HOOKS)
    if ring_v < 0.0 and any(frame.latch_captured):
        vx, vy, vz = frame.rel_vel_m_s
        wx, wy, wz = frame.rel_rate_rad_s
        v_allowed = cfg.residual_speed_limit_m_s - ring_v + cfg.retraction_motion_margin_m_s
        w_allowed = 2.0 * cfg.residual_rate_limit_rad_s
        if (
            vx * vx + vy * vy + vz * vz > v_allowed * v_allowed
            or wx * wx + wy * wy + wz * wz > w_allowed * w_allowed
        ):
            out.append(RETRACTION)
    if cmd.pushrods_fire and (not hooks_open or any(frame.latch_captured)):
        out.append(PUSHRODS)
    if cmd.seal_valve_open or cmd.tunnel_valve_open:
        closed = cfg.hook_closed_pos
        locked = min(hook_pos[0::2]) >= closed or min(hook_pos[1::2]) >= closed
        if cmd.seal_valve_open and not locked:
            out.append(SEAL_VALVE)
        if cmd.tunnel_valve_open and not (locked and phase == "MATED"):
            out.append(TUNNEL_VALVE)
    return out


def mask(cmd: ActuatorCommand, names: list[str]) -> ActuatorCommand:
    """``cmd`` with the set-points behind each violated interlock removed.

    Masking only ever removes action (stop a drive, close a valve, drop a
    release), so it cannot create a new violation except through the
    undervoltage or bad-frame rules, which remove every drive.
    """
    if SAFE_OUTPUT in names:
        return replace(SAFE_COMMAND, seq=cmd.seq)
    if BAD_FRAME in names or UNDERVOLTAGE in names:
        return ActuatorCommand(seq=cmd.seq, latch_arm=cmd.latch_arm and not cmd.latch_release)
    changes: dict[str, object] = {}
    va, vb = cmd.hook_motor_v
    if HOOK_DRIVE in names:
        va, vb = min(va, 0.0), min(vb, 0.0)
    if HOOK_OPEN in names:
        va, vb = max(va, 0.0), max(vb, 0.0)
    if HOOK_DRIVE in names or HOOK_OPEN in names:
        changes["hook_motor_v"] = (va, vb)
    if TUNNEL_EXCLUSIVE in names:
        changes["tunnel_valve_open"] = False
        changes["tunnel_vent_open"] = False
    if LATCH_RELEASE in names:
        changes["latch_release"] = False
    if LATCH_EXCLUSIVE in names:
        changes["latch_arm"] = False
    if RING_VS_HOOKS in names or RETRACTION in names:
        changes["ring_speed_m_s"] = 0.0
    if PUSHRODS in names:
        changes["pushrods_fire"] = False
    if SEAL_VALVE in names:
        changes["seal_valve_open"] = False
    if TUNNEL_VALVE in names:
        changes["tunnel_valve_open"] = False
    return replace(cmd, **changes)  # type: ignore[arg-type]


def enforce(
    phase: str,
    frame: SensorFrame,
    cmd: ActuatorCommand,
    config: ControllerConfig | None = None,
    frame_ok: bool | None = None,
) -> tuple[ActuatorCommand, list[str]]:
    """Return ``cmd`` made compliant, and the interlocks the original violated."""
    names = violated(phase, frame, cmd, config, frame_ok)
    if not names:
        return cmd, names
    safe = mask(cmd, names)
    if violated(phase, frame, safe, config, frame_ok):
        safe = replace(SAFE_COMMAND, seq=cmd.seq)
    return safe, names
