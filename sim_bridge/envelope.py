"""The capture envelope a preset promises, and its corners as start conditions.

A preset's ``[envelope]`` table is its contract (for ``cn-10t-100t`` the maker's
published envelope, DOMAIN 2a [S32]): the conditions *at first contact* under
which every docking must capture and mate. :func:`corners` lists the 2^4 corner
matrix the scenario library and the validation tests run: closing speed (low,
high) x lateral offset direction (towards a petal, between two petals) x
lateral rate sign (diverging, converging) x angle sign. Every corner takes the
limits at once: offset and lateral rate at their maximum, roll and the
pitch/yaw vector sum at theirs, and each angular rate at its maximum, with
the rates diverging from (sign +) or converging on (sign -) the aligned pose.

:func:`start_conditions` starts a corner's chaser ``lead_s`` (0.5 s) of free
flight before first petal contact, so that those values hold at contact: the
distance at which the petals touch is found by bisection on the plant's own
contact test, and the offset and angles are wound back along their rates.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from controller.errors import PlantError
from controller.types import InitialConditions
from sim_bridge.plant import BatchPlant
from sim_bridge.preset import Preset, load_preset

__all__ = ["Corner", "Envelope", "corners", "start_conditions"]


@dataclass(frozen=True, slots=True)
class Envelope:
    """Contact conditions a preset must capture, SI units and degrees as named."""

    closing_speed_m_s: tuple[float, float]
    lateral_offset_max_m: float
    lateral_rate_max_m_s: float
    pitch_yaw_max_deg: float
    roll_max_deg: float
    angular_rate_max_deg_s: float
    axial_force_max_n: float

    @classmethod
    def of(cls, preset: Preset | str) -> Envelope:
        """The ``[envelope]`` table of ``preset`` (a name or a loaded preset)."""
        ps = load_preset(preset) if isinstance(preset, str) else preset
        lo, hi = ps.vector("envelope.closing_speed_m_s")
        return cls(
            closing_speed_m_s=(lo, hi),
            lateral_offset_max_m=ps.get("envelope.lateral_offset_max_m"),
            lateral_rate_max_m_s=ps.get("envelope.lateral_rate_max_m_s"),
            pitch_yaw_max_deg=ps.get("envelope.pitch_yaw_max_deg"),
            roll_max_deg=ps.get("envelope.roll_max_deg"),
            angular_rate_max_deg_s=ps.get("envelope.angular_rate_max_deg_s"),
            axial_force_max_n=ps.get("envelope.axial_force_max_n"),
        )

    def contains(self, at_contact: InitialConditions, slack: float = 1e-9) -> bool:
        """Whether conditions (read as the values at first contact) lie inside the envelope."""
        lo, hi = self.closing_speed_m_s
        roll, pitch, yaw = at_contact.angle_deg
        return (
            lo - slack <= at_contact.closing_speed_m_s <= hi + slack
            and math.hypot(*at_contact.lateral_offset_m) <= self.lateral_offset_max_m + slack
            and math.hypot(*at_contact.lateral_speed_m_s) <= self.lateral_rate_max_m_s + slack
            and math.hypot(pitch, yaw) <= self.pitch_yaw_max_deg + slack
            and abs(roll) <= self.roll_max_deg + slack
            and all(abs(r) <= self.angular_rate_max_deg_s + slack for r in at_contact.rate_deg_s)
        )


@dataclass(frozen=True, slots=True)
class Corner:
    """One corner of the envelope: which end of each dimension it takes."""

    fast: bool
    between_petals: bool
    converging: bool
    angle_sign: int

    @property
    def name(self) -> str:
        """``maker-<slow|fast>-<petal|between>-<div|conv>-<pos|neg>``."""
        return "-".join(
            (
                "maker",
                "fast" if self.fast else "slow",
                "between" if self.between_petals else "petal",
                "conv" if self.converging else "div",
                "pos" if self.angle_sign > 0 else "neg",
            )
        )

    def at_contact(self, env: Envelope) -> InitialConditions:
        """The corner's conditions at first contact (``distance_m`` is not meaningful)."""
        speed = env.closing_speed_m_s[1 if self.fast else 0]
        direction = math.radians(60.0 if self.between_petals else 0.0)  # petals at 0/120/240
        cy, cz = math.cos(direction), math.sin(direction)
        r = env.lateral_offset_max_m
        v = env.lateral_rate_max_m_s * (-1.0 if self.converging else 1.0)
        s = float(self.angle_sign)
        py = env.pitch_yaw_max_deg / math.sqrt(2.0)
        w = env.angular_rate_max_deg_s
        return InitialConditions(
            distance_m=0.0,
            closing_speed_m_s=speed,
            lateral_offset_m=(r * cy, r * cz),
            lateral_speed_m_s=(v * cy, v * cz),
            angle_deg=(s * env.roll_max_deg, s * py, s * py),
            rate_deg_s=(s * w, s * w, s * w),
        )


def corners(env: Envelope) -> list[Corner]:
    """The 16 corners, in a fixed order (speed, direction, rate sign, angle sign)."""
    return [
        Corner(fast, between, converging, sign)
        for fast in (False, True)
        for between in (False, True)
        for converging in (False, True)
        for sign in (1, -1)
    ]


def contact_distance_m(preset: Preset, pose: InitialConditions) -> float:
    """Smallest start distance (m, to 0.1 mm) at which ``pose`` has no contact yet.

    Bisection on the plant's own test, as :class:`BatchPlant` makes it when a run
    starts: touching when the truth reports contact or a petal starts inside its
    guide (stored energy over 1 J). One parameter vector serves every trial.
    """
    probe = BatchPlant(preset, [dataclasses.replace(pose, distance_m=1.0)], [1])
    lo, hi = -0.2, 0.6
    while hi - lo > 1e-4:
        mid = 0.5 * (lo + hi)
        if probe.touching_at(dataclasses.replace(pose, distance_m=mid)):
            lo = mid
        else:
            hi = mid
    return hi


def start_conditions(
    preset: Preset | str, at_contact: InitialConditions, lead_s: float = 0.5
) -> InitialConditions:
    """Start conditions that reach ``at_contact`` about ``lead_s`` before first contact.

    Lateral offset and angles are wound back along their (constant, free-flight)
    rates over the lead time, and the start distance is the contact distance of
    the pose at contact plus the closing over the lead time. Half a second leaves the
    controller its READY -> APPROACH settling (``arm_settle_s``, 0.2 s) even at
    the fast corners: a chaser that touches during READY is not a capture.
    """
    ps = load_preset(preset) if isinstance(preset, str) else preset
    if at_contact.closing_speed_m_s <= 0.0:
        raise PlantError("a corner must close (closing_speed_m_s > 0)")
    lead_m = lead_s * at_contact.closing_speed_m_s
    pose = dataclasses.replace(
        at_contact,
        lateral_offset_m=tuple(  # type: ignore[arg-type]
            round(o - v * lead_s, 6)
            for o, v in zip(at_contact.lateral_offset_m, at_contact.lateral_speed_m_s, strict=True)
        ),
        angle_deg=tuple(  # type: ignore[arg-type]
            round(a - r * lead_s, 6)
            for a, r in zip(at_contact.angle_deg, at_contact.rate_deg_s, strict=True)
        ),
    )
    # the petals touch where the pose *at contact* touches; the lead closes onto it
    distance = contact_distance_m(ps, at_contact) + lead_m
    return dataclasses.replace(pose, distance_m=round(distance, 4))
