"""Distribution of relaxation times by Tikhonov-regularised regression.

Z(ω) = R_∞ + ∫ γ(ln τ) / (1 + jωτ) d ln τ, with γ expanded in Gaussian
radial basis functions on a log τ grid (Wan, Saccoccio, Chen & Ciucci,
Electrochim. Acta 184 (2015) 483, doi:10.1016/j.electacta.2015.09.097).
The weights (and R_∞, optionally a series inductance) minimise
‖W(A x − Z)‖² + λ ‖D γ‖² with x ≥ 0 (non-negative least squares), D the
second-difference operator on the γ grid. λ is chosen, when not given, by
generalised cross-validation of the unconstrained problem (Saccoccio, Wan,
Chen & Ciucci, Electrochim. Acta 147 (2014) 470,
doi:10.1016/j.electacta.2014.09.058).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import nnls
from scipy.signal import find_peaks

from echem.eis.data import EISData, require_single_sweep, source_name
from ssbkit.errors import FitError

__all__ = ["DRTResult", "drt"]


@dataclass(frozen=True)
class DRTResult:
    """Result of :func:`drt`.

    Attributes
    ----------
    tau_s : ndarray, shape (m,)
        Relaxation-time grid, s: ten points per spacing of the RBF centres.
    gamma_ohm : ndarray, shape (m,)
        γ(ln τ) on that grid, Ohm (per unit ln τ).
    r_inf_ohm : float
        Series resistance R_∞, Ohm.
    inductance_h : float
        Series inductance, H (0 when not fitted).
    regularization : float
        λ used.
    regularization_auto : bool
        Whether λ was chosen by GCV.
    peak_tau_s : ndarray
        Time constants of the γ peaks, s.
    peak_resistance_ohm : ndarray
        Area of each peak (∫γ d ln τ between its neighbouring minima), Ohm.
    frequency_hz, z_ohm, z_fit_ohm : ndarray, shape (n,)
        Data and model.
    """

    tau_s: np.ndarray
    gamma_ohm: np.ndarray
    r_inf_ohm: float
    inductance_h: float
    regularization: float
    regularization_auto: bool
    peak_tau_s: np.ndarray
    peak_resistance_ohm: np.ndarray
    frequency_hz: np.ndarray
    z_ohm: np.ndarray
    z_fit_ohm: np.ndarray

    @property
    def polarization_ohm(self) -> float:
        """∫ γ d ln τ, Ohm: the total polarisation resistance."""
        return float(np.trapezoid(self.gamma_ohm, np.log(self.tau_s)))

    def plot(self, ax=None):
        """γ against τ (log axis) with the peaks marked; returns the Axes."""
        if ax is None:
            import matplotlib.pyplot as plt

            _, ax = plt.subplots(figsize=(5, 4), constrained_layout=True)
        ax.semilogx(self.tau_s, self.gamma_ohm, "-")
        for t in self.peak_tau_s:
            ax.axvline(t, color="gray", ls=":", lw=0.8)
        from echem.eis.plotting import plain_log_ticks

        plain_log_ticks(ax.xaxis)
        ax.set_xlabel("τ (s)")
        ax.set_ylabel("γ (Ω)")
        ax.set_title(f"DRT, λ = {self.regularization:.2g}")
        return ax

    def report(self) -> str:
        """Peaks as text."""
        peaks = ", ".join(f"tau={t:.3g} s R={r:.3g} Ohm"
                          for t, r in zip(self.peak_tau_s, self.peak_resistance_ohm))
        return f"DRT lambda={self.regularization:.2g} R_inf={self.r_inf_ohm:.4g} Ohm; peaks: {peaks}"

    def summary(self) -> dict:
        """Flat JSON-safe summary (up to the three largest peaks)."""
        out = {"r_inf_ohm": float(self.r_inf_ohm), "polarization_ohm": self.polarization_ohm,
               "regularization": float(self.regularization), "n_peaks": int(self.peak_tau_s.size)}
        largest = np.argsort(self.peak_resistance_ohm)[::-1][:3]
        for rank, i in enumerate(largest, start=1):
            out[f"peak{rank}_tau_s"] = float(self.peak_tau_s[i])
            out[f"peak{rank}_resistance_ohm"] = float(self.peak_resistance_ohm[i])
        return out


def _matrices(omega, log_tau, width, n_quad=12):
    """Real and imaginary kernels of Gaussian RBFs by quadrature on a fine ln τ grid."""
    step = log_tau[1] - log_tau[0]
    fine = np.linspace(log_tau[0] - 4 * width, log_tau[-1] + 4 * width,
                       int((log_tau[-1] - log_tau[0] + 8 * width) / step * n_quad) + 1)
    phi = np.exp(-(((fine[:, None] - log_tau[None, :]) / width) ** 2))
    kernel = 1.0 / (1.0 + 1j * omega[:, None] * np.exp(fine)[None, :])
    dx = fine[1] - fine[0]
    a = (kernel @ phi) * dx
    return a.real, a.imag


def _gcv(a, lmat, b, lam):
    """Generalised cross-validation score of the unconstrained ridge problem."""
    normal = a.T @ a + lam * lmat.T @ lmat
    normal += 1e-12 * np.trace(normal) / normal.shape[0] * np.eye(normal.shape[0])
    hat = a @ np.linalg.solve(normal, a.T)
    resid = b - hat @ b
    n = b.size
    return n * float(resid @ resid) / (n - np.trace(hat)) ** 2


def drt(data: EISData, *, regularization: float | None = None, points_per_decade: int = 10,
        inductance: bool = False) -> DRTResult:
    """Distribution of relaxation times of a spectrum.

    Parameters
    ----------
    data : EISData
        One sweep of at least 8 points, without a capacitive spike (DRT
        describes a resistive low-frequency limit; strip a blocking-electrode
        spike first).
    regularization : float, optional
        λ > 0; None chooses it by GCV over 1e-6 … 1e1. λ is dimensionless:
        it weighs the curvature of γ/max|Z| (the inversion runs on
        ``Z / max|Z|``), so a spectrum and the same spectrum scaled give the
        same DRT, scaled.
    points_per_decade : int
        RBF centres per decade of τ (the grid spans 1/(2π f_max)/10 to
        10/(2π f_min)).
    inductance : bool
        Fit a series inductance as well.

    Returns
    -------
    DRTResult
    """
    if regularization is not None and not regularization > 0:
        raise ValueError(f"regularization must be > 0 or None, got {regularization!r}")
    if points_per_decade < 2:
        raise ValueError(f"points_per_decade must be >= 2, got {points_per_decade!r}")
    require_single_sweep(data, min_points=8)
    f, z = data.frequency_hz, data.z_ohm
    omega = 2 * np.pi * f
    lo, hi = np.log(0.1 / omega.max()), np.log(10.0 / omega.min())
    k = int(np.ceil((hi - lo) / np.log(10) * points_per_decade)) + 1
    log_tau = np.linspace(lo, hi, k)
    width = (log_tau[1] - log_tau[0]) * 1.2
    a_re, a_im = _matrices(omega, log_tau, width)
    # the inversion runs on Z / max|Z|, so that lambda (and the GCV grid) is dimensionless: the same
    # spectrum in mOhm or in MOhm gives the same DRT scaled (was: no peak at all for |Z| ~ 1e5 Ohm)
    scale = float(np.max(np.abs(z)))
    z_unit = z / scale
    w = 1.0 / np.abs(z_unit)
    extra_re = [np.ones_like(omega)]
    extra_im = [np.zeros_like(omega)]
    if inductance:
        extra_re.append(np.zeros_like(omega))
        extra_im.append(omega)
    n_extra = len(extra_re)
    a = np.vstack([np.column_stack(extra_re + [a_re]) * w[:, None],
                   np.column_stack(extra_im + [a_im]) * w[:, None]])
    b = np.concatenate([z_unit.real * w, z_unit.imag * w])
    phi_grid = np.exp(-(((log_tau[:, None] - log_tau[None, :]) / width) ** 2))
    diff2 = np.diff(np.eye(k), n=2, axis=0) @ phi_grid
    lmat = np.hstack([np.zeros((diff2.shape[0], n_extra)), diff2])
    auto = regularization is None
    try:
        if auto:
            grid = np.logspace(-6, 1, 22)
            regularization = float(grid[int(np.argmin([_gcv(a, lmat, b, lam) for lam in grid]))])
        aug = np.vstack([a, np.sqrt(regularization) * lmat])
        x, _ = nnls(aug, np.concatenate([b, np.zeros(lmat.shape[0])]), maxiter=50 * aug.shape[1])
    except (ValueError, RuntimeError, np.linalg.LinAlgError) as exc:  # degenerate data the checks let through
        raise FitError(f"{source_name(data)}: the DRT inversion failed ({type(exc).__name__}: {exc})") from None
    if not np.all(np.isfinite(x)):
        raise FitError(f"{source_name(data)}: the DRT inversion is not finite (degenerate data)")
    x = x * scale  # back to Ohm (and H for the inductance)
    # γ(ln τ) is the sum of the RBFs: evaluate it 10 times finer than their centres, so that peak
    # positions are not rounded to the centre spacing
    fine = np.linspace(lo, hi, 10 * (k - 1) + 1)
    gamma = np.exp(-(((fine[:, None] - log_tau[None, :]) / width) ** 2)) @ x[n_extra:]
    tau = np.exp(fine)
    model = (x[0] + (1j * omega * x[1] if inductance else 0)
             + (a_re + 1j * a_im) @ x[n_extra:])
    peaks, _ = find_peaks(gamma, prominence=0.02 * max(gamma.max(), 1e-300))
    areas = []
    n = fine.size
    minima = np.array([0, *(i for i in range(1, n - 1) if gamma[i] <= gamma[i - 1] and gamma[i] <= gamma[i + 1]),
                       n - 1], dtype=int)  # int even without an inner minimum (np.r_ gave floats: TypeError)
    for p in peaks:
        left = minima[minima < p].max(initial=0)
        right = minima[minima > p].min(initial=n - 1)
        areas.append(float(np.trapezoid(gamma[left : right + 1], fine[left : right + 1])))
    return DRTResult(
        tau_s=tau, gamma_ohm=gamma, r_inf_ohm=float(x[0]),
        inductance_h=float(x[1]) if inductance else 0.0, regularization=float(regularization),
        regularization_auto=auto, peak_tau_s=tau[peaks], peak_resistance_ohm=np.asarray(areas),
        frequency_hz=f, z_ohm=z, z_fit_ohm=model,
    )
