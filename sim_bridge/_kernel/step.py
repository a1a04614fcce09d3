"""One time step, the force evaluation that orders the elements, and the batch drivers.

The order in which :func:`evaluate` adds the elements' forces into ``w`` is
part of the result: floating-point sums depend on it, and the golden
digests (``tests/hil/golden.json``) hold it fixed. The brake comes last
because its stuck force balances all the others.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from sim_bridge._kernel.bodies import (
    integrate,
    interface_origins,
    loc,
    mtm,
    qmat,
    rott,
    world_rates,
)
from sim_bridge._kernel.buffer import brake, buffer_forces, damper_lag
from sim_bridge._kernel.chaser import book_thrust, gnc, thrust_forces
from sim_bridge._kernel.contact import (
    guide_pins,
    petals,
    ring_face,
    structural_point,
    structural_stick,
)
from sim_bridge._kernel.drive import (
    bus_voltage,
    centring_forces,
    centring_lag,
    drive_available,
    nut,
)
from sim_bridge._kernel.hooks import hook_clamps, hook_sets
from sim_bridge._kernel.jit import kernel
from sim_bridge._kernel.latches import latch_forces, latch_logic
from sim_bridge._kernel.ledger import book, common_kinetic, kinetic
from sim_bridge._kernel.pushrods import fire, pushrod_forces
from sim_bridge._kernel.seals import pressures, seal_lump, tunnel_pressure_force
from sim_bridge._kernel.sensing import relative_pose
from sim_bridge._layout import (
    B_CHASER,
    B_RING,
    B_STATION,
    BODY,
    NW,
    P_H,
    P_HA,
    P_HS,
    P_ICONTACT_GAP,
    P_LPIN,
    P_MC,
    P_MTOT,
    P_PR_STROKE,
    P_REACH,
    P_RI,
    P_STRUCT_C,
    P_STRUCT_S,
    P_V_MIN_BUS,
    T_AX,
    T_D_BRAKE,
    T_D_CONTACT,
    T_D_DAMP,
    T_D_OTHER,
    T_IN_CONTACT,
    T_KE,
    T_KE_COMMON,
    T_KE_RING,
    T_KE_ROT,
    T_KE_TRANS,
    T_LAT,
    T_MIN_GAP,
    T_PEAK_AX,
    T_PEAK_LAT,
    T_PIN_ERR,
    T_RING_EXT,
    T_SEAL_F,
    T_SEP_SPEED,
    T_STOP_HITS,
    T_STORED,
    T_THRUST,
    T_W_ACT,
    T_W_THRUST,
    W_ALIGN,
    W_EDOT,
    W_EXT,
    W_FORCE,
    W_HF,
    W_INCONTACT,
    W_LAT,
    W_LGAP,
    W_LLAT,
    W_NREC,
    W_PINERR,
    W_PRGAP,
    W_SEALC,
    W_SEALF,
    W_SGAP,
    W_STOP,
    W_THR,
    W_TILT,
    W_U,
    X_ALIGN,
    X_AX,
    X_D_BRAKE,
    X_D_CONTACT,
    X_D_DAMP,
    X_D_OTHER,
    X_HOOK_ENG,
    X_HOOK_LOAD,
    X_ICONTACT,
    X_IN_CONTACT,
    X_LAT,
    X_MIN_GAP,
    X_PEAK_AX,
    X_PEAK_LAT,
    X_PIN_ERR,
    X_PR_GAP,
    X_RING_EXT,
    X_RING_LAT,
    X_RING_RATE,
    X_RING_TILT,
    X_SEAL_F,
    X_SEAL_MIN,
    X_STOP_HITS,
    X_THRUST,
    X_W_ACT,
    X_W_THRUST,
)


@kernel
def evaluate(x: np.ndarray, p: np.ndarray, u: np.ndarray, f: np.ndarray, w: np.ndarray) -> None:
    """All forces on the three bodies for state ``x`` and command ``u``; no state change
    apart from the structural outputs (smallest seal compression and gap).

    Fills ``w``: world forces and torques per body, the records of
    non-conservative forces, the stored energy ``w[W_U]`` and the geometric
    quantities (gaps, alignment) that the discrete logic of :func:`step` uses.
    """
    for i in range(W_NREC + 1):
        w[i] = 0.0
    for i in range(W_U, NW):
        w[i] = 0.0
    oR = B_RING * BODY
    RS = qmat(x, B_STATION * BODY)
    RC = qmat(x, B_CHASER * BODY)
    RR = qmat(x, oR)
    world_rates(x, w)
    Sx, Sy, Sz, Cx, Cy, Cz = interface_origins(x, p, RS, RC)
    MR = mtm(RS, RR)
    MC = mtm(RS, RC)
    r0 = rott(RS, x[oR] - Sx, x[oR + 1] - Sy, x[oR + 2] - Sz)
    c0 = rott(RS, Cx - Sx, Cy - Sy, Cz - Sz)
    S = (RS, (Sx, Sy, Sz))  # the passive frame in the world
    ring = (MR, r0)  # the ring's face in the passive frame
    chaser = (MC, c0)  # the chaser's interface in the passive frame

    buffer_forces(x, p, u, f, w, RC, Cx, Cy, Cz)
    thrust_forces(x, p, w, RC)
    centring_forces(x, p, u, w, RC, drive_available(p, f))

    # Far field: while the ring's face is clearly farther than the guide height from
    # the passive face, no petal, face or latch element can act (bound: 1 m radius).
    ring_tilt = math.sqrt(MR[1] * MR[1] + MR[2] * MR[2])
    if r0[0] - p[P_HA] * MR[0] - ring_tilt > p[P_H] + 0.01:
        for k in range(6):
            w[W_LGAP + k] = 1.0
            w[W_LLAT + k] = 1.0
    else:
        petals(x, p, w, S, ring)
        ring_face(x, p, w, S, ring)
        latch_forces(x, p, u, f, w, S, ring)

    # Far field: the structural elements (contacts, seals, pins, hooks, push-rods, all
    # within 1 m of the axis) act only within a few centimetres of the passive face.
    chaser_tilt = math.sqrt(MC[1] * MC[1] + MC[2] * MC[2])
    if c0[0] - chaser_tilt > 0.06 + p[P_LPIN] + p[P_PR_STROKE] + p[P_REACH]:
        min_gap = 1e9
        for k in range(3):
            q = loc(chaser, 0.0, p[P_RI] * p[P_STRUCT_C + k], p[P_RI] * p[P_STRUCT_S + k])
            w[W_SGAP + k] = q[0]
            w[W_SEALC + k] = p[P_HS] - q[0]
            min_gap = min(min_gap, q[0])
        for k in range(4):
            w[W_PRGAP + k] = c0[0]
        x[X_SEAL_MIN] = p[P_HS] - c0[0]
        x[X_MIN_GAP] = min_gap
        w[W_PINERR] = math.sqrt(c0[1] * c0[1] + c0[2] * c0[2])
    else:
        # the structural contact and the seal lump at each of the three angles, in turn
        stick = structural_stick(p)
        seal_total = 0.0
        seal_min = 1.0
        min_gap = 1e9
        for k in range(3):
            min_gap = min(min_gap, structural_point(x, p, w, S, chaser, k, stick))
            dc, pw = seal_lump(x, p, w, S, chaser, k)
            seal_min = min(seal_min, dc)
            seal_total += pw
        w[W_SEALF] = seal_total
        x[X_SEAL_MIN] = seal_min
        x[X_MIN_GAP] = min_gap
        w[W_PINERR] = guide_pins(x, p, w, S, chaser)
        hook_clamps(x, p, f, w, S, chaser)
        pushrod_forces(x, p, w, S, chaser)

    tunnel_pressure_force(x, p, w, RS, Cx, Cy, Cz)
    brake(x, p, u, f, w, RC)


@kernel
def step(x: np.ndarray, p: np.ndarray, u: np.ndarray, f: np.ndarray, w: np.ndarray) -> None:
    """Advance state ``x`` by one step ``p[P_DT]`` under command ``u`` and faults ``f``.

    Forces at the start of the step, then the bodies (semi-implicit Euler),
    the ledger's booking with the new velocities, then the discrete parts
    from the geometry the force evaluation found.
    """
    evaluate(x, p, u, f, w)
    bus = bus_voltage(p, f)
    powered = bus >= p[P_V_MIN_BUS]
    derived(x, p, w)
    integrate(x, p, w)
    world_rates(x, w)
    book(x, p, w)
    book_thrust(x, p, w)
    damper_lag(x, p, u, f, w)
    centring_lag(x, p, w, drive_available(p, f))
    nut(x, p, u, f, w, powered)
    latch_logic(x, p, u, f, w, powered)
    hook_sets(x, p, u, f, w, bus, powered)
    pressures(x, p, u, f, powered)
    fire(x, p, u, w, powered)
    gnc(x, p, u, f)


@kernel
def derived(x: np.ndarray, p: np.ndarray, w: np.ndarray) -> None:
    """Copy what the last force evaluation ``w`` found into the state's output slots."""
    RS = qmat(x, 0)
    kC = W_FORCE + 6 * B_CHASER
    # the interface load is what the mechanism puts on the chaser: its own thrust (in the
    # centre-of-mass frame, the share 1 - m_c / M of it) is not a load on the mechanism
    own = 1.0 - p[P_MC] / p[P_MTOT]
    ld = rott(
        RS, w[kC] - own * w[W_THR], w[kC + 1] - own * w[W_THR + 1], w[kC + 2] - own * w[W_THR + 2]
    )
    x[X_AX] = ld[0]
    x[X_LAT] = math.sqrt(ld[1] * ld[1] + ld[2] * ld[2])
    if abs(ld[0]) > x[X_PEAK_AX]:
        x[X_PEAK_AX] = abs(ld[0])
    if x[X_LAT] > x[X_PEAK_LAT]:
        x[X_PEAK_LAT] = x[X_LAT]
    for k in range(3):
        x[X_ALIGN + k] = w[W_ALIGN + k]
        x[X_ICONTACT + k] = 1.0 if w[W_SGAP + k] < p[P_ICONTACT_GAP] else 0.0
    x[X_IN_CONTACT] = w[W_INCONTACT]
    x[X_PIN_ERR] = w[W_PINERR]
    x[X_RING_EXT] = w[W_EXT]
    x[X_RING_RATE] = w[W_EDOT]
    x[X_RING_LAT] = w[W_LAT]
    x[X_RING_LAT + 1] = w[W_LAT + 1]
    x[X_RING_TILT] = w[W_TILT]
    x[X_RING_TILT + 1] = w[W_TILT + 1]
    x[X_SEAL_F] = w[W_SEALF]
    x[X_STOP_HITS] += w[W_STOP]
    for k in range(4):
        x[X_PR_GAP + k] = w[W_PRGAP + k]


@njit(cache=True)
def refresh(X: np.ndarray, P: np.ndarray, U: np.ndarray, F: np.ndarray) -> None:
    """Fill the output slots of every run without stepping (used at t = 0)."""
    w = np.empty(NW)
    for b in range(X.shape[0]):
        x = X[b]
        evaluate(x, P, U[b], F[b], w)
        derived(x, P, w)
        for k in range(12):
            x[X_HOOK_LOAD + k] = w[W_HF + k]
            x[X_HOOK_ENG + k] = 1.0 if w[W_HF + k] > 0.0 else 0.0


@njit(cache=True)
def chaser_axial_force(x: np.ndarray, P: np.ndarray, u: np.ndarray, f: np.ndarray) -> float:
    """Net force on the chaser along the passive x axis, N (initial equilibria)."""
    w = np.empty(NW)
    evaluate(x, P, u, f, w)
    RS = qmat(x, 0)
    kC = W_FORCE + 6 * B_CHASER
    return rott(RS, w[kC], w[kC + 1], w[kC + 2])[0]


@kernel
def run_steps(
    x: np.ndarray, p: np.ndarray, u: np.ndarray, f: np.ndarray, w: np.ndarray, n: int
) -> None:
    """``n`` steps of one run under a constant command; ``w`` is its work array."""
    for _ in range(n):
        step(x, p, u, f, w)


@njit(cache=True)
def advance(
    X: np.ndarray, P: np.ndarray, U: np.ndarray, F: np.ndarray, steps: np.ndarray, n: int
) -> None:
    """Advance every run ``b`` of the batch ``n`` steps under its constant command ``U[b]``.

    ``X`` (N, NX) states, ``P`` (NP,) shared parameters, ``U`` (N, NU),
    ``F`` (N, NF) faults, ``steps`` (N,) int64 step counters (incremented).
    Runs are independent; run-major order keeps one run's state in cache.
    """
    w = np.empty(NW)
    for b in range(X.shape[0]):
        run_steps(X[b], P, U[b], F[b], w, n)
        steps[b] += n


@njit(cache=True, parallel=True)
def advance_parallel(
    X: np.ndarray, P: np.ndarray, U: np.ndarray, F: np.ndarray, steps: np.ndarray, n: int
) -> None:
    """:func:`advance` with the runs spread over threads (same :func:`step`, same results)."""
    for b in prange(X.shape[0]):
        w = np.empty(NW)
        run_steps(X[b], P, U[b], F[b], w, n)
        steps[b] += n


@njit(cache=True)
def truth(X: np.ndarray, P: np.ndarray, U: np.ndarray, F: np.ndarray, out: np.ndarray) -> None:
    """Energy ledger (J) and true loads (N) for every run of a batch (``out`` is (N, NT)).

    The force evaluation runs on a copy: it writes the structural outputs.
    """
    w = np.empty(NW)
    xc = np.empty(X.shape[1])
    rp = np.empty(12)
    for b in range(X.shape[0]):
        xc[:] = X[b]
        evaluate(xc, P, U[b], F[b], w)
        tr, ro, ring = kinetic(X[b], P, w)
        o = out[b]
        o[T_KE] = tr + ro + ring
        o[T_KE_TRANS] = tr
        o[T_KE_ROT] = ro
        o[T_KE_RING] = ring
        o[T_STORED] = w[W_U]
        o[T_D_DAMP] = X[b, X_D_DAMP]
        o[T_D_BRAKE] = X[b, X_D_BRAKE]
        o[T_D_CONTACT] = X[b, X_D_CONTACT]
        o[T_D_OTHER] = X[b, X_D_OTHER]
        o[T_W_ACT] = X[b, X_W_ACT]
        o[T_AX] = X[b, X_AX]
        o[T_LAT] = X[b, X_LAT]
        o[T_IN_CONTACT] = X[b, X_IN_CONTACT]
        relative_pose(X[b], P, rp)
        o[T_SEP_SPEED] = rp[3]
        o[T_PIN_ERR] = w[W_PINERR]
        o[T_SEAL_F] = w[W_SEALF]
        o[T_PEAK_AX] = X[b, X_PEAK_AX]
        o[T_PEAK_LAT] = X[b, X_PEAK_LAT]
        o[T_MIN_GAP] = X[b, X_MIN_GAP]
        o[T_RING_EXT] = w[W_EXT]
        o[T_W_THRUST] = X[b, X_W_THRUST]
        o[T_THRUST] = X[b, X_THRUST]
        o[T_STOP_HITS] = X[b, X_STOP_HITS]
        o[T_KE_COMMON] = common_kinetic(X[b], P, w)
