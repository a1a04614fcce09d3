"""Energy ledger: records of non-conservative forces, their work, and the kinetic energy.

Every non-conservative force is recorded where it is computed (body pair,
force, moment, lever arms and its power before the step). After the velocity
update :func:`book` adds the work of each record, the mean of the power before
and after times dt, to one bucket: exactly the kinetic-energy change that the
semi-implicit Euler update gave that force. Stored energy is summed into
``w[W_U]`` by the elements themselves. ``KE + stored + dissipated - actuator
work`` is then constant up to the integrator's bounded energy error.
"""

from __future__ import annotations

import numpy as np

from sim_bridge._kernel.bodies import apply, euler_terms, mass_inertia, qmat, rot
from sim_bridge._kernel.jit import kernel
from sim_bridge._layout import (
    B_RING,
    BODY,
    MAX_REC,
    P_DT,
    REC,
    W_FB,
    W_FORCE,
    W_FS,
    W_NREC,
    W_OMEGA,
    W_REC,
    X_D_BRAKE,
    X_D_CONTACT,
    X_D_DAMP,
    X_D_OTHER,
    X_NUT_V,
    X_W_ACT,
)

# energy buckets of the force records
K_DAMPER = 0
K_BRAKE = 1
K_CONTACT = 2
K_OTHER = 3
K_ACTUATOR = 4


@kernel
def rec_power(x: np.ndarray, w: np.ndarray, k: int) -> float:
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


@kernel
def record(
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
    """Remember a non-conservative force (N) and moment (N m) on body ``a`` at world point p
    (reaction on ``b``) so that :func:`book` can add its work to ``bucket``.

    At most ``MAX_REC`` records a step; more are dropped, which the ledger
    tests would see as an energy error.
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
    w[k + 15] = rec_power(x, w, k)
    w[W_NREC] = n + 1


@kernel
def apply_recorded(
    x: np.ndarray, w: np.ndarray, bucket: int, a: int, b: int,
    fx: float, fy: float, fz: float, px: float, py: float, pz: float,
) -> None:  # fmt: skip
    """A non-conservative force (N) on body ``a`` at world point p (reaction on ``b``),
    applied and recorded in ``bucket``."""
    apply(x, w, a, b, fx, fy, fz, px, py, pz)
    record(x, w, bucket, a, b, fx, fy, fz, 0.0, 0.0, 0.0, px, py, pz)


@kernel
def book(x: np.ndarray, p: np.ndarray, w: np.ndarray) -> None:
    """Add the work of this step's records to the state's buckets, J.

    Call after the velocity update with the new world rates in ``w``. The nut
    moves the far end of the buffer spring and brake: that work is the
    drive's, not dissipation, and is moved to the actuator bucket.
    """
    dt = p[P_DT]
    for r in range(int(w[W_NREC])):
        k = W_REC + REC * r
        e = 0.5 * (w[k + 15] + rec_power(x, w, k)) * dt
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
    nut_work = (w[W_FS] + w[W_FB]) * x[X_NUT_V] * dt
    x[X_W_ACT] += nut_work
    x[X_D_BRAKE] += w[W_FB] * x[X_NUT_V] * dt


@kernel
def _half_kicked(
    x: np.ndarray, p: np.ndarray, w: np.ndarray, b: int
) -> tuple[
    float, tuple[float, float, float], tuple[float, float, float], tuple[float, float, float]
]:
    """Body ``b``'s mass (kg), CoM velocity (m/s, world), principal inertias (kg m^2) and
    body rate (rad/s, body axes), the velocities brought to the current time.

    Semi-implicit Euler is leapfrog with the stored velocities at half steps.
    With the forces of the current state in ``w`` (from ``evaluate``), half a
    kick brings them to the current time; this makes the ledger's energy error
    second order in dt instead of first.
    """
    h = 0.5 * p[P_DT]
    o = b * BODY
    k = W_FORCE + 6 * b
    m, ii = mass_inertia(p, b)
    v = (x[o + 3] + h * w[k] / m, x[o + 4] + h * w[k + 1] / m, x[o + 5] + h * w[k + 2] / m)
    tb, (Ix, Iy, Iz), (ox, oy, oz) = euler_terms(x, p, w, b, ii)
    om = (
        ox + h * (tb[0] - (Iz - Iy) * oy * oz) / Ix,
        oy + h * (tb[1] - (Ix - Iz) * oz * ox) / Iy,
        oz + h * (tb[2] - (Iy - Ix) * ox * oy) / Iz,
    )
    return m, v, (Ix, Iy, Iz), om


@kernel
def kinetic(x: np.ndarray, p: np.ndarray, w: np.ndarray) -> tuple[float, float, float]:
    """Kinetic energy, J: (vehicles translational, vehicles rotational, ring)."""
    tr = 0.0
    ro = 0.0
    ring = 0.0
    for b in range(3):
        m, v, ii, om = _half_kicked(x, p, w, b)
        t = 0.5 * m * (v[0] * v[0] + v[1] * v[1] + v[2] * v[2])
        r = 0.5 * (ii[0] * om[0] * om[0] + ii[1] * om[1] * om[1] + ii[2] * om[2] * om[2])
        if b == B_RING:
            ring = t + r
        else:
            tr += t
            ro += r
    return tr, ro, ring


@kernel
def common_kinetic(x: np.ndarray, p: np.ndarray, w: np.ndarray) -> float:
    """Kinetic energy of the common motion, J: the three bodies as one rigid stack.

    Internal forces conserve the bodies' total momentum P and angular momentum
    L (about their centre of mass); the least kinetic energy with those is the
    rigid stack's, ``|P|^2 / 2M + L . I^-1 L / 2`` with ``I`` the bodies'
    combined inertia about the centre of mass in the current pose. No
    mechanism can dissipate it: after a capture with a lateral rate the pair
    turns on together. ``KE - common`` is the *relative* kinetic energy that
    DOMAIN 2a's measure asks the buffer to remove (``docs/plant.md`` 6).
    Only the chaser's thrust (an external force) changes P and L.
    """
    kicked = (_half_kicked(x, p, w, 0), _half_kicked(x, p, w, 1), _half_kicked(x, p, w, 2))
    mtot = 0.0
    rx = ry = rz = 0.0
    px = py = pz = 0.0
    for b in range(3):
        m, v, _, _ = kicked[b]
        o = b * BODY
        mtot += m
        rx += m * x[o]
        ry += m * x[o + 1]
        rz += m * x[o + 2]
        px += m * v[0]
        py += m * v[1]
        pz += m * v[2]
    rx /= mtot
    ry /= mtot
    rz /= mtot
    vx = px / mtot
    vy = py / mtot
    vz = pz / mtot
    lx = ly = lz = 0.0
    a00 = a01 = a02 = a11 = a12 = a22 = 0.0
    for b in range(3):
        m, v, ii, om = kicked[b]
        o = b * BODY
        rm = qmat(x, o)
        lw = rot(rm, ii[0] * om[0], ii[1] * om[1], ii[2] * om[2])
        dx = x[o] - rx
        dy = x[o + 1] - ry
        dz = x[o + 2] - rz
        ux = v[0] - vx
        uy = v[1] - vy
        uz = v[2] - vz
        lx += lw[0] + m * (dy * uz - dz * uy)
        ly += lw[1] + m * (dz * ux - dx * uz)
        lz += lw[2] + m * (dx * uy - dy * ux)
        dd = dx * dx + dy * dy + dz * dz
        # R diag(I_b) R^T + m (|d|^2 E - d d^T), upper triangle
        a00 += rm[0] * rm[0] * ii[0] + rm[1] * rm[1] * ii[1] + rm[2] * rm[2] * ii[2]
        a00 += m * (dd - dx * dx)
        a11 += rm[3] * rm[3] * ii[0] + rm[4] * rm[4] * ii[1] + rm[5] * rm[5] * ii[2]
        a11 += m * (dd - dy * dy)
        a22 += rm[6] * rm[6] * ii[0] + rm[7] * rm[7] * ii[1] + rm[8] * rm[8] * ii[2]
        a22 += m * (dd - dz * dz)
        a01 += rm[0] * rm[3] * ii[0] + rm[1] * rm[4] * ii[1] + rm[2] * rm[5] * ii[2] - m * dx * dy
        a02 += rm[0] * rm[6] * ii[0] + rm[1] * rm[7] * ii[1] + rm[2] * rm[8] * ii[2] - m * dx * dz
        a12 += rm[3] * rm[6] * ii[0] + rm[4] * rm[7] * ii[1] + rm[5] * rm[8] * ii[2] - m * dy * dz
    # L . I^-1 L by the adjugate of the symmetric positive definite I
    c00 = a11 * a22 - a12 * a12
    c01 = a12 * a02 - a01 * a22
    c02 = a01 * a12 - a11 * a02
    c11 = a00 * a22 - a02 * a02
    c12 = a01 * a02 - a00 * a12
    c22 = a00 * a11 - a01 * a01
    det = a00 * c00 + a01 * c01 + a02 * c02
    quad = (
        c00 * lx * lx
        + c11 * ly * ly
        + c22 * lz * lz
        + 2.0 * (c01 * lx * ly + c02 * lx * lz + c12 * ly * lz)
    ) / det
    return 0.5 * (mtot * (vx * vx + vy * vy + vz * vz) + quad)
