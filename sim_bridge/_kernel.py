"""The plant's physics, written once as numba kernels over flat float64 arrays.

See :mod:`sim_bridge.plant` for the theory of operation and ``docs/plant.md``
for the equations. Everything here is a pure function of its array arguments:
no I/O, no clock, no global random state. The array layouts are in
:mod:`sim_bridge._layout`. :func:`advance` is the only stepping entry point;
a single run is a batch of one, so the single and batched plants cannot
disagree.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from sim_bridge._layout import (
    B_CHASER,
    B_RING,
    B_STATION,
    BODY,
    F_BRAKE_SCALE,
    F_BUS_V,
    F_CABLE_BREAK,
    F_DAMPER_SCALE,
    F_DRIVE_JAM,
    F_HOOK_JAM,
    F_LATCH_FAIL,
    F_MOTOR_FAIL,
    F_SEAL_LEAK,
    F_UNLOCK_FAIL,
    MAX_REC,
    NW,
    P_ALIGN_GAP,
    P_ALIGN_TOL,
    P_AT,
    P_BFWD,
    P_BM,
    P_BMAX,
    P_BREV,
    P_BUS,
    P_C_NOM,
    P_C_OPEN,
    P_C_TOPEN,
    P_C_TVALVE,
    P_C_TVENT,
    P_C_VALVE,
    P_CCENT,
    P_CCENT_T,
    P_CG,
    P_CHC,
    P_CL,
    P_CLAT_R,
    P_CMAX,
    P_COSB,
    P_COSBP,
    P_CPIN,
    P_CPIN_D,
    P_CROLL,
    P_CSEAL,
    P_CTILT_R,
    P_D_MIN,
    P_DAMP_ALPHA,
    P_DC,
    P_DRIVE_ALPHA,
    P_DRUM,
    P_DS,
    P_DSEAL_MIN,
    P_DT,
    P_E_READY,
    P_EOUT,
    P_ETA,
    P_F0,
    P_F_RIN,
    P_F_ROUT,
    P_FACE_C,
    P_FACE_S,
    P_FCENT,
    P_GEAR,
    P_H,
    P_HA,
    P_HK_FRIC,
    P_HK_GAIN,
    P_HK_KREG,
    P_HK_OFF,
    P_HLOAD_MAX,
    P_HOOK_C,
    P_HOOK_S,
    P_HS,
    P_I_IDLE,
    P_I_PER_N,
    P_I_STALL,
    P_IC,
    P_ICONTACT_GAP,
    P_IR,
    P_IS,
    P_KAX,
    P_KC,
    P_KCENT,
    P_KCENT_T,
    P_KL,
    P_KLAT,
    P_KPIN,
    P_KROLL,
    P_KSEAL,
    P_KSEG,
    P_KSOFT,
    P_KSTOP,
    P_KSTRUCT,
    P_KT,
    P_KTILT,
    P_LATCH_C,
    P_LATCH_S,
    P_LPIN,
    P_LTOL,
    P_MA,
    P_MC,
    P_MCENT,
    P_MR,
    P_MS,
    P_MU,
    P_N_ANG,
    P_N_CUR,
    P_N_EXT,
    P_N_HLOAD,
    P_N_HPOS,
    P_N_LOAD,
    P_N_MSPD,
    P_N_POS,
    P_N_PRES,
    P_N_RANG,
    P_N_RATE,
    P_N_TENS,
    P_N_VEL,
    P_N_VOLT,
    P_NSEAL,
    P_PCAB,
    P_PETAL_C,
    P_PETAL_S,
    P_PIN_C,
    P_PIN_S,
    P_PLAY,
    P_PR_C,
    P_PR_FE,
    P_PR_FF,
    P_PR_S,
    P_PR_STROKE,
    P_Q_CUR,
    P_Q_EXT,
    P_Q_HLOAD,
    P_Q_HPOS,
    P_Q_LOAD,
    P_Q_PRES,
    P_Q_VOLT,
    P_QC,
    P_RA,
    P_REACH,
    P_READY_TOL,
    P_RETRACT_TOL,
    P_RF,
    P_RH,
    P_RI,
    P_RL,
    P_RM,
    P_RPIN,
    P_RPR,
    P_RSEAL,
    P_RT,
    P_SC,
    P_SH,
    P_SINB,
    P_SINBP,
    P_STRUCT_C,
    P_STRUCT_S,
    P_TANB,
    P_TANBP,
    P_V_MIN_BUS,
    P_VCAV,
    P_VMAX,
    P_VREG,
    P_VTOL,
    P_VTUN,
    REC,
    S_ALIGN,
    S_AX,
    S_BUS_V,
    S_DRIVE_I,
    S_HOOK_LOAD,
    S_HOOK_POS,
    S_ICONTACT,
    S_LAT,
    S_LATCH,
    S_MOT_I,
    S_MOT_W,
    S_P_CAV,
    S_P_CAV_B,
    S_P_TUN,
    S_PUSHROD,
    S_READY,
    S_REL_ANG,
    S_REL_POS,
    S_REL_RATE,
    S_REL_VEL,
    S_RETRACTED,
    S_RING_EXT,
    S_RING_EXT_B,
    S_RING_LAT,
    S_RING_SPEED,
    S_RING_TILT,
    S_TENSION,
    T_AX,
    T_D_BRAKE,
    T_D_CONTACT,
    T_D_DAMP,
    T_D_OTHER,
    T_IN_CONTACT,
    T_KE,
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
    T_STORED,
    T_W_ACT,
    U_ARM,
    U_BRAKE,
    U_CENTRING,
    U_DAMPER,
    U_HOOK_V,
    U_PUSHRODS,
    U_RELEASE,
    U_RING_SPEED,
    U_SEAL_VALVE,
    U_TUNNEL_VALVE,
    U_TUNNEL_VENT,
    W_ALIGN,
    W_CENT,
    W_EDOT,
    W_EXT,
    W_FB,
    W_FORCE,
    W_FS,
    W_HF,
    W_HGAP,
    W_INCONTACT,
    W_LAT,
    W_LGAP,
    W_LLAT,
    W_NREC,
    W_OMEGA,
    W_PINERR,
    W_PRGAP,
    W_RATES,
    W_REC,
    W_SEALC,
    W_SEALF,
    W_SGAP,
    W_TILT,
    W_U,
    W_VB,
    X_ALIGN,
    X_AX,
    X_CABLE,
    X_CENT,
    X_D_BRAKE,
    X_D_CONTACT,
    X_D_DAMP,
    X_D_OTHER,
    X_DAMP,
    X_DRIVE_F,
    X_DRIVE_I,
    X_FIRED,
    X_HOOK_ENG,
    X_HOOK_LOAD,
    X_HOOK_Q,
    X_ICONTACT,
    X_IN_CONTACT,
    X_LAT,
    X_LATCH,
    X_MIN_GAP,
    X_MOT_I,
    X_MOT_W,
    X_NUT,
    X_NUT_V,
    X_P_CAV,
    X_P_TUN,
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
    X_STICK,
    X_TENSION,
    X_W_ACT,
)

# energy buckets of the force records
K_DAMPER = 0
K_BRAKE = 1
K_CONTACT = 2
K_OTHER = 3
K_ACTUATOR = 4

# ------------------------------------------------------------------ small vector helpers
# 3-vectors are tuples and rotation matrices 9-tuples (row major): numba keeps
# them in registers, so the step allocates nothing.


@njit(cache=True)
def _qmat(x: np.ndarray, o: int) -> tuple[float, ...]:
    w = x[o + 6]
    a = x[o + 7]
    b = x[o + 8]
    c = x[o + 9]
    return (
        1.0 - 2.0 * (b * b + c * c),
        2.0 * (a * b - c * w),
        2.0 * (a * c + b * w),
        2.0 * (a * b + c * w),
        1.0 - 2.0 * (a * a + c * c),
        2.0 * (b * c - a * w),
        2.0 * (a * c - b * w),
        2.0 * (b * c + a * w),
        1.0 - 2.0 * (a * a + b * b),
    )


@njit(cache=True)
def _rot(R: tuple[float, ...], a: float, b: float, c: float) -> tuple[float, float, float]:
    return (
        R[0] * a + R[1] * b + R[2] * c,
        R[3] * a + R[4] * b + R[5] * c,
        R[6] * a + R[7] * b + R[8] * c,
    )


@njit(cache=True)
def _rott(R: tuple[float, ...], a: float, b: float, c: float) -> tuple[float, float, float]:
    return (
        R[0] * a + R[3] * b + R[6] * c,
        R[1] * a + R[4] * b + R[7] * c,
        R[2] * a + R[5] * b + R[8] * c,
    )


@njit(cache=True)
def _mtm(A: tuple[float, ...], B: tuple[float, ...]) -> tuple[float, ...]:
    """A^T B for row-major 3x3 tuples (the attitude of B's body in A's frame)."""
    return (
        A[0] * B[0] + A[3] * B[3] + A[6] * B[6],
        A[0] * B[1] + A[3] * B[4] + A[6] * B[7],
        A[0] * B[2] + A[3] * B[5] + A[6] * B[8],
        A[1] * B[0] + A[4] * B[3] + A[7] * B[6],
        A[1] * B[1] + A[4] * B[4] + A[7] * B[7],
        A[1] * B[2] + A[4] * B[5] + A[7] * B[8],
        A[2] * B[0] + A[5] * B[3] + A[8] * B[6],
        A[2] * B[1] + A[5] * B[4] + A[8] * B[7],
        A[2] * B[2] + A[5] * B[5] + A[8] * B[8],
    )


@njit(cache=True)
def _loc(
    M: tuple[float, ...], o: tuple[float, float, float], a: float, b: float, c: float
) -> tuple[float, float, float]:
    """Passive-frame coordinates of the body point (a, b, c): o + M (a, b, c)."""
    return (
        o[0] + M[0] * a + M[1] * b + M[2] * c,
        o[1] + M[3] * a + M[4] * b + M[5] * c,
        o[2] + M[6] * a + M[7] * b + M[8] * c,
    )


@njit(cache=True)
def _wpt(
    RS: tuple[float, ...], Sx: float, Sy: float, Sz: float, q: tuple[float, float, float]
) -> tuple[float, float, float]:
    """World point of passive-frame coordinates q."""
    t = _rot(RS, q[0], q[1], q[2])
    return (Sx + t[0], Sy + t[1], Sz + t[2])


@njit(cache=True)
def _pvel(
    x: np.ndarray, w: np.ndarray, b: int, px: float, py: float, pz: float
) -> tuple[float, float, float]:
    """World velocity of the point (px, py, pz) fixed to body ``b``."""
    o = b * BODY
    rx = px - x[o]
    ry = py - x[o + 1]
    rz = pz - x[o + 2]
    ox = w[W_OMEGA + 3 * b]
    oy = w[W_OMEGA + 3 * b + 1]
    oz = w[W_OMEGA + 3 * b + 2]
    return (
        x[o + 3] + oy * rz - oz * ry,
        x[o + 4] + oz * rx - ox * rz,
        x[o + 5] + ox * ry - oy * rx,
    )


@njit(cache=True)
def _apply(
    x: np.ndarray,
    w: np.ndarray,
    a: int,
    b: int,
    fx: float,
    fy: float,
    fz: float,
    px: float,
    py: float,
    pz: float,
) -> None:
    """Force (fx, fy, fz) on body ``a`` at world point p, and its reaction on body ``b``."""
    for body, s in ((a, 1.0), (b, -1.0)):
        o = body * BODY
        k = W_FORCE + 6 * body
        rx = px - x[o]
        ry = py - x[o + 1]
        rz = pz - x[o + 2]
        w[k] += s * fx
        w[k + 1] += s * fy
        w[k + 2] += s * fz
        w[k + 3] += s * (ry * fz - rz * fy)
        w[k + 4] += s * (rz * fx - rx * fz)
        w[k + 5] += s * (rx * fy - ry * fx)


@njit(cache=True)
def _apply_moment(w: np.ndarray, a: int, b: int, mx: float, my: float, mz: float) -> None:
    ka = W_FORCE + 6 * a + 3
    kb = W_FORCE + 6 * b + 3
    w[ka] += mx
    w[ka + 1] += my
    w[ka + 2] += mz
    w[kb] -= mx
    w[kb + 1] -= my
    w[kb + 2] -= mz


@njit(cache=True)
def _rec_power(x: np.ndarray, w: np.ndarray, k: int) -> float:
    """Power of record ``k`` (force/moment on body A relative to body B), W."""
    a = int(w[k + 1])
    b = int(w[k + 2])
    oa = a * BODY
    ob = b * BODY
    rax = w[k + 9]
    ray = w[k + 10]
    raz = w[k + 11]
    rbx = w[k + 12]
    rby = w[k + 13]
    rbz = w[k + 14]
    oax = w[W_OMEGA + 3 * a]
    oay = w[W_OMEGA + 3 * a + 1]
    oaz = w[W_OMEGA + 3 * a + 2]
    obx = w[W_OMEGA + 3 * b]
    oby = w[W_OMEGA + 3 * b + 1]
    obz = w[W_OMEGA + 3 * b + 2]
    vx = x[oa + 3] + oay * raz - oaz * ray - (x[ob + 3] + oby * rbz - obz * rby)
    vy = x[oa + 4] + oaz * rax - oax * raz - (x[ob + 4] + obz * rbx - obx * rbz)
    vz = x[oa + 5] + oax * ray - oay * rax - (x[ob + 5] + obx * rby - oby * rbx)
    return float(
        w[k + 3] * vx
        + w[k + 4] * vy
        + w[k + 5] * vz
        + w[k + 6] * (oax - obx)
        + w[k + 7] * (oay - oby)
        + w[k + 8] * (oaz - obz)
    )


@njit(cache=True)
def _record(
    x: np.ndarray,
    w: np.ndarray,
    bucket: int,
    a: int,
    b: int,
    fx: float,
    fy: float,
    fz: float,
    mx: float,
    my: float,
    mz: float,
    px: float,
    py: float,
    pz: float,
) -> None:
    """Remember a non-conservative force so its work can be booked to ``bucket``.

    The work over a step is booked with the mean of the power before and after
    the velocity update, which is exactly the kinetic-energy change that the
    semi-implicit Euler update gives for that force.
    """
    n = int(w[W_NREC])
    if n >= MAX_REC:
        return
    k = W_REC + REC * n
    oa = a * BODY
    ob = b * BODY
    w[k] = bucket
    w[k + 1] = a
    w[k + 2] = b
    w[k + 3] = fx
    w[k + 4] = fy
    w[k + 5] = fz
    w[k + 6] = mx
    w[k + 7] = my
    w[k + 8] = mz
    w[k + 9] = px - x[oa]
    w[k + 10] = py - x[oa + 1]
    w[k + 11] = pz - x[oa + 2]
    w[k + 12] = px - x[ob]
    w[k + 13] = py - x[ob + 1]
    w[k + 14] = pz - x[ob + 2]
    w[k + 15] = _rec_power(x, w, k)
    w[W_NREC] = n + 1


@njit(cache=True)
def _hc_contact(
    x: np.ndarray,
    w: np.ndarray,
    p: np.ndarray,
    a: int,
    b: int,
    px: float,
    py: float,
    pz: float,
    nx: float,
    ny: float,
    nz: float,
    delta: float,
    k: float,
    stick_s_kg: float = 0.0,
) -> float:
    """Hunt-Crossley normal force with regularised Coulomb friction on body ``a``.

    ``n`` (world, unit) points from the surface of ``b`` into ``a``; ``delta``
    is the penetration, m. Returns the normal force, N. The elastic part
    k*delta**1.5 is conservative (its energy is in the stored ledger); the
    damping and friction parts are recorded as contact dissipation.

    Below the regularisation speed the friction acts as a viscous element
    ``mu F_n / v_reg``; under a large normal force that is stiffer than an
    explicit step can integrate (``c dt / m_eff > 2``: the tangential
    velocity flips sign every step and the friction chatters at +-mu F_n).
    ``stick_s_kg`` (= safety x contacts x dt / m_eff, s/kg) raises the
    regularisation speed to ``mu F_n stick_s_kg`` so that the viscous gain
    stays at ``c dt / m_eff <= 1 / safety``; 0 keeps the plain law.
    """
    va = _pvel(x, w, a, px, py, pz)
    vb = _pvel(x, w, b, px, py, pz)
    vx = va[0] - vb[0]
    vy = va[1] - vb[1]
    vz = va[2] - vb[2]
    vn = vx * nx + vy * ny + vz * nz
    fel = k * delta * math.sqrt(delta)
    fn = fel * (1.0 - p[P_CHC] * vn)  # delta_dot = -vn
    if fn < 0.0:
        fn = 0.0
    tx = vx - vn * nx
    ty = vy - vn * ny
    tz = vz - vn * nz
    vt = math.sqrt(tx * tx + ty * ty + tz * tz + p[P_VREG] * p[P_VREG])
    vstick = p[P_MU] * fn * stick_s_kg
    if vt < vstick:
        vt = vstick
    g = -p[P_MU] * fn / vt
    fdx = (fn - fel) * nx + g * tx
    fdy = (fn - fel) * ny + g * ty
    fdz = (fn - fel) * nz + g * tz
    _apply(x, w, a, b, fel * nx + fdx, fel * ny + fdy, fel * nz + fdz, px, py, pz)
    _record(x, w, K_CONTACT, a, b, fdx, fdy, fdz, 0.0, 0.0, 0.0, px, py, pz)
    w[W_U] += 0.4 * fel * delta
    w[W_INCONTACT] = 1.0
    return float(fn)


@njit(cache=True)
def _clip(v: float, lo: float, hi: float) -> float:
    return lo if v < lo else (hi if v > hi else v)


# ------------------------------------------------------------------ force evaluation


@njit(cache=True)
def evaluate(x: np.ndarray, p: np.ndarray, u: np.ndarray, f: np.ndarray, w: np.ndarray) -> None:
    """All forces on the three bodies for state ``x`` and command ``u``; no state change.

    Fills ``w``: world forces and torques per body, the records of
    non-conservative forces, the stored energy ``w[W_U]`` and the geometric
    quantities (gaps, alignment) that the discrete logic of :func:`step` uses.
    """
    for i in range(W_NREC + 1):
        w[i] = 0.0
    for i in range(W_U, NW):
        w[i] = 0.0
    oS = B_STATION * BODY
    oC = B_CHASER * BODY
    oR = B_RING * BODY
    RS = _qmat(x, oS)
    RC = _qmat(x, oC)
    RR = _qmat(x, oR)
    for b, R in ((B_STATION, RS), (B_CHASER, RC), (B_RING, RR)):
        o = b * BODY
        om = _rot(R, x[o + 10], x[o + 11], x[o + 12])
        w[W_OMEGA + 3 * b] = om[0]
        w[W_OMEGA + 3 * b + 1] = om[1]
        w[W_OMEGA + 3 * b + 2] = om[2]
    # passive frame origin (station interface) and chaser interface origin, world
    t = _rot(RS, p[P_DS], 0.0, 0.0)
    Sx = x[oS] + t[0]
    Sy = x[oS + 1] + t[1]
    Sz = x[oS + 2] + t[2]
    t = _rot(RC, -p[P_DC], 0.0, 0.0)
    Cx = x[oC] + t[0]
    Cy = x[oC + 1] + t[1]
    Cz = x[oC + 2] + t[2]
    MR = _mtm(RS, RR)
    MC = _mtm(RS, RC)
    r0 = _rott(RS, x[oR] - Sx, x[oR + 1] - Sy, x[oR + 2] - Sz)
    c0 = _rott(RS, Cx - Sx, Cy - Sy, Cz - Sz)
    nSx = RS[0]  # passive frame x axis in world
    nSy = RS[3]
    nSz = RS[6]
    bus = p[P_BUS] if math.isnan(f[F_BUS_V]) else f[F_BUS_V]
    drive_ok = bus >= p[P_V_MIN_BUS] and f[F_DRIVE_JAM] == 0.0

    # ---------------------------------------------------------- buffer: ring on the chaser
    rl = _rott(RC, x[oR] - Cx, x[oR + 1] - Cy, x[oR + 2] - Cz)
    ext = -rl[0]
    vC = _pvel(x, w, B_CHASER, x[oR], x[oR + 1], x[oR + 2])
    vl = _rott(RC, x[oR + 3] - vC[0], x[oR + 4] - vC[1], x[oR + 5] - vC[2])
    edot = -vl[0]
    # relative attitude q_rel = conj(qC) * qR
    aw = x[oC + 6]
    ax = -x[oC + 7]
    ay = -x[oC + 8]
    az = -x[oC + 9]
    bw = x[oR + 6]
    bx = x[oR + 7]
    by = x[oR + 8]
    bz = x[oR + 9]
    qw = aw * bw - ax * bx - ay * by - az * bz
    qx = aw * bx + ax * bw + ay * bz - az * by
    qy = aw * by - ax * bz + ay * bw + az * bx
    qz = aw * bz + ax * by - ay * bx + az * bw
    if qw < 0.0:
        qw = -qw
        qx = -qx
        qy = -qy
        qz = -qz
    thx = 2.0 * qx
    thy = 2.0 * qy
    thz = 2.0 * qz
    orl = _rott(
        RC,
        w[W_OMEGA + 6] - w[W_OMEGA + 3],
        w[W_OMEGA + 7] - w[W_OMEGA + 4],
        w[W_OMEGA + 8] - w[W_OMEGA + 5],
    )
    w[W_EXT] = ext
    w[W_LAT] = rl[1]
    w[W_LAT + 1] = rl[2]
    w[W_TILT] = thy
    w[W_TILT + 1] = thz
    w[W_EDOT] = edot
    w[W_RATES] = vl[1]
    w[W_RATES + 1] = vl[2]
    w[W_RATES + 2] = orl[1]
    w[W_RATES + 3] = orl[2]
    w[W_RATES + 4] = orl[0]
    # preloaded axial spring between the ring and the drive nut
    dl = x[X_NUT] - ext
    if dl >= 0.0:
        fs = p[P_F0] + p[P_KAX] * dl
        w[W_U] += p[P_F0] * dl + 0.5 * p[P_KAX] * dl * dl
    else:
        fs = p[P_F0] + p[P_KSTOP] * dl
        w[W_U] += p[P_F0] * dl + 0.5 * p[P_KSTOP] * dl * dl
    w[W_FS] = fs
    fy = -p[P_KLAT] * rl[1]
    fz = -p[P_KLAT] * rl[2]
    my = -p[P_KTILT] * thy * qw
    mz = -p[P_KTILT] * thz * qw
    mx = -p[P_KROLL] * thx * qw
    w[W_U] += 0.5 * (
        p[P_KLAT] * (rl[1] * rl[1] + rl[2] * rl[2])
        + p[P_KTILT] * (thy * thy + thz * thz)
        + p[P_KROLL] * thx * thx
    )
    fw = _rot(RC, -fs, fy, fz)
    _apply(x, w, B_RING, B_CHASER, fw[0], fw[1], fw[2], x[oR], x[oR + 1], x[oR + 2])
    mw = _rot(RC, mx, my, mz)
    _apply_moment(w, B_RING, B_CHASER, mw[0], mw[1], mw[2])
    # electromagnetic dampers (lagged force states)
    fw = _rot(RC, -x[X_DAMP], x[X_DAMP + 1], x[X_DAMP + 2])
    mw = _rot(RC, 0.0, x[X_DAMP + 3], x[X_DAMP + 4])
    _apply(x, w, B_RING, B_CHASER, fw[0], fw[1], fw[2], x[oR], x[oR + 1], x[oR + 2])
    _apply_moment(w, B_RING, B_CHASER, mw[0], mw[1], mw[2])
    _record(
        x, w, K_DAMPER, B_RING, B_CHASER, fw[0], fw[1], fw[2], mw[0], mw[1], mw[2],
        x[oR], x[oR + 1], x[oR + 2],
    )  # fmt: skip
    # roll damping of the linkage: passive friction plus the EM dampers, which the
    # six-screw linkage drives in roll as in tilt (same coefficient per N s/m). Not
    # lagged: on the ring's roll inertia c dt / I stays < 0.1.
    mw = _rot(RC, -p[P_CROLL] * orl[0], 0.0, 0.0)
    _apply_moment(w, B_RING, B_CHASER, mw[0], mw[1], mw[2])
    _record(
        x, w, K_OTHER, B_RING, B_CHASER, 0.0, 0.0, 0.0, mw[0], mw[1], mw[2],
        x[oR], x[oR + 1], x[oR + 2],
    )  # fmt: skip
    c_roll = _clip(u[U_DAMPER], 0.0, p[P_CMAX]) * f[F_DAMPER_SCALE] * p[P_CTILT_R]
    if c_roll > 0.0:
        mw = _rot(RC, -c_roll * orl[0], 0.0, 0.0)
        _apply_moment(w, B_RING, B_CHASER, mw[0], mw[1], mw[2])
        _record(
            x, w, K_DAMPER, B_RING, B_CHASER, 0.0, 0.0, 0.0, mw[0], mw[1], mw[2],
            x[oR], x[oR + 1], x[oR + 2],
        )  # fmt: skip
    # centring by the drive (lateral and tilt back to the chaser axis): a force-limited
    # PD law whose output goes through the drive's lag (state X_CENT, updated in step);
    # without the lag the damping term would act on the light ring within one step.
    if u[U_CENTRING] > 0.5 and drive_ok:
        w[W_CENT] = _clip(-p[P_KCENT] * rl[1] - p[P_CCENT] * vl[1], -p[P_FCENT], p[P_FCENT])
        w[W_CENT + 1] = _clip(-p[P_KCENT] * rl[2] - p[P_CCENT] * vl[2], -p[P_FCENT], p[P_FCENT])
        w[W_CENT + 2] = _clip(-p[P_KCENT_T] * thy - p[P_CCENT_T] * orl[1], -p[P_MCENT], p[P_MCENT])
        w[W_CENT + 3] = _clip(-p[P_KCENT_T] * thz - p[P_CCENT_T] * orl[2], -p[P_MCENT], p[P_MCENT])
    if x[X_CENT] != 0.0 or x[X_CENT + 1] != 0.0 or x[X_CENT + 2] != 0.0 or x[X_CENT + 3] != 0.0:
        fw = _rot(RC, 0.0, x[X_CENT], x[X_CENT + 1])
        mw = _rot(RC, 0.0, x[X_CENT + 2], x[X_CENT + 3])
        _apply(x, w, B_RING, B_CHASER, fw[0], fw[1], fw[2], x[oR], x[oR + 1], x[oR + 2])
        _apply_moment(w, B_RING, B_CHASER, mw[0], mw[1], mw[2])
        _record(
            x, w, K_ACTUATOR, B_RING, B_CHASER, fw[0], fw[1], fw[2], mw[0], mw[1], mw[2],
            x[oR], x[oR + 1], x[oR + 2],
        )  # fmt: skip

    # Far field: while the ring's face is clearly farther than the guide height from
    # the passive face, no petal, face or latch element can act (bound: 1 m radius).
    ring_tilt = math.sqrt(MR[1] * MR[1] + MR[2] * MR[2])
    if r0[0] - p[P_HA] * MR[0] - ring_tilt > p[P_H] + 0.01:
        for k in range(6):
            w[W_LGAP + k] = 1.0
            w[W_LLAT + k] = 1.0
    else:
        # ---------------------------------------------------------- petals in their guides
        H = p[P_H]
        for k in range(3):
            c = p[P_PETAL_C + k]
            s = p[P_PETAL_S + k]
            q = _loc(MR, r0, -p[P_HA], p[P_RA] * c, p[P_RA] * s)
            uu = q[0] + p[P_HA]
            ey = q[1] - p[P_RA] * c
            ez = q[2] - p[P_RA] * s
            en = math.sqrt(ey * ey + ez * ez)
            if uu < p[P_ALIGN_GAP] and en < p[P_CG] + p[P_ALIGN_TOL]:
                w[W_ALIGN + k] = 1.0
            if uu < H and en < p[P_EOUT]:
                Px, Py, Pz = _wpt(RS, Sx, Sy, Sz, q)
                rim = p[P_CG] + H * p[P_TANB]
                if en <= rim:
                    delta = (en - p[P_CG] - uu * p[P_TANB]) * p[P_COSB]
                    if delta > 0.0 and en > 1e-12:
                        nl = _rot(RS, p[P_SINB], -p[P_COSB] * ey / en, -p[P_COSB] * ez / en)
                        _hc_contact(
                            x, w, p, B_RING, B_STATION, Px, Py, Pz, nl[0], nl[1], nl[2],
                            delta, p[P_KC],
                        )  # fmt: skip
                else:
                    delta = H - uu
                    _hc_contact(
                        x, w, p, B_RING, B_STATION, Px, Py, Pz, nSx, nSy, nSz, delta, p[P_KC]
                    )

        # ---------------------------------------------------------- ring face on the passive face
        for k in range(3):
            q = _loc(MR, r0, 0.0, p[P_RF] * p[P_FACE_C + k], p[P_RF] * p[P_FACE_S + k])
            if q[0] < 0.0:
                Px, Py, Pz = _wpt(RS, Sx, Sy, Sz, q)
                rho = math.sqrt(q[1] * q[1] + q[2] * q[2])
                if p[P_F_RIN] <= rho <= p[P_F_ROUT]:
                    _hc_contact(
                        x, w, p, B_RING, B_STATION, Px, Py, Pz, nSx, nSy, nSz, -q[0], p[P_KC]
                    )

        # ---------------------------------------------------------- capture latches
        for k in range(6):
            c = p[P_LATCH_C + k]
            s = p[P_LATCH_S + k]
            q = _loc(MR, r0, 0.0, p[P_RL] * c, p[P_RL] * s)
            ey = q[1] - p[P_RL] * c
            ez = q[2] - p[P_RL] * s
            en = math.sqrt(ey * ey + ez * ez)
            w[W_LGAP + k] = q[0]
            w[W_LLAT + k] = en
            if x[X_LATCH + k] > 0.5:
                Px, Py, Pz = _wpt(RS, Sx, Sy, Sz, q)
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
                fw = _rot(RS, lx, ly, lz)
                _apply(x, w, B_RING, B_STATION, fw[0], fw[1], fw[2], Px, Py, Pz)
                if g > 0.0:
                    va = _pvel(x, w, B_RING, Px, Py, Pz)
                    vb = _pvel(x, w, B_STATION, Px, Py, Pz)
                    vn = (va[0] - vb[0]) * nSx + (va[1] - vb[1]) * nSy + (va[2] - vb[2]) * nSz
                    fd = -p[P_CL] * vn
                    _apply(x, w, B_RING, B_STATION, fd * nSx, fd * nSy, fd * nSz, Px, Py, Pz)
                    _record(
                        x, w, K_OTHER, B_RING, B_STATION, fd * nSx, fd * nSy, fd * nSz,
                        0.0, 0.0, 0.0, Px, Py, Pz,
                    )  # fmt: skip

    # Far field: the structural elements (contacts, seals, pins, hooks, push-rods, all
    # within 1 m of the axis) act only within a few centimetres of the passive face.
    chaser_tilt = math.sqrt(MC[1] * MC[1] + MC[2] * MC[2])
    if c0[0] - chaser_tilt > 0.06 + p[P_LPIN] + p[P_PR_STROKE] + p[P_REACH]:
        min_gap = 1e9
        for k in range(3):
            q = _loc(MC, c0, 0.0, p[P_RI] * p[P_STRUCT_C + k], p[P_RI] * p[P_STRUCT_S + k])
            w[W_SGAP + k] = q[0]
            w[W_SEALC + k] = p[P_HS] - q[0]
            min_gap = min(min_gap, q[0])
        for k in range(4):
            w[W_PRGAP + k] = c0[0]
        x[X_SEAL_MIN] = p[P_HS] - c0[0]
        x[X_MIN_GAP] = min_gap
        w[W_PINERR] = math.sqrt(c0[1] * c0[1] + c0[2] * c0[2])
    else:
        # ---------------------------------------------------------- structural interface and seals
        seal_total = 0.0
        seal_min = 1.0
        min_gap = 1e9
        # friction stability bound of the three metal contacts (see _hc_contact): the
        # effective mass of the vehicle pair for a tangential push at the structural
        # ring, bounded from below (lever = CG-to-interface distance for pitch/yaw,
        # the ring radius for roll), shared by the three contacts, safety factor 2
        rs2 = p[P_RI] * p[P_RI]
        inv_m = (
            1.0 / p[P_MC]
            + rs2 / p[P_IC]
            + p[P_DC] * p[P_DC] / min(p[P_IC + 1], p[P_IC + 2])
            + 1.0 / p[P_MS]
            + rs2 / p[P_IS]
            + p[P_DS] * p[P_DS] / min(p[P_IS + 1], p[P_IS + 2])
        )
        stick = 2.0 * 3.0 * p[P_DT] * inv_m
        for k in range(3):
            c = p[P_STRUCT_C + k]
            s = p[P_STRUCT_S + k]
            q = _loc(MC, c0, 0.0, p[P_RI] * c, p[P_RI] * s)
            w[W_SGAP + k] = q[0]
            min_gap = min(min_gap, q[0])
            if q[0] < 0.0:
                Px, Py, Pz = _wpt(RS, Sx, Sy, Sz, q)
                _hc_contact(
                    x, w, p, B_CHASER, B_STATION, Px, Py, Pz, nSx, nSy, nSz, -q[0], p[P_KSTRUCT],
                    stick,
                )  # fmt: skip
            # seal ring, one third of it lumped at this angle
            q = _loc(MC, c0, 0.0, p[P_RSEAL] * c, p[P_RSEAL] * s)
            dc = p[P_HS] - q[0]
            w[W_SEALC + k] = dc
            seal_min = min(seal_min, dc)
            if dc > 0.0:
                Px, Py, Pz = _wpt(RS, Sx, Sy, Sz, q)
                pw = p[P_KSEAL] * dc ** p[P_NSEAL] / 3.0
                w[W_U] += pw * dc / (p[P_NSEAL] + 1.0)
                seal_total += pw
                _apply(x, w, B_CHASER, B_STATION, pw * nSx, pw * nSy, pw * nSz, Px, Py, Pz)
                va = _pvel(x, w, B_CHASER, Px, Py, Pz)
                vb = _pvel(x, w, B_STATION, Px, Py, Pz)
                vn = (va[0] - vb[0]) * nSx + (va[1] - vb[1]) * nSy + (va[2] - vb[2]) * nSz
                fd = -p[P_CSEAL] * vn / 3.0
                _apply(x, w, B_CHASER, B_STATION, fd * nSx, fd * nSy, fd * nSz, Px, Py, Pz)
                _record(
                    x, w, K_OTHER, B_CHASER, B_STATION, fd * nSx, fd * nSy, fd * nSz,
                    0.0, 0.0, 0.0, Px, Py, Pz,
                )  # fmt: skip
        w[W_SEALF] = seal_total
        x[X_SEAL_MIN] = seal_min
        x[X_MIN_GAP] = min_gap

        # ------------------------------------------------------ guide pins (conical pin in socket)
        pin_err = 0.0
        for k in range(2):
            c = p[P_PIN_C + k]
            s = p[P_PIN_S + k]
            q = _loc(MC, c0, 0.0, p[P_RPIN] * c, p[P_RPIN] * s)
            ey = q[1] - p[P_RPIN] * c
            ez = q[2] - p[P_RPIN] * s
            en = math.sqrt(ey * ey + ez * ez)
            pin_err = max(pin_err, en)
            if q[0] < p[P_LPIN] and en < p[P_CPIN] + 2.0 * p[P_LPIN] * p[P_TANBP]:
                delta = (en - p[P_CPIN] - q[0] * p[P_TANBP]) * p[P_COSBP]
                if delta > 0.0 and en > 1e-12:
                    Px, Py, Pz = _wpt(RS, Sx, Sy, Sz, q)
                    nl = _rot(RS, p[P_SINBP], -p[P_COSBP] * ey / en, -p[P_COSBP] * ez / en)
                    fe = p[P_KPIN] * delta
                    w[W_U] += 0.5 * fe * delta
                    va = _pvel(x, w, B_CHASER, Px, Py, Pz)
                    vb = _pvel(x, w, B_STATION, Px, Py, Pz)
                    vn = (va[0] - vb[0]) * nl[0] + (va[1] - vb[1]) * nl[1] + (va[2] - vb[2]) * nl[2]
                    fd = -p[P_CPIN_D] * vn
                    if fe + fd < 0.0:
                        fd = -fe
                    ft = fe + fd
                    _apply(
                        x, w, B_CHASER, B_STATION, ft * nl[0], ft * nl[1], ft * nl[2], Px, Py, Pz
                    )
                    _record(
                        x, w, K_OTHER, B_CHASER, B_STATION, fd * nl[0], fd * nl[1], fd * nl[2],
                        0.0, 0.0, 0.0, Px, Py, Pz,
                    )  # fmt: skip
        w[W_PINERR] = pin_err

        # ------------------------------------------------------ hooks (force-regulating springs)
        for k in range(12):
            c = p[P_HOOK_C + k]
            s = p[P_HOOK_S + k]
            q = _loc(MC, c0, 0.0, p[P_RH] * c, p[P_RH] * s)
            w[W_HGAP + k] = q[0]
            if q[0] < p[P_REACH] and f[F_CABLE_BREAK + (k % 2)] == 0.0:
                e = (x[X_HOOK_Q + k] - p[P_QC]) * p[P_SH] + q[0]
                if e > 0.0:
                    Px, Py, Pz = _wpt(RS, Sx, Sy, Sz, q)
                    fh = p[P_HK_KREG + k] * e
                    w[W_HF + k] = fh
                    w[W_U] += 0.5 * fh * e
                    _apply(x, w, B_CHASER, B_STATION, -fh * nSx, -fh * nSy, -fh * nSz, Px, Py, Pz)

        # ---------------------------------------------------------- separation push-rods
        for k in range(4):
            q = _loc(MC, c0, 0.0, p[P_RPR] * p[P_PR_C + k], p[P_RPR] * p[P_PR_S + k])
            w[W_PRGAP + k] = q[0]
            if x[X_FIRED] > 0.5:
                xc = p[P_PR_STROKE] - q[0]
                if xc > 0.0:
                    Px, Py, Pz = _wpt(RS, Sx, Sy, Sz, q)
                    if xc > p[P_PR_STROKE]:
                        xc = p[P_PR_STROKE]
                    slope = (p[P_PR_FF] - p[P_PR_FE]) / p[P_PR_STROKE]
                    fp = p[P_PR_FE] + slope * xc
                    w[W_U] += p[P_PR_FE] * xc + 0.5 * slope * xc * xc
                    _apply(x, w, B_CHASER, B_STATION, fp * nSx, fp * nSy, fp * nSz, Px, Py, Pz)

    # ---------------------------------------------------------- cabin pressure on the tunnel
    if x[X_P_TUN] > 0.0:
        fp = x[X_P_TUN] * p[P_AT]
        _apply(x, w, B_CHASER, B_STATION, fp * nSx, fp * nSy, fp * nSz, Cx, Cy, Cz)
        _record(
            x, w, K_ACTUATOR, B_CHASER, B_STATION, fp * nSx, fp * nSy, fp * nSz,
            0.0, 0.0, 0.0, Cx, Cy, Cz,
        )  # fmt: skip

    # ---------------------------------------------------------- brake = drive slip clutch (Karnopp)
    cmd = _clip(u[U_BRAKE], 0.0, p[P_BMAX]) * f[F_BRAKE_SCALE]
    lf = cmd * p[P_BFWD]
    lr = cmd * p[P_BREV]
    vb = edot - x[X_NUT_V]
    kR = W_FORCE + 6 * B_RING
    kC = W_FORCE + 6 * B_CHASER
    fR = w[kR] * RC[0] + w[kR + 1] * RC[3] + w[kR + 2] * RC[6]
    fC = w[kC] * RC[0] + w[kC + 1] * RC[3] + w[kC + 2] * RC[6]
    arel = -(fR / p[P_MR] - fC / p[P_MC])
    fb = 0.0
    stick = 0.0
    if cmd > 0.0:
        if abs(vb) < p[P_VTOL]:
            req = -(vb / p[P_DT] + arel) / (1.0 / p[P_MR] + 1.0 / p[P_MC])
            fb = _clip(req, -lr, lf)
            stick = 1.0 if fb == req else 0.0
        elif vb < 0.0:
            fb = lf
        else:
            fb = -lr
    x[X_STICK] = stick
    w[W_FB] = fb
    w[W_VB] = vb
    fw = _rot(RC, -fb, 0.0, 0.0)
    _apply(x, w, B_RING, B_CHASER, fw[0], fw[1], fw[2], x[oR], x[oR + 1], x[oR + 2])
    _record(
        x, w, K_BRAKE, B_RING, B_CHASER, fw[0], fw[1], fw[2], 0.0, 0.0, 0.0,
        x[oR], x[oR + 1], x[oR + 2],
    )  # fmt: skip


# ------------------------------------------------------------------ one time step


@njit(cache=True)
def step(x: np.ndarray, p: np.ndarray, u: np.ndarray, f: np.ndarray, w: np.ndarray) -> None:
    """Advance state ``x`` by one step ``p[P_DT]`` under command ``u`` and faults ``f``."""
    dt = p[P_DT]
    evaluate(x, p, u, f, w)
    bus = p[P_BUS] if math.isnan(f[F_BUS_V]) else f[F_BUS_V]
    powered = bus >= p[P_V_MIN_BUS]

    derived(x, p, w)

    # -------- rigid bodies: semi-implicit (symplectic) Euler
    for b in range(3):
        o = b * BODY
        k = W_FORCE + 6 * b
        if b == B_STATION:
            m = p[P_MS]
            ii = P_IS
        elif b == B_CHASER:
            m = p[P_MC]
            ii = P_IC
        else:
            m = p[P_MR]
            ii = P_IR
        x[o + 3] += dt * w[k] / m
        x[o + 4] += dt * w[k + 1] / m
        x[o + 5] += dt * w[k + 2] / m
        x[o] += dt * x[o + 3]
        x[o + 1] += dt * x[o + 4]
        x[o + 2] += dt * x[o + 5]
        R = _qmat(x, o)
        tb = _rott(R, w[k + 3], w[k + 4], w[k + 5])
        Ix = p[ii]
        Iy = p[ii + 1]
        Iz = p[ii + 2]
        ox = x[o + 10]
        oy = x[o + 11]
        oz = x[o + 12]
        ox += dt * (tb[0] - (Iz - Iy) * oy * oz) / Ix
        oy += dt * (tb[1] - (Ix - Iz) * oz * ox) / Iy
        oz += dt * (tb[2] - (Iy - Ix) * ox * oy) / Iz
        x[o + 10] = ox
        x[o + 11] = oy
        x[o + 12] = oz
        qw = x[o + 6]
        qx = x[o + 7]
        qy = x[o + 8]
        qz = x[o + 9]
        h = 0.5 * dt
        nw = qw + h * (-qx * ox - qy * oy - qz * oz)
        nx = qx + h * (qw * ox + qy * oz - qz * oy)
        ny = qy + h * (qw * oy - qx * oz + qz * ox)
        nz = qz + h * (qw * oz + qx * oy - qy * ox)
        nn = 1.0 / math.sqrt(nw * nw + nx * nx + ny * ny + nz * nz)
        x[o + 6] = nw * nn
        x[o + 7] = nx * nn
        x[o + 8] = ny * nn
        x[o + 9] = nz * nn
    # world rates after the update, then book the records' work (mean power x dt)
    for b in range(3):
        o = b * BODY
        R = _qmat(x, o)
        om = _rot(R, x[o + 10], x[o + 11], x[o + 12])
        w[W_OMEGA + 3 * b] = om[0]
        w[W_OMEGA + 3 * b + 1] = om[1]
        w[W_OMEGA + 3 * b + 2] = om[2]
    for r in range(int(w[W_NREC])):
        k = W_REC + REC * r
        e = 0.5 * (w[k + 15] + _rec_power(x, w, k)) * dt
        bucket = int(w[k])
        if bucket == K_DAMPER:
            x[X_D_DAMP] -= e
        elif bucket == K_BRAKE:
            x[X_D_BRAKE] -= e
        elif bucket == K_CONTACT:
            x[X_D_CONTACT] -= e
        elif bucket == K_OTHER:
            x[X_D_OTHER] -= e
        else:
            x[X_W_ACT] += e
    # the nut moves the spring's and brake's far end: that part is drive work, not dissipation
    nut_work = (w[W_FS] + w[W_FB]) * x[X_NUT_V] * dt
    x[X_W_ACT] += nut_work
    x[X_D_BRAKE] += w[W_FB] * x[X_NUT_V] * dt

    # -------- EM dampers: first-order lag towards -c * rate
    c = _clip(u[U_DAMPER], 0.0, p[P_CMAX]) * f[F_DAMPER_SCALE]
    a = p[P_DAMP_ALPHA]
    x[X_DAMP] += a * (-c * w[W_EDOT] - x[X_DAMP])
    x[X_DAMP + 1] += a * (-c * p[P_CLAT_R] * w[W_RATES] - x[X_DAMP + 1])
    x[X_DAMP + 2] += a * (-c * p[P_CLAT_R] * w[W_RATES + 1] - x[X_DAMP + 2])
    x[X_DAMP + 3] += a * (-c * p[P_CTILT_R] * w[W_RATES + 2] - x[X_DAMP + 3])
    x[X_DAMP + 4] += a * (-c * p[P_CTILT_R] * w[W_RATES + 3] - x[X_DAMP + 4])

    # -------- centring actuator output follows its target through the drive lag
    ad = p[P_DRIVE_ALPHA]
    for i in range(4):
        tgt = w[W_CENT + i] if powered and f[F_DRIVE_JAM] == 0.0 else 0.0
        x[X_CENT + i] += ad * (tgt - x[X_CENT + i])
        if abs(x[X_CENT + i]) < 1e-9 and tgt == 0.0:
            x[X_CENT + i] = 0.0

    # -------- ring drive nut
    vcmd = _clip(u[U_RING_SPEED], -p[P_VMAX], p[P_VMAX])
    jam = f[F_DRIVE_JAM] != 0.0
    if jam or not powered:
        x[X_NUT_V] = 0.0
    else:
        x[X_NUT_V] += p[P_DRIVE_ALPHA] * (vcmd - x[X_NUT_V])
        x[X_NUT] += x[X_NUT_V] * dt
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

    # -------- capture latches: engage only when armed and the geometry allows
    release = u[U_RELEASE] > 0.5 and powered
    for k in range(6):
        if release:
            x[X_LATCH + k] = 0.0
        elif (
            x[X_LATCH + k] < 0.5
            and u[U_ARM] > 0.5
            and f[F_LATCH_FAIL + k] == 0.0
            and w[W_ALIGN + k // 2] > 0.5
            and w[W_LGAP + k] <= p[P_PLAY]
            and w[W_LLAT + k] < p[P_LTOL]
        ):
            x[X_LATCH + k] = 1.0

    # -------- hook sets: DC motor (V = R i + k_e w), self-locking gear, drum, cable, six hooks
    for sset in range(2):
        v = u[U_HOOK_V + sset]
        v = _clip(v, -bus, bus) if powered else 0.0
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
                    # the stroke ends are over-centre cams: the cable can run on, softly
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

    # -------- seal cavity and tunnel pressures (isothermal ideal gas, linear leaks)
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

    # -------- push-rods: releasing the cocked springs is energy put in
    if u[U_PUSHRODS] > 0.5 and x[X_FIRED] < 0.5 and powered:
        x[X_FIRED] = 1.0
        slope = (p[P_PR_FF] - p[P_PR_FE]) / p[P_PR_STROKE]
        for k in range(4):
            xc = _clip(p[P_PR_STROKE] - w[W_PRGAP + k], 0.0, p[P_PR_STROKE])
            x[X_W_ACT] += p[P_PR_FE] * xc + 0.5 * slope * xc * xc


@njit(cache=True)
def derived(x: np.ndarray, p: np.ndarray, w: np.ndarray) -> None:
    """Copy what the last force evaluation ``w`` found into the state's output slots."""
    RS = _qmat(x, 0)
    kC = W_FORCE + 6 * B_CHASER
    ld = _rott(RS, w[kC], w[kC + 1], w[kC + 2])
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
    RS = _qmat(x, 0)
    kC = W_FORCE + 6 * B_CHASER
    return _rott(RS, w[kC], w[kC + 1], w[kC + 2])[0]


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
        x = X[b]
        u = U[b]
        fb = F[b]
        for _ in range(n):
            step(x, P, u, fb, w)
        steps[b] += n


# ------------------------------------------------------------------ sensors and truth

_GOLD = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


@njit(cache=True)
def _mix(z: np.uint64) -> np.uint64:
    """splitmix64 finaliser: a bijective avalanche of 64 bits."""
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@njit(cache=True)
def gauss(seed: np.uint64, step_index: np.int64, channel: np.int64) -> float:
    """Unit-variance noise sample as a pure function of (seed, step, channel).

    Counter-based: a splitmix64 hash of the three integers, split into four
    16-bit uniforms whose centred sum (Irwin-Hall, scaled to unit variance) is
    close to Gaussian within +-3.5 sigma. No generator state, so any sample can
    be recomputed and batch runs cannot interfere.
    """
    z = _mix(seed * _GOLD + np.uint64(step_index))
    z = _mix(z ^ (np.uint64(channel) * _M1 + _GOLD))
    m = np.uint64(0xFFFF)
    a = float(z & m) + float((z >> np.uint64(16)) & m)
    a += float((z >> np.uint64(32)) & m) + float(z >> np.uint64(48))
    # sum of 4 U(0, 65536): mean 131070, variance 4 * 65536**2 / 12
    return (a - 131070.0) * (1.0 / 37837.2)


@njit(cache=True)
def _meas(v: float, sigma: float, quantum: float, seed: np.uint64, n: np.int64, ch: int) -> float:
    if sigma > 0.0:
        v += sigma * gauss(seed, n, np.int64(ch))
    if quantum > 0.0:
        v = quantum * math.floor(v / quantum + 0.5)
    return v


@njit(cache=True)
def relative_pose(x: np.ndarray, p: np.ndarray, out: np.ndarray) -> None:
    """Chaser interface relative to the passive frame: pos, vel, angle, rate (12 values)."""
    RS = _qmat(x, 0)
    RC = _qmat(x, BODY)
    t = _rot(RS, p[P_DS], 0.0, 0.0)
    Sx = x[0] + t[0]
    Sy = x[1] + t[1]
    Sz = x[2] + t[2]
    t = _rot(RC, -p[P_DC], 0.0, 0.0)
    Cx = x[BODY] + t[0]
    Cy = x[BODY + 1] + t[1]
    Cz = x[BODY + 2] + t[2]
    q = _rott(RS, Cx - Sx, Cy - Sy, Cz - Sz)
    out[0] = q[0]
    out[1] = q[1]
    out[2] = q[2]
    oS = _rot(RS, x[10], x[11], x[12])
    oC = _rot(RC, x[BODY + 10], x[BODY + 11], x[BODY + 12])
    # velocity of the chaser point relative to the station point at the same place
    rx = Cx - x[BODY]
    ry = Cy - x[BODY + 1]
    rz = Cz - x[BODY + 2]
    sx = Cx - x[0]
    sy = Cy - x[1]
    sz = Cz - x[2]
    vx = x[BODY + 3] + oC[1] * rz - oC[2] * ry - (x[3] + oS[1] * sz - oS[2] * sy)
    vy = x[BODY + 4] + oC[2] * rx - oC[0] * rz - (x[4] + oS[2] * sx - oS[0] * sz)
    vz = x[BODY + 5] + oC[0] * ry - oC[1] * rx - (x[5] + oS[0] * sy - oS[1] * sx)
    v = _rott(RS, vx, vy, vz)
    out[3] = v[0]
    out[4] = v[1]
    out[5] = v[2]
    aw = x[6]
    ax = -x[7]
    ay = -x[8]
    az = -x[9]
    bw = x[BODY + 6]
    bx = x[BODY + 7]
    by = x[BODY + 8]
    bz = x[BODY + 9]
    qw = aw * bw - ax * bx - ay * by - az * bz
    s = 2.0 if qw >= 0.0 else -2.0
    out[6] = s * (aw * bx + ax * bw + ay * bz - az * by)
    out[7] = s * (aw * by - ax * bz + ay * bw + az * bx)
    out[8] = s * (aw * bz + ax * by - ay * bx + az * bw)
    r = _rott(RS, oC[0] - oS[0], oC[1] - oS[1], oC[2] - oS[2])
    out[9] = r[0]
    out[10] = r[1]
    out[11] = r[2]


@njit(cache=True)
def sense(
    X: np.ndarray,
    p: np.ndarray,
    F: np.ndarray,
    seeds: np.ndarray,
    steps: np.ndarray,
    run: int,
    out: np.ndarray,
) -> None:
    """Fill ``out`` (layout S_*) with the noisy, quantised readings of run ``run``.

    Noise is a pure function of (seed, step, channel); the state is not touched.
    Seeds and step counters are passed as arrays: numba dispatches array
    arguments fast, numpy scalars slowly.
    """
    x = X[run]
    f = F[run]
    seed = seeds[run]
    n = steps[run]
    bus = p[P_BUS] if math.isnan(f[F_BUS_V]) else f[F_BUS_V]
    out[S_BUS_V] = _meas(bus, p[P_N_VOLT], p[P_Q_VOLT], seed, n, S_BUS_V)
    rp = np.empty(12)
    relative_pose(x, p, rp)
    for i in range(3):
        out[S_REL_POS + i] = _meas(rp[i], p[P_N_POS], 0.0, seed, n, S_REL_POS + i)
        out[S_REL_VEL + i] = _meas(rp[3 + i], p[P_N_VEL], 0.0, seed, n, S_REL_VEL + i)
        out[S_REL_ANG + i] = _meas(rp[6 + i], p[P_N_ANG], 0.0, seed, n, S_REL_ANG + i)
        out[S_REL_RATE + i] = _meas(rp[9 + i], p[P_N_RATE], 0.0, seed, n, S_REL_RATE + i)
    ext = x[X_RING_EXT]
    out[S_RING_EXT] = _meas(ext, p[P_N_EXT], p[P_Q_EXT], seed, n, S_RING_EXT)
    out[S_RING_EXT_B] = _meas(x[X_NUT], p[P_N_EXT], p[P_Q_EXT], seed, n, S_RING_EXT_B)
    out[S_RING_SPEED] = _meas(x[X_RING_RATE], p[P_N_EXT], 0.0, seed, n, S_RING_SPEED)
    for i in range(2):
        out[S_RING_LAT + i] = _meas(
            x[X_RING_LAT + i], p[P_N_EXT], p[P_Q_EXT], seed, n, S_RING_LAT + i
        )
        out[S_RING_TILT + i] = _meas(x[X_RING_TILT + i], p[P_N_RANG], 0.0, seed, n, S_RING_TILT + i)
    out[S_AX] = _meas(x[X_AX], p[P_N_LOAD], p[P_Q_LOAD], seed, n, S_AX)
    out[S_LAT] = abs(_meas(x[X_LAT], p[P_N_LOAD], p[P_Q_LOAD], seed, n, S_LAT))
    out[S_READY] = 1.0 if ext >= p[P_E_READY] - p[P_READY_TOL] else 0.0
    out[S_RETRACTED] = 1.0 if ext <= p[P_RETRACT_TOL] else 0.0
    for i in range(3):
        out[S_ALIGN + i] = x[X_ALIGN + i]
        out[S_ICONTACT + i] = x[X_ICONTACT + i]
    for i in range(6):
        out[S_LATCH + i] = x[X_LATCH + i]
    out[S_DRIVE_I] = max(0.0, _meas(x[X_DRIVE_I], p[P_N_CUR], p[P_Q_CUR], seed, n, S_DRIVE_I))
    for i in range(12):
        hp = _meas(x[X_HOOK_Q + i], p[P_N_HPOS], p[P_Q_HPOS], seed, n, S_HOOK_POS + i)
        out[S_HOOK_POS + i] = _clip(hp, 0.0, 1.0)
        hl = _meas(x[X_HOOK_LOAD + i], p[P_N_HLOAD], p[P_Q_HLOAD], seed, n, S_HOOK_LOAD + i)
        out[S_HOOK_LOAD + i] = _clip(hl, 0.0, p[P_HLOAD_MAX])
    for i in range(2):
        out[S_MOT_I + i] = _meas(x[X_MOT_I + i], p[P_N_CUR], p[P_Q_CUR], seed, n, S_MOT_I + i)
        out[S_MOT_W + i] = _meas(x[X_MOT_W + i], p[P_N_MSPD], 0.0, seed, n, S_MOT_W + i)
        out[S_TENSION + i] = _meas(x[X_TENSION + i], p[P_N_TENS], 0.0, seed, n, S_TENSION + i)
    out[S_P_CAV] = max(0.0, _meas(x[X_P_CAV], p[P_N_PRES], p[P_Q_PRES], seed, n, S_P_CAV))
    out[S_P_CAV_B] = max(0.0, _meas(x[X_P_CAV], p[P_N_PRES], p[P_Q_PRES], seed, n, S_P_CAV_B))
    out[S_P_TUN] = max(0.0, _meas(x[X_P_TUN], p[P_N_PRES], p[P_Q_PRES], seed, n, S_P_TUN))
    for i in range(4):
        ext_ok = x[X_PR_GAP + i] >= p[P_PR_STROKE] - 0.001
        out[S_PUSHROD + i] = 1.0 if (x[X_FIRED] > 0.5 and ext_ok) else 0.0


@njit(cache=True)
def kinetic(x: np.ndarray, p: np.ndarray, w: np.ndarray) -> tuple[float, float, float]:
    """Kinetic energy, J: (vehicles translational, vehicles rotational, ring).

    Semi-implicit Euler is leapfrog with the stored velocities at half steps.
    With the forces of the current state in ``w`` (from :func:`evaluate`),
    the velocities are brought to the current time with half a kick before
    squaring; this makes the ledger's energy error second order in dt
    instead of first.
    """
    tr = 0.0
    ro = 0.0
    ring = 0.0
    h = 0.5 * p[P_DT]
    for b in range(3):
        o = b * BODY
        k = W_FORCE + 6 * b
        if b == B_STATION:
            m = p[P_MS]
            ii = P_IS
        elif b == B_CHASER:
            m = p[P_MC]
            ii = P_IC
        else:
            m = p[P_MR]
            ii = P_IR
        vx = x[o + 3] + h * w[k] / m
        vy = x[o + 4] + h * w[k + 1] / m
        vz = x[o + 5] + h * w[k + 2] / m
        R = _qmat(x, o)
        tb = _rott(R, w[k + 3], w[k + 4], w[k + 5])
        Ix = p[ii]
        Iy = p[ii + 1]
        Iz = p[ii + 2]
        ox = x[o + 10]
        oy = x[o + 11]
        oz = x[o + 12]
        px = ox + h * (tb[0] - (Iz - Iy) * oy * oz) / Ix
        py = oy + h * (tb[1] - (Ix - Iz) * oz * ox) / Iy
        pz = oz + h * (tb[2] - (Iy - Ix) * ox * oy) / Iz
        t = 0.5 * m * (vx * vx + vy * vy + vz * vz)
        r = 0.5 * (Ix * px * px + Iy * py * py + Iz * pz * pz)
        if b == B_RING:
            ring = t + r
        else:
            tr += t
            ro += r
    return tr, ro, ring


@njit(cache=True)
def truth(X: np.ndarray, P: np.ndarray, U: np.ndarray, F: np.ndarray, out: np.ndarray) -> None:
    """Energy ledger and true loads for every run of a batch (``out`` is (N, NT))."""
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


@njit(cache=True, parallel=True)
def advance_parallel(
    X: np.ndarray, P: np.ndarray, U: np.ndarray, F: np.ndarray, steps: np.ndarray, n: int
) -> None:
    """:func:`advance` with the runs spread over threads (same :func:`step`, same results)."""
    for b in prange(X.shape[0]):
        w = np.empty(NW)
        x = X[b]
        u = U[b]
        fb = F[b]
        for _ in range(n):
            step(x, P, u, fb, w)
        steps[b] += n
