"""Crystallite size and microstrain from peak breadths: Scherrer and Williamson-Hall."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["CrystalliteSize", "crystallite_size"]

_CORRECTIONS = ("quadratic", "linear")


@dataclass(frozen=True)
class CrystalliteSize:
    """Result of :func:`crystallite_size`.

    Parameters
    ----------
    two_theta_deg : ndarray, shape (k,)
        Peak positions used, degrees.
    sample_breadth_rad : ndarray, shape (k,)
        Breadths after removing the instrumental part, radians 2-theta.
    scherrer_size_nm : ndarray, shape (k,)
        Scherrer size of each peak, nm.
    scherrer_mean_nm, scherrer_std_nm : float
        Mean and standard deviation of the per-peak sizes, nm.
    wh_size_nm, wh_size_error_nm : float
        Williamson-Hall size (intercept) and its standard error, nm (NaN with fewer than 3 peaks
        or a non-positive intercept).
    wh_strain, wh_strain_error : float
        Williamson-Hall microstrain (slope / 4, dimensionless) and its standard error.
    k : float
        Shape factor used.
    wavelength_angstrom : float
        Wavelength used.
    success : bool
        True when the Williamson-Hall fit was possible.
    message : str
        Why not, otherwise ``"ok"``.
    """

    two_theta_deg: np.ndarray
    sample_breadth_rad: np.ndarray
    scherrer_size_nm: np.ndarray
    scherrer_mean_nm: float
    scherrer_std_nm: float
    wh_size_nm: float
    wh_size_error_nm: float
    wh_strain: float
    wh_strain_error: float
    k: float
    wavelength_angstrom: float
    success: bool
    message: str

    def summary(self) -> dict:
        return {"scherrer_size_nm": self.scherrer_mean_nm, "scherrer_size_std_nm": self.scherrer_std_nm,
                "wh_size_nm": self.wh_size_nm, "wh_size_error_nm": self.wh_size_error_nm,
                "wh_strain_pct": 100 * self.wh_strain, "wh_strain_error_pct": 100 * self.wh_strain_error,
                "n_peaks": int(self.two_theta_deg.size), "k": self.k}

    def plot(self, ax=None):
        """Williamson-Hall plot: β cos θ against 4 sin θ with the fitted line; returns the Axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(4.5, 3.5))
        theta = np.radians(self.two_theta_deg) / 2
        xs, ys = 4 * np.sin(theta), self.sample_breadth_rad * np.cos(theta)
        ax.plot(xs, ys, "o", label="peaks")
        if self.success:
            grid = np.linspace(0, xs.max() * 1.05, 50)
            intercept = self.k * self.wavelength_angstrom / (10 * self.wh_size_nm)
            ax.plot(grid, intercept + self.wh_strain * grid, "-",
                    label=f"τ = {self.wh_size_nm:.1f} nm, ε = {100 * self.wh_strain:.3f} %")
        ax.set_xlabel(r"4 sin $\theta$")
        ax.set_ylabel(r"$\beta$ cos $\theta$ (rad)")
        ax.legend(fontsize=8)
        return ax


def crystallite_size(two_theta_deg, breadth_deg, *, wavelength_angstrom: float = 1.540598,
                     instrument_breadth_deg=None, k: float = 0.9,
                     correction: str = "quadratic") -> CrystalliteSize:
    """Crystallite size by the Scherrer equation and size/strain by Williamson-Hall.

    Scherrer: τ = K λ / (β cos θ) (Scherrer, Nachr. Ges. Wiss. Göttingen (1918) 98;
    Langford & Wilson, J. Appl. Cryst. 11 (1978) 102, doi:10.1107/S0021889878012844).
    Williamson-Hall: β cos θ = K λ / τ + 4 ε sin θ (Williamson & Hall, Acta Metall. 1
    (1953) 22, doi:10.1016/0001-6160(53)90006-6). β is the sample breadth in radians of
    2-theta after removing the instrumental breadth b: β = sqrt(B² - b²) for Gaussian
    profiles (``"quadratic"``) or β = B - b for Lorentzian ones (``"linear"``).

    Parameters
    ----------
    two_theta_deg : array_like, shape (k,)
        Peak positions, degrees.
    breadth_deg : array_like, shape (k,)
        Measured breadths (FWHM or integral breadth), degrees 2-theta.
    wavelength_angstrom : float
        Wavelength in angstrom.
    instrument_breadth_deg : float, array_like or callable, optional
        Instrumental breadth in degrees (a number, one per peak, or ``f(two_theta_deg)``,
        e.g. from a standard such as LaB6).
    k : float
        Scherrer shape factor (0.9 for FWHM of spherical crystallites; 1.0 with integral breadths).
    correction : {"quadratic", "linear"}
        How the instrumental breadth is removed.

    Returns
    -------
    CrystalliteSize

    Raises
    ------
    ValueError
        Mismatched arrays, non-positive breadths, breadths not above the instrument's, or a bad option.

    Examples
    --------
    >>> r = crystallite_size([30.0, 50.0], [0.2, 0.25])
    >>> round(float(r.scherrer_size_nm[0]), 1)
    41.1
    """
    if correction not in _CORRECTIONS:
        raise ValueError(f"correction={correction!r} is not one of {_CORRECTIONS}")
    tt = np.atleast_1d(np.asarray(two_theta_deg, dtype=float))
    b = np.atleast_1d(np.asarray(breadth_deg, dtype=float))
    if tt.shape != b.shape or tt.size == 0:
        raise ValueError(f"two_theta_deg ({tt.size}) and breadth_deg ({b.size}) must be equal, non-empty arrays")
    if not (np.all(np.isfinite(tt)) and np.all(np.isfinite(b))) or np.any(b <= 0) or np.any((tt <= 0) | (tt >= 180)):
        raise ValueError("two_theta_deg must lie in (0, 180) and breadth_deg must be positive and finite")
    if instrument_breadth_deg is None:
        inst = np.zeros_like(b)
    elif callable(instrument_breadth_deg):
        inst = np.asarray(instrument_breadth_deg(tt), dtype=float) * np.ones_like(b)
    else:
        inst = np.asarray(instrument_breadth_deg, dtype=float) * np.ones_like(b)
    if np.any(inst >= b):
        bad = tt[inst >= b]
        raise ValueError(f"measured breadth is not above the instrumental breadth at 2θ = {bad.round(3).tolist()} deg")
    beta_deg = np.sqrt(b ** 2 - inst ** 2) if correction == "quadratic" else b - inst
    beta = np.radians(beta_deg)
    theta = np.radians(tt) / 2
    lam_nm = wavelength_angstrom / 10.0
    sizes = k * lam_nm / (beta * np.cos(theta))
    wh_size = wh_size_err = wh_strain = wh_strain_err = float("nan")
    success, message = False, "Williamson-Hall needs at least 3 peaks"
    if tt.size >= 3:
        xs, ys = 4 * np.sin(theta), beta * np.cos(theta)
        coef, cov = np.polyfit(xs, ys, 1, cov=True)
        slope, intercept = coef
        wh_strain, wh_strain_err = float(slope), float(np.sqrt(cov[0, 0]))
        if intercept > 0:
            wh_size = float(k * lam_nm / intercept)
            wh_size_err = float(wh_size * np.sqrt(cov[1, 1]) / intercept)
            success, message = True, "ok"
        else:
            message = "non-positive Williamson-Hall intercept: breadening is strain-dominated"
    return CrystalliteSize(tt, beta, sizes, float(np.mean(sizes)), float(np.std(sizes)), wh_size, wh_size_err,
                           wh_strain, wh_strain_err, k, wavelength_angstrom, success, message)
