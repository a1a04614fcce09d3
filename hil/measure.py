"""The contract's measurements, computed from a run's telemetry and phase timeline.

Each is ``None`` when the run never got to the point where it is defined
(``docs/records.md``: "null when the run never got there"). Definitions:

* ``contact_closing_speed_m_s``: -d(gap)/dt at the first CONTACT entry.
* ``capture_time_after_contact_s``: first BUFFERING entry (all latches
  captured) minus first CONTACT entry.
* ``peak_axial_load_n`` / ``peak_lateral_load_n``: largest magnitude of the
  measured interface loads over the run (model truth where the backend has
  it, since sensor noise would inflate a peak).
* ``energy_dissipated_fraction_10s`` (DOMAIN 2a, never capped): ``1 - R / E0``
  with ``E0`` the relative kinetic energy at first contact (``energy_kinetic_j``
  less ``energy_kinetic_common_j``, the pair's common motion that conservation
  of momentum and angular momentum keeps from any mechanism; the first sample
  the model reports contact; the CONTACT entry on a backend without truth
  has no energies, so the value is null there) and ``R`` the relative kinetic
  energy at capture + 10 s plus the buffers' stored energy then above their settled
  equilibrium (the stored energy at RETRACTION entry, when the controller has
  found the motion damped and the ring centred; without a retraction, the
  stored energy just before first contact, the buffers at rest on their
  stops: at the library's corners the two differ by at most 0.02 J, while the
  least stored energy up to the end of a capture-window run would call a
  buffer still releasing its energy settled). Energy put in by
  actuators is not dissipation: a run whose motion grew reads below 0.
* ``actuator_work_fraction_10s``: work done by the actuators (drive,
  centring, hooks, the chaser's thrust) from capture to capture + 10 s, over
  ``E0``. DOMAIN 2a: buffering must not be done by pumping energy in.
* ``energy_ledger_error_fraction``: how far the ledger (kinetic + stored +
  every dissipation bucket - actuator work) moved from first contact to
  capture + 10 s, over ``E0``; the model's energy bookkeeping, closed from
  the telemetry file alone.
* ``residual_rel_speed_m_s``: |relative velocity| at the first RETRACTION entry.
* ``hook_sync_spread_max``: largest spread (max - min) of the hook positions
  within one set while LOCKING, as a fraction of stroke, over the sets that
  were driven (a failed set that never moved is not a synchrony problem).
* ``hook_preload_min_n``: smallest hook load of the best-holding set at the
  first MATED entry (DOMAIN.md: one full set of six suffices).
* ``contact_to_hard_lock_s``: end of LOCKING (first SEAL_CHECK entry) minus
  first CONTACT entry.
* ``separation_speed_m_s``: opening speed 2 s after the push-rods fire
  (first SEPARATION entry + 2 s).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from controller.types import N_HOOK_SETS, N_HOOKS, hooks_of_set
from hil.telemetry import Columns

UNITS: dict[str, str] = {
    "contact_closing_speed_m_s": "m/s",
    "capture_time_after_contact_s": "s",
    "peak_axial_load_n": "N",
    "peak_lateral_load_n": "N",
    "energy_dissipated_fraction_10s": "1",
    "actuator_work_fraction_10s": "1",
    "energy_ledger_error_fraction": "1",
    "residual_rel_speed_m_s": "m/s",
    "hook_sync_spread_max": "1",
    "hook_preload_min_n": "N",
    "contact_to_hard_lock_s": "s",
    "separation_speed_m_s": "m/s",
}


READS: tuple[str, ...] = (
    "t_s",
    "rel_vel_m_s_x",
    "rel_vel_m_s_y",
    "rel_vel_m_s_z",
    "axial_load_n",
    "lateral_load_n",
    "true_axial_load_n",
    "true_lateral_load_n",
    "energy_kinetic_j",
    "energy_kinetic_common_j",
    "energy_stored_j",
    "energy_dissipated_j",
    "energy_dissipated_other_j",
    "energy_actuator_work_j",
    "true_in_contact",
    *(f"hook_pos_{k}" for k in range(N_HOOKS)),
    *(f"hook_load_n_{k}" for k in range(N_HOOKS)),
)
"""Every telemetry column :func:`compute` reads (a campaign records only these; a test
holds :func:`compute` to them)."""


def first_entry(phases: Sequence[tuple[str, float]], name: str) -> float | None:
    """Simulated time of the first entry into phase ``name`` (sub-states count)."""
    for phase, t in phases:
        if phase.split(".", 1)[0] == name:
            return t
    return None


def _col(cols: Columns, name: str) -> NDArray[np.float64]:
    c = cols[name]
    assert not isinstance(c, list)
    return c


def _index_at(t: NDArray[np.float64], t_s: float) -> int:
    return min(int(np.searchsorted(t, t_s, side="left")), len(t) - 1)


def _peak(cols: Columns, truth_name: str, sensed_name: str) -> float | None:
    for name in (truth_name, sensed_name):
        c = _col(cols, name)
        finite = c[np.isfinite(c)]
        if finite.size:
            return float(np.max(np.abs(finite)))
    return None


def _energy(
    cols: Columns,
    t: NDArray[np.float64],
    t_contact: float,
    t_capture: float,
    t_retract: float | None,
) -> dict[str, float | None]:
    """The three energy measurements of DOMAIN 2a (module docstring); {} without truth."""
    ke = _col(cols, "energy_kinetic_j")
    # the mechanism can only take out the relative part (docs/plant.md 5); a backend that
    # does not report the common motion is read the stricter way, as if it had none
    common = (
        np.nan_to_num(_col(cols, "energy_kinetic_common_j"), nan=0.0)
        if "energy_kinetic_common_j" in cols
        else 0.0
    )
    relative = ke - common
    stored = _col(cols, "energy_stored_j")
    work = _col(cols, "energy_actuator_work_j")
    contact = _col(cols, "true_in_contact")
    touching = np.flatnonzero(contact > 0.5)
    i0 = int(touching[0]) if touching.size else _index_at(t, t_contact)
    ic = _index_at(t, t_capture)
    i1 = _index_at(t, t_capture + 10.0)
    e0 = float(relative[i0])
    if not (math.isfinite(e0) and e0 > 0.0 and math.isfinite(float(relative[i1]))):
        return {}
    if t_retract is not None:
        settled = float(stored[_index_at(t, t_retract)])
    else:
        settled = float(stored[max(i0 - 1, 0)])
    residual = float(relative[i1]) + max(0.0, float(stored[i1]) - settled)
    dissipated = _col(cols, "energy_dissipated_j") + _col(cols, "energy_dissipated_other_j")
    ledger = ke + stored + dissipated - work
    return {
        "energy_dissipated_fraction_10s": 1.0 - residual / e0,
        "actuator_work_fraction_10s": float(work[i1] - work[ic]) / e0,
        "energy_ledger_error_fraction": abs(float(ledger[i1] - ledger[i0])) / e0,
    }


def compute(cols: Columns, phases: Sequence[tuple[str, float]]) -> dict[str, float | None]:
    """All contract measurements for one run (see the module docstring)."""
    out: dict[str, float | None] = dict.fromkeys(UNITS)
    t = _col(cols, "t_s")
    if t.size == 0:
        return out
    t_contact = first_entry(phases, "CONTACT")
    t_capture = first_entry(phases, "BUFFERING")
    t_retract = first_entry(phases, "RETRACTION")
    t_lock = first_entry(phases, "LOCKING")
    t_seal = first_entry(phases, "SEAL_CHECK")
    t_mated = first_entry(phases, "MATED")
    t_sep = first_entry(phases, "SEPARATION")
    vel = np.stack([_col(cols, f"rel_vel_m_s_{a}") for a in "xyz"], axis=1)

    out["peak_axial_load_n"] = _peak(cols, "true_axial_load_n", "axial_load_n")
    out["peak_lateral_load_n"] = _peak(cols, "true_lateral_load_n", "lateral_load_n")
    if t_contact is not None:
        out["contact_closing_speed_m_s"] = float(-vel[_index_at(t, t_contact), 0])
        if t_capture is not None:
            out["capture_time_after_contact_s"] = t_capture - t_contact
        if t_seal is not None:
            out["contact_to_hard_lock_s"] = t_seal - t_contact
    if t_contact is not None and t_capture is not None and t[-1] >= t_capture + 10.0:
        out.update(_energy(cols, t, t_contact, t_capture, t_retract))
    if t_retract is not None:
        out["residual_rel_speed_m_s"] = float(np.linalg.norm(vel[_index_at(t, t_retract)]))
    if t_lock is not None:
        i0 = _index_at(t, t_lock)
        i1 = _index_at(t, t_seal) if t_seal is not None else len(t) - 1
        spreads = []
        for s in range(N_HOOK_SETS):
            pos = np.stack([_col(cols, f"hook_pos_{k}")[i0 : i1 + 1] for k in hooks_of_set(s)])
            if np.max(pos) - np.min(pos[:, 0]) < 0.02:
                continue  # this set never moved (failed motor or cable): not a sync problem
            spreads.append(float(np.max(np.max(pos, axis=0) - np.min(pos, axis=0))))
        out["hook_sync_spread_max"] = max(spreads) if spreads else None
    if t_mated is not None:
        i = _index_at(t, t_mated)
        best = max(
            min(float(_col(cols, f"hook_load_n_{k}")[i]) for k in hooks_of_set(s))
            for s in range(N_HOOK_SETS)
        )
        out["hook_preload_min_n"] = best
    if t_sep is not None and t[-1] >= t_sep + 2.0:
        out["separation_speed_m_s"] = float(vel[_index_at(t, t_sep + 2.0), 0])
    return out
