"""Argument checks shared by the technique packages, so that one rule reads the same everywhere.

Each raises :class:`ValueError` naming the argument and the value it got.
"""

from __future__ import annotations

import numpy as np

__all__ = ["check_nonnegative", "check_positive", "check_positive_values"]


def _number(value, name: str, rule: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be {rule}, got {value!r}") from None


def check_positive(value, name: str) -> float:
    """``value`` as a float; raise ValueError unless it is a finite number > 0."""
    number = _number(value, name, "a positive finite number")
    if not np.isfinite(number) or number <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return number


def check_nonnegative(value, name: str) -> float:
    """``value`` as a float; raise ValueError unless it is a finite number >= 0."""
    number = _number(value, name, "a finite number >= 0")
    if not np.isfinite(number) or number < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return number


def check_positive_values(value, name: str) -> np.ndarray:
    """``value`` (a number or array) as a float array; raise ValueError unless every element is
    a finite number > 0."""
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must hold positive finite numbers, got {value!r}") from None
    if not np.all(np.isfinite(array)) or np.any(array <= 0):
        raise ValueError(f"{name} must hold positive finite numbers, got {value!r}")
    return array
