"""Samplers: the campaign's dispersed inputs for every run, from the campaign seed alone.

Every sampler first draws points in the unit cube, one dimension per input
(two for a magnitude/direction pair), then maps them onto the inputs' ranges.
The draw depends only on the campaign seed, the sampler and the run count,
so a resumed campaign sees the same runs and each run's row in
``runs.parquet`` holds exactly the values its scenario got.

* ``lhs``: Latin hypercube (``scipy.stats.qmc.LatinHypercube``, scrambled):
  every input's range is cut into ``runs`` strata with one run in each, the
  best spread for a given count.
* ``uniform``: independent uniform draws.
* ``normal``: each input normal with its ``mean``/``std`` (without them:
  centred, std = range / 6), truncated to the range when one is given
  (``scipy.stats.truncnorm``).
* ``corners``: every vertex of the input box (2^d runs; a random subset of
  ``runs`` of them when that is fewer), where the worst cases of a monotone
  envelope live.
* ``list``: the runs given in the file, in order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from hil.campaign.spec import Campaign, Dispersion, magnitude_components

Inputs = dict[str, float | str]

CORNER_ANGLES = (0.125, 0.625)
"""Where the direction of a magnitude pair sits at the corner set, turns (45 and 225 deg):
0 and 1 turn would be the same direction."""


def run_seed(campaign_seed: int, run_id: int) -> int:
    """The noise seed of run ``run_id``: independent streams from one campaign seed."""
    state = np.random.SeedSequence([campaign_seed, run_id]).generate_state(2, np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1]))


def unit_points(campaign: Campaign) -> NDArray[np.float64]:
    """The (runs, dims) points in [0, 1) the inputs are mapped from."""
    dims = sum(d.dims for d in campaign.dispersions)
    n = campaign.runs
    rng = np.random.default_rng(np.random.SeedSequence([campaign.seed, 0x5A3]))
    if dims == 0:
        return np.zeros((n, 0))
    if campaign.sampler == "lhs":
        from scipy.stats import qmc

        return np.asarray(qmc.LatinHypercube(d=dims, rng=rng).random(n), dtype=np.float64)
    if campaign.sampler == "corners":
        total = 2**dims
        picks = (
            np.arange(total, dtype=np.int64)
            if n >= total
            else np.sort(rng.choice(total, size=n, replace=False))
        )
        bits = (picks[:, None] >> np.arange(dims)[None, :]) & 1
        return bits.astype(np.float64)
    return rng.random((n, dims))


def sample(campaign: Campaign) -> list[Inputs]:
    """Every run's input values, keyed by the ``runs.parquet`` input column names."""
    if campaign.sampler == "list":
        return [dict(run) for run in campaign.explicit]
    u = unit_points(campaign)
    runs = min(campaign.runs, u.shape[0])
    out: list[Inputs] = [{} for _ in range(runs)]
    col = 0
    for d in campaign.dispersions:
        if d.magnitude:
            _magnitude(d, u[:runs, col], u[:runs, col + 1], campaign.sampler, out)
        elif d.choices:
            k = len(d.choices)
            idx = np.minimum((u[:runs, col] * k).astype(np.int64), k - 1)
            for row, i in zip(out, idx, strict=True):
                row[d.path] = d.choices[int(i)]
        else:
            values = _numeric(d, u[:runs, col], campaign.sampler)
            for row, v in zip(out, values, strict=True):
                row[d.path] = float(v)
        col += d.dims
    return out


def _numeric(d: Dispersion, u: NDArray[np.float64], sampler: str) -> NDArray[np.float64]:
    if sampler == "normal":
        from scipy.stats import norm, truncnorm

        low, high = d.low, d.high
        mean = d.mean if d.mean is not None else (low + high) / 2.0  # type: ignore[operator]
        std = d.std if d.std is not None else (high - low) / 6.0  # type: ignore[operator]
        if std == 0.0:
            return np.full(u.shape, mean)
        if low is None or high is None:
            return np.asarray(norm.ppf(u, loc=mean, scale=std), dtype=np.float64)
        a, b = (low - mean) / std, (high - mean) / std
        return np.asarray(truncnorm.ppf(u, a, b, loc=mean, scale=std), dtype=np.float64)
    assert d.low is not None
    assert d.high is not None
    return d.low + (d.high - d.low) * u


def _magnitude(
    d: Dispersion,
    u_norm: NDArray[np.float64],
    u_dir: NDArray[np.float64],
    sampler: str,
    out: Sequence[Inputs],
) -> None:
    """Length linear in its range (weighting the rim, where capture is hardest), direction
    uniform over the circle; at the corner set two opposite diagonal directions."""
    assert d.low is not None
    assert d.high is not None
    if sampler == "corners":
        u_dir = np.where(u_dir > 0.5, CORNER_ANGLES[1], CORNER_ANGLES[0])
    norm = _numeric(d, u_norm, sampler)
    angle = 2.0 * math.pi * u_dir
    first, second = magnitude_components(d.path)
    for row, r, a in zip(out, norm, angle, strict=True):
        row[first] = float(r * math.cos(a))
        row[second] = float(r * math.sin(a))
        row[f"{d.path}|norm"] = float(r)
