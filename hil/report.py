"""The run report: PNG plots and one self-contained HTML page for a design review.

Everything is drawn from ``telemetry.parquet`` (with the scenario in its
metadata) and ``result.json`` alone, so ``dockhil report RUN_DIR`` rebuilds
the same page later, on another machine. Plots share the simulated-time axis
and shade the phases (legend at the top of the page), so a reviewer can read
each signal against the phase it belongs to; faults and notable events are
marked on every time axis, limits from the scenario's expectations are drawn
on the signals they bound, and contact to the end of buffering, a few seconds
of a run of minutes, has a zoom of its own.

Curves are thinned for drawing by min/max decimation (:func:`minmax`): each
bin of samples keeps its smallest and largest, so a peak the record reports
is a peak the plot shows.
"""

from __future__ import annotations

import base64
import html
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from controller.types import N_HOOKS, N_LATCHES, hooks_of_set
from hil.record import load_record
from hil.telemetry import Columns, ParquetColumns, read_metadata

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


MAX_POINTS = 4000
"""Points per plotted curve after decimation (two per bin: its min and max)."""

MARKED_EVENTS = (
    "safe",
    "abort",
    "fault",
    "interlock_violation",
    "link_fault",
    "device_fault",
    "clock_fault",
    "overrun_fault",
    "internal_fault",
    "run_limit",
)
"""Event kinds marked on the time axes (besides faults injected and cleared)."""

LIMIT_LINES: dict[str, tuple[str, float]] = {
    "peak_axial_load_n": ("loads", 1e-3),
    "peak_lateral_load_n": ("loads", 1e-3),
    "hook_preload_min_n": ("hook_loads", 1e-3),
}
"""Measurement -> (figure, scale to the figure's units) for limits drawn as lines."""


def minmax(
    t: NDArray[np.float64], y: NDArray[np.float64], max_points: int = MAX_POINTS
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Thin ``(t, y)`` to about ``max_points`` samples keeping each bin's min and max.

    Unlike keeping every k-th sample, no extreme is lost: the largest and
    smallest values of the series are always among the points drawn. NaN
    samples are skipped within a bin (a bin of NaN keeps one, so gaps show).
    """
    n = y.size
    if n <= max_points:
        return t, y
    k = -(-n // max(1, max_points // 2))
    m = n - n % k
    bins = y[:m].reshape(-1, k)
    nan = np.isnan(bins)
    lo = np.where(nan, np.inf, bins).argmin(axis=1)
    hi = np.where(nan, -np.inf, bins).argmax(axis=1)
    base = np.arange(bins.shape[0]) * k
    idx = np.unique(np.concatenate([base + lo, base + hi, np.arange(m, n)]))
    return t[idx], y[idx]


def top_level_timeline(
    phases: Sequence[dict[str, Any]],
) -> list[tuple[str, float, list[str]]]:
    """Phase entries merged by top-level phase: (phase, entry time, sub-states in order).

    Sub-state chatter (LOCKING.DRIVE <-> PRELOAD twenty times in half a second)
    collapses into one row per stay in a top-level phase.
    """
    out: list[tuple[str, float, list[str]]] = []
    for p in phases:
        top, _, sub = str(p["phase"]).partition(".")
        if not out or out[-1][0] != top:
            out.append((top, float(p["t_s"]), []))
        if sub and sub not in out[-1][2]:
            out[-1][2].append(sub)
    return out


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


def _marks(record: dict[str, Any]) -> list[tuple[float, str, str]]:
    """(time, colour, label) of faults (red) and notable events (orange) to mark."""
    out = []
    for e in record.get("events", []):
        kind = str(e.get("kind", ""))
        if kind in ("fault_injected", "fault_cleared"):
            colour = "#c62828"
        elif kind in MARKED_EVENTS:
            colour = "#ef6c00"
        else:
            continue
        out.append((float(e["t_s"]), colour, f"{kind}: {e.get('detail', '')}"))
    return out[:40]


def _mark_peak(ax: Any, cols: Columns, record: dict[str, Any], name: str) -> None:
    """A dot on the sample the record's peak measurement was taken from, with its value."""
    m = next((m for m in record.get("measurements", []) if m["name"] == name), None)
    if m is None or m.get("value") is None:
        return
    column = {"peak_axial_load_n": "axial", "peak_lateral_load_n": "lateral"}[name]
    for source in (f"true_{column}_load_n", f"{column}_load_n"):
        y = _f(cols, source)
        if np.isfinite(y).any():
            i = int(np.nanargmax(np.abs(y)))
            ax.plot(_f(cols, "t_s")[i], y[i] / 1000.0, "o", color="#c62828", ms=4)
            ax.annotate(
                f"{m['value']:.0f} N",
                (_f(cols, "t_s")[i], y[i] / 1000.0),
                xytext=(4, 4),
                textcoords="offset points",
                fontsize=7,
                color="#c62828",
            )
            return


def _capture_window(spans: Sequence[tuple[str, float, float]]) -> tuple[float, float] | None:
    """From 1 s before the first CONTACT to 2 s after the end of the first BUFFERING."""
    contact = next((a for n, a, _ in spans if n == "CONTACT"), None)
    if contact is None:
        return None
    ends = [b for n, _, b in spans if n == "BUFFERING"]
    end = ends[0] if ends else max(b for n, a, b in spans if a >= contact)
    return contact - 1.0, min(end + 2.0, max(b for _, _, b in spans))


def make_figures(cols: Columns, record: dict[str, Any]) -> dict[str, bytes]:
    """Name -> PNG bytes for every plot of the report."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = _f(cols, "t_s")
    if t.size == 0:
        return {}
    spans = _spans(record.get("phases", []), float(t[-1]))
    marks = _marks(record)
    limits = {m["name"]: m for m in record.get("measurements", []) if m["name"] in LIMIT_LINES}

    def d(name: str) -> NDArray[np.float64]:
        return _f(cols, name)

    def window_of(
        y: NDArray[np.float64], window: tuple[float, float] | None
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """The samples inside ``window`` (all without one), decimated for drawing."""
        if window is None:
            return minmax(t, y)
        i0, i1 = np.searchsorted(t, window[0]), np.searchsorted(t, window[1], side="right")
        return minmax(t[i0:i1], y[i0:i1])

    def line(
        ax: Any,
        y: NDArray[np.float64],
        *args: Any,
        window: tuple[float, float] | None = None,
        **kwargs: Any,
    ) -> None:
        ax.plot(*window_of(y, window), *args, **kwargs)

    def shade(ax: Any, window: tuple[float, float] | None = None) -> None:
        for name, a, b in spans:
            ax.axvspan(a, b, color=PHASE_COLOURS.get(name, "#ffffff"), alpha=0.35, lw=0)
        for t_s, colour, _ in marks:
            ax.axvline(t_s, color=colour, lw=0.8, ls="--", alpha=0.8)
        ax.grid(True, alpha=0.3)
        ax.set_xlim(*(window or (float(t[0]), float(t[-1]))))

    def limit_lines(ax: Any, figure: str, sign: float = 1.0) -> None:
        for name, m in limits.items():
            fig_name, scale = LIMIT_LINES[name]
            if fig_name != figure:
                continue
            for key in ("low", "high"):
                if m.get(key) is not None:
                    ax.axhline(
                        sign * m[key] * scale,
                        color="#c62828",
                        lw=1.0,
                        ls=":",
                        label=f"{name} {key} {m[key]:g} {m['units']}" if sign > 0 else None,
                    )

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
    labelled: set[tuple[float, str]] = set()
    for t_s, colour, label in marks:
        ax.axvline(t_s, color=colour, lw=0.8, ls="--")
        kind = label.split(":", 1)[0]
        if (round(t_s, 1), kind) in labelled:
            continue
        labelled.add((round(t_s, 1), kind))
        ax.annotate(
            kind,
            (t_s, len(order) - 0.5),
            xytext=(-2, 2),
            textcoords="offset points",
            rotation=90,
            fontsize=6,
            color=colour,
            va="bottom",
            ha="right",
        )
    ax.set_xlabel("simulated time [s]")
    ax.set_title("Phase timeline (dashed: faults red, events orange)")
    ax.grid(True, axis="x", alpha=0.3)
    ax.set_xlim(float(t[0]), float(t[-1]))
    save("phases", fig)

    # relative motion
    fig, axes = plt.subplots(4, 1, figsize=(10, 8), sharex=True)
    line(axes[0], d("rel_pos_m_x") * 1000.0, label="axial gap x")
    line(axes[0], d("ring_extension_m") * 1000.0, "--", label="ring extension")
    for axis in "yz":
        line(axes[1], d(f"rel_pos_m_{axis}") * 1000.0, label=axis)
    for axis in "xyz":
        line(axes[2], d(f"rel_vel_m_s_{axis}") * 1000.0, label=axis, lw=0.8)
        line(axes[3], np.degrees(d(f"rel_angle_rad_{axis}")), label=axis, lw=0.8)
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
    def loads(ax: Any, window: tuple[float, float] | None = None) -> None:
        line(ax, d("axial_load_n") / 1000.0, label="axial (sensed)", lw=0.8, window=window)
        line(ax, d("lateral_load_n") / 1000.0, label="lateral (sensed)", lw=0.8, window=window)
        true_axial = d("true_axial_load_n")
        if np.isfinite(true_axial).any():
            line(ax, true_axial / 1000.0, "--", label="axial (model)", lw=0.8, window=window)
        limit_lines(ax, "loads")
        limit_lines(ax, "loads", -1.0)
        for name in ("peak_axial_load_n", "peak_lateral_load_n"):
            _mark_peak(ax, cols, record, name)
        ax.set_ylabel("interface load [kN]")
        ax.set_xlabel("simulated time [s]")
        shade(ax, window)

    fig, ax = plt.subplots(figsize=(10, 3.4))
    loads(ax)
    ax.set_title("Interface loads (dotted: limits from the scenario; o: the measured peaks)")
    ax.legend(loc="upper right", fontsize=6)
    save("loads", fig)

    zoom = _capture_window(spans)
    if zoom is not None:
        fig, axes = plt.subplots(3, 1, figsize=(10, 6.5), sharex=True)
        line(axes[0], d("rel_pos_m_x") * 1000.0, label="axial gap x")
        line(axes[0], d("ring_extension_m") * 1000.0, "--", label="ring extension")
        axes[0].set_ylabel("axial [mm]")
        loads(axes[1], zoom)
        for k in range(N_LATCHES):
            axes[2].step(*minmax(t, d(f"latch_{k}") * 0.8 + k), where="post", lw=1)
        axes[2].set_yticks(range(N_LATCHES), [f"latch {k}" for k in range(N_LATCHES)], fontsize=7)
        axes[2].set_xlabel("simulated time [s]")
        for ax in axes:
            shade(ax, zoom)
        axes[0].legend(loc="upper right", fontsize=7)
        axes[1].legend(loc="upper right", fontsize=6)
        axes[0].set_title(
            f"Zoom: contact to the end of buffering ({zoom[0]:.1f} to {zoom[1]:.1f} s)"
        )
        save("capture_zoom", fig)

    # energy: the ledger over the run, and a zoom on contact and buffering
    if np.isfinite(d("energy_kinetic_j")).any():
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.4), gridspec_kw={"width_ratios": [3, 2]})
        ke, st, di = d("energy_kinetic_j"), d("energy_stored_j"), d("energy_dissipated_j")
        work = np.nan_to_num(d("energy_actuator_work_j"))
        t_contact = next((a for n, a, _ in spans if n == "CONTACT"), None)
        idx = np.unique(np.concatenate([np.searchsorted(t, minmax(t, y)[0]) for y in (ke, st, di)]))
        te, ke, st, di, work = t[idx], ke[idx], st[idx], di[idx], work[idx]
        for k, ax in enumerate(axes):
            ax.stackplot(te, ke, st, di, labels=["kinetic", "stored", "dissipated"], alpha=0.8)
            ax.plot(te, (ke + st + di)[0] + work, "k--", lw=0.8, label="initial + actuator work")
            shade(ax)
            if k == 1 and t_contact is not None:
                window = (te >= t_contact - 1.0) & (te <= t_contact + 15.0)
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
            line(ax, d(f"hook_pos_{k}"), lw=0.8, label=f"hook {k}")
        ax.set_ylabel(f"set {'AB'[s]} position [-]")
        ax.set_ylim(-0.05, 1.1)
        shade(ax)
        ax.legend(loc="upper left", fontsize=6, ncol=6)
    for k in range(N_LATCHES):
        axes[2].step(*minmax(t, d(f"latch_{k}") * 0.8 + k), where="post", lw=1)
    axes[2].set_yticks(range(N_LATCHES), [f"latch {k}" for k in range(N_LATCHES)], fontsize=7)
    axes[2].set_xlabel("simulated time [s]")
    axes[0].set_title("Hooks (0 open, 1 closed) and capture latches")
    shade(axes[2])
    save("hooks", fig)

    fig, ax = plt.subplots(figsize=(10, 3.2))
    for k in range(N_HOOKS):
        line(ax, d(f"hook_load_n_{k}") / 1000.0, lw=0.7)
    limit_lines(ax, "hook_loads")
    preload = limits.get("hook_preload_min_n")
    if preload and (preload.get("low") is not None or preload.get("high") is not None):
        ax.legend(loc="upper left", fontsize=6)
    ax.set_ylabel("hook load [kN]")
    ax.set_xlabel("simulated time [s]")
    ax.set_title("Hook loads (all twelve)")
    shade(ax)
    save("hook_loads", fig)

    # seals
    fig, ax = plt.subplots(figsize=(10, 3.0))
    line(ax, d("seal_pressure_pa") / 1000.0, label="cavity A")
    line(ax, d("seal_pressure_b_pa") / 1000.0, "--", label="cavity B")
    line(ax, d("tunnel_pressure_pa") / 1000.0, label="tunnel")
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
    out = ["<table>"]
    if any(head):
        out.append("<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr>")
    for i, r in enumerate(rows):
        cls = f' class="{classes[i]}"' if classes and classes[i] else ""
        out.append(f"<tr{cls}>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def _num(v: Any) -> str:
    return "-" if v is None else f"{v:.4g}"


def _legend_html(record: dict[str, Any]) -> str:
    """The phase colours of the plots, for the phases this run entered."""
    seen = {str(p["phase"]).split(".", 1)[0] for p in record.get("phases", [])}
    chips = [
        f'<span class="chip" style="background:{c}">{html.escape(n)}</span>'
        for n, c in PHASE_COLOURS.items()
        if n in seen
    ]
    return '<p class="legend">Phases: ' + " ".join(chips) + "</p>" if chips else ""


def _phase_rows(record: dict[str, Any]) -> list[list[str]]:
    """One row per stay in a top-level phase: entry, duration, sub-states and switches."""
    timeline = top_level_timeline(record.get("phases", []))
    end = float(record.get("sim_time_s") or 0.0)
    rows = []
    for i, (top, t_s, subs) in enumerate(timeline):
        t1 = timeline[i + 1][1] if i + 1 < len(timeline) else end
        entries = [
            p
            for p in record.get("phases", [])
            if str(p["phase"]).split(".", 1)[0] == top and t_s <= float(p["t_s"]) < t1
        ]
        switches = f" ({len(entries)} sub-state changes)" if len(entries) > len(subs) + 1 else ""
        rows.append([f"{t_s:.3f}", f"{max(0.0, t1 - t_s):.3f}", top, ", ".join(subs) + switches])
    return rows


def _when(entry: dict[str, Any]) -> str:
    """A scenario command's or fault's time: ``t_s``, and the phase it counts from if any."""
    after = entry.get("at_phase")
    return f"{entry['t_s']:g}" + (f" after {after}" if after else "")


def _header_html(record: dict[str, Any], scenario: dict[str, Any] | None) -> str:
    """Description, initial conditions, faults, seed, versions and provenance."""
    esc = html.escape
    out = []
    sc = scenario or {}
    if sc.get("description"):
        out.append(f'<p class="desc">{esc(str(sc["description"]))}</p>')
    facts = [
        ["HAL", str(record.get("hal"))],
        ["seed", str(record.get("seed"))],
        ["preset", f"{sc.get('preset', record.get('versions', {}).get('preset', ''))}"],
        ["final phase", str(record.get("final_phase"))],
        [
            "time",
            f"{float(record.get('sim_time_s') or 0):.1f} s simulated in "
            f"{float(record.get('wall_time_s') or 0):.1f} s wall",
        ],
        ["started (UTC)", str(record.get("started_utc") or "-")],
        ["host", str(record.get("host") or "-")],
        ["scenario file", str(record.get("scenario_path") or "-")],
        ["scenario sha256", str(record.get("scenario_sha256") or "-")[:16]],
        ["preset sha256", str(record.get("preset_sha256") or "-")[:16]],
        ["git commit", str(record.get("git_commit") or "- (not a checkout)")],
    ]
    versions = record.get("versions", {}).items()
    facts += [[f"version {k}", str(v)] for k, v in versions if k != "preset"]  # a name, above
    facts += [[f"device {k}", str(v)] for k, v in record.get("device", {}).items()]
    out.append('<div class="cols"><div><h3>Run</h3>' + _table(facts, ["", ""]) + "</div><div>")
    initial = sc.get("initial")
    if isinstance(initial, dict):
        rows = [
            [k, ", ".join(f"{x:g}" for x in v) if isinstance(v, list) else f"{v:g}"]
            for k, v in initial.items()
        ]
        out.append("<h3>Initial conditions</h3>" + _table(rows, ["", ""]))
    commands = sc.get("commands") or []
    if commands:
        rows = [
            [
                _when(c),
                str(c["command"]),
            ]
            for c in commands
        ]
        out.append("<h3>Commands</h3>" + _table(rows, ["t [s]", "command"]))
    faults = sc.get("faults") or []
    if faults:
        rows = [
            [
                _when(f),
                str(f["kind"]),
                str(f.get("index", "")),
                f"{f.get('value', 0):g}",
                str(f.get("field") or ""),
                "-" if f.get("duration_s") is None else f"{f['duration_s']:g}",
            ]
            for f in faults
        ]
        out.append(
            "<h3>Injected faults</h3>"
            + _table(rows, ["t [s]", "kind", "index", "value", "field", "duration [s]"])
        )
    elif scenario is not None:
        out.append("<h3>Injected faults</h3><p>none</p>")
    out.append("</div></div>")
    return "\n".join(out)


def render_html(
    record: dict[str, Any], figs: dict[str, bytes], scenario: dict[str, Any] | None = None
) -> str:
    """The page; ``scenario`` (from the telemetry file's metadata) fills the header."""
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
    phases = _table(_phase_rows(record), ["t [s]", "for [s]", "phase", "sub-states"])
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
    meta = _header_html(record, scenario)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>dockhil: {name}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1150px; color: #222; }}
h1 {{ margin-bottom: 0.2em; }} .badge {{ color: white; background: {colour}; padding: 0.15em 0.6em;
border-radius: 0.3em; }} table {{ border-collapse: collapse; margin: 0.6em 0; font-size: 0.9em; }}
td, th {{ border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }}
tr.fail td {{ background: #ffebee; }} tr.pass td {{ background: #f1f8e9; }}
figure {{ margin: 1em 0; }} img {{ max-width: 100%; }} .desc {{ font-size: 1.1em; }}
.cols {{ display: flex; gap: 2em; flex-wrap: wrap; }} h3 {{ margin: 0.6em 0 0.2em; }}
.legend {{ position: sticky; top: 0; background: white; padding: 0.4em 0; }}
.chip {{ padding: 0.1em 0.5em; border: 1px solid #999; border-radius: 0.3em; font-size: 0.8em; }}
</style></head><body>
<h1>{name} <span class="badge">{esc(outcome)}</span></h1>
{meta}
{f"<p><b>Error:</b> {esc(str(record['error']))}</p>" if record.get("error") else ""}
<h2>Measurements</h2>
{_table(rows, ["measurement", "value", "units", "low", "high", "outcome"], cls)}
<div class="cols"><div><h2>Phase timeline</h2>{phases}</div>
<div><h2>Timing</h2>{_timing_html(timing)}<h2>Link</h2>{_link_html(link)}</div></div>
<h2>Plots</h2>
{_legend_html(record)}
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
    scenario = None
    meta = read_metadata(run_dir / "telemetry.parquet")
    if "dockhil.scenario" in meta:
        scenario = json.loads(meta["dockhil.scenario"])
    figs = make_figures(cols, record)
    for name, png in figs.items():
        (run_dir / f"{name}.png").write_bytes(png)
    path = run_dir / "report.html"
    path.write_text(render_html(record, figs, scenario), encoding="utf-8")
    return path
