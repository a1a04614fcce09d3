"""The dual seal, the cabin pressure on the tunnel, and the cavity and tunnel pressures.

The seal ring is lumped at the three structural angles: a nonlinear elastic
force ``k d^n`` on its compression d (m) with a damper. The gas is
isothermal and ideal with linear leak conductances (kg/(s Pa)): nominal when
every seal lump is compressed at least ``P_DSEAL_MIN``, large when not, and
an unsealed joint also opens the tunnel to space all round.
"""

from __future__ import annotations

import numpy as np

from sim_bridge._kernel.bodies import Placement, apply, loc, pvel, wpt
from sim_bridge._kernel.jit import kernel
from sim_bridge._kernel.ledger import K_ACTUATOR, K_OTHER, apply_recorded
from sim_bridge._layout import (
    B_CHASER,
    B_STATION,
    F_SEAL_LEAK,
    P_AT,
    P_C_NOM,
    P_C_OPEN,
    P_C_TOPEN,
    P_C_TVALVE,
    P_C_TVENT,
    P_C_VALVE,
    P_CSEAL,
    P_DSEAL_MIN,
    P_DT,
    P_HS,
    P_KSEAL,
    P_NSEAL,
    P_PCAB,
    P_RSEAL,
    P_RT,
    P_STRUCT_C,
    P_STRUCT_S,
    P_VCAV,
    P_VTUN,
    U_SEAL_VALVE,
    U_TUNNEL_VALVE,
    U_TUNNEL_VENT,
    W_SEALC,
    W_U,
    X_P_CAV,
    X_P_TUN,
    X_SEAL_MIN,
)


@kernel
def seal_lump(
    x: np.ndarray, p: np.ndarray, w: np.ndarray, S: Placement, chaser: Placement, k: int
) -> tuple[float, float]:
    """One third of the seal ring at structural angle ``k``: (compression m, elastic force N)."""
    q = loc(chaser, 0.0, p[P_RSEAL] * p[P_STRUCT_C + k], p[P_RSEAL] * p[P_STRUCT_S + k])
    dc = p[P_HS] - q[0]
    w[W_SEALC + k] = dc
    pw = 0.0
    if dc > 0.0:
        nSx = S[0][0]
        nSy = S[0][3]
        nSz = S[0][6]
        Px, Py, Pz = wpt(S, q)
        pw = p[P_KSEAL] * dc ** p[P_NSEAL] / 3.0
        w[W_U] += pw * dc / (p[P_NSEAL] + 1.0)
        apply(x, w, B_CHASER, B_STATION, pw * nSx, pw * nSy, pw * nSz, Px, Py, Pz)
        va = pvel(x, w, B_CHASER, Px, Py, Pz)
        vb = pvel(x, w, B_STATION, Px, Py, Pz)
        vn = (va[0] - vb[0]) * nSx + (va[1] - vb[1]) * nSy + (va[2] - vb[2]) * nSz
        fd = -p[P_CSEAL] * vn / 3.0
        apply_recorded(x, w, K_OTHER, B_CHASER, B_STATION, fd * nSx, fd * nSy, fd * nSz, Px, Py, Pz)
    return dc, pw


@kernel
def tunnel_pressure_force(
    x: np.ndarray, p: np.ndarray, w: np.ndarray, RS: tuple[float, ...],
    Cx: float, Cy: float, Cz: float,
) -> None:  # fmt: skip
    """Tunnel pressure (Pa) on the tunnel's cross-section pushes the vehicles apart (N)."""
    if x[X_P_TUN] > 0.0:
        nSx = RS[0]
        nSy = RS[3]
        nSz = RS[6]
        fp = x[X_P_TUN] * p[P_AT]
        apply_recorded(
            x, w, K_ACTUATOR, B_CHASER, B_STATION, fp * nSx, fp * nSy, fp * nSz, Cx, Cy, Cz
        )


@kernel
def pressures(x: np.ndarray, p: np.ndarray, u: np.ndarray, f: np.ndarray, powered: bool) -> None:
    """Cavity and tunnel pressures (Pa) after one step of the valves and leaks."""
    dt = p[P_DT]
    pc = x[X_P_CAV]
    pt = x[X_P_TUN]
    sealed = x[X_SEAL_MIN] >= p[P_DSEAL_MIN]
    cs = p[P_C_NOM] if sealed else p[P_C_OPEN]
    valve = 1.0 if (u[U_SEAL_VALVE] > 0.5 and powered) else 0.0
    tvalve = 1.0 if (u[U_TUNNEL_VALVE] > 0.5 and powered) else 0.0
    tvent = 1.0 if (u[U_TUNNEL_VENT] > 0.5 and powered) else 0.0
    leak = f[F_SEAL_LEAK] * min(1.0, pc / 1000.0)
    mc = valve * p[P_C_VALVE] * (p[P_PCAB] - pc) - cs * pc - cs * (pc - pt) - leak
    mt = tvalve * p[P_C_TVALVE] * (p[P_PCAB] - pt) + cs * (pc - pt) - tvent * p[P_C_TVENT] * pt
    if not sealed:
        mt -= p[P_C_TOPEN] * pt  # the opened joint is a gap all round the tunnel: it dumps at once
    x[X_P_CAV] = max(0.0, pc + dt * p[P_RT] / p[P_VCAV] * mc)
    x[X_P_TUN] = max(0.0, pt + dt * p[P_RT] / p[P_VTUN] * mt)
