"""Initial states of the plant: free approach and mated at rest.

Built in numpy from the preset's parameter array (layout :mod:`sim_bridge._layout`);
the mated state is put in axial equilibrium with the kernel's own force
evaluation, so a run that starts mated does not jump at t = 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from controller.types import N_HOOK_SETS, N_HOOKS, N_LATCHES, InitialConditions
from sim_bridge import _kernel as K  # noqa: N812
from sim_bridge import _layout as L  # noqa: N812

__all__ = ["free_state", "mated_state"]


def _quat_from_rotvec(v: Sequence[float]) -> tuple[float, float, float, float]:
    """Unit quaternion (w, x, y, z) of the rotation vector ``v`` (axis times angle, rad)."""
    a = math.sqrt(sum(c * c for c in v))
    if a < 1e-15:
        return (1.0, 0.0, 0.0, 0.0)
    s = math.sin(0.5 * a) / a
    return (math.cos(0.5 * a), v[0] * s, v[1] * s, v[2] * s)


def _qmat(q: Sequence[float]) -> np.ndarray:
    """Rotation matrix of the quaternion ``q``; numpy twin of the kernel's ``bodies.qmat``."""
    w, a, b, c = q
    return np.array(
        [
            [1 - 2 * (b * b + c * c), 2 * (a * b - c * w), 2 * (a * c + b * w)],
            [2 * (a * b + c * w), 1 - 2 * (a * a + c * c), 2 * (b * c - a * w)],
            [2 * (a * c - b * w), 2 * (b * c + a * w), 1 - 2 * (a * a + b * b)],
        ]
    )


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a x b of two 3-vectors, the same numbers as ``np.cross`` at a tenth of its cost
    (a campaign places every run by bisection over start states)."""
    return np.array(
        (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])
    )


def free_state(p: np.ndarray, ic: InitialConditions) -> np.ndarray:
    """Approach state: ring at its ready stop, chaser ``ic.distance_m`` out, zero momentum."""
    x = np.zeros(L.NX)
    oS, oC, oR = 0, L.BODY, 2 * L.BODY
    x[oS : oS + 3] = (-p[L.P_DS], 0.0, 0.0)
    x[oS + 6] = 1.0
    x[oR + 6] = 1.0
    qc = _quat_from_rotvec([math.radians(a) for a in ic.angle_deg])
    R = _qmat(qc)
    d = p[L.P_E_READY]
    ext = d + p[L.P_F0] / p[L.P_KSTOP]  # ring rests against its stop, preloaded
    oc = np.array([ic.distance_m + ext * R[0, 0], *ic.lateral_offset_m])
    pc = oc + R @ np.array([p[L.P_DC], 0.0, 0.0])
    pr = oc + R @ np.array([-ext, 0.0, 0.0])
    om = np.radians(np.asarray(ic.rate_deg_s, dtype=np.float64))
    vrel = np.array([-ic.closing_speed_m_s, *ic.lateral_speed_m_s])
    a = vrel - _cross(om, oc - pc)
    vr_extra = _cross(om, pr - pc)
    mtot = p[L.P_MS] + p[L.P_MC] + p[L.P_MR]
    vs = -(p[L.P_MC] * a + p[L.P_MR] * (a + vr_extra)) / mtot
    x[oS + 3 : oS + 6] = vs
    x[oC : oC + 3] = pc
    x[oC + 3 : oC + 6] = vs + a
    x[oC + 6 : oC + 10] = qc
    x[oC + 10 : oC + 13] = R.T @ om
    x[oR : oR + 3] = pr
    x[oR + 3 : oR + 6] = vs + a + vr_extra
    x[oR + 6 : oR + 10] = qc
    x[oR + 10 : oR + 13] = R.T @ om
    x[L.X_NUT] = d
    x[L.X_THR_T] = -1.0  # the chaser's GNC waits for a contact report
    x[L.X_P_CAV] = 0.0
    x[L.X_P_TUN] = 0.0
    return x


def mated_state(
    p: np.ndarray,
    u: np.ndarray,
    f: np.ndarray,
    tunnel_pressure_pa: float,
    cavity_pressure_pa: float,
    hooks_closed: bool,
) -> np.ndarray:
    """Mated state at rest: ring retracted and latched; hooks at preload or open.

    With the hooks closed the structural gap is found by bisection on the
    kernel's own net axial force on the chaser, so the state starts in
    equilibrium. With the hooks open the faces rest where the seal just
    touches (end of retraction, before locking). ``u`` is the command (dampers
    and brake off) and ``f`` the faults (healthy) the bisection evaluates with.
    """
    x = free_state(p, InitialConditions(distance_m=0.0, closing_speed_m_s=0.0))
    gains = p[L.P_HK_GAIN : L.P_HK_GAIN + N_HOOKS]
    offs = p[L.P_HK_OFF : L.P_HK_OFF + N_HOOKS]
    if hooks_closed:
        x[L.X_HOOK_Q : L.X_HOOK_Q + N_HOOKS] = 1.0
        for s in range(N_HOOK_SETS):
            # the cable stops where the last hook of the set reaches its stroke end
            x[L.X_CABLE + s] = p[L.P_SC] * float(np.max((1.0 + offs[s::2]) / gains[s::2]))
    else:
        x[L.X_HOOK_Q : L.X_HOOK_Q + N_HOOKS] = np.clip(-offs, 0.0, 1.0)
    x[L.X_LATCH : L.X_LATCH + N_LATCHES] = 1.0
    x[L.X_P_TUN] = tunnel_pressure_pa
    x[L.X_P_CAV] = cavity_pressure_pa

    def place(gap: float) -> np.ndarray:
        y = x.copy()
        ext = gap - 0.5 * p[L.P_PLAY]  # ring face inside the latch play
        y[L.BODY : L.BODY + 3] = (gap + p[L.P_DC], 0.0, 0.0)
        y[2 * L.BODY : 2 * L.BODY + 3] = (gap - ext, 0.0, 0.0)
        y[2 * L.BODY + 6 : 2 * L.BODY + 10] = (1.0, 0.0, 0.0, 0.0)
        y[L.X_NUT] = ext - p[L.P_F0] / p[L.P_KSTOP]
        return y

    if not hooks_closed:
        return place(p[L.P_HS])
    lo, hi = -0.003, 0.0  # net force > 0 (pushed apart) at lo, < 0 at hi
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if K.chaser_axial_force(place(mid), p, u, f) > 0.0:
            lo = mid
        else:
            hi = mid
    return place(0.5 * (lo + hi))
