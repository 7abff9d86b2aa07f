"""Differential capacity dQ/dV on monotonic voltage segments."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import find_peaks, savgol_filter

from echem.cycling.profiles import half_cycle_curve
from echem.cycling.summary import _frame, record_increments

__all__ = ["DQDVCurve", "DQDVResult", "dqdv"]

_DIRECTIONS = ("charge", "discharge")


@dataclass(frozen=True)
class DQDVCurve:
    """dQ/dV of one half-cycle.

    Attributes
    ----------
    direction : str
        ``"charge"`` or ``"discharge"``.
    voltage_v : numpy.ndarray
        Uniform voltage grid, V (increasing for charge, decreasing for discharge).
    dqdv : numpy.ndarray
        dQ/dV in the result's unit: positive on charge, negative on
        discharge (capacity passed grows while the voltage falls).
    peak_voltages_v : numpy.ndarray
        Voltages of the peaks of |dQ/dV|, V.
    n_points_used : int
        Records on the monotonic envelope that entered the curve.
    """

    direction: str
    voltage_v: np.ndarray
    dqdv: np.ndarray
    peak_voltages_v: np.ndarray
    n_points_used: int


@dataclass(frozen=True)
class DQDVResult:
    """dQ/dV of one cycle.

    Attributes
    ----------
    cycle : int
    curves : tuple of DQDVCurve
    unit : str
        ``"mAh/V"`` or ``"mAh/(g V)"``.
    voltage_step_v, smoothing_v : float
        Grid spacing and Savitzky-Golay window width used, V.
    """

    cycle: int
    curves: tuple[DQDVCurve, ...]
    unit: str
    voltage_step_v: float
    smoothing_v: float

    def curve(self, direction: str) -> DQDVCurve:
        """The curve of ``direction``; KeyError when absent."""
        for item in self.curves:
            if item.direction == direction:
                return item
        raise KeyError(f"no {direction} dQ/dV curve for cycle {self.cycle}")

    def plot(self, ax=None, *, label: str | None = None):
        """dQ/dV against voltage (charge above zero, discharge below)."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        colour = None
        for item in self.curves:
            (line,) = ax.plot(
                item.voltage_v,
                item.dqdv,
                lw=1.2,
                color=colour,
                label=label if item.direction == "charge" or colour is None else None,
            )
            colour = line.get_color()
        ax.axhline(0.0, color="0.6", lw=0.6)
        ax.set_xlabel("voltage (V)")
        ax.set_ylabel(f"dQ/dV ({self.unit})")
        return ax

    def summary(self) -> dict:
        """Flat key numbers: the main peak voltage of each direction (V)."""
        out = {"cycle": int(self.cycle)}
        for item in self.curves:
            main = np.nan
            if item.peak_voltages_v.size:
                at = np.interp(item.peak_voltages_v, *_ascending(item.voltage_v, np.abs(item.dqdv)))
                main = float(item.peak_voltages_v[int(np.argmax(at))])
            out[f"{item.direction}_main_peak_v"] = main
        return out


def _ascending(voltage, values):
    order = np.argsort(voltage)
    return voltage[order], values[order]


def _monotonic_envelope(capacity: np.ndarray, voltage: np.ndarray, rising: bool):
    """Keep the records at which the voltage reaches a new extreme (a strictly monotonic V(Q)).

    Records where the voltage dips back (noise, relaxation) or holds (a CV
    step) do not advance the envelope; the charge passed during them is
    credited to the next record that does (navani issue #15: dQ/dV of a
    non-monotonic segment divides by dV of either sign or zero).
    """
    signed = voltage if rising else -voltage
    previous_best = np.maximum.accumulate(np.r_[-np.inf, signed[:-1]])
    keep = signed > previous_best
    return capacity[keep], voltage[keep]


def dqdv(
    data,
    *,
    cycle: int,
    voltage_step_v: float = 0.005,
    smoothing_v: float = 0.05,
    active_mass_mg: float | None = None,
    peak_prominence: float = 0.05,
) -> DQDVResult:
    """Differential capacity of one cycle.

    Q(V) is taken on the strictly monotonic envelope of each half-cycle,
    interpolated linearly onto a uniform grid of ``voltage_step_v`` and
    differentiated with a Savitzky-Golay filter (order 2, window
    ``smoothing_v``), which, being symmetric, leaves peak positions in place
    (A. Savitzky and M. J. E. Golay, Anal. Chem. 36 (1964) 1627,
    doi:10.1021/ac60214a047; incremental-capacity analysis: M. Dubarry et al.,
    J. Power Sources 219 (2012) 204, doi:10.1016/j.jpowsour.2012.07.016).

    Parameters
    ----------
    data : CyclingData or pandas.DataFrame
        Canonical cycling data.
    cycle : int
        Cycle number.
    voltage_step_v : float
        Grid spacing, V.
    smoothing_v : float
        Width of the Savitzky-Golay window, V (at least 5 grid points).
    active_mass_mg : float, optional
        Give dQ/dV per gram of active material.
    peak_prominence : float
        Minimum peak prominence as a fraction of the curve's largest |dQ/dV|.

    Returns
    -------
    DQDVResult

    Raises
    ------
    ValueError
        For non-positive steps, a cycle that is absent, or one whose
        half-cycles both span less than five grid steps.
    """
    if not (voltage_step_v > 0 and smoothing_v > 0):
        raise ValueError(f"voltage_step_v and smoothing_v must be positive, got {voltage_step_v}, {smoothing_v}")
    if active_mass_mg is not None and not active_mass_mg > 0:
        raise ValueError(f"active_mass_mg must be positive, got {active_mass_mg!r}")
    frame = _frame(data)
    in_cycle = frame["cycle"].to_numpy() == cycle
    if not in_cycle.any():
        raise ValueError(f"cycle {cycle} is not in the data")
    scale = 1.0 if active_mass_mg is None else 1000.0 / active_mass_mg
    window = max(5, round(smoothing_v / voltage_step_v) | 1)
    curves = []
    for direction, increments in zip(_DIRECTIONS, record_increments(frame), strict=True):
        capacity, voltage = half_cycle_curve(frame, increments, in_cycle)
        if capacity.size < 2:
            continue
        rising = direction == "charge"
        q_env, v_env = _monotonic_envelope(capacity, voltage, rising)
        span = abs(v_env[-1] - v_env[0]) if v_env.size else 0.0
        n_grid = int(np.floor(span / voltage_step_v)) + 1
        if n_grid < max(window, 5):
            continue
        grid = v_env[0] + (1 if rising else -1) * voltage_step_v * np.arange(n_grid)
        q_grid = np.interp(grid, *_ascending(v_env, q_env))
        # the grid runs downhill on discharge, so dQ/dV = -(dQ/d step) / step there
        derivative = savgol_filter(q_grid, window, 2, deriv=1, delta=voltage_step_v) * scale
        if not rising:
            derivative = -derivative
        magnitude = np.abs(derivative)
        peaks, _ = find_peaks(magnitude, prominence=peak_prominence * magnitude.max() if magnitude.max() > 0 else None)
        curves.append(DQDVCurve(direction, grid, derivative, grid[peaks], int(q_env.size)))
    if not curves:
        raise ValueError(f"cycle {cycle} has no half-cycle spanning {window} steps of {voltage_step_v} V")
    unit = "mAh/V" if active_mass_mg is None else "mAh/(g V)"
    return DQDVResult(int(cycle), tuple(curves), unit, float(voltage_step_v), float(window * voltage_step_v))
