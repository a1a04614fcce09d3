"""Boundary search: where capture stops, along rays in the plane of two inputs.

From ``origin`` (a point that captures) each of ``rays`` rays, evenly spread
in angle in the plane of the two ``axes`` scaled by their half-ranges, goes
out to ``reach`` half-ranges. The far end is tried first; if it captures,
the boundary lies beyond the search (reported as such); otherwise the
segment is bisected ``steps`` times on capture / no capture, which brackets
the boundary to ``reach / 2^steps`` of a half-range. Every other dispersed
input is held at the centre of its range (a categorical one at its first
choice), with the base scenario's noise seed, so the boundary is that of
one slice of the envelope. A magnitude input (``initial.lateral_offset_m|norm``) as
an axis is taken along +y (a negative value: along -y). Capture need not be monotone along a ray:
bisection finds *a* transition, the one nearest the origin when the
boundary is simple. Rays run in parallel, one task each.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from hil.campaign.execute import RunSpec, execute
from hil.campaign.results import atomic_bytes
from hil.campaign.spec import Campaign, Dispersion, magnitude_components


def centre(d: Dispersion) -> dict[str, float | str]:
    """The centre of a dispersion's range, as input columns."""
    if d.choices:
        return {d.path: d.choices[0]}
    if d.low is not None and d.high is not None:
        mid = (d.low + d.high) / 2.0
    else:
        mid = d.mean if d.mean is not None else 0.0
    if d.magnitude:
        first, second = magnitude_components(d.path)
        return {first: mid, second: 0.0, f"{d.path}|norm": mid}
    return {d.path: mid}


def ray(campaign: Campaign, angle_rad: float, seed: int) -> dict[str, Any]:
    """Bisect one ray; returns the last capturing and first non-capturing points."""
    b = campaign.boundary
    assert b is not None
    disp = {d.path: d for d in campaign.dispersions}
    disp.update({f"{d.path}|norm": d for d in campaign.dispersions if d.magnitude})
    base: dict[str, float | str] = {}
    for d in campaign.dispersions:
        base.update(centre(d))
    half = [(disp[a].high - disp[a].low) / 2.0 for a in b.axes]  # type: ignore[operator]
    direction = (math.cos(angle_rad) * half[0], math.sin(angle_rad) * half[1])
    runs = 0

    def point(s: float) -> tuple[float, float]:
        return (b.origin[0] + s * direction[0], b.origin[1] + s * direction[1])

    def captures(s: float) -> bool:
        nonlocal runs
        runs += 1
        values = dict(base)
        for axis, v in zip(b.axes, point(s), strict=True):
            values[axis] = v
            if axis.endswith("|norm"):  # a magnitude axis runs along +y (negative: along -y)
                first, second = magnitude_components(axis[:-5])
                values[first] = v
                values[second] = 0.0
        return bool(execute(campaign, RunSpec(-1, seed, values))["captured"])

    inside, outside = 0.0, b.reach
    if not captures(0.0):
        return {
            "angle_deg": math.degrees(angle_rad),
            "inside": None,
            "outside": point(0.0),
            "runs": runs,
            "note": "the origin does not capture",
        }
    if captures(outside):
        return {
            "angle_deg": math.degrees(angle_rad),
            "inside": point(outside),
            "outside": None,
            "runs": runs,
            "note": "captures at the far end: the boundary lies beyond",
        }
    for _ in range(b.steps):
        mid = (inside + outside) / 2.0
        if captures(mid):
            inside = mid
        else:
            outside = mid
    return {
        "angle_deg": math.degrees(angle_rad),
        "inside": point(inside),
        "outside": point(outside),
        "runs": runs,
        "note": "",
    }


def search(client: Any, campaign: Campaign, out: Path) -> dict[str, Any]:
    """Run every ray on the cluster; write and return ``boundary.json`` (read back, not
    searched again, when the directory has it: the search depends only on the campaign)."""
    b = campaign.boundary
    assert b is not None
    done = out / "boundary.json"
    if done.is_file():  # a resumed campaign: the same search gives the same rays
        old: dict[str, Any] = json.loads(done.read_text(encoding="utf-8"))
        return old
    seed = int(campaign.base.get("seed", 1))
    angles = [2.0 * math.pi * k / b.rays for k in range(b.rays)]
    futures = [client.submit(ray, campaign, a, seed, pure=False) for a in angles]
    rays = client.gather(futures)
    result = {
        "axes": list(b.axes),
        "origin": list(b.origin),
        "reach": b.reach,
        "steps": b.steps,
        "rays": rays,
    }
    atomic_bytes(out / "boundary.json", json.dumps(result, indent=1).encode())
    return result
