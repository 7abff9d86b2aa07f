"""C-rate and the current that gives a C-rate."""

from __future__ import annotations

import numpy as np

__all__ = ["c_rate", "current_for_c_rate"]


def _positive(name: str, value) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError(f"{name} must be positive and finite, got {value!r}")
    return arr


def c_rate(current_ma, active_mass_mg, specific_capacity_mah_g):
    """C-rate of a current: n = |I| / (m · q_nominal).

    A rate of n C (dis)charges the nominal capacity in 1/n hours
    (PHYSICS.md, echem - cycling; e.g. LiCoO2 in 2.6-4.3 V is often given a
    nominal 140 mAh/g, which is a parameter here, not a constant).

    Parameters
    ----------
    current_ma : float or array_like
        Current, mA (the sign is ignored).
    active_mass_mg : float
        Active-material mass, mg.
    specific_capacity_mah_g : float
        Nominal specific capacity, mAh/g.

    Returns
    -------
    float or numpy.ndarray
        C-rate, 1/h.

    Examples
    --------
    >>> round(c_rate(0.28, 10.0, 140.0), 6)
    0.2
    """
    mass_g = _positive("active_mass_mg", active_mass_mg) / 1000.0
    nominal = _positive("specific_capacity_mah_g", specific_capacity_mah_g)
    rate = np.abs(np.asarray(current_ma, dtype=float)) / (mass_g * nominal)
    return float(rate) if rate.ndim == 0 else rate


def current_for_c_rate(rate, active_mass_mg, specific_capacity_mah_g):
    """Current (mA) that gives C-rate ``rate``: I = n · m · q_nominal (inverse of :func:`c_rate`).

    Parameters
    ----------
    rate : float or array_like
        C-rate, 1/h (>= 0).
    active_mass_mg : float
        Active-material mass, mg.
    specific_capacity_mah_g : float
        Nominal specific capacity, mAh/g.

    Returns
    -------
    float or numpy.ndarray
        Current magnitude, mA.

    Examples
    --------
    >>> round(current_for_c_rate(0.05, 10.0, 140.0), 6)
    0.07
    """
    rate_arr = np.asarray(rate, dtype=float)
    if not np.all(np.isfinite(rate_arr)) or np.any(rate_arr < 0):
        raise ValueError(f"rate must be a non-negative C-rate, got {rate!r}")
    mass_g = _positive("active_mass_mg", active_mass_mg) / 1000.0
    current = rate_arr * mass_g * _positive("specific_capacity_mah_g", specific_capacity_mah_g)
    return float(current) if current.ndim == 0 else current
