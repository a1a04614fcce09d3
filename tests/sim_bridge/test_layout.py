"""The layout counter: consecutive, non-overlapping slots, and sizes that match the arrays."""

from __future__ import annotations

import numpy as np
import pytest
from simkit import PRESET

from controller.types import InitialConditions
from sim_bridge import _layout as L  # noqa: N812
from sim_bridge._layout import Slots
from sim_bridge.plant import BatchPlant


def test_slots_are_consecutive_and_sized() -> None:
    s = Slots()
    assert (s.take(), s.take(3), s.take(), s.size) == (0, 1, 4, 5)
    with pytest.raises(ValueError, match="at least one slot"):
        s.take(0)


def test_arrays_have_the_declared_lengths() -> None:
    plant = BatchPlant(PRESET, [InitialConditions()], [1])
    assert plant.state.shape == (1, L.NX)
    assert plant.truth_array().shape == (1, L.NT)
    assert plant.sense_array().shape == (L.NS,)
    assert plant._p.shape == (L.NP,)
    # every parameter slot the preset fills is finite (the spare slots are zero)
    assert np.isfinite(plant._p).all()
