"""Rigid bodies: frames, point kinematics, force application and the Euler update.

3-vectors are tuples and rotation matrices 9-tuples (row major): numba keeps
them in registers, so a step allocates nothing. Body ``b`` occupies the state
slots ``b * BODY`` onwards: CoM position (world, m), CoM velocity (m/s),
attitude quaternion body->world (w, x, y, z) and body-frame rate (rad/s).
"""

from __future__ import annotations

import math

import numpy as np

from sim_bridge._kernel.jit import kernel
from sim_bridge._layout import (
    B_CHASER,
    B_STATION,
    BODY,
    P_DC,
    P_DS,
    P_DT,
    P_IC,
    P_IR,
    P_IS,
    P_MC,
    P_MR,
    P_MS,
    W_FORCE,
    W_OMEGA,
)

Vec3 = tuple[float, float, float]
Mat3 = tuple[float, ...]
Placement = tuple[Mat3, Vec3]
"""Attitude M and origin o of a body's interface in a frame: a body point b is at o + M b."""


@kernel
def qmat(x: np.ndarray, o: int) -> tuple[float, ...]:
    """Rotation matrix body->world of the body whose state starts at slot ``o``."""
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


# rot, rott and mtm are alike by nature (products with a row-major 3x3), written out
# element by element so that numba keeps them in registers.
@kernel
def rot(R: tuple[float, ...], a: float, b: float, c: float) -> tuple[float, float, float]:
    """R (a, b, c)."""
    return (
        R[0] * a + R[1] * b + R[2] * c,
        R[3] * a + R[4] * b + R[5] * c,
        R[6] * a + R[7] * b + R[8] * c,
    )


@kernel
def rott(R: tuple[float, ...], a: float, b: float, c: float) -> tuple[float, float, float]:
    """R^T (a, b, c): a world vector in the body's frame."""
    return (
        R[0] * a + R[3] * b + R[6] * c,
        R[1] * a + R[4] * b + R[7] * c,
        R[2] * a + R[5] * b + R[8] * c,
    )


@kernel
def mtm(A: tuple[float, ...], B: tuple[float, ...]) -> tuple[float, ...]:
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


@kernel
def loc(B: Placement, a: float, b: float, c: float) -> Vec3:
    """Passive-frame coordinates of the point (a, b, c) of the body placed at ``B``."""
    M, o = B
    return (
        o[0] + M[0] * a + M[1] * b + M[2] * c,
        o[1] + M[3] * a + M[4] * b + M[5] * c,
        o[2] + M[6] * a + M[7] * b + M[8] * c,
    )


@kernel
def face_normal(S: Placement) -> Vec3:
    """The passive frame's x axis in the world: the normal of the passive face, out of the
    station."""
    R = S[0]
    return (R[0], R[3], R[6])


@kernel
def point_error(
    B: Placement, a: float, r: float, c: float, s: float
) -> tuple[Vec3, float, float, float]:
    """Where the body point (a, r c, r s) is in the passive frame, and its lateral error
    from the passive point at the same angle: (q, e_y, e_z, |e|), m. ``c, s`` are the
    cosine and sine of the element's angle about x."""
    q = loc(B, a, r * c, r * s)
    ey = q[1] - r * c
    ez = q[2] - r * s
    return q, ey, ez, math.sqrt(ey * ey + ez * ez)


@kernel
def wpt(S: Placement, q: Vec3) -> Vec3:
    """World point of the passive-frame coordinates q; ``S`` places the passive frame in
    the world."""
    t = rot(S[0], q[0], q[1], q[2])
    o = S[1]
    return (o[0] + t[0], o[1] + t[1], o[2] + t[2])


@kernel
def interface_origins(
    x: np.ndarray, p: np.ndarray, RS: tuple[float, ...], RC: tuple[float, ...]
) -> tuple[float, float, float, float, float, float]:
    """World origins of the passive frame and of the chaser interface frame, m.

    The interfaces sit ``P_DS`` ahead of the station's CoM and ``P_DC`` behind
    the chaser's, along each body's x axis.
    """
    oS = B_STATION * BODY
    oC = B_CHASER * BODY
    t = rot(RS, p[P_DS], 0.0, 0.0)
    Sx = x[oS] + t[0]
    Sy = x[oS + 1] + t[1]
    Sz = x[oS + 2] + t[2]
    t = rot(RC, -p[P_DC], 0.0, 0.0)
    Cx = x[oC] + t[0]
    Cy = x[oC + 1] + t[1]
    Cz = x[oC + 2] + t[2]
    return Sx, Sy, Sz, Cx, Cy, Cz


@kernel
def qrel(x: np.ndarray, oa: int, ob: int) -> tuple[float, float, float, float]:
    """Attitude of body ``ob`` relative to body ``oa``: conj(q_a) * q_b, not sign-fixed."""
    aw = x[oa + 6]
    ax = -x[oa + 7]
    ay = -x[oa + 8]
    az = -x[oa + 9]
    bw = x[ob + 6]
    bx = x[ob + 7]
    by = x[ob + 8]
    bz = x[ob + 9]
    return (
        aw * bw - ax * bx - ay * by - az * bz,
        aw * bx + ax * bw + ay * bz - az * by,
        aw * by - ax * bz + ay * bw + az * bx,
        aw * bz + ax * by - ay * bx + az * bw,
    )


@kernel
def pvel(
    x: np.ndarray, w: np.ndarray, b: int, px: float, py: float, pz: float
) -> tuple[float, float, float]:
    """World velocity of the point (px, py, pz) fixed to body ``b``, m/s."""
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


@kernel
def apply(
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


@kernel
def apply_moment(w: np.ndarray, a: int, b: int, mx: float, my: float, mz: float) -> None:
    """World moment on body ``a`` and its reaction on body ``b``, N m."""
    ka = W_FORCE + 6 * a + 3
    kb = W_FORCE + 6 * b + 3
    w[ka] += mx
    w[ka + 1] += my
    w[ka + 2] += mz
    w[kb] -= mx
    w[kb + 1] -= my
    w[kb + 2] -= mz


@kernel
def clip(v: float, lo: float, hi: float) -> float:
    return lo if v < lo else (hi if v > hi else v)


@kernel
def mass_inertia(p: np.ndarray, b: int) -> tuple[float, int]:
    """Mass of body ``b`` (kg) and the parameter slot of its principal inertias (3, kg m^2)."""
    if b == B_STATION:
        return p[P_MS], P_IS
    if b == B_CHASER:
        return p[P_MC], P_IC
    return p[P_MR], P_IR


@kernel
def euler_terms(
    x: np.ndarray, p: np.ndarray, w: np.ndarray, b: int, ii: int
) -> tuple[Vec3, Vec3, Vec3]:
    """Body ``b``'s torque in body axes (N m), principal inertias ``p[ii:ii + 3]`` (kg m^2)
    and body rate (rad/s): the terms of Euler's equations."""
    o = b * BODY
    k = W_FORCE + 6 * b
    tb = rott(qmat(x, o), w[k + 3], w[k + 4], w[k + 5])
    return tb, (p[ii], p[ii + 1], p[ii + 2]), (x[o + 10], x[o + 11], x[o + 12])


@kernel
def world_rates(x: np.ndarray, w: np.ndarray) -> None:
    """Store every body's angular velocity in world axes (rad/s) in ``w``."""
    for b in range(3):
        o = b * BODY
        om = rot(qmat(x, o), x[o + 10], x[o + 11], x[o + 12])
        w[W_OMEGA + 3 * b] = om[0]
        w[W_OMEGA + 3 * b + 1] = om[1]
        w[W_OMEGA + 3 * b + 2] = om[2]


@kernel
def integrate(x: np.ndarray, p: np.ndarray, w: np.ndarray) -> None:
    """One semi-implicit (symplectic) Euler step of the three bodies under the forces in ``w``.

    Velocities first, then positions with the new velocities; body rates by
    Euler's equations (each axis uses the rates already updated), then the
    quaternion with the new rates, renormalised.
    """
    dt = p[P_DT]
    for b in range(3):
        o = b * BODY
        k = W_FORCE + 6 * b
        m, ii = mass_inertia(p, b)
        x[o + 3] += dt * w[k] / m
        x[o + 4] += dt * w[k + 1] / m
        x[o + 5] += dt * w[k + 2] / m
        x[o] += dt * x[o + 3]
        x[o + 1] += dt * x[o + 4]
        x[o + 2] += dt * x[o + 5]
        tb, (Ix, Iy, Iz), (ox, oy, oz) = euler_terms(x, p, w, b, ii)
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
