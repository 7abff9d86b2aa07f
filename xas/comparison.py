"""Before/after comparison of two XANES spectra with a noise-aware verdict.

Both spectra are normalised with the same ranges (relative to each E0); the
"after" curve is interpolated onto the "before" grid and

* the difference spectrum Δ(E) = after − before,
* the R-factor R = Σ Δ² / Σ before² over the window (as in Athena/Larch
  linear-combination fitting; Ravel & Newville 2005),
* max |Δ| in the window,
* the edge shift, from aligning the derivatives (:func:`xas.align`),

are computed. The per-point noise σ of each normalised spectrum is estimated
from its second differences, σ = 1.4826·MAD(Δ²y)/√6, since for white noise
the second difference y[i−1] − 2y[i] + y[i+1] has variance 6σ² and the
median absolute deviation is insensitive to the few points where the edge
itself curves (Rousseeuw & Croux, J. Am. Stat. Assoc. 88, 1273 (1993),
doi:10.1080/01621459.1993.10476408). The spectra are judged *changed* when

* Σ (r/σ_Δ)² over the window, σ_Δ² = σ_before² + σ_after², exceeds the
  χ² quantile of probability 1 − ``significance`` (N − 3 degrees of
  freedom), where r is what remains of Δ after a least-squares fit of
  a + b·(E − E0) + c·before(E): these three terms are what independent
  noise in the pre-edge line (offset, slope) and in the edge step does to a
  normalised spectrum, so they are not taken for a change of the sample;
  what remains is a change in shape, e.g. a new feature; or
* the edge shift exceeds both ``min_shift_ev`` and 3 standard errors.

Noise that is correlated between neighbouring points (oversampled or
smoothed data) makes σ an underestimate and the verdict too strict; the
noise estimate is reported so that the verdict can be judged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import chi2

from xas.alignment import AlignmentResult, align
from xas.normalization import NormalizedXAS, normalize, require_edge

__all__ = ["SHIFT_DISAGREEMENT_EV", "XASComparison", "compare", "estimate_noise", "shifts_disagree"]

ARRAYS = ("norm", "flat")


def estimate_noise(values) -> float:
    """Per-point white-noise σ of a curve from the MAD of its second differences.

    Parameters
    ----------
    values : array_like, shape (n,), n ≥ 5
        The curve (e.g. a normalised spectrum), same units as the result.

    Returns
    -------
    float
        σ = 1.4826 · median(|d − median(d)|) / √6 with d the second differences.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> round(estimate_noise(rng.normal(0, 0.01, 20000)), 3)
    0.01
    """
    values = np.asarray(values, dtype=float)
    if values.size < 5:
        raise ValueError(f"need at least 5 points to estimate noise, got {values.size}")
    d2 = values[:-2] - 2.0 * values[1:-1] + values[2:]
    return float(1.4826 * np.median(np.abs(d2 - np.median(d2))) / np.sqrt(6.0))


@dataclass(frozen=True)
class XASComparison:
    """Result of :func:`compare`.

    Attributes
    ----------
    energy_ev : ndarray, shape (n,)
        The "before" grid inside the window, eV.
    before, after, difference : ndarray, shape (n,)
        Normalised curves (after interpolated onto the before grid) and after − before.
    e0_before_ev, e0_after_ev : float
        Edge energies, eV.
    edge_shift_ev, edge_shift_stderr_ev : float
        Shift of the after edge relative to before (positive = to higher energy), eV.
    r_factor : float
        Σ Δ² / Σ before² in the window.
    max_abs_difference : float
        Largest |Δ| in the window (normalised units).
    max_abs_difference_energy_ev : float
        Where it occurs, eV.
    noise_sigma : float
        Per-point noise σ_Δ of the difference used for the test.
    chi2_reduced : float
        Σ (r/σ_Δ)² / (N − 3), r the difference left after removing the
        normalization nuisance terms (≈ 1 for identical spectra).
    p_value : float
        Probability of a χ² at least that large from noise alone.
    shift_significant, shape_significant, changed : bool
    verdict : str
        ``"unchanged within noise"`` or ``"changed"`` with the reason.
    window_ev : tuple of float
        Absolute window, eV.
    significance, min_shift_ev : float
        Test settings used.
    label_before, label_after : str
    alignment : AlignmentResult
    """

    energy_ev: np.ndarray
    before: np.ndarray
    after: np.ndarray
    difference: np.ndarray
    e0_before_ev: float
    e0_after_ev: float
    edge_shift_ev: float
    edge_shift_stderr_ev: float
    r_factor: float
    max_abs_difference: float
    max_abs_difference_energy_ev: float
    noise_sigma: float
    chi2_reduced: float
    p_value: float
    shift_significant: bool
    shape_significant: bool
    changed: bool
    verdict: str
    window_ev: tuple[float, float]
    significance: float
    min_shift_ev: float
    label_before: str
    label_after: str
    alignment: AlignmentResult

    @property
    def e0_shift_ev(self) -> float:
        """E0 after − E0 before (first-derivative maxima), eV."""
        return self.e0_after_ev - self.e0_before_ev

    @property
    def shift_ambiguous(self) -> bool:
        """True when the shapes differ and the alignment and E0 shifts disagree (:func:`shifts_disagree`)."""
        return shifts_disagree(self.edge_shift_ev, self.edge_shift_stderr_ev, self.e0_shift_ev,
                               self.shape_significant)

    def summary(self) -> dict:
        """Flat, JSON-safe key numbers (units in the keys)."""
        return {
            "e0_before_ev": self.e0_before_ev, "e0_after_ev": self.e0_after_ev, "e0_shift_ev": self.e0_shift_ev,
            "shift_ambiguous": self.shift_ambiguous,
            "edge_shift_ev": self.edge_shift_ev, "edge_shift_stderr_ev": self.edge_shift_stderr_ev,
            "r_factor": self.r_factor, "max_abs_difference": self.max_abs_difference,
            "max_abs_difference_energy_ev": self.max_abs_difference_energy_ev,
            "noise_sigma": self.noise_sigma, "chi2_reduced": self.chi2_reduced, "p_value": self.p_value,
            "changed": self.changed, "verdict": self.verdict,
            "window_min_ev": self.window_ev[0], "window_max_ev": self.window_ev[1],
        }

    def shift_text(self) -> str:
        """"ΔE0 = …, aligned …" for titles: both shifts, which differ when the line shape changed."""
        return f"ΔE0 = {self.e0_shift_ev:+.2f} eV, derivative alignment {self.edge_shift_ev:+.2f} eV"

    def report(self) -> str:
        """One-paragraph plain-text report."""
        return (f"{self.label_after or 'after'} vs {self.label_before or 'before'}: {self.verdict}; "
                f"edge shift {self.edge_shift_ev:+.3f} ± {self.edge_shift_stderr_ev:.3f} eV, "
                f"R-factor {self.r_factor:.2e}, max |Δ| {self.max_abs_difference:.4f} at "
                f"{self.max_abs_difference_energy_ev:.1f} eV, χ²_red {self.chi2_reduced:.2f} "
                f"(noise σ {self.noise_sigma:.2e})")

    def plot(self, ax=None):
        """Overlay of both curves with the difference (±3σ band) underneath.

        Parameters
        ----------
        ax : sequence of two Axes, optional
            Upper and lower axes; a new figure with two stacked panels when None.

        Returns
        -------
        ndarray of Axes
            The two axes (overlay, difference).
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1.4]},
                                 figsize=(6, 5))
        top, bottom = ax[0], ax[1]
        top.plot(self.energy_ev, self.before, label=self.label_before or "before")
        top.plot(self.energy_ev, self.after, label=self.label_after or "after")
        top.set_ylabel("normalised μ(E)")
        top.legend(loc="lower right")
        top.set_title(f"{self.verdict}\n{self.shift_text()}, R = {self.r_factor:.1e}", fontsize=9)
        bottom.fill_between(self.energy_ev, -3 * self.noise_sigma, 3 * self.noise_sigma, color="0.85",
                            label="±3σ noise")
        bottom.plot(self.energy_ev, self.difference, color="k", lw=0.9, label="after − before")
        bottom.set_xlabel("Energy (eV)")
        bottom.set_ylabel("Δμ")
        bottom.legend(loc="upper right", fontsize=7)
        return np.asarray(ax)


#: Alignment and E0 shifts further apart than this, eV (or 3 standard errors of the alignment), on spectra
#: whose shapes differ significantly, are two different numbers: no single edge shift describes the change.
SHIFT_DISAGREEMENT_EV = 1.0


def shifts_disagree(alignment_shift_ev: float, alignment_stderr_ev: float, e0_shift_ev: float,
                    shape_significant: bool) -> bool:
    """Whether an edge shift is ill-defined: the shapes differ and the two shift estimates disagree.

    The derivative alignment (:func:`xas.align`) finds the shift that best superposes two edges of the
    same shape; E0 (the first-derivative maximum) is one point of each edge. For a change of species
    (e.g. sulfide to sulfate, S K-edge, ~10 eV apart) the alignment matches different features and the
    two disagree; then neither is "the" edge shift.

    Parameters
    ----------
    alignment_shift_ev, alignment_stderr_ev : float
        Alignment shift and its standard error, eV (NaN error: 0 is used).
    e0_shift_ev : float
        E0 after − E0 before, eV.
    shape_significant : bool
        The shape test's verdict.
    """
    err = alignment_stderr_ev if np.isfinite(alignment_stderr_ev) else 0.0
    return bool(shape_significant) and abs(alignment_shift_ev - e0_shift_ev) > max(SHIFT_DISAGREEMENT_EV, 3 * err)


def _normalize_pair(before, after, normalization: dict | None):
    options = dict(normalization or {})
    if isinstance(before, NormalizedXAS) and isinstance(after, NormalizedXAS):
        return before, after
    first = before if isinstance(before, NormalizedXAS) else normalize(before, **options)
    second = after if isinstance(after, NormalizedXAS) else normalize(after, **first.ranges())
    return first, second


def compare(before, after, *, window_ev=(-20.0, 50.0), array: str = "norm", significance: float = 1e-3,
            min_shift_ev: float = 0.2, noise_floor: float = 1e-4,
            normalization: dict | None = None) -> XASComparison:
    """Compare an "after" spectrum with a "before" spectrum and judge whether it changed.

    Parameters
    ----------
    before, after : XASSpectrum or NormalizedXAS
        Raw spectra are normalised: ``before`` with ``normalization``
        (keyword arguments of :func:`xas.normalize`, e.g. an edge preset's
        ranges), ``after`` with the ranges ``before`` ended up using.
    window_ev : tuple of float
        Comparison window relative to the before E0, eV.
    array : {"norm", "flat"}
        Which normalised curve to compare.
    significance : float
        False-alarm probability of the χ² shape test (0 < significance < 1).
    min_shift_ev : float
        Smallest edge shift reported as a change, eV.
    noise_floor : float
        Lower bound on the per-spectrum noise σ (normalised units), so that
        noise-free (synthetic) data do not turn interpolation error into a change.
    normalization : dict, optional
        Options for normalising ``before``.

    Returns
    -------
    XASComparison

    Raises
    ------
    ValueError
        For a bad option, a window holding fewer than 5 points, or a spectrum
        without an absorption edge (flat μ).

    Examples
    --------
    >>> import numpy as np
    >>> from xas.spectrum import XASSpectrum
    >>> e = np.linspace(2440, 2540, 501)
    >>> edge = lambda c: 0.5 + np.arctan((e - c) / 0.7) / np.pi
    >>> compare(XASSpectrum(e, edge(2472.0)), XASSpectrum(e, edge(2472.5))).changed
    True
    """
    if array not in ARRAYS:
        raise ValueError(f"array={array!r} is not one of {ARRAYS}")
    if not 0 < significance < 1:
        raise ValueError(f"significance={significance!r} must lie between 0 and 1")
    if not (min_shift_ev >= 0 and noise_floor >= 0):
        raise ValueError("min_shift_ev and noise_floor must be >= 0")
    first, second = _normalize_pair(before, after, normalization)
    require_edge(first, role="before spectrum")
    require_edge(second, role="after spectrum")
    lo = max(first.e0_ev + window_ev[0], first.energy_ev[0], second.energy_ev[0])
    hi = min(first.e0_ev + window_ev[1], first.energy_ev[-1], second.energy_ev[-1])
    inside = (first.energy_ev >= lo) & (first.energy_ev <= hi)
    if inside.sum() < 5:
        raise ValueError(f"comparison window [{lo:.1f}, {hi:.1f}] eV holds fewer than 5 points")
    energy = first.energy_ev[inside]
    y_before = getattr(first, array)[inside]
    y_after = np.interp(energy, second.energy_ev, getattr(second, array))
    difference = y_after - y_before
    sigma = float(np.hypot(max(estimate_noise(getattr(first, array)), noise_floor),
                           max(estimate_noise(getattr(second, array)), noise_floor)))
    nuisance = np.column_stack([np.ones_like(energy), (energy - first.e0_ev) / 10.0, y_before])
    coefs, *_ = np.linalg.lstsq(nuisance, difference, rcond=None)
    unexplained = difference - nuisance @ coefs
    dof = difference.size - nuisance.shape[1]
    statistic = float(np.sum((unexplained / sigma) ** 2))
    p_value = float(chi2.sf(statistic, dof))
    shape_significant = p_value < significance
    alignment = align(second, first, emin=window_ev[0], emax=min(window_ev[1], 35.0))
    shift, shift_err = -alignment.shift_ev, alignment.shift_stderr_ev
    err_for_test = shift_err if np.isfinite(shift_err) else 0.0
    shift_significant = abs(shift) > max(min_shift_ev, 3.0 * err_for_test)
    changed = bool(shape_significant or shift_significant)
    reasons = []
    e0_shift = second.e0_ev - first.e0_ev
    if shifts_disagree(shift, shift_err, e0_shift, shape_significant):
        reasons.append(f"E0 shift {e0_shift:+.2f} eV, derivative-alignment shift {shift:+.2f} eV: the line shapes "
                       "differ (a new species?), so no single edge shift describes the change")
    elif shift_significant:
        reasons.append(f"edge shift {shift:+.2f} eV")
    if shape_significant:
        reasons.append(f"difference above noise (p = {p_value:.1e})")
    verdict = "changed: " + ", ".join(reasons) if changed else "unchanged within noise"
    worst = int(np.argmax(np.abs(difference)))
    return XASComparison(
        energy_ev=energy, before=y_before, after=y_after, difference=difference,
        e0_before_ev=first.e0_ev, e0_after_ev=second.e0_ev, edge_shift_ev=shift,
        edge_shift_stderr_ev=shift_err,
        r_factor=float(np.sum(difference**2) / np.sum(y_before**2)),
        max_abs_difference=float(abs(difference[worst])), max_abs_difference_energy_ev=float(energy[worst]),
        noise_sigma=sigma, chi2_reduced=statistic / dof, p_value=p_value,
        shift_significant=bool(shift_significant), shape_significant=bool(shape_significant), changed=changed,
        verdict=verdict, window_ev=(float(lo), float(hi)), significance=float(significance),
        min_shift_ev=float(min_shift_ev), label_before=first.label, label_after=second.label,
        alignment=alignment,
    )
