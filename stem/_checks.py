"""Input checks shared by the stem analysis functions."""

from __future__ import annotations

import numpy as np

from ssbkit._shared.checks import check_choice, check_positive

__all__ = ["as_map", "check_choice", "check_positive"]


def as_map(values, name: str, *, shape=None, allow_nan: bool = False) -> np.ndarray:
    """Return ``values`` as a 2D float array (scan_y, scan_x), checked.

    Raises
    ------
    ValueError
        When the array is not 2D, is empty, has the wrong shape or holds NaN/inf.
    """
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 2 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 2D map (scan_y, scan_x), got shape {arr.shape}")
    if shape is not None and arr.shape != tuple(shape):
        raise ValueError(f"{name} has shape {arr.shape}, expected {tuple(shape)}")
    if not allow_nan and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr
