"""Core-loss edge intensities along a line scan, after power-law background removal.

The pre-edge background is fitted with A·E^(−r) by weighted least squares
of ln I against ln E in a window below the edge, extrapolated under the edge
and subtracted; the edge signal is the sum of the remaining counts in a
window above the onset (Egerton, *Electron Energy-Loss Spectroscopy in the
Electron Microscope*, 3rd ed., Springer 2011, §4.4.2 and §4.5,
doi:10.1007/978-1-4419-9583-4).

Uncertainty per point: Poisson variance of the counts in the signal window
(counts taken as electrons) plus the variance of the extrapolated
background, propagated from the covariance of (ln A, r) scaled by the
reduced χ² of the background fit when it exceeds 1.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from eels.data import EELSData, json_number, json_stat
from eels.edges import Edge, get_edge, overlapping_edges

__all__ = [
    "BACKGROUND_MODELS",
    "EdgeOverlapWarning",
    "PowerLawFit",
    "fit_power_law",
    "default_windows",
    "EdgeProfile",
    "EdgeProfiles",
    "edge_profile",
    "edge_profiles",
    "EdgeRatio",
    "edge_ratio",
    "fit_overlapping_edges",
]

BACKGROUND_MODELS = ("power-law", "none")


class EdgeOverlapWarning(UserWarning):
    """Another element's edge lies inside the background or signal window."""


@dataclass(frozen=True)
class PowerLawFit:
    """Power-law background A·E^(−r) fitted to each spectrum.

    Attributes
    ----------
    amplitude : ndarray, shape (n_spectra,)
        A, counts·eV^r.
    exponent : ndarray, shape (n_spectra,)
        r.
    covariance : ndarray, shape (n_spectra, 2, 2)
        Covariance of (ln A, r).
    success : ndarray of bool, shape (n_spectra,)
        False where the window held fewer than 3 positive channels.
    """

    amplitude: np.ndarray
    exponent: np.ndarray
    covariance: np.ndarray
    success: np.ndarray


def _window_slice(energy: np.ndarray, window_ev) -> slice:
    step = (energy[-1] - energy[0]) / (energy.size - 1)
    lo, hi = (int(np.floor((w - energy[0]) / step + 0.5)) for w in window_ev)
    return slice(max(lo, 0), min(hi, energy.size))


def fit_power_law(energy_ev: np.ndarray, counts: np.ndarray) -> PowerLawFit:
    """Fit A·E^(−r) to each row of ``counts`` (Egerton 2011, §4.4.2).

    Weighted linear least squares of ln I = ln A − r ln E with weights I
    (the inverse variance of ln I for Poisson counts).

    Parameters
    ----------
    energy_ev : ndarray, shape (m,)
        Energies of the fit window, eV (> 0).
    counts : ndarray, shape (n_spectra, m)
        Counts in the window.

    Returns
    -------
    PowerLawFit
    """
    counts = np.atleast_2d(counts)
    n = counts.shape[0]
    amplitude = np.full(n, np.nan)
    exponent = np.full(n, np.nan)
    covariance = np.full((n, 2, 2), np.nan)
    success = np.zeros(n, dtype=bool)
    log_e = np.log(energy_ev)
    for i, row in enumerate(counts):
        good = row > 0
        if good.sum() < 3:
            continue
        x = np.column_stack([np.ones(good.sum()), -log_e[good]])
        y = np.log(row[good])
        w = row[good]
        normal = x.T @ (w[:, None] * x)
        try:
            cov = np.linalg.inv(normal)
        except np.linalg.LinAlgError:
            continue
        params = cov @ (x.T @ (w * y))
        dof = good.sum() - 2
        chi2 = float(np.sum(w * (y - x @ params) ** 2) / dof) if dof > 0 else 1.0
        amplitude[i] = np.exp(params[0])
        exponent[i] = params[1]
        covariance[i] = cov * max(chi2, 1.0)
        success[i] = True
    return PowerLawFit(amplitude, exponent, covariance, success)


def default_windows(edge, energy_ev: np.ndarray | None = None) -> tuple[tuple[float, float], tuple[float, float]]:
    """Default (background, signal) windows of an edge, eV.

    Background: a window of max(10, min(50, 0.1·E_onset)) eV ending
    max(2, 0.01·E_onset) eV below the onset; signal: from the onset over the
    edge's ``signal_width_ev``. Clipped to ``energy_ev`` when given.
    """
    edge = get_edge(edge)
    gap = max(2.0, 0.01 * edge.onset_ev)
    width = max(10.0, min(50.0, 0.1 * edge.onset_ev))
    background = (edge.onset_ev - gap - width, edge.onset_ev - gap)
    signal = (edge.onset_ev, edge.onset_ev + edge.signal_width_ev)
    if energy_ev is not None:
        background = (max(background[0], float(energy_ev[0])), background[1])
        signal = (signal[0], min(signal[1], float(energy_ev[-1])))
    return background, signal


def _check_window(name: str, window, energy: np.ndarray) -> tuple[float, float]:
    lo, hi = (float(w) for w in window)
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"{name}={window!r} must be two finite energies, low < high (eV)")
    if lo < energy[0] - 1e-9 or hi > energy[-1] + 1e-9:
        raise ValueError(
            f"{name}={window!r} eV lies outside the data's axis {energy[0]:.1f}..{energy[-1]:.1f} eV"
        )
    if lo <= 0:
        raise ValueError(f"{name}={window!r} must lie above 0 eV for a power-law background")
    return lo, hi


def _overlap_message(edge: Edge, others, background, signal) -> str:
    names = ", ".join(o.name for o in others)
    first = min(o.onset_ev for o in others)
    remedies = [
        "fit the overlapping edges together with reference edge shapes (fit_overlapping_edges)",
    ]
    if first > signal[0] + 3:
        remedies.append(f"narrow the signal window to end below {first:g} eV, e.g. signal_window_ev=({signal[0]:g}, {first - 1:g})")
    else:
        remedies.append("move signal_window_ev / background_window_ev clear of the other onset")
    remedies.append(f"or report a ratio of the two edges (edge_ratio) instead of {edge.name} alone")
    return (
        f"{edge.name}: the edge(s) {names} lie inside the windows (background "
        f"{background[0]:g}-{background[1]:g} eV, signal {signal[0]:g}-{signal[1]:g} eV), "
        "if that element is present the intensity includes it. Remedies: " + "; ".join(remedies)
    )


@dataclass(frozen=True)
class EdgeProfile:
    """Background-subtracted intensity of one edge at each scan position.

    Attributes
    ----------
    edge : Edge
        The edge.
    position_nm : ndarray, shape (n,)
        Positions along the scan, nm (pixel index when uncalibrated).
    intensity : ndarray, shape (n,)
        Edge counts in the signal window.
    intensity_err : ndarray, shape (n,)
        One standard uncertainty of ``intensity``.
    background : PowerLawFit or None
        The fitted background (None for ``background="none"``).
    signal_window_ev, background_window_ev : (float, float)
        Windows used, eV.
    overlaps : tuple of str
        Names of other edges inside the windows.
    success : ndarray of bool, shape (n,)
        False where the background could not be fitted (intensity NaN).
    position_unit : str
        ``"nm"``, or ``"px"`` when the scan axis had no length unit.
    """

    edge: Edge
    position_nm: np.ndarray
    intensity: np.ndarray
    intensity_err: np.ndarray
    background: PowerLawFit | None
    signal_window_ev: tuple[float, float]
    background_window_ev: tuple[float, float]
    overlaps: tuple[str, ...]
    success: np.ndarray
    position_unit: str = "nm"

    def plateau(self) -> float:
        """Reference level: the median of the points above half the maximum.

        For a step profile this is the plateau; for a thin layer (a peak) it
        is the height of the peak's top, both robust to single noisy points.
        """
        finite = self.intensity[np.isfinite(self.intensity)]
        if finite.size == 0 or np.max(finite) <= 0:
            return float("nan")
        return float(np.median(finite[finite >= 0.5 * np.max(finite)]))

    def normalized(self) -> np.ndarray:
        """Intensity divided by :meth:`plateau`."""
        return self.intensity / self.plateau()

    def crossing_nm(self, level: float = 0.5) -> float:
        """Position where the normalized profile falls through ``level`` for the last time.

        Walks from the side where the profile is high (the mean of the first
        quarter against the last), takes the last point at or above
        ``level`` and interpolates linearly to the next one, so noise in the
        plateau does not end the walk early; NaN when the profile never
        falls below ``level``.
        """
        if not 0 < level < 1:
            raise ValueError(f"level={level!r} must lie between 0 and 1")
        y = self.normalized()
        x = self.position_nm
        quarter = max(1, y.size // 4)
        if np.nanmean(y[-quarter:]) > np.nanmean(y[:quarter]):
            x, y = x[::-1], y[::-1]
        above = np.nonzero(y >= level)[0]
        if above.size == 0 or above[-1] == y.size - 1:
            return float("nan")
        j = above[-1]
        y0, y1 = y[j], y[j + 1]
        return float(x[j] + (y0 - level) / (y0 - y1) * (x[j + 1] - x[j]))

    def width_nm(self, high: float = 0.9, low: float = 0.1) -> float:
        """Distance over which the normalized profile falls from ``high`` to ``low``, nm."""
        return float(abs(self.crossing_nm(low) - self.crossing_nm(high)))

    def summary(self) -> dict:
        """Flat key numbers; keys start with the edge name (``co_l23_...``); None where undefined."""
        key = self.edge.name.lower().replace(",", "").replace(" ", "_")
        return {
            f"{key}_max_counts": json_stat(self.intensity, np.max),
            f"{key}_x50_{self.position_unit}": json_number(self.crossing_nm(0.5)),
            f"{key}_width_90_10_{self.position_unit}": json_number(self.width_nm(0.9, 0.1)),
            f"{key}_n_overlaps": len(self.overlaps),
        }

    def plot(self, ax=None, *, normalize: bool = False, interface_nm: float = 0.0, **kwargs):
        """Profile against distance from ``interface_nm``, with error bars.

        Returns
        -------
        matplotlib.axes.Axes
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 4))
        scale = 1.0 / self.plateau() if normalize else 1.0
        kwargs.setdefault("label", self.edge.name)
        ax.errorbar(
            self.position_nm - interface_nm,
            self.intensity * scale,
            yerr=self.intensity_err * scale,
            marker="o",
            ms=3,
            capsize=2,
            **kwargs,
        )
        ax.set_xlabel(f"distance from interface ({self.position_unit})")
        ax.set_ylabel("normalized edge intensity" if normalize else "edge intensity (counts)")
        ax.legend(fontsize=8)
        return ax


@dataclass(frozen=True)
class EdgeProfiles:
    """Profiles of several edges along the same line scan."""

    profiles: tuple[EdgeProfile, ...]

    def __getitem__(self, name) -> EdgeProfile:
        edge = get_edge(name)
        for profile in self.profiles:
            if profile.edge == edge:
                return profile
        raise KeyError(edge.name)

    def summary(self) -> dict:
        """Every profile's summary, merged."""
        out = {}
        for profile in self.profiles:
            out.update(profile.summary())
        return out

    def plot(self, ax=None, *, normalize: bool = True, interface_nm: float = 0.0):
        """All profiles against distance from the interface (normalized by default)."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 4))
        for profile in self.profiles:
            profile.plot(ax, normalize=normalize, interface_nm=interface_nm)
        if interface_nm is not None:
            ax.axvline(0.0, color="0.5", ls=":", lw=1)
        return ax


def _positions(data: EELSData) -> tuple[np.ndarray, str]:
    if len(data.navigation_axes) != 1:
        raise ValueError(
            f"an edge profile needs a line scan (one scan axis); the data have "
            f"navigation shape {data.navigation_shape}"
        )
    axis = data.navigation_axes[0]
    try:
        return axis.values_nm, "nm"
    except ValueError:
        return np.arange(axis.size, dtype=float), "px"


def edge_profile(
    data: EELSData,
    edge,
    *,
    signal_window_ev=None,
    background_window_ev=None,
    background: str = "power-law",
    elements=None,
) -> EdgeProfile:
    """Background-subtracted edge intensity along a line scan.

    Parameters
    ----------
    data : EELSData
        Core-loss line scan, counts of shape ``(n_positions, n_channels)``.
    edge : str or Edge
        Edge name from :data:`eels.edges.EDGES`, e.g. ``"Co L2,3"``.
    signal_window_ev : (float, float), optional
        Integration window, eV; default from :func:`default_windows`.
    background_window_ev : (float, float), optional
        Background fit window below the edge, eV; default from
        :func:`default_windows`.
    background : {"power-law", "none"}
        Background model (``"none"`` integrates raw counts).
    elements : iterable of str, optional
        Elements present; limits the overlap check to their edges (every
        edge in the table is checked when omitted).

    Returns
    -------
    EdgeProfile

    Warns
    -----
    EdgeOverlapWarning
        When another edge lies in the windows (Li K with Co M2,3, Co L2,3
        with Ba M4,5, ...), naming the remedies.

    Raises
    ------
    ValueError
        On a bad option, a window outside the data, or data that are not a
        line scan.
    """
    if background not in BACKGROUND_MODELS:
        raise ValueError(f"background={background!r} is not one of {BACKGROUND_MODELS}")
    edge = get_edge(edge)
    energy = data.energy_loss_ev
    default_bg, default_signal = default_windows(edge, energy)
    signal = _check_window("signal_window_ev", signal_window_ev or default_signal, energy)
    bg = _check_window("background_window_ev", background_window_ev or default_bg, energy)
    position, unit = _positions(data)
    others = overlapping_edges(edge, (bg[0], signal[1]), elements=elements)
    if others:
        warnings.warn(_overlap_message(edge, others, bg, signal), EdgeOverlapWarning, stacklevel=2)
    counts = data.counts
    s_slice = _window_slice(energy, signal)
    s_energy = energy[s_slice]
    s_counts = counts[:, s_slice]
    if s_energy.size == 0:
        raise ValueError(f"signal_window_ev={signal!r} holds no channel")
    if background == "none":
        intensity = s_counts.sum(axis=1)
        err = np.sqrt(np.clip(intensity, 0, None))
        return EdgeProfile(edge, position, intensity, err, None, signal, bg, tuple(o.name for o in others), np.ones(intensity.size, bool), unit)
    b_slice = _window_slice(energy, bg)
    fit = fit_power_law(energy[b_slice], counts[:, b_slice])
    model = fit.amplitude[:, None] * s_energy[None, :] ** (-fit.exponent[:, None])
    bg_sum = model.sum(axis=1)
    intensity = s_counts.sum(axis=1) - bg_sum
    # gradient of the summed background with respect to (ln A, r)
    grad = np.stack([bg_sum, -(model * np.log(s_energy)[None, :]).sum(axis=1)], axis=1)
    bg_var = np.einsum("ni,nij,nj->n", grad, fit.covariance, grad)
    err = np.sqrt(np.clip(s_counts.sum(axis=1), 0, None) + bg_var)
    intensity = np.where(fit.success, intensity, np.nan)
    err = np.where(fit.success, err, np.nan)
    return EdgeProfile(
        edge=edge,
        position_nm=position,
        intensity=intensity,
        intensity_err=err,
        background=fit,
        signal_window_ev=signal,
        background_window_ev=bg,
        overlaps=tuple(o.name for o in others),
        success=fit.success,
        position_unit=unit,
    )


def edge_profiles(data: EELSData, edges, *, windows=None, elements=None, background: str = "power-law") -> EdgeProfiles:
    """Profiles of several edges of one line scan.

    Parameters
    ----------
    data : EELSData
        Core-loss line scan.
    edges : iterable of str
        Edge names.
    windows : Mapping[str, ((float, float), (float, float))], optional
        Per edge name, (background_window_ev, signal_window_ev).
    elements : iterable of str, optional
        Elements present, for the overlap check.
    background : {"power-law", "none"}
        Background model.

    Returns
    -------
    EdgeProfiles
    """
    windows = windows or {}
    out = []
    for name in edges:
        bg, sig = windows.get(name, (None, None))
        out.append(
            edge_profile(data, name, signal_window_ev=sig, background_window_ev=bg, background=background, elements=elements)
        )
    return EdgeProfiles(tuple(out))


@dataclass(frozen=True)
class EdgeRatio:
    """Ratio of two edge profiles of one scan.

    Attributes
    ----------
    numerator, denominator : str
        Edge names.
    position_nm : ndarray, shape (n,)
        Scan positions.
    ratio, ratio_err : ndarray, shape (n,)
        Ratio of the intensities and its propagated standard uncertainty.
    """

    numerator: str
    denominator: str
    position_nm: np.ndarray
    ratio: np.ndarray
    ratio_err: np.ndarray


def edge_ratio(numerator: EdgeProfile, denominator: EdgeProfile) -> EdgeRatio:
    """Ratio of two edge profiles of the same scan, with uncertainty.

    A ratio is the usual way out when two edges cannot be separated (e.g. Li K
    on the Co M2,3 edge): its changes along the scan are still meaningful.
    """
    if numerator.intensity.shape != denominator.intensity.shape:
        raise ValueError("the two profiles come from scans of different length")
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = numerator.intensity / denominator.intensity
        err = np.abs(ratio) * np.hypot(
            numerator.intensity_err / numerator.intensity, denominator.intensity_err / denominator.intensity
        )
    return EdgeRatio(numerator.edge.name, denominator.edge.name, numerator.position_nm, ratio, err)


def fit_overlapping_edges(
    data: EELSData,
    references,
    *,
    background_window_ev,
    fit_window_ev,
) -> EdgeProfiles:
    """Separate overlapping edges by a least-squares fit of reference edge shapes.

    The power-law background is fitted in ``background_window_ev`` and
    removed (Egerton 2011, §4.4.2); the remainder in ``fit_window_ev`` is
    fitted, spectrum by spectrum, as a linear combination Σ_k c_k R_k of the
    background-free reference shapes R_k (multiple linear least squares,
    Egerton 2011, §4.5.2 and Leapman & Swyt, Ultramicroscopy 26 (1988) 393,
    doi:10.1016/0304-3991(88)90239-2), weighted by the Poisson variance of
    the counts. Each edge's intensity is c_k · Σ R_k over the fit window.

    Parameters
    ----------
    data : EELSData
        Core-loss line scan.
    references : Mapping[str, ndarray]
        Edge name (``"Co L2,3"``) → background-free shape on the data's
        energy axis, shape ``(n_channels,)`` (e.g. from a region of pure
        material, or a calculated cross-section).
    background_window_ev, fit_window_ev : (float, float)
        Windows, eV.

    Returns
    -------
    EdgeProfiles
        One profile per reference; errors from the fit covariance.

    Raises
    ------
    ValueError
        On references of the wrong length, windows outside the data, or
        references that are linearly dependent in the fit window.
    """
    energy = data.energy_loss_ev
    names = [get_edge(name) for name in references]
    shapes = np.array([np.asarray(r, dtype=float) for r in references.values()])
    if shapes.ndim != 2 or shapes.shape[1] != energy.size:
        raise ValueError(f"each reference must have the data's {energy.size} channels")
    bg = _check_window("background_window_ev", background_window_ev, energy)
    window = _check_window("fit_window_ev", fit_window_ev, energy)
    position, unit = _positions(data)
    b_slice, f_slice = _window_slice(energy, bg), _window_slice(energy, window)
    fit = fit_power_law(energy[b_slice], data.counts[:, b_slice])
    e_fit = energy[f_slice]
    design = shapes[:, f_slice].T
    if np.linalg.matrix_rank(design) < design.shape[1]:
        raise ValueError("the references are linearly dependent in fit_window_ev")
    totals = design.sum(axis=0)
    n = data.counts.shape[0]
    coef = np.full((n, len(names)), np.nan)
    coef_err = np.full((n, len(names)), np.nan)
    for i in np.nonzero(fit.success)[0]:
        counts = data.counts[i, f_slice]
        signal = counts - fit.amplitude[i] * e_fit ** (-fit.exponent[i])
        weight = 1.0 / np.clip(counts, 1.0, None)
        normal = design.T @ (weight[:, None] * design)
        cov = np.linalg.inv(normal)
        coef[i] = cov @ (design.T @ (weight * signal))
        coef_err[i] = np.sqrt(np.diag(cov))
    profiles = tuple(
        EdgeProfile(
            edge=edge,
            position_nm=position,
            intensity=coef[:, k] * totals[k],
            intensity_err=coef_err[:, k] * abs(totals[k]),
            background=fit,
            signal_window_ev=window,
            background_window_ev=bg,
            overlaps=tuple(other.name for other in names if other != edge),
            success=fit.success,
            position_unit=unit,
        )
        for k, edge in enumerate(names)
    )
    return EdgeProfiles(profiles)
