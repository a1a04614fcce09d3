"""``report.html`` of a campaign, with PNG plots beside it in ``plots/``.

* envelope maps: pairs of dispersed inputs, each run a dot coloured by its
  end (MATED, captured, not captured), the sampled box drawn, and the
  boundary found by the boundary search on the map of its two axes;
* a histogram and an empirical CDF of every measurement the runs reached,
  with the base scenario's limits marked;
* the probabilities with their 95 % Wilson intervals, the measurement table,
  the worst-N table with the command that replays each run, and the
  sensitivity ranking.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from hil.campaign.results import read_rows
from hil.campaign.spec import Campaign

COLOURS = {"mated": "#1a7f37", "captured": "#2f6feb", "not captured": "#cf222e"}


def _numeric_inputs(campaign: Campaign, rows: Sequence[Mapping[str, Any]]) -> list[str]:
    cols = []
    for c in campaign.input_columns:
        values = [r.get(f"in:{c}") for r in rows]
        if values and all(isinstance(v, int | float) for v in values):
            cols.append(c)
    return cols


def _fold(point: Sequence[float], axes: tuple[str, str]) -> tuple[float, float]:
    """A boundary point on the map's axes: a ``|norm`` axis shows the magnitude (the search
    runs it signed, negative along -y, ``hil/campaign/boundary.py``; the samples are lengths)."""
    x, y = (abs(v) if a.endswith("|norm") else v for v, a in zip(point, axes, strict=True))
    return x, y


def _draw_boundary(ax: Any, boundary: dict[str, Any], axes: tuple[str, str]) -> None:
    """The searched capture boundary: one line through each run of rays on the same side of
    a folded ``|norm`` axis (solid along +y, dashed along -y), the rays that still capture
    at their far end as triangles, the search's origin as a cross."""
    norm = [i for i, a in enumerate(axes) if a.endswith("|norm")]
    rays = boundary["rays"]
    edge = [
        [(i + o) / 2 for i, o in zip(ray["inside"], ray["outside"], strict=True)]
        for ray in rays
        if ray["inside"] is not None and ray["outside"] is not None
    ]
    if edge:
        closed = not norm
        side = [all(p[i] >= 0.0 for i in norm) for p in edge]
        segments: list[list[list[float]]] = [[edge[0]]]
        for k in range(1, len(edge)):
            if side[k] == side[k - 1]:
                segments[-1].append(edge[k])
            else:
                segments.append([edge[k]])
        if closed:
            segments[-1].append(edge[0])
        elif len(segments) > 1 and side[0] == side[-1]:
            segments[0] = segments.pop() + segments[0]  # the ray order wraps round
        labelled: set[bool] = set()
        for seg in segments:
            plus = all(seg[0][i] >= 0.0 for i in norm)
            xs, ys = zip(*(_fold(p, axes) for p in seg), strict=True)
            label = None
            if plus not in labelled:
                labelled.add(plus)
                label = "capture boundary (search)" + (
                    "" if closed else (", along +y" if plus else ", along -y")
                )
            ax.plot(xs, ys, "k-" if plus else "k--", lw=1.5, marker=".", label=label)
    beyond = [_fold(ray["inside"], axes) for ray in rays if ray["outside"] is None]
    if beyond:
        ux, uy = zip(*beyond, strict=True)
        ax.scatter(ux, uy, marker="^", c="k", s=30, label="still captures at the ray's end")
    ax.plot(*_fold(boundary["origin"], axes), "k+", ms=10)


def map_pairs(campaign: Campaign, rows: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """Which input pairs get a map: the boundary's axes first, then the inputs in order
    two by two (a magnitude pair as its length), at most four maps."""
    cols = [
        c
        for c in _numeric_inputs(campaign, rows)
        if not c.endswith(("[0]", "[1]"))
        or not any(c.startswith(d.path) and d.magnitude for d in campaign.dispersions)
    ]
    pairs: list[tuple[str, str]] = []
    if campaign.boundary is not None:
        pairs.append(campaign.boundary.axes)
    rest = [c for c in cols if not pairs or c not in pairs[0]]
    if len(rest) == 1 and cols:
        rest.append(cols[0])
    pairs += [(rest[i], rest[i + 1]) for i in range(0, len(rest) - 1, 2)]
    return pairs[:4]


def _range(campaign: Campaign, column: str) -> tuple[float, float] | None:
    """The sampled range of an input column (a magnitude pair's length for ``|norm``)."""
    for d in campaign.dispersions:
        if d.low is None or d.high is None:
            continue
        if column == d.path or (d.magnitude and column == f"{d.path}|norm"):
            return (d.low, d.high)
    return None


def _class(r: Mapping[str, Any]) -> str:
    if r["mated"]:
        return "mated"
    return "captured" if r["captured"] else "not captured"


def build_report(out: Path, campaign: Campaign, summary: Mapping[str, Any]) -> Path:
    """Write the plots and ``report.html`` into ``out``; returns the HTML path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = read_rows(out)
    plots = out / "plots"
    plots.mkdir(exist_ok=True)
    images: list[tuple[str, str]] = []
    boundary = summary.get("boundary")
    for n, (xa, ya) in enumerate(map_pairs(campaign, rows)):
        fig, ax = plt.subplots(figsize=(6, 4.5))
        for cls, colour in COLOURS.items():
            pts = [(r[f"in:{xa}"], r[f"in:{ya}"]) for r in rows if _class(r) == cls]
            if pts:
                xs, ys = zip(*pts, strict=True)
                ax.scatter(xs, ys, s=8, c=colour, label=f"{cls} ({len(pts)})", alpha=0.7)
        box = [_range(campaign, a) for a in (xa, ya)]
        if box[0] is not None and box[1] is not None:
            (x0, x1), (y0, y1) = box[0], box[1]
            ax.plot(
                [x0, x1, x1, x0, x0],
                [y0, y0, y1, y1, y0],
                color="#8c959f",
                lw=0.8,
                ls=":",
                label="sampled range",
            )
        if boundary and tuple(boundary["axes"]) == (xa, ya):
            _draw_boundary(ax, boundary, (xa, ya))
        ax.set_xlabel(xa)
        ax.set_ylabel(ya)
        ax.set_title("envelope map: outcome of each run")
        ax.legend(fontsize=7, loc="best")
        fig.tight_layout()
        name = f"map-{n}.png"
        fig.savefig(plots / name, dpi=90)
        plt.close(fig)
        images.append((name, f"{ya} against {xa}"))
    for name, stats in summary["measurements"].items():
        values = np.array([r.get(f"m:{name}", math.nan) for r in rows], dtype=np.float64)
        values = values[np.isfinite(values)]
        if values.size == 0:
            continue
        fig, (h, c) = plt.subplots(1, 2, figsize=(9, 3.2))
        h.hist(values, bins=min(50, max(5, values.size // 5)), color="#57606a")
        ordered = np.sort(values)
        cdf = np.arange(1, ordered.size + 1) / ordered.size
        c.step(ordered, cdf, where="post", color="#57606a")
        for ax in (h, c):
            for limit, label in (
                (stats.get("low"), "low limit"),
                (stats.get("high"), "high limit"),
            ):
                if limit is not None:
                    ax.axvline(limit, color="#cf222e", ls="--", label=label)
            ax.set_xlabel(name)
        h.set_ylabel("runs")
        c.set_ylabel("fraction of runs <= x")
        if stats.get("low") is not None or stats.get("high") is not None:
            c.legend(fontsize=7)
        fig.tight_layout()
        png = f"dist-{name}.png"
        fig.savefig(plots / png, dpi=80)
        plt.close(fig)
        images.append((png, f"distribution of {name}"))
    path = out / "report.html"
    path.write_text(_html(campaign, summary, images), encoding="utf-8")
    return path


def _p(entry: Mapping[str, Any]) -> str:
    if not entry["n"]:
        return "no runs"
    lo, hi = entry["wilson95"]
    return f"{entry['p']:.4f} ({entry['k']}/{entry['n']}; 95 % Wilson {lo:.4f} .. {hi:.4f})"


def _html(campaign: Campaign, s: Mapping[str, Any], images: Sequence[tuple[str, str]]) -> str:
    e = html.escape
    wall = s.get("wall_time_s")
    parts = [
        "<!doctype html><meta charset='utf-8'>",
        f"<title>campaign {e(campaign.name)}</title>",
        "<style>body{font-family:sans-serif;max-width:1100px;margin:1em auto}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;"
        "font-size:13px}code{font-size:12px}</style>",
        f"<h1>Campaign {e(campaign.name)}</h1>",
        f"<p>{s['runs']} of {s['planned_runs']} runs; sampler {e(s['sampler'])}, seed {s['seed']}"
        + (f"; wall time {wall:.1f} s" if wall else "")
        + f"; base scenario <code>{e(campaign.base_path)}</code></p>",
        "<h2>Probabilities</h2><table>",
        f"<tr><td>capture (reached BUFFERING)</td><td>{_p(s['p_capture'])}</td></tr>",
        f"<tr><td>MATED</td><td>{_p(s['p_mated'])}</td></tr>",
        f"<tr><td>safe end</td><td>{_p(s['p_safe_end'])}</td></tr></table>",
        "<h2>Measurements against limits</h2><table><tr><th>measurement</th><th>n</th>"
        "<th>low</th><th>high</th><th>p1</th><th>p5</th><th>p50</th><th>p95</th><th>p99</th>"
        "<th>outside</th><th>verdict</th></tr>",
    ]
    for name, m in s["measurements"].items():
        pc = m.get("percentiles", {})
        cells = [
            name,
            m["n"],
            m["low"],
            m["high"],
            *(pc.get(str(p)) for p in (1, 5, 50, 95, 99)),
            m.get("outside_limits", ""),
            m.get("verdict", ""),
        ]
        parts.append("<tr>" + "".join(f"<td>{e(_fmt(c))}</td>" for c in cells) + "</tr>")
    parts.append(
        "</table><h2>Worst runs</h2><table><tr><th>run</th><th>min margin</th>"
        "<th>outcome</th><th>final phase</th><th>replay</th></tr>"
    )
    for w in s["worst"]:
        parts.append(
            f"<tr><td>{w['run_id']}</td><td>{_fmt(w['min_margin'])}</td><td>{e(w['outcome'])}"
            f"</td><td>{e(w['final_phase'])}</td><td><code>{e(w['replay'])}</code></td></tr>"
        )
    parts.append(
        "</table><h2>Sensitivity (Spearman rank correlation)</h2><table>"
        "<tr><th>input</th><th>with</th><th>rho</th><th>p</th></tr>"
    )
    for d in s["sensitivity"][:20]:
        parts.append(
            f"<tr><td>{e(d['input'])}</td><td>{e(d['target'])}</td>"
            f"<td>{d['rho']:+.3f}</td><td>{d['p']:.2g}</td></tr>"
        )
    parts.append("</table><h2>Plots</h2>")
    for png, caption in images:
        parts.append(
            f"<figure><img src='plots/{e(png)}'><figcaption>{e(caption)}</figcaption></figure>"
        )
    return "\n".join(parts) + "\n"


def _fmt(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)
