"""Pattern processing: background, K-alpha2 stripping, peak search, zero shift and displacement."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, signal

from xrd.pattern import Pattern
from xrd.profiles import pseudo_voigt

__all__ = [
    "PeakList",
    "apply_zero_shift",
    "displacement_shift_deg",
    "find_peaks",
    "rebin",
    "snip_background",
    "strip_kalpha2",
]


def snip_background(intensity, *, half_width_points: int = 60, transform: bool = True) -> np.ndarray:
    """Background by the SNIP clipping algorithm.

    Each pass replaces a point by the mean of its neighbours ``p`` points away
    when that is lower; ``p`` runs from ``half_width_points`` down to 1, and the
    data are first compressed by the log-log-square-root (LLS) transform so that
    peaks of very different height are clipped alike (Ryan et al., Nucl. Instrum.
    Methods B 34 (1988) 396, doi:10.1016/0168-583X(88)90063-8; Morhac et al., Nucl.
    Instrum. Methods A 401 (1997) 113, doi:10.1016/S0168-9002(97)01023-1).

    Parameters
    ----------
    intensity : array_like, shape (n,)
        Counts (non-negative).
    half_width_points : int
        Largest clipping half-window in points; about the full base width of the broadest peak.
    transform : bool
        Apply the LLS transform.

    Returns
    -------
    ndarray, shape (n,)
        Background estimate, never above the data.
    """
    y = np.asarray(intensity, dtype=float)
    if half_width_points < 1:
        raise ValueError(f"half_width_points={half_width_points!r} must be >= 1")
    v = np.log(np.log(np.sqrt(np.maximum(y, 0.0) + 1.0) + 1.0) + 1.0) if transform else y.copy()
    n = v.size
    for p in range(min(half_width_points, (n - 1) // 2), 0, -1):
        mean = 0.5 * (v[: n - 2 * p] + v[2 * p:])
        v[p: n - p] = np.minimum(v[p: n - p], mean)
    if transform:
        v = (np.exp(np.exp(v) - 1.0) - 1.0) ** 2 - 1.0
    return np.minimum(v, y)


def strip_kalpha2(pattern: Pattern) -> Pattern:
    """Remove the K-alpha2 component by Rachinger's method.

    I1(2θ) = I(2θ) - R · I1(2θ - Δ), Δ = 2θ2 - 2θ1 from Bragg's law for the two
    wavelengths, applied from low to high angle (Rachinger, J. Sci. Instrum. 25
    (1948) 254, doi:10.1088/0950-7671/25/7/125).

    Parameters
    ----------
    pattern : Pattern
        A pattern with ``kalpha2_ratio > 0``.

    Returns
    -------
    Pattern
        The K-alpha1-only pattern (``kalpha2_ratio`` 0, ``wavelength2_angstrom`` NaN).
    """
    if not pattern.kalpha2_ratio > 0:
        return pattern
    x, y = pattern.two_theta_deg, pattern.intensity.astype(float)
    theta = np.radians(x) / 2.0
    ratio_lambda = pattern.wavelength2_angstrom / pattern.wavelength_angstrom
    shifted = np.degrees(2.0 * np.arcsin(np.clip(np.sin(theta) * ratio_lambda, -1, 1))) - x
    source = x - shifted  # angle whose K-alpha2 lands at x: approximately x - delta(x)
    out = y.copy()
    idx = np.searchsorted(x, source) - 1
    for i in range(x.size):
        j = idx[i]
        if j < 0:
            continue
        frac = (source[i] - x[j]) / (x[j + 1] - x[j])
        out[i] = y[i] - pattern.kalpha2_ratio * (out[j] * (1 - frac) + out[j + 1] * frac)
    return Pattern(x, out, pattern.wavelength_angstrom, float("nan"), 0.0, pattern.wavelength_assumed,
                   pattern.sigma, pattern.source, {**pattern.metadata, "kalpha2_stripped": True})


def displacement_shift_deg(two_theta_deg, displacement_mm: float, goniometer_radius_mm: float):
    """Peak shift from a specimen displaced from the focusing circle.

    Δ2θ = -2 s cos θ / R (radians), s the displacement (positive towards the
    source side, i.e. out of the holder), R the goniometer radius (Klug &
    Alexander, X-ray Diffraction Procedures, 2nd ed., Wiley 1974, ch. 5).

    Parameters
    ----------
    two_theta_deg : array_like
        Angles in degrees.
    displacement_mm, goniometer_radius_mm : float
        Specimen displacement and goniometer radius in mm.

    Returns
    -------
    ndarray
        Shift of 2-theta in degrees.
    """
    if not goniometer_radius_mm > 0:
        raise ValueError(f"goniometer_radius_mm={goniometer_radius_mm!r} must be positive")
    theta = np.radians(np.asarray(two_theta_deg, dtype=float)) / 2.0
    return np.degrees(-2.0 * displacement_mm * np.cos(theta) / goniometer_radius_mm)


def apply_zero_shift(pattern: Pattern, zero_shift_deg: float) -> Pattern:
    """A copy of ``pattern`` with ``zero_shift_deg`` subtracted from the 2-theta axis.

    A zero error is constant in 2-theta, so the true angle is the recorded one
    minus the zero shift found by refinement.
    """
    return Pattern(pattern.two_theta_deg - zero_shift_deg, pattern.intensity, pattern.wavelength_angstrom,
                   pattern.wavelength2_angstrom, pattern.kalpha2_ratio, pattern.wavelength_assumed,
                   pattern.sigma, pattern.source, {**pattern.metadata, "zero_shift_corrected_deg": zero_shift_deg})


def rebin(pattern: Pattern, factor: int) -> Pattern:
    """Sum groups of ``factor`` adjacent points (counts stay Poisson; 2-theta is the group mean).

    Parameters
    ----------
    pattern : Pattern
    factor : int
        Points per bin (1 returns the pattern unchanged); a remainder at the end is dropped.
    """
    if int(factor) != factor or factor < 1:
        raise ValueError(f"factor={factor!r} must be a positive integer")
    factor = int(factor)
    if factor == 1:
        return pattern
    n = (len(pattern) // factor) * factor
    x = pattern.two_theta_deg[:n].reshape(-1, factor).mean(axis=1)
    y = pattern.intensity[:n].reshape(-1, factor).sum(axis=1)
    sigma = None if pattern.sigma is None else np.sqrt((pattern.sigma[:n].reshape(-1, factor) ** 2).sum(axis=1))
    return Pattern(x, y, pattern.wavelength_angstrom, pattern.wavelength2_angstrom, pattern.kalpha2_ratio,
                   pattern.wavelength_assumed, sigma, pattern.source, {**pattern.metadata, "rebinned": factor})


@dataclass(frozen=True)
class PeakList:
    """Peaks found in a pattern.

    Parameters
    ----------
    two_theta_deg, fwhm_deg : ndarray, shape (k,)
        Centre and full width at half maximum of each peak, degrees.
    height, area : ndarray, shape (k,)
        Height above background (counts) and integrated area (counts x degrees).
    eta : ndarray, shape (k,)
        Lorentzian fraction of the pseudo-Voigt fitted to each peak.
    d_spacing_angstrom : ndarray, shape (k,)
        Bragg spacing for the pattern's primary wavelength.
    """

    two_theta_deg: np.ndarray
    fwhm_deg: np.ndarray
    height: np.ndarray
    area: np.ndarray
    eta: np.ndarray
    d_spacing_angstrom: np.ndarray

    def __len__(self) -> int:
        return int(self.two_theta_deg.size)

    def summary(self) -> dict:
        return {"n_peaks": len(self),
                "median_fwhm_deg": float(np.median(self.fwhm_deg)) if len(self) else float("nan"),
                "strongest_two_theta_deg": float(self.two_theta_deg[np.argmax(self.height)]) if len(self)
                else float("nan")}

    def plot(self, ax=None, pattern: Pattern | None = None):
        """Mark the peaks (on top of ``pattern`` when given); returns the Axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(7, 3.5))
        if pattern is not None:
            pattern.plot(ax=ax, color="0.4")
            base = np.interp(self.two_theta_deg, pattern.two_theta_deg, pattern.intensity)
        else:
            base = self.height
        ax.plot(self.two_theta_deg, base, "v", color="C3", ms=4, label=f"{len(self)} peaks")
        ax.set_xlabel(r"2$\theta$ (deg)")
        ax.legend(fontsize=8)
        return ax


def find_peaks(pattern: Pattern, *, background=None, min_snr: float = 5.0, min_rel_height: float = 0.005,
               fit: bool = True) -> PeakList:
    """Search peaks and measure position, FWHM and area.

    Candidates are local maxima of the background-subtracted, lightly smoothed
    (Savitzky-Golay) pattern whose prominence exceeds ``min_snr`` times the
    Poisson noise sqrt(background + 1) and ``min_rel_height`` of the strongest
    peak. With ``fit`` each is refined by a local pseudo-Voigt least-squares fit
    over +-2 FWHM with a local constant offset.

    Parameters
    ----------
    pattern : Pattern
        The pattern (counts).
    background : ndarray, optional
        Background to subtract; SNIP (:func:`snip_background`) by default.
    min_snr : float
        Prominence threshold in units of the counting noise.
    min_rel_height : float
        Prominence threshold relative to the strongest peak.
    fit : bool
        Refine each peak by a local pseudo-Voigt fit.

    Returns
    -------
    PeakList
    """
    x, y = pattern.two_theta_deg, pattern.intensity.astype(float)
    step = pattern.step_deg
    if background is None:
        background = snip_background(y, half_width_points=max(5, round(1.5 / step)))
    net = y - background
    window = max(5, round(0.06 / step) | 1)
    smooth = signal.savgol_filter(net, window, 2) if window < net.size else net
    noise = np.sqrt(np.maximum(background, 0.0) + 1.0)
    prominence = np.maximum(min_snr * noise, min_rel_height * max(smooth.max(), 1.0))
    # prominence measured within +-0.5 deg, so that noise over long flat stretches is not "prominent"
    wlen = max(11, round(1.0 / step) | 1)
    idx, props = signal.find_peaks(smooth, prominence=(None, None), height=0, wlen=wlen)
    keep = (props["prominences"] > prominence[idx]) & (smooth[idx] > min_snr * noise[idx])
    idx = idx[keep]
    if idx.size == 0:
        empty = np.array([])
        return PeakList(empty, empty, empty, empty, empty, empty)
    widths = signal.peak_widths(smooth, idx, rel_height=0.5)[0] * step
    widths = np.maximum(widths, 2 * step)
    centers, fwhms, heights, areas, etas = [], [], [], [], []
    for i, w in zip(idx, widths):
        c, f, h, eta = x[i], w, smooth[i], 0.5
        area = h * f * 1.3
        if fit:
            sel = (x > c - 3 * f) & (x < c + 3 * f)
            if sel.sum() >= 6:
                def model(t, cc, ff, aa, ee, base):
                    return aa * pseudo_voigt(t, cc, ff, ee) + base
                try:
                    popt, _ = optimize.curve_fit(
                        model, x[sel], net[sel], p0=(c, f, area, 0.5, 0.0),
                        bounds=([c - f, 0.3 * f, 0, 0, -np.inf], [c + f, 3 * f, np.inf, 1, np.inf]), maxfev=600)
                    c, f, area, eta = (float(v) for v in popt[:4])
                except (RuntimeError, ValueError):
                    pass
        centers.append(c)
        fwhms.append(f)
        heights.append(h)
        areas.append(area)
        etas.append(eta)
    centers = np.array(centers)
    d = pattern.wavelength_angstrom / (2 * np.sin(np.radians(centers) / 2))
    return PeakList(centers, np.array(fwhms), np.array(heights), np.array(areas), np.array(etas), d)
