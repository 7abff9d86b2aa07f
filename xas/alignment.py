"""Energy alignment of a spectrum to a reference by matching derivatives.

The shift δ (eV) and a scale a minimise Σ [a·y(E − δ) − y_ref(E)]² over a
window around the reference E0, where y is dμ_norm/dE (or μ_norm), with
y(E − δ) from a cubic spline; this is how a reference foil measured with the
sample is used to correct the monochromator calibration (Athena's and
Larch's ``energy_align``, which minimise the same residual).

References
----------
B. Ravel, M. Newville, J. Synchrotron Rad. 12, 537 (2005),
doi:10.1107/S0909049505012719 (Athena's alignment by derivative matching).

Notes
-----
Larch's ``energy_align`` (xraylarch 2026.3.1) documents the window as
[E0 + emin, E0 + emax] with emin = −15, but computes its lower index at
E0 − emin, i.e. it fits only [E0 + 15, E0 + 35]. This module uses the
documented window.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.interpolate import CubicSpline
from scipy.optimize import least_squares

from xas.normalization import NormalizedXAS, normalize, require_edge

__all__ = ["AlignmentResult", "align", "as_normalized"]

ARRAYS = ("dmude", "norm")


def as_normalized(spectrum) -> NormalizedXAS:
    """``spectrum`` itself when already normalised, else :func:`xas.normalize` with defaults."""
    return spectrum if isinstance(spectrum, NormalizedXAS) else normalize(spectrum)


@dataclass(frozen=True)
class AlignmentResult:
    """Result of :func:`align`.

    Attributes
    ----------
    shift_ev : float
        Energy shift to *add* to the spectrum's energies to match the reference, eV.
    shift_stderr_ev : float
        One standard error of the shift, eV (NaN when it cannot be estimated).
    scale : float
        Fitted amplitude ratio.
    window_ev : tuple of float
        Absolute energy window used, eV.
    stderr_available : bool
        False when the covariance could not be estimated.
    success : bool
    message : str
    energy_ev, reference_curve, aligned_curve : ndarray
        The reference grid in the window, the reference curve, and the
        shifted, scaled spectrum curve, for plotting.
    """

    shift_ev: float
    shift_stderr_ev: float
    scale: float
    window_ev: tuple[float, float]
    stderr_available: bool
    success: bool
    message: str
    energy_ev: np.ndarray
    reference_curve: np.ndarray
    aligned_curve: np.ndarray

    def summary(self) -> dict:
        """Flat key numbers (units in the keys)."""
        return {"shift_ev": self.shift_ev, "shift_stderr_ev": self.shift_stderr_ev, "scale": self.scale,
                "window_min_ev": self.window_ev[0], "window_max_ev": self.window_ev[1],
                "success": self.success}

    def report(self) -> str:
        """One-line plain-text report."""
        return (f"energy shift {self.shift_ev:+.3f} ± {self.shift_stderr_ev:.3f} eV (scale {self.scale:.3f}) "
                f"over {self.window_ev[0]:.1f}–{self.window_ev[1]:.1f} eV")

    def plot(self, ax=None):
        """Reference and aligned curves in the window; returns the Axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        ax.plot(self.energy_ev, self.reference_curve, label="reference")
        ax.plot(self.energy_ev, self.aligned_curve, "--", label=f"aligned ({self.shift_ev:+.3f} eV)")
        ax.set_xlabel("Energy (eV)")
        ax.legend()
        return ax


def _curve(norm: NormalizedXAS, array: str) -> np.ndarray:
    if array == "norm":
        return norm.norm
    return np.gradient(norm.norm) / np.gradient(norm.energy_ev)


def align(spectrum, reference, *, emin: float = -15.0, emax: float = 35.0, array: str = "dmude",
          max_shift_ev: float = 20.0) -> AlignmentResult:
    """Energy shift that brings ``spectrum`` onto ``reference``.

    Parameters
    ----------
    spectrum, reference : XASSpectrum or NormalizedXAS
        Raw spectra are normalised with the default ranges first.
    emin, emax : float
        Window relative to the reference E0, eV.
    array : {"dmude", "norm"}
        Match derivatives (default) or normalised μ.
    max_shift_ev : float
        Largest shift searched, eV (a coarse scan in 0.05 eV steps picks the
        start of the least-squares refinement, so a local minimum is avoided).

    Returns
    -------
    AlignmentResult
        ``shift_ev`` is to be added to the spectrum's energies.

    Raises
    ------
    ValueError
        For a bad ``array``, a window with fewer than 5 reference points, or
        a spectrum or reference without an absorption edge (flat μ).

    Examples
    --------
    >>> import numpy as np
    >>> from xas.spectrum import XASSpectrum
    >>> e = np.linspace(2440, 2540, 501)
    >>> edge = lambda c: 0.5 + np.arctan((e - c) / 0.7) / np.pi
    >>> round(align(XASSpectrum(e, edge(2473.3)), XASSpectrum(e, edge(2472.0))).shift_ev, 2)
    -1.3
    """
    if array not in ARRAYS:
        raise ValueError(f"array={array!r} is not one of {ARRAYS}")
    if not (np.isfinite(max_shift_ev) and max_shift_ev > 0):
        raise ValueError(f"max_shift_ev={max_shift_ev!r} must be a positive number")
    data, ref = as_normalized(spectrum), as_normalized(reference)
    require_edge(ref, role="reference")
    require_edge(data, role="spectrum")
    lo, hi = ref.e0_ev + emin, ref.e0_ev + emax
    inside = (ref.energy_ev >= lo) & (ref.energy_ev <= hi)
    if inside.sum() < 5:
        raise ValueError(f"window [{lo:.1f}, {hi:.1f}] eV holds {int(inside.sum())} reference points; need 5")
    x_ref = ref.energy_ev[inside]
    y_ref = _curve(ref, array)[inside]
    spline = CubicSpline(data.energy_ev, _curve(data, array), extrapolate=False)

    def model(shift):
        values = spline(x_ref - shift)
        return np.where(np.isfinite(values), values, 0.0)

    def best_scale(values):
        denom = float(values @ values)
        return float(values @ y_ref) / denom if denom > 0 else 1.0

    trial = np.arange(-max_shift_ev, max_shift_ev + 1e-9, 0.05)
    cost = []
    for shift in trial:
        values = model(shift)
        cost.append(float(np.sum((best_scale(values) * values - y_ref) ** 2)))
    start = float(trial[int(np.argmin(cost))])
    start_scale = best_scale(model(start))

    def residual(p):
        return p[1] * model(p[0]) - y_ref

    fit = least_squares(residual, x0=[start, start_scale],
                        bounds=([-max_shift_ev, -np.inf], [max_shift_ev, np.inf]), x_scale=[0.1, 1.0])
    dof = x_ref.size - 2
    stderr, available = np.nan, False
    try:
        cov = np.linalg.inv(fit.jac.T @ fit.jac) * (2 * fit.cost / max(dof, 1))
        if np.isfinite(cov[0, 0]) and cov[0, 0] >= 0:
            stderr, available = float(np.sqrt(cov[0, 0])), True
    except np.linalg.LinAlgError:
        pass
    shift, scale = float(fit.x[0]), float(fit.x[1])
    return AlignmentResult(
        shift_ev=shift, shift_stderr_ev=stderr, scale=scale, window_ev=(float(lo), float(hi)),
        stderr_available=available, success=bool(fit.success), message=str(fit.message),
        energy_ev=x_ref, reference_curve=y_ref, aligned_curve=scale * model(shift),
    )
