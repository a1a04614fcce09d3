"""Ring drive: the speed-controlled nut, its motor current, and the centring pull.

The nut moves the far end of the buffer spring and brake, so extending,
holding and retracting the ring all go through them. Centring is a
force-limited PD pull of the ring's lateral offset and tilt back to the
chaser axis that cannot drive the ring faster than the screws move
(equalisation to symmetric stops, DOMAIN 2a [S14 p.65]); its output goes
through the drive's lag (state ``X_CENT``): without the lag the damping
term would act on the light ring within one step and be unstable at 1 ms.
A jammed drive or a bus below the drive's minimum voltage stops both.
"""

from __future__ import annotations

import math

import numpy as np

from sim_bridge._kernel.bodies import clip
from sim_bridge._kernel.buffer import ring_load
from sim_bridge._kernel.jit import kernel
from sim_bridge._kernel.ledger import K_ACTUATOR
from sim_bridge._layout import (
    F_BUS_V,
    F_DRIVE_JAM,
    P_BUS,
    P_CCENT,
    P_CCENT_T,
    P_D_MIN,
    P_DRIVE_ALPHA,
    P_DT,
    P_E_READY,
    P_FCENT,
    P_I_IDLE,
    P_I_PER_N,
    P_I_STALL,
    P_KCENT,
    P_KCENT_T,
    P_MCENT,
    P_RF,
    P_V_MIN_BUS,
    P_VMAX,
    U_CENTRING,
    U_RING_SPEED,
    W_CENT,
    W_FB,
    W_FS,
    W_LAT,
    W_RATES,
    W_TILT,
    X_CENT,
    X_DRIVE_F,
    X_DRIVE_I,
    X_NUT,
    X_NUT_V,
)


@kernel
def bus_voltage(p: np.ndarray, f: np.ndarray) -> float:
    """Bus voltage, V: the preset's, unless a power fault overrides it."""
    return float(p[P_BUS] if math.isnan(f[F_BUS_V]) else f[F_BUS_V])


@kernel
def drive_available(p: np.ndarray, f: np.ndarray) -> bool:
    """The drive can move the nut and centre the ring: bus above its minimum, not jammed."""
    return bool(bus_voltage(p, f) >= p[P_V_MIN_BUS] and f[F_DRIVE_JAM] == 0.0)


@kernel
def drive_limited(target: float, limit: float, rate: float, rate_max: float) -> float:
    """Centring output on one axis: the target clipped to the drive's force ``limit``, and
    nothing that would push the ring along faster than the screws can follow (``rate_max``).

    Equalisation drives the ball screws towards their symmetric stops [S14 p.65]: it can
    hold and brake the ring at any force up to its limit, but it can only drive it at
    screw speed, so it is not a free source of energy.
    """
    out = clip(target, -limit, limit)
    if out * rate > 0.0 and abs(rate) > rate_max:
        return 0.0
    return out


@kernel
def centring_forces(
    x: np.ndarray,
    p: np.ndarray,
    u: np.ndarray,
    w: np.ndarray,
    RC: tuple[float, ...],
    drive_ok: bool,
) -> None:
    """Centring target from the ring kinematics in ``w``; apply the lagged output.

    Targets: lateral force (N) and tilt moment (N m), each clipped to the
    drive's limit. The applied output is recorded as actuator work.
    """
    if u[U_CENTRING] > 0.5 and drive_ok:
        vmax = p[P_VMAX]
        wmax = p[P_VMAX] / p[P_RF]
        w[W_CENT] = drive_limited(
            -p[P_KCENT] * w[W_LAT] - p[P_CCENT] * w[W_RATES], p[P_FCENT], w[W_RATES], vmax
        )
        w[W_CENT + 1] = drive_limited(
            -p[P_KCENT] * w[W_LAT + 1] - p[P_CCENT] * w[W_RATES + 1],
            p[P_FCENT],
            w[W_RATES + 1],
            vmax,
        )
        w[W_CENT + 2] = drive_limited(
            -p[P_KCENT_T] * w[W_TILT] - p[P_CCENT_T] * w[W_RATES + 2],
            p[P_MCENT],
            w[W_RATES + 2],
            wmax,
        )
        w[W_CENT + 3] = drive_limited(
            -p[P_KCENT_T] * w[W_TILT + 1] - p[P_CCENT_T] * w[W_RATES + 3],
            p[P_MCENT],
            w[W_RATES + 3],
            wmax,
        )
    if x[X_CENT] != 0.0 or x[X_CENT + 1] != 0.0 or x[X_CENT + 2] != 0.0 or x[X_CENT + 3] != 0.0:
        cent_f = (0.0, x[X_CENT], x[X_CENT + 1])
        ring_load(x, w, K_ACTUATOR, RC, cent_f, (0.0, x[X_CENT + 2], x[X_CENT + 3]))


@kernel
def centring_lag(x: np.ndarray, p: np.ndarray, w: np.ndarray, drive_ok: bool) -> None:
    """The centring output follows its target through the drive lag; below 1e-9 it is 0."""
    ad = p[P_DRIVE_ALPHA]
    for i in range(4):
        tgt = w[W_CENT + i] if drive_ok else 0.0
        x[X_CENT + i] += ad * (tgt - x[X_CENT + i])
        if abs(x[X_CENT + i]) < 1e-9 and tgt == 0.0:
            x[X_CENT + i] = 0.0


@kernel
def nut(
    x: np.ndarray, p: np.ndarray, u: np.ndarray, f: np.ndarray, w: np.ndarray, powered: bool
) -> None:
    """Nut speed follows the command (m/s) through the drive lag, between its stops;
    record the force through the drive (N) and the motor current (A)."""
    vcmd = clip(u[U_RING_SPEED], -p[P_VMAX], p[P_VMAX])
    jam = f[F_DRIVE_JAM] != 0.0
    if jam or not powered:
        x[X_NUT_V] = 0.0
    else:
        x[X_NUT_V] += p[P_DRIVE_ALPHA] * (vcmd - x[X_NUT_V])
        x[X_NUT] += x[X_NUT_V] * p[P_DT]
        if x[X_NUT] > p[P_E_READY]:
            x[X_NUT] = p[P_E_READY]
            x[X_NUT_V] = min(x[X_NUT_V], 0.0)
        elif x[X_NUT] < p[P_D_MIN]:
            x[X_NUT] = p[P_D_MIN]
            x[X_NUT_V] = max(x[X_NUT_V], 0.0)
    fdrive = w[W_FS] + w[W_FB]
    x[X_DRIVE_F] = fdrive
    if not powered:
        x[X_DRIVE_I] = 0.0
    elif jam and vcmd != 0.0:
        x[X_DRIVE_I] = p[P_I_STALL]
    else:
        idle = p[P_I_IDLE] if (vcmd != 0.0 or u[U_CENTRING] > 0.5) else 0.0
        x[X_DRIVE_I] = min(p[P_I_STALL], idle + abs(fdrive) * p[P_I_PER_N])
