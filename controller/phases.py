"""The docking phases, the one table of transitions, and what each row does.

Theory of operation
-------------------
This module is the whole specification of the phase machine (h11's "rule
1"): :data:`TRANSITIONS` says which trigger moves which phase where under
which guards, and what the move does (``after`` actions: counting a retry,
remembering a ``dock`` command); :data:`ON_ENTER` says what entering each
phase does (forgetting a remembered ``dock``, reporting an abort, resetting
the hook sets); :data:`CAUSES` says what each trigger means in an event. All
three are plain data in the ``transitions`` library's own format, and the
machine in :mod:`controller.machine` is built once from them. The actions
named here are methods of that machine's model; nothing else changes the
memory that outlives a phase (``dock_pending``, the retry counters, the hook
sets, the seal verdict, the motion filter, the capture window).

Two kinds of trigger fire the table:

* **Operator commands** (:data:`COMMANDS`: arm, dock, abort, undock, reset,
  standby) come in through ``DockingController.command``. A command with no
  row from the current phase, or whose guards are false, is *rejected* with a
  reason; it never raises.
* **Internal triggers** (contact, captured, damped, locked, ...) are raised by
  the controller itself when something *changes*: each cycle it reads the
  guards of the internal rows leaving the current phase and fires a trigger
  only when all of a row's guards hold. Rows are tried in table order, as
  ``transitions`` does, so a retry row written before its abort row wins
  while retries remain.

Guards are names (:data:`GUARDS`). Most are *facts* of the current phase's
procedure (:mod:`controller.sequences`): boolean fields it sets once per
good frame, false in a fresh procedure. The rest (:data:`MEMORY_GUARDS`)
read memory that outlives a phase. The model exposes both as attributes,
which ``transitions`` resolves as conditions.

Time-outs are guards too (``capture_timed_out`` ...): they compare phase time
counted from frame time stamps, never a wall clock, so the ``Timeout`` state
feature of ``transitions`` (threads) is not used.

Inside a phase the procedure runs a short fixed sequence of steps (for
example ``LOCKING.DRIVE`` then ``LOCKING.PRELOAD``); the step is appended to
the phase name after a dot. Steps are procedure, not structure: they never
leave the phase except through a row of this table.

SAFE is the only phase left by a single command (``reset``); every other
phase has an internal or command way out. ``fail_safe`` (persistent bad
sensor data) and ``internal_fault`` (a bug caught by the cycle) leave every
phase except SAFE.

Run ``python -m controller.phases`` to regenerate ``docs/phase-diagram.md``.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Any


class Phase(StrEnum):
    """Top-level phases (the names in records and telemetry, ARCHITECTURE.md)."""

    STANDBY = "STANDBY"
    READY = "READY"
    APPROACH = "APPROACH"
    CONTACT = "CONTACT"
    CAPTURE = "CAPTURE"
    BUFFERING = "BUFFERING"
    CORRECTION = "CORRECTION"
    RETRACTION = "RETRACTION"
    LOCKING = "LOCKING"
    SEAL_CHECK = "SEAL_CHECK"
    MATED = "MATED"
    UNLOCKING = "UNLOCKING"
    SEPARATION = "SEPARATION"
    ABORT = "ABORT"
    SAFE = "SAFE"


P = Phase
INITIAL_PHASE = P.STANDBY

PHASE_CODES: dict[str, int] = {p.value: i for i, p in enumerate(Phase)}
"""Top-level phase -> its code on the wire (``HostHeartbeat.mode``, ``docs/icd.md`` 4.2)."""

COMMANDS: frozenset[str] = frozenset({"arm", "standby", "dock", "abort", "undock", "reset"})
"""Operator commands; every other trigger in the table is internal."""


GUARDS: dict[str, str] = {
    # on memory that outlives a phase: properties of the machine's model
    "sensor_data_lost": "sensor data lost or implausible for too long, or the link lost",
    "internal_fault_caught": "a bug caught in a procedure, a law, a guard or an action",
    "dock_pending": "a 'dock' command remembered",
    "capture_retry_left": "a capture retry left (capture_retries)",
    "attenuation_extension_left": "an attenuation extension left (attenuation_extensions)",
    # facts of the current phase's procedure (controller.sequences), set once per frame
    "ready_prepared": "the mechanism prepared (hooks open, latches armed, ring at the stop)",
    "ready_prep_timed_out": "ready_prep_timeout_s passed while preparing",
    "contact_detected": "contact (axial load, ring deflection, alignment or a latch)",
    "approach_timed_out": "approach_timeout_s passed without contact",
    "capture_started": "every alignment sensor made, or any latch",
    "capture_complete": "three latch pairs holding",
    "capture_timed_out": "T_cap (capture_timeout_s) passed since contact",
    "latches_lost": "under three latch pairs holding for capture_lost_s",
    "chaser_pushing": "compression > chaser_push_load_n, off the ready stop, chaser_push_time_s",
    "motion_damped": "filtered motion within the buffer limits for residual_hold_s",
    "attenuation_timed_out": "T_att (attenuation_timeout_s) passed",
    "ring_centred": "ring centred with low residual motion for centred_hold_s",
    "residual_motion_ok": "filtered motion within the residual limits",
    "correction_timed_out": "correction_timeout_s passed",
    "retraction_complete": "the ring retracted",
    "ring_jam_confirmed": "a ring jam again after re-equalising",
    "retraction_timed_out": "retraction_timeout_s passed",
    "hard_locked": "a full hook set preloaded in band and no set still driving",
    "locking_given_up": "both hook sets failed, or T_lock passed",
    "seal_check_done": "the seal check decided",
    "hard_lock_lost": "no full hook set closed for hard_lock_lost_s",
    "undock_prep_in_progress": "the undocking still venting the tunnel (hooks closed)",
    "vent_given_up": "the tunnel not vented and stable in time, or rising",
    "unlock_complete": "hooks open and latches free",
    "unlock_given_up": "hooks or latches still closed after the contingency",
    "separation_complete": "the gap above separation_clear_gap_m and opening",
    "separation_given_up": "separation_timeout_s passed without separation",
    "abort_settled": "the abort settled (hooks open, latches free, holding)",
    "abort_given_up": "hooks or latches still closed after the contingency",
}
"""Every guard the table names, and what it means (rejection reasons quote this)."""

MEMORY_GUARDS = frozenset(list(GUARDS)[:5])
"""Guards read on the machine's model; every other guard is a fact of the current procedure."""

EVERY_ENTRY = "begin_phase"
"""Entry action of every phase: restart the phase clock, fresh procedure memory, log it."""

ON_ENTER: dict[Phase, tuple[str, ...]] = {
    P.STANDBY: ("forget_dock",),
    P.CONTACT: ("start_capture_window", "reset_motion_filter"),
    P.LOCKING: ("reset_hook_sets",),
    P.SEAL_CHECK: ("mark_unsealed",),
    P.UNLOCKING: ("forget_dock",),
    P.ABORT: ("forget_dock", "report_abort"),
    P.SAFE: ("forget_dock", "report_safe"),
}
"""Entry actions after :data:`EVERY_ENTRY`, in order; a row's ``after`` actions follow them."""

CAUSES: dict[str, str] = {
    "fail_safe": "sensor data lost or implausible for too long",
    "internal_fault": "internal fault: a controller bug was caught",
    "prep_timeout": "mechanism not ready within ready_prep_timeout_s",
    "approach_timeout": "no contact within approach_timeout_s",
    "capture_timeout": "no full capture within T_cap of contact",
    "chaser_push": "the chaser kept thrusting after capture",
    "capture_lost": "fewer than three latch pairs holding after capture",
    "attenuation_timeout": "relative motion not damped within T_att",
    "correction_timeout": "ring not centred within correction_timeout_s",
    "ring_jam": "ring drive jammed (high current, no motion) after re-equalising",
    "retraction_timeout": "ring not retracted within retraction_timeout_s",
    "lock_failed": "no full hook set preloaded (both sets failed, or T_lock expired)",
    "lock_lost": "no full hook set closed while locked",
    "unlock_failed": "hooks or latches did not open after the contingency",
    "vent_failed": "tunnel not vented and stable within tunnel_vent_timeout_s: staying mated",
    "separation_failed": "no separation after push-rods and ring push",
    "abort_failed": "hooks or latches did not open during abort",
    "abort": "operator abort",
}
"""What a trigger means, in ``abort`` and ``safe`` events and retry reasons."""

_ACTIVE = [
    P.READY,
    P.APPROACH,
    P.CONTACT,
    P.CAPTURE,
    P.BUFFERING,
    P.CORRECTION,
    P.RETRACTION,
    P.LOCKING,
    P.SEAL_CHECK,
    P.UNLOCKING,
    P.SEPARATION,
]
"""Phases an operator 'abort' leaves (MATED needs 'undock'; STANDBY has nothing to abort)."""

_NOT_SAFE = [p for p in Phase if p is not P.SAFE]

TRANSITIONS: list[dict[str, Any]] = [
    # ---- operator commands ------------------------------------------------
    {"trigger": "arm", "source": P.STANDBY, "dest": P.READY},
    {"trigger": "arm", "source": P.ABORT, "dest": P.READY, "conditions": ["abort_settled"]},
    {"trigger": "standby", "source": P.READY, "dest": P.STANDBY},
    {"trigger": "standby", "source": P.ABORT, "dest": P.STANDBY, "conditions": ["abort_settled"]},
    {"trigger": "dock", "source": P.STANDBY, "dest": P.READY, "after": ["remember_dock"]},
    {
        "trigger": "dock",
        "source": P.READY,
        "dest": P.APPROACH,
        "conditions": ["ready_prepared"],
        "after": ["remember_dock"],
    },
    # not yet prepared: accepted and remembered; 'go' below leaves READY when it is
    {
        "trigger": "dock",
        "source": P.READY,
        "dest": None,
        "unless": ["ready_prepared"],
        "after": ["remember_dock"],
    },
    # still venting (UNLOCKING.VENT/CONFIRM, hooks closed): abandon the undocking, stay mated
    {
        "trigger": "abort",
        "source": P.UNLOCKING,
        "dest": P.MATED,
        "conditions": ["undock_prep_in_progress"],
    },
    {"trigger": "abort", "source": _ACTIVE, "dest": P.ABORT},
    {"trigger": "undock", "source": [P.MATED, P.SEAL_CHECK], "dest": P.UNLOCKING},
    {"trigger": "reset", "source": P.SAFE, "dest": P.STANDBY, "after": ["clear_faults"]},
    {
        "trigger": "reset",
        "source": P.ABORT,
        "dest": P.STANDBY,
        "conditions": ["abort_settled"],
        "after": ["clear_faults"],
    },
    # ---- safety: first row tried in every phase ---------------------------
    {
        "trigger": "fail_safe",
        "source": _NOT_SAFE,
        "dest": P.SAFE,
        "conditions": ["sensor_data_lost"],
    },
    # a bug caught in a procedure, a law or a guard: fail closed
    {
        "trigger": "internal_fault",
        "source": _NOT_SAFE,
        "dest": P.SAFE,
        "conditions": ["internal_fault_caught"],
    },
    # ---- READY: prepare / re-arm, then go ------------------------------------
    {
        "trigger": "go",
        "source": P.READY,
        "dest": P.APPROACH,
        "conditions": ["ready_prepared", "dock_pending"],
    },
    {
        "trigger": "prep_timeout",
        "source": P.READY,
        "dest": P.ABORT,
        "conditions": ["ready_prep_timed_out"],
    },
    # ---- docking ----------------------------------------------------------
    {
        "trigger": "contact",
        "source": P.APPROACH,
        "dest": P.CONTACT,
        "conditions": ["contact_detected"],
    },
    {
        "trigger": "approach_timeout",
        "source": P.APPROACH,
        "dest": P.ABORT,
        "conditions": ["approach_timed_out"],
    },
    {
        "trigger": "captured",
        "source": [P.CONTACT, P.CAPTURE],
        "dest": P.BUFFERING,
        "conditions": ["capture_complete"],
        "after": ["restart_attenuation_allowance"],
    },
    {
        "trigger": "aligned",
        "source": P.CONTACT,
        "dest": P.CAPTURE,
        "conditions": ["capture_started"],
    },
    # NOCAP and partial capture: release, re-arm and retry once, then abort
    {
        "trigger": "capture_timeout",
        "source": [P.CONTACT, P.CAPTURE],
        "dest": P.READY,
        "conditions": ["capture_timed_out", "capture_retry_left"],
        "after": ["count_capture_retry"],
    },
    {
        "trigger": "capture_timeout",
        "source": [P.CONTACT, P.CAPTURE],
        "dest": P.ABORT,
        "conditions": ["capture_timed_out"],
    },
    {
        "trigger": "capture_lost",
        "source": [P.BUFFERING, P.CORRECTION, P.RETRACTION],
        "dest": P.ABORT,
        "conditions": ["latches_lost"],
    },
    # the chaser keeps thrusting after capture: hold everything (SAFE keeps the latches,
    # brake and dampers on); releasing would let it ram the station. Not in RETRACTION:
    # there the drive itself loads the interface (a jammed drive reads as compression)
    {
        "trigger": "chaser_push",
        "source": [P.BUFFERING, P.CORRECTION],
        "dest": P.SAFE,
        "conditions": ["chaser_pushing"],
    },
    {
        "trigger": "damped",
        "source": P.BUFFERING,
        "dest": P.CORRECTION,
        "conditions": ["motion_damped"],
    },
    # attenuation not converged: grant T_att once more (re-entry restarts the clock), then abort
    {
        "trigger": "attenuation_timeout",
        "source": P.BUFFERING,
        "dest": P.BUFFERING,
        "conditions": ["attenuation_timed_out", "attenuation_extension_left"],
        "after": ["extend_attenuation"],
    },
    {
        "trigger": "attenuation_timeout",
        "source": P.BUFFERING,
        "dest": P.ABORT,
        "conditions": ["attenuation_timed_out"],
    },
    {
        "trigger": "centred",
        "source": P.CORRECTION,
        "dest": P.RETRACTION,
        "conditions": ["ring_centred", "residual_motion_ok"],
    },
    {
        "trigger": "correction_timeout",
        "source": P.CORRECTION,
        "dest": P.ABORT,
        "conditions": ["correction_timed_out"],
    },
    {
        "trigger": "retracted",
        "source": P.RETRACTION,
        "dest": P.LOCKING,
        "conditions": ["retraction_complete"],
    },
    {
        "trigger": "ring_jam",
        "source": P.RETRACTION,
        "dest": P.ABORT,
        "conditions": ["ring_jam_confirmed"],
    },
    {
        "trigger": "retraction_timeout",
        "source": P.RETRACTION,
        "dest": P.ABORT,
        "conditions": ["retraction_timed_out"],
    },
    {"trigger": "locked", "source": P.LOCKING, "dest": P.SEAL_CHECK, "conditions": ["hard_locked"]},
    {
        "trigger": "lock_failed",
        "source": P.LOCKING,
        "dest": P.ABORT,
        "conditions": ["locking_given_up"],
    },
    {
        "trigger": "seal_checked",
        "source": P.SEAL_CHECK,
        "dest": P.MATED,
        "conditions": ["seal_check_done"],
    },
    {
        "trigger": "lock_lost",
        "source": [P.SEAL_CHECK, P.MATED, P.UNLOCKING],
        "dest": P.SAFE,
        "conditions": ["hard_lock_lost"],
    },
    # ---- undocking ----------------------------------------------------------
    # U1: tunnel not vented and stable in time: abandon the undocking, stay mated
    {
        "trigger": "vent_failed",
        "source": P.UNLOCKING,
        "dest": P.MATED,
        "conditions": ["vent_given_up"],
    },
    {
        "trigger": "unlocked",
        "source": P.UNLOCKING,
        "dest": P.SEPARATION,
        "conditions": ["unlock_complete"],
    },
    {
        "trigger": "unlock_failed",
        "source": P.UNLOCKING,
        "dest": P.SAFE,
        "conditions": ["unlock_given_up"],
    },
    {
        "trigger": "separated",
        "source": P.SEPARATION,
        "dest": P.READY,
        "conditions": ["separation_complete"],
        "after": ["forget_dock"],
    },
    {
        "trigger": "separation_failed",
        "source": P.SEPARATION,
        "dest": P.SAFE,
        "conditions": ["separation_given_up"],
    },
    # ---- abort: open hooks, release latches, hold; SAFE if the hooks will not open
    {
        "trigger": "abort_failed",
        "source": P.ABORT,
        "dest": P.SAFE,
        "conditions": ["abort_given_up"],
    },
]


def _sources(row: dict[str, Any]) -> list[Phase]:
    src = row["source"]
    return [Phase(s) for s in src] if isinstance(src, list) else [Phase(src)]


def rows_from(phase: Phase) -> list[dict[str, Any]]:
    """Rows of :data:`TRANSITIONS` leaving ``phase``, in table order."""
    return [row for row in TRANSITIONS if phase in _sources(row)]


def guards_of(row: dict[str, Any]) -> list[str]:
    """Every guard a row names, ``conditions`` first."""
    return [*row.get("conditions", []), *row.get("unless", [])]


def edges() -> list[tuple[Phase, Phase, str]]:
    """(source, dest, trigger) for every row and source; internal rows have dest = source."""
    out: list[tuple[Phase, Phase, str]] = []
    for row in TRANSITIONS:
        for src in _sources(row):
            dest = src if row["dest"] is None else Phase(row["dest"])
            out.append((src, dest, row["trigger"]))
    return out


_EVERY_PHASE = ("fail_safe", "internal_fault")


def mermaid() -> str:
    """A mermaid ``stateDiagram-v2`` of the table and its actions, generated so it cannot drift.

    ``fail_safe`` and ``internal_fault`` leave every phase but SAFE; they are
    drawn once as a note instead of fourteen arrows each. Guards appear in
    brackets, commands in upper case, a row's ``after`` actions after a
    slash and each phase's entry actions as ``entry /`` lines (UML notation).
    """
    lines = ["stateDiagram-v2", f"    [*] --> {INITIAL_PHASE.value}"]
    for phase in Phase:
        actions = ", ".join((EVERY_ENTRY, *ON_ENTER.get(phase, ())))
        lines.append(f"    {phase.value}: entry / {actions}")
    for row in TRANSITIONS:
        if row["trigger"] in _EVERY_PHASE:
            continue
        guards = list(row.get("conditions", [])) + [f"not {u}" for u in row.get("unless", [])]
        trig = row["trigger"].upper() if row["trigger"] in COMMANDS else row["trigger"]
        label = trig + (f" [{', '.join(guards)}]" if guards else "")
        if row.get("after"):
            label += " / " + ", ".join(row["after"])
        for src in _sources(row):
            dest = src if row["dest"] is None else Phase(row["dest"])
            lines.append(f"    {src.value} --> {dest.value}: {label}")
    lines.append("    note right of SAFE")
    lines.append("        fail_safe [sensor_data_lost] and internal_fault [internal_fault_caught]")
    lines.append("        enter SAFE from every other phase; only RESET leaves it")
    lines.append("    end note")
    return "\n".join(lines) + "\n"


DIAGRAM_PATH = Path(__file__).resolve().parent.parent / "docs" / "phase-diagram.md"


def diagram_markdown() -> str:
    """The full text of ``docs/phase-diagram.md``."""
    return (
        "# Phase diagram (generated)\n\n"
        "Generated from `controller.phases` (`TRANSITIONS`, `ON_ENTER`) by\n"
        "`python -m controller.phases`; do not edit by hand\n"
        "(a test compares it with the table).\n\n"
        "```mermaid\n" + mermaid() + "```\n"
    )


def main(argv: list[str] | None = None) -> int:
    """Write the diagram (default ``docs/phase-diagram.md``, or the path given)."""
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else DIAGRAM_PATH
    path.write_text(diagram_markdown(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
