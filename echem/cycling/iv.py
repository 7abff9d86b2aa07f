"""Current-voltage sweeps: differential resistance, onset voltage, hysteresis."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.signal import savgol_filter

__all__ = ["IVResult", "iv_analysis"]


@dataclass(frozen=True)
class IVResult:
    """Analysis of an I-V sweep.

    Attributes
    ----------
    voltage_v, current_a : numpy.ndarray, shape (n,)
        The sweep, in record order (V, A).
    sweep_direction : numpy.ndarray of int8, shape (n,)
        +1 on rising-voltage segments, -1 on falling ones.
    differential_resistance_ohm : numpy.ndarray, shape (n,)
        R_d = dV/dI along the sweep (Ω), from the Savitzky-Golay slope dI/dV
        of each monotonic segment; NaN where dI/dV is zero within noise.
    onset_voltage_v : float
        Voltage (V) at which |I| of the hysteresis-free mean curve first
        exceeds ``onset_current_a``, moving from the voltage of least |I|
        towards the side of larger current; NaN when never exceeded.
    onset_current_a : float
        The threshold used (A).
    onset_found : bool
    hysteresis_current_a : float
        Mean |I_up - I_down| over the voltage range both sweeps cover (A);
        NaN with ``has_hysteresis`` False when there is no pair of sweeps.
    hysteresis_area_w : float
        ∮ I dV between the up and down sweeps (V·A = W).
    has_hysteresis : bool
    message : str
    quality : {"ok", "poor"}
        ``"poor"`` when the sweep cannot give a resistance or an onset (the
        current does not change), with ``quality_reasons``.
    quality_reasons : tuple of str
    """

    voltage_v: np.ndarray
    current_a: np.ndarray
    sweep_direction: np.ndarray
    differential_resistance_ohm: np.ndarray
    onset_voltage_v: float
    onset_current_a: float
    onset_found: bool
    hysteresis_current_a: float
    hysteresis_area_w: float
    has_hysteresis: bool
    message: str
    quality: str = "ok"
    quality_reasons: tuple[str, ...] = ()

    def plot(self, ax=None, *, label: str | None = None, current_unit: str = "nA"):
        """Current against voltage; rising sweep solid, falling dashed; onset marked."""
        import matplotlib.pyplot as plt

        scale = {"A": 1.0, "mA": 1e3, "uA": 1e6, "nA": 1e9}[current_unit]
        if ax is None:
            _, ax = plt.subplots()
        colour = None
        for direction, style in ((1, "-"), (-1, "--")):
            mask = self.sweep_direction == direction
            if mask.any():
                values = np.where(mask, self.current_a * scale, np.nan)
                (line,) = ax.plot(
                    self.voltage_v, values, style, color=colour, lw=1.2, label=label if colour is None else None
                )
                colour = line.get_color()
        if self.onset_found:
            ax.axvline(self.onset_voltage_v, color=colour, lw=0.8, ls=":")
        ax.set_xlabel("bias (V)")
        ax.set_ylabel(f"current ({current_unit})")
        return ax

    def plot_resistance(self, ax=None, *, label: str | None = None):
        """Differential resistance (Ω, log scale) against voltage."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        ax.semilogy(self.voltage_v, np.abs(self.differential_resistance_ohm), ".", ms=2, label=label)
        ax.set_xlabel("bias (V)")
        ax.set_ylabel("differential resistance |dV/dI| (Ω)")
        return ax

    def summary(self) -> dict:
        """Flat key numbers, units in the keys."""
        finite = np.abs(self.differential_resistance_ohm[np.isfinite(self.differential_resistance_ohm)])
        top = int(np.argmax(np.abs(self.voltage_v)))
        return {
            "onset_voltage_v": float(self.onset_voltage_v),
            "onset_current_a": float(self.onset_current_a),
            "hysteresis_current_a": float(self.hysteresis_current_a),
            "hysteresis_area_w": float(self.hysteresis_area_w),
            "min_differential_resistance_ohm": float(finite.min()) if finite.size else float("nan"),
            "max_bias_v": float(self.voltage_v[top]),
            "current_at_max_bias_a": float(self.current_a[top]),
            "quality": self.quality,
            "quality_reasons": "; ".join(self.quality_reasons),
        }


def _segments(voltage: np.ndarray) -> np.ndarray:
    """Per record +1/-1: direction of the monotonic voltage segment it belongs to."""
    step = np.diff(voltage)
    tol = 1e-9 * max(np.ptp(voltage), 1e-12)
    sign = np.where(step > tol, 1.0, np.where(step < -tol, -1.0, np.nan))
    filled = pd.Series(sign).ffill().bfill().fillna(1.0).to_numpy(dtype=float)
    return np.r_[filled[:1], filled].astype(np.int8)


def _slope(voltage: np.ndarray, current: np.ndarray, window: int) -> np.ndarray:
    """dI/dV on one monotonic segment (Savitzky-Golay smoothed current, then gradient).

    Records that repeat the previous voltage take the slope of that record.
    """
    distinct = np.r_[True, voltage[1:] != voltage[:-1]]
    v, i = voltage[distinct], current[distinct]
    if v.size < 2:
        return np.full(voltage.shape, np.nan)
    if v.size >= window:
        i = savgol_filter(i, window, 2)
    slope = np.gradient(i, v)
    return slope[np.cumsum(distinct) - 1]


def _on_grid(voltage, current, grid):
    order = np.argsort(voltage)
    return np.interp(grid, voltage[order], current[order])


def iv_analysis(voltage_v, current_a, *, onset_current_a: float | None = None, smoothing_points: int = 7) -> IVResult:
    """Differential resistance, onset voltage and hysteresis of an I-V sweep.

    The sweep is cut into monotonic voltage segments. Along each, the
    differential resistance is R_d = dV/dI from a Savitzky-Golay-smoothed
    slope (Savitzky & Golay, Anal. Chem. 36 (1964) 1627,
    doi:10.1021/ac60214a047). With a rising and a falling sweep, the
    capacitive charging current C·dV/dt, which changes sign with the sweep
    direction, cancels in their mean; the onset voltage is read on that mean
    curve, and the hysteresis is the mean |I_up - I_down| (= 2 C |dV/dt| for
    a pure capacitance) and the loop area ∮ I dV (S. M. Sze and K. K. Ng,
    *Physics of Semiconductor Devices*, 3rd ed., Wiley 2007, ch. 2 for
    diode I-V and differential resistance).

    Parameters
    ----------
    voltage_v : array_like, shape (n,)
        Bias, V, in record order.
    current_a : array_like, shape (n,)
        Current, A.
    onset_current_a : float, optional
        |I| threshold defining the onset, A; default 1 % of the largest |I|
        of the mean curve.
    smoothing_points : int
        Savitzky-Golay window (odd, >= 3) for dI/dV.

    Returns
    -------
    IVResult

    Raises
    ------
    ValueError
        For arrays of different length, fewer than 5 records, NaNs, a
        voltage that does not change, or a bad threshold or window.

    Examples
    --------
    >>> v = np.linspace(0, 1, 51); result = iv_analysis(v, v / 100.0)
    >>> round(float(np.nanmedian(result.differential_resistance_ohm)), 6)
    100.0
    """
    voltage = np.asarray(voltage_v, dtype=float).ravel()
    current = np.asarray(current_a, dtype=float).ravel()
    if voltage.shape != current.shape:
        raise ValueError(f"voltage_v ({voltage.size}) and current_a ({current.size}) differ in length")
    if voltage.size < 5:
        raise ValueError(f"an I-V sweep needs at least 5 records, got {voltage.size}")
    if not (np.all(np.isfinite(voltage)) and np.all(np.isfinite(current))):
        raise ValueError("voltage_v and current_a must not contain NaN or inf")
    if np.ptp(voltage) <= 0:
        raise ValueError("voltage_v does not change: not a sweep")
    if smoothing_points < 3 or smoothing_points % 2 == 0:
        raise ValueError(f"smoothing_points must be odd and >= 3, got {smoothing_points}")
    if onset_current_a is not None and not onset_current_a > 0:
        raise ValueError(f"onset_current_a must be positive, got {onset_current_a!r}")

    direction = _segments(voltage)
    resistance = np.full(voltage.shape, np.nan)
    starts = np.flatnonzero(np.r_[True, direction[1:] != direction[:-1]])
    bounds = list(zip(starts, np.r_[starts[1:], voltage.size], strict=True))
    # a slope below 1e-9 of the sweep's own scale (largest slope, or |I|max / ΔV) is rounding noise:
    # the resistance there is infinite, i.e. undetermined (NaN), not 1e19 Ω
    scale = max(np.max(np.abs(current)) / np.ptp(voltage), 1e-300)
    for lo, hi in bounds:
        slope = _slope(voltage[lo:hi], current[lo:hi], smoothing_points)
        noise = 1e-9 * max(np.max(np.abs(slope[np.isfinite(slope)]), initial=0.0), scale)
        with np.errstate(divide="ignore"):
            resistance[lo:hi] = np.where(np.abs(slope) > noise, 1.0 / slope, np.nan)

    # a turning point is a sample of both sweeps: each later segment starts one record early
    ups = [(max(lo - 1, 0), hi) for lo, hi in bounds if direction[lo] > 0 and hi - lo >= 3]
    downs = [(max(lo - 1, 0), hi) for lo, hi in bounds if direction[lo] < 0 and hi - lo >= 3]
    grid = np.linspace(voltage.min(), voltage.max(), 401)
    has_pair = bool(ups and downs)
    hysteresis_current = hysteresis_area = np.nan
    message = "single sweep: no hysteresis"
    if has_pair:
        (ulo, uhi), (dlo, dhi) = ups[0], downs[0]
        lo_v = max(voltage[ulo:uhi].min(), voltage[dlo:dhi].min())
        hi_v = min(voltage[ulo:uhi].max(), voltage[dlo:dhi].max())
        grid = np.linspace(lo_v, hi_v, 401)
        i_up = _on_grid(voltage[ulo:uhi], current[ulo:uhi], grid)
        i_down = _on_grid(voltage[dlo:dhi], current[dlo:dhi], grid)
        mean_curve = 0.5 * (i_up + i_down)
        hysteresis_current = float(np.mean(np.abs(i_up - i_down)))
        hysteresis_area = float(np.trapezoid(i_up - i_down, grid))
        message = "first rising and first falling sweep compared"
    else:
        lo, hi = bounds[0]
        mean_curve = _on_grid(voltage[lo:hi], current[lo:hi], grid)

    magnitude = np.abs(mean_curve)
    threshold = float(onset_current_a) if onset_current_a is not None else 0.01 * float(magnitude.max())
    quiet = int(np.argmin(magnitude))
    upward = magnitude[quiet:].max(initial=0.0) >= magnitude[: quiet + 1].max(initial=0.0)
    order = np.arange(quiet, grid.size) if upward else np.arange(quiet, -1, -1)
    above = np.flatnonzero(magnitude[order] > threshold)
    onset, found = np.nan, False
    if above.size and above[0] > 0:
        k1, k0 = order[above[0]], order[above[0] - 1]
        frac = (threshold - magnitude[k0]) / (magnitude[k1] - magnitude[k0])
        onset, found = float(grid[k0] + frac * (grid[k1] - grid[k0])), True
    reasons = []
    if np.ptp(current) <= 1e-9 * np.max(np.abs(current), initial=0.0):
        reasons.append("the current does not change along the sweep: differential resistance and onset undetermined")
    return IVResult(
        quality="poor" if reasons else "ok",
        quality_reasons=tuple(reasons),
        voltage_v=voltage,
        current_a=current,
        sweep_direction=direction,
        differential_resistance_ohm=resistance,
        onset_voltage_v=onset,
        onset_current_a=threshold,
        onset_found=found,
        hysteresis_current_a=hysteresis_current,
        hysteresis_area_w=hysteresis_area,
        has_hysteresis=has_pair,
        message=message,
    )
