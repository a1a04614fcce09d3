"""The run report: PNG plots and one self-contained HTML page for a design review.

Everything is drawn from ``telemetry.parquet`` and ``result.json`` alone, so
``dockhil report RUN_DIR`` rebuilds the same page later, on another machine.
Plots share the simulated-time axis and shade the phases, so a reviewer can
read each signal against the phase it belongs to.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from controller.types import N_HOOKS, N_LATCHES, hooks_of_set
from hil.record import load_record
from hil.telemetry import Columns, ParquetColumns

PHASE_COLOURS = {
    "STANDBY": "#eeeeee",
    "READY": "#e3f2fd",
    "APPROACH": "#bbdefb",
    "CONTACT": "#ffe0b2",
    "CAPTURE": "#ffcc80",
    "BUFFERING": "#fff59d",
    "CORRECTION": "#e6ee9c",
    "RETRACTION": "#c5e1a5",
    "LOCKING": "#a5d6a7",
    "SEAL_CHECK": "#80cbc4",
    "MATED": "#b2dfdb",
    "UNLOCKING": "#d1c4e9",
    "SEPARATION": "#b39ddb",
    "ABORT": "#ffab91",
    "SAFE": "#ef9a9a",
}


def _f(cols: Columns, name: str) -> NDArray[np.float64]:
    c = cols[name]
    assert not isinstance(c, list)
    return c


def _spans(phases: Sequence[dict[str, Any]], t_end: float) -> list[tuple[str, float, float]]:
    out = []
    for i, p in enumerate(phases):
        t1 = phases[i + 1]["t_s"] if i + 1 < len(phases) else t_end
        out.append((str(p["phase"]).split(".", 1)[0], float(p["t_s"]), float(t1)))
    return out


def make_figures(cols: Columns, record: dict[str, Any]) -> dict[str, bytes]:
    """Name -> PNG bytes for every plot of the report."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = _f(cols, "t_s")
    if t.size == 0:
        return {}
    spans = _spans(record.get("phases", []), float(t[-1]))
    # decimate for drawing: thousands of points per curve are plenty at this size
    step = max(1, t.size // 6000)
    ts = t[::step]

    def d(name: str) -> NDArray[np.float64]:
        # a copy, so the full column read from the file is freed at once
        return _f(cols, name)[::step].copy()

    def shade(ax: Any) -> None:
        for name, a, b in spans:
            ax.axvspan(a, b, color=PHASE_COLOURS.get(name, "#ffffff"), alpha=0.35, lw=0)
        ax.grid(True, alpha=0.3)
        ax.set_xlim(float(t[0]), float(t[-1]))

    figs: dict[str, bytes] = {}

    def save(name: str, fig: Any) -> None:
        buf = io.BytesIO()
        fig.tight_layout()
        fig.savefig(buf, format="png", dpi=110)
        plt.close(fig)
        figs[name] = buf.getvalue()

    # phase timeline: one bar per stay in a top-level phase
    merged: list[list[Any]] = []
    for name, a, b in spans:
        if merged and merged[-1][0] == name:
            merged[-1][2] = b
        else:
            merged.append([name, a, b])
    order = [n for n in PHASE_COLOURS if any(m[0] == n for m in merged)]
    fig, ax = plt.subplots(figsize=(10, 0.35 * len(order) + 1.0))
    for name, a, b in merged:
        y = order.index(name)
        ax.barh(
            y, max(b - a, 1e-3), left=a, color=PHASE_COLOURS.get(name, "#999"), edgecolor="#555"
        )
    ax.set_yticks(range(len(order)), order, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("simulated time [s]")
    ax.set_title("Phase timeline")
    ax.grid(True, axis="x", alpha=0.3)
    ax.set_xlim(float(t[0]), float(t[-1]))
    save("phases", fig)

    # relative motion
    fig, axes = plt.subplots(4, 1, figsize=(10, 8), sharex=True)
    axes[0].plot(ts, d("rel_pos_m_x") * 1000.0, label="axial gap x")
    axes[0].plot(ts, d("ring_extension_m") * 1000.0, "--", label="ring extension")
    for axis in "yz":
        axes[1].plot(ts, d(f"rel_pos_m_{axis}") * 1000.0, label=axis)
    for axis in "xyz":
        axes[2].plot(ts, d(f"rel_vel_m_s_{axis}") * 1000.0, label=axis, lw=0.8)
        axes[3].plot(ts, np.degrees(d(f"rel_angle_rad_{axis}")), label=axis, lw=0.8)
    axes[0].set_ylabel("axial [mm]")
    axes[1].set_ylabel("lateral [mm]")
    axes[2].set_ylabel("velocity [mm/s]")
    axes[3].set_ylabel("angle [deg]")
    axes[3].set_xlabel("simulated time [s]")
    axes[0].set_title("Relative motion of the chaser interface (sensed)")
    for ax in axes:
        shade(ax)
        ax.legend(loc="upper right", fontsize=7)
    save("motion", fig)

    # loads
    fig, ax = plt.subplots(figsize=(10, 3.2))
    ax.plot(ts, d("axial_load_n") / 1000.0, label="axial (sensed)", lw=0.8)
    ax.plot(ts, d("lateral_load_n") / 1000.0, label="lateral (sensed)", lw=0.8)
    if np.isfinite(d("true_axial_load_n")).any():
        ax.plot(ts, d("true_axial_load_n") / 1000.0, "--", label="axial (model)", lw=0.8)
    ax.set_ylabel("interface load [kN]")
    ax.set_xlabel("simulated time [s]")
    ax.set_title("Interface loads")
    shade(ax)
    ax.legend(loc="upper right", fontsize=7)
    save("loads", fig)

    # energy: the ledger over the run, and a zoom on contact and buffering
    if np.isfinite(d("energy_kinetic_j")).any():
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.4), gridspec_kw={"width_ratios": [3, 2]})
        ke, st, di = d("energy_kinetic_j"), d("energy_stored_j"), d("energy_dissipated_j")
        work = np.nan_to_num(d("energy_actuator_work_j"))
        t_contact = next((a for n, a, _ in spans if n == "CONTACT"), None)
        for k, ax in enumerate(axes):
            ax.stackplot(ts, ke, st, di, labels=["kinetic", "stored", "dissipated"], alpha=0.8)
            ax.plot(ts, (ke + st + di)[0] + work, "k--", lw=0.8, label="initial + actuator work")
            shade(ax)
            if k == 1 and t_contact is not None:
                window = (ts >= t_contact - 1.0) & (ts <= t_contact + 15.0)
                ax.set_xlim(t_contact - 1.0, t_contact + 15.0)
                if window.any():
                    ax.set_ylim(0.0, 1.15 * float(np.max((ke + st + di)[window])))
                ax.set_title("contact and buffering")
            ax.set_xlabel("simulated time [s]")
        axes[0].set_ylabel("energy [J]")
        axes[0].set_title("Energy ledger (relative motion)")
        axes[0].legend(loc="upper left", fontsize=7)
        save("energy", fig)

    # hooks per set, and latches
    fig, axes = plt.subplots(3, 1, figsize=(10, 6.5), sharex=True)
    for s, ax in enumerate(axes[:2]):
        for k in hooks_of_set(s):
            ax.plot(ts, d(f"hook_pos_{k}"), lw=0.8, label=f"hook {k}")
        ax.set_ylabel(f"set {'AB'[s]} position [-]")
        ax.set_ylim(-0.05, 1.1)
        shade(ax)
        ax.legend(loc="upper left", fontsize=6, ncol=6)
    for k in range(N_LATCHES):
        axes[2].step(ts, d(f"latch_{k}") * 0.8 + k, where="post", lw=1)
    axes[2].set_yticks(range(N_LATCHES), [f"latch {k}" for k in range(N_LATCHES)], fontsize=7)
    axes[2].set_xlabel("simulated time [s]")
    axes[0].set_title("Hooks (0 open, 1 closed) and capture latches")
    shade(axes[2])
    save("hooks", fig)

    fig, ax = plt.subplots(figsize=(10, 3.2))
    hook_loads = np.stack([d(f"hook_load_n_{k}") for k in range(N_HOOKS)])
    for k in range(N_HOOKS):
        ax.plot(ts, hook_loads[k] / 1000.0, lw=0.7)
    ax.set_ylabel("hook load [kN]")
    ax.set_xlabel("simulated time [s]")
    ax.set_title("Hook loads (all twelve)")
    shade(ax)
    save("hook_loads", fig)

    # seals
    fig, ax = plt.subplots(figsize=(10, 3.0))
    ax.plot(ts, d("seal_pressure_pa") / 1000.0, label="cavity A")
    ax.plot(ts, d("seal_pressure_b_pa") / 1000.0, "--", label="cavity B")
    ax.plot(ts, d("tunnel_pressure_pa") / 1000.0, label="tunnel")
    ax.set_ylabel("pressure [kPa]")
    ax.set_xlabel("simulated time [s]")
    ax.set_title("Seal cavity and tunnel pressure")
    shade(ax)
    ax.legend(loc="upper left", fontsize=7)
    save("seals", fig)

    hists = record.get("timing", {}).get("histograms", {})
    if any(h.get("counts") for h in hists.values()):
        fig, axes = plt.subplots(1, len(hists), figsize=(10, 2.8), squeeze=False)
        for ax, (name, h) in zip(axes[0], sorted(hists.items()), strict=True):
            if h.get("counts"):
                ax.stairs(h["counts"], h["edges_us"], fill=True, alpha=0.7)
                ax.set_xscale("log")
                ax.set_yscale("log")
            ax.set_xlabel(f"{name.removesuffix('_us')} [us]")
            ax.set_ylabel("cycles")
            ax.grid(True, alpha=0.3)
        axes[0][0].set_title(f"Loop timing ({record.get('timing', {}).get('mode', '')})")
        save("timing", fig)
    return figs


def _table(rows: list[list[str]], head: list[str], classes: list[str] | None = None) -> str:
    out = ["<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr>"]
    for i, r in enumerate(rows):
        cls = f' class="{classes[i]}"' if classes and classes[i] else ""
        out.append(f"<tr{cls}>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def _num(v: Any) -> str:
    return "-" if v is None else f"{v:.4g}"


def render_html(record: dict[str, Any], figs: dict[str, bytes]) -> str:
    outcome = str(record.get("outcome"))
    colour = {"PASS": "#2e7d32", "FAIL": "#c62828"}.get(outcome, "#ef6c00")
    meas = record.get("measurements", [])
    rows = [
        [m["name"], _num(m["value"]), m["units"], _num(m["low"]), _num(m["high"]), m["outcome"]]
        for m in meas
    ]
    cls = [m["outcome"].lower() for m in meas]
    checks = record.get("checks", [])
    rows += [[c["name"], c.get("detail", ""), "", "", "", c["outcome"]] for c in checks]
    cls += [c["outcome"].lower() for c in checks]
    phases = _table(
        [[f"{p['t_s']:.3f}", p["phase"]] for p in record.get("phases", [])], ["t [s]", "phase"]
    )
    events = [e for e in record.get("events", []) if e.get("kind") != "phase"]
    ev_table = _table(
        [[f"{e['t_s']:.3f}", str(e["kind"]), str(e.get("detail", ""))] for e in events[:300]],
        ["t [s]", "kind", "detail"],
    )
    timing = record.get("timing", {})
    link = record.get("link", {})
    imgs = "\n".join(
        f'<figure><img alt="{n}" src="data:image/png;base64,{_b64(b)}"></figure>'
        for n, b in figs.items()
    )
    esc = html.escape
    name = esc(str(record.get("scenario")))
    meta = (
        f"HAL {esc(str(record.get('hal')))} &middot; seed {esc(str(record.get('seed')))} &middot; "
        f"final phase {esc(str(record.get('final_phase')))} &middot; "
        f"{record.get('sim_time_s', 0):.1f} s simulated in {record.get('wall_time_s', 0):.1f} s "
        f"&middot; versions {esc(str(record.get('versions')))}"
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>dockhil: {name}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1150px; color: #222; }}
h1 {{ margin-bottom: 0.2em; }} .badge {{ color: white; background: {colour}; padding: 0.15em 0.6em;
border-radius: 0.3em; }} table {{ border-collapse: collapse; margin: 0.6em 0; font-size: 0.9em; }}
td, th {{ border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }}
tr.fail td {{ background: #ffebee; }} tr.pass td {{ background: #f1f8e9; }}
figure {{ margin: 1em 0; }} img {{ max-width: 100%; }} .meta {{ color: #555; }}
.cols {{ display: flex; gap: 2em; flex-wrap: wrap; }}
</style></head><body>
<h1>{name} <span class="badge">{esc(outcome)}</span></h1>
<p class="meta">{meta}</p>
{f"<p><b>Error:</b> {esc(str(record['error']))}</p>" if record.get("error") else ""}
<h2>Measurements</h2>
{_table(rows, ["measurement", "value", "units", "low", "high", "outcome"], cls)}
<div class="cols"><div><h2>Phase timeline</h2>{phases}</div>
<div><h2>Timing</h2>{_timing_html(timing)}<h2>Link</h2>{_link_html(link)}</div></div>
<h2>Plots</h2>
{imgs}
<h2>Events</h2>
{ev_table}
</body></html>
"""


_QUANTILES = ("p50", "p99", "p999", "max")


def _timing_html(t: dict[str, Any]) -> str:
    """The loop's timing as tables: the summary line, percentiles, and the host's floor."""
    if not t:
        return "<p>-</p>"
    mode = str(t.get("mode", ""))
    lines = [f"<p>mode {html.escape(mode)}"]
    if mode == "lockstep":
        rtf = t.get("real_time_factor")
        lines[0] += f", {t.get('cycles', 0)} cycles" + (f", {rtf:.0f}x real time" if rtf else "")
    else:
        lines[0] += (
            f", {t.get('cycles', 0)} cycles at {_num(t.get('rate_hz_target'))} Hz "
            f"(achieved {_num(t.get('rate_hz_achieved'))} Hz), missed "
            f"{t.get('missed_cycles', 0)} ({100 * float(t.get('missed_fraction', 0.0)):.3f} %)"
        )
    lines[0] += "</p>"
    rows = []
    for key, label in (
        ("exec_us", "tick exec"),
        ("lateness_us", "lateness"),
        ("period_us", "period"),
        ("latency_us", "sensor->cmd"),
    ):
        q = t.get(key)
        if isinstance(q, dict):
            rows.append([label, *(_num(q.get(k)) for k in _QUANTILES)])
    floor = t.get("floor")
    if isinstance(floor, dict):
        q = floor.get("lateness_us", {})
        rows.append(["floor lateness", *(_num(q.get(k)) for k in _QUANTILES)])
    lines.append(_table(rows, ["us", *_QUANTILES]))
    if isinstance(floor, dict):
        above = t.get("above_floor", {})
        lines.append(
            f"<p>host floor (a bare loop on the same deadlines, {_num(floor.get('seconds'))} s): "
            f"missed {100 * float(floor.get('missed_fraction', 0.0)):.3f} %; the loop above it: "
            f"{_num(above.get('missed_pp'))} percentage points missed, lateness p99 "
            f"{_num(above.get('lateness_p99_us'))} us</p>"
        )
    return "\n".join(lines)


def _link_html(link: dict[str, Any]) -> str:
    """Link counters as a two-column table (nothing to show on an in-process backend)."""
    if not link:
        return "<p>no link (in-process backend)</p>"
    return _table([[str(k), str(v)] for k, v in link.items()], ["counter", "value"])


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def build_report(run_dir: Path) -> Path:
    """(Re)build ``report.html`` and the PNG plots of a run directory from its files."""
    run_dir = Path(run_dir)
    record = load_record(run_dir / "result.json")
    cols = ParquetColumns(run_dir / "telemetry.parquet")
    figs = make_figures(cols, record)
    for name, png in figs.items():
        (run_dir / f"{name}.png").write_bytes(png)
    path = run_dir / "report.html"
    path.write_text(render_html(record, figs), encoding="utf-8")
    return path
