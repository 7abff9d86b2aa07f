"""Phase identification: screen many candidate structures, then a greedy whole-pattern search.

1. **Screen** (all candidates, vectorised): the reflections of each candidate are
   matched to the observed peak list over a grid of isotropic lattice strain and
   zero shift. The scale is set from the matched peaks (a low quantile of
   observed/calculated area, so a peak shared with another phase does not inflate
   it), the reflections that scale predicts to be detectable form the
   denominator, and the figure of merit is the intensity-weighted fraction of
   those that are observed — the search-match idea of Hanawalt, Rinn & Frevel
   (Ind. Eng. Chem. Anal. Ed. 10 (1938) 457) with a strain-tolerant match as in
   Dara (Fei et al., 2024, arXiv:2411.19264) and XERUS (Baptista de Castro et al.,
   Adv. Intell. Syst. 2022, doi:10.1002/aisy.202100223).
   A whole-database search (more than ``_MAX_EXACT`` references, e.g. every AMCSD entry, read from
   the packed cache of :func:`xrd.references.database_references`) scores every reference at once on
   its strongest reflections and ranks them by that figure of merit times the share of the observed
   peak area not yet explained that they match (re-ranked after each accepted phase); only the
   shortlists are scored on all their reflections (:class:`_DatabaseShortlist`).
2. **Greedy whole-pattern search**: starting from no phase, the screened candidate
   that lowers Rwp most when added (its lattice strain searched against the
   current residual) is refined together with the accepted phases
   (:func:`xrd.refinement.refine_phases`) and accepted only when it (a) lowers
   Rwp by at least ``min_rwp_gain`` (relative), (b) reaches ``min_weight_fraction``
   and (c) explains its own pattern: where its refined contribution is
   significant (above 3 sigma) the observed counts left by the other phases
   cover at least ``min_explained`` of it, both overall and where it stands alone,
   and (d) has reflections of its own: at least ``min_distinct`` of its
   contribution lies where the other phases give less than half as much, and
   there it accounts for at least ``min_own_peaks`` observed peaks (this rejects
   structures that only absorb misfits of the others, or one stray peak).
   Accepted phases failing (b) or (c) after a later phase joins are dropped.
3. **Texture**: right after its acceptance, and again at the end, every accepted
   phase without one is given a March-Dollase preferred orientation along its low-index axes
   (Dollase, J. Appl. Cryst. 19 (1986) 267, doi:10.1107/S0021889886089458) when
   that lowers Rwp by ``min_orientation_gain``; so a textured phase's intensity
   misfit is not taken for a further phase. The axis is chosen by a quick scan of the ratio with the
   other phases' profiles fixed (:mod:`xrd.quick_fit`) and refined only when the scan gains enough.
4. **Swaps**: each accepted phase is compared with the candidates that could stand in its place:
   its polymorphs, isostructural candidates (e.g. rock-salt NiO vs TiO) and any other whose strong
   reflections fall on the same observed peaks (e.g. body-centred cubic In2O3 vs tennantite). They are
   ranked by a quick linear fit in the phase's place (:mod:`xrd.quick_fit`), and only the best few are
   refined, each with its best orientation; the better whole-pattern fit wins, and within
   ``min_orientation_gain`` (relative intensities then cannot decide: a texture mimics a
   scattering-factor contrast) the candidate accounting for more of the declared ``elements``, else the
   simpler fit (a random powder, a cell closer to its reference). Candidates that fit as well and that
   the declared elements do not set apart are reported as ``equally_good`` and make the result a
   warning: the pattern cannot tell them apart.
5. **Unknown peaks**: observed peaks that no accepted phase indexes (a phase missing from
   the candidates) are modelled as free peaks in the final refinement, so that they pull
   neither the cells nor the scales of the accepted phases; their weight fractions are
   then relative to the accepted phases.
6. **Verdict**: no accepted phase is reported as such ("no match among N references searched"),
   never as the least bad candidate; the result is 'poor' when more than a quarter of the observed
   peak area is left unexplained, 'warning' above 5 % or with a suspect cell or an unconverged
   refinement (``status``, ``quality_reasons``).
"""

from __future__ import annotations

import functools
import itertools
import math
import warnings
from dataclasses import dataclass

import numba
import numpy as np

from ssbkit.errors import FitError
from xrd.pattern import Pattern
from xrd.processing import PeakList, find_peaks, rebin, snip_background
from xrd.quick_fit import linear_fit, stick_curve
from xrd.references import (
    PACK_MIN_CANDIDATES,
    ReferencePattern,
    bragg_d_spacing_angstrom,
    builtin_references,
    check_candidate,
    database_candidates,
    database_references,
    reference_pattern,
)
from xrd.refinement import (
    Refinement,
    _counting_sigma,
    _march_dollase,
    _orientation_cosines,
    _single_thread_blas,
    bragg_two_theta_deg,
    d_spacing_angstrom,
    fit_fixed_shapes,
    refine_phases,
)

# A refined cell length more than this (fraction) from its reference structure is reported as suspect:
# the search allows 1.2 % (max_strain) and real powders of the referenced phase lie within a few tenths of
# a percent (thermal expansion, stoichiometry); twice the search range means the fit went elsewhere.
_SUSPECT_CELL_STRAIN = 0.02
# Alternatives to an accepted phase (polymorphs, isostructural entries) whose best preferred orientation is
# searched, the closest first (refined without orientation).
_ORIENTED_ALTERNATIVES = 2

__all__ = ["IdentifiedPhase", "PhaseIdentification", "ScreenResult", "identify_phases", "screen_candidates"]


@dataclass(frozen=True)
class IdentifiedPhase:
    """An accepted phase.

    Parameters
    ----------
    name, formula, space_group, card : str
        Reference label, reduced formula, space group and study card number ("" if none).
    figure_of_merit : float
        Screening figure of merit, 0-1 (fraction of the detectable reflections observed).
    explained_fraction : float
        Fraction of the phase's significant refined contribution covered by observed counts, 0-1.
    rwp_gain : float
        Relative decrease of Rwp when the phase was added (0-1).
    matched_peaks_deg : ndarray
        Observed peak positions (degrees) lying within tolerance of one of its reflections.
    missing_peaks_deg : ndarray
        Its reflections predicted detectable but not found among the observed peaks (degrees).
    lattice, lattice_error : ndarray, shape (6,)
        Refined cell (angstrom, degrees) and standard errors.
    weight_fraction, weight_fraction_error : float
        Hill-Howard weight fraction (0-1) and its total standard error (statistical and systematic
        parts in quadrature, see :class:`xrd.refinement.PhaseResult`).
    cell_strain : float
        Largest relative deviation of a refined cell length from the reference (fraction); above
        ``_SUSPECT_CELL_STRAIN`` :func:`identify_phases` warns.
    weight_fraction_stat_error, weight_fraction_sys_error : float
        The statistical and systematic parts of ``weight_fraction_error``.
    equally_good : tuple of str
        Other candidates ("formula (space group)") that fit within the search's Rwp margin in this phase's
        place and that neither the declared elements nor a simpler fit set apart: the pattern cannot tell
        them from this phase (e.g. rock-salt NiO, TiO and VN without the sample's elements).
    """

    name: str
    formula: str
    space_group: str
    card: str
    figure_of_merit: float
    explained_fraction: float
    rwp_gain: float
    matched_peaks_deg: np.ndarray
    missing_peaks_deg: np.ndarray
    lattice: np.ndarray
    lattice_error: np.ndarray
    weight_fraction: float
    weight_fraction_error: float
    cell_strain: float = 0.0
    weight_fraction_stat_error: float = float("nan")
    weight_fraction_sys_error: float = float("nan")
    equally_good: tuple = ()

    def summary(self) -> dict:
        a, b, c, al, be, ga = (float(v) for v in self.lattice)
        return {"name": self.name, "formula": self.formula, "space_group": self.space_group, "card": self.card,
                "figure_of_merit": self.figure_of_merit, "explained_fraction": self.explained_fraction,
                "rwp_gain": self.rwp_gain, "n_matched_peaks": int(self.matched_peaks_deg.size),
                "n_missing_peaks": int(self.missing_peaks_deg.size), "a_angstrom": a, "b_angstrom": b,
                "c_angstrom": c, "alpha_deg": al, "beta_deg": be, "gamma_deg": ga,
                "weight_fraction_pct": 100 * self.weight_fraction,
                "weight_fraction_error_pct": 100 * self.weight_fraction_error,
                "weight_fraction_stat_error_pct": 100 * self.weight_fraction_stat_error,
                "weight_fraction_sys_error_pct": 100 * self.weight_fraction_sys_error,
                "cell_strain_pct": 100 * self.cell_strain, "equally_good": ", ".join(self.equally_good)}


@dataclass(frozen=True)
class ScreenResult:
    """Screening score of one candidate.

    Parameters
    ----------
    index : int
        Position in the candidate list.
    name, formula, space_group : str
        From the reference.
    figure_of_merit : float
        Fraction of its detectable reflections observed (0-1).
    strain : float
        Best isotropic lattice strain (fraction).
    zero_shift_deg : float
        Best zero shift, degrees.
    exact : bool
        False when the score comes from the coarse pass of a whole-database screen only
        (:func:`screen_candidates` ``max_exact``).
    """

    index: int
    name: str
    formula: str
    space_group: str
    figure_of_merit: float
    strain: float
    zero_shift_deg: float
    exact: bool = True


@dataclass(frozen=True)
class PhaseIdentification:
    """Result of :func:`identify_phases`.

    Parameters
    ----------
    phases : tuple of IdentifiedPhase
        Accepted phases, strongest contribution first.
    refinement : Refinement or None
        Whole-pattern refinement of the accepted set (None when nothing was accepted).
    peaks : PeakList
        Observed peaks.
    unexplained_peaks_deg : ndarray
        Observed peaks matched by no accepted phase (degrees).
    ranking : tuple of ScreenResult
        The best screened candidates, best first.
    n_candidates : int
        Number of candidates screened.
    failed_candidates : tuple of str
        Candidates whose structure could not be simulated (with the reason).
    pattern : Pattern
        The analysed pattern.
    status : {'ok', 'warning', 'poor'}
        Quality verdict: 'poor' when no phase matched (``no_match``) or most of the observed
        peak intensity is left unexplained, 'warning' when part of it is, a cell is suspect, or
        the refinement did not converge.
    quality_reasons : tuple of str
        One sentence per reason for a verdict other than 'ok'.
    unexplained_intensity_fraction : float
        Share of the observed peak area (0-1) on peaks no accepted phase explains.
    """

    phases: tuple
    refinement: Refinement | None
    peaks: PeakList
    unexplained_peaks_deg: np.ndarray
    ranking: tuple
    n_candidates: int
    failed_candidates: tuple
    pattern: Pattern
    status: str = "ok"
    quality_reasons: tuple = ()
    unexplained_intensity_fraction: float = 0.0

    @property
    def no_match(self) -> bool:
        """True when no candidate was accepted: the search reports no phase rather than a wrong one."""
        return not self.phases

    @property
    def rwp(self) -> float:
        """Rwp of the final refinement (fraction), NaN when no phase was accepted."""
        return self.refinement.rwp if self.refinement is not None else float("nan")

    @property
    def formulas(self) -> tuple[str, ...]:
        return tuple(p.formula for p in self.phases)

    def summary(self) -> dict:
        """Flat, JSON-safe key numbers (phases, weight fractions in wt%, Rwp in %)."""
        out = {"status": self.status, "quality_reasons": "; ".join(self.quality_reasons),
               "no_match": self.no_match, "n_phases": len(self.phases), "phases": ", ".join(self.formulas),
               "rwp_pct": 100 * self.rwp, "n_candidates": self.n_candidates, "n_peaks": len(self.peaks),
               "n_unexplained_peaks": int(self.unexplained_peaks_deg.size),
               "unexplained_intensity_pct": 100 * self.unexplained_intensity_fraction}
        if self.refinement is not None:
            out.update({k: v for k, v in self.refinement.summary().items() if k not in out})
        return out

    def plot(self, ax=None):
        """Observed, calculated, difference and one tick row per accepted phase; returns the Axes."""
        if self.refinement is None:
            ax = self.pattern.plot(ax=ax)
            ax.set_title(f"no match among {self.n_candidates} references searched", fontsize=9)
            return ax
        return self.refinement.plot(ax=ax, title=f"{', '.join(self.formulas)} — Rwp = {100 * self.rwp:.2f} %")


def _range_for(pattern: Pattern) -> tuple[float, float]:
    """Simulation range: the pattern's range plus at least 1 degree, rounded out to multiples of 5
    degrees so that patterns of similar ranges share cached references."""
    lo = max(0.0, 5.0 * math.floor((pattern.two_theta_deg[0] - 1.0) / 5.0))
    hi = min(180.0, 5.0 * math.ceil((pattern.two_theta_deg[-1] + 1.0) / 5.0))
    return lo, hi


def _resolve_candidates(candidates, elements):
    if candidates is None:
        names = list(builtin_references())
        if elements is not None:
            allowed = {e.strip().capitalize() for e in elements}
            info = builtin_references()
            from pymatgen.core import Composition

            names = [n for n in names
                     if {el.symbol for el in Composition(info[n]["formula"]).elements} <= allowed]
            names += database_candidates(allowed)
        return names
    if isinstance(candidates, (str, bytes)) or not hasattr(candidates, "__iter__"):
        candidates = [candidates]
    candidates = list(candidates)
    for cand in candidates:
        check_candidate(cand)
    return candidates


def _references(candidates, pattern, progress):
    packed = _packed_database_references(candidates, pattern, progress)
    refs, failed = [], []
    iterator = candidates
    if progress and len(packed) < len(candidates):
        from tqdm.auto import tqdm

        iterator = tqdm(candidates, desc="reference patterns", leave=False)
    for cand in iterator:
        if isinstance(cand, str) and cand in packed:  # in input order, as the per-entry route
            found = packed[cand]
            (refs if isinstance(found, ReferencePattern) else failed).append(found)
            continue
        if isinstance(cand, ReferencePattern):
            if abs(cand.wavelength_angstrom - pattern.wavelength_angstrom) > 1e-4:
                raise ValueError(f"candidate {cand.name} was computed for {cand.wavelength_angstrom} A, the pattern "
                                 f"has {pattern.wavelength_angstrom} A")
            refs.append(cand)
            continue
        try:
            refs.append(reference_pattern(cand, wavelength_angstrom=pattern.wavelength_angstrom,
                                          two_theta_range=_range_for(pattern)))
        except Exception as exc:  # noqa: BLE001 - one bad CIF among thousands must not stop a search
            failed.append(f"{cand}: {type(exc).__name__}: {str(exc)[:120]}")
    return refs, failed


def _packed_database_references(candidates, pattern, progress) -> dict:
    """``"amcsd:<id>"`` candidates from the packed database cache (:func:`xrd.references.database_references`):
    name -> ReferencePattern, or name -> failure text. The packed file is built when at least
    ``PACK_MIN_CANDIDATES`` entries are searched and used whenever it exists; {} otherwise (the per-entry
    cache then serves them)."""
    names = [c for c in candidates if isinstance(c, str) and c.lower().startswith("amcsd:")]
    if not names:
        return {}
    found = database_references(names, wavelength_angstrom=pattern.wavelength_angstrom,
                                two_theta_range=_range_for(pattern), build=len(names) >= PACK_MIN_CANDIDATES,
                                progress=progress)
    if found is None:
        return {}
    refs, failed = found
    out: dict = {r.name: r for r in refs}
    for text in failed:
        out[text.split(": ", 1)[0]] = text
    # the names as the caller spelled them ("AMCSD:9325", "amcsd: 9325")
    return {name: out[f"amcsd:{int(name.split(':', 1)[1])}"] for name in names}


def screen_candidates(pattern: Pattern, references, peaks: PeakList, *, max_strain: float = 0.012,
                      max_zero_shift_deg: float = 0.15, tolerance_deg: float | None = None,
                      detection_height: float | None = None, max_exact: int | None = None) -> list[ScreenResult]:
    """Score every reference against the observed peak list (see the module docstring).

    Parameters
    ----------
    pattern : Pattern
    references : sequence of ReferencePattern
    peaks : PeakList
        Observed peaks.
    max_strain : float
        Half-range of the isotropic strain grid (fraction).
    max_zero_shift_deg : float
        Half-range of the zero-shift grid (degrees).
    tolerance_deg : float, optional
        Match tolerance; default max(0.6 x median FWHM, 2 steps, 0.04 deg).
    detection_height : float, optional
        Smallest detectable peak height (counts); default the 10th percentile of observed heights.
    max_exact : int, optional
        With more references than this, all of them are first scored at once on their
        ``_COARSE_STICKS`` strongest reflections (a vectorised pass over every reference; a
        whole-database search), and only the ``max_exact`` best are scored on all their
        reflections; the others keep the coarse score (``ScreenResult.exact`` False).

    Returns
    -------
    list of ScreenResult
        One per reference, in input order.
    """
    references = list(references)
    if len(peaks) == 0:
        return [ScreenResult(i, r.name, r.formula, r.space_group, 0.0, 0.0, 0.0) for i, r in enumerate(references)]
    setup = _screen_setup(pattern, peaks, max_strain, max_zero_shift_deg, tolerance_deg, detection_height)
    if max_exact is None or len(references) <= max_exact:
        return [_screen_one(i, ref, setup) for i, ref in enumerate(references)]
    fom, strain, zero = _coarse_scores(references, setup)
    # the best by coarse score; among equal scores the ones with more strong reflections (a reference
    # with two reflections matches a dense pattern by chance more easily)
    n_strong = np.array([min(r.intensity.size, _COARSE_STICKS) for r in references])
    exact = set(np.lexsort((-n_strong, -fom))[:max_exact].tolist())
    return [_screen_one(i, ref, setup) if i in exact else
            ScreenResult(i, ref.name, ref.formula, ref.space_group, float(fom[i]), float(strain[i]), float(zero[i]),
                         exact=False)
            for i, ref in enumerate(references)]


@dataclass(frozen=True)
class _ScreenSetup:
    obs: np.ndarray
    obs_area: np.ndarray
    tol: float
    threshold: float
    area_to_height: float
    grid_s: np.ndarray  # the strain and zero shift of each grid point, strain-major
    grid_z: np.ndarray
    penalty: np.ndarray  # _grid_penalty_at of each grid point
    strains: np.ndarray
    zeros: np.ndarray
    max_strain: float
    max_zero_shift_deg: float
    wavelength_angstrom: float
    lo: float
    hi: float


def _screen_setup(pattern, peaks, max_strain, max_zero_shift_deg, tolerance_deg, detection_height) -> _ScreenSetup:
    order = np.argsort(peaks.two_theta_deg)
    fwhm = float(np.median(peaks.fwhm_deg))
    strains = np.arange(-max_strain, max_strain + 1e-12, 0.001)
    zeros = np.arange(-max_zero_shift_deg, max_zero_shift_deg + 1e-12, 0.05)
    grid_s, grid_z = np.repeat(strains, zeros.size), np.tile(zeros, strains.size)
    return _ScreenSetup(
        obs=peaks.two_theta_deg[order], obs_area=peaks.area[order],
        tol=tolerance_deg or max(0.6 * fwhm, 2 * pattern.step_deg, 0.04),
        threshold=detection_height or float(np.percentile(peaks.height, 10)),
        area_to_height=1.0 / (1.3 * fwhm), grid_s=grid_s, grid_z=grid_z,
        penalty=_grid_penalty_at(max_strain, max_zero_shift_deg, grid_s, grid_z), strains=strains, zeros=zeros,
        max_strain=max_strain, max_zero_shift_deg=max_zero_shift_deg, wavelength_angstrom=pattern.wavelength_angstrom,
        lo=float(pattern.two_theta_deg[0]), hi=float(pattern.two_theta_deg[-1]))


def _screen_one(i: int, ref: ReferencePattern, st: _ScreenSetup) -> ScreenResult:
    """The figure of merit of one reference over the strain x zero-shift grid (module docstring, step 1)."""
    keep = ref.intensity >= 0.01 * ref.intensity.max() if ref.intensity.size else np.zeros(0, bool)
    d = ref.d_spacing_angstrom()[keep]
    inten = ref.intensity[keep]
    if d.size == 0:
        return ScreenResult(i, ref.name, ref.formula, ref.space_group, 0.0, 0.0, 0.0)
    fom, best = _exact_kernel(np.ascontiguousarray(d), np.ascontiguousarray(inten), st.obs, st.obs_area,
                              st.grid_s, st.grid_z, st.penalty, float(st.wavelength_angstrom), float(st.lo),
                              float(st.hi), float(st.tol), float(st.threshold), float(st.area_to_height))
    return ScreenResult(i, ref.name, ref.formula, ref.space_group, fom, float(st.grid_s[best]), float(st.grid_z[best]))


@numba.njit(cache=True, nogil=True)
def _exact_kernel(d, inten, obs, obs_area, grid_s, grid_z, penalty, wavelength, lo, hi, tol, threshold,
                  area_to_height):  # pragma: no cover - compiled
    """The grid loop of :func:`_screen_one`: at each grid point every stick inside the range is matched to its
    nearest observed peak (within ``tol``) and scored by :func:`_figure_of_merit` (with the at-least-two-matches
    rule); returns the figure of merit and the index of the best grid point by figure of merit minus penalty
    (the first of equal ones)."""
    m = d.size
    inside = np.empty(m, np.bool_)
    matched = np.empty(m, np.bool_)
    ratios = np.empty(m)
    below = np.empty(m, np.bool_)
    angles = np.empty(m)
    best_score, best_fom, best = -np.inf, 0.0, 0
    for g in range(grid_s.size):
        if g == 0 or grid_s[g] != grid_s[g - 1]:  # the Bragg angles of a strain, for its zero shifts
            _strained_bragg_angles(d, grid_s[g], wavelength, angles, below)
        n_matched = 0
        for t in range(m):
            pos = angles[t] + grid_z[g]
            inside[t] = below[t] and lo < pos < hi
            j = min(max(np.searchsorted(obs, pos), 1), obs.size - 1)
            nearest = j - 1 if abs(pos - obs[j - 1]) < abs(pos - obs[j]) else j
            matched[t] = inside[t] and abs(obs[nearest] - pos) <= tol
            if matched[t]:
                ratios[n_matched] = obs_area[nearest] / (inten[t] if inten[t] > 0 else 1.0)
                n_matched += 1
        fom = 0.0
        if n_matched >= min(2, m):
            ratios[:n_matched] = np.sort(ratios[:n_matched])
            fom = _figure_of_merit(inside, matched, inten, ratios, n_matched, threshold, area_to_height)
        if fom - penalty[g] > best_score:
            best_score, best_fom, best = fom - penalty[g], fom, g
    return best_fom, best


@numba.njit(cache=True, nogil=True)
def _strained_bragg_angles(d, strain, wavelength, angles, diffracts):  # pragma: no cover - compiled
    """Bragg's law for spacings ``d`` (angstrom) scaled by 1 + ``strain``: 2θ in degrees into ``angles`` and
    whether each reflection diffracts (λ / 2d < 1; False for a NaN spacing) into ``diffracts``."""
    for t in range(d.size):
        sin = wavelength / (2.0 * d[t] * (1.0 + strain))
        diffracts[t] = sin < 1.0
        angles[t] = np.degrees(2.0 * np.arcsin(min(max(sin, -1.0), 1.0)))


@numba.njit(cache=True, nogil=True)
def _figure_of_merit(inside, matched, inten, ratios, n_matched, threshold, area_to_height):  # pragma: no cover
    """Intensity-weighted share of the detectable reflections that are observed (module docstring, step 1).

    ``ratios[:n_matched]`` holds the observed/calculated area ratios of the matched reflections in ascending
    order; the scale is their lower quartile (a reflection shared with another phase does not inflate it),
    and the reflections inside the range it predicts above the detection height are the detectable ones."""
    scale = ratios[max(int(0.25 * (n_matched - 1)), 0)] if n_matched > 0 else 0.0
    seen, found = 0.0, 0.0
    for t in range(inten.size):
        if inside[t] and scale * inten[t] * area_to_height >= threshold:
            seen += inten[t]
            if matched[t]:
                found += inten[t]
    return found / seen if seen > 0 else 0.0


# Reflections per reference in the coarse pass of a whole-database screen: the strongest carry most of the
# intensity-weighted figure of merit, and a fixed width lets every reference be scored in one array.
_COARSE_STICKS = 16
# Exactly scored references of a screen of more candidates than this (identify_phases): the coarse pass
# keeps them, and they are scored on all their reflections.
_MAX_EXACT = 600


def _coarse_scores(references, st: _ScreenSetup, *, return_hits: bool = False):
    """Figure of merit of every reference from its ``_COARSE_STICKS`` strongest reflections, all references
    at once per grid point (the strain x zero-shift grid of the exact pass).

    Returns
    -------
    fom, strain, zero_shift_deg : ndarray, shape (n,)
    hits : ndarray of int, shape (n, _COARSE_STICKS)
        With ``return_hits``: the observed peaks (indices into the sorted peak list) matched at the best
        grid point, each once per reference, -1 elsewhere.
    """
    n, k = len(references), _COARSE_STICKS
    d, inten = np.full((n, k), np.nan), np.zeros((n, k))
    if n:
        sizes = [ref.intensity.size for ref in references]
        # the spacings of ReferencePattern.d_spacing_angstrom, for all references at once
        spacing = bragg_d_spacing_angstrom(np.concatenate([ref.two_theta_deg for ref in references]),
                                           np.repeat([ref.wavelength_angstrom for ref in references], sizes))
        _strongest_kernel(np.concatenate([ref.intensity for ref in references]).astype(float), spacing,
                          np.cumsum([0] + sizes), d, inten)
    n_sticks = (inten > 0).sum(axis=1)
    # matching by table look-up: the index of the observed peak nearest to each fine 2-theta bin, -1 beyond tol
    step = 0.005
    edges = np.arange(st.lo - st.max_zero_shift_deg - 1, st.hi + st.max_zero_shift_deg + 1, step)
    j = np.clip(np.searchsorted(st.obs, edges), 1, st.obs.size - 1)
    nearest = np.where(np.abs(edges - st.obs[j - 1]) < np.abs(edges - st.obs[j]), j - 1, j)
    table = np.where(np.abs(st.obs[nearest] - edges) <= st.tol, nearest, -1)
    best_fom, best_s, best_z = np.full(n, -np.inf), np.zeros(n), np.zeros(n)
    penalty = st.penalty.reshape(st.strains.size, st.zeros.size)
    _coarse_kernel(d, inten, n_sticks, st.strains, st.zeros, penalty, float(st.wavelength_angstrom), float(st.lo),
                   float(st.hi), float(edges[0]), step, table, st.obs_area, float(st.threshold),
                   float(st.area_to_height), best_fom, best_s, best_z)
    fom = np.maximum(best_fom + _grid_penalty_at(st.max_strain, st.max_zero_shift_deg, best_s, best_z), 0.0)
    if not return_hits:
        return fom, best_s, best_z
    # the observed peaks (indices into st.obs) each reference matches at its best grid point, each once
    with np.errstate(invalid="ignore"):
        sin = st.wavelength_angstrom / (2 * d * (1 + best_s[:, None]))
        pos = np.degrees(2 * np.arcsin(np.clip(np.nan_to_num(sin, nan=2.0), -1, 1))) + best_z[:, None]
        inside = np.isfinite(sin) & (sin < 1) & (pos > st.lo) & (pos < st.hi)
    index = np.clip(np.rint((pos - edges[0]) / step).astype(int), 0, edges.size - 1)
    hits = np.sort(np.where(inside, table[index], -1), axis=1)
    hits[:, 1:][hits[:, 1:] == hits[:, :-1]] = -1
    return fom, best_s, best_z, hits


@numba.njit(cache=True, nogil=True)
def _strongest_kernel(intensity, d, offsets, d_out, intensity_out):  # pragma: no cover - compiled
    """For each reference r (sticks ``offsets[r]:offsets[r + 1]`` of the concatenated arrays), its strongest
    reflections of at least 1 % of its strongest, at most ``d_out.shape[1]`` of them, strongest first (of
    equal ones the earlier), into row r of ``d_out`` and ``intensity_out`` (rows left as given when none)."""
    k = d_out.shape[1]
    for r in range(offsets.size - 1):
        start, stop = offsets[r], offsets[r + 1]
        if stop == start:
            continue
        threshold = 0.01 * intensity[start:stop].max()
        n = 0
        for t in range(start, stop):
            value = intensity[t]
            if value < threshold or (n == k and value <= intensity_out[r, k - 1]):
                continue
            m = min(n, k - 1)  # insertion into the descending row, after the equal ones
            while m > 0 and intensity_out[r, m - 1] < value:
                intensity_out[r, m], d_out[r, m] = intensity_out[r, m - 1], d_out[r, m - 1]
                m -= 1
            intensity_out[r, m], d_out[r, m] = value, d[t]
            n = min(n + 1, k)


@numba.njit(cache=True, nogil=True)
def _coarse_kernel(d, inten, n_sticks, strains, zeros, penalty, wavelength, lo, hi, edge0, step, table, obs_area,
                   threshold, area_to_height, best_fom, best_s, best_z):  # pragma: no cover - compiled
    """The grid loop of :func:`_coarse_scores`, reference by reference: at each strain and zero shift the
    sticks inside the range are matched by table look-up and scored by :func:`_figure_of_merit` (with the
    at-least-two-matches rule and the grid penalty); the best grid point is kept (the first of equal ones)."""
    n, k = d.shape
    positions = np.empty(k)
    real = np.empty(k, np.bool_)
    inside = np.empty(k, np.bool_)
    matched = np.empty(k, np.bool_)
    ratios = np.empty(k)
    for r in range(n):
        for a in range(strains.size):
            _strained_bragg_angles(d[r], strains[a], wavelength, positions, real)  # NaN padding: not real
            for b in range(zeros.size):
                n_matched = 0
                for t in range(k):
                    pos = positions[t] + zeros[b]
                    inside[t] = real[t] and lo < pos < hi
                    hit = table[min(max(int(np.rint((pos - edge0) / step)), 0), table.size - 1)] if inside[t] else -1
                    matched[t] = hit >= 0
                    if matched[t]:  # kept in ascending order (insertion; at most k of them)
                        ratio = obs_area[hit] / (inten[r, t] if inten[r, t] > 0 else 1.0)
                        m = n_matched
                        while m > 0 and ratios[m - 1] > ratio:
                            ratios[m] = ratios[m - 1]
                            m -= 1
                        ratios[m] = ratio
                        n_matched += 1
                fom = 0.0
                if n_matched >= min(2, n_sticks[r]):
                    fom = _figure_of_merit(inside, matched, inten[r], ratios, n_matched, threshold, area_to_height)
                fom -= penalty[a, b]
                if fom > best_fom[r]:
                    best_fom[r], best_s[r], best_z[r] = fom, strains[a], zeros[b]


def _grid_penalty_at(max_strain, max_zero_shift_deg, strain, zero):
    """Prefer the smallest strain and zero shift among equal scores (subtracted from the figures of merit)."""
    return 1e-3 * (np.abs(strain) / max_strain + np.abs(zero) / max(max_zero_shift_deg, 1e-9))


def _indexed_peaks(refinement, pattern, peaks_deg, tol) -> np.ndarray:
    """Observed peaks (positions given) lying within tol of a reflection of a refined phase (K-alpha1 or 2)."""
    indexed = np.zeros(peaks_deg.size, bool)
    for phase in refinement.phases:
        indexed |= _matched(_with_kalpha2(phase.peak_two_theta_deg, pattern, refinement.zero_shift_deg), peaks_deg, tol)
    return indexed


class _DatabaseShortlist:
    """Shortlists of a whole-database search (more than ``_MAX_EXACT`` references).

    Among thousands of references, a thousand or more observe all their detectable reflections by
    chance (a structure with three strong reflections on a dense pattern), so the figure of merit alone
    cannot rank them. Every reference is scored once on its ``_COARSE_STICKS`` strongest reflections
    (:func:`_coarse_scores`), which also records the observed peaks it matches; each shortlist ranks
    the references by that figure of merit times the share of the *still unexplained* observed peak
    area they match (the coverage of search-match programs; Hanawalt, Rinn & Frevel 1938), so that after
    the major phases are accepted the minor ones rise, and scores the best exactly (all their
    reflections, :func:`_screen_one`) until ``n_screen`` distinct ones reach the figure of merit.
    """

    def __init__(self, pattern, refs, peaks, *, max_strain, n_screen, min_figure_of_merit):
        self.refs, self.n_screen, self.min_fom = refs, n_screen, min_figure_of_merit
        self.setup = _screen_setup(pattern, peaks, max_strain, 0.15, None, None)
        self.fom, _, _, self.hits = _coarse_scores(refs, self.setup, return_hits=True)
        self.obs = self.setup.obs
        self.exact: dict[int, ScreenResult] = {}
        # the observed peaks are addressed in sorted order throughout (setup.obs)
        self._area = np.append(self.setup.obs_area, 0.0)
        self._by_chemistry = _chemistry_index(refs, range(len(refs)))
        self._parents: dict[int, int | None] = {}

    def _parent(self, i: int) -> int | None:
        """:func:`_substitution_parent` of reference i among all references (remembered)."""
        if i not in self._parents:
            self._parents[i] = _substitution_parent(i, self.refs, self._by_chemistry)
        return self._parents[i]

    def shortlist(self, unexplained, keep=()) -> list[ScreenResult]:
        """Distinct (formula, space group) candidates ranked on the unexplained peaks (mask over the
        sorted observed peaks); the ``keep`` candidates (accepted phases) are passed through."""
        area = np.where(np.append(unexplained, False), self._area, 0.0)
        total = area.sum()
        if total <= 0:
            return []
        coverage = area[self.hits].sum(axis=1) / total
        order = np.argsort(-(self.fom * coverage), kind="stable")
        out, seen = [], {(s.formula, s.space_group) for s in keep}
        for i in order[:_MAX_EXACT].tolist():
            if coverage[i] <= 0:
                break
            key = (self.refs[i].formula, self.refs[i].space_group)
            if key in seen:
                continue
            if i not in self.exact:
                self.exact[i] = _screen_one(i, self.refs[i], self.setup)
            if self.exact[i].figure_of_merit < self.min_fom:
                continue
            parent = self._parent(i)
            if parent is not None:
                if parent not in self.exact:
                    self.exact[parent] = _screen_one(parent, self.refs[parent], self.setup)
                parent_key = (self.refs[parent].formula, self.refs[parent].space_group)
                if self.exact[parent].figure_of_merit >= self.min_fom:
                    seen.add(key)
                    if parent_key in seen:
                        continue
                    i, key = parent, parent_key
            seen.add(key)
            out.append(self.exact[i])
            if len(out) >= self.n_screen:
                break
        return out

    def everything_scored(self) -> list[ScreenResult]:
        """Every reference scored exactly so far (for the polymorph swaps and the ranking reported)."""
        return [s for s in self.exact.values() if s.figure_of_merit >= self.min_fom]


def _chemistry_index(refs, indices) -> dict[tuple[str, frozenset], list[int]]:
    """The given reference indices grouped by (space group, element set), in index order."""
    index: dict[tuple[str, frozenset], list[int]] = {}
    for i in indices:
        index.setdefault((refs[i].space_group, refs[i].elements), []).append(i)
    return index


def _substitution_parent(i: int, refs, by_chemistry) -> int | None:
    """The reference among ``by_chemistry`` (:func:`_chemistry_index`) of which reference i is a lightly
    substituted variant (:func:`_is_substituted_variant`; Mg0.02V4O10 of V2O5, Ba3.924Sr0.076C4O12 of BaCO3, an
    Mn-doped NiO supercell), the closest in volume per atom (the first of equal ones). A powder pattern does not
    show substitutions that small, so a search takes the parent. None when there is none.

    A parent lacks only elements making up at most ``_PARENT_SUBSTITUTION`` of ref i's atoms: the element sets
    left by removing those are looked up, and each entry found is tested."""
    ref = refs[i]
    if ref.space_group == "?":
        return None
    amounts, n_atoms, _ = _atoms(ref.formula)
    limit = (_PARENT_SUBSTITUTION + 1e-9) * n_atoms
    minor = sorted(el for el, n in amounts.items() if n <= limit)
    removals = (set(r) for size in range(1, len(minor) + 1) for r in itertools.combinations(minor, size)
                if sum(amounts[el] for el in r) <= limit)
    variants = sorted(j for r in removals for j in by_chemistry.get((ref.space_group, ref.elements - r), ())
                      if _is_substituted_variant(ref, refs[j]))
    if not variants:
        return None
    return min(variants, key=lambda j: abs(_volume_per_atom(refs[j]) / _volume_per_atom(ref) - 1))


# A lightly substituted variant and its parent compound (_substitution_parent): volumes per atom within
# 2 % (a few at% substitution changes the cell by well under that, Vegard's law) and at most 5 % of the atoms
# substituted (the intensity change, of the order of the scattering-factor contrast times that share, is
# within what texture and displacement parameters already change).
_PARENT_VOLUME = 0.02
_PARENT_SUBSTITUTION = 0.05


@functools.lru_cache(maxsize=None)
def _atoms(formula: str) -> tuple[dict, float, float]:
    """Amount of each element in a formula, the number of atoms and the mass (amu) per formula unit
    (cached: a whole-database search asks for thousands)."""
    from pymatgen.core import Composition

    composition = Composition(formula)
    return ({el.symbol: composition[el] for el in composition.elements}, float(composition.num_atoms),
            float(composition.weight))  # plain floats: pymatgen's unit-carrying ones are slow in arithmetic


def _is_substituted_variant(ref: ReferencePattern, parent: ReferencePattern) -> bool:
    """Whether ``ref`` is ``parent`` with a few per cent of its atoms substituted: the same space group,
    ``parent`` made of a strict subset of ref's elements, the extra elements at most ``_PARENT_SUBSTITUTION``
    of ref's atoms, volumes per atom within ``_PARENT_VOLUME``."""
    if ref.space_group in ("?", "") or ref.space_group != parent.space_group:
        return False
    parent_elements = parent.elements
    if not parent_elements < ref.elements:  # the cheap test first (no amounts parsed)
        return False
    amounts, n_atoms, _ = _atoms(ref.formula)
    if sum(n for el, n in amounts.items() if el not in parent_elements) / n_atoms > _PARENT_SUBSTITUTION:
        return False
    return abs(_volume_per_atom(parent) / _volume_per_atom(ref) - 1) < _PARENT_VOLUME


def _volume_per_atom(ref: ReferencePattern) -> float:
    _, n_atoms, mass = _atoms(ref.formula)
    return ref.volume_a3 / (ref.cell_mass_amu / mass * n_atoms)


def _strained_lattice(ref: ReferencePattern, strain: float) -> np.ndarray:
    lattice = ref.lattice.copy()
    lattice[:3] *= 1 + strain
    return lattice


def _explained_fraction(refinement: Refinement, p: int, sigma, *, own_only: bool = False) -> float:
    """Share of phase p's significant (> 3 sigma) contribution covered by the counts the other phases
    leave; with ``own_only``, only where the others give less than half as much (its own reflections)."""
    own = refinement.phase_curves[p]
    rest = refinement.observed - (refinement.calculated - own)
    significant = own > 3 * sigma
    if own_only:
        significant &= refinement.calculated - refinement.background - own < 0.5 * own
    if not np.any(significant):
        return 0.0
    m, r = own[significant], rest[significant]
    return float(np.sum(np.clip(r, 0, m)) / np.sum(m))


def _with_kalpha2(positions_deg, pattern: Pattern, zero_shift_deg: float) -> np.ndarray:
    """K-alpha1 positions plus their K-alpha2 companions (Bragg's law at the second wavelength)."""
    if not pattern.kalpha2_ratio > 0 or positions_deg.size == 0:
        return positions_deg
    d = bragg_d_spacing_angstrom(positions_deg - zero_shift_deg, pattern.wavelength_angstrom)
    second = bragg_two_theta_deg(d, pattern.wavelength2_angstrom)[0] + zero_shift_deg
    return np.concatenate([positions_deg, second])


def _distinct_fraction(refinement: Refinement, p: int, sigma) -> float:
    """Share of phase p's significant contribution where the other phases give less than half as much.

    A structure that only absorbs misfits of other phases (wrong peak shapes, preferred
    orientation) sits on their peaks and scores near 0; a phase that is present has
    reflections of its own.
    """
    own = refinement.phase_curves[p]
    others = refinement.calculated - refinement.background - own
    significant = own > 3 * sigma
    if not np.any(significant):
        return 0.0
    distinct = significant & (others < 0.5 * own)
    return float(own[distinct].sum() / own[significant].sum())


def _own_peaks(refinement: Refinement, p: int, sigma, peaks_deg, tol) -> int:
    """Number of observed peaks that only phase p accounts for: stretches where its contribution is
    significant (> 3 sigma) and the other phases give less than half as much, holding an observed peak."""
    own = refinement.phase_curves[p]
    others = refinement.calculated - refinement.background - own
    mask = (own > 3 * sigma) & (others < 0.5 * own)
    if not np.any(mask) or peaks_deg.size == 0:
        return 0
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(int), [0]])))
    x = refinement.two_theta_deg
    count = 0
    for start, stop in zip(edges[::2], edges[1::2]):
        lo, hi = x[start] - tol, x[stop - 1] + tol
        count += bool(np.any((peaks_deg >= lo) & (peaks_deg <= hi)))
    return count


def _acceptable(result: Refinement, *, rwp_before, sigma, peaks_deg, tol, min_rwp_gain, min_weight_fraction,
                min_explained, min_distinct, min_own_peaks) -> tuple[bool, float]:
    """Whether the last phase of a trial refinement is accepted (module docstring, step 2: Rwp gain,
    weight fraction, explained fraction overall and on its own reflections, distinct share, own peaks);
    returns the verdict and the relative Rwp gain."""
    k = len(result.phases) - 1
    gain = (rwp_before - result.rwp) / rwp_before if rwp_before > 0 else 0.0
    # its own reflections must be observed too, not only the ones it shares with the others
    explained = min(_explained_fraction(result, k, sigma), _explained_fraction(result, k, sigma, own_only=True))
    ok = gain >= min_rwp_gain and _fraction(result, k) >= min_weight_fraction and explained >= min_explained \
        and _distinct_fraction(result, k, sigma) >= min_distinct \
        and _own_peaks(result, k, sigma, peaks_deg, tol) >= min(min_own_peaks, peaks_deg.size)
    return ok, gain


def _fraction(refinement: Refinement, k: int) -> float:
    """Weight fraction of phase k, or, when fractions cannot be computed (a card without its
    reference intensity ratio), its share of the refined phase intensity, for the acceptance tests."""
    value = refinement.phases[k].weight_fraction
    if np.isfinite(value):
        return float(value)
    areas = np.array([curve.sum() for curve in refinement.phase_curves])
    return float(areas[k] / areas.sum()) if areas.sum() > 0 else 0.0


def _matched(positions, peaks_deg, tol):
    if positions.size == 0 or peaks_deg.size == 0:
        return np.zeros(peaks_deg.size, bool)
    diff = np.abs(peaks_deg[:, None] - positions[None, :])
    return diff.min(axis=1) <= tol


def identify_phases(pattern: Pattern, candidates=None, *, elements=None, max_phases: int = 4,
                    n_screen: int = 150, min_figure_of_merit: float = 0.5, min_weight_fraction: float = 0.01,
                    min_rwp_gain: float = 0.02, min_explained: float = 0.7, max_strain: float = 0.012,
                    min_distinct: float = 0.25, min_step_deg: float = 0.02,
                    min_orientation_gain: float = 0.02, min_own_peaks: int = 2, progress: bool = False,
                    cards=()) -> PhaseIdentification:
    """Identify the crystalline phases of a powder pattern and refine them.

    Parameters
    ----------
    pattern : Pattern
        Observed pattern (counts, with its wavelength).
    candidates : sequence, optional
        Built-in names, ``"amcsd:<id>"``, CIF paths, pymatgen structures or
        :class:`~xrd.references.ReferencePattern` objects. Default: the built-ins,
        plus, with ``elements``, every AMCSD structure made only of those elements.
        ``list(builtin_references()) + database_candidates()`` searches the whole AMCSD
        (its packed cache is built at the first such search: minutes, once). Without
        ``elements`` such a search may take an isostructural substitute for the true phase (TiO or VN
        for NiO): the pattern alone cannot tell them apart, and the result says so (the phase's
        ``equally_good`` and a warning); give the sample's elements whenever they are known.
    elements : iterable of str, optional
        Allowed chemical symbols; candidates with other elements are discarded.
    max_phases : int
        Most phases accepted.
    n_screen : int
        Number of best-screened candidates (distinct formula and space group) passed to the
        whole-pattern search.
    min_figure_of_merit : float
        Screening figure of merit a candidate needs (0-1).
    min_weight_fraction : float
        Smallest weight fraction (0-1) accepted.
    min_rwp_gain : float
        Smallest relative decrease of Rwp for a phase to be accepted.
    min_explained : float
        Smallest explained fraction of a phase's own significant contribution (0-1).
    max_strain : float
        Largest isotropic lattice strain searched (fraction).
    min_distinct : float
        Smallest share of a phase's significant contribution lying where the other phases
        contribute less than half as much (0-1): a phase needs reflections of its own.
    min_step_deg : float
        Finer scans are summed into bins of about this step first (:func:`xrd.processing.rebin`);
        0 keeps the pattern as it is.
    min_own_peaks : int
        Observed peaks a new phase must account for on its own (its significant contribution there
        at least twice that of the other phases): one unindexed peak does not make a phase.
    min_orientation_gain : float
        Smallest relative decrease of Rwp for a March-Dollase preferred orientation of an accepted
        phase to be kept (tried along its low-index axes right after it is accepted); also the
        Rwp margin within which two interchangeable candidates count as equally good, when the
        one accounting for more of ``elements`` is preferred.
    progress : bool
        Show a progress bar while the references are simulated or loaded.
    cards : sequence, optional
        Card files (or card ReferencePatterns) that label the phases found without being searched:
        where a structure and a card exist for a phase, the structure refines and the card names it.
        An identified phase takes the card number (else the name) of the card of the same reduced
        formula whose cell volume is within 3 % of its refined one.

    Returns
    -------
    PhaseIdentification

    Examples
    --------
    >>> result = identify_phases(read_pattern("lco.xy"))  # doctest: +SKIP
    >>> result.formulas  # doctest: +SKIP
    ('LiCoO2', 'BaTiO3', 'BaCO3')
    """
    if max_phases < 1:
        raise ValueError(f"max_phases={max_phases!r} must be >= 1")
    if min_step_deg > 0 and pattern.step_deg < min_step_deg:
        pattern = rebin(pattern, max(1, round(min_step_deg / pattern.step_deg)))
    names = _resolve_candidates(candidates, elements)
    refs, failed = _references(names, pattern, progress)
    if elements is not None:
        allowed = {e.strip().capitalize() for e in elements}
        refs = [r for r in refs if r.elements <= allowed]
    declared = None if elements is None else frozenset(e.strip().capitalize() for e in elements)
    labels = _references(_resolve_candidates(list(cards), None), pattern, False)[0] if len(cards) else []
    with _single_thread_blas():
        result = _identify(pattern, refs, failed, max_phases=max_phases, n_screen=n_screen,
                           min_figure_of_merit=min_figure_of_merit, min_weight_fraction=min_weight_fraction,
                           min_rwp_gain=min_rwp_gain, min_explained=min_explained, min_distinct=min_distinct,
                           max_strain=max_strain, n_candidates=len(names), min_orientation_gain=min_orientation_gain,
                           declared_elements=declared, min_own_peaks=min_own_peaks)
    return _label_with_cards(result, labels) if labels else result


#: Largest difference of any element's atomic fraction between a card and a phase it may label
#: (a non-stoichiometric entry such as Li1.2Mn1.8O4 against a LiMn2O4 card: 0.03).
_CARD_COMPOSITION_TOLERANCE = 0.05


def close_compositions(formula_a: str, formula_b: str, tolerance: float = _CARD_COMPOSITION_TOLERANCE) -> bool:
    """Whether two formulas have the same elements with every atomic fraction within ``tolerance``
    (e.g. Li2.68Ti1.32O4 and Li2TiO3, Li9.584Mn14.416O31.776 and LiMn2O4: 0.03)."""
    ours, n_ours, _ = _atoms(formula_a)
    theirs, n_theirs, _ = _atoms(formula_b)
    if set(ours) != set(theirs):
        return False
    return all(abs(ours[el] / n_ours - theirs[el] / n_theirs) <= tolerance for el in ours)


def _card_matches(card, phase, volume: float) -> bool:
    """A card labels a phase of the same reduced formula, or of the same elements in fractions within
    :data:`_CARD_COMPOSITION_TOLERANCE` (:func:`close_compositions`) and the same space group (when the
    card gives one), and in both cases a cell volume within 3 %."""
    if abs(card.volume_a3 / volume - 1) >= 0.03:
        return False
    if card.formula == phase.formula:
        return True
    close = close_compositions(card.formula, phase.formula)
    group = card.space_group.replace("_", "").replace(" ", "")
    return close and group not in ("", "?") and group == phase.space_group.replace("_", "").replace(" ", "")


def _label_with_cards(result: PhaseIdentification, cards) -> PhaseIdentification:
    """Give each identified phase the label of the first card that matches it (:func:`_card_matches`)."""
    from dataclasses import replace

    from xrd.refinement import _volume

    phases = []
    for phase in result.phases:
        volume = _volume(phase.lattice)
        match = next((c for c in cards if _card_matches(c, phase, volume)), None)
        phases.append(replace(phase, card=match.card or match.name) if match is not None else phase)
    return replace(result, phases=tuple(phases))


def _identify(pattern, refs, failed, *, max_phases, n_screen, min_figure_of_merit, min_weight_fraction, min_rwp_gain,
              min_explained, min_distinct, max_strain, n_candidates, min_orientation_gain, declared_elements,
              min_own_peaks):
    y = pattern.intensity.astype(float)
    sigma = _counting_sigma(pattern)
    background = snip_background(y, half_width_points=max(5, round(2.0 / pattern.step_deg)))
    peaks = find_peaks(pattern, background=background, fit=False)
    fwhm0 = float(np.median(peaks.fwhm_deg)) if len(peaks) else 0.1
    tol = max(0.6 * fwhm0, 2 * pattern.step_deg, 0.04)
    database = _DatabaseShortlist(pattern, refs, peaks, max_strain=max_strain, n_screen=n_screen,
                                  min_figure_of_merit=min_figure_of_merit) \
        if len(refs) > _MAX_EXACT and len(peaks) else None
    if database is None:
        scores = screen_candidates(pattern, refs, peaks, max_strain=max_strain)
        ranked = [s for s in sorted(scores, key=lambda s: -s.figure_of_merit)
                  if s.figure_of_merit >= min_figure_of_merit]
        screened = _chemistry_index(refs, [s.index for s in ranked])
        shortlist, seen = [], set()
        for s in ranked:  # one per compound; a lightly substituted variant of another one found gives way to it
            key = (s.formula, s.space_group)
            if key in seen or _substitution_parent(s.index, refs, screened) is not None:
                continue
            seen.add(key)
            shortlist.append(s)
            if len(shortlist) >= n_screen:
                break
    else:
        shortlist = database.shortlist(np.ones(len(peaks), bool))
    # Rwp of the refinement model without any phase: the fixed background and its Chebyshev terms
    rwp_now = fit_fixed_shapes(pattern, background).rwp
    accepted: list[ScreenResult] = []
    info: dict[int, dict] = {}
    refinement = None
    rejected: set[int] = set()
    orient: dict[int, tuple] = {}  # candidate index -> March-Dollase axis, for phases whose fit needs one
    oriented: set[int] = set()  # candidates whose orientation has been tried
    while len(accepted) < max_phases:
        tried = 0
        progress_made = False
        if database is not None and refinement is not None:  # whole database: re-rank on the peaks left
            shortlist = database.shortlist(~_indexed_peaks(refinement, pattern, database.obs, tol), keep=accepted)
        order = _rank_additions(pattern, refs, shortlist, accepted, refinement, background, sigma, fwhm0, rejected)
        for cand, quick_gain in order:
            if tried >= 3 or quick_gain < _QUICK_GAIN_SHARE * min_rwp_gain:
                break
            tried += 1
            trial = accepted + [cand]
            lattices = [refinement.phases[k].lattice if refinement is not None and k < len(accepted) else
                        _strained_lattice(refs[s.index], s.strain if refinement is not None else 0.0)
                        for k, s in enumerate(trial)]
            fw = [refinement.phases[k].fwhm_deg(45.0) if refinement is not None and k < len(accepted) else fwhm0
                  for k in range(len(trial))]
            try:
                # the first phase searches the zero shift widely; later ones start from the refined one and
                # only the new phase's cell is searched (the accepted ones start from their refined cells)
                first = refinement is None
                result = refine_phases(pattern, [refs[s.index] for s in trial], background=background,
                                       fwhm_deg_per_phase=fw, initial_lattices=lattices,
                                       initial_zero_shift_deg=0.0 if first else refinement.zero_shift_deg,
                                       search_lattice=True if first else [len(trial) - 1],
                                       max_strain=0.012 if first else 0.004,
                                       max_zero_shift_deg=0.25 if first else 0.05,
                                       preferred_orientation=[orient.get(s.index) for s in trial])
            except (FitError, ValueError, np.linalg.LinAlgError):  # a failing trial is a rejected candidate
                rejected.add(cand.index)
                continue
            ok, gain = _acceptable(result, rwp_before=rwp_now, sigma=sigma, peaks_deg=peaks.two_theta_deg, tol=tol,
                                   min_rwp_gain=min_rwp_gain, min_weight_fraction=min_weight_fraction,
                                   min_explained=min_explained, min_distinct=min_distinct, min_own_peaks=min_own_peaks)
            if ok:
                accepted = trial
                info[cand.index] = {"gain": gain}
                refinement, rwp_now = result, result.rwp
                progress_made = True
                rejected.clear()  # the residual changed: earlier rejections get another chance
                break
            rejected.add(cand.index)
        if not progress_made:
            break
        accepted, refinement = _drop_weak(pattern, refs, accepted, refinement, background, sigma,
                                          min_weight_fraction, min_explained, orient)
        if refinement is None:
            break
        refinement = _fit_orientation(pattern, refs, accepted, refinement, background, orient, oriented,
                                      min_orientation_gain)
        rwp_now = refinement.rwp
    if refinement is not None:
        # a texture too weak to show beside the missing phases may show now
        oriented -= {s.index for s in accepted if s.index not in orient}
        best_rwp: dict[int, float] = {}
        refinement = _fit_orientation(pattern, refs, accepted, refinement, background, orient, oriented,
                                      min_orientation_gain, best_rwp)
        if database is not None:
            shortlist = database.everything_scored()
        accepted, refinement = _swap_polymorphs(pattern, refs, shortlist, accepted, refinement, background, peaks,
                                                tol, info, orient, declared_elements, min_orientation_gain, best_rwp,
                                                max_strain)
        accepted, refinement = _drop_weak(pattern, refs, accepted, refinement, background, sigma,
                                          min_weight_fraction, min_explained, orient)
    if refinement is not None:
        refinement = _model_unindexed_peaks(pattern, refs, accepted, refinement, background, peaks, tol, orient)
    phases = []
    all_matched = np.zeros(len(peaks), bool)
    if refinement is not None:
        order = np.argsort([-_fraction(refinement, k) for k in range(len(refinement.phases))])
        for k in order:
            s, ph = accepted[k], refinement.phases[k]
            hits = _matched(_with_kalpha2(ph.peak_two_theta_deg, pattern, refinement.zero_shift_deg),
                            peaks.two_theta_deg, tol)
            all_matched |= hits
            strong = ph.peak_intensity * (1 / (1.3 * max(fwhm0, 1e-3))) >= np.percentile(peaks.height, 10) \
                if len(peaks) else np.zeros(ph.peak_two_theta_deg.size, bool)
            present = _matched(peaks.two_theta_deg, ph.peak_two_theta_deg, tol) if len(peaks) else \
                np.zeros(ph.peak_two_theta_deg.size, bool)
            phases.append(IdentifiedPhase(
                ph.name, ph.formula, ph.space_group, ph.card, s.figure_of_merit,
                _explained_fraction(refinement, k, sigma), info.get(s.index, {}).get("gain", float("nan")),
                peaks.two_theta_deg[hits], ph.peak_two_theta_deg[strong & ~present], ph.lattice, ph.lattice_error,
                ph.weight_fraction, ph.weight_fraction_error, ph.cell_strain, ph.weight_fraction_stat_error,
                ph.weight_fraction_sys_error, tuple(info.get(s.index, {}).get("equally_good", ()))))
            if ph.cell_strain > _SUSPECT_CELL_STRAIN:
                warnings.warn(f"{pattern.source or 'pattern'}: {_strained_cell_reason(phases[-1])}", UserWarning,
                              stacklevel=3)
    unexplained_share = float(peaks.area[~all_matched].sum() / peaks.area.sum()) \
        if len(peaks) and peaks.area.sum() > 0 else 0.0
    if database is not None:
        ranked = sorted(database.everything_scored(), key=lambda s: -s.figure_of_merit)
    status, reasons = _verdict(phases, refinement, n_candidates, len(peaks), int((~all_matched).sum()),
                               unexplained_share, failed, declared_elements is not None)
    return PhaseIdentification(tuple(phases), refinement, peaks, peaks.two_theta_deg[~all_matched],
                               tuple(ranked[:20]), n_candidates, tuple(failed), pattern, status, tuple(reasons),
                               unexplained_share)


# A candidate is refined only when adding it to the quick linear fit (_rank_additions) lowers Rwp by at least this
# share of min_rwp_gain: on 13 of the 15 real mixtures of bench_xrd.py (whole AMCSD and elements=; 113 trials logged)
# every accepted phase's quick gain was at least 1.35 times min_rwp_gain; refining those below a quarter only cost time.
_QUICK_GAIN_SHARE = 0.25


# Share of the observed peak area left unexplained above which the identification is flagged: a few per cent
# is the area of unresolved K-alpha2 shoulders and noise peaks of a correct identification; a quarter means a
# phase of a few tens of wt% is missing from the references searched.
_UNEXPLAINED_WARNING = 0.05
_UNEXPLAINED_POOR = 0.25


def _strained_cell_reason(phase: IdentifiedPhase) -> str:
    """The verdict's reason (and the warning's text) for a refined cell far from its reference."""
    label = phase.formula if phase.name == phase.formula else f"{phase.formula} ({phase.name})"
    return (f"the refined cell of {label} differs from its reference by "
            f"{100 * phase.cell_strain:.1f} %: its reflections may be fitted to another phase's peaks (an "
            "unreferenced phase?); check its lattice and weight fraction")


def _verdict(phases, refinement, n_candidates, n_peaks, n_unexplained, unexplained_share, failed, declared):
    """Quality verdict ('ok' / 'warning' / 'poor') and its reasons, as sentences."""
    reasons, status = [], "ok"
    if not phases:
        text = f"no match among {n_candidates} references searched"
        text += f"; {n_unexplained} peaks unexplained" if n_peaks else "; no diffraction peak was found"
        return "poor", [text]
    if n_unexplained >= 2 and unexplained_share > _UNEXPLAINED_WARNING:
        status = "poor" if unexplained_share > _UNEXPLAINED_POOR else "warning"
        reasons.append(f"{n_unexplained} of {n_peaks} peaks ({100 * unexplained_share:.0f} % of the peak intensity) "
                       f"are explained by no identified phase among {n_candidates} references searched: a phase is "
                       "missing from the references, and the weight fractions are relative to the identified phases")
    for phase in phases:
        if phase.cell_strain > _SUSPECT_CELL_STRAIN:
            status = "poor" if status == "poor" else "warning"
            reasons.append(_strained_cell_reason(phase))
    for phase in phases:
        if phase.equally_good:
            status = "poor" if status == "poor" else "warning"
            hint = "" if declared else "; declare the sample's elements"
            reasons.append(f"{phase.formula} fits no better than {', '.join(phase.equally_good)} in its place: the "
                           f"pattern cannot tell them apart{hint}")
    if refinement is not None and not refinement.success:
        status = "poor" if status == "poor" else "warning"
        reasons.append(f"the final refinement did not converge ({refinement.message})")
    if failed:
        names = ", ".join(entry.split(": ", 1)[0] for entry in failed[:3])  # entries read "<candidate>: <why>"
        more = f" and {len(failed) - 3} more" if len(failed) > 3 else ""
        reasons.append(f"{len(failed)} candidate structure(s) could not be simulated and were not searched "
                       f"({names}{more}; the reasons are in failed_candidates)")
    return status, reasons


def _model_unindexed_peaks(pattern, refs, accepted, refinement, background, peaks, tol, orient):
    """Final refinement of the accepted phases with the observed peaks none of them indexes
    modelled as free peaks (``unindexed_peaks`` of :func:`xrd.refinement.refine_phases`), so that
    an unknown or unreferenced phase does not pull their cells, zero shift and scales; returns
    the given refinement when every peak is indexed."""
    indexed = _indexed_peaks(refinement, pattern, peaks.two_theta_deg, tol)
    if indexed.all():
        return refinement
    return refine_phases(pattern, [refs[s.index] for s in accepted], background=background,
                         fwhm_deg_per_phase=[p.fwhm_deg(45.0) for p in refinement.phases],
                         initial_lattices=[p.lattice for p in refinement.phases],
                         initial_zero_shift_deg=refinement.zero_shift_deg, search_lattice=False,
                         preferred_orientation=[orient.get(s.index) for s in accepted],
                         unindexed_peaks=(peaks.two_theta_deg[~indexed], peaks.fwhm_deg[~indexed]))


def _drop_weak(pattern, refs, accepted, refinement, background, sigma, min_weight_fraction, min_explained, orient):
    """Drop accepted phases that no longer reach the weight fraction or explained fraction, and re-refine."""
    keep = [k for k in range(len(accepted))
            if _fraction(refinement, k) >= min_weight_fraction
            and _explained_fraction(refinement, k, sigma) >= min_explained]
    if len(keep) == len(accepted):
        return accepted, refinement
    if not keep:
        return [], None
    result = refine_phases(pattern, [refs[accepted[k].index] for k in keep], background=background,
                           fwhm_deg_per_phase=[refinement.phases[k].fwhm_deg(45.0) for k in keep],
                           initial_lattices=[refinement.phases[k].lattice for k in keep],
                           initial_zero_shift_deg=refinement.zero_shift_deg, search_lattice=False,
                           preferred_orientation=[orient.get(accepted[k].index) for k in keep])
    return [accepted[k] for k in keep], result


def _orientation_axes(lattice) -> list[tuple[int, int, int]]:
    """Low-index preferred-orientation axes worth trying for a cell: the cube edge, body and face
    diagonals for cubic cells, the unique axis (and for tetragonal the a axis) for uniaxial
    cells, the three cell axes otherwise (platelets and needles usually grow along them)."""
    a, b, c, al, be, ga = (float(v) for v in lattice)
    right = all(abs(v - 90) < 1e-3 for v in (al, be, ga))
    if right and abs(a - b) <= 1e-4 * a and abs(b - c) <= 1e-4 * b:
        return [(1, 0, 0), (1, 1, 1), (1, 1, 0)]
    if abs(a - b) <= 1e-4 * a and right:
        return [(0, 0, 1), (1, 0, 0)]
    if abs(a - b) <= 1e-4 * a and abs(ga - 120) < 1e-3:
        return [(0, 0, 1)]
    return [(1, 0, 0), (0, 1, 0), (0, 0, 1)]


def _refit(pattern, refs, accepted, refinement, background, orient, *, replace=None):
    """Re-refine the accepted set from a previous refinement; ``replace=(k, candidate)`` puts another
    candidate in place k, whose cell is searched afresh."""
    k_new, new = replace if replace is not None else (None, None)
    trial = [new if k == k_new else s for k, s in enumerate(accepted)]
    lattices = [refs[s.index].lattice if k == k_new else refinement.phases[k].lattice for k, s in enumerate(trial)]
    widths = [p.fwhm_deg(45.0) for p in refinement.phases]
    return trial, refine_phases(pattern, [refs[s.index] for s in trial], background=background,
                                fwhm_deg_per_phase=widths, initial_lattices=lattices,
                                initial_zero_shift_deg=refinement.zero_shift_deg,
                                search_lattice=[k_new] if replace is not None else False,
                                max_strain=0.012, max_zero_shift_deg=0.05,
                                preferred_orientation=[orient.get(s.index) for s in trial])


# March-Dollase ratios of the quick texture scan (:func:`_quick_orientation`; r < 1 platelets on the axis
# plane, r > 1 needles along it; the refinement bounds r to 0.3-3)
_QUICK_R = (0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.15, 1.3, 1.5, 1.8, 2.2, 2.8)


def _quick_orientation(pattern, refs, accepted, refinement, background, k):
    """The low-index axis (:func:`_orientation_axes`) whose best March-Dollase ratio (over ``_QUICK_R``)
    lowers the quick linear fit (:mod:`xrd.quick_fit`) of random-powder phase k most, with the other
    phases' refined profiles fixed; returns (axis or None, relative Rwp decrease)."""
    ref = refs[accepted[k].index]
    others = _fit_of_others(pattern, refinement, k, background)
    d = d_spacing_angstrom(ref.hkl, refinement.phases[k].lattice)

    def rwp(intensity):
        return _rwp_in_place(pattern, refinement, k, others, d, intensity, refinement.zero_shift_deg)[0]

    base = rwp(ref.intensity)
    best_axis, best = None, base
    for axis in _orientation_axes(ref.lattice):
        cos2 = _orientation_cosines(ref.hkl, ref.lattice, axis)
        for r in _QUICK_R:
            value = rwp(ref.intensity * _march_dollase(cos2, r))
            if value < best:
                best_axis, best = axis, value
    return best_axis, (base - best) / base if base > 0 else 0.0


def _best_orientation(pattern, refs, accepted, refinement, background, orient, k, min_gain):
    """Try a March-Dollase preferred orientation for random-powder phase k of the accepted set: the axis
    the quick scan finds best (:func:`_quick_orientation`) is refined when the scan gains at least half of
    ``min_gain`` (the fixed profiles of the scan are a feasible point of the refinement, so it gains at
    least about as much).

    Returns
    -------
    axis, result : the axis and its refinement when it lowers Rwp by ``min_gain`` (relative), else None
        and the given refinement.
    best_rwp : float
        The lowest Rwp reached with or without the axis (for comparing candidates on equal terms).
    """
    axis, quick_gain = _quick_orientation(pattern, refs, accepted, refinement, background, k)
    if axis is None or quick_gain < 0.5 * min_gain:
        return None, refinement, refinement.rwp
    try:
        _, result = _refit(pattern, refs, accepted, refinement, background,
                           {**orient, accepted[k].index: axis})
    except (FitError, ValueError, np.linalg.LinAlgError):  # an orientation that cannot be fitted is not kept
        return None, refinement, refinement.rwp
    if result.rwp < (1 - min_gain) * refinement.rwp:
        return axis, result, result.rwp
    return None, refinement, min(result.rwp, refinement.rwp)


def _fit_orientation(pattern, refs, accepted, refinement, background, orient, oriented, min_gain, best_rwp=None):
    """Give each newly accepted phase a March-Dollase preferred orientation (Dollase, J. Appl. Cryst.
    19 (1986) 267, doi:10.1107/S0021889886089458) when it lowers Rwp significantly, so that texture
    of one phase is not taken for a further phase and does not bias the weight fractions.
    ``best_rwp`` (dict, optional) receives per candidate the lowest Rwp any axis reached."""
    for k, s in enumerate(accepted):
        if s.index in oriented:
            continue
        oriented.add(s.index)
        axis, refinement, lowest = _best_orientation(pattern, refs, accepted, refinement, background, orient, k,
                                                     min_gain)
        if best_rwp is not None:
            best_rwp[s.index] = lowest
        if axis is not None:
            orient[s.index] = axis
    return refinement


# Alternatives refined in an accepted phase's place (the best by the quick linear fit, xrd.quick_fit); of them
# the _ORIENTED_ALTERNATIVES closest after refinement have their preferred orientation searched too.
_SWAP_REFITS = 3
# ... and only those whose quick fit is within this factor of the phase's refined Rwp: on 13 of the 15 real
# mixtures of bench_xrd.py (whole AMCSD and elements=; 68 swap refits logged), no alternative whose quick fit was
# more than twice the refined Rwp came within 10 % of it after refinement while keeping its cell within the
# search's strain range (quick fits of 1.3 refined to 1.004 and, with a 1.5 % strain, 1.42 to 0.89, 2.7 to 0.68).
_SWAP_QUICK_LIMIT = 2.0
# An alternative "falls on the same peaks" as an accepted phase when _SAME_PEAKS of its strong reflections'
# intensity lies on observed peaks the phase indexes and its reflections cover _SAME_PEAKS_COVER of those peaks'
# area (less: a structure of higher symmetry has fewer reflections, e.g. Ia-3 In2O3 against I-43m tennantite,
# whose extra reflections may sit on another phase's peaks).
_SAME_PEAKS = 0.8
_SAME_PEAKS_COVER = 0.5
# In a tie, a cell closer to its reference by more than this (fraction) is the simpler explanation.
_SIMPLER_STRAIN = 0.005


def _falls_on_same_peaks(ref: ReferencePattern, alt: ScreenResult, pattern: Pattern, peaks: PeakList, own, tol) -> bool:
    """Whether a screened candidate's strong reflections (>= 5 % of its strongest, at its screened strain and
    zero shift) fall on the observed peaks an accepted phase indexes (``own``, mask over ``peaks``) and cover
    them (``_SAME_PEAKS`` of its intensity on them, ``_SAME_PEAKS_COVER`` of their area covered)."""
    if ref.intensity.size == 0 or not own.any():
        return False
    strong = ref.intensity >= 0.05 * ref.intensity.max()
    positions, ok = bragg_two_theta_deg(ref.d_spacing_angstrom()[strong] * (1 + alt.strain),
                                        pattern.wavelength_angstrom)
    positions = positions + alt.zero_shift_deg
    inside = (positions >= pattern.two_theta_deg[0]) & (positions <= pattern.two_theta_deg[-1])
    if not inside.any():
        return False
    positions, intensity = positions[inside], ref.intensity[strong][ok][inside]
    distance = np.abs(peaks.two_theta_deg[None, :] - positions[:, None])
    nearest = distance.argmin(axis=1)
    on_own = (distance[np.arange(positions.size), nearest] <= tol) & own[nearest]
    covered = np.zeros(own.size, bool)
    covered[nearest[on_own]] = True
    return bool(intensity[on_own].sum() >= _SAME_PEAKS * intensity.sum()
                and peaks.area[covered].sum() >= _SAME_PEAKS_COVER * peaks.area[own].sum())


def _alternatives(pattern, refs, scored, accepted, refinement, k, peaks, tol):
    """Screened candidates that could stand in accepted phase k's place, one per (formula, space group), the
    closest in volume: polymorphs (same formula, another space group), isostructural entries (same space
    group, volume within 5 %) and any other whose reflections fall on the same observed peaks
    (:func:`_falls_on_same_peaks`; e.g. body-centred cubic In2O3 and tennantite). Lightly substituted variants
    of phase k's compound (:func:`_is_substituted_variant` of its entry or of another screened entry of its
    formula and space group), which the pattern cannot tell from it, are left out, and of
    entries of close compositions in one space group (:func:`close_compositions`: Li8.96Mn15.04O32 and LiMn2O4)
    only the simplest formula (fewest atoms) stands, none when phase k is it.

    Returns
    -------
    list of (ScreenResult, bool)
        The alternatives and whether each is isostructural with phase k.
    """
    current, phase = accepted[k], refinement.phases[k]
    own = _matched(_with_kalpha2(phase.peak_two_theta_deg, pattern, refinement.zero_shift_deg), peaks.two_theta_deg,
                   tol)
    taken = {s.index for s in accepted}
    compound = (current.formula, current.space_group)
    # phase k's compound: its entry and the other screened entries of its formula and space group, whose cells
    # may differ by more than the 2 % a variant is tested against (BaCO3: AMCSD 18034 is 2.3 % below 9098)
    entries = [refs[current.index]] + [refs[s.index] for s in scored if (s.formula, s.space_group) == compound]
    best: dict[tuple, tuple] = {}
    for alt in scored:
        key = (alt.formula, alt.space_group)
        if alt.index in taken or key == compound:
            continue
        ref = refs[alt.index]
        if any(_is_substituted_variant(ref, entry) for entry in entries):
            continue
        mismatch = abs(ref.volume_a3 * (1 + alt.strain) ** 3 / phase.volume_a3 - 1)
        isostructural = alt.space_group == current.space_group and mismatch < 0.05
        polymorph = alt.formula == current.formula
        if not (isostructural or polymorph or _falls_on_same_peaks(ref, alt, pattern, peaks, own, tol)):
            continue
        if key not in best or mismatch < best[key][0]:
            best[key] = (mismatch, alt, isostructural)
    # one per compound: of close compositions in a space group (close_compositions) the simplest formula
    kept = [(current, True)]
    for _, alt, isostructural in sorted(best.values(), key=lambda item: (_atoms(item[1].formula)[1], item[0])):
        if not any(s.space_group == alt.space_group and close_compositions(s.formula, alt.formula)
                   and _atoms(s.formula)[1] <= _atoms(alt.formula)[1] for s, _ in kept):
            kept.append((alt, isostructural))
    return kept[1:]


def _quick_rwp_in_place(pattern, refs, alt, isostructural, refinement, k, others) -> float:
    """Rwp of the quick linear fit with candidate ``alt`` in place of refined phase k (:func:`_rwp_in_place`;
    ``others`` from :func:`_fit_of_others`) at its screened strain and zero shift and, when it is
    isostructural, also at phase k's refined cell volume and zero shift (the lower of the two). Infinite
    when its scale comes out negative."""
    phase, ref = refinement.phases[k], refs[alt.index]
    placements = [(ref.d_spacing_angstrom() * (1 + alt.strain), alt.zero_shift_deg)]
    if isostructural:  # also at phase k's cell volume (its axial ratios may differ: GaN against ZnO)
        placements.append((ref.d_spacing_angstrom() * (phase.volume_a3 / ref.volume_a3) ** (1 / 3),
                           refinement.zero_shift_deg))
    best = float("inf")
    for d, zero in placements:
        rwp, scale = _rwp_in_place(pattern, refinement, k, others, d, ref.intensity, zero)
        best = min(best, rwp) if scale > 0 else best
    return best


def _fit_of_others(pattern, refinement, k, background):
    """The quick linear fit (:func:`xrd.quick_fit.linear_fit`) of the refined curves of every phase but k."""
    return linear_fit(pattern, background, _counting_sigma(pattern),
                      [c for j, c in enumerate(refinement.phase_curves) if j != k])


def _rwp_in_place(pattern, refinement, k, others, d_angstrom, intensity, zero_shift_deg):
    """Quick linear fit (:mod:`xrd.quick_fit`) with refined phase k's curve replaced by the given reflections
    (spacings in angstrom, intensities), rendered with phase k's widths and the refinement's Lorentzian
    fraction at the given zero shift (degrees), added to ``others`` (:func:`_fit_of_others`); returns (Rwp,
    the reflections' scale)."""
    curve = stick_curve(pattern, d_angstrom, intensity, zero_shift_deg=zero_shift_deg,
                        fwhm_deg=refinement.phases[k].fwhm_deg, eta=refinement.eta)
    return others.with_column(curve)


def _simpler(alt_random_rwp, alt_strain, current_random_rwp, current_strain) -> bool:
    """Of two candidates that fit equally well each with its best texture, whether the alternative is the
    simpler explanation: it fits better as a random powder (Rwp lower by more than 1 %; a March-Dollase
    texture is a free parameter that can mimic a scattering-factor contrast), or as well (within 1 %) with
    a cell closer to its reference by more than ``_SIMPLER_STRAIN``."""
    if alt_random_rwp < 0.99 * current_random_rwp:
        return True
    if alt_random_rwp > 1.01 * current_random_rwp:
        return False
    return alt_strain < current_strain - _SIMPLER_STRAIN


def _declared_coverage(refs, accepted, k, candidate, declared_elements) -> int:
    """Number of the declared elements that ``candidate`` in place k accounts for and the other accepted
    phases leave unexplained (0 without declared elements)."""
    if declared_elements is None:
        return 0
    others = frozenset().union(*(refs[s.index].elements for j, s in enumerate(accepted) if j != k))
    return len((refs[candidate.index].elements & declared_elements) - others)


def _swap_polymorphs(pattern, refs, scored, accepted, refinement, background, peaks, tol, info, orient,
                     declared_elements, min_gain, best_rwp, max_strain):
    """Try alternatives to each accepted phase in its place and keep one that fits better.

    The alternatives (:func:`_alternatives`: polymorphs, isostructural entries, entries falling on the same
    peaks) are ranked by a quick linear fit in the phase's place (:func:`_quick_rwp_in_place`); the best
    ``_SWAP_REFITS`` are refined, and the ``_ORIENTED_ALTERNATIVES`` best of those whose refined cell stays
    within ``max_strain`` of their reference have their preferred orientation searched. One that lowers Rwp
    by more than 1 % (relative) replaces the phase. When the two fit equally well (Rwp within ``min_gain``),
    relative intensities cannot decide (a texture of one mimics the scattering-factor contrast of the
    other): the alternative is kept when it accounts for more of the ``declared_elements`` than the other
    accepted phases leave unexplained, and, when the elements do not decide, when it is the simpler
    explanation (:func:`_simpler`: a better fit as a random powder, or a cell closer to its reference); between
    close compositions (:func:`close_compositions`), the same compound to a powder pattern, the simpler formula.
    Candidates compared that fit within ``min_gain`` of the phase kept, are not of a close composition and
    that the declared elements do not set apart are recorded as equally good (``info[index]["equally_good"]``):
    however the tie was broken, the pattern cannot tell them apart. ``best_rwp`` holds the lowest Rwp each
    untextured accepted phase reached with an orientation axis."""
    for k in range(len(accepted)):
        current = accepted[k]
        current_rwp = refinement.rwp if current.index in orient else best_rwp.get(current.index)
        current_random = None  # (Rwp, cell strain) of the current phase as a random powder, when first needed
        alt_orient = {i: a for i, a in orient.items() if i != current.index}
        others = _fit_of_others(pattern, refinement, k, background)
        quick = sorted(((_quick_rwp_in_place(pattern, refs, alt, iso, refinement, k, others), alt, iso)
                        for alt, iso in _alternatives(pattern, refs, scored, accepted, refinement, k, peaks, tol)),
                       key=lambda item: item[0])
        refitted = []
        for quick_rwp, alt, isostructural in quick[:_SWAP_REFITS]:
            if not quick_rwp <= _SWAP_QUICK_LIMIT * refinement.rwp:
                break
            try:
                trial, result = _refit(pattern, refs, accepted, refinement, background, alt_orient,
                                       replace=(k, alt))
            except (FitError, ValueError, np.linalg.LinAlgError):  # a failing swap keeps the current phase
                continue
            # a polymorph fitting far worse is not turned around by a texture; an isostructural
            # candidate may be (texture and scattering-factor contrast both rescale its intensities)
            if not isostructural and result.rwp > 1.2 * refinement.rwp:
                continue
            # a cell strained beyond the search's range is another compound's cell fitted to these peaks
            if result.phases[k].cell_strain > max_strain:
                continue
            refitted.append((result.rwp, alt, trial, result))
        refitted.sort(key=lambda item: item[0])
        # (candidate, its best Rwp in place k) of everything compared, for the equally good ones at the end
        compared = [(current, current_rwp)]
        for _, alt, trial, result in refitted[:_ORIENTED_ALTERNATIVES]:
            current = accepted[k]
            random = (result.rwp, result.phases[k].cell_strain)
            axis, result, alt_rwp = _best_orientation(pattern, refs, trial, result, background, alt_orient, k,
                                                      min_gain)
            if current_rwp is None:
                current_rwp = _best_orientation(pattern, refs, accepted, refinement, background, orient, k, min_gain)[2]
                compared[0] = (current, current_rwp)
            compared.append((alt, alt_rwp))
            better = alt_rwp < 0.99 * current_rwp
            if not better and alt_rwp < (1 + min_gain) * current_rwp:
                gained, lost = (_declared_coverage(refs, accepted, k, s, declared_elements) for s in (alt, current))
                if gained != lost:
                    better = gained > lost
                elif close_compositions(alt.formula, current.formula):  # LiMn2O4, not Li8.96Mn15.04O32
                    better = _atoms(alt.formula)[1] < _atoms(current.formula)[1]
                else:
                    if current_random is None:
                        plain = refinement if current.index not in orient else \
                            _refit(pattern, refs, accepted, refinement, background, alt_orient)[1]
                        current_random = (plain.rwp, plain.phases[k].cell_strain)
                    better = _simpler(*random, *current_random)
            if better:
                info[alt.index] = info.get(current.index, {})
                orient.pop(current.index, None)
                if axis is not None:
                    orient[alt.index] = axis
                accepted, refinement, current_rwp = trial, result, alt_rwp
                current_random = random
        final = accepted[k]
        coverage = _declared_coverage(refs, accepted, k, final, declared_elements)
        equally_good = tuple(f"{s.formula} ({s.space_group})" for s, rwp in compared
                             if s.index != final.index and rwp is not None and rwp < (1 + min_gain) * current_rwp
                             and not close_compositions(s.formula, final.formula)
                             and _declared_coverage(refs, accepted, k, s, declared_elements) == coverage)
        if equally_good:
            info[final.index] = {**info.get(final.index, {}), "equally_good": equally_good}
    return accepted, refinement


def _rank_additions(pattern, refs, shortlist, accepted, refinement, background, sigma, fwhm0, rejected):
    """Order the shortlisted candidates by the relative Rwp decrease they give when added to the quick linear
    fit (:mod:`xrd.quick_fit`) at their screened strain and zero shift."""
    taken = {(s.formula, s.space_group) for s in accepted}
    base = linear_fit(pattern, background, sigma, [] if refinement is None else refinement.phase_curves)
    out = []
    for cand in shortlist:
        if cand.index in rejected or (cand.formula, cand.space_group) in taken:
            continue
        ref = refs[cand.index]
        curve = stick_curve(pattern, ref.d_spacing_angstrom() * (1 + cand.strain), ref.intensity,
                            zero_shift_deg=cand.zero_shift_deg, fwhm_deg=fwhm0)
        rwp, scale = base.with_column(curve)
        if scale <= 0:
            continue
        out.append((cand, (base.rwp - rwp) / base.rwp if base.rwp > 0 else 0.0))
    out.sort(key=lambda item: -item[1])
    return out
