"""``dockhil compare RUN_A RUN_B``: where two runs part, for regression hunting.

Three views of the difference, from the files a run writes:

* the measurements side by side, with the change and the verdicts;
* the first entry where the phase timelines disagree (name, or entry time
  by more than ``time_tol_s``);
* the first cycle where the telemetry disagrees beyond a tolerance
  (``|a - b| > atol + rtol * |b|``, NaN equal to NaN), which columns, and
  each column's largest difference.

Same seed and same code give bit-identical lockstep runs, so the default
tolerances are zero: any difference is reported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from controller.errors import ConfigError
from hil.record import load_record
from hil.telemetry import ParquetColumns, float_column


@dataclass
class Comparison:
    """What differs between run A and run B (empty lists and None: nothing)."""

    measurements: list[dict[str, Any]] = field(default_factory=list)
    """``{"name", "units", "a", "b", "delta", "outcome_a", "outcome_b"}`` per measurement."""
    outcome: tuple[str, str] = ("", "")
    phase_divergence: dict[str, Any] | None = None
    """``{"index", "a": {"phase", "t_s"} | None, "b": ...}`` at the first disagreement."""
    telemetry_divergence: dict[str, Any] | None = None
    """``{"row", "t_s", "columns": {name: [a, b]}}`` at the first disagreeing cycle."""
    max_abs_diff: dict[str, float] = field(default_factory=dict)
    """Largest |a - b| per numeric column over the common rows (only columns that differ)."""
    rows: tuple[int, int] = (0, 0)

    @property
    def identical(self) -> bool:
        return (
            self.phase_divergence is None
            and self.telemetry_divergence is None
            and self.rows[0] == self.rows[1]
            and all(m["delta"] in (0.0, None) and m["a"] == m["b"] for m in self.measurements)
        )


def _run_files(run_dir: Path) -> tuple[dict[str, Any], ParquetColumns]:
    for needed in ("result.json", "telemetry.parquet"):
        if not (run_dir / needed).is_file():
            raise ConfigError(f"{run_dir}: no {needed} here; is this a run directory?")
    try:
        return load_record(run_dir / "result.json"), ParquetColumns(run_dir / "telemetry.parquet")
    except (ValueError, KeyError, OSError) as exc:
        raise ConfigError(f"{run_dir}: not a readable dockhil run ({exc})") from None


def _phase_divergence(
    a: list[dict[str, Any]], b: list[dict[str, Any]], time_tol_s: float
) -> dict[str, Any] | None:
    for i in range(max(len(a), len(b))):
        pa = a[i] if i < len(a) else None
        pb = b[i] if i < len(b) else None
        if (
            pa is None
            or pb is None
            or pa["phase"] != pb["phase"]
            or abs(float(pa["t_s"]) - float(pb["t_s"])) > time_tol_s
        ):
            return {"index": i, "a": pa, "b": pb}
    return None


def compare_runs(
    dir_a: Path, dir_b: Path, rtol: float = 0.0, atol: float = 0.0, time_tol_s: float = 0.0
) -> Comparison:
    """Compare two run directories (see the module docstring)."""
    rec_a, cols_a = _run_files(Path(dir_a))
    rec_b, cols_b = _run_files(Path(dir_b))
    out = Comparison(outcome=(str(rec_a.get("outcome")), str(rec_b.get("outcome"))))
    mb = {m["name"]: m for m in rec_b.get("measurements", [])}
    for m in rec_a.get("measurements", []):
        other = mb.pop(m["name"], {})
        va, vb = m.get("value"), other.get("value")
        out.measurements.append(
            {
                "name": m["name"],
                "units": m.get("units", ""),
                "a": va,
                "b": vb,
                "delta": None if va is None or vb is None else vb - va,
                "outcome_a": m.get("outcome", ""),
                "outcome_b": other.get("outcome", "-"),
            }
        )
    for name, m in mb.items():
        out.measurements.append(
            {
                "name": name,
                "units": m.get("units", ""),
                "a": None,
                "b": m.get("value"),
                "delta": None,
                "outcome_a": "-",
                "outcome_b": m.get("outcome", ""),
            }
        )
    out.phase_divergence = _phase_divergence(
        rec_a.get("phases", []), rec_b.get("phases", []), time_tol_s
    )

    t_a, t_b = float_column(cols_a, "t_s"), float_column(cols_b, "t_s")
    out.rows = (len(t_a), len(t_b))
    n = min(len(t_a), len(t_b))
    first = n
    bad_at: dict[str, int] = {}
    common = [c for c in cols_a if c in set(cols_b) and c != "phase"]
    for name in common:
        a, b = float_column(cols_a, name)[:n], float_column(cols_b, name)[:n]
        both_nan = np.isnan(a) & np.isnan(b)
        diff = np.where(both_nan, 0.0, np.abs(a - b))
        diff = np.where(np.isnan(diff), np.inf, diff)
        bad = diff > atol + rtol * np.abs(np.nan_to_num(b))
        if bad.any():
            i = int(np.argmax(bad))
            bad_at[name] = i
            first = min(first, i)
            out.max_abs_diff[name] = float(np.max(diff))
    if first < n:
        columns = {}
        for name, i in bad_at.items():
            if i == first:
                a, b = float_column(cols_a, name), float_column(cols_b, name)
                columns[name] = [float(a[i]), float(b[i])]
        out.telemetry_divergence = {"row": first, "t_s": float(t_a[first]), "columns": columns}
    elif len(t_a) != len(t_b):
        out.telemetry_divergence = {
            "row": n,
            "t_s": float(t_a[n - 1]) if n else 0.0,
            "columns": {},
            "note": f"run {'A' if len(t_a) < len(t_b) else 'B'} ends after {n} rows",
        }
    return out


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    return f"{v:.6g}" if isinstance(v, float | int) else str(v)


def format_comparison(c: Comparison, name_a: str, name_b: str) -> str:
    """Plain text for the terminal: measurements, then the first divergences."""
    lines = [f"A: {name_a} ({c.outcome[0]})", f"B: {name_b} ({c.outcome[1]})", ""]
    head = ("measurement", "A", "B", "B - A", "units", "verdicts")
    rows = [
        (
            m["name"],
            _fmt(m["a"]),
            _fmt(m["b"]),
            _fmt(m["delta"]),
            m["units"],
            f"{m['outcome_a']} / {m['outcome_b']}",
        )
        for m in c.measurements
    ]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    for r in [head, *rows]:
        lines.append("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())
    lines.append("")
    p = c.phase_divergence
    if p is None:
        lines.append("phase timelines: identical")
    else:

        def entry(e: dict[str, Any] | None) -> str:
            return "(no more entries)" if e is None else f"{e['phase']} at {e['t_s']:.3f} s"

        lines.append(
            f"phase timelines: first divergence at entry {p['index']}: "
            f"A {entry(p['a'])}, B {entry(p['b'])}"
        )
    td = c.telemetry_divergence
    if td is None:
        lines.append(f"telemetry: identical ({c.rows[0]} rows)")
    else:
        lines.append(
            f"telemetry: first divergence at row {td['row']} (t = {td['t_s']:.3f} s)"
            + (f": {td['note']}" if td.get("note") else "")
        )
        for col, (a, b) in sorted(td["columns"].items())[:12]:
            lines.append(f"  {col}: A {_fmt(a)}, B {_fmt(b)}")
        if len(td["columns"]) > 12:
            lines.append(f"  ... and {len(td['columns']) - 12} more columns")
        if c.max_abs_diff:
            worst = sorted(c.max_abs_diff.items(), key=lambda kv: -kv[1])[:5]
            lines.append("  largest differences: " + ", ".join(f"{k} {_fmt(v)}" for k, v in worst))
    return "\n".join(lines)
