"""Two overlapping edges separated along a line scan, with references taken from the scan itself.

The Co L2,3 edge of a cathode and the Ba M4,5 edge of a BaTiO3 coating lie
2 eV apart (779/794 and 781/796 eV), so a window integral of "Co L2,3" at a
coated interface counts Co + Ba. Multiple linear least squares with
background-free reference shapes separates them (Egerton, *Electron
Energy-Loss Spectroscopy in the Electron Microscope*, 3rd ed., Springer
2011, §4.5.2, doi:10.1007/978-1-4419-9583-4; Leapman & Swyt,
Ultramicroscopy 26 (1988) 393, doi:10.1016/0304-3991(88)90239-2): each
spectrum, after its own power-law background is removed, is fitted as
c_1 R_1 + c_2 R_2 (:func:`eels.core_loss.fit_overlapping_edges`).

The references come from the scan, as Leapman & Swyt recommend for
specimens with regions of known composition:

* ``edges[0]`` (Co L2,3): the mean background-free spectrum of the
  ``n_reference`` pixels at the end of the scan where the edge signal is
  largest — the coating-free cathode;
* ``edges[1]`` (Ba M4,5): the pixels, among those with at least a quarter
  of the largest edge signal, whose spectrum the first reference explains
  worst (the largest fraction of the signal left after fitting it with
  the first reference alone, and at least 80 % of that largest fraction)
  — the Ba-rich coating or the other end.

or from regions named by ``reference_positions_nm``. Which pixels were used
is part of the result. A reference taken from a mixed region carries the
other element into the fit: a Ba reference with a fraction f of Co moves f
of the Ba signal into the Co profile, so references should come from where
each element is alone; the result says so when the second element is not
found at all (quality ``"warning"``) and then fits the first one only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from eels.core_loss import (
    EdgeProfiles,
    _check_window,
    _positions,
    _window_slice,
    default_windows,
    fit_overlapping_edges,
    fit_power_law,
)
from eels.data import EELSData
from eels.edges import get_edge

__all__ = ["SeparatedEdges", "separate_overlapping_edges"]

#: Pixels whose edge signal is under this fraction of the largest cannot give the second reference.
_SIGNAL_FRACTION = 0.25
#: Below this unexplained fraction of the signal no pixel holds the second element.
_MIN_UNEXPLAINED = 0.05


@dataclass(frozen=True)
class SeparatedEdges:
    """Profiles of overlapping edges separated by a reference fit.

    Attributes
    ----------
    profiles : EdgeProfiles
        One profile per edge; ``profiles["Co L2,3"]`` holds Co only.
    references : dict of str to ndarray, shape (n_channels,)
        Background-free reference shape of each edge on the data's axis
        (zero outside the fit window), counts.
    reference_positions_nm : dict of str to tuple of float
        Scan positions whose spectra made each reference.
    reference_source : str
        ``"scan (automatic)"`` or ``"scan (given regions)"``.
    unexplained_fraction : ndarray, shape (n_positions,)
        Fraction of each spectrum's edge signal that the first reference
        alone leaves unexplained (large where the second element is).
    energy_loss_ev : ndarray, shape (n_channels,)
        Energy axis of the references, eV.
    quality : str
        ``"ok"`` or ``"warning"``.
    quality_reasons : tuple of str
        Why, when not ``"ok"``.
    """

    profiles: EdgeProfiles
    references: dict = field(repr=False)
    reference_positions_nm: dict
    reference_source: str
    unexplained_fraction: np.ndarray
    energy_loss_ev: np.ndarray = field(repr=False)
    quality: str = "ok"
    quality_reasons: tuple[str, ...] = ()

    def summary(self) -> dict:
        """The profiles' summary (same keys as :func:`eels.edge_profiles`) and how they were separated."""
        out = self.profiles.summary()
        out["overlap_fit_edges"] = " + ".join(p.edge.name for p in self.profiles.profiles)
        out["overlap_reference_source"] = self.reference_source
        for name, where in self.reference_positions_nm.items():
            key = name.lower().replace(",", "").replace(" ", "_")
            out[f"{key}_reference_positions"] = ", ".join(f"{x:g}" for x in where)
        out["overlap_quality"] = self.quality
        out["overlap_quality_reasons"] = "; ".join(self.quality_reasons)
        return out

    def plot(self, ax=None, *, normalize: bool = True, interface_nm: float = 0.0):
        """The separated profiles against distance from the interface (see :meth:`EdgeProfiles.plot`)."""
        return self.profiles.plot(ax, normalize=normalize, interface_nm=interface_nm)

    def plot_references(self, ax=None):
        """The reference shapes used in the fit.

        Returns
        -------
        matplotlib.axes.Axes
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 4))
        energy = self.energy_loss_ev
        for name, shape in self.references.items():
            where = ", ".join(f"{x:g}" for x in self.reference_positions_nm[name])
            ax.plot(energy, shape, lw=1, label=f"{name} (from x = {where})")
        ax.set_xlim(*self.profiles.profiles[0].signal_window_ev)
        ax.set_xlabel("energy loss (eV)")
        ax.set_ylabel("background-free counts")
        ax.legend(fontsize=8)
        return ax


def _background_free(data: EELSData, background_window_ev, fit_window_ev) -> np.ndarray:
    """Each spectrum minus its power-law background, inside the fit window (zero elsewhere)."""
    energy = data.energy_loss_ev
    b_slice, f_slice = _window_slice(energy, background_window_ev), _window_slice(energy, fit_window_ev)
    fit = fit_power_law(energy[b_slice], data.counts[:, b_slice])
    out = np.zeros(data.counts.shape, dtype=float)
    e_fit = energy[f_slice]
    model = fit.amplitude[:, None] * e_fit[None, :] ** (-fit.exponent[:, None])
    out[:, f_slice] = data.counts[:, f_slice] - model
    out[~fit.success] = np.nan
    return out


def _unexplained(signals: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Fraction of each row's squared norm that a least-squares multiple of ``reference`` leaves."""
    norm = float(reference @ reference)
    coef = signals @ reference / norm
    residual = signals - coef[:, None] * reference[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.einsum("ij,ij->i", residual, residual) / np.einsum("ij,ij->i", signals, signals)


def _region(position: np.ndarray, bounds, name: str) -> np.ndarray:
    try:
        lo, hi = (float(b) for b in bounds)
    except (TypeError, ValueError):
        raise ValueError(f"reference_positions_nm[{name!r}]={bounds!r} must be (low, high) in nm") from None
    chosen = np.nonzero((position >= min(lo, hi)) & (position <= max(lo, hi)))[0]
    if chosen.size == 0:
        raise ValueError(
            f"reference_positions_nm[{name!r}]={bounds!r} holds no scan position "
            f"(the scan runs {position[0]:g}..{position[-1]:g})"
        )
    return chosen


def separate_overlapping_edges(
    data: EELSData,
    edges=("Co L2,3", "Ba M4,5"),
    *,
    reference_positions_nm=None,
    background_window_ev=None,
    fit_window_ev=None,
    n_reference: int = 3,
) -> SeparatedEdges:
    """Profiles of two overlapping edges along a line scan, separated with references from the scan.

    Parameters
    ----------
    data : EELSData
        Core-loss line scan, counts of shape ``(n_positions, n_channels)``.
    edges : (str, str)
        The two edges; ``edges[0]`` is the element found alone at one end of
        the scan (the cathode's Co), ``edges[1]`` the other (the coating's Ba).
    reference_positions_nm : Mapping[str, (float, float)], optional
        Scan region (nm, or pixels for an uncalibrated scan) where each
        edge's element is alone; found automatically when omitted (see the
        module docstring).
    background_window_ev : (float, float), optional
        Power-law background window below both edges, eV; the default
        window of the lower edge (:func:`eels.default_windows`).
    fit_window_ev : (float, float), optional
        Fit window, eV; default from 3 eV below the lower onset to the end
        of the later edge's default signal window.
    n_reference : int
        Pixels averaged for the automatic end-of-scan reference.

    Returns
    -------
    SeparatedEdges

    Raises
    ------
    ValueError
        On a bad window, a region without scan positions, not two edges,
        or data that are not a line scan.

    Examples
    --------
    >>> import numpy as np
    >>> from eels import EELSData, NavigationAxis
    >>> from eels.synthetic import core_loss_edge, power_law
    >>> e = np.arange(700.0, 860.0, 0.5)
    >>> x = np.arange(-10.0, 11.0)
    >>> co, ba = (x < 0).astype(float), ((x >= 0) & (x < 3)).astype(float)
    >>> co_shape = core_loss_edge(e, 779, white_lines_ev=(779.5, 794.5), white_line_strength=3)
    >>> ba_shape = core_loss_edge(e, 781, white_lines_ev=(782, 797), white_line_strength=4)
    >>> counts = power_law(e, 2e11, 3.0) + 300 * co[:, None] * co_shape + 300 * ba[:, None] * ba_shape
    >>> data = EELSData(e, counts, (NavigationAxis("x", "nm", 1.0, -10.0, x.size),))
    >>> result = separate_overlapping_edges(data)
    >>> result.reference_positions_nm["Ba M4,5"]
    (0.0, 1.0, 2.0)
    >>> co_profile = result.profiles["Co L2,3"].normalized()
    >>> bool(np.all(np.abs(co_profile[x >= 0]) < 0.01))  # no Co where the Ba layer is
    True
    """
    names = [get_edge(name).name for name in edges]
    if len(names) != 2 or names[0] == names[1]:
        raise ValueError(f"edges={edges!r} must name two different edges")
    first, second = (get_edge(name) for name in names)
    energy = data.energy_loss_ev
    position, _ = _positions(data)
    low, high = sorted((first, second), key=lambda e: e.onset_ev)
    default_bg, _ = default_windows(low, energy)
    bg = _check_window("background_window_ev", background_window_ev or default_bg, energy)
    default_fit = (low.onset_ev - 3.0, min(high.onset_ev + high.signal_width_ev, float(energy[-1])))
    window = _check_window("fit_window_ev", fit_window_ev or default_fit, energy)
    if not isinstance(n_reference, (int, np.integer)) or n_reference < 1:
        raise ValueError(f"n_reference={n_reference!r} must be a positive integer")
    free = _background_free(data, bg, window)
    f_slice = _window_slice(energy, window)
    signal = np.nansum(free[:, f_slice], axis=1)
    reasons: list[str] = []
    if reference_positions_nm is not None:
        source = "scan (given regions)"
        chosen = {name: _region(position, reference_positions_nm.get(name), name) for name in names}
        references = {name: np.nanmean(free[idx], axis=0) for name, idx in chosen.items()}
        unexplained = _unexplained(np.nan_to_num(free[:, f_slice]), references[names[0]][f_slice])
    else:
        source = "scan (automatic)"
        k = min(n_reference, max(1, position.size // 4))
        ends = (np.arange(k), np.arange(position.size - k, position.size))
        rich_end = max(ends, key=lambda idx: float(np.nanmean(signal[idx])))
        first_ref = np.nanmean(free[rich_end], axis=0)
        unexplained = _unexplained(np.nan_to_num(free[:, f_slice]), first_ref[f_slice])
        eligible = signal >= _SIGNAL_FRACTION * np.nanmax(signal)
        eligible[rich_end] = False
        score = np.where(eligible & np.isfinite(unexplained), unexplained, -np.inf)
        best = float(np.max(score)) if score.size else -np.inf
        chosen = {names[0]: rich_end}
        references = {names[0]: first_ref}
        if best < _MIN_UNEXPLAINED:
            reasons.append(
                f"no pixel holds a {names[1]} signal that the {names[0]} reference cannot explain (largest "
                f"unexplained fraction {max(best, 0.0):.3f}): {names[0]} fitted alone"
            )
        else:
            second_idx = np.nonzero(score >= 0.8 * best)[0]
            chosen[names[1]] = second_idx
            references[names[1]] = np.nanmean(free[second_idx], axis=0)
    profiles = fit_overlapping_edges(
        data,
        {name: np.nan_to_num(ref) for name, ref in references.items()},
        background_window_ev=bg,
        fit_window_ev=window,
    )
    return SeparatedEdges(
        profiles=profiles,
        references=references,
        reference_positions_nm={name: tuple(float(position[i]) for i in idx) for name, idx in chosen.items()},
        reference_source=source,
        unexplained_fraction=unexplained,
        energy_loss_ev=energy,
        quality="warning" if reasons else "ok",
        quality_reasons=tuple(reasons),
    )
