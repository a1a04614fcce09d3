"""The plant's physics, written once as numba kernels over flat float64 arrays.

Theory of operation
-------------------
The mechanism is a set of elements acting between three rigid bodies
(station, chaser, capture ring). Each module here is one part of it, with
the forces it adds and, where it has state of its own, its update:

=============  ==============================================================
``bodies``     frames, point kinematics, force application, the Euler step
``contact``    Hunt-Crossley contact: petals in guides, ring face, structural
               rings; the guide pins
``buffer``     ring kinematics on the chaser; springs, EM dampers, brake
``latches``    the six capture latches: engagement and the latched spring
``drive``      the ring drive nut, its current, the centring pull, the bus
``hooks``      the twelve hooks, two motor/drum/cable sets
``seals``      seal force, cabin pressure on the tunnel, cavity/tunnel gas
``pushrods``   the separation springs
``sensing``    noisy, quantised sensor channels; the true relative pose
``ledger``     records of non-conservative forces and their work; kinetic
               energy
``step``       the force evaluation (which orders the elements), one step,
               the batch drivers and the truth channels
``jit``        the compile options of the kernel functions
=============  ==============================================================

A step (:func:`step.step`) evaluates every force at the start of the step
into the work array ``w`` (``_layout.W_*``), integrates the bodies
(semi-implicit Euler), books the work of the recorded non-conservative
forces with the new velocities, then updates the discrete parts (damper
lags, centring lag, nut, latches, hooks, pressures, push-rods) from the
geometry the force evaluation found. :func:`advance` is the only stepping
entry point; a single run is a batch of one, so the single and batched
plants cannot disagree. See :mod:`sim_bridge.plant` for the model and
``docs/plant.md`` for the equations.

Rules of the kernels
--------------------
Everything is a pure function of its array arguments: no I/O, no clock, no
global random state. Every function is ``@njit(cache=True)``, and those
that allocate nothing are compiled without numba's reference-counting runtime
(:func:`jit.kernel`, which says why). None uses ``fastmath`` (it would let
LLVM reassociate and contract the sums and the results would depend on
inlining). ``advance_parallel`` alone is ``parallel=True``. Results stay
bit-identical to the golden digests only as long as each element adds its
forces in the same order and with the same expressions.

numba keys the cache of a function on its own source file only, so a change
in a module that a cached function calls (or in ``_layout``) would not
recompile it. :func:`_drop_stale_cache` therefore clears this package's
cache whenever any of its sources or the layout changed.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

_HERE = Path(__file__).resolve().parent


def _drop_stale_cache() -> None:
    """Delete this package's numba cache files if any kernel source changed since they were made.

    The stamp is a digest of the package's sources and ``_layout.py``. A
    read-only or shared tree is left alone (numba then caches elsewhere or not
    at all); a file another process removes first is not an error.
    """
    sources = [*sorted(_HERE.glob("*.py")), _HERE.parent / "_layout.py"]
    digest = hashlib.sha256()
    for src in sources:
        digest.update(src.name.encode())
        digest.update(src.read_bytes())
    cache = _HERE / "__pycache__"
    stamp = cache / "kernel-sources.sha256"
    try:
        if stamp.read_text() == digest.hexdigest():
            return
    except OSError:
        pass
    try:
        cache.mkdir(exist_ok=True)
        for f in cache.iterdir():
            if f.suffix in (".nbi", ".nbc"):
                f.unlink(missing_ok=True)
        stamp.write_text(digest.hexdigest())
    except OSError:
        return


_drop_stale_cache()

from sim_bridge._kernel.ledger import kinetic  # noqa: E402
from sim_bridge._kernel.sensing import gauss, relative_pose, sense  # noqa: E402
from sim_bridge._kernel.step import (  # noqa: E402
    advance,
    advance_parallel,
    chaser_axial_force,
    derived,
    evaluate,
    refresh,
    step,
    truth,
)

__all__ = [
    "advance",
    "advance_parallel",
    "chaser_axial_force",
    "derived",
    "evaluate",
    "gauss",
    "kinetic",
    "refresh",
    "relative_pose",
    "sense",
    "step",
    "truth",
]
