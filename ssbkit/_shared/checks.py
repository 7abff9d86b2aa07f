"""Argument checks every technique package uses: one wording for a bad argument everywhere.

Each raises :class:`ValueError` naming the argument, the value given and what
is allowed (DESIGN.md: options are checked and a bad one names itself).

Examples
--------
>>> check_positive(2, "thickness_nm")
2.0
>>> check_positive(-1, "thickness_nm")
Traceback (most recent call last):
ValueError: thickness_nm must be a positive number, got -1
>>> check_choice("fast", "method", ("fit", "intercept"))
Traceback (most recent call last):
ValueError: method='fast' is not allowed; choose one of ['fit', 'intercept']
"""

from __future__ import annotations

import math

__all__ = ["check_choice", "check_positive"]


def check_positive(value, name: str) -> float:
    """``value`` as a float, raising ValueError unless it is a finite number > 0."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a positive number, got {value!r}") from None
    if not math.isfinite(number) or number <= 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return number


def check_choice(value, name: str, allowed):
    """``value`` unchanged, raising ValueError naming the argument, the value and the allowed values."""
    if value not in allowed:
        raise ValueError(f"{name}={value!r} is not allowed; choose one of {sorted(allowed)}")
    return value
