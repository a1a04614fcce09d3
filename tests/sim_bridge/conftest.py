"""Fixtures of the plant tests; scripted-run helpers live in ``simkit.py``."""

from __future__ import annotations

import pytest
from simkit import PRESET

from sim_bridge.preset import Preset, load_preset


@pytest.fixture(scope="session")
def preset() -> Preset:
    return load_preset(PRESET)
