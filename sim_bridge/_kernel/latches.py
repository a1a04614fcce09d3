"""The six capture latches (two per petal): engagement logic and the latched spring.

A latch engages only when armed, not commanded to release, not failed, its
petal's alignment sensor is made, the ring face is within the latch play of
the passive face and the lateral error is within the engagement tolerance.
An engaged latch is a stiff spring (``P_KL``, N/m) beyond about 1 mm of free
play axially, a lateral catch beyond the tolerance, and a damper on closing.

Capture needs a force sufficient to actuate the latches, not only alignment
(DOMAIN 2a, [S14 p.171]): over the last ``P_LATCH_RAMP`` before engagement an
armed, aligned tongue rides its catch's ramp (state ``X_LATCH_RIDE``) and
pushes the ring back with ``P_LATCH_F``. The ramp stores that work in the
pawl spring (``F (play + ramp - gap)``); when the tongue snaps out behind the
catch, or slides off it, the stored energy is spent (booked as dissipated,
"other"), so each latch costs the closing motion about ``F x ramp``. A ring
that stops on the ramp is pushed back out: the slow rebound Apollo-Soyuz saw
without thrust.
"""

from __future__ import annotations

import numpy as np

from sim_bridge._kernel.bodies import Placement, apply, point_error, pvel, rot, wpt
from sim_bridge._kernel.jit import kernel
from sim_bridge._kernel.ledger import K_OTHER, apply_recorded
from sim_bridge._layout import (
    B_RING,
    B_STATION,
    F_LATCH_FAIL,
    P_CL,
    P_KL,
    P_LATCH_C,
    P_LATCH_F,
    P_LATCH_RAMP,
    P_LATCH_S,
    P_LTOL,
    P_PLAY,
    P_RL,
    U_ARM,
    U_RELEASE,
    W_ALIGN,
    W_LATCH_U,
    W_LGAP,
    W_LLAT,
    W_U,
    X_D_OTHER,
    X_LATCH,
    X_LATCH_RIDE,
)


@kernel
def latch_forces(
    x: np.ndarray,
    p: np.ndarray,
    u: np.ndarray,
    f: np.ndarray,
    w: np.ndarray,
    S: Placement,
    ring: Placement,
) -> None:
    """Forces of the engaged latches and of the tongues on their ramps; every latch's
    axial gap and lateral error (m) to ``w``."""
    for k in range(6):
        q, ey, ez, en = point_error(ring, 0.0, p[P_RL], p[P_LATCH_C + k], p[P_LATCH_S + k])
        w[W_LGAP + k] = q[0]
        w[W_LLAT + k] = en
        w[W_LATCH_U + k] = 0.0
        if x[X_LATCH + k] < 0.5:
            e = p[P_LATCH_F] * (p[P_PLAY] + p[P_LATCH_RAMP] - q[0])
            w[W_LATCH_U + k] = e
            if x[X_LATCH_RIDE + k] > 0.5:
                # the tongue on its catch's ramp pushes the ring back out (+x of S)
                w[W_U] += e
                Px, Py, Pz = wpt(S, q)
                fw = rot(S[0], p[P_LATCH_F], 0.0, 0.0)
                apply(x, w, B_RING, B_STATION, fw[0], fw[1], fw[2], Px, Py, Pz)
        else:
            Px, Py, Pz = wpt(S, q)
            g = q[0] - p[P_PLAY]
            lx = 0.0
            ly = 0.0
            lz = 0.0
            if g > 0.0:
                lx = -p[P_KL] * g
                w[W_U] += 0.5 * p[P_KL] * g * g
            if en > p[P_LTOL]:  # lateral catch: free inside the engagement tolerance
                gl = en - p[P_LTOL]
                ly = -p[P_KL] * gl * ey / en
                lz = -p[P_KL] * gl * ez / en
                w[W_U] += 0.5 * p[P_KL] * gl * gl
            RS = S[0]
            fw = rot(RS, lx, ly, lz)
            apply(x, w, B_RING, B_STATION, fw[0], fw[1], fw[2], Px, Py, Pz)
            if g > 0.0:
                nSx = RS[0]
                nSy = RS[3]
                nSz = RS[6]
                va = pvel(x, w, B_RING, Px, Py, Pz)
                vb = pvel(x, w, B_STATION, Px, Py, Pz)
                vn = (va[0] - vb[0]) * nSx + (va[1] - vb[1]) * nSy + (va[2] - vb[2]) * nSz
                fd = -p[P_CL] * vn
                apply_recorded(
                    x, w, K_OTHER, B_RING, B_STATION, fd * nSx, fd * nSy, fd * nSz, Px, Py, Pz
                )


@kernel
def latch_logic(
    x: np.ndarray, p: np.ndarray, u: np.ndarray, f: np.ndarray, w: np.ndarray, powered: bool
) -> None:
    """Engage or release the latches from the geometry of the last force evaluation."""
    release = u[U_RELEASE] > 0.5 and powered
    top = p[P_PLAY] + p[P_LATCH_RAMP]
    for k in range(6):
        can = (
            not release
            and u[U_ARM] > 0.5
            and f[F_LATCH_FAIL + k] == 0.0
            and w[W_ALIGN + k // 2] > 0.5
            and w[W_LLAT + k] < p[P_LTOL]
        )
        riding = x[X_LATCH_RIDE + k] > 0.5
        if release:
            x[X_LATCH + k] = 0.0
        if x[X_LATCH + k] > 0.5:
            continue
        gap = w[W_LGAP + k]
        if riding and (not can or gap > top or gap <= p[P_PLAY]):
            # off the ramp: snapped out behind the catch (engaged), slid off it, or backed
            # out; the pawl spring's energy, as the force evaluation found it, is spent
            x[X_LATCH_RIDE + k] = 0.0
            x[X_D_OTHER] += w[W_LATCH_U + k]
            if can and gap <= p[P_PLAY]:
                x[X_LATCH + k] = 1.0
        elif not riding and can and gap < top:
            # onto the ramp; a tongue that arrives sideways (alignment made below the top of
            # the ramp) starts compressed: energy the lumped model does not resolve, booked
            # as negative "other" dissipation so the ledger stays closed
            x[X_LATCH_RIDE + k] = 1.0
            x[X_D_OTHER] -= w[W_LATCH_U + k]
