"""What a run does before its first cycle that a user would otherwise wait through in silence.

The simulated plant's numba kernels compile on first use after a fresh clone
or a change to their sources (about half a minute, cached afterwards in
``sim_bridge/_kernel/__pycache__``). The command line says so in one line
before the run, and the runner keeps that time out of the real-time factor
(``timing.startup_s`` in the record).
"""

from __future__ import annotations

import os
from pathlib import Path

from hil.backends import resolve_url

COMPILE_MESSAGE = "compiling the plant (first run only, ~30 s)"

_PLANT_SCHEMES = ("sim", "vmcu")
"""HAL URL schemes that run the numba plant (in process, or in the virtual device)."""


def plant_kernel_index() -> list[Path]:
    """The index files of the plant's stepping kernel in numba's cache, if any.

    Beside the sources (``sim_bridge/_kernel/__pycache__``), or under
    ``$NUMBA_CACHE_DIR`` in the folder numba names ``_kernel_<digest of the path>``.
    """
    import sim_bridge._kernel as kernel  # drops a stale cache on import

    base = os.environ.get("NUMBA_CACHE_DIR")
    if base:
        return sorted(Path(base).glob("_kernel_*/step.advance-*.nbi"))
    return sorted(
        (Path(kernel.__file__).resolve().parent / "__pycache__").glob("step.advance-*.nbi")
    )


def plant_compile_pending(url: str | None) -> bool:
    """True when a run on ``url`` will compile the plant's kernels first.

    Judged by the index file of the stepping kernel (``step.advance-*.nbi``),
    the last one a run needs; a backend without the plant never compiles.
    """
    scheme = resolve_url(url).partition(":")[0]
    if scheme not in _PLANT_SCHEMES:
        return False
    try:
        return not plant_kernel_index()
    except OSError:
        return True
