"""Pre-edge subtraction and edge-step normalization, as Athena and Larch do it.

For a spectrum μ(E) with edge energy E0 (:mod:`xas.e0`):

* pre-edge line: a straight line fitted to μ·E^nvict on [E0+pre1, E0+pre2],
  divided by E^nvict (nvict = 0: a plain line; with fewer than three points
  in the range a constant, the mean of μ there);
* post-edge curve: pre-edge line + a polynomial of degree ``nnorm`` fitted to
  μ − pre_edge on [E0+norm1, E0+norm2];
* edge step: post_edge − pre_edge at the grid point nearest E0;
* ``norm`` = (μ − pre_edge) / edge_step;
* ``flat``: above E0, ``norm`` minus the normalised post-edge curvature
  ((post_edge − pre_edge)/step, offset to be zero at E0); equal to ``norm``
  below E0.

Defaults (all ranges in eV relative to E0), as xraylarch 2026.3.1's
``preedge`` computes them — where its docstring says otherwise, the code is
followed (see the notes):

* ``pre1`` = 5·round((E₁ − E0)/5) with E₁ the second energy point
  (2·round(·/2) when E0 lies within the first 20 points), but never below
  the first point; ``pre2`` = pre1/2 (the docstring says pre1/3);
* ``norm2`` = 5·round((E_max − E0)/5), but never beyond the last point;
  ``norm1`` = min(25, 5·round(norm2/15)), and at most norm2 − 2;
* ``nnorm`` = 2 if norm2 − norm1 ≥ 300, 1 if ≥ 30, else 0 (at most 5).
  Athena's "normalization order" n is a polynomial of degree n − 1.

The pre-edge fit uses the points from the last one at or below E0+pre1 up
to, but excluding, the one nearest E0+pre2; the post-edge fit likewise from
E0+norm1 to the point nearest E0+norm2 (excluded).

References
----------
B. Ravel, M. Newville, "ATHENA, ARTEMIS, HEPHAESTUS: data analysis for
X-ray absorption spectroscopy using IFEFFIT", J. Synchrotron Rad. 12, 537
(2005), doi:10.1107/S0909049505012719.
M. Newville, "Larch: an analysis package for XAFS and related
spectroscopies", J. Phys.: Conf. Ser. 430, 012007 (2013),
doi:10.1088/1742-6596/430/1/012007.

Notes
-----
Larch's docstring also states that the post-edge polynomial is fitted to
μ·E^nvict; its code fits μ − pre_edge without the factor, and so does this
module.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from xas.e0 import find_e0_index

__all__ = ["NormalizedXAS", "normalize", "normalize_arrays", "MAX_NNORM", "require_edge"]

#: An edge step below this fraction of max |μ| (or μ varying by less) counts as no edge at all.
_NO_EDGE_FRACTION = 1e-9


def require_edge(normalized, *, role: str = "spectrum") -> None:
    """Raise ValueError when ``normalized`` (a NormalizedXAS) has no absorption edge (flat μ).

    A shift, a difference or a verdict computed from a flat spectrum would be
    a confident number about nothing, so the analyses that need an edge
    (:func:`xas.align`, :func:`xas.compare`) refuse it, naming ``role``.
    """
    mu = np.asarray(normalized.mu, dtype=float)
    size = float(np.max(np.abs(mu))) if mu.size else 0.0
    if np.ptp(mu) <= _NO_EDGE_FRACTION * size or normalized.edge_step <= _NO_EDGE_FRACTION * size:
        label = f" {normalized.label!r}" if normalized.label else ""
        raise ValueError(
            f"the {role}{label} has no absorption edge (μ is flat: range {np.ptp(mu):.3g}, "
            f"edge step {normalized.edge_step:.3g}); there is no energy to align or compare"
        )

MAX_NNORM = 5


def _index_at_or_below(energy_ev: np.ndarray, value: np.ndarray) -> np.ndarray:
    return np.maximum(np.searchsorted(energy_ev, value, side="right") - 1, 0)


def _index_nearest(energy_ev: np.ndarray, value: np.ndarray) -> np.ndarray:
    right = np.clip(np.searchsorted(energy_ev, value, side="left"), 0, energy_ev.size - 1)
    left = np.maximum(right - 1, 0)
    pick_left = np.abs(energy_ev[left] - value) <= np.abs(energy_ev[right] - value)
    return np.where(pick_left, left, right)


def _masked_polyfit(x: np.ndarray, y: np.ndarray, lo: np.ndarray, hi: np.ndarray, degree: int) -> np.ndarray:
    """Least-squares polynomial per row of ``y`` over columns [lo, hi).

    Returns ascending coefficients, shape (m, degree + 1), in the variable ``x``.
    Solved through the normal equations of a centred, scaled variable.
    """
    centre = 0.5 * (x[0] + x[-1])
    scale = max(0.5 * (x[-1] - x[0]), 1e-12)
    t = (x - centre) / scale
    columns = np.arange(x.size)
    weight = ((columns[None, :] >= lo[:, None]) & (columns[None, :] < hi[:, None])).astype(float)
    powers = t[:, None] ** np.arange(2 * degree + 1)[None, :]
    moments = weight @ powers
    gram = moments[:, np.add.outer(np.arange(degree + 1), np.arange(degree + 1))]
    rhs = (weight * y) @ powers[:, : degree + 1]
    scaled = (np.linalg.pinv(gram) @ rhs[..., None])[..., 0]
    # back to coefficients in x: p(t) with t = (x - c)/s
    out = np.zeros_like(scaled)
    for k in range(degree + 1):
        binom = np.array([math.comb(k, j) for j in range(k + 1)], dtype=float)
        for j in range(k + 1):
            out[:, j] += scaled[:, k] * binom[j] * (-centre) ** (k - j) / scale**k
    return out


def _polyval(coefs: np.ndarray, x: np.ndarray) -> np.ndarray:
    result = np.zeros((coefs.shape[0], x.size))
    for k in range(coefs.shape[1] - 1, -1, -1):
        result = result * x[None, :] + coefs[:, k : k + 1]
    return result


def _check_range(name: str, value) -> None:
    if value is not None and not np.all(np.isfinite(np.asarray(value, dtype=float))):
        raise ValueError(f"{name}={value!r} must be finite")


def normalize_arrays(energy_ev, mu, *, e0=None, pre1=None, pre2=None, norm1=None, norm2=None,
                     nnorm=None, nvict=0) -> dict:
    """Vectorised core of :func:`normalize` for spectra on one energy grid.

    Parameters
    ----------
    energy_ev : ndarray, shape (n,)
        Strictly increasing energies, eV.
    mu : ndarray, shape (m, n)
        Spectra, one per row.
    e0 : float or ndarray of shape (m,), optional
        Edge energies, eV; found from the derivative where None or outside
        [E₁, E_{n−2}].
    pre1, pre2, norm1, norm2 : float, optional
        Fit ranges, eV relative to E0 (defaults in the module docstring).
    nnorm : int, optional
        Degree of the post-edge polynomial, 0–5.
    nvict : float
        Energy exponent of the pre-edge fit (μ·E^nvict is fitted).

    Returns
    -------
    dict of ndarray
        ``e0_ev``, ``e0_found``, ``edge_step``, ``norm``, ``flat``,
        ``pre_edge``, ``post_edge``, ``pre1``, ``pre2``, ``norm1``, ``norm2``,
        ``nnorm``, ``npre``, ``nvict``, ``pre_coefs`` (m, 2), ``norm_coefs``
        (m, MAX_NNORM + 1), ``negative_step``, one entry per row.
    """
    energy = np.asarray(energy_ev, dtype=float)
    mu = np.atleast_2d(np.asarray(mu, dtype=float))
    m, n = mu.shape
    if energy.ndim != 1 or energy.size != n:
        raise ValueError(f"energy_ev has shape {energy.shape}, mu rows have {n} points")
    if n < 5:
        raise ValueError(f"at least 5 energy points are needed, got {n}")
    if np.any(np.diff(energy) <= 0):
        raise ValueError("energy_ev must be strictly increasing")
    if not np.all(np.isfinite(mu)):
        raise ValueError("mu contains NaN or infinite values")
    for name, value in (("e0", e0), ("pre1", pre1), ("pre2", pre2), ("norm1", norm1), ("norm2", norm2),
                        ("nvict", nvict)):
        _check_range(name, value)
    if nnorm is not None and (int(nnorm) != nnorm or not 0 <= nnorm <= MAX_NNORM):
        raise ValueError(f"nnorm={nnorm!r} must be an integer from 0 to {MAX_NNORM}")

    e0_given = np.full(m, np.nan) if e0 is None else np.broadcast_to(np.asarray(e0, dtype=float), (m,)).copy()
    need = ~((e0_given >= energy[1]) & (e0_given <= energy[-2]))
    e0_found = np.ones(m, dtype=bool)
    if need.any():
        index, found = find_e0_index(energy, mu[need])
        e0_given[need] = energy[index]
        e0_found[need] = found
    e0v = e0_given
    ie0 = _index_nearest(energy, e0v)

    if pre1 is None:
        p1 = np.where(ie0 > 20, 5.0 * np.round((energy[1] - e0v) / 5.0), 2.0 * np.round((energy[1] - e0v) / 2.0))
    else:
        p1 = np.full(m, float(pre1))
    p1 = np.maximum(p1, energy[0] - e0v)
    p2 = 0.5 * p1 if pre2 is None else np.full(m, float(pre2))
    p1, p2 = np.minimum(p1, p2), np.maximum(p1, p2)
    few = (_index_at_or_below(energy, e0v + p2) - _index_at_or_below(energy, e0v + p1)) < 3
    npre = np.where(few, 0, 1)
    vict = np.where(few, 0.0, float(nvict))

    n2 = 5.0 * np.round((energy[-1] - e0v) / 5.0) if norm2 is None else np.full(m, float(norm2))
    n2 = np.where(n2 < 0, energy[-1] - e0v - n2, n2)
    n2 = np.minimum(n2, energy[-1] - e0v)
    n1 = np.minimum(25.0, 5.0 * np.round(n2 / 15.0)) if norm1 is None else np.full(m, float(norm1))
    n1, n2 = np.minimum(n1, n2), np.maximum(n1, n2)
    n1 = np.minimum(n1, n2 - 2.0)
    if nnorm is None:
        degree = np.where(n2 - n1 < 30, 0, np.where(n2 - n1 < 300, 1, 2))
    else:
        degree = np.full(m, int(nnorm))

    # pre-edge line (or constant)
    lo = _index_at_or_below(energy, p1 + e0v)
    hi = _index_nearest(energy, p2 + e0v)
    hi_line = np.where(hi - lo < 2, np.minimum(n, lo + 2), hi)
    hi_const = np.where(hi == lo, hi + 1, hi)
    weighted = mu * energy[None, :] ** vict[:, None]
    pre_coefs = np.zeros((m, 2))
    line_rows = npre == 1
    if line_rows.any():
        pre_coefs[line_rows] = _masked_polyfit(energy, weighted[line_rows], lo[line_rows], hi_line[line_rows], 1)
    if (~line_rows).any():
        pre_coefs[~line_rows, :1] = _masked_polyfit(energy, mu[~line_rows], lo[~line_rows], hi_const[~line_rows], 0)
    pre_edge = _polyval(pre_coefs, energy) * energy[None, :] ** (-vict[:, None])

    # post-edge polynomial
    lo = _index_at_or_below(energy, n1 + e0v)
    hi = _index_nearest(energy, n2 + e0v)
    lo = np.minimum(lo, n - 3)
    short = hi - lo < 2
    lo = np.where(short, lo - 2, lo)
    degree = np.where(short, 0, np.where(hi - lo < 5, np.minimum(1, degree), degree))
    norm_coefs = np.zeros((m, MAX_NNORM + 1))
    residual = mu - pre_edge
    for deg in np.unique(degree):
        rows = degree == deg
        norm_coefs[rows, : deg + 1] = _masked_polyfit(energy, residual[rows], lo[rows], hi[rows], int(deg))
    post_edge = pre_edge + _polyval(norm_coefs, energy)

    rows = np.arange(m)
    raw_step = post_edge[rows, ie0] - pre_edge[rows, ie0]
    step = np.maximum(1e-12, np.abs(raw_step))
    norm = (mu - pre_edge) / step[:, None]
    residue = (post_edge - pre_edge) / step[:, None]
    flat = norm - residue + residue[rows, ie0][:, None]
    below = np.arange(n)[None, :] < ie0[:, None]
    flat = np.where(below, norm, flat)
    return {
        "e0_ev": e0v, "e0_found": e0_found, "edge_step": step, "negative_step": raw_step <= 0,
        "norm": norm, "flat": flat, "pre_edge": pre_edge, "post_edge": post_edge,
        "pre1": p1, "pre2": p2, "norm1": n1, "norm2": n2, "nnorm": degree, "npre": npre, "nvict": vict,
        "pre_coefs": pre_coefs, "norm_coefs": norm_coefs,
    }


@dataclass(frozen=True)
class NormalizedXAS:
    """A pre-edge-subtracted, edge-step-normalised spectrum.

    Attributes
    ----------
    energy_ev : ndarray, shape (n,)
        Energies, eV.
    mu : ndarray, shape (n,)
        The input μ(E).
    e0_ev : float
        Edge energy used, eV.
    edge_step : float
        Post-edge minus pre-edge at E0 (units of μ).
    norm, flat : ndarray, shape (n,)
        Normalised and flattened μ(E) (dimensionless, ≈ 0 below and ≈ 1 above the edge).
    pre_edge, post_edge : ndarray, shape (n,)
        Fitted pre-edge line and post-edge curve (units of μ).
    pre1_ev, pre2_ev, norm1_ev, norm2_ev : float
        Fit ranges actually used, eV relative to E0.
    nnorm : int
        Degree of the post-edge polynomial used.
    nvict : float
        Energy exponent of the pre-edge fit used.
    npre : int
        1 for a pre-edge line, 0 for a constant (too few points).
    pre_coefs : tuple of float
        Pre-edge (offset, slope per eV) of μ·E^nvict.
    norm_coefs : tuple of float
        Post-edge polynomial coefficients, ascending powers of E (eV).
    e0_found : bool
        False when E0 had to fall back (no clean derivative maximum); always
        True when E0 was given.
    label : str
    source : str or None
    element, edge : str or None
    """

    energy_ev: np.ndarray
    mu: np.ndarray
    e0_ev: float
    edge_step: float
    norm: np.ndarray
    flat: np.ndarray
    pre_edge: np.ndarray
    post_edge: np.ndarray
    pre1_ev: float
    pre2_ev: float
    norm1_ev: float
    norm2_ev: float
    nnorm: int
    nvict: float
    npre: int
    pre_coefs: tuple[float, ...]
    norm_coefs: tuple[float, ...]
    e0_found: bool = True
    label: str = ""
    source: str | None = None
    element: str | None = None
    edge: str | None = None
    metadata: dict = field(default_factory=dict)

    def ranges(self) -> dict:
        """The fit ranges and degrees used, as keyword arguments of :func:`normalize`."""
        return {"pre1": self.pre1_ev, "pre2": self.pre2_ev, "norm1": self.norm1_ev,
                "norm2": self.norm2_ev, "nnorm": self.nnorm, "nvict": self.nvict}

    def summary(self) -> dict:
        """Flat, JSON-safe key numbers (units in the keys)."""
        return {
            "label": self.label, "element": self.element, "edge": self.edge,
            "e0_ev": float(self.e0_ev), "edge_step": float(self.edge_step),
            "pre1_ev": float(self.pre1_ev), "pre2_ev": float(self.pre2_ev),
            "norm1_ev": float(self.norm1_ev), "norm2_ev": float(self.norm2_ev),
            "nnorm": int(self.nnorm), "nvict": float(self.nvict), "e0_found": bool(self.e0_found),
        }

    def report(self) -> str:
        """One-paragraph plain-text report."""
        s = self.summary()
        return (f"{self.label or 'spectrum'}: E0 = {s['e0_ev']:.2f} eV, edge step = {s['edge_step']:.4g}; "
                f"pre-edge [{s['pre1_ev']:.1f}, {s['pre2_ev']:.1f}] eV, post-edge "
                f"[{s['norm1_ev']:.1f}, {s['norm2_ev']:.1f}] eV, nnorm = {s['nnorm']}")

    def plot(self, ax=None, *, kind: str = "norm"):
        """Plot ``"norm"``, ``"flat"`` or ``"mu"`` (μ with the fitted lines); returns the Axes."""
        import matplotlib.pyplot as plt

        kinds = ("norm", "flat", "mu")
        if kind not in kinds:
            raise ValueError(f"kind={kind!r} is not one of {kinds}")
        if ax is None:
            _, ax = plt.subplots()
        if kind == "mu":
            ax.plot(self.energy_ev, self.mu, label="μ(E)")
            ax.plot(self.energy_ev, self.pre_edge, "--", label="pre-edge")
            ax.plot(self.energy_ev, self.post_edge, "--", label="post-edge")
            ax.set_ylabel("μ(E) (arb. units)")
        else:
            ax.plot(self.energy_ev, getattr(self, kind), label=self.label or kind)
            ax.set_ylabel(f"{kind} μ(E)")
        ax.axvline(self.e0_ev, color="0.6", lw=0.8, ls=":")
        ax.set_xlabel("Energy (eV)")
        ax.legend()
        return ax


def normalize(spectrum, *, e0=None, pre1=None, pre2=None, norm1=None, norm2=None, nnorm=None,
              nvict=0) -> NormalizedXAS:
    """Pre-edge subtract and normalise one spectrum (Athena/Larch conventions).

    Parameters
    ----------
    spectrum : XASSpectrum
        Anything with ``energy_ev`` (eV, increasing) and ``mu`` arrays.
    e0 : float, optional
        Edge energy, eV. Found from the derivative when None (or outside the
        data).
    pre1, pre2 : float, optional
        Pre-edge fit range, eV relative to E0 (negative).
    norm1, norm2 : float, optional
        Post-edge fit range, eV relative to E0 (positive).
    nnorm : int, optional
        Degree of the post-edge polynomial (0–5; Athena order − 1).
    nvict : float
        Energy exponent for the pre-edge fit (default 0).

    Returns
    -------
    NormalizedXAS

    Warns
    -----
    RuntimeWarning
        When the fitted edge step is not positive (its magnitude is used, as
        Larch does), or when E0 lies more than 20 eV from the tabulated edge
        of the spectrum's element.

    Examples
    --------
    >>> import numpy as np
    >>> from xas.spectrum import XASSpectrum
    >>> e = np.linspace(2100, 2250, 301)
    >>> mu = 0.2 + 0.001 * (e - 2100) + 0.5 * (0.5 + np.arctan((e - 2150) / 0.5) / np.pi)
    >>> result = normalize(XASSpectrum(e, mu))
    >>> round(result.e0_ev, 1)
    2150.0
    """
    energy = np.asarray(spectrum.energy_ev, dtype=float)
    out = normalize_arrays(energy, np.asarray(spectrum.mu, dtype=float)[None, :], e0=e0, pre1=pre1, pre2=pre2,
                           norm1=norm1, norm2=norm2, nnorm=nnorm, nvict=nvict)
    label = getattr(spectrum, "label", "")
    if out["negative_step"][0]:
        warnings.warn(f"{label or 'spectrum'}: fitted edge step is not positive; its magnitude is used",
                      RuntimeWarning, stacklevel=2)
    element, edge = getattr(spectrum, "element", None), getattr(spectrum, "edge", None)
    if element and edge:
        from xas.edges import check_e0

        check_e0(float(out["e0_ev"][0]), element, edge)
    degree = int(out["nnorm"][0])
    return NormalizedXAS(
        energy_ev=energy, mu=np.asarray(spectrum.mu, dtype=float), e0_ev=float(out["e0_ev"][0]),
        edge_step=float(out["edge_step"][0]), norm=out["norm"][0], flat=out["flat"][0],
        pre_edge=out["pre_edge"][0], post_edge=out["post_edge"][0], pre1_ev=float(out["pre1"][0]),
        pre2_ev=float(out["pre2"][0]), norm1_ev=float(out["norm1"][0]), norm2_ev=float(out["norm2"][0]),
        nnorm=degree, nvict=float(out["nvict"][0]), npre=int(out["npre"][0]),
        pre_coefs=tuple(float(c) for c in out["pre_coefs"][0]),
        norm_coefs=tuple(float(c) for c in out["norm_coefs"][0][: degree + 1]),
        e0_found=bool(out["e0_found"][0]), label=label, source=getattr(spectrum, "source", None),
        element=element, edge=edge, metadata=dict(getattr(spectrum, "metadata", {})),
    )
