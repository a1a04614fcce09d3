"""Contact: petals in their guides, the ring face, the structural rings and the guide pins.

All contacts are Hunt-Crossley, ``k delta^1.5 (1 + c delta_dot)``, with
regularised Coulomb friction, except the guide pins (linear spring-damper in
a cone). Coordinates ``q`` are in the passive frame S (x out of the station);
a :data:`bodies.Placement` ``(M, o)`` places the ring or the chaser in S
(see :func:`bodies.loc`), and ``S`` places S in the world.
"""

from __future__ import annotations

import math

import numpy as np

from sim_bridge._kernel.bodies import (
    Placement,
    Vec3,
    apply,
    face_normal,
    loc,
    point_error,
    pvel,
    rot,
    wpt,
)
from sim_bridge._kernel.jit import kernel
from sim_bridge._kernel.ledger import K_CONTACT, K_OTHER, record
from sim_bridge._layout import (
    B_CHASER,
    B_RING,
    B_STATION,
    P_ALIGN_GAP,
    P_ALIGN_TOL,
    P_CG,
    P_CHC,
    P_COSB,
    P_COSBP,
    P_CPIN,
    P_CPIN_D,
    P_DC,
    P_DS,
    P_DT,
    P_EOUT,
    P_F_RIN,
    P_F_ROUT,
    P_FACE_C,
    P_FACE_S,
    P_H,
    P_HA,
    P_IC,
    P_IS,
    P_KC,
    P_KPIN,
    P_KSTRUCT,
    P_LPIN,
    P_MC,
    P_MS,
    P_MU,
    P_PETAL_C,
    P_PETAL_S,
    P_PIN_C,
    P_PIN_S,
    P_RA,
    P_RF,
    P_RI,
    P_RPIN,
    P_SINB,
    P_SINBP,
    P_STRUCT_C,
    P_STRUCT_S,
    P_TANB,
    P_TANBP,
    P_VREG,
    W_ALIGN,
    W_INCONTACT,
    W_SGAP,
    W_U,
)


@kernel
def hc_contact(
    x: np.ndarray, w: np.ndarray, p: np.ndarray, a: int, b: int, P: Vec3, n: Vec3,
    delta: float, k: float, stick_s_kg: float = 0.0,
) -> float:  # fmt: skip
    """Hunt-Crossley normal force with regularised Coulomb friction on body ``a``.

    ``P`` is the contact point (world, m); ``n`` (world, unit) points from the
    surface of ``b`` into ``a``; ``delta``
    is the penetration, m; ``k`` the stiffness, N/m^1.5. Returns the normal
    force, N. The elastic part k*delta**1.5 is conservative (its energy is in
    the stored ledger); the damping and friction parts are recorded as
    contact dissipation.

    Below the regularisation speed the friction acts as a viscous element
    ``mu F_n / v_reg``; under a large normal force that is stiffer than an
    explicit step can integrate (``c dt / m_eff > 2``: the tangential
    velocity flips sign every step and the friction chatters at +-mu F_n).
    ``stick_s_kg`` (= safety x contacts x dt / m_eff, s/kg) raises the
    regularisation speed to ``mu F_n stick_s_kg`` so that the viscous gain
    stays at ``c dt / m_eff <= 1 / safety``; 0 keeps the plain law.
    """
    px, py, pz = P
    nx, ny, nz = n
    va = pvel(x, w, a, px, py, pz)
    vb = pvel(x, w, b, px, py, pz)
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
    apply(x, w, a, b, fel * nx + fdx, fel * ny + fdy, fel * nz + fdz, px, py, pz)
    record(x, w, K_CONTACT, a, b, fdx, fdy, fdz, 0.0, 0.0, 0.0, px, py, pz)
    w[W_U] += 0.4 * fel * delta
    w[W_INCONTACT] = 1.0
    return float(fn)


@kernel
def petals(x: np.ndarray, p: np.ndarray, w: np.ndarray, S: Placement, ring: Placement) -> None:
    """The three petal tips in their conical guides; sets the alignment flags.

    A tip inside the guide's rim meets the flank, whose normal has an axial
    and an inward part: axial closing turns into lateral and angular
    correction of the ring. A tip beyond the rim sits on the guide's top
    face (no capture).
    """
    H = p[P_H]
    for k in range(3):
        q, ey, ez, en = point_error(ring, -p[P_HA], p[P_RA], p[P_PETAL_C + k], p[P_PETAL_S + k])
        uu = q[0] + p[P_HA]
        if uu < p[P_ALIGN_GAP] and en < p[P_CG] + p[P_ALIGN_TOL]:
            w[W_ALIGN + k] = 1.0
        if uu < H and en < p[P_EOUT]:
            P = wpt(S, q)
            rim = p[P_CG] + H * p[P_TANB]
            if en <= rim and uu < 0.0:
                # below the seat (the ring face pressed into the passive face): the seat's
                # radial wall. Its stiffness makes the potential meet the flank's at u = 0;
                # carried on below the seat, the cone closed round the tip and inverted past
                # its apex (the ledger drifted 3.9 % of E0 at a slow corner)
                dw = en - p[P_CG]
                if dw > 0.0 and en > 1e-12:
                    nl = rot(S[0], 0.0, -ey / en, -ez / en)
                    hc_contact(x, w, p, B_RING, B_STATION, P, nl, dw, p[P_KC] * p[P_COSB] ** 2.5)
            elif en <= rim:
                delta = (en - p[P_CG] - uu * p[P_TANB]) * p[P_COSB]
                if delta > 0.0 and en > 1e-12:
                    nl = rot(S[0], p[P_SINB], -p[P_COSB] * ey / en, -p[P_COSB] * ez / en)
                    hc_contact(x, w, p, B_RING, B_STATION, P, nl, delta, p[P_KC])
            else:
                hc_contact(x, w, p, B_RING, B_STATION, P, face_normal(S), H - uu, p[P_KC])


@kernel
def ring_face(x: np.ndarray, p: np.ndarray, w: np.ndarray, S: Placement, ring: Placement) -> None:
    """The ring's capture face on the passive face, six lumped points (annulus only).

    Six, every 60 deg, so that no sector of the annulus can sink into the passive
    face: with three (between the petals) a ring latched at two petals pivoted about
    the chord of two points and pressed its third petal's sector 13 mm in."""
    for k in range(6):
        q = loc(ring, 0.0, p[P_RF] * p[P_FACE_C + k], p[P_RF] * p[P_FACE_S + k])
        if q[0] < 0.0:
            rho = math.sqrt(q[1] * q[1] + q[2] * q[2])
            if p[P_F_RIN] <= rho <= p[P_F_ROUT]:
                hc_contact(x, w, p, B_RING, B_STATION, wpt(S, q), face_normal(S), -q[0], p[P_KC])


@kernel
def structural_stick(p: np.ndarray) -> float:
    """Friction stability bound of the three metal contacts (see :func:`hc_contact`), s/kg.

    The effective mass of the vehicle pair for a tangential push at the
    structural ring, bounded from below (lever = CG-to-interface distance for
    pitch/yaw, the ring radius for roll), shared by the three contacts, with
    a safety factor of 2.
    """
    rs2 = p[P_RI] * p[P_RI]
    inv_m = (
        1.0 / p[P_MC]
        + rs2 / p[P_IC]
        + p[P_DC] * p[P_DC] / min(p[P_IC + 1], p[P_IC + 2])
        + 1.0 / p[P_MS]
        + rs2 / p[P_IS]
        + p[P_DS] * p[P_DS] / min(p[P_IS + 1], p[P_IS + 2])
    )
    return float(2.0 * 3.0 * p[P_DT] * inv_m)


@kernel
def structural_point(
    x: np.ndarray,
    p: np.ndarray,
    w: np.ndarray,
    S: Placement,
    chaser: Placement,
    k: int,
    stick: float,
) -> float:
    """Structural ring contact point ``k`` (stiff Hunt-Crossley); returns its gap, m."""
    q = loc(chaser, 0.0, p[P_RI] * p[P_STRUCT_C + k], p[P_RI] * p[P_STRUCT_S + k])
    w[W_SGAP + k] = q[0]
    if q[0] < 0.0:
        P = wpt(S, q)
        hc_contact(x, w, p, B_CHASER, B_STATION, P, face_normal(S), -q[0], p[P_KSTRUCT], stick)
    return float(q[0])


@kernel
def guide_pins(
    x: np.ndarray, p: np.ndarray, w: np.ndarray, S: Placement, chaser: Placement
) -> float:
    """The two conical guide pins in their sockets; returns the largest centring error, m.

    A linear spring on the cone's penetration with a damper that may not pull
    (the total normal force stays >= 0).
    """
    pin_err = 0.0
    for k in range(2):
        q, ey, ez, en = point_error(chaser, 0.0, p[P_RPIN], p[P_PIN_C + k], p[P_PIN_S + k])
        pin_err = max(pin_err, en)
        if q[0] < p[P_LPIN] and en < p[P_CPIN] + 2.0 * p[P_LPIN] * p[P_TANBP]:
            delta = (en - p[P_CPIN] - q[0] * p[P_TANBP]) * p[P_COSBP]
            if delta > 0.0 and en > 1e-12:
                Px, Py, Pz = wpt(S, q)
                nl = rot(S[0], p[P_SINBP], -p[P_COSBP] * ey / en, -p[P_COSBP] * ez / en)
                fe = p[P_KPIN] * delta
                w[W_U] += 0.5 * fe * delta
                va = pvel(x, w, B_CHASER, Px, Py, Pz)
                vb = pvel(x, w, B_STATION, Px, Py, Pz)
                vn = (va[0] - vb[0]) * nl[0] + (va[1] - vb[1]) * nl[1] + (va[2] - vb[2]) * nl[2]
                fd = -p[P_CPIN_D] * vn
                if fe + fd < 0.0:
                    fd = -fe
                ft = fe + fd
                apply(x, w, B_CHASER, B_STATION, ft * nl[0], ft * nl[1], ft * nl[2], Px, Py, Pz)
                record(
                    x, w, K_OTHER, B_CHASER, B_STATION, fd * nl[0], fd * nl[1], fd * nl[2],
                    0.0, 0.0, 0.0, Px, Py, Pz,
                )  # fmt: skip
    return pin_err
