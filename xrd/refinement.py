"""Whole-pattern refinement with intensities fixed by the structures (Rietveld-like).

The model of the pattern is

    y(2θ) = b_SNIP(2θ) + Σ_k c_k T_k(2θ) + Σ_p S_p Σ_hkl I_hkl,p [Ω(2θ - 2θ1_hkl) + R Ω(2θ - 2θ2_hkl)]
            + Σ_j A_j Ω_j(2θ - 2θ_j)

with I_hkl,p the per-cell integrated intensities of pymatgen (``scaled=False``),
Ω an area-normalised pseudo-Voigt of width FWHM_p^2 = W_p + U_p tan^2 θ, R the
K-alpha2/K-alpha1 ratio, 2θ1,2 from Bragg's law for the refined lattice plus a
zero shift, T_k Chebyshev polynomials, and the last sum optional "unindexed"
peaks of fixed position and width that no phase accounts for (an unknown
phase). The scale factors S_p, unindexed-peak areas A_j and background
coefficients c_k enter linearly and are solved exactly (bounded linear least
squares, S_p >= 0, A_j >= 0) inside every evaluation of the non-linear parameters
(zero shift, pseudo-Voigt mixing, lattice parameters under the constraints of
the crystal system, widths): variable projection (Golub & Pereyra, SIAM J.
Numer. Anal. 10 (1973) 413, doi:10.1137/0710036), with Kaufman's Jacobian built
from the analytic derivatives of the profiles (:meth:`_Model.jacobian`). Profiles
are rendered for all peaks at once (:func:`xrd.profiles.render_sticks`).

Weight fractions follow Hill & Howard (J. Appl. Cryst. 20 (1987) 467,
doi:10.1107/S0021889887086199): W_p = S_p (ZMV)_p / Σ_i S_i (ZMV)_i, where ZM
is the mass of the unit-cell contents and V the refined cell volume; this holds
because the pymatgen intensities are per unit cell, exactly like |F|^2 in a
Rietveld scale. The agreement factor is
Rwp = sqrt(Σ w (y - y_calc)^2 / Σ w y^2) with w = 1/σ^2 (Young, The Rietveld
Method, IUCr/OUP 1993, ch. 1).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import numpy as np
from numpy.polynomial import chebyshev
from scipy import optimize

from ssbkit.errors import FitError
from xrd.pattern import Pattern
from xrd.processing import snip_background
from xrd.profiles import pseudo_voigt, render_stick_derivatives, render_sticks
from xrd.references import ReferencePattern

__all__ = ["FixedShapeFit", "PhaseResult", "Refinement", "bragg_two_theta_deg", "d_spacing_angstrom", "fit_fixed_shapes",
           "lattice_constraints", "refine_phases"]

_TICK_COLORS = ("C2", "C1", "C4", "C5", "C6", "C8", "C9", "C7")  # C0 (difference) and C3 (calculated) excluded
_LATTICE_NAMES = ("a_angstrom", "b_angstrom", "c_angstrom", "alpha_deg", "beta_deg", "gamma_deg")


def d_spacing_angstrom(hkl, lattice) -> np.ndarray:
    """Interplanar spacings from Miller indices and cell parameters.

    1/d^2 = h^T G* h with G* the inverse of the direct metric tensor G
    (International Tables for Crystallography Vol. B, ch. 1.1).

    Parameters
    ----------
    hkl : array_like of int, shape (m, 3)
        Miller indices.
    lattice : array_like, shape (6,)
        a, b, c in angstrom; alpha, beta, gamma in degrees.

    Returns
    -------
    ndarray, shape (m,)
        d in angstrom.
    """
    a, b, c = lattice[:3]
    al, be, ga = np.radians(lattice[3:6])
    metric = np.array([
        [a * a, a * b * np.cos(ga), a * c * np.cos(be)],
        [a * b * np.cos(ga), b * b, b * c * np.cos(al)],
        [a * c * np.cos(be), b * c * np.cos(al), c * c],
    ])
    h = np.asarray(hkl, dtype=float)
    inv_d2 = np.einsum("ij,jk,ik->i", h, np.linalg.inv(metric), h)
    return 1.0 / np.sqrt(inv_d2)


def bragg_two_theta_deg(d_angstrom, wavelength_angstrom: float):
    """Diffraction angles from interplanar spacings by Bragg's law, λ = 2 d sin θ.

    Parameters
    ----------
    d_angstrom : array_like, shape (m,)
        Interplanar spacings, angstrom.
    wavelength_angstrom : float
        Wavelength, angstrom.

    Returns
    -------
    two_theta_deg : ndarray
        2θ in degrees of the reflections that diffract (λ / 2d < 1), in input order.
    diffracts : ndarray of bool, shape (m,)
        Which reflections those are.
    """
    sin = wavelength_angstrom / (2 * np.asarray(d_angstrom, dtype=float))
    diffracts = sin < 1
    return np.degrees(2 * np.arcsin(sin[diffracts])), diffracts


def _counting_sigma(pattern: Pattern) -> np.ndarray:
    """The pattern's standard deviations, or Poisson ones, sqrt(max(counts, 1))."""
    return pattern.sigma if pattern.sigma is not None else np.sqrt(np.maximum(pattern.intensity.astype(float), 1.0))


def lattice_constraints(lattice, *, rel_tol: float = 1e-4):
    """Free cell parameters allowed by the metric of a cell.

    Lengths equal within ``rel_tol`` are tied; angles of 90 or 120 degrees are
    fixed; other equal angles are tied (rhombohedral axes). For cells in their
    conventional setting this reproduces the constraints of the crystal system.

    Returns
    -------
    fixed : ndarray, shape (6,)
        The constant part of the cell (zeros where a free parameter enters).
    tie : ndarray, shape (6, k)
        0/1 matrix mapping the k free parameters onto the six cell parameters.
    start : ndarray, shape (k,)
        Starting values of the free parameters.
    """
    lattice = np.asarray(lattice, dtype=float)
    fixed = lattice.copy()
    columns, start = [], []
    for first, last in ((0, 3), (3, 6)):
        used = [False] * 6
        for i in range(first, last):
            if used[i]:
                continue
            if i >= 3 and (abs(lattice[i] - 90) < 1e-3 or abs(lattice[i] - 120) < 1e-3):
                continue
            column = np.zeros(6)
            for j in range(i, last):
                if not used[j] and abs(lattice[j] - lattice[i]) <= rel_tol * abs(lattice[i]):
                    column[j] = 1.0
                    used[j] = True
                    fixed[j] = 0.0
            columns.append(column)
            start.append(lattice[i])
    return fixed, np.array(columns).T.reshape(6, -1), np.array(start)


@dataclass(frozen=True)
class PhaseResult:
    """One refined phase.

    Parameters
    ----------
    name, formula, space_group, card : str
        From the reference.
    lattice, lattice_error : ndarray, shape (6,)
        Refined a, b, c (angstrom), alpha, beta, gamma (degrees) and standard errors (NaN when not estimable;
        0 for parameters fixed by symmetry).
    volume_a3 : float
        Refined cell volume in cubic angstrom.
    scale, scale_error : float
        Scale factor S_p multiplying the per-cell intensities, and its standard error.
    weight_fraction, weight_fraction_error : float
        Hill-Howard weight fraction (0-1) and its total standard error: the statistical and
        systematic parts below, added in quadrature.
    fwhm_w_deg2, fwhm_u_deg2 : float
        Width parameters (FWHM^2 = W + U tan^2 θ, deg^2).
    peak_two_theta_deg : ndarray
        K-alpha1 reflection positions of the refined cell inside the pattern range (zero shift included).
    hkl : ndarray of int, shape (m, 3)
        Their Miller indices.
    peak_intensity : ndarray
        Their scaled integrated intensities (counts x degrees), preferred orientation included.
    orientation_hkl : tuple of int or None
        Reciprocal-lattice direction of the refined March-Dollase preferred orientation (None: random powder).
    march_dollase_r, march_dollase_r_error : float
        Its ratio r (1 for a random powder) and standard error (0 when not refined).
    cell_strain : float
        Largest relative deviation of a refined cell length from the reference structure's
        (fraction). A few tenths of a percent is usual (temperature, composition, a reference
        of another laboratory); percents mean the phase's reflections were fitted to other peaks.
    weight_fraction_stat_error : float
        Statistical part: from the scale covariance (counting statistics scaled by the reduced chi-square).
    weight_fraction_sys_error : float
        Systematic part of the intensity model (see :func:`_systematic_fraction_errors`): the spread
        of the fractions refitted on three angular segments, or 10 % of the fraction (relative) when
        the segments cannot tell.
    """

    name: str
    formula: str
    space_group: str
    card: str
    lattice: np.ndarray
    lattice_error: np.ndarray
    volume_a3: float
    scale: float
    scale_error: float
    weight_fraction: float
    weight_fraction_error: float
    fwhm_w_deg2: float
    fwhm_u_deg2: float
    peak_two_theta_deg: np.ndarray
    hkl: np.ndarray
    peak_intensity: np.ndarray
    orientation_hkl: tuple | None = None
    march_dollase_r: float = 1.0
    march_dollase_r_error: float = 0.0
    cell_strain: float = 0.0
    weight_fraction_stat_error: float = float("nan")
    weight_fraction_sys_error: float = float("nan")

    def fwhm_deg(self, two_theta_deg):
        """Refined FWHM in degrees at the given angles."""
        t = np.tan(np.radians(np.asarray(two_theta_deg)) / 2)
        return np.sqrt(self.fwhm_w_deg2 + self.fwhm_u_deg2 * t * t)

    def summary(self) -> dict:
        out = {"name": self.name, "formula": self.formula, "space_group": self.space_group, "card": self.card}
        for key, value, error in zip(_LATTICE_NAMES, self.lattice, self.lattice_error):
            out[key] = float(value)
            out[key.replace("_angstrom", "_error_angstrom").replace("_deg", "_error_deg")] = float(error)
        out.update({"volume_a3": self.volume_a3, "weight_fraction_pct": 100 * self.weight_fraction,
                    "weight_fraction_error_pct": 100 * self.weight_fraction_error,
                    "weight_fraction_stat_error_pct": 100 * self.weight_fraction_stat_error,
                    "weight_fraction_sys_error_pct": 100 * self.weight_fraction_sys_error,
                    "orientation_hkl": "" if self.orientation_hkl is None else " ".join(map(str, self.orientation_hkl)),
                    "march_dollase_r": self.march_dollase_r, "cell_strain_pct": 100 * self.cell_strain})
        return out


@dataclass(frozen=True)
class Refinement:
    """Result of :func:`refine_phases`.

    Parameters
    ----------
    two_theta_deg, observed, calculated, background : ndarray, shape (n,)
        The fitted pattern, the model and its background part.
    phase_curves : tuple of ndarray
        Each phase's contribution (without background).
    phases : tuple of PhaseResult
        Refined phases, in the order given.
    zero_shift_deg, zero_shift_error_deg : float
        Refined zero shift (observed = true + zero) and its standard error.
    eta : float
        Lorentzian fraction of the pseudo-Voigt.
    rwp, rexp : float
        Weighted-profile and expected R factors (fractions, not percent).
    success : bool
        Whether the optimiser converged.
    message : str
        The optimiser's message.
    wavelength_angstrom : float
        Primary wavelength used.
    errors_estimated : bool
        Whether the covariance could be computed (else errors are NaN).
    parameters : dict
        Settings of the refinement (background terms, K-alpha2 ratio, the phases whose lattice was searched).
    unindexed_peaks_deg, unindexed_areas : ndarray
        Positions (degrees) and refined areas (counts x degrees) of the unindexed peaks modelled
        as free peaks (empty when none were given).
    unindexed_curve : ndarray or None
        Their summed contribution (counts), part of ``calculated``.
    """

    two_theta_deg: np.ndarray
    observed: np.ndarray
    calculated: np.ndarray
    background: np.ndarray
    phase_curves: tuple
    phases: tuple
    zero_shift_deg: float
    zero_shift_error_deg: float
    eta: float
    rwp: float
    rexp: float
    success: bool
    message: str
    wavelength_angstrom: float
    errors_estimated: bool = True
    parameters: dict = field(default_factory=dict)
    unindexed_peaks_deg: np.ndarray = field(default_factory=lambda: np.zeros(0))
    unindexed_areas: np.ndarray = field(default_factory=lambda: np.zeros(0))
    unindexed_curve: np.ndarray | None = None

    @property
    def gof(self) -> float:
        """Goodness of fit (Rwp / Rexp)^2."""
        return (self.rwp / self.rexp) ** 2 if self.rexp > 0 else float("nan")

    def phase(self, name_or_formula: str) -> PhaseResult:
        """The phase with this name or reduced formula."""
        for phase in self.phases:
            if name_or_formula in (phase.name, phase.formula):
                return phase
        raise KeyError(f"no phase {name_or_formula!r}; refined: {[p.name for p in self.phases]}")

    def summary(self) -> dict:
        """Flat, JSON-safe key numbers: R factors, zero shift and per phase wt% and cell."""
        out = {"rwp_pct": 100 * self.rwp, "rexp_pct": 100 * self.rexp, "gof": self.gof,
               "zero_shift_deg": self.zero_shift_deg, "zero_shift_error_deg": self.zero_shift_error_deg,
               "eta": self.eta, "n_phases": len(self.phases), "n_unindexed_peaks": int(self.unindexed_peaks_deg.size),
               "success": self.success}
        for phase in self.phases:
            tag = phase.formula if sum(p.formula == phase.formula for p in self.phases) == 1 else phase.name
            out[f"wfrac_{tag}_pct"] = 100 * phase.weight_fraction
            out[f"wfrac_{tag}_error_pct"] = 100 * phase.weight_fraction_error
            for key, value in zip(_LATTICE_NAMES, phase.lattice):
                if key.endswith("_angstrom") or (abs(value - 90) > 1e-6 and abs(value - 120) > 1e-6):
                    out[f"{key.split('_')[0]}_{tag}_{key.split('_')[1]}"] = float(value)
        return out

    def plot(self, ax=None, *, title: str | None = None):
        """Publication-style Rietveld plot: observed points, calculated line,
        difference curve below, and one row of reflection ticks per phase.

        Returns
        -------
        matplotlib.axes.Axes
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(7.5, 4.5))
        x, yo, yc = self.two_theta_deg, self.observed, self.calculated
        top = float(np.max(yo))
        diff = yo - yc
        span = max(top - float(np.min(yc)), 1.0)
        ax.plot(x, yo, "o", ms=2.0, mfc="none", mec="k", mew=0.5, label="observed")
        ax.plot(x, yc, "-", color="C3", lw=0.9, label="calculated")
        ax.plot(x, self.background, "-", color="0.6", lw=0.7, label="background")
        n = len(self.phases)
        tick_height = 0.05 * span
        base = float(np.min(yc)) - 0.04 * span
        for i, phase in enumerate(self.phases):
            y0 = base - (i + 1) * 1.3 * tick_height
            ax.vlines(phase.peak_two_theta_deg, y0, y0 + tick_height, color=_TICK_COLORS[i % len(_TICK_COLORS)], lw=0.8,
                      label=f"{phase.formula} {phase.space_group}: {100 * phase.weight_fraction:.1f} wt%")
        if self.unindexed_peaks_deg.size:
            n += 1
            y0 = base - n * 1.3 * tick_height
            ax.vlines(self.unindexed_peaks_deg, y0, y0 + tick_height, color="0.4", lw=0.8, linestyles="dotted",
                      label="unindexed peaks (free areas)")
        offset = base - (n + 1) * 1.3 * tick_height - max(diff.max(), 0) - 0.02 * span
        ax.plot(x, diff + offset, "-", color="C0", lw=0.7, label="difference")
        ax.axhline(offset, color="0.8", lw=0.5)
        ax.set_xlim(x[0], x[-1])
        ax.set_xlabel(r"2$\theta$ (deg)")
        ax.set_ylabel("intensity (counts)")
        ax.set_yticks([])
        ax.legend(fontsize=7, loc="upper right", frameon=False)
        ax.set_title(title or f"Rwp = {100 * self.rwp:.2f} %, λ = {self.wavelength_angstrom:.4f} Å", fontsize=9)
        return ax


def _bounded_normal_solve(gram, rhs, n_nonneg):
    """Least squares from the normal equations with the first ``n_nonneg`` coefficients >= 0.

    Active-set method of Lawson & Hanson (Solving Least Squares Problems, SIAM 1995, ch. 23)
    on the small Gram matrix: columns whose coefficient goes negative are clamped to zero and
    released again when the gradient says they would help.
    """
    k = rhs.size
    free = np.ones(k, bool)
    nonneg = np.arange(k) < n_nonneg
    release_above = 1e-12 * np.abs(rhs) + 1e-300
    ridge = 1e-12 * np.trace(gram) / max(k, 1)
    for _ in range(3 * k + 3):
        idx = np.flatnonzero(free)
        sub = gram[np.ix_(idx, idx)]
        sub.flat[::idx.size + 1] += ridge
        coef = np.zeros(k)
        coef[idx] = np.linalg.solve(sub, rhs[idx])
        negative = np.flatnonzero(free & nonneg & (coef < 0))
        if negative.size:
            free[negative[np.argmin(coef[negative])]] = False
            continue
        gradient = rhs - gram @ coef
        release = np.flatnonzero(~free & nonneg & (gradient > release_above))
        if not release.size:
            break
        free[release[np.argmax(gradient[release])]] = True
    return coef


def _weighted_solve(a, target, sigma, n_nonneg):
    """Least squares of ``target ≈ a @ coef`` with weights 1/sigma^2 and the first ``n_nonneg``
    coefficients >= 0 (:func:`_bounded_normal_solve` on columns scaled to unit norm).

    Returns
    -------
    coef, weighted residual, Gram matrix of the unit-norm weighted columns, column norms
    """
    return _solve_weighted_columns(a / sigma[:, None], target / sigma, n_nonneg)


def _solve_weighted_columns(aw, b, n_nonneg):
    """:func:`_weighted_solve` given the weighted design ``aw`` = a / sigma and target ``b`` = target / sigma;
    the column norms are the square roots of the Gram matrix's diagonal (one matrix product, no scaled copy
    of the design)."""
    gram = aw.T @ aw
    norms = np.sqrt(np.diag(gram))
    norms[norms == 0] = 1.0
    gram /= np.outer(norms, norms)
    coef = _bounded_normal_solve(gram, (aw.T @ b) / norms, n_nonneg) / norms
    return coef, b - aw @ coef, gram, norms


class _Model:
    """Everything needed to evaluate the pattern for a parameter vector."""

    def __init__(self, pattern, references, background, n_background, sigma, orientations=None,
                 unindexed_peaks=None):
        self.x = pattern.two_theta_deg
        self.y = pattern.intensity.astype(float)
        self.sigma = sigma
        self.wavelength = pattern.wavelength_angstrom
        self.ratio = pattern.kalpha2_ratio
        self.wavelength2 = pattern.wavelength2_angstrom
        self.background = background
        self.refs = references
        self._memo: dict[tuple, object] = {}
        # reflections weaker than 1e-3 of the strongest are below any counting noise; skip them
        self.strong = [ref.intensity >= 1e-3 * ref.intensity.max() if ref.intensity.size else
                       np.zeros(0, bool) for ref in references]
        self.hkl = [np.asarray(ref.hkl[strong], dtype=float) for ref, strong in zip(references, self.strong)]
        self.cheb = _chebyshev_basis(self.x, n_background)
        self.target_weighted = (self.y - background) / sigma
        # unindexed peaks: fixed unit-area pseudo-Voigts whose non-negative areas are solved with the scales
        positions, fwhm = (np.zeros(0), np.zeros(0)) if unindexed_peaks is None else \
            (np.asarray(v, dtype=float).ravel() for v in unindexed_peaks)
        self.free = np.stack([pseudo_voigt(self.x, c, w, 0.5) for c, w in zip(positions, fwhm)], axis=1) \
            if positions.size else np.zeros((self.x.size, 0))
        self.ties = [lattice_constraints(ref.lattice) for ref in references]
        orientations = [None] * len(references) if orientations is None else list(orientations)
        self.po_cos2 = [None if o is None else _orientation_cosines(ref.hkl[strong], ref.lattice, o)
                        for ref, strong, o in zip(references, self.strong, orientations)]
        # parameter layout: [zero, eta, per phase (lattice free..., W, U[, March-Dollase r])]
        self.slices, self.po_index, start = [], [], 2
        for (fixed, tie, s), cos2 in zip(self.ties, self.po_cos2):
            self.slices.append(slice(start, start + tie.shape[1]))
            start += tie.shape[1] + 2
            self.po_index.append(start if cos2 is not None else None)
            start += cos2 is not None
        self.n_params = start
        # weighted design matrix of solve(): the phase and unindexed-peak columns are written per call
        self.design_weighted = np.empty((self.x.size, len(references) + self.free.shape[1] + self.cheb.shape[1]))
        self.design_weighted[:, self.design_weighted.shape[1] - self.cheb.shape[1]:] = self.cheb / sigma[:, None]

    def lattice(self, q, p):
        fixed, tie, _ = self.ties[p]
        return fixed + tie @ q[self.slices[p]]

    def widths(self, q, p):
        end = self.slices[p].stop
        return q[end], q[end + 1]

    def sticks(self, q, p):
        """Positions (K-alpha1 then K-alpha2), areas and FWHM of phase p."""
        angles, ok, ok2 = self._bragg_angles(p, self.lattice(q, p))
        inten = self.refs[p].intensity[self.strong[p]]
        if self.po_index[p] is not None:
            inten = inten * self._orientation_factor(p, q[self.po_index[p]])
        inten = inten[ok]
        pos = [angle + q[0] for angle in angles]
        areas = [inten]
        if ok2 is not None:
            areas.append(self.ratio * inten[ok2])
        pos = np.concatenate(pos)
        w, u = self.widths(q, p)
        t = np.tan(np.radians(pos) / 2)
        fwhm = np.sqrt(np.maximum(w + u * t * t, 1e-6))
        return pos, np.concatenate(areas), fwhm

    def _bragg_angles(self, p, lattice):
        """Bragg angles 2θ (degrees, no zero shift) of phase p's strong reflections for a cell: the
        K-alpha1 angles of the reflections in ``ok``, then (with a K-alpha2 ratio) the K-alpha2 angles of
        those of them in ``ok2`` (else None). Remembered per cell: most evaluations change no cell."""

        def compute():
            d = d_spacing_angstrom(self.hkl[p], lattice)
            first, ok = bragg_two_theta_deg(d, self.wavelength)
            angles, ok2 = [first], None
            if self.ratio > 0:
                second, ok2 = bragg_two_theta_deg(d[ok], self.wavelength2)
                angles.append(second)
            return angles, ok, ok2

        return _remember(self._memo, ("bragg", p, *lattice.tolist()), compute)

    def _orientation_factor(self, p, r):
        """March-Dollase factors of phase p's strong reflections for ratio r (remembered per r)."""
        return _remember(self._memo, ("po", p, float(r)), lambda: _march_dollase(self.po_cos2[p], r))

    def phase_key(self, q, p, broaden):
        sl = self.slices[p]
        stop = sl.stop + 2 + (self.po_index[p] is not None)
        return (float(q[0]), float(q[1]), broaden) + tuple(q[sl.start:stop].tolist())

    def curves(self, q, *, broaden=1.0):
        """Rendered unit-scale curve of every phase, then the unindexed-peak columns; a phase is
        re-rendered only when its parameters differ from those of its last few renders."""
        cols = []
        for p in range(len(self.refs)):

            def render(p=p):
                pos, areas, fwhm = self.sticks(q, p)
                return render_sticks(self.x, pos, areas, fwhm * broaden, float(np.clip(q[1], 0, 1)))

            cols.append(_remember(self._memo, ("curve", p) + self.phase_key(q, p, broaden), render))
        return np.concatenate([np.stack(cols, axis=1), self.free], axis=1)

    def solve(self, curves):
        """Scales and unindexed-peak areas (>= 0), then background coefficients; returns
        (coef, weighted residual, Gram matrix of the unit-norm columns, norms)."""
        aw = self.design_weighted
        np.divide(curves, self.sigma[:, None], out=aw[:, :curves.shape[1]])
        return _solve_weighted_columns(aw, self.target_weighted, curves.shape[1])

    def residual(self, q, broaden=1.0):
        return self.solve(self.curves(q, broaden=broaden))[1]

    def jacobian(self, q, broaden=1.0):
        """Jacobian of :meth:`residual` with respect to q, shape (points, parameters).

        Kaufman's approximation of the variable-projection Jacobian (Kaufman, BIT 15 (1975) 49,
        doi:10.1007/BF01932995): J = -P (dA/dq) c, with c the solved linear coefficients and P the projector
        onto the complement of the design's columns that are free (those not held at zero by their bound).
        It drops a term whose product with the residual vanishes, so the gradient J^T r is exact and the
        least squares converge to the same minimum as with the full Jacobian. dA/dq holds the analytic
        derivatives of the rendered phase curves (:meth:`_curve_derivatives`), so no parameter is perturbed
        and no curve re-rendered.
        """
        curves = self.curves(q, broaden=broaden)
        coef = self.solve(curves)[0]
        moved = np.zeros((self.n_params, self.x.size))  # transposed: rows added and scaled in place
        for p in range(len(self.refs)):
            if coef[p] > 0:
                index, rows = self._curve_derivatives(q, p, broaden)
                moved[index] += coef[p] * rows
        moved /= self.sigma
        free = np.ones(coef.size, bool)
        free[:curves.shape[1]] = coef[:curves.shape[1]] > 0
        basis = np.linalg.qr(self.design_weighted[:, free])[0]  # the design solve() just wrote
        return ((moved @ basis) @ basis.T - moved).T

    def _curve_derivatives(self, q, p, broaden):
        """Derivatives of phase p's unit-scale curve (:meth:`curves`) with respect to the parameters it
        depends on: the indices of those parameters in q, and the derivatives as rows (len(indices), points).

        By the chain rule through the peaks' positions, widths, areas and the Lorentzian fraction
        (:func:`xrd.profiles.render_stick_derivatives`): Bragg's law gives d(2θ)/d(ln d) = -2 tan θ, with
        d(ln d)/dq of the free cell parameters by central differences of :func:`d_spacing_angstrom` (no
        rendering); FWHM = broaden sqrt(W + U tan^2 θ) gives dFWHM/dW, dFWHM/dU and, through tan θ,
        dFWHM/d(2θ); a March-Dollase ratio r scales the areas by dP/dr / P.
        """
        pos, areas, fwhm = self.sticks(q, p)
        lattice = self.lattice(q, p)
        _, ok, ok2 = self._bragg_angles(p, lattice)
        tie, sl = self.ties[p][1], self.slices[p]
        hkl = self.hkl[p][ok]
        log_d_slope = np.empty((hkl.shape[0], tie.shape[1]))
        for k in range(tie.shape[1]):
            step = 1e-6 * max(1.0, abs(q[sl.start + k]))
            log_d_slope[:, k] = np.log(d_spacing_angstrom(hkl, lattice + step * tie[:, k])
                                       / d_spacing_angstrom(hkl, lattice - step * tie[:, k])) / (2 * step)
        if ok2 is not None:
            log_d_slope = np.concatenate([log_d_slope, log_d_slope[ok2]])
        t = np.tan(np.radians(pos - q[0]) / 2)
        t_fwhm = np.tan(np.radians(pos) / 2)
        position_slope = np.degrees(-2 * t)[:, None] * log_d_slope  # d(2θ)/dq, degrees per unit of q
        w, u = self.widths(q, p)
        live = (w + u * t_fwhm * t_fwhm > 1e-6) / (2 * fwhm)  # 0 where the width sits at its floor
        width_per_w = broaden * live
        width_per_u = broaden * live * t_fwhm * t_fwhm
        width_per_pos = broaden * live * u * 2 * t_fwhm * (1 + t_fwhm * t_fwhm) * np.pi / 360
        n_cell = sl.stop - sl.start
        index = [0, 1, *range(sl.start, sl.stop + 2)] + ([self.po_index[p]] if self.po_index[p] is not None else [])
        weights = np.zeros((4, pos.size, len(index)))
        weights[1, :, 0] = areas                                    # the zero shift moves every peak
        weights[2, :, 0] = areas * width_per_pos
        weights[3, :, 1] = areas                                    # the Lorentzian fraction
        weights[1, :, 2:2 + n_cell] = areas[:, None] * position_slope
        weights[2, :, 2:2 + n_cell] = (areas * width_per_pos)[:, None] * position_slope
        weights[2, :, 2 + n_cell] = areas * width_per_w
        weights[2, :, 3 + n_cell] = areas * width_per_u
        if self.po_index[p] is not None:
            log_slope = _march_dollase_log_slope(self.po_cos2[p], q[self.po_index[p]])[ok]
            weights[0, :, 4 + n_cell] = areas * (log_slope if ok2 is None else np.concatenate([log_slope,
                                                                                                 log_slope[ok2]]))
        return index, render_stick_derivatives(self.x, pos, fwhm * broaden, float(np.clip(q[1], 0, 1)), weights).T


_MEMO_SIZE = 64  # entries of a _Model's memo: the renders and cells of the last evaluations


def _remember(memo: dict, key, compute):
    """``compute()``, remembered in ``memo`` under ``key``; beyond ``_MEMO_SIZE`` entries the least
    recently used is dropped."""
    if key in memo:
        memo[key] = value = memo.pop(key)  # re-inserted: dicts keep insertion order, oldest first
        return value
    memo[key] = value = compute()
    if len(memo) > _MEMO_SIZE:
        del memo[next(iter(memo))]
    return value


def _chebyshev_basis(x, n_background: int) -> np.ndarray:
    """Chebyshev polynomials T_0..T_(n-1) over the pattern range mapped onto [-1, 1], shape (len(x), n)."""
    if not n_background:
        return np.zeros((x.size, 0))
    t = 2 * (x - x[0]) / (x[-1] - x[0]) - 1
    return np.stack([chebyshev.chebval(t, np.eye(n_background)[k]) for k in range(n_background)], axis=1)


@dataclass(frozen=True)
class FixedShapeFit:
    """Result of :func:`fit_fixed_shapes`.

    Parameters
    ----------
    rwp : float
        Weighted-profile R factor (fraction).
    scales : ndarray, shape (k,)
        Non-negative factor of each curve.
    calculated : ndarray, shape (n,)
        The fitted model (counts), background included.
    """

    rwp: float
    scales: np.ndarray
    calculated: np.ndarray


def fit_fixed_shapes(pattern: Pattern, background, curves=(), *, n_background: int = 4) -> FixedShapeFit:
    """Fit a pattern with curves of fixed shape: the fixed background, each curve times a
    non-negative factor, and Chebyshev background terms, weighted as :func:`refine_phases`
    weights (w = 1/sigma^2, counting statistics unless the pattern has sigma). With no curves
    the Rwp is that of the background alone.

    Parameters
    ----------
    pattern : Pattern
        Observed pattern (counts).
    background : array_like, shape (n,)
        Fixed background (counts).
    curves : sequence of array_like, shape (n,)
        Phase contributions or single peaks (counts), each rescaled by a non-negative factor.
    n_background : int
        Number of Chebyshev terms.

    Returns
    -------
    FixedShapeFit
    """
    y = pattern.intensity.astype(float)
    sigma = _counting_sigma(pattern)
    columns = np.stack([np.asarray(c, dtype=float) for c in curves], axis=1) if len(curves) else \
        np.zeros((y.size, 0))
    a = np.concatenate([columns, _chebyshev_basis(pattern.two_theta_deg, n_background)], axis=1)
    background = np.asarray(background, dtype=float)
    coef = _weighted_solve(a, y - background, sigma, columns.shape[1])[0] if a.shape[1] else np.zeros(0)
    calculated = background + a @ coef
    resid = (y - calculated) / sigma
    return FixedShapeFit(float(np.sqrt((resid @ resid) / np.sum((y / sigma) ** 2))), coef[:columns.shape[1]],
                         calculated)


def _orientation_cosines(hkl, lattice, direction):
    """Squared cosines between every reflection of each family and the preferred-orientation axis.

    The family of a reflection is approximated by the signed permutations of its indices
    with the same d-spacing (exact for cubic; for the lower systems with an axial direction
    it reduces to the sign changes, which share the angle). Returns an (m, 48) array with
    NaN where a permutation is not equivalent.
    """
    from itertools import permutations, product

    hkl = np.asarray(hkl, dtype=float).reshape(-1, 3)
    a, b, c = lattice[:3]
    al, be, ga = np.radians(lattice[3:6])
    metric = np.array([[a * a, a * b * np.cos(ga), a * c * np.cos(be)],
                       [a * b * np.cos(ga), b * b, b * c * np.cos(al)],
                       [a * c * np.cos(be), b * c * np.cos(al), c * c]])
    recip = np.linalg.inv(metric)
    ops = np.array([np.diag(sg)[list(perm)] for perm in permutations(range(3)) for sg in product((1, -1), repeat=3)])
    eq = np.einsum("oij,mj->moi", ops, hkl)  # (m, 48, 3)
    norm2 = np.einsum("moi,ij,moj->mo", eq, recip, eq)
    h0 = np.asarray(direction, dtype=float)
    n0 = float(h0 @ recip @ h0)
    dot = np.einsum("moi,ij,j->mo", eq, recip, h0)
    cos2 = np.where(norm2 > 0, dot ** 2 / np.maximum(norm2 * n0, 1e-300), 1.0)
    same = np.abs(norm2 / np.maximum(norm2[:, :1], 1e-300) - 1) < 1e-6
    return np.where(same, np.clip(cos2, 0, 1), np.nan)


def _march_dollase(cos2, r):
    """Family-averaged March-Dollase factor (Dollase, J. Appl. Cryst. 19 (1986) 267,
    doi:10.1107/S0021889886089458): P = <(r^2 cos^2 a + sin^2 a / r)^(-3/2)> over the
    equivalent reflections; r = 1 is a random powder, r < 1 platelets lying on the axis plane."""
    r = max(float(r), 1e-3)
    value = (r * r * cos2 + (1 - cos2) / r) ** -1.5
    return np.nanmean(value, axis=1)


def _march_dollase_log_slope(cos2, r):
    """d(ln P)/dr of the family-averaged March-Dollase factor P of :func:`_march_dollase`, from
    d/dr (r^2 cos^2 a + sin^2 a / r)^(-3/2) = -3/2 (r^2 cos^2 a + sin^2 a / r)^(-5/2) (2 r cos^2 a - sin^2 a / r^2)."""
    r = max(float(r), 1e-3)
    base = r * r * cos2 + (1 - cos2) / r
    slope = -1.5 * base ** -2.5 * (2 * r * cos2 - (1 - cos2) / (r * r))
    return np.nanmean(slope, axis=1) / np.nanmean(base ** -1.5, axis=1)


def _others(model: _Model, q, p: int, broaden: float) -> np.ndarray:
    """Fitted contribution of everything but phase p (other phases and unindexed peaks), counts."""
    curves = model.curves(q, broaden=broaden)
    if curves.shape[1] == 1:
        return np.zeros(model.x.size)
    coef, _, _, _ = model.solve(curves)
    others = [i for i in range(curves.shape[1]) if i != p]
    return curves[:, others] @ coef[others]


def _matched_filter_target(model: _Model, q, p: int, broaden: float) -> np.ndarray:
    """The sigma-weighted counts left for phase p by the background and the other contributions: the
    target of the matched-filter cell searches (:func:`_grid_search`, :func:`_coordinate_search`)."""
    return (model.y - model.background) / model.sigma - _others(model, q, p, broaden) / model.sigma


def _grid_search(model: _Model, q: np.ndarray, p: int, *, max_zero_shift_deg, strain_grid, broaden):
    """Matched-filter search of isotropic strain and zero shift (within ``max_zero_shift_deg`` of the current
    one, degrees; 0 keeps it) for phase p, others fixed: the score of a trial curve m is
    (m . net) / |m| in sigma-weighted counts, net the counts the other contributions leave.

    On a uniform 2-theta grid the zero shifts tried are whole steps, scored by shifting the curve rendered at
    the current zero shift (one render per strain; the shifted curve equals the re-rendered one but for its
    tails at the ends of the pattern); on another grid every (zero, strain) pair is rendered, zero shifts
    0.025 degrees apart.
    """
    net = _matched_filter_target(model, q, p, broaden)
    tie = model.ties[p][1]
    base = q[model.slices[p]].copy()
    is_length = tie[:3].any(axis=0)
    steps = np.diff(model.x)
    uniform = steps.size > 0 and np.allclose(steps, steps[0], rtol=1e-6, atol=0.0)
    if max_zero_shift_deg > 0 and uniform:
        lags = np.arange(-int(max_zero_shift_deg / steps[0]), int(max_zero_shift_deg / steps[0]) + 1)
        zeros = [q[0]]
    else:
        lags = np.zeros(1, int)
        zeros = q[0] + np.arange(-max_zero_shift_deg, max_zero_shift_deg + 1e-12, 0.025) if max_zero_shift_deg > 0 \
            else [q[0]]
    target, weight2, n = net / model.sigma, 1.0 / model.sigma ** 2, model.x.size
    best, best_q = -np.inf, q
    for zero in zeros:
        for strain in strain_grid:
            trial = q.copy()
            trial[0] = zero
            trial[model.slices[p]] = base * np.where(is_length, 1 + strain, 1.0)
            pos, areas, fwhm = model.sticks(trial, p)
            curve = render_sticks(model.x, pos, areas, fwhm * broaden, 0.5)
            for lag in lags:  # the curve moved by `lag` points: curve[i - lag] against point i
                a, b = max(lag, 0), n + min(lag, 0)
                shifted = curve[a - lag:b - lag]
                norm = np.sqrt(shifted * shifted @ weight2[a:b])
                score = (shifted @ target[a:b]) / norm if norm > 0 else -np.inf
                if score > best:
                    best, best_q = score, trial.copy()
                    best_q[0] = zero + lag * steps[0]
    return best_q


def _coordinate_search(model: _Model, q, p, *, rel_grid, broaden):
    """Matched-filter search of each free cell parameter of phase p in turn; two free lengths
    (tetragonal, hexagonal) are searched jointly, so that nearly equal a and c cannot swap roles."""
    net = _matched_filter_target(model, q, p, broaden)

    def score(trial):
        pos, areas, fwhm = model.sticks(trial, p)
        m = render_sticks(model.x, pos, areas, fwhm * broaden, 0.5) / model.sigma
        norm = np.linalg.norm(m)
        return (m @ net) / norm if norm > 0 else -np.inf

    q = q.copy()
    sl = model.slices[p]
    tie = model.ties[p][1]
    lengths = [sl.start + k for k in range(sl.stop - sl.start) if tie[:3, k].any()]
    if len(lengths) == 2 and sl.stop - sl.start == 2:
        base = q[lengths].copy()
        best, best_q = -np.inf, q
        coarse = rel_grid[::2]  # the joint grid at twice the step; the least squares polish it
        for r1 in coarse:
            for r2 in coarse:
                trial = q.copy()
                trial[lengths] = base * (1 + np.array([r1, r2]))
                s = score(trial)
                if s > best:
                    best, best_q = s, trial
        return best_q
    for k in range(sl.start, sl.stop):
        base = q[k]
        scores = []
        for rel in rel_grid:
            trial = q.copy()
            trial[k] = base * (1 + rel)
            scores.append(score(trial))
        q[k] = base * (1 + rel_grid[int(np.argmax(scores))])
    return q


def _single_thread_blas():
    """Limit BLAS to one thread: the small dense problems here run far slower when threads contend."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl ships with scipy's usual stacks
        return contextlib.nullcontext()
    return threadpool_limits(1)


def refine_phases(pattern: Pattern, references, *, background=None, n_background: int = 4,
                  initial_fwhm_deg: float | None = None, fwhm_deg_per_phase=None, search_lattice: bool = True,
                  max_strain: float = 0.012, max_zero_shift_deg: float = 0.25, max_nfev: int = 60,
                  initial_lattices=None, initial_zero_shift_deg: float = 0.0,
                  preferred_orientation=None, unindexed_peaks=None) -> Refinement:
    """Refine scale, lattice parameters, zero shift and widths of known phases against a pattern.

    Parameters
    ----------
    pattern : Pattern
        Observed pattern (counts); its K-alpha2 ratio and wavelengths are used.
    references : sequence of ReferencePattern
        The phases, with sticks computed for ``pattern.wavelength_angstrom`` over at least the pattern range.
    background : ndarray, shape (n,), optional
        Fixed background; SNIP (:func:`xrd.processing.snip_background`) by default. A Chebyshev
        polynomial of ``n_background`` terms is refined on top of it.
    n_background : int
        Number of refined Chebyshev background terms (0 to 12).
    initial_fwhm_deg : float, optional
        Starting FWHM in degrees of every phase (default 0.1).
    fwhm_deg_per_phase : sequence of float, optional
        Starting FWHM of each phase, overriding ``initial_fwhm_deg``.
    search_lattice : bool or sequence of int
        Run the coarse strain / zero-shift search before the least squares (needed when
        the cell may differ from the reference by more than about a peak width): True for every
        phase, or the indices of the phases to search (the others start from ``initial_lattices``,
        e.g. phases refined before; the zero shift is searched only with phase 0).
    max_strain : float
        Half-range of the coarse search of lattice strain (fraction).
    max_zero_shift_deg : float
        Half-range of the coarse zero-shift search, degrees.
    max_nfev : int
        Maximum function evaluations of each least-squares stage.
    initial_lattices : sequence of (array of 6 or None), optional
        Starting cells (a, b, c in angstrom, angles in degrees) per phase, e.g. from a previous refinement.
    initial_zero_shift_deg : float
        Starting zero shift in degrees.
    preferred_orientation : sequence of (hkl triple or None), optional
        Per phase, the reciprocal-lattice direction of a March-Dollase preferred orientation
        whose ratio r (0.3-3, 1 = random) is refined; None (default) for a random powder.
    unindexed_peaks : (array_like, array_like), optional
        Positions and FWHM (degrees) of observed peaks that none of the phases accounts for (an
        unknown or unreferenced phase). Each is modelled as a pseudo-Voigt of fixed position and
        width with a free non-negative area, solved with the scales — the "peak phase" of
        unknown peaks in Rietveld programs (e.g. TOPAS's ``xo_Is``) — so that their intensity does not
        pull the cells, zero shift and scales of the phases. The phases' weight fractions are
        then relative to the phases given (the unknown phase's mass is not known).

    Returns
    -------
    Refinement

    Raises
    ------
    ValueError
        No references, or a reference computed for another wavelength.
    FitError
        The least squares could not be carried out.
    """
    with _single_thread_blas():
        return _refine(pattern, references, background=background, n_background=n_background,
                       initial_fwhm_deg=initial_fwhm_deg, fwhm_deg_per_phase=fwhm_deg_per_phase,
                       search_lattice=search_lattice, max_strain=max_strain, max_zero_shift_deg=max_zero_shift_deg,
                       max_nfev=max_nfev, initial_lattices=initial_lattices,
                       initial_zero_shift_deg=initial_zero_shift_deg, preferred_orientation=preferred_orientation,
                       unindexed_peaks=unindexed_peaks)


def _refine(pattern, references, *, background, n_background, initial_fwhm_deg, fwhm_deg_per_phase, search_lattice,
            max_strain, max_zero_shift_deg, max_nfev, initial_lattices, initial_zero_shift_deg, preferred_orientation,
            unindexed_peaks):
    references = list(references)
    if not references:
        raise ValueError("references is empty; give at least one ReferencePattern")
    for ref in references:
        if not isinstance(ref, ReferencePattern):
            raise TypeError(f"references must be ReferencePattern objects, got {type(ref).__name__}")
        if abs(ref.wavelength_angstrom - pattern.wavelength_angstrom) > 1e-4:
            raise ValueError(f"reference {ref.name} was computed for {ref.wavelength_angstrom} A but the pattern "
                             f"has {pattern.wavelength_angstrom} A")
    if not 0 <= n_background <= 12:
        raise ValueError(f"n_background={n_background!r} must be between 0 and 12")
    x = pattern.two_theta_deg
    y = pattern.intensity.astype(float)
    sigma = _counting_sigma(pattern)
    sigma = np.where(np.isfinite(sigma) & (sigma > 0), sigma, np.sqrt(np.maximum(y, 1.0)))
    fwhm0 = [initial_fwhm_deg or 0.1] * len(references) if fwhm_deg_per_phase is None else list(fwhm_deg_per_phase)
    if background is None:
        half = round(max(1.5, 6 * max(fwhm0)) / pattern.step_deg)
        background = snip_background(y, half_width_points=max(half, 5))
    if preferred_orientation is not None and len(preferred_orientation) != len(references):
        raise ValueError(f"preferred_orientation has {len(preferred_orientation)} entries for {len(references)} phases")
    model = _Model(pattern, references, np.asarray(background, dtype=float), n_background, sigma,
                   preferred_orientation, unindexed_peaks)
    q = np.zeros(model.n_params)
    q[0] = initial_zero_shift_deg
    q[1] = 0.5
    lower = np.full(model.n_params, -np.inf)
    upper = np.full(model.n_params, np.inf)
    lower[0], upper[0] = -1.0, 1.0
    lower[1], upper[1] = 0.0, 1.0
    for p, (fixed, tie, start) in enumerate(model.ties):
        sl = model.slices[p]
        q[sl] = start
        if initial_lattices is not None and initial_lattices[p] is not None:
            q[sl] = np.linalg.lstsq(tie, np.asarray(initial_lattices[p], dtype=float) - fixed, rcond=None)[0]
        lower[sl] = start * (1 - 3 * max_strain)
        upper[sl] = start * (1 + 3 * max_strain)
        q[sl.stop], q[sl.stop + 1] = fwhm0[p] ** 2, 0.0
        lower[sl.stop], upper[sl.stop] = 1e-5, 9.0
        lower[sl.stop + 1], upper[sl.stop + 1] = 0.0, 9.0
        if model.po_index[p] is not None:
            k = model.po_index[p]
            q[k], lower[k], upper[k] = 1.15, 0.3, 3.0  # off r = 1, where a cubic family average is stationary
    if isinstance(search_lattice, (bool, np.bool_)):
        searched = range(len(references)) if search_lattice else ()
    else:
        searched = sorted({int(p) for p in search_lattice})
        if searched and not 0 <= searched[0] <= searched[-1] < len(references):
            raise ValueError(f"search_lattice={search_lattice!r} names phases outside 0-{len(references) - 1}")
    if searched:
        strain_grid = np.arange(-max_strain, max_strain + 1e-12, 0.0005)
        for p in searched:
            q = _grid_search(model, q, p, max_zero_shift_deg=max_zero_shift_deg if p == 0 else 0.0,
                             strain_grid=strain_grid, broaden=1.5)
            half = min(0.006, max_strain)
            q = _coordinate_search(model, q, p, rel_grid=np.arange(-half, half + 1e-9, 0.0005), broaden=1.5)
    scale = np.ones(model.n_params)
    scale[0], scale[1] = 0.01, 0.1
    for p, sl in enumerate(model.slices):
        scale[sl] = 1e-3 * np.abs(q[sl])
        scale[sl.stop] = max(q[sl.stop], 1e-3)
        scale[sl.stop + 1] = 1e-3
        if model.po_index[p] is not None:
            scale[model.po_index[p]] = 0.1
    q = np.clip(q, lower + 1e-12, upper - 1e-12)
    try:
        stage1_mask = np.ones(model.n_params, bool)
        stage1_mask[1] = False
        for sl, k in zip(model.slices, model.po_index):
            stage1_mask[sl.stop:sl.stop + 2] = False
            if k is not None:
                stage1_mask[k] = False

        def full(sub):
            trial = q.copy()
            trial[stage1_mask] = sub
            return trial

        sol1 = optimize.least_squares(lambda sub: model.residual(full(sub), broaden=1.5), q[stage1_mask],
                                      jac=lambda sub: model.jacobian(full(sub), broaden=1.5)[:, stage1_mask],
                                      bounds=(lower[stage1_mask], upper[stage1_mask]),
                                      x_scale=scale[stage1_mask], max_nfev=max(10, max_nfev // 2),
                                      ftol=1e-4, xtol=1e-5)
        q[stage1_mask] = sol1.x
        sol = optimize.least_squares(model.residual, q, jac=model.jacobian, bounds=(lower, upper), x_scale=scale,
                                     max_nfev=max_nfev, ftol=1e-6, xtol=1e-7)
    except (ValueError, np.linalg.LinAlgError) as exc:
        raise FitError(f"refinement failed: {exc}") from exc
    q = sol.x
    curves = model.curves(q)
    coef, resid, gram, norms = model.solve(curves)
    n_ph = len(references)
    dof = max(x.size - model.n_params - gram.shape[1], 1)
    chi2_red = float(resid @ resid) / dof
    errors_ok = True
    try:
        cov_q = np.linalg.inv(sol.jac.T @ sol.jac) * chi2_red
        err_q = np.sqrt(np.clip(np.diag(cov_q), 0, None))
    except np.linalg.LinAlgError:
        err_q = np.full(q.size, np.nan)
        errors_ok = False
    try:
        cov_lin = np.linalg.inv(gram) * chi2_red / np.outer(norms, norms)
    except np.linalg.LinAlgError:
        cov_lin = np.full(gram.shape, np.nan)
        errors_ok = False
    scales = coef[:n_ph]
    lattices = [model.lattice(q, p) for p in range(n_ph)]
    volumes = np.array([_volume(lat) for lat in lattices])
    zmv = np.array([_mass_volume(ref, v) for ref, v in zip(references, volumes)])
    total = float(scales @ zmv)
    wfrac = scales * zmv / total if total > 0 else np.full(n_ph, np.nan)  # NaN with a card lacking its RIR
    # gradient of W_p with respect to the scales, for error propagation
    wfrac_err = np.full(n_ph, np.nan)
    if total > 0 and n_ph == 1:
        wfrac_err[0] = 0.0  # a lone phase is all of the phases refined, exactly
    elif total > 0:
        cov_s = cov_lin[:n_ph, :n_ph]
        for p in range(n_ph):
            grad = -scales[p] * zmv[p] * zmv / total ** 2
            grad[p] += zmv[p] / total
            wfrac_err[p] = float(np.sqrt(max(grad @ cov_s @ grad, 0.0)))
    n_cols = curves.shape[1]
    background_total = model.background + model.cheb @ coef[n_cols:]
    sys_err = _systematic_fraction_errors(x, y, sigma, curves[:, :n_ph], curves[:, n_ph:] @ coef[n_ph:n_cols]
                                          + background_total, zmv, wfrac)
    total_err = np.sqrt(wfrac_err ** 2 + sys_err ** 2)
    free_areas = coef[n_ph:n_cols]
    phases = []
    for p, ref in enumerate(references):
        fixed, tie, _ = model.ties[p]
        lat_err = np.abs(tie) @ err_q[model.slices[p]] if errors_ok else np.where(tie.sum(axis=1) > 0, np.nan, 0.0)
        pos, ok = bragg_two_theta_deg(d_spacing_angstrom(ref.hkl, lattices[p]), pattern.wavelength_angstrom)
        pos = pos + q[0]
        inside = (pos >= x[0]) & (pos <= x[-1])
        w, u = model.widths(q, p)
        inten = ref.intensity
        po, r, r_err = None, 1.0, 0.0
        if model.po_index[p] is not None:
            po = tuple(int(v) for v in preferred_orientation[p])
            r, r_err = float(q[model.po_index[p]]), float(err_q[model.po_index[p]])
            inten = inten * _march_dollase(_orientation_cosines(ref.hkl, ref.lattice, po), r)
        phases.append(PhaseResult(
            ref.name, ref.formula, ref.space_group, ref.card, lattices[p], lat_err, float(volumes[p]),
            float(scales[p]), float(np.sqrt(max(cov_lin[p, p], 0))), float(wfrac[p]), float(total_err[p]),
            float(w), float(u), pos[inside], ref.hkl[ok][inside], scales[p] * inten[ok][inside], po, r, r_err,
            float(np.max(np.abs(lattices[p][:3] / ref.lattice[:3] - 1))), float(wfrac_err[p]), float(sys_err[p])))
    unindexed_curve = model.free @ free_areas
    calculated = background_total + curves[:, :n_ph] @ scales + unindexed_curve
    weighted_obs = y / sigma
    rwp = float(np.sqrt((resid @ resid) / (weighted_obs @ weighted_obs)))
    rexp = float(np.sqrt(dof / (weighted_obs @ weighted_obs)))
    return Refinement(
        x, y, calculated, background_total, tuple(curves[:, p] * scales[p] for p in range(n_ph)), tuple(phases),
        float(q[0]), float(err_q[0]), float(q[1]), rwp, rexp, bool(sol.success), str(sol.message),
        pattern.wavelength_angstrom, errors_ok,
        {"n_background": n_background, "kalpha2_ratio": pattern.kalpha2_ratio, "search_lattice": tuple(searched)},
        np.asarray(unindexed_peaks[0], dtype=float).ravel() if free_areas.size else np.zeros(0), free_areas,
        unindexed_curve)


# Relative systematic error assumed when the angular segments cannot estimate it: the order of the spread of
# careful laboratory analyses of well-behaved mixtures in the IUCr CPD round robin (Madsen et al., J. Appl.
# Cryst. 34 (2001) 409, doi:10.1107/S0021889801007476).
_FALLBACK_RELATIVE_SYS = 0.10
_N_SEGMENTS = 3


def _systematic_fraction_errors(x, y, sigma, curves, fixed, zmv, wfrac):
    """Systematic part of the Hill-Howard fractions' errors, from the intensity model's angle dependence.

    The statistical error of a Rietveld weight fraction understates its true error several times
    (Madsen et al., J. Appl. Cryst. 34 (2001) 409, doi:10.1107/S0021889801007476; Scarlett et al.,
    J. Appl. Cryst. 35 (2002) 383, doi:10.1107/S0021889802008798): the misfit is dominated by the
    intensity model (displacement parameters, absorption and surface roughness, polarisation,
    texture, scattering factors), whose errors grow with angle. Here the refined phase curves are
    refitted (scales, a constant and a slope on the fixed background) on three angular segments
    holding equal shares of the calculated phase intensity; the standard deviation of the
    segments' fractions is the systematic part. A phase with less than 5 % of its intensity in a
    segment makes that segment unusable; with fewer than two usable segments the part is
    ``_FALLBACK_RELATIVE_SYS`` of the fraction. Angle-independent errors (microabsorption, a wrong
    composition) are not seen by this test.

    Returns
    -------
    ndarray, shape (n_phases,)
        Standard errors (fractions, 0-1).
    """
    n_ph = curves.shape[1]
    fallback = _FALLBACK_RELATIVE_SYS * np.asarray(wfrac, dtype=float)
    if n_ph < 2 or not np.all(np.isfinite(wfrac)):
        return np.zeros(n_ph) if n_ph < 2 else fallback
    total = curves @ (np.asarray(wfrac) / zmv)  # any positive mix of the phases serves to place the segments
    cumulative = np.cumsum(np.clip(total, 0, None))
    if cumulative[-1] <= 0:
        return fallback
    edges = np.searchsorted(cumulative, cumulative[-1] * np.arange(1, _N_SEGMENTS) / _N_SEGMENTS)
    bounds = np.concatenate([[0], edges, [x.size]])
    per_phase = curves.sum(axis=0)
    fractions = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        if hi - lo < 20 or np.any(curves[lo:hi].sum(axis=0) < 0.05 * per_phase):
            continue
        t = np.linspace(-1, 1, hi - lo)
        design = np.concatenate([curves[lo:hi], np.stack([np.ones_like(t), t], axis=1)], axis=1)
        coef = _weighted_solve(design, y[lo:hi] - fixed[lo:hi], sigma[lo:hi], n_ph)[0][:n_ph]
        mass = coef * zmv
        if mass.sum() > 0:
            fractions.append(mass / mass.sum())
    if len(fractions) < 2:
        return fallback
    return np.std(np.array(fractions), axis=0, ddof=1)


def _mass_volume(ref: ReferencePattern, volume_a3: float) -> float:
    """Z M V of a phase in the Hill-Howard sum: cell mass times refined volume for a structure; for a
    card the equivalent from its reference intensity ratio (:func:`xrd.cards.card_mass_volume`, NaN
    without one, when no phase gets a weight fraction)."""
    if ref.kind == "card":
        from xrd.cards import card_mass_volume

        return card_mass_volume(ref)
    return ref.cell_mass_amu * volume_a3


def _volume(lattice) -> float:
    a, b, c = lattice[:3]
    ca, cb, cg = np.cos(np.radians(lattice[3:6]))
    return float(a * b * c * np.sqrt(max(1 - ca * ca - cb * cb - cg * cg + 2 * ca * cb * cg, 0.0)))
