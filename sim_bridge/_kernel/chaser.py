"""The chaser's GNC after contact: axial thrust that presses the rings together until capture.

Apollo-Soyuz found that a slow approach captures only if the chaser keeps
pushing after contact; Soyuz's contact sensor switches its jets on "to
accelerate linkage" (DOMAIN 2a, [S14 p.31, p.234-235]). The mechanism reports
contact on a discrete (``U_CONTACT``, the controller's ``contact_reported``);
after ``P_THR_DELAY`` the chaser fires ``P_THR_F`` along its own axis until the
discrete drops (capture) or ``P_THR_MAX`` of burn, whichever comes first.

The thrust is an external force, so it moves the pair's centre of mass. The
plant integrates in the centre-of-mass frame: the chaser gets ``F`` and every
body ``i`` the inertial reaction ``-F m_i / M``. Relative motion is exact,
the total momentum stays zero, and the kinetic energy in the ledger remains
the relative kinetic energy that DOMAIN 2a's energy measure needs. The
thrust's work (its power in this frame, trapezoidal over the step like the
force records of :mod:`ledger`) is booked as actuator work and on its own.
"""

from __future__ import annotations

import numpy as np

from sim_bridge._kernel.jit import kernel
from sim_bridge._layout import (
    B_CHASER,
    BODY,
    F_THRUST_DELAY,
    F_THRUST_SCALE,
    F_THRUST_STUCK,
    P_DT,
    P_MC,
    P_MR,
    P_MS,
    P_MTOT,
    P_THR_DELAY,
    P_THR_F,
    P_THR_MAX,
    U_CONTACT,
    W_FORCE,
    W_THR,
    W_THR_P0,
    X_THR_BURN,
    X_THR_T,
    X_THRUST,
    X_W_ACT,
    X_W_THRUST,
)


@kernel
def thrust_power(x: np.ndarray, p: np.ndarray, w: np.ndarray) -> float:
    """Power of the thrust and its inertial reactions at the bodies' current speeds, W."""
    masses = (p[P_MS], p[P_MC], p[P_MR])
    total = 0.0
    for b in range(3):
        o = b * BODY
        share = (1.0 if b == B_CHASER else 0.0) - masses[b] / p[P_MTOT]
        total += share * (w[W_THR] * x[o + 3] + w[W_THR + 1] * x[o + 4] + w[W_THR + 2] * x[o + 5])
    return total


@kernel
def thrust_forces(x: np.ndarray, p: np.ndarray, w: np.ndarray, RC: tuple[float, ...]) -> None:
    """Apply the thrust of the last GNC decision (``X_THRUST``, N, along the chaser's -x:
    its +x points from the docking interface to its centre of mass, away from the station)."""
    f = x[X_THRUST]
    w[W_THR] = -f * RC[0]
    w[W_THR + 1] = -f * RC[3]
    w[W_THR + 2] = -f * RC[6]
    if f == 0.0:
        w[W_THR_P0] = 0.0
        return
    masses = (p[P_MS], p[P_MC], p[P_MR])
    for b in range(3):
        k = W_FORCE + 6 * b
        share = (1.0 if b == B_CHASER else 0.0) - masses[b] / p[P_MTOT]
        w[k] += share * w[W_THR]
        w[k + 1] += share * w[W_THR + 1]
        w[k + 2] += share * w[W_THR + 2]
    w[W_THR_P0] = thrust_power(x, p, w)


@kernel
def book_thrust(x: np.ndarray, p: np.ndarray, w: np.ndarray) -> None:
    """Add this step's thrust work (J) after the velocity update."""
    if x[X_THRUST] == 0.0:
        return
    e = thrust_power(x, p, w) * p[P_DT]
    x[X_W_ACT] += e
    x[X_W_THRUST] += e


@kernel
def gnc(x: np.ndarray, p: np.ndarray, u: np.ndarray, f: np.ndarray) -> None:
    """The chaser's decision for the next step: fire, keep firing or stop (N in ``X_THRUST``).

    The timer starts when contact is reported and resets once the report has
    dropped and the jets are off, so a retried approach fires again. A stuck
    thrust fault ignores both the report and the burn limit.
    """
    dt = p[P_DT]
    reported = u[U_CONTACT] > 0.5
    stuck = f[F_THRUST_STUCK] != 0.0
    if x[X_THR_T] < 0.0:
        if reported:
            x[X_THR_T] = 0.0
            x[X_THR_BURN] = 0.0
    else:
        x[X_THR_T] += dt
    firing = False
    if x[X_THR_T] >= 0.0:
        due = x[X_THR_T] >= p[P_THR_DELAY] + f[F_THRUST_DELAY]
        firing = due and ((reported and x[X_THR_BURN] < p[P_THR_MAX]) or stuck)
        if not firing and not reported:
            x[X_THR_T] = -1.0
    if firing:
        x[X_THR_BURN] += dt
        x[X_THRUST] = p[P_THR_F] * f[F_THRUST_SCALE]
    else:
        x[X_THRUST] = 0.0
