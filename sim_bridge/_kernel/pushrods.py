"""The four separation push-rods: cocked springs released once, on command.

A released rod pushes the chaser off with a force falling linearly from
``P_PR_FF`` (compressed) to ``P_PR_FE`` (N) over its stroke (m). Releasing
the cocked springs is energy put into the mechanism: it is booked as
actuator work at the release, and from then on the springs' energy is in the
stored ledger.
"""

from __future__ import annotations

import numpy as np

from sim_bridge._kernel.bodies import Placement, apply, clip, loc, wpt
from sim_bridge._kernel.jit import kernel
from sim_bridge._layout import (
    B_CHASER,
    B_STATION,
    P_PR_C,
    P_PR_FE,
    P_PR_FF,
    P_PR_S,
    P_PR_STROKE,
    P_RPR,
    U_PUSHRODS,
    W_PRGAP,
    W_U,
    X_FIRED,
    X_W_ACT,
)


# Same signature shape as latches.latch_forces (state, parameters, scratch, two
# placements): the kernels' common calling convention, not shared logic.
@kernel
def pushrod_forces(
    x: np.ndarray, p: np.ndarray, w: np.ndarray, S: Placement, chaser: Placement
) -> None:
    """Gap at each rod (m) to ``w``; once fired, each rod's spring force where it touches."""
    for k in range(4):
        q = loc(chaser, 0.0, p[P_RPR] * p[P_PR_C + k], p[P_RPR] * p[P_PR_S + k])
        w[W_PRGAP + k] = q[0]
        if x[X_FIRED] > 0.5:
            xc = p[P_PR_STROKE] - q[0]
            if xc > 0.0:
                Px, Py, Pz = wpt(S, q)
                if xc > p[P_PR_STROKE]:
                    xc = p[P_PR_STROKE]
                slope = (p[P_PR_FF] - p[P_PR_FE]) / p[P_PR_STROKE]
                fp = p[P_PR_FE] + slope * xc
                w[W_U] += p[P_PR_FE] * xc + 0.5 * slope * xc * xc
                apply(
                    x, w, B_CHASER, B_STATION, fp * S[0][0], fp * S[0][3], fp * S[0][6], Px, Py, Pz
                )


@kernel
def fire(x: np.ndarray, p: np.ndarray, u: np.ndarray, w: np.ndarray, powered: bool) -> None:
    """Release the rods on command (once, needs power); book the springs' energy as work, J."""
    if u[U_PUSHRODS] > 0.5 and x[X_FIRED] < 0.5 and powered:
        x[X_FIRED] = 1.0
        slope = (p[P_PR_FF] - p[P_PR_FE]) / p[P_PR_STROKE]
        for k in range(4):
            xc = clip(p[P_PR_STROKE] - w[W_PRGAP + k], 0.0, p[P_PR_STROKE])
            x[X_W_ACT] += p[P_PR_FE] * xc + 0.5 * slope * xc * xc
