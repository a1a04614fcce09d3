"""Compile options shared by the kernel functions.

:func:`kernel` is ``@njit(cache=True)`` without numba's reference-counting runtime.
The kernels pass the same few arrays down many calls a step; with the
runtime on, every call site that hands an array on increments and
decrements its reference count (external calls with atomic updates). Split
into one module per element, that traffic made a force evaluation about 60 %
slower than the single-file kernel; without it the split kernel is as fast or
faster. Only functions that allocate nothing may use it (numba refuses to
compile an allocation without the runtime): the batch drivers, ``refresh``,
``chaser_axial_force``, ``truth`` and ``sense`` allocate their scratch
arrays and keep the runtime. ``_nrt`` is a private numba option; it changes
no arithmetic.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from numba import njit

F = TypeVar("F", bound=Callable[..., Any])

_OPTIONS: dict[str, Any] = {"cache": True, "_nrt": False}


def kernel(fn: F) -> F:
    """Compile ``fn`` as a cached kernel function without the reference-counting runtime."""
    return cast(F, njit(**_OPTIONS)(fn))
