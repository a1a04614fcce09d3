"""``runs.parquet`` and the campaign's statistics (``campaign.json``).

Statistics (docs/campaigns.md):

* probability of capture (the run reached BUFFERING), of MATED, and of a
  safe end (no ERROR, no interlock violation, no structural load over its
  limit), each with its 95 % Wilson score interval
  (``scipy.stats.binomtest(...).proportion_ci(method="wilson")``), which
  stays inside [0, 1] and keeps its coverage near 0 and 1 where the normal
  approximation fails (Newcombe 1998);
* per measurement: count, percentiles (1, 5, 50, 95, 99), min and max,
  against the base scenario's limits, with the number of runs outside them;
* per run a *margin* per limited measurement, the distance to the limit as
  a fraction of the limit (positive inside, negative outside; a limited
  measurement the run never reached counts -1), and its smallest margin;
  the worst N runs are those with the smallest;
* sensitivity: Spearman rank correlation of every numeric input with every
  margin (``scipy.stats.spearmanr``), ranked by its size.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from hil.campaign.execute import MEASUREMENTS
from hil.campaign.spec import Campaign
from hil.scenario import Expectation, scenario_from_dict

RUNS = "runs.parquet"
PERCENTILES = (1, 5, 50, 95, 99)


def atomic_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename: never half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_rows(out: Path, rows: Sequence[Mapping[str, Any]]) -> None:
    """Rewrite ``runs.parquet`` with ``rows`` sorted by run id, atomically."""
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    ordered = sorted(rows, key=lambda r: int(r["run_id"]))
    names: dict[str, None] = {}
    for r in ordered:
        names.update(dict.fromkeys(r))
    table = pa.table({n: [r.get(n) for r in ordered] for n in names}) if ordered else pa.table({})
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd")
    atomic_bytes(out / RUNS, buf.getvalue())


def read_rows(out: Path) -> list[dict[str, Any]]:
    """The rows of ``out/runs.parquet`` (none if there is no file yet)."""
    import pyarrow.parquet as pq

    path = out / RUNS
    if not path.is_file():
        return []
    rows: list[dict[str, Any]] = pq.read_table(str(path)).to_pylist()
    return rows


def limits(campaign: Campaign) -> dict[str, Expectation]:
    """The base scenario's measurement limits, by measurement name."""
    base = scenario_from_dict(campaign.base, campaign.base_path)
    return {e.measurement: e for e in base.expect if e.measurement}


def margin(value: float, e: Expectation) -> float:
    """Distance of ``value`` inside its limits as a fraction of the limit (negative: outside;
    -1 when the run never reached the measurement)."""
    if value is None or not math.isfinite(value):
        return -1.0
    out = math.inf
    if e.high is not None:
        out = min(out, (e.high - value) / max(abs(e.high), 1e-12))
    if e.low is not None:
        out = min(out, (value - e.low) / max(abs(e.low), 1e-12))
    return out


def margins(campaign: Campaign, rows: Sequence[Mapping[str, Any]]) -> dict[str, np.ndarray]:
    """Per limited measurement, every run's margin; ``"min"``: each run's smallest."""
    lim = limits(campaign)
    out = {
        name: np.array([margin(r.get(f"m:{name}", math.nan), e) for r in rows])
        for name, e in lim.items()
    }
    out["min"] = (
        np.min(np.stack(list(out.values())), axis=0) if out else np.full(len(rows), math.inf)
    )
    return out


def wilson(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (scipy's implementation)."""
    if n == 0:
        return (0.0, 1.0)
    from scipy.stats import binomtest

    ci = binomtest(successes, n).proportion_ci(confidence_level=confidence, method="wilson")
    return (float(ci.low), float(ci.high))


def probability(flags: Sequence[bool]) -> dict[str, Any]:
    k, n = int(sum(bool(f) for f in flags)), len(flags)
    low, high = wilson(k, n)
    return {"k": k, "n": n, "p": k / n if n else None, "wilson95": [low, high]}


def measurement_stats(campaign: Campaign, rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Percentiles of every measurement a run reached, against the base scenario's limits."""
    lim = limits(campaign)
    out: dict[str, Any] = {}
    for name in MEASUREMENTS:
        values = np.array([r.get(f"m:{name}", math.nan) for r in rows], dtype=np.float64)
        finite = values[np.isfinite(values)]
        e = lim.get(name)
        entry: dict[str, Any] = {
            "n": int(finite.size),
            "low": e.low if e else None,
            "high": e.high if e else None,
        }
        if finite.size:
            entry["min"] = float(finite.min())
            entry["max"] = float(finite.max())
            pct = np.percentile(finite, PERCENTILES)
            entry["percentiles"] = {str(p): float(v) for p, v in zip(PERCENTILES, pct, strict=True)}
        if e is not None:
            outside = sum(1 for v in values if margin(float(v), e) < 0)
            entry["outside_limits"] = outside
            entry["verdict"] = "PASS" if outside == 0 else "FAIL"
        if finite.size or e is not None:
            out[name] = entry
    return out


def sensitivity(campaign: Campaign, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Spearman rho of each numeric input with each margin (and with capture), largest first."""
    from scipy.stats import spearmanr

    if len(rows) < 3:
        return []
    targets = {f"margin:{k}": v for k, v in margins(campaign, rows).items()}
    targets["captured"] = np.array([1.0 if r["captured"] else 0.0 for r in rows])
    out: list[dict[str, Any]] = []
    for col in campaign.input_columns:
        x = np.array([r.get(f"in:{col}") for r in rows], dtype=object)
        if not all(isinstance(v, int | float) for v in x):
            continue
        xf = x.astype(np.float64)
        if np.ptp(xf) == 0:
            continue
        for name, y in targets.items():
            ok = np.isfinite(y)
            if ok.sum() < 3 or np.ptp(y[ok]) == 0:
                continue
            rho, p = spearmanr(xf[ok], y[ok])
            if math.isfinite(float(rho)):
                out.append({"input": col, "target": name, "rho": float(rho), "p": float(p)})
    out.sort(key=lambda d: -abs(d["rho"]))
    return out


def worst(campaign: Campaign, rows: Sequence[Mapping[str, Any]], n: int) -> list[int]:
    """Run ids of the ``n`` runs with the smallest margin (ties: lower run id first)."""
    if not rows or n <= 0:
        return []
    m = margins(campaign, rows)["min"]
    order = sorted(range(len(rows)), key=lambda i: (m[i], int(rows[i]["run_id"])))
    return [int(rows[i]["run_id"]) for i in order[:n]]


def kept_ids(campaign: Campaign, rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """Runs whose telemetry is kept: the worst N and the first failures, by run id."""
    failed = sorted(int(r["run_id"]) for r in rows if r["outcome"] != "PASS")
    ids = dict.fromkeys(worst(campaign, rows, campaign.keep_worst))
    ids.update(dict.fromkeys(failed[: campaign.keep_failures]))
    return list(ids)


def summarise(
    campaign: Campaign, rows: Sequence[Mapping[str, Any]], out: Path, wall_s: float | None
) -> dict[str, Any]:
    """The content of ``campaign.json``."""
    rows = sorted(rows, key=lambda r: int(r["run_id"]))
    m = margins(campaign, rows)
    worst_ids = worst(campaign, rows, campaign.keep_worst)
    by_id = {int(r["run_id"]): i for i, r in enumerate(rows)}
    return {
        "name": campaign.name,
        "runs": len(rows),
        "planned_runs": campaign.runs,
        "sampler": campaign.sampler,
        "seed": campaign.seed,
        "wall_time_s": wall_s,
        "outcomes": {o: sum(1 for r in rows if r["outcome"] == o) for o in _outcomes(rows)},
        "p_capture": probability([r["captured"] for r in rows]),
        "p_mated": probability([r["mated"] for r in rows]),
        "p_safe_end": probability([r["safe_end"] for r in rows]),
        "measurements": measurement_stats(campaign, rows),
        "worst": [
            {
                "run_id": i,
                "min_margin": float(m["min"][by_id[i]]),
                "outcome": rows[by_id[i]]["outcome"],
                "final_phase": rows[by_id[i]]["final_phase"],
                "replay": f"dockhil run --replay {out} {i}",
            }
            for i in worst_ids
        ],
        "sensitivity": sensitivity(campaign, rows)[:40],
    }


def _outcomes(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    return sorted({str(r["outcome"]) for r in rows})
