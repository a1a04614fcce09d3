"""Typed, range-checked reading of one TOML table of a campaign file.

Campaign files are not scenarios, so they keep this small reader (the scenario
format is validated by ``hil.schema``); its errors are the scenario loader's
kind: :class:`~controller.errors.ScenarioError` with file, field and what was
expected, and a closest-key hint for an unknown key.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from typing import Any

from controller.errors import ScenarioError

__all__ = ["TableReader"]


class TableReader:
    """Pulls typed, range-checked fields out of one TOML table, remembering what it used."""

    def __init__(self, path: str, table: Mapping[str, Any], where: str) -> None:
        self.path = path
        self.table = table
        self.where = where
        self.used: set[str] = set()
        self.known: set[str] = set()
        """Every key this table was asked for, present or not: the valid keys."""

    def _name(self, key: str) -> str:
        return f"{self.where}{key}"

    def fail(self, key: str, expected: str) -> ScenarioError:
        return ScenarioError(self.path, self._name(key), expected)

    def has(self, key: str) -> bool:
        self.known.add(key)
        return key in self.table

    def raw(self, key: str) -> Any:
        self.known.add(key)
        self.used.add(key)
        return self.table[key]

    def boolean(self, key: str, default: bool = False) -> bool:
        """``true``/``false`` (TOML booleans only: 1 and "yes" are refused)."""
        self.known.add(key)
        if key not in self.table:
            return default
        value = self.raw(key)
        if not isinstance(value, bool):
            raise self.fail(key, f"expected true or false, got {value!r}")
        return value

    def string(self, key: str, default: str | None = None, choices: tuple[str, ...] = ()) -> str:
        self.known.add(key)
        if key not in self.table:
            if default is None:
                raise self.fail(key, "is missing (a string is required)")
            return default
        value = self.raw(key)
        if not isinstance(value, str):
            raise self.fail(key, f"expected a string, got {type(value).__name__} {value!r}")
        if choices and value not in choices:
            raise self.fail(key, f"expected one of {', '.join(choices)}; got {value!r}")
        return value

    def number(
        self, key: str, default: float | None = None, low: float = -math.inf, high: float = math.inf
    ) -> float:
        self.known.add(key)
        if key not in self.table:
            if default is None:
                raise self.fail(key, "is missing (a number is required)")
            return default
        return self._check_number(key, self.raw(key), low, high)

    def _check_number(self, key: str, value: Any, low: float, high: float) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(key, f"expected a number, got {type(value).__name__} {value!r}")
        try:
            number = float(value)
        except OverflowError:
            raise self.fail(key, f"expected a number; {str(value)[:20]}... is too large") from None
        if not math.isfinite(number) or not low <= number <= high:
            raise self.fail(key, f"expected a value in [{low:g}, {high:g}], got {number:g}")
        return number

    def integer(self, key: str, default: int, low: int = 0, high: int = 2**31 - 1) -> int:
        self.known.add(key)
        if key not in self.table:
            return default
        value = self.raw(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, f"expected an integer, got {type(value).__name__} {value!r}")
        if not low <= value <= high:
            raise self.fail(key, f"expected an integer in [{low}, {high}], got {value}")
        return value

    def vector(
        self, key: str, n: int, default: tuple[float, ...], low: float, high: float
    ) -> tuple[float, ...]:
        self.known.add(key)
        if key not in self.table:
            return default
        value = self.raw(key)
        if not isinstance(value, list) or len(value) != n:
            raise self.fail(key, f"expected a list of {n} numbers, got {value!r}")
        return tuple(self._check_number(key, v, low, high) for v in value)

    def finish(self) -> None:
        unknown = sorted(set(self.table) - self.used)
        if unknown:
            key = unknown[0]
            close = difflib.get_close_matches(key, sorted(self.known), n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}? " if close else ""
            valid = ", ".join(sorted(self.known)) or "none"
            raise self.fail(key, f"is not a known key; {hint}(valid keys here: {valid})")
