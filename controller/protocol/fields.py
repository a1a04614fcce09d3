"""Field conversions shared by the payload layouts (:mod:`controller.protocol.layouts`).

Fixed point with saturation, range checks of unsigned fields, the reject
signal of the decoders, and a fast constructor for the frozen value types the
decoders build at the control rate. No layout knowledge here.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import MISSING, fields
from itertools import repeat
from typing import Any, TypeVar

from controller.errors import ProtocolError

_T = TypeVar("_T")

I16_MAX = 32767
"""Largest int16 a fixed-point channel sends; -32767 is the smallest (-32768 is a sentinel)."""
U16_MAX = 0xFFFF


class RejectError(Exception):
    """A received frame is rejected; ``args[0]`` names the ``LinkCounters`` field to bump.

    For ``bad_field``, ``args[1]`` (when given) is the data offset of the offending
    field: a device answers a bad TC with it as error data (``docs/icd.md`` 4.7).

    Internal to the codec: :class:`~controller.protocol.stream.StreamDecoder`
    counts it, :func:`~controller.protocol.packets.decode_packet` turns it
    into a :class:`~controller.errors.ProtocolError`.
    """


def sat(x: float, scale: float, lo: int, hi: int, nan: int) -> int:
    """``round(x * scale)`` clamped to ``lo .. hi`` counts; NaN maps to ``nan``."""
    if x != x:
        return nan
    y = x * scale
    if y >= hi:
        return hi
    if y <= lo:
        return lo
    return round(y)


def unsigned(x: int, bits: int, name: str) -> int:
    """``x`` itself if it fits an unsigned ``bits``-bit field.

    :raises ProtocolError: it does not (the caller built an unrepresentable message).
    """
    if not 0 <= x < (1 << bits):
        raise ProtocolError(f"{name}={x!r} does not fit in an unsigned {bits}-bit field")
    return x


def int32(x: int) -> int:
    """``x`` itself if it fits an int32 field.

    :raises ProtocolError: it does not.
    """
    if not -(1 << 31) <= x < (1 << 31):
        raise ProtocolError(f"event value {x} does not fit in int32")
    return x


def fast_builder(cls: type[_T]) -> Callable[[tuple[Any, ...]], _T]:
    """A fast constructor of the frozen slotted dataclass ``cls``, values in field order.

    A generated frozen ``__init__`` costs one ``object.__setattr__`` call per
    field from Python code (about 4 us for the 29 fields of a SensorFrame).
    The builder fills an instance of an unfrozen twin class with the same
    slots, in the same order (plain slot stores, about 0.6 us for all 29),
    and then makes it a ``cls`` by assigning ``__class__``, which Python
    allows between classes of identical layout: the result *is* a ``cls``,
    equal to the one the constructor gives. Where the twin is not possible
    (another base class), the slots are set from C (``map`` over
    ``object.__setattr__``); a class with a ``__post_init__`` or without slots
    gets its normal constructor. A test checks that every path gives equal objects.
    """
    names = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]
    if hasattr(cls, "__post_init__") or not hasattr(cls, "__slots__"):
        return lambda values: cls(*values)
    twin = _twin_builder(cls, names)
    if twin is not None:
        return twin
    new = object.__new__
    setattr_ = object.__setattr__

    def build(values: tuple[Any, ...]) -> _T:
        obj = new(cls)
        deque(map(setattr_, repeat(obj), names, values), 0)
        return obj

    return build


def _twin_builder(cls: type[_T], names: tuple[str, ...]) -> Callable[[tuple[Any, ...]], _T] | None:
    """The twin-class builder of :func:`fast_builder`, or None where the layouts differ."""
    if cls.__bases__ != (object,) or tuple(getattr(cls, "__slots__", ())) != names:
        return None
    if not all(n.isidentifier() for n in names):  # pragma: no cover - dataclass fields are
        return None
    source = "def __init__(self, v):\n" + "".join(
        f"    self.{n} = v[{i}]\n" for i, n in enumerate(names)
    )
    scope: dict[str, Any] = {}
    exec(source, scope)  # generated from the field names, as dataclasses does
    twin = type(f"_{cls.__name__}Slots", (), {"__slots__": names, "__init__": scope["__init__"]})

    def build(values: tuple[Any, ...]) -> _T:
        obj = twin(values)
        obj.__class__ = cls
        return obj  # type: ignore[no-any-return]

    try:
        build((None,) * len(names))
    except TypeError:  # pragma: no cover - layouts Python will not swap
        return None
    return build


def fast_constructor(cls: type[_T]) -> Callable[..., _T]:
    """A function called like ``cls``'s constructor (same parameters, same defaults) that
    builds through :func:`fast_builder`: about a fifth of the frozen ``__init__``'s cost
    for an :class:`~controller.types.ActuatorCommand`, which the control laws make
    every cycle. Only for a dataclass whose defaults are plain values (no
    ``default_factory``) and that has no ``__post_init__``; otherwise ``cls`` itself.
    """
    build = fast_builder(cls)
    fs = fields(cls)  # type: ignore[arg-type]
    if hasattr(cls, "__post_init__") or any(f.default is MISSING or not f.init for f in fs):
        return cls
    names = [f.name for f in fs]
    scope: dict[str, Any] = {"_build": build}
    params = []
    for i, f in enumerate(fs):
        scope[f"_d{i}"] = f.default
        params.append(f"{f.name}=_d{i}")
    source = f"def make({', '.join(params)}):\n    return _build(({', '.join(names)},))\n"
    exec(source, scope)  # generated from the field names, as dataclasses does
    make: Callable[..., _T] = scope["make"]
    make.__doc__ = f"Make a :class:`{cls.__name__}` (as its constructor does, faster)."
    return make
