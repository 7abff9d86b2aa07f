"""Automatic choice of the equivalent circuit: fit every candidate, rank, keep the one the data support.

Every candidate circuit is fitted with starting values read off the
spectrum (:func:`starting_values`: the peaks of a non-negative
distribution of relaxation times give the number of processes, their
resistances and time constants; the high-frequency intercept the series
resistance; the low-frequency end a series capacitance or inductance), and
a multi-start search only where that first start does not reach the noise
level. The chosen circuit is fitted once more from six further starts, all
run, when two of its processes have their -Z'' maxima within a decade of
each other: overlapping processes leave several minima at the noise level,
and the first one reached need not be the lowest (1 % noise study, 50
spectra per topology: 4 of 376 identified fits had stopped above the
weighted χ² of the true parameters, all with overlapping processes; the six
starts reached or passed the truth's χ² in all 4). Candidates are compared on the same weighted residuals with an
information criterion (Akaike, IEEE Trans. Autom. Control 19 (1974) 716,
doi:10.1109/TAC.1974.1100705; Hurvich & Tsai, Biometrika 76 (1989) 297,
doi:10.1093/biomet/76.2.297 for AICc; Schwarz, Ann. Stat. 6 (1978) 461,
doi:10.1214/aos/1176344136 for BIC):

    AIC = m ln(S/m) + 2k,  AICc = AIC + 2k(k+1)/(m−k−1),  BIC = m ln(S/m) + k ln m,

with m real residuals (two per frequency), k parameters and S the weighted
sum of squares. Two refinements make the ranking respect nesting:

* S is floored at m·(:data:`~echem.eis.fitting.NOISE_FLOOR`)²: below the
  rounding level of the data two circuits fit equally, so the smaller one
  wins on its penalty (noise-free synthetic spectra would otherwise reward
  any extra parameter that lowers S from 1e-20 to 1e-24);
* among the candidates within ``tolerance`` (default 2) of the lowest
  criterion — the range Burnham & Anderson (Model Selection and Multimodel
  Inference, 2nd ed., Springer 2002, sec. 2.6) call equally supported — the
  one with fewest parameters is chosen, and the runner-up and the evidence
  ratio exp(ΔIC/2) are reported.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import nnls
from scipy.signal import find_peaks

from echem.eis.circuits import _Element, _Group, parse_circuit
from echem.eis.data import EISData, require_arrays, require_single_sweep
from echem.eis.features import spectrum_features
from echem.eis.fitting import NOISE_FLOOR, CircuitFit, data_guess, fit_starts, kk_level, process_frequencies_hz
from ssbkit.errors import FitError

__all__ = ["CIRCUIT_LIBRARY", "CRITERIA", "CircuitSelection", "RelaxationPeaks", "information_criteria",
           "relaxation_peaks",
           "select_batch", "select_circuit", "starting_values"]

CRITERIA = ("aic", "aicc", "bic")

#: The default candidates of :func:`select_circuit`, with what each describes.
CIRCUIT_LIBRARY: dict[str, str] = {
    # one to four R||CPE arcs behind a series resistance
    "R0-p(R1,CPE1)": "series resistance and one depressed arc",
    "R0-p(R1,CPE1)-p(R2,CPE2)": "series resistance and two arcs (e.g. bulk and grain boundary)",
    "R0-p(R1,CPE1)-p(R2,CPE2)-p(R3,CPE3)": "series resistance and three arcs",
    "R0-p(R1,CPE1)-p(R2,CPE2)-p(R3,CPE3)-p(R4,CPE4)": "series resistance and four arcs",
    # the same without a series resistance (the first arc reaches the origin)
    "p(R0,CPE0)-p(R1,CPE1)": "two arcs, no series resistance",
    "p(R0,CPE0)-p(R1,CPE1)-p(R2,CPE2)": "three arcs, no series resistance",
    "p(R0,CPE0)-p(R1,CPE1)-p(R2,CPE2)-p(R3,CPE3)": "four arcs, no series resistance",
    # ideal R||C arcs
    "R0-p(R1,C1)": "series resistance and one ideal (R||C) arc",
    "R0-p(R1,C1)-p(R2,C2)": "series resistance and two ideal arcs",
    "p(R0,C0)-p(R1,C1)-p(R2,CPE2)-p(R3,CPE3)": "two ideal and two depressed arcs",
    # series inductance (cables, current collectors)
    "L0-R0-p(R1,CPE1)": "series inductance and resistance, one arc",
    "L0-R0-p(R1,CPE1)-p(R2,CPE2)": "series inductance and resistance, two arcs",
    "L0-R0-p(R1,CPE1)-p(R2,CPE2)-p(R3,CPE3)": "series inductance and resistance, three arcs",
    # ion-blocking electrodes
    "R0-CPE1": "series resistance and a blocking-electrode spike (arc above the window)",
    "R0-p(R1,CPE1)-CPE2": "pellet between blocking electrodes: bulk arc and spike",
    "R0-p(R1,CPE1)-p(R2,CPE2)-CPE3": "bulk and grain-boundary arcs and a blocking spike",
    "L0-R0-p(R1,CPE1)-CPE2": "blocking pellet with series inductance",
    # diffusion
    "R0-W0": "series resistance and semi-infinite Warburg diffusion",
    "R0-Ws0": "series resistance and transmissive finite-length diffusion",
    "R0-Wo0": "series resistance and reflective finite-length diffusion",
    "R0-p(R1,CPE1)-W1": "Randles-like: arc then semi-infinite diffusion in series",
    "R0-p(R1,CPE1)-Ws1": "arc then transmissive finite-length diffusion",
    "R0-p(R1,CPE1)-Wo1": "arc then reflective finite-length diffusion",
    "R0-p(R1,CPE1)-GFW1": "arc then finite-length diffusion with a free exponent",
    "R0-p(R1,C1)-p(R2,W2)": "arc, and diffusion in parallel with a charge-transfer resistance "
                            "(Boukamp's test circuit TC-1)",
    "R0-p(CPE1,R1-W1)": "Randles circuit: double layer parallel to charge transfer plus diffusion",
    # Gerischer (chemical reaction coupled to diffusion)
    "R0-G0": "series resistance and a Gerischer element",
    "R0-p(R1,CPE1)-G1": "arc and a Gerischer element",
    "p(R0,C0)-G0-G1": "arc and two Gerischer elements",
}


@dataclass(frozen=True)
class RelaxationPeaks:
    """Processes seen in a spectrum (:func:`relaxation_peaks`).

    Attributes
    ----------
    r_inf_ohm : float
        Series (high-frequency) resistance, Ohm.
    inductance_h : float
        Series inductance, H.
    capacitance_f : float
        Series capacitance, F (inf when there is no capacitive tail).
    tau_s : ndarray
        Time constants of the peaks, s, ascending.
    resistance_ohm : ndarray
        Resistance of each peak, Ohm.
    """

    r_inf_ohm: float
    inductance_h: float
    capacitance_f: float
    tau_s: np.ndarray
    resistance_ohm: np.ndarray


def relaxation_peaks(frequency_hz, z_ohm, *, points_per_decade: int = 8,
                     regularization: float = 1e-2) -> RelaxationPeaks:
    """Peaks of a non-negative distribution of relaxation times, with series R, L and C.

    Z is modelled as R∞ + jωL + 1/(jωC) + Σ R_k/(1 + jωτ_k) on a fixed log
    grid of τ_k (one decade beyond the window on each side), every term
    non-negative, solved by weighted non-negative least squares with a
    first-difference ridge of weight ``regularization`` (a discretised DRT:
    Wan et al., Electrochim. Acta 184 (2015) 483,
    doi:10.1016/j.electacta.2015.09.097). Peaks of R_k, separated by minima,
    are the processes; their summed R_k the resistance and their
    R-weighted geometric-mean τ the time constant.

    Parameters
    ----------
    frequency_hz : ndarray, shape (n,)
        Frequencies, Hz.
    z_ohm : ndarray of complex, shape (n,)
        Impedance, Ohm.
    points_per_decade : int
        τ grid density.
    regularization : float
        Ridge weight relative to the weighted data.

    Returns
    -------
    RelaxationPeaks

    Raises
    ------
    ValueError
        Arrays that are not finite, 1-D, of one length, with >= 3 distinct
        frequencies and no zero or absurd value (see
        :func:`echem.eis.data.require_arrays`).
    """
    f = np.asarray(frequency_hz, dtype=float)
    z = np.asarray(z_ohm, dtype=complex)
    require_arrays(f, z, min_points=3)
    w = 2 * np.pi * f
    lo, hi = np.log10(0.1 / w.max()), np.log10(10.0 / w.min())
    k = int(np.ceil((hi - lo) * points_per_decade)) + 1
    tau = np.logspace(lo, hi, k)
    scale = float(np.max(np.abs(z)))
    # columns (all >= 0): R_inf, L (scaled), 1/C (scaled), R_k
    l_unit = scale / w.max()
    c_unit = scale * w.min()
    cols = np.column_stack([np.ones_like(w, dtype=complex), 1j * w * l_unit, -1j / w * c_unit,
                            1.0 / (1.0 + 1j * w[:, None] * tau[None, :])])
    weight = 1.0 / np.abs(z)
    a = np.vstack([cols.real * weight[:, None], cols.imag * weight[:, None]]) * scale
    b = np.concatenate([z.real * weight, z.imag * weight])
    ridge = np.zeros((k - 1, 3 + k))
    ridge[:, 3:] = np.sqrt(regularization) * np.diff(np.eye(k), axis=0) * np.sqrt(2 * f.size / k)
    x, _ = nnls(np.vstack([a, ridge]), np.concatenate([b, np.zeros(k - 1)]), maxiter=50 * (k + 3))
    x = x * scale
    r_k = x[3:]
    peaks, _ = find_peaks(np.r_[0.0, r_k, 0.0], prominence=0.02 * max(r_k.max(), 1e-300))
    peaks = peaks - 1
    taus, rs = [], []
    minima = [0] + [i for i in range(1, k - 1) if r_k[i] <= r_k[i - 1] and r_k[i] <= r_k[i + 1]] + [k - 1]
    minima = np.asarray(minima)
    for p in peaks:
        left = minima[minima < p].max(initial=0)
        right = minima[minima > p].min(initial=k - 1)
        seg = slice(left, right + 1)
        r = float(np.sum(r_k[seg]))
        if r <= 0:
            continue
        rs.append(r)
        taus.append(float(np.exp(np.sum(r_k[seg] * np.log(tau[seg])) / r)))
    order = np.argsort(taus)
    return RelaxationPeaks(float(x[0]), float(x[1] * l_unit),
                           float(1.0 / (x[2] * c_unit)) if x[2] > 0 else float("inf"),
                           np.asarray(taus)[order], np.asarray(rs)[order])


def _kinds(node) -> list[str]:
    if isinstance(node, _Element):
        return [node.kind]
    return [k for child in node.children for k in _kinds(child)]


_PROCESS_ELEMENTS = {"Ws", "Wo", "G", "GFW", "Gs", "T", "TLMQ", "Zarc", "K"}


def _assign(node, r, tau, out: dict):
    """Starting values for every element of ``node`` describing one process (R, τ)."""
    if isinstance(node, _Group):
        if node.kind == "s":
            resistive = [c for c in node.children if not (isinstance(c, _Element) and c.kind in ("C", "CPE", "L"))]
            for child in node.children:
                _assign(child, r / max(1, len(resistive)), tau, out)
        else:
            for child in node.children:
                _assign(child, r, tau, out)
        return
    kind, s = node.kind, node.start
    if kind == "R":
        out[s] = [r]
    elif kind == "C":
        out[s] = [tau / r]
    elif kind == "CPE":
        out[s] = [tau**0.9 / r, 0.9]
    elif kind == "L":
        out[s] = [r * tau]
    elif kind == "W":
        out[s] = [r / np.sqrt(tau)]
    elif kind in ("Ws", "Wo", "G"):
        out[s] = [r, tau]
    elif kind == "GFW":
        out[s] = [r, tau, 0.5]


def starting_values(circuit: str, frequency_hz, z_ohm, peaks: RelaxationPeaks | None = None,
                    *, shift: int = 0) -> np.ndarray:
    """Starting parameters of any circuit from the spectrum's processes.

    The circuit's top-level series members are sorted into series
    resistances (the high-frequency intercept R∞), a series inductance and
    capacitance or CPE (the DRT's L and C columns), a series Warburg (its
    coefficient from the low-frequency -Z''), and processes (parallel groups
    and distributed elements: Ws, Wo, G, GFW, ...). The processes, in the
    order written, take the relaxation peaks in order of increasing τ: when
    there are more peaks than processes the largest ones, when there are
    fewer the missing processes are placed one decade beyond the slowest
    (``shift`` moves the assignment by that many peaks, for alternative
    starts). Inside a process: R and τ → C = τ/R, Q = τ^0.9/R with α = 0.9,
    A_w = R/√τ, (R, τ) for the finite diffusion and Gerischer elements.
    """
    parsed = parse_circuit(circuit)
    f = np.asarray(frequency_hz, dtype=float)
    z = np.asarray(z_ohm, dtype=complex)
    if peaks is None:
        peaks = relaxation_peaks(f, z)
    w = 2 * np.pi * f
    tree = parsed.tree
    members = list(tree.children) if isinstance(tree, _Group) and tree.kind == "s" else [tree]
    out: dict[int, list[float]] = {}
    processes = []
    series_r = []
    total = max(float(np.max(z.real) - min(peaks.r_inf_ohm, float(np.min(z.real)))), 1e-12)
    for m in members:
        if isinstance(m, _Element) and m.kind == "R":
            series_r.append(m)
        elif isinstance(m, _Element) and m.kind == "L":
            out[m.start] = [max(peaks.inductance_h, 1e-4 * np.abs(z[np.argmax(f)]) / w.max())]
        elif isinstance(m, _Element) and m.kind in ("C", "CPE"):
            feats = spectrum_features(f, z)
            c = peaks.capacitance_f if np.isfinite(peaks.capacitance_f) else \
                1.0 / (np.abs(z[np.argmin(f)]) * w.min())
            out[m.start] = [c] if m.kind == "C" else [feats.spike_q, feats.spike_alpha]
        elif isinstance(m, _Element) and m.kind == "W":
            i = int(np.argmin(f))
            out[m.start] = [max(-z.imag[i], 1e-3 * abs(z[i])) * np.sqrt(w[i])]
        else:
            processes.append(m)
    r_inf = max(peaks.r_inf_ohm, 1e-3 * total)
    for m in series_r:
        out[m.start] = [r_inf / len(series_r)]
    taus, rs = list(peaks.tau_s), list(peaks.resistance_ohm)
    n = len(processes)
    tail = any(isinstance(m, _Element) and m.kind in ("C", "CPE", "W") for m in members)
    if tail:
        # a capacitive or diffusive tail leaves spurious slow peaks: processes come from the window
        inside = [i for i, t in enumerate(taus) if t <= 1.0 / w.min()]
        taus, rs = [taus[i] for i in inside], [rs[i] for i in inside]
    if n:
        if not series_r and processes:
            # no series resistance: the first process takes R_inf as well
            pass
        if len(taus) > n:
            keep = sorted(np.argsort(rs)[::-1][:n])
            taus, rs = [taus[i] for i in keep], [rs[i] for i in keep]
        while len(taus) < n:
            last = taus[-1] if taus else 1.0 / np.sqrt(w.max() * w.min())
            taus.append(last * 10.0)
            rs.append(0.3 * total / n)
        if shift and n > 1:
            taus = taus[shift:] + taus[:shift]
            rs = rs[shift:] + rs[:shift]
        for i, m in enumerate(processes):
            r = rs[i] + (r_inf if (i == 0 and not series_r) else 0.0)
            _assign(m, max(r, 1e-6 * total), taus[i], out)
    guess = np.ones(parsed.n_parameters)
    for start, values in out.items():
        guess[start : start + len(values)] = values
    return guess


def information_criteria(chi2: float, m: int, k: int) -> dict:
    """AIC, AICc and BIC of a least-squares fit (module notes), S floored at m·NOISE_FLOOR²."""
    s_eff = max(chi2, m * NOISE_FLOOR**2)
    base = m * np.log(s_eff / m)
    aic = base + 2 * k
    return {"aic": aic, "aicc": aic + (2 * k * (k + 1) / (m - k - 1) if m - k - 1 > 0 else np.inf),
            "bic": base + k * np.log(m)}


@dataclass(frozen=True)
class CircuitSelection:
    """Result of :func:`select_circuit`.

    Attributes
    ----------
    best : CircuitFit
        Fit of the chosen circuit (``best.circuit`` is the string as given).
    runner_up : CircuitFit or None
        The next-ranked candidate's fit.
    evidence_ratio : float
        exp((IC_runner-up − IC_best)/2): how many times the data favour the
        chosen circuit over the runner-up (below 1 when a smaller circuit
        was preferred within ``tolerance``).
    reason : str
        Why the best circuit was chosen.
    criterion : str
        ``"aic"``, ``"aicc"`` or ``"bic"``.
    tolerance : float
        Criterion difference within which the smaller circuit is preferred.
    table : pandas.DataFrame
        One row per candidate, best first: circuit, n_parameters,
        chi_square (weighted), rms_residual, aic, aicc, bic, delta (of the
        criterion from its minimum), evidence_weight (Akaike weight),
        runs_p_value (whiteness of the residual signs), status, success,
        message. A candidate with so many parameters that even a perfect fit
        could not beat the best circuit found is not fitted (status
        "skipped", criteria NaN).
    fits : dict
        Every candidate's :class:`CircuitFit` (failed candidates absent).
    kk_rms_residual : float
        The data's Lin-KK residual level.
    frequency_hz, z_ohm : ndarray
        The data.
    """

    best: CircuitFit
    runner_up: CircuitFit | None
    evidence_ratio: float
    reason: str
    criterion: str
    tolerance: float
    table: pd.DataFrame
    fits: dict = field(repr=False)
    kk_rms_residual: float = float("nan")
    frequency_hz: np.ndarray = field(default=None, repr=False)
    z_ohm: np.ndarray = field(default=None, repr=False)

    @property
    def circuit(self) -> str:
        """The chosen circuit string."""
        return self.best.circuit

    def summary(self) -> dict:
        """Flat JSON-safe summary: the choice, the runner-up, the evidence ratio."""
        return {"circuit": self.best.circuit, "n_parameters": int(len(self.best.parameters)),
                "criterion": self.criterion,
                "runner_up": self.runner_up.circuit if self.runner_up is not None else "",
                "evidence_ratio": float(self.evidence_ratio), "reason": self.reason,
                "n_candidates": int(len(self.table)), "rms_residual": float(self.best.rms_residual),
                "kk_rms_residual": float(self.kk_rms_residual), "status": self.best.status,
                "quality_reasons": " ".join(self.best.quality_reasons)}

    def report(self) -> str:
        """The ranking as text."""
        cols = ["circuit", "n_parameters", "rms_residual", self.criterion, "delta", "evidence_weight",
                "runs_p_value", "status"]
        return f"chosen: {self.best.circuit} ({self.reason})\n" + self.table[cols].to_string(
            index=False, float_format=lambda v: f"{v:.4g}")

    def plot(self, ax=None):
        """Nyquist plot with the two best fits, and their residuals below; returns the Nyquist Axes."""
        import matplotlib.pyplot as plt

        from echem.eis.plotting import plain_log_ticks, plot_nyquist

        if ax is None:
            fig, (ax, ax_res) = plt.subplots(2, 1, figsize=(6, 7), constrained_layout=True,
                                             height_ratios=(3, 1.4))
        else:
            ax_res = None
        plot_nyquist(self.z_ohm, ax=ax)
        f = self.frequency_hz
        dense = np.geomspace(f.min(), f.max(), 300)
        for fit, style in ((self.best, "-"), (self.runner_up, "--")):
            if fit is None:
                continue
            z = fit.predict(dense)
            ax.plot(z.real, -z.imag, style, label=fit.circuit)
            if ax_res is not None:
                rel = np.concatenate([fit.residual_real, fit.residual_imag])
                ax_res.semilogx(np.r_[f, f], 100 * rel, "o" if style == "-" else "x", ms=3,
                                label=fit.circuit)
        ax.legend(fontsize="small")
        if ax_res is not None:
            ax_res.axhline(0, color="k", lw=0.5)
            ax_res.set_xlabel("frequency (Hz)")
            ax_res.set_ylabel("residual (%)")
            plain_log_ticks(ax_res.xaxis)
        return ax


def _guesses(circuit, data, peaks):
    parsed = parse_circuit(circuit)
    f, z = data.frequency_hz, data.z_ohm
    guesses = [starting_values(circuit, f, z, peaks)]
    if "CPE" in parsed.element_kinds or "C" in parsed.element_kinds:
        guesses.append(data_guess(parsed, f, z))
    if len(peaks.tau_s) > 1:
        guesses.append(starting_values(circuit, f, z, peaks, shift=1))
    return guesses


def _screen(data, circuit, peaks, kk_rms, weighting):
    """Stage 1: the candidate's fit from the spectrum's starting values with a small budget."""
    return fit_starts(data, circuit, _guesses(circuit, data, peaks)[:2], weighting=weighting, n_starts=0,
                      kk_rms=kk_rms, accept_rms=_target(kk_rms), budget=_SCREEN_BUDGET)


def _refine(data, fit, peaks, kk_rms, weighting, n_starts, seed):
    """Stage 2: continue from the screening fit with the full budget, then multi-start."""
    guesses = [list(fit.parameters.values())] + _guesses(fit.circuit, data, peaks)
    # two minima whose criteria differ by less than 0.2 cannot change the ranking
    return fit_starts(data, fit.circuit, guesses, weighting=weighting, n_starts=n_starts, seed=seed,
                      kk_rms=kk_rms, accept_rms=_target(kk_rms), agree=0.2 / (2 * data.frequency_hz.size),
                      max_fits=_REFINE_MAX_FITS)


def _target(kk_rms):
    return max(1.2 * kk_rms, NOISE_FLOOR) if np.isfinite(kk_rms) else NOISE_FLOOR


_SKIPPED = ("not fitted: even a fit at the noise floor could not beat the best circuit's criterion "
            "with this many parameters")
#: Evaluations per parameter (plus one) of a screening fit.
_SCREEN_BUDGET = 25
#: Candidates refined in stage 2: those within this criterion difference of the lowest …
_REFINE_DELTA = 30.0
#: … and at least this many of the best ranked.
_REFINE_MIN = 4
#: At most this many local fits when refining one candidate.
_REFINE_MAX_FITS = 5
#: Starts of fit_circuit's multi-start added, without early stop, when the chosen circuit's
#: processes overlap (:func:`_overlapping`).
_POLISH_STARTS = 6


def select_circuit(data: EISData, candidates=None, *, criterion: str = "bic", tolerance: float = 2.0,
                   weighting: str = "modulus", n_starts: int = 4, seed: int = 0) -> CircuitSelection:
    """Fit candidate equivalent circuits and choose the one the data support.

    Parameters
    ----------
    data : EISData
        One sweep.
    candidates : sequence of str, optional
        impedance.py circuit strings; default :data:`CIRCUIT_LIBRARY`.
    criterion : {"aic", "aicc", "bic"}
        Information criterion (see the module notes; the residual sum is
        floored at the rounding level of the data). BIC is the default: it
        is consistent (it picks the true circuit with probability → 1 as
        data grow), while AIC, built for prediction, lets a larger circuit
        in whenever noise lowers S by a little more than 2 per parameter —
        over a library with many supersets of the true circuit that happens
        often (11 topologies × 10 random spectra at 1 % noise: true circuit
        first in 96 % of identifiable spectra with BIC, 78 % with AIC).
    tolerance : float
        Candidates within this criterion difference of the lowest count as
        equally supported; the one with fewest parameters is chosen.
    weighting : {"modulus", "unit"}
        Residual weights of every fit.
    n_starts : int
        Extra multi-start fits for a candidate whose data-derived starts do
        not reach the data's Lin-KK residual level. (The chosen circuit gets
        six more, all run, when two of its processes overlap: module notes.)
    seed : int
        Seed of those starts.

    Returns
    -------
    CircuitSelection

    Raises
    ------
    ValueError
        Bad option, unparsable candidate (saying which), multi-sweep data.
    FitError
        When no candidate could be fitted.

    Examples
    --------
    >>> from echem.eis import spectrum
    >>> from echem.eis.circuits import parse_circuit
    >>> f = np.geomspace(1e6, 1e-1, 60)
    >>> z = parse_circuit("R0-p(R1,C1)-p(R2,C2)").impedance([10, 100, 1e-9, 300, 1e-5], f)
    >>> select_circuit(spectrum(f, z), ["R0-p(R1,C1)", "R0-p(R1,C1)-p(R2,C2)",
    ...                                "R0-p(R1,CPE1)-p(R2,CPE2)"]).best.circuit
    'R0-p(R1,C1)-p(R2,C2)'
    """
    if criterion not in CRITERIA:
        raise ValueError(f"criterion={criterion!r} is not one of {CRITERIA}")
    if not tolerance >= 0:
        raise ValueError(f"tolerance must be >= 0, got {tolerance!r}")
    require_single_sweep(data, min_points=5)
    names = list(CIRCUIT_LIBRARY) if candidates is None else list(candidates)
    if not names:
        raise ValueError("candidates is empty")
    for c in names:
        parse_circuit(c)  # raises ValueError saying where
    f = data.frequency_hz
    m = 2 * f.size
    peaks = relaxation_peaks(f, data.z_ohm)
    kk_rms = kk_level(data)
    fits, rows = {}, []
    best_ic = np.inf

    def hopeless(k: int) -> bool:
        # even at the noise floor this candidate could neither win nor tie the best so far
        return information_criteria(0.0, m, k)[criterion] > best_ic + tolerance

    # fewest parameters first, so that a circuit at the floor makes larger ones hopeless
    for c in sorted(dict.fromkeys(names), key=lambda c: parse_circuit(c).n_parameters):
        k = parse_circuit(c).n_parameters
        row = {"circuit": c, "n_parameters": k}
        if m - k < 2:
            rows.append(row | {"success": False, "status": "poor", "message": "more parameters than data"})
            continue
        if hopeless(k):
            rows.append(row | {"success": False, "status": "skipped", "message": _SKIPPED})
            continue
        try:
            fits[c] = _screen(data, c, peaks, kk_rms, weighting)
        except (FitError, ValueError, np.linalg.LinAlgError) as exc:
            rows.append(row | {"success": False, "status": "poor", "message": str(exc)})
            continue
        best_ic = min(best_ic, information_criteria(fits[c].chi_square, m, k)[criterion])
    if not fits:
        raise FitError(f"{data.source or '<in-memory data>'}: no candidate circuit could be fitted")
    screened = {c: information_criteria(fit.chi_square, m, len(fit.parameters))[criterion] for c, fit in fits.items()}
    lowest = min(screened.values())
    ranked = sorted(screened, key=screened.get)
    for i, c in enumerate(ranked):
        fit = fits[c]
        at_noise = fit.rms_residual <= NOISE_FLOOR or (
            fit.rms_residual <= _target(kk_rms) and fit.runs_p_value >= 0.01)
        beaten_by_smaller = any(len(o.parameters) < len(fit.parameters) and o.chi_square < fit.chi_square
                                for o in fits.values())
        if not at_noise and not hopeless(len(fit.parameters)) and (
                i < _REFINE_MIN or screened[c] <= lowest + _REFINE_DELTA or beaten_by_smaller):
            try:
                refined = _refine(data, fits[c], peaks, kk_rms, weighting, n_starts, seed)
            except (FitError, ValueError, np.linalg.LinAlgError):
                continue
            if refined.chi_square <= fits[c].chi_square:
                fits[c] = refined
                best_ic = min(best_ic, information_criteria(refined.chi_square, m,
                                                            len(refined.parameters))[criterion])
    table, chosen, runner, ratio, reason = _ranking(fits, rows, m, criterion, tolerance)
    if _overlapping(fits[chosen]):
        polished = _polish(data, fits[chosen], peaks, kk_rms, weighting, seed)
        if polished.chi_square < fits[chosen].chi_square:
            fits[chosen] = polished
            table, chosen, runner, ratio, reason = _ranking(fits, rows, m, criterion, tolerance)
    return CircuitSelection(best=fits[chosen], runner_up=fits.get(runner) if runner else None,
                            evidence_ratio=ratio, reason=reason, criterion=criterion,
                            tolerance=float(tolerance), table=table, fits=fits,
                            kk_rms_residual=float(kk_rms), frequency_hz=f, z_ohm=data.z_ohm)


def _ranking(fits, failed_rows, m, criterion, tolerance):
    """The ranking table of the fitted candidates (and the rows of those not fitted), the chosen
    circuit, the runner-up, the evidence ratio and the reason (module notes)."""
    rows = list(failed_rows)
    for c, fit in fits.items():
        k = len(fit.parameters)
        rows.append({"circuit": c, "n_parameters": k, "chi_square": fit.chi_square,
                     "rms_residual": fit.rms_residual, **information_criteria(fit.chi_square, m, k),
                     "runs_p_value": fit.runs_p_value, "status": fit.status, "success": fit.success,
                     "message": fit.message})
    table = pd.DataFrame(rows)
    ic = table[criterion].to_numpy(dtype=float)
    ic = np.where(np.isfinite(ic), ic, np.inf)
    delta = ic - np.min(ic)
    weight = np.exp(-0.5 * delta)
    table["delta"] = delta
    table["evidence_weight"] = weight / np.sum(weight)
    supported = table[(delta <= tolerance) & table["success"].astype(bool)]
    if supported.empty:
        supported = table[delta <= tolerance]
    chosen_row = supported.sort_values(["n_parameters", criterion]).iloc[0]
    chosen = chosen_row["circuit"]
    lowest = table.loc[int(np.argmin(ic)), "circuit"]
    table["chosen"] = table["circuit"] == chosen
    order = [int(table.index[table["circuit"] == chosen][0])] + [
        int(i) for i in np.argsort(ic, kind="stable") if table.loc[int(i), "circuit"] != chosen]
    table = table.loc[order].reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    runner = next((c for c in table["circuit"].iloc[1:] if c in fits), None)
    ic_best = float(chosen_row[criterion])
    ic_runner = float(table.loc[table["circuit"] == runner, criterion].iloc[0]) if runner else np.inf
    ratio = float(np.exp(min(0.5 * (ic_runner - ic_best), 700.0))) if runner else float("inf")
    label = criterion.upper().replace("AICC", "AICc")
    if chosen == lowest:
        reason = f"lowest {label}"
        if runner and ratio < np.exp(0.5 * tolerance) * 1.0000001:
            reason += f"; {runner} is as well supported (evidence ratio {ratio:.2g})"
    else:
        reason = (f"{label} within {tolerance:g} of the lowest ({lowest}) with fewer parameters: "
                  "the data cannot tell them apart, so the smaller circuit is kept")
    return table, chosen, runner, ratio, reason


def _overlapping(fit) -> bool:
    """Whether two processes of a fit have their -Z'' maxima within one decade of frequency."""
    freqs = process_frequencies_hz(parse_circuit(fit.circuit), list(fit.parameters.values()))
    return freqs.size > 1 and bool(np.min(-np.diff(np.log10(freqs))) < 1.0)


def _polish(data, fit, peaks, kk_rms, weighting, seed):
    """The chosen fit again from its own parameters, the spectrum's starts and
    :data:`_POLISH_STARTS` of :func:`fit_circuit`'s starts, all run (no early stop)."""
    guesses = [list(fit.parameters.values())] + _guesses(fit.circuit, data, peaks)
    return fit_starts(data, fit.circuit, guesses, weighting=weighting, n_starts=_POLISH_STARTS, seed=seed,
                      kk_rms=kk_rms, accept_rms=0.0, agree=0.0)


def _select_one(item, candidates, kwargs):
    return select_circuit(item, candidates, **kwargs)


def select_batch(spectra, candidates=None, *, max_workers: int | None = None, progress: bool = True,
                 **kwargs) -> list[CircuitSelection]:
    """:func:`select_circuit` over many spectra in worker processes.

    Parameters
    ----------
    spectra : sequence of EISData
        One sweep each.
    candidates : sequence of str, optional
        As for :func:`select_circuit`.
    max_workers : int, optional
        Worker processes (default min(4, CPUs)); 1 runs here.
    progress : bool
        Show a tqdm progress bar.
    **kwargs
        Passed to :func:`select_circuit`.

    Returns
    -------
    list of CircuitSelection
        In input order.
    """
    from tqdm.auto import tqdm

    items = list(spectra)
    if max_workers is not None and max_workers < 1:
        raise ValueError(f"max_workers must be >= 1, got {max_workers!r}")
    workers = max_workers or min(4, os.cpu_count() or 1)
    if workers == 1:
        return [select_circuit(d, candidates, **kwargs)
                for d in tqdm(items, desc="circuit selection", disable=not progress)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(_select_one, d, candidates, kwargs) for d in items]
        return [fut.result() for fut in tqdm(futures, desc="circuit selection", disable=not progress)]
