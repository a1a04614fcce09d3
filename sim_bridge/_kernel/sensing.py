"""Sensing: the noisy, quantised sensor channels and the true relative pose.

Noise is a pure function of (seed, step, channel): a counter-based hash, so
there is no generator state, any sample can be recomputed, batch runs cannot
interfere, and the seed never reaches the dynamics. Units are those of
:class:`controller.types.SensorFrame`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from sim_bridge._kernel.bodies import clip, interface_origins, qmat, qrel, rot, rott
from sim_bridge._kernel.drive import bus_voltage
from sim_bridge._kernel.jit import kernel
from sim_bridge._layout import (
    BODY,
    P_E_READY,
    P_HLOAD_MAX,
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
    P_PR_STROKE,
    P_Q_CUR,
    P_Q_EXT,
    P_Q_HLOAD,
    P_Q_HPOS,
    P_Q_LOAD,
    P_Q_PRES,
    P_Q_VOLT,
    P_READY_TOL,
    P_RETRACT_TOL,
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
    X_ALIGN,
    X_AX,
    X_DRIVE_I,
    X_FIRED,
    X_HOOK_LOAD,
    X_HOOK_Q,
    X_ICONTACT,
    X_LAT,
    X_LATCH,
    X_MOT_I,
    X_MOT_W,
    X_NUT,
    X_P_CAV,
    X_P_TUN,
    X_PR_GAP,
    X_RING_EXT,
    X_RING_LAT,
    X_RING_RATE,
    X_RING_TILT,
    X_TENSION,
)

_GOLD = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


@kernel
def _mix(z: np.uint64) -> np.uint64:
    """splitmix64 finaliser: a bijective avalanche of 64 bits."""
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@kernel
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


@kernel
def _meas(v: float, sigma: float, quantum: float, seed: np.uint64, n: np.int64, ch: int) -> float:
    """``v`` plus noise of standard deviation ``sigma`` on channel ``ch``, rounded to ``quantum``
    (0 = none)."""
    if sigma > 0.0:
        v += sigma * gauss(seed, n, np.int64(ch))
    if quantum > 0.0:
        v = quantum * math.floor(v / quantum + 0.5)
    return v


@kernel
def relative_pose(x: np.ndarray, p: np.ndarray, out: np.ndarray) -> None:
    """Chaser interface relative to the passive frame (12 values): position (m), velocity
    (m/s), angle (rad, twice the vector part of the relative quaternion), rate (rad/s)."""
    RS = qmat(x, 0)
    RC = qmat(x, BODY)
    Sx, Sy, Sz, Cx, Cy, Cz = interface_origins(x, p, RS, RC)
    q = rott(RS, Cx - Sx, Cy - Sy, Cz - Sz)
    out[0] = q[0]
    out[1] = q[1]
    out[2] = q[2]
    oS = rot(RS, x[10], x[11], x[12])
    oC = rot(RC, x[BODY + 10], x[BODY + 11], x[BODY + 12])
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
    v = rott(RS, vx, vy, vz)
    out[3] = v[0]
    out[4] = v[1]
    out[5] = v[2]
    qw, qx, qy, qz = qrel(x, 0, BODY)
    s = 2.0 if qw >= 0.0 else -2.0
    out[6] = s * qx
    out[7] = s * qy
    out[8] = s * qz
    r = rott(RS, oC[0] - oS[0], oC[1] - oS[1], oC[2] - oS[2])
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
    bus = bus_voltage(p, f)
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
        out[S_HOOK_POS + i] = clip(hp, 0.0, 1.0)
        hl = _meas(x[X_HOOK_LOAD + i], p[P_N_HLOAD], p[P_Q_HLOAD], seed, n, S_HOOK_LOAD + i)
        out[S_HOOK_LOAD + i] = clip(hl, 0.0, p[P_HLOAD_MAX])
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
