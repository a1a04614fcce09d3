"""The twelve structural hooks in two cable-driven sets of six.

A DC motor per set (V = R i + k_e w, self-locking gear of efficiency eta)
turns a drum that moves a closed cable. Each hook follows the cable through
its own segment (stiffness ``P_KSEG``, N per unit stroke) with small rigging
differences (gain, offset, friction), so the per-hook sensors see a spread.
Past ``P_QC`` of the stroke a hook meets its partner and loads a
force-regulating spring that reaches the preload at the stroke end, whatever
the motor does. The stroke ends are over-centre cams: the cable may run on
against a soft spring. Hook set A is the even hooks, set B the odd ones.
"""

from __future__ import annotations

import math

import numpy as np

from sim_bridge._kernel.bodies import Placement, apply, clip, loc, wpt
from sim_bridge._kernel.jit import kernel
from sim_bridge._layout import (
    B_CHASER,
    B_STATION,
    F_CABLE_BREAK,
    F_HOOK_JAM,
    F_MOTOR_FAIL,
    F_UNLOCK_FAIL,
    P_BM,
    P_DRUM,
    P_DT,
    P_ETA,
    P_GEAR,
    P_HK_FRIC,
    P_HK_GAIN,
    P_HK_KREG,
    P_HK_OFF,
    P_HLOAD_MAX,
    P_HOOK_C,
    P_HOOK_S,
    P_KSEG,
    P_KSOFT,
    P_KT,
    P_MA,
    P_QC,
    P_REACH,
    P_RH,
    P_RM,
    P_SC,
    P_SH,
    U_HOOK_V,
    W_HF,
    W_HGAP,
    W_U,
    X_CABLE,
    X_HOOK_ENG,
    X_HOOK_LOAD,
    X_HOOK_Q,
    X_MOT_I,
    X_MOT_W,
    X_TENSION,
    X_W_ACT,
)


@kernel
def hook_clamps(
    x: np.ndarray, p: np.ndarray, f: np.ndarray, w: np.ndarray, S: Placement, chaser: Placement
) -> None:
    """Clamp force of every hook within reach (N, pulling the chaser onto the station)."""
    for k in range(12):
        q = loc(chaser, 0.0, p[P_RH] * p[P_HOOK_C + k], p[P_RH] * p[P_HOOK_S + k])
        w[W_HGAP + k] = q[0]
        if q[0] < p[P_REACH] and f[F_CABLE_BREAK + (k % 2)] == 0.0:
            e = (x[X_HOOK_Q + k] - p[P_QC]) * p[P_SH] + q[0]
            if e > 0.0:
                Px, Py, Pz = wpt(S, q)
                fh = p[P_HK_KREG + k] * e
                w[W_HF + k] = fh
                w[W_U] += 0.5 * fh * e
                apply(
                    x,
                    w,
                    B_CHASER,
                    B_STATION,
                    -fh * S[0][0],
                    -fh * S[0][3],
                    -fh * S[0][6],
                    Px,
                    Py,
                    Pz,
                )


@kernel
def hook_sets(
    x: np.ndarray,
    p: np.ndarray,
    u: np.ndarray,
    f: np.ndarray,
    w: np.ndarray,
    bus: float,
    powered: bool,
) -> None:
    """Motor, drum and cable of each set, then each hook's new position and load.

    The motor is quasi-static (its speed settles within a step); the load
    torque is the cable tension through the drum and gear, with the gear's
    efficiency against or with the motor. A hook moves only when its segment
    force beats its friction; the clamp spring's work on a moving hook is
    actuator work.
    """
    dt = p[P_DT]
    for sset in range(2):
        v = u[U_HOOK_V + sset]
        v = clip(v, -bus, bus) if powered else 0.0
        broken = f[F_CABLE_BREAK + sset] != 0.0
        tension = 0.0 if broken else x[X_TENSION + sset]
        tl = tension * p[P_DRUM] / p[P_GEAR]
        wm = 0.0
        cur = 0.0
        if v != 0.0 and f[F_MOTOR_FAIL + sset] == 0.0:
            tl = tl / p[P_ETA] if tl * v > 0.0 else tl * p[P_ETA]
            cc = p[P_KT] * p[P_KT] / p[P_RM] + p[P_BM]
            wm = (p[P_KT] * v / p[P_RM] - tl) / cc
            wm = max(wm, 0.0) if v > 0.0 else min(wm, 0.0)
            cur = (v - p[P_KT] * wm) / p[P_RM]
        x[X_MOT_W + sset] = wm
        x[X_MOT_I + sset] = cur
        x[X_CABLE + sset] += wm * p[P_DRUM] / p[P_GEAR] * dt
        ten = 0.0
        for j in range(6):
            k = 2 * j + sset
            q = x[X_HOOK_Q + k]
            fh = w[W_HF + k]
            load = fh
            if broken:
                qn = q
                seg = 0.0
            else:
                qf = p[P_HK_GAIN + k] * x[X_CABLE + sset] / p[P_SC] - p[P_HK_OFF + k]
                if not math.isnan(f[F_HOOK_JAM + k]):
                    qn = f[F_HOOK_JAM + k]
                    seg = p[P_KSEG] * (qf - qn)
                    load = max(fh, abs(seg))
                else:
                    drive = p[P_KSEG] * (qf - q) - fh
                    fr = p[P_HK_FRIC + k]
                    if abs(drive) <= fr:
                        qn = q
                        seg = drive + fh
                    else:
                        fr = fr if drive > 0.0 else -fr
                        qn = qf - (fh + fr) / p[P_KSEG]
                        seg = fh + fr
                    if qn > 1.0:
                        seg += p[P_KSOFT] * (qn - 1.0)
                        qn = 1.0
                    elif qn < 0.0:
                        seg += p[P_KSOFT] * qn
                        qn = 0.0
                    if f[F_UNLOCK_FAIL + sset] != 0.0 and qn < q:
                        qn = q
                        seg = p[P_KSEG] * (qf - qn)
            x[X_W_ACT] += fh * p[P_SH] * (qn - q)
            x[X_HOOK_Q + k] = qn
            x[X_HOOK_LOAD + k] = min(load, p[P_HLOAD_MAX])
            x[X_HOOK_ENG + k] = 1.0 if fh > 0.0 else 0.0
            ten += seg / p[P_MA]
        x[X_TENSION + sset] = ten
