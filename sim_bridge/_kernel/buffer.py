"""The buffer between the capture ring and the chaser: springs, EM dampers, roll damping, brake.

The ring's pose and rates relative to the chaser are measured here first and
left in ``w`` (extension, lateral offset, tilt, their rates) for the other
elements and the outputs. The axial spring is preloaded and acts against the
drive nut, so the nut's position sets the spring's far end. The EM damper
forces are lagged states (first-order, ``P_DAMP_ALPHA`` per step) so that the
damping of the light ring stays stable at the step. The friction brake is the
drive's slip clutch: Karnopp stick/slip between ring and nut, with different
compression and return levels. The lateral and tilt buffers are preloaded
springs with hard stops (DOMAIN 2a [S14 p.65, 98]): the ring moves over a
wide range under small forces, but inclining it takes hundreds of newtons at
once and kilonewtons at a few degrees; a stop hit raises ``W_STOP``.
"""

from __future__ import annotations

import math

import numpy as np

from sim_bridge._kernel.bodies import apply, apply_moment, clip, pvel, qrel, rot, rott
from sim_bridge._kernel.jit import kernel
from sim_bridge._kernel.ledger import K_BRAKE, K_DAMPER, K_OTHER, apply_recorded, record
from sim_bridge._layout import (
    B_CHASER,
    B_RING,
    BODY,
    F_BRAKE_SCALE,
    F_DAMPER_SCALE,
    P_BFWD,
    P_BLAT_R,
    P_BMAX,
    P_BREV,
    P_BTILT_R,
    P_CLAT_R,
    P_CMAX,
    P_CROLL,
    P_CTILT_R,
    P_DAMP_ALPHA,
    P_DT,
    P_F0,
    P_FLAT0,
    P_IC,
    P_IR,
    P_KAX,
    P_KLAT,
    P_KLSTOP,
    P_KROLL,
    P_KSTOP,
    P_KTILT,
    P_LAT_STOP,
    P_MC,
    P_MR,
    P_MTILT0,
    P_PRELOAD_EPS,
    P_RF,
    P_TILT_STOP,
    P_VTOL,
    U_BRAKE,
    U_DAMPER,
    W_EDOT,
    W_EXT,
    W_FB,
    W_FORCE,
    W_FS,
    W_LAT,
    W_OMEGA,
    W_RATES,
    W_STOP,
    W_TILT,
    W_U,
    W_VB,
    X_DAMP,
    X_NUT,
    X_NUT_V,
    X_STICK,
)


@kernel
def ring_load(
    x: np.ndarray, w: np.ndarray, bucket: int, RC: tuple[float, ...],
    force: tuple[float, float, float], moment: tuple[float, float, float],
) -> None:  # fmt: skip
    """A non-conservative ``force`` (N) at the ring's centre and a ``moment`` (N m), both in
    chaser axes, on the ring against the chaser; recorded in ``bucket``."""
    oR = B_RING * BODY
    fw = rot(RC, force[0], force[1], force[2])
    mw = rot(RC, moment[0], moment[1], moment[2])
    apply(x, w, B_RING, B_CHASER, fw[0], fw[1], fw[2], x[oR], x[oR + 1], x[oR + 2])
    apply_moment(w, B_RING, B_CHASER, mw[0], mw[1], mw[2])
    record(
        x, w, bucket, B_RING, B_CHASER, fw[0], fw[1], fw[2], mw[0], mw[1], mw[2],
        x[oR], x[oR + 1], x[oR + 2],
    )  # fmt: skip


@kernel
def preloaded(d: float, k: float, f0: float, eps: float) -> tuple[float, float]:
    """Restoring force (or moment) of a preloaded spring at deflection ``d`` and its energy.

    ``-(f0 tanh(d / eps) + k d)``: the preload ``f0`` acts at once beyond a
    deflection of a few ``eps`` (a real linkage's preloaded spring has a
    dead band; the tanh keeps the force continuous for the integrator). The
    energy is the exact integral, ``f0 eps log cosh(d / eps) + k d^2 / 2``.
    """
    z = abs(d) / eps
    lc = z + math.log1p(math.exp(-2.0 * z)) - math.log(2.0)
    return -(f0 * math.tanh(d / eps) + k * d), f0 * eps * lc + 0.5 * k * d * d


@kernel
def on_stop(a: float, b: float, limit: float, k: float) -> tuple[float, float, float]:
    """Stop of a two-axis stroke: restoring components and energy when ``|(a, b)| > limit``."""
    r = math.sqrt(a * a + b * b)
    if r <= limit:
        return 0.0, 0.0, 0.0
    pen = r - limit
    return -k * pen * a / r, -k * pen * b / r, 0.5 * k * pen * pen


@kernel
def buffer_forces(
    x: np.ndarray,
    p: np.ndarray,
    u: np.ndarray,
    f: np.ndarray,
    w: np.ndarray,
    RC: tuple[float, ...],
    Cx: float,
    Cy: float,
    Cz: float,
) -> None:
    """Ring kinematics in the chaser frame, then the spring, damper and roll-damping forces.

    Stores in ``w``: extension (m, + towards the station), lateral offset (m),
    tilt (rad), their rates, the spring force and the springs' energy.
    """
    oC = B_CHASER * BODY
    oR = B_RING * BODY
    rl = rott(RC, x[oR] - Cx, x[oR + 1] - Cy, x[oR + 2] - Cz)
    ext = -rl[0]
    vC = pvel(x, w, B_CHASER, x[oR], x[oR + 1], x[oR + 2])
    vl = rott(RC, x[oR + 3] - vC[0], x[oR + 4] - vC[1], x[oR + 5] - vC[2])
    edot = -vl[0]
    qw, qx, qy, qz = qrel(x, oC, oR)
    if qw < 0.0:
        qw = -qw
        qx = -qx
        qy = -qy
        qz = -qz
    thx = 2.0 * qx
    thy = 2.0 * qy
    thz = 2.0 * qz
    orl = rott(
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
    # preloaded axial spring between the ring and the drive nut; the stop beyond the preload
    dl = x[X_NUT] - ext
    if dl >= 0.0:
        fs = p[P_F0] + p[P_KAX] * dl
        w[W_U] += p[P_F0] * dl + 0.5 * p[P_KAX] * dl * dl
    else:
        fs = p[P_F0] + p[P_KSTOP] * dl
        w[W_U] += p[P_F0] * dl + 0.5 * p[P_KSTOP] * dl * dl
    w[W_FS] = fs
    # lateral and tilt buffers: preloaded springs (the preload builds up over P_PRELOAD_EPS)
    # with hard stops on the radial lateral offset and on the tilt magnitude
    eps = p[P_PRELOAD_EPS]
    eps_t = eps / p[P_RF]
    fy, uy = preloaded(rl[1], p[P_KLAT], p[P_FLAT0], eps)
    fz, uz = preloaded(rl[2], p[P_KLAT], p[P_FLAT0], eps)
    my, vy = preloaded(thy, p[P_KTILT], p[P_MTILT0], eps_t)
    mz, vz = preloaded(thz, p[P_KTILT], p[P_MTILT0], eps_t)
    w[W_U] += uy + uz + vy + vz
    sy, sz, su = on_stop(rl[1], rl[2], p[P_LAT_STOP], p[P_KLSTOP])
    ty, tz, tu = on_stop(thy, thz, p[P_TILT_STOP], p[P_KLSTOP] * p[P_RF] * p[P_RF])
    w[W_U] += su + tu
    w[W_STOP] = 1.0 if (su > 0.0 or tu > 0.0) else 0.0
    fy += sy
    fz += sz
    # the restoring moment r = -dU/dtheta of the roll, tilt and stop springs, with theta =
    # 2 vec(q); d(theta)/dt = q_w Omega + Omega x vec(q) for the relative rate Omega, so the
    # moment that does exactly -dU/dt of work is q_w r + vec(q) x r (q_w r alone leaks
    # energy where r is not along vec(q): roll and tilt springs differ, and the preload)
    ry = my + ty
    rz = mz + tz
    rx = -p[P_KROLL] * thx
    mx = qw * rx + qy * rz - qz * ry
    my = qw * ry + qz * rx - qx * rz
    mz = qw * rz + qx * ry - qy * rx
    w[W_U] += 0.5 * p[P_KROLL] * thx * thx
    fw = rot(RC, -fs, fy, fz)
    apply(x, w, B_RING, B_CHASER, fw[0], fw[1], fw[2], x[oR], x[oR + 1], x[oR + 2])
    mw = rot(RC, mx, my, mz)
    apply_moment(w, B_RING, B_CHASER, mw[0], mw[1], mw[2])
    # electromagnetic dampers (lagged force states)
    damp_f = (-x[X_DAMP], x[X_DAMP + 1], x[X_DAMP + 2])
    ring_load(x, w, K_DAMPER, RC, damp_f, (0.0, x[X_DAMP + 3], x[X_DAMP + 4]))
    # roll damping of the linkage: passive friction plus the EM dampers, which the
    # six-screw linkage drives in roll as in tilt (same coefficient per N s/m). Not
    # lagged: on the ring's roll inertia c dt / I stays < 0.1.
    mw = rot(RC, -p[P_CROLL] * orl[0], 0.0, 0.0)
    apply_moment(w, B_RING, B_CHASER, mw[0], mw[1], mw[2])
    record(
        x, w, K_OTHER, B_RING, B_CHASER, 0.0, 0.0, 0.0, mw[0], mw[1], mw[2],
        x[oR], x[oR + 1], x[oR + 2],
    )  # fmt: skip
    c_roll = clip(u[U_DAMPER], 0.0, p[P_CMAX]) * f[F_DAMPER_SCALE] * p[P_CTILT_R]
    if c_roll > 0.0:
        mw = rot(RC, -c_roll * orl[0], 0.0, 0.0)
        apply_moment(w, B_RING, B_CHASER, mw[0], mw[1], mw[2])
        record(
            x, w, K_DAMPER, B_RING, B_CHASER, 0.0, 0.0, 0.0, mw[0], mw[1], mw[2],
            x[oR], x[oR + 1], x[oR + 2],
        )  # fmt: skip


@kernel
def brake(
    x: np.ndarray, p: np.ndarray, u: np.ndarray, f: np.ndarray, w: np.ndarray, RC: tuple[float, ...]
) -> None:
    """Karnopp friction brake between the ring and the nut (the drive's slip clutch).

    Evaluated last: while stuck it supplies the force that keeps the ring's
    axial speed relative to the nut at zero over the next step, given every
    other force already in ``w``, within the slip limits (N).
    """
    oR = B_RING * BODY
    cmd = clip(u[U_BRAKE], 0.0, p[P_BMAX]) * f[F_BRAKE_SCALE]
    lf = cmd * p[P_BFWD]
    lr = cmd * p[P_BREV]
    vb = w[W_EDOT] - x[X_NUT_V]
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
            fb = clip(req, -lr, lf)
            stick = 1.0 if fb == req else 0.0
        elif vb < 0.0:
            fb = lf
        else:
            fb = -lr
    x[X_STICK] = stick
    w[W_FB] = fb
    w[W_VB] = vb
    fw = rot(RC, -fb, 0.0, 0.0)
    apply_recorded(
        x, w, K_BRAKE, B_RING, B_CHASER, fw[0], fw[1], fw[2], x[oR], x[oR + 1], x[oR + 2]
    )
    if cmd > 0.0:
        linkage_brake(x, p, w, RC, cmd)


@kernel
def stick_slip(v: float, a: float, mobility: float, limit: float, band: float, dt: float) -> float:
    """Karnopp element on one channel: relative speed ``v``, relative acceleration ``a`` from
    every other load, ``mobility`` (relative acceleration per unit load), slip ``limit``.

    Inside the stick ``band`` the load that nulls ``v`` over the next step, clipped to the
    limit; outside it the limit against the motion.
    """
    if abs(v) < band:
        return clip(-(v / dt + a) / mobility, -limit, limit)
    return -limit if v > 0.0 else limit


@kernel
def linkage_brake(
    x: np.ndarray, p: np.ndarray, w: np.ndarray, RC: tuple[float, ...], cmd: float
) -> None:
    """The friction brake in the differential linkage's tilt (and lateral) channels.

    The brake works in each screw pair's channel of the linkage, so it also
    resists the ring's tilt (and, with ``P_BLAT_R`` > 0, its lateral motion)
    relative to the chaser: Karnopp stick/slip on each axis (chaser axes) with
    slip levels ``P_BTILT_R x cmd`` (N m) and ``P_BLAT_R x cmd`` (N). Evaluated
    after every other load, like the axial brake. The mobilities are the
    ring's and the chaser's about their own centres (the chaser's lever to the
    ring is left out of the lateral one: under 5 % for the 120 kg ring).
    """
    oR = B_RING * BODY
    dt = p[P_DT]
    band = p[P_VTOL]
    kR = W_FORCE + 6 * B_RING
    kC = W_FORCE + 6 * B_CHASER
    mt = p[P_BTILT_R] * cmd
    if mt > 0.0:
        tR = rott(RC, w[kR + 3], w[kR + 4], w[kR + 5])
        tC = rott(RC, w[kC + 3], w[kC + 4], w[kC + 5])
        my = stick_slip(
            w[W_RATES + 2], tR[1] / p[P_IR + 1] - tC[1] / p[P_IC + 1],
            1.0 / p[P_IR + 1] + 1.0 / p[P_IC + 1], mt, band / p[P_RF], dt,
        )  # fmt: skip
        mz = stick_slip(
            w[W_RATES + 3], tR[2] / p[P_IR + 2] - tC[2] / p[P_IC + 2],
            1.0 / p[P_IR + 2] + 1.0 / p[P_IC + 2], mt, band / p[P_RF], dt,
        )  # fmt: skip
        mw = rot(RC, 0.0, my, mz)
        apply_moment(w, B_RING, B_CHASER, mw[0], mw[1], mw[2])
        record(
            x, w, K_BRAKE, B_RING, B_CHASER, 0.0, 0.0, 0.0, mw[0], mw[1], mw[2],
            x[oR], x[oR + 1], x[oR + 2],
        )  # fmt: skip
    fl = p[P_BLAT_R] * cmd
    if fl > 0.0:
        fR = rott(RC, w[kR], w[kR + 1], w[kR + 2])
        fC = rott(RC, w[kC], w[kC + 1], w[kC + 2])
        mob = 1.0 / p[P_MR] + 1.0 / p[P_MC]
        fy = stick_slip(w[W_RATES], fR[1] / p[P_MR] - fC[1] / p[P_MC], mob, fl, band, dt)
        fz = stick_slip(w[W_RATES + 1], fR[2] / p[P_MR] - fC[2] / p[P_MC], mob, fl, band, dt)
        fw = rot(RC, 0.0, fy, fz)
        apply_recorded(
            x, w, K_BRAKE, B_RING, B_CHASER, fw[0], fw[1], fw[2], x[oR], x[oR + 1], x[oR + 2]
        )


@kernel
def damper_lag(x: np.ndarray, p: np.ndarray, u: np.ndarray, f: np.ndarray, w: np.ndarray) -> None:
    """EM damper forces follow ``-c x rate`` through their first-order lag."""
    c = clip(u[U_DAMPER], 0.0, p[P_CMAX]) * f[F_DAMPER_SCALE]
    a = p[P_DAMP_ALPHA]
    x[X_DAMP] += a * (-c * w[W_EDOT] - x[X_DAMP])
    x[X_DAMP + 1] += a * (-c * p[P_CLAT_R] * w[W_RATES] - x[X_DAMP + 1])
    x[X_DAMP + 2] += a * (-c * p[P_CLAT_R] * w[W_RATES + 1] - x[X_DAMP + 2])
    x[X_DAMP + 3] += a * (-c * p[P_CTILT_R] * w[W_RATES + 2] - x[X_DAMP + 3])
    x[X_DAMP + 4] += a * (-c * p[P_CTILT_R] * w[W_RATES + 3] - x[X_DAMP + 4])
