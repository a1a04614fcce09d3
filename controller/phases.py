"""The docking phases and the one table of transitions between them.

Theory of operation
-------------------
Everything that moves the controller from one phase to another is in
:data:`TRANSITIONS` below, as plain data (h11's "rule 1"): a list of dicts in
the ``transitions`` library's own format (``trigger``, ``source``, ``dest``,
``conditions``/``unless`` naming guard methods of the controller). The
machine in :mod:`controller.machine` is built once from this table.

Two kinds of trigger fire the table:

* **Operator commands** (:data:`COMMANDS`: arm, dock, abort, undock, reset,
  standby) come in through ``DockingController.command``. A command with no
  row from the current phase, or whose guards are false, is *rejected* with a
  reason; it never raises.
* **Internal triggers** (contact, captured, damped, locked, ...) are raised by
  the controller itself when something *changes*: each cycle it evaluates the
  guards of the internal rows leaving the current phase (plain attribute
  reads, computed by that phase's procedure) and fires a trigger only when all
  of a row's guards hold. Rows are tried in table order, as ``transitions``
  does, so a retry row written before its abort row wins while retries remain.

Time-outs are guards too (``capture_timed_out`` ...): they compare phase time
counted from frame time stamps, never a wall clock, so the ``Timeout`` state
feature of ``transitions`` (threads) is not used.

Inside a phase the controller runs a short fixed sequence of steps (for
example ``LOCKING.DRIVE`` then ``LOCKING.PRELOAD``); the step is appended to
the phase name after a dot. Steps are procedure, not structure: they never
leave the phase except through a row of this table.

SAFE is the only phase left by a single command (``reset``); every other
phase has an internal or command way out. ``fail_safe`` (persistent bad
sensor data) leaves every phase except SAFE.

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

COMMANDS: frozenset[str] = frozenset({"arm", "standby", "dock", "abort", "undock", "reset"})
"""Operator commands; every other trigger in the table is internal."""

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
    {"trigger": "dock", "source": P.STANDBY, "dest": P.READY},
    {"trigger": "dock", "source": P.READY, "dest": P.APPROACH, "conditions": ["ready_prepared"]},
    # not yet prepared: accepted and remembered; 'go' below leaves READY when it is
    {"trigger": "dock", "source": P.READY, "dest": None, "unless": ["ready_prepared"]},
    # still venting (UNLOCKING.VENT/CONFIRM, hooks closed): abandon the undocking, stay mated
    {
        "trigger": "abort",
        "source": P.UNLOCKING,
        "dest": P.MATED,
        "conditions": ["undock_prep_in_progress"],
    },
    {"trigger": "abort", "source": _ACTIVE, "dest": P.ABORT},
    {"trigger": "undock", "source": [P.MATED, P.SEAL_CHECK], "dest": P.UNLOCKING},
    {"trigger": "reset", "source": P.SAFE, "dest": P.STANDBY},
    {"trigger": "reset", "source": P.ABORT, "dest": P.STANDBY, "conditions": ["abort_settled"]},
    # ---- safety: first row tried in every phase ---------------------------
    {
        "trigger": "fail_safe",
        "source": _NOT_SAFE,
        "dest": P.SAFE,
        "conditions": ["sensor_data_lost"],
    },
    # ---- READY: prepare / re-arm, then go ------------------------------------
    {
        "trigger": "go",
        "source": P.READY,
        "dest": P.APPROACH,
        "conditions": ["ready_prepared", "dock_requested"],
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


def edges() -> list[tuple[Phase, Phase, str]]:
    """(source, dest, trigger) for every row and source; internal rows have dest = source."""
    out: list[tuple[Phase, Phase, str]] = []
    for row in TRANSITIONS:
        for src in _sources(row):
            dest = src if row["dest"] is None else Phase(row["dest"])
            out.append((src, dest, row["trigger"]))
    return out


def mermaid() -> str:
    """A mermaid ``stateDiagram-v2`` of the table, generated so it cannot drift.

    ``fail_safe`` leaves every phase but SAFE; it is drawn once as a note
    instead of fourteen arrows. Guards appear in brackets, commands in upper case.
    """
    lines = ["stateDiagram-v2", f"    [*] --> {INITIAL_PHASE.value}"]
    for row in TRANSITIONS:
        if row["trigger"] == "fail_safe":
            continue
        guards = list(row.get("conditions", [])) + [f"not {u}" for u in row.get("unless", [])]
        trig = row["trigger"].upper() if row["trigger"] in COMMANDS else row["trigger"]
        label = trig + (f" [{', '.join(guards)}]" if guards else "")
        for src in _sources(row):
            dest = src if row["dest"] is None else Phase(row["dest"])
            lines.append(f"    {src.value} --> {dest.value}: {label}")
    lines.append("    note right of SAFE")
    lines.append("        fail_safe [sensor_data_lost] enters SAFE from every other phase;")
    lines.append("        only RESET leaves it")
    lines.append("    end note")
    return "\n".join(lines) + "\n"


DIAGRAM_PATH = Path(__file__).resolve().parent.parent / "docs" / "phase-diagram.md"


def diagram_markdown() -> str:
    """The full text of ``docs/phase-diagram.md``."""
    return (
        "# Phase diagram (generated)\n\n"
        "Generated from `controller.phases.TRANSITIONS` by `python -m controller.phases`;\n"
        "do not edit by hand (a test compares it with the table).\n\n"
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
