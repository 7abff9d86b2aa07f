"""The linear Kramers-Kronig test (Lin-KK) of Schönleber, Klotz & Ivers-Tiffée.

A chain of M Voigt elements R_k/(1 + jωτ_k), τ_k logarithmically spaced
from 1/ω_max to 1/ω_min, plus a series resistance (and optionally a series
inductance and capacitance), is KK-consistent by construction. Its
resistances enter linearly, so a weighted linear least-squares fit of the
real and imaginary parts together gives them directly. M is raised from 1
until the over-fitting measure μ = 1 − Σ_{R_k<0}|R_k| / Σ_{R_k≥0}|R_k|
drops below c (0.85). The relative residuals then show whether the data
obey the Kramers-Kronig relations.

Reference: M. Schönleber, D. Klotz, E. Ivers-Tiffée, Electrochim. Acta 131
(2014) 20-27, doi:10.1016/j.electacta.2014.01.034.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from echem.eis.data import EISData, require_single_sweep, source_name
from ssbkit.errors import FitError

__all__ = ["LinKKResult", "lin_kk"]


@dataclass(frozen=True)
class LinKKResult:
    """Result of :func:`lin_kk`.

    Attributes
    ----------
    n_elements : int
        Number M of Voigt elements chosen.
    mu : float
        μ at the chosen M.
    c : float
        The μ threshold used.
    tau_s : ndarray, shape (M,)
        Time constants, s.
    resistances_ohm : ndarray, shape (M,)
        Fitted R_k, Ohm.
    frequency_hz, z_ohm, z_fit_ohm : ndarray, shape (n,)
        Data and KK-consistent model.
    residual_real, residual_imag : ndarray, shape (n,)
        (Z_data − Z_fit)/|Z_data| for real and imaginary parts.
    rms_residual : float
        Root-mean-square of both residuals.
    max_residual : float
        Largest absolute residual.
    threshold : float
        Pass when ``rms_residual < threshold``.
    passed : bool
        The verdict.
    mu_reached : bool
        False when μ never fell below c up to the largest M tried.
    """

    n_elements: int
    mu: float
    c: float
    tau_s: np.ndarray
    resistances_ohm: np.ndarray
    frequency_hz: np.ndarray
    z_ohm: np.ndarray
    z_fit_ohm: np.ndarray
    residual_real: np.ndarray
    residual_imag: np.ndarray
    rms_residual: float
    max_residual: float
    threshold: float
    passed: bool
    mu_reached: bool

    def plot(self, ax=None):
        """Relative residuals against frequency with the ±threshold band."""
        from echem.eis.plotting import plot_residuals

        ax = plot_residuals(self.frequency_hz, self.residual_real, self.residual_imag, ax=ax,
                            threshold=self.threshold)
        ax.set_title(f"Lin-KK, M = {self.n_elements}: {'pass' if self.passed else 'fail'}")
        return ax

    def report(self) -> str:
        """One-line verdict."""
        return (f"Lin-KK M={self.n_elements} mu={self.mu:.3f} (c={self.c}): RMS residual "
                f"{100 * self.rms_residual:.2f} % vs {100 * self.threshold:.2f} % -> "
                f"{'pass' if self.passed else 'fail'}")

    def summary(self) -> dict:
        """Flat JSON-safe summary."""
        return {"n_elements": int(self.n_elements), "mu": float(self.mu), "c": float(self.c),
                "rms_residual": float(self.rms_residual), "max_residual": float(self.max_residual),
                "threshold": float(self.threshold), "passed": bool(self.passed),
                "mu_reached": bool(self.mu_reached)}


def _design(omega, tau, inductance, capacitance):
    """Columns: R_ohm, R_k (k = 1..M), [L], [1/C]; rows: real then imaginary parts."""
    wt = omega[:, None] * tau[None, :]
    voigt = 1.0 / (1.0 + 1j * wt)
    cols = [np.ones_like(omega, dtype=complex)[:, None], voigt]
    if inductance:
        cols.append((1j * omega)[:, None])
    if capacitance:
        cols.append((-1j / omega)[:, None])
    a = np.hstack(cols)
    return a


def lin_kk(data: EISData, *, c: float = 0.85, max_elements: int | None = None,
           inductance: bool = True, capacitance: bool = True,
           threshold: float = 0.02) -> LinKKResult:
    """Lin-KK test with automatic choice of the number of Voigt elements.

    Parameters
    ----------
    data : EISData
        One sweep of at least 5 points.
    c : float
        μ threshold in (0, 1); Schönleber et al. recommend 0.85.
    max_elements : int, optional
        Largest M tried; default n_points // 2.
    inductance, capacitance : bool
        Add a series inductance / capacitance to the chain (a capacitance
        is needed for blocking-electrode spectra whose impedance diverges
        at low frequency).
    threshold : float
        Verdict: pass when the RMS relative residual is below it (default
        0.02, i.e. 2 %, above the ~1 % noise of good data).

    Returns
    -------
    LinKKResult
    """
    if not 0 < c < 1:
        raise ValueError(f"c must lie in (0, 1), got {c!r}")
    if not threshold > 0:
        raise ValueError(f"threshold must be > 0, got {threshold!r}")
    require_single_sweep(data, min_points=5)
    f, z = data.frequency_hz, data.z_ohm
    omega = 2 * np.pi * f
    w = 1.0 / np.abs(z)
    m_max = max_elements or max(1, f.size // 2)
    if m_max < 1:
        raise ValueError(f"max_elements must be >= 1, got {max_elements!r}")
    chosen = None
    for m in range(1, m_max + 1):
        tau = np.geomspace(1 / omega.max(), 1 / omega.min(), m) if m > 1 else np.array([1 / np.sqrt(omega.max() * omega.min())])
        a = _design(omega, tau, inductance, capacitance)
        lhs = np.vstack([a.real * w[:, None], a.imag * w[:, None]])
        rhs = np.concatenate([z.real * w, z.imag * w])
        try:
            coef, *_ = np.linalg.lstsq(lhs, rhs, rcond=None)
        except np.linalg.LinAlgError as exc:  # SVD failure: degenerate data the checks above let through
            raise FitError(f"{source_name(data)}: Lin-KK least squares with {m} element(s) failed ({exc})") from None
        r_k = coef[1 : 1 + m]
        positive = np.sum(np.abs(r_k[r_k >= 0]))
        mu = 1.0 - np.sum(np.abs(r_k[r_k < 0])) / positive if positive > 0 else 0.0
        chosen = (m, mu, tau, coef, a)
        if mu < c:
            break
    m, mu, tau, coef, a = chosen
    z_fit = a @ coef
    rel = (z - z_fit) / np.abs(z)
    both = np.concatenate([rel.real, rel.imag])
    rms = float(np.sqrt(np.mean(both**2)))
    if not (np.isfinite(rms) and np.all(np.isfinite(z_fit))):
        raise FitError(f"{source_name(data)}: the Lin-KK fit is not finite (degenerate data)")
    return LinKKResult(
        n_elements=m, mu=float(mu), c=float(c), tau_s=tau, resistances_ohm=coef[1 : 1 + m],
        frequency_hz=f, z_ohm=z, z_fit_ohm=z_fit, residual_real=rel.real, residual_imag=rel.imag,
        rms_residual=rms, max_residual=float(np.max(np.abs(both))), threshold=float(threshold),
        passed=bool(rms < threshold), mu_reached=bool(mu < c),
    )
