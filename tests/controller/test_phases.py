"""The phase table tested as a table: reachability, traps, guards, commands, diagram."""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import replace

import pytest
from ctl_frames import LOCKED, RETRACTED, make_frame
from hypothesis import given, settings
from hypothesis import strategies as st

from controller import phases
from controller.config import ControllerConfig
from controller.events import EVENT_KINDS
from controller.machine import DockingController, _Model
from controller.phases import (
    COMMANDS,
    EVERY_ENTRY,
    GUARDS,
    MEMORY_GUARDS,
    ON_ENTER,
    TRANSITIONS,
    Phase,
    edges,
    guards_of,
    rows_from,
)
from controller.sequences import PROCEDURES


def _graph() -> dict[Phase, set[Phase]]:
    g: dict[Phase, set[Phase]] = {p: set() for p in Phase}
    for src, dest, _ in edges():
        g[src].add(dest)
    return g


def test_every_phase_reachable_from_standby() -> None:
    g = _graph()
    seen = {Phase.STANDBY}
    todo = deque([Phase.STANDBY])
    while todo:
        for nxt in g[todo.popleft()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    assert seen == set(Phase)


def test_no_trap_states_and_safe_left_only_by_reset() -> None:
    for phase in Phase:
        leaving = {
            (dest, trig) for src, dest, trig in edges() if src is phase and dest is not phase
        }
        assert leaving, f"{phase} is a trap"
    safe_exits = {
        trig for src, dest, trig in edges() if src is Phase.SAFE and dest is not Phase.SAFE
    }
    assert safe_exits == {"reset"}


def test_every_phase_can_return_to_standby() -> None:
    """No phase is a dead end: STANDBY is reachable from everywhere (SAFE via reset)."""
    g = _graph()
    for start in Phase:
        seen = {start}
        todo = deque([start])
        while todo:
            for nxt in g[todo.popleft()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        assert Phase.STANDBY in seen, start


def test_fail_safe_leaves_every_phase_but_safe() -> None:
    sources = {src for src, _, trig in edges() if trig == "fail_safe"}
    assert sources == set(Phase) - {Phase.SAFE}


def test_every_guard_is_named_and_explained() -> None:
    named = {g for row in TRANSITIONS for g in guards_of(row)}
    assert named == set(GUARDS)
    assert named >= MEMORY_GUARDS


@pytest.mark.parametrize("phase", list(Phase))
def test_guards_read_remembered_state_or_the_phase_procedures_facts(phase: Phase) -> None:
    """Each row's guards are memory guards or bool fields of its source phase's procedure."""
    ctl = DockingController()
    ctl.force_phase(phase)
    model = ctl._model
    fresh = PROCEDURES[phase]()
    for row in rows_from(phase):
        for guard in guards_of(row):
            if guard in MEMORY_GUARDS:
                assert not hasattr(fresh, guard), guard
            else:
                assert isinstance(getattr(fresh, guard, None), bool), (phase, guard)
            assert isinstance(getattr(model, guard), bool), (phase, guard)


def test_fresh_procedures_report_no_fact_but_undock_prep() -> None:
    """Entry resets the facts: a fresh procedure's facts are false (venting starts at once)."""
    for phase, proc in PROCEDURES.items():
        for guard in set(GUARDS) - MEMORY_GUARDS:
            want = phase is Phase.UNLOCKING and guard == "undock_prep_in_progress"
            assert getattr(proc(), guard, False) is want, (phase, guard)


def test_every_action_is_a_method_of_the_model() -> None:
    model = _Model(ControllerConfig())
    named = {EVERY_ENTRY} | {a for acts in ON_ENTER.values() for a in acts}
    named |= {a for row in TRANSITIONS for a in row.get("after", [])}
    for action in named:
        assert callable(getattr(model, action, None)), action


def test_rows_are_well_formed() -> None:
    allowed = {"trigger", "source", "dest", "conditions", "unless", "after"}
    for row in TRANSITIONS:
        assert set(row) <= allowed, row
        assert row["dest"] is None or Phase(row["dest"])


def test_every_command_appears_in_the_table() -> None:
    triggers = {row["trigger"] for row in TRANSITIONS}
    assert triggers >= COMMANDS


def test_committed_diagram_matches_the_table() -> None:
    assert phases.DIAGRAM_PATH.read_text(encoding="utf-8") == phases.diagram_markdown()


def test_diagram_lists_every_row() -> None:
    text = phases.mermaid()
    for src, dest, trig in edges():
        if trig in ("fail_safe", "internal_fault"):
            continue
        label = trig.upper() if trig in COMMANDS else trig
        assert f"{src.value} --> {dest.value}: {label}" in text


def test_diagram_shows_entry_and_row_actions() -> None:
    text = phases.mermaid()
    assert "    ABORT: entry / begin_phase, forget_dock, report_abort\n" in text
    assert "[capture_timed_out, capture_retry_left] / count_capture_retry\n" in text


_FRAMES = [
    make_frame(),
    make_frame(axial_load_n=800.0),
    make_frame(latch_captured=(True,) * 6),
    make_frame(**RETRACTED),
    make_frame(**LOCKED),
    make_frame(**LOCKED, seal_cavity_pressure_pa=6e4, seal_cavity_pressure_b_pa=6e4),
    make_frame(bus_voltage_v=10.0),
    make_frame(rel_vel_m_s=(float("nan"), 0.0, 0.0)),
    make_frame(ring_extension_m=0.1, ring_extension_b_m=0.3),
    make_frame(hook_pos=(0.5,) * 12, latch_captured=(True, False, True, True, False, False)),
]

_ACTIONS = st.one_of(
    st.tuples(st.just("cmd"), st.sampled_from([*sorted(COMMANDS), "bogus", ""])),
    st.tuples(st.just("frame"), st.integers(0, len(_FRAMES) - 1)),
    st.tuples(st.just("gap"), st.floats(0.0, 2.0)),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_ACTIONS, max_size=60))
def test_random_commands_and_frames_never_raise(actions: list[tuple[str, object]]) -> None:
    ctl = DockingController()
    t = 0.0
    seq = 0
    for kind, arg in actions:
        before = ctl.phase
        if kind == "cmd":
            assert isinstance(arg, str)
            res = ctl.command(arg, t)
            if res.accepted:
                assert res.phase_before == before
            else:
                assert res.reason, "a rejection carries a reason"
                assert ctl.phase == before
        elif kind == "frame":
            assert isinstance(arg, int)
            for _ in range(5):
                t += 0.01
                seq += 1
                ctl.step(replace(_FRAMES[arg], t_s=t, seq=seq))
        else:
            assert isinstance(arg, float)
            t += arg
        assert ctl.phase.split(".", 1)[0] in Phase.__members__
    for ev in ctl.drain_events():
        assert ev.kind in EVENT_KINDS


@pytest.mark.parametrize("phase", list(Phase))
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_phase_command_pair_moves_or_is_rejected(phase: Phase, command: str) -> None:
    ctl = DockingController()
    ctl.force_phase(phase)
    res = ctl.command(command, 0.0)
    rows = [r for r in phases.rows_from(phase) if r["trigger"] == command]
    if not rows:
        assert not res.accepted
        assert "does not accept" in res.reason
    if res.accepted:
        events = [e for e in ctl.drain_events() if e.kind == "command_accepted"]
        assert events
    else:
        assert res.reason
        events = [e for e in ctl.drain_events() if e.kind == "command_rejected"]
        assert events
        assert command in events[0].detail


def test_ready_does_not_rearm_latches_that_would_catch_again_while_extending() -> None:
    # After a partial capture the retry releases the latches with the rings still
    # touching; a latch armed there catches again the next cycle. Fed by a plant in
    # which an armed latch always catches, READY must not flip RELEASE <-> EXTEND at
    # the control rate (it did, every 10 ms, in campaign run 3986 of the maker envelope).
    from ctl_frames import Driver

    ctl = DockingController()
    drv = Driver(ctl, 0.01)
    drv.base = {"ring_extension": 0.25, "ring_ready_stop": False}
    assert ctl.command("dock", 0.0).accepted
    caught = (True, True, False, False, True, True)
    phases_seen = []
    for _ in range(100):
        cmd = drv.tick(latch_captured=caught)
        phases_seen.append(ctl.phase)
        armed = cmd.latch_arm and not cmd.latch_release
        caught = (True,) * 6 if armed else (False,) * 6
    changes = sum(a != b for a, b in itertools.pairwise(phases_seen))
    assert phases_seen[-1] == "READY.EXTEND"
    assert changes <= 2, phases_seen[:12]
