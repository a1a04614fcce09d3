"""The wire's fixed point applied to a sensor vector (``docs/icd.md`` 4.3), compiled.

Kept apart from the physics: it is what the link does to the numbers, not what
the mechanism does, and ``sim_bridge.plant.wire_quantise`` calls it on every
frame of the in-process backend (one call of well under a microsecond, where
numpy's five array operations on the gathered channels took about 8 us).
"""

from __future__ import annotations

import numpy as np

from sim_bridge._kernel.jit import kernel

COUNTS_MAX = 32767.0
"""Largest magnitude of an int16 channel (-32768 is the "not available" sentinel)."""


@kernel
def wire_quantise(s: np.ndarray, index: np.ndarray, scale: np.ndarray) -> None:
    """``s[index[j]] = sat(rint(s[index[j]] * scale[j])) / scale[j]`` in place.

    ``rint`` rounds half to even, as the encoder's ``round`` does; NaN stays NaN
    (sent as the sentinel, decoded as NaN); +0.0 is added so that a count of 0
    decodes to 0.0, never -0.0.
    """
    for j in range(index.size):
        i = index[j]
        k = scale[j]
        c = np.rint(s[i] * k)
        if c > COUNTS_MAX:
            c = COUNTS_MAX
        elif c < -COUNTS_MAX:
            c = -COUNTS_MAX
        s[i] = c / k + 0.0
