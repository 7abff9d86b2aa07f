"""Linear combination fitting (LCF) of a normalised XANES spectrum.

The target y(E) is modelled as Σ_j w_j s_j(E) with the standards s_j
interpolated onto the target grid inside a window around the target E0.
Every combination of up to ``max_standards`` standards is fitted and the
fits are ranked by R-factor, as Athena's combinatorial LCF does. For a
given combination the weights are the exact linear least-squares solution,
with Σ w_j = 1 imposed by eliminating the last weight. With
``nonnegative=True`` a combination whose solution has a negative weight is
infeasible and dropped: the constrained optimum then lies on a smaller
combination, which is fitted too, so the best feasible fit of the ranking
is the constrained optimum.

Statistics: R = Σ (y − model)² / Σ y², χ² = Σ (y − model)²,
χ²_ν = χ² / (N − k_free); weight standard errors from the covariance
χ²_ν (AᵀA)⁻¹ of the free weights (the eliminated weight's error by
propagation).

References
----------
B. Ravel, M. Newville, J. Synchrotron Rad. 12, 537 (2005),
doi:10.1107/S0909049505012719 (Athena's LCF); S. M. Webb, Phys. Scr. T115,
1011 (2005), doi:10.1238/Physica.Topical.115a01011 (SIXPack LCF statistics).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from xas.alignment import as_normalized

__all__ = ["LCFFit", "LCFResult", "lcf"]

ARRAYS = ("norm", "flat")


@dataclass(frozen=True)
class LCFFit:
    """One fitted combination of standards.

    Attributes
    ----------
    names : tuple of str
        Standards used.
    weights, weights_stderr : tuple of float
        Fitted weights and one standard error each (NaN when unavailable).
    stderr_available : bool
    r_factor, chi_square, reduced_chi_square : float
    weight_sum : float
    feasible : bool
        False when a weight is negative although ``nonnegative`` was asked.
    energy_ev, target, model : ndarray
        Fit grid (eV), target and model curves.
    success : bool
    message : str
    """

    names: tuple[str, ...]
    weights: tuple[float, ...]
    weights_stderr: tuple[float, ...]
    stderr_available: bool
    r_factor: float
    chi_square: float
    reduced_chi_square: float
    weight_sum: float
    feasible: bool
    energy_ev: np.ndarray
    target: np.ndarray
    model: np.ndarray
    success: bool
    message: str

    def summary(self) -> dict:
        """Flat key numbers: ``weight_<name>``, ``weight_stderr_<name>``, statistics."""
        out = {"r_factor": self.r_factor, "chi_square": self.chi_square,
               "reduced_chi_square": self.reduced_chi_square, "weight_sum": self.weight_sum}
        for name, weight, err in zip(self.names, self.weights, self.weights_stderr):
            out[f"weight_{name}"] = weight
            out[f"weight_stderr_{name}"] = err
        return out


@dataclass(frozen=True)
class LCFResult:
    """All fitted combinations, best first.

    Attributes
    ----------
    best : LCFFit
        The lowest-R feasible fit.
    fits : tuple of LCFFit
        Every combination, feasible ones ranked by R-factor, then the infeasible ones.
    sum_to_one, nonnegative : bool
        Constraints used.
    window_ev : tuple of float
        Absolute fit window, eV.
    """

    best: LCFFit
    fits: tuple[LCFFit, ...]
    sum_to_one: bool
    nonnegative: bool
    window_ev: tuple[float, float]

    @property
    def weights(self) -> dict[str, float]:
        """Weights of the best fit by standard name."""
        return dict(zip(self.best.names, self.best.weights))

    @property
    def r_factor(self) -> float:
        """R-factor of the best fit."""
        return self.best.r_factor

    def summary(self) -> dict:
        """The best fit's key numbers plus the number of combinations tried."""
        out = self.best.summary()
        out["n_combinations"] = len(self.fits)
        return out

    def report(self) -> str:
        """One-line plain-text report of the best fit."""
        parts = ", ".join(f"{n} {w:.3f} ± {e:.3f}" for n, w, e in
                          zip(self.best.names, self.best.weights, self.best.weights_stderr))
        return f"LCF best of {len(self.fits)} combinations: {parts}; R-factor {self.best.r_factor:.2e}"

    def table(self, top: int = 10) -> list[dict]:
        """The ``top`` best feasible fits as rows (names, weights, R-factor)."""
        rows = []
        for fit in [f for f in self.fits if f.feasible][:top]:
            rows.append({"standards": " + ".join(fit.names),
                         "weights": ", ".join(f"{w:.3f}±{e:.3f}" for w, e in zip(fit.weights, fit.weights_stderr)),
                         "r_factor": fit.r_factor})
        return rows

    def plot(self, ax=None):
        """Target, best model and residual; returns the Axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        best = self.best
        ax.plot(best.energy_ev, best.target, "k.", ms=3, label="target")
        ax.plot(best.energy_ev, best.model, label=" + ".join(f"{w:.2f} {n}" for n, w in
                                                            zip(best.names, best.weights)))
        ax.plot(best.energy_ev, best.target - best.model, color="0.5", lw=0.8, label="residual")
        ax.set_xlabel("Energy (eV)")
        ax.set_ylabel("normalised μ(E)")
        ax.legend(fontsize=7)
        return ax


def _fit(names, matrix, y, energy, *, sum_to_one: bool, nonnegative: bool) -> LCFFit:
    n, k = matrix.shape
    if sum_to_one:
        design = matrix[:, :-1] - matrix[:, -1:]
        rhs = y - matrix[:, -1]
    else:
        design, rhs = matrix, y
    if design.shape[1]:
        free, *_ = np.linalg.lstsq(design, rhs, rcond=None)
    else:
        free = np.zeros(0)
    weights = np.append(free, 1.0 - free.sum()) if sum_to_one else free
    model = matrix @ weights
    resid = y - model
    chi_square = float(resid @ resid)
    n_free = design.shape[1]
    dof = n - n_free
    reduced = chi_square / dof if dof > 0 else np.nan
    stderr = np.full(k, np.nan)
    available = False
    if n_free == 0:
        stderr[:] = 0.0
        available = True
    elif dof > 0:
        gram = design.T @ design
        if np.linalg.cond(gram) < 1e12:
            cov = np.linalg.inv(gram) * reduced
            errs = np.sqrt(np.clip(np.diag(cov), 0, None))
            if sum_to_one:
                errs = np.append(errs, np.sqrt(max(float(cov.sum()), 0.0)))
            stderr, available = errs, True
    feasible = not (nonnegative and np.any(weights < -1e-12))
    return LCFFit(
        names=tuple(names), weights=tuple(float(w) for w in weights),
        weights_stderr=tuple(float(e) for e in stderr), stderr_available=available,
        r_factor=float(chi_square / (y @ y)), chi_square=chi_square, reduced_chi_square=float(reduced),
        weight_sum=float(weights.sum()), feasible=feasible, energy_ev=energy, target=y, model=model,
        success=feasible, message="ok" if feasible else "a weight is negative",
    )


def lcf(target, standards, *, energy_range=None, sum_to_one: bool = True, nonnegative: bool = True,
        max_standards: int | None = None, array: str = "norm") -> LCFResult:
    """Fit a spectrum as a linear combination of standards; rank all combinations.

    Parameters
    ----------
    target : XASSpectrum or NormalizedXAS
        The unknown (raw spectra are normalised with default ranges).
    standards : Mapping[str, spectrum] or Sequence of spectra
        The standards; a sequence is named by each spectrum's ``label``.
    energy_range : tuple of float, optional
        Fit window relative to the target E0, eV; default (−20, 30), Athena's
        default LCF range.
    sum_to_one : bool
        Impose Σ w = 1.
    nonnegative : bool
        Reject combinations with a negative weight.
    max_standards : int, optional
        Largest combination size (default: all standards, at most 4).
    array : {"norm", "flat"}
        Normalised curve to fit.

    Returns
    -------
    LCFResult

    Raises
    ------
    ValueError
        For no standards, duplicate names, a bad option, a standard not
        covering the window, or no feasible combination.

    Examples
    --------
    >>> import numpy as np
    >>> from xas.spectrum import XASSpectrum
    >>> e = np.linspace(2440, 2540, 501)
    >>> a = XASSpectrum(e, 0.5 + np.arctan((e - 2470) / 0.7) / np.pi, label="sulfide")
    >>> b = XASSpectrum(e, 0.5 + np.arctan((e - 2481) / 0.7) / np.pi, label="sulfate")
    >>> mix = XASSpectrum(e, 0.7 * a.mu + 0.3 * b.mu, label="mix")
    >>> result = lcf(mix, [a, b], energy_range=(-20, 40))
    >>> {k: round(v, 3) for k, v in result.weights.items()}
    {'sulfide': 0.7, 'sulfate': 0.3}
    """
    if array not in ARRAYS:
        raise ValueError(f"array={array!r} is not one of {ARRAYS}")
    if isinstance(standards, Mapping):
        items = list(standards.items())
    elif isinstance(standards, Sequence):
        items = [(getattr(s, "label", "") or f"standard{i + 1}", s) for i, s in enumerate(standards)]
    else:
        raise ValueError("standards must be a mapping name -> spectrum or a sequence of spectra")
    if not items:
        raise ValueError("no standards given")
    names = [str(name) for name, _ in items]
    if len(set(names)) != len(names):
        raise ValueError(f"standard names must be unique, got {names}")
    limit = min(len(items), 4) if max_standards is None else int(max_standards)
    if not 1 <= limit <= len(items):
        raise ValueError(f"max_standards={max_standards!r} must lie between 1 and {len(items)}")
    rel = (-20.0, 30.0) if energy_range is None else (float(energy_range[0]), float(energy_range[1]))
    if not rel[0] < rel[1]:
        raise ValueError(f"energy_range={energy_range!r} must be (low, high) with low < high")
    norm_target = as_normalized(target)
    lo, hi = norm_target.e0_ev + rel[0], norm_target.e0_ev + rel[1]
    inside = (norm_target.energy_ev >= lo) & (norm_target.energy_ev <= hi)
    if inside.sum() < 5:
        raise ValueError(f"fit window [{lo:.1f}, {hi:.1f}] eV holds fewer than 5 target points")
    energy = norm_target.energy_ev[inside]
    y = getattr(norm_target, array)[inside]
    columns = []
    for name, spectrum in items:
        norm = as_normalized(spectrum)
        if norm.energy_ev[0] > energy[0] + 1e-9 or norm.energy_ev[-1] < energy[-1] - 1e-9:
            raise ValueError(f"standard {name!r} ({norm.energy_ev[0]:.1f}–{norm.energy_ev[-1]:.1f} eV) does not "
                             f"cover the fit window [{energy[0]:.1f}, {energy[-1]:.1f}] eV")
        columns.append(np.interp(energy, norm.energy_ev, getattr(norm, array)))
    matrix = np.column_stack(columns)
    fits = []
    for size in range(1, limit + 1):
        for combo in itertools.combinations(range(len(items)), size):
            fits.append(_fit([names[i] for i in combo], matrix[:, combo], y, energy,
                             sum_to_one=sum_to_one, nonnegative=nonnegative))
    ranked = sorted(fits, key=lambda f: (not f.feasible, f.r_factor))
    if not ranked[0].feasible:
        raise ValueError("no combination of standards has non-negative weights")
    return LCFResult(best=ranked[0], fits=tuple(ranked), sum_to_one=sum_to_one, nonnegative=nonnegative,
                     window_ev=(float(energy[0]), float(energy[-1])))
