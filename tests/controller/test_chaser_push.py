"""The contact discrete to the chaser's GNC, and the chaser that does not stop pushing."""

from __future__ import annotations

from controller.config import ControllerConfig
from controller.machine import DockingController
from controller.phases import Phase
from tests.controller.ctl_frames import CAPTURED, Driver


def _captured(period_s: float = 0.01) -> Driver:
    ctl = DockingController(ControllerConfig())
    ctl.force_phase(Phase.BUFFERING)
    d = Driver(ctl, period_s)
    # captured, the buffer compressed 5 cm off the ready stop, the craft still moving (so the
    # controller stays in BUFFERING, where the guard is armed)
    d.base = {
        **CAPTURED,
        "ring_extension": 0.25,
        "ring_ready_stop": False,
        "rel_vel_m_s": (0.02, 0.0, 0.0),
    }
    return d


def test_contact_is_reported_from_contact_until_capture() -> None:
    ctl = DockingController(ControllerConfig())
    ctl.force_phase(Phase.APPROACH)
    d = Driver(ctl, 0.01)
    assert not d.tick().contact_reported  # approach: nothing to report
    d.until(lambda c: c.phase.startswith("CONTACT"), 1.0, axial_load_n=500.0)
    assert d.tick(axial_load_n=500.0).contact_reported
    cmd = d.until(lambda c: c.phase.startswith("BUFFERING"), 2.0, **CAPTURED)
    assert not d.tick(**CAPTURED).contact_reported
    assert cmd is not None


def test_a_push_held_after_capture_ends_safe_holding_the_capture() -> None:
    cfg = ControllerConfig()
    d = _captured()
    d.run(cfg.chaser_push_time_s - 0.5, axial_load_n=1500.0)
    assert d.ctl.phase == "BUFFERING"  # not yet: a transient is allowed
    d.run(1.0, axial_load_n=1500.0)
    assert d.ctl.phase == "SAFE"
    assert not d.last.latch_release
    assert not d.last.contact_reported


def test_transients_below_the_limit_or_shorter_do_not_trip() -> None:
    cfg = ControllerConfig()
    d = _captured()
    d.run(10.0, axial_load_n=cfg.chaser_push_load_n - 100.0)
    for _ in range(4):
        d.run(cfg.chaser_push_time_s / 2, axial_load_n=1500.0)
        d.run(0.05, axial_load_n=0.0)
    assert d.ctl.phase != "SAFE"


def test_a_load_with_the_ring_on_its_ready_stop_is_not_a_push() -> None:
    """The brake holding the ring on its forward stop reads as compression (fast-contact)."""
    cfg = ControllerConfig()
    d = _captured()
    d.run(
        3 * cfg.chaser_push_time_s, axial_load_n=1500.0, ring_extension=0.30, ring_ready_stop=True
    )
    assert d.ctl.phase != "SAFE"
