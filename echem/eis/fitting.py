"""Complex nonlinear least-squares fitting of equivalent circuits.

``fit_circuit`` minimises the weighted residual of the real and imaginary
parts together (complex nonlinear least squares, Macdonald & Garber,
J. Electrochem. Soc. 124 (1977) 1022, doi:10.1149/1.2133473) with
``scipy.optimize.least_squares`` in a transformed space (log10 of every
positive parameter, CPE exponents linear in [0, 1]). Without an initial
guess the starting values are read off the spectrum
(:mod:`echem.eis.features`) and a multi-start search (alternative arc/spike
junctions, random perturbations) keeps the lowest minimum, so no user guess
is needed. Bounds are honoured through a logistic map of each transformed
parameter, so MINPACK's Levenberg-Marquardt can be used. Modulus weighting
(residual / |Z|, Boukamp, Solid State Ionics 20 (1986) 31,
doi:10.1016/0167-2738(86)90031-7) is the default: with unit weights the
large low-frequency spike of a blocking-electrode pellet swamps a small arc.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import least_squares
from scipy.special import expit

from echem.eis.circuits import Circuit, _Element, _evaluate, _Group, _Omega, parse_circuit
from echem.eis.data import EISData, require_single_sweep
from echem.eis.features import spectrum_features
from ssbkit.errors import FitError

__all__ = ["FIT_STATUSES", "NOISE_FLOOR", "WEIGHTINGS", "CircuitFit", "canonical_order", "fit_circuit",
           "runs_test"]

#: Quality verdicts of a fit, best first.
FIT_STATUSES = ("ok", "warning", "poor")
#: Relative residual (of |Z|) below which a fit is taken as exact: the
#: rounding level of instrument files (5-6 significant digits) and of
#: noise-free synthetic spectra; residual patterns below it mean nothing.
NOISE_FLOOR = 1e-4

WEIGHTINGS = ("modulus", "unit")
_EXPONENT = {("CPE", 1), ("La", 1), ("Gs", 2), ("Zarc", 2), ("TLMQ", 2)}
_UNIT_KEYS = {"Ohm": "ohm", "F": "F", "H": "H", "sec": "s", "Ohm^-1 sec^a": "S_s^a",
              "Ohm sec^-1/2": "ohm_s^-0.5", "H sec": "H_s", "": ""}


@dataclass(frozen=True)
class CircuitFit:
    """Result of :func:`fit_circuit`.

    Attributes
    ----------
    circuit : str
        The circuit string.
    parameters : dict
        Best-fit values keyed by impedance.py's parameter names (units in
        ``units``). Interchangeable members of the circuit (top-level series
        members of the same structure, such as the two arcs of
        ``R0-p(R1,CPE1)-p(R2,CPE2)`` or ``G0`` and ``G1``, which give the
        same impedance in either order) are reported in order of increasing
        time constant, so ``R1`` is always the faster (high-frequency) arc
        (see :func:`canonical_order`).
    stderr : dict
        One-standard-error of each parameter from the Jacobian at the
        optimum, scaled by the residual variance χ²/(2n − p) floored at the
        rounding level of the data (:data:`NOISE_FLOOR` of |Z|, squared: a
        noise-free fit cannot claim more precision than 5-6 significant
        digits give); NaN when it cannot be estimated (``stderr_available``
        is then False). At 1 % noise (benchmarks/bench_eis.py --study 50,
        794 resistances of fits that identified their circuit) the truth lies
        within ±2σ/±3σ of 93.5 %/99.6 % of the resistances of identifiable
        spectra and of 91.3 %/97.4 % of the others, whose overlapping
        processes make the linearised error optimistic (normal: 95.4 %/99.7 %).
    units : dict
        Unit of each parameter (impedance.py's element metadata).
    covariance : ndarray, shape (p, p)
        Parameter covariance in parameter units (NaN when unavailable).
    chi_square : float
        Sum of squared weighted residuals.
    chi_square_reduced : float
        ``chi_square / (2n - p)``.
    frequency_hz, z_ohm, z_fit_ohm : ndarray, shape (n,)
        Data and model at the data frequencies.
    residual_real, residual_imag : ndarray, shape (n,)
        ``(Z_data - Z_fit) / |Z_data|`` for the real and imaginary parts.
    weighting : str
        ``"modulus"`` or ``"unit"``.
    success : bool
        Whether the optimiser converged.
    message : str
        The optimiser's message.
    n_starts : int
        Number of local fits run.
    stderr_available : bool
        False when the Jacobian was singular or there were too few points.
    initial_guess : dict
        The starting values of the winning local fit.
    rms_residual : float
        Root-mean-square of ``residual_real`` and ``residual_imag``.
    runs_p_value : float
        One-sided p-value of the Wald-Wolfowitz runs test on the residual
        signs (:func:`runs_test`): small when the residuals are systematic.
    kk_rms_residual : float
        RMS residual of the Lin-KK test on the same data (the level a
        Kramers-Kronig-consistent model reaches, about the noise); computed
        when the residual signs look systematic, NaN otherwise or when it
        could not be computed.
    status : {"ok", "warning", "poor"}
        Quality verdict.
    quality_reasons : tuple of str
        Sentences saying why the status is not "ok" (empty when it is).
    """

    circuit: str
    parameters: dict
    stderr: dict
    units: dict
    covariance: np.ndarray
    chi_square: float
    chi_square_reduced: float
    frequency_hz: np.ndarray
    z_ohm: np.ndarray
    z_fit_ohm: np.ndarray
    residual_real: np.ndarray
    residual_imag: np.ndarray
    weighting: str
    success: bool
    message: str
    n_starts: int
    stderr_available: bool
    initial_guess: dict = field(default_factory=dict)
    rms_residual: float = float("nan")
    runs_p_value: float = float("nan")
    kk_rms_residual: float = float("nan")
    status: str = "ok"
    quality_reasons: tuple = ()

    def predict(self, frequency_hz) -> np.ndarray:
        """Model impedance (complex, Ohm) at ``frequency_hz`` (Hz)."""
        return parse_circuit(self.circuit).impedance(list(self.parameters.values()), frequency_hz)

    def parameter_sum(self, names) -> tuple[float, float]:
        """Sum of some parameters and its standard error (covariances included).

        Parameters
        ----------
        names : sequence of str
            Parameter names, e.g. ``("R0", "R1")``.

        Returns
        -------
        value, error : float
            Error NaN when the covariance is unavailable.
        """
        keys = list(self.parameters)
        idx = [keys.index(n) for n in names]
        value = float(sum(self.parameters[n] for n in names))
        sub = self.covariance[np.ix_(idx, idx)]
        var = float(np.sum(sub))
        return value, (float(np.sqrt(var)) if np.isfinite(var) and var >= 0 else float("nan"))

    def plot(self, ax=None, *, kind: str = "all"):
        """Plot data and fit.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw into (only for a single ``kind``).
        kind : {"all", "nyquist", "bode", "residuals"}
            ``"all"`` makes a new figure with the three panels.

        Returns
        -------
        matplotlib Axes
            The Nyquist axes for ``"all"`` (the others are ``ax.figure.axes``).
        """
        from echem.eis.plotting import plot_bode, plot_residuals

        kinds = ("all", "nyquist", "bode", "residuals")
        if kind not in kinds:
            raise ValueError(f"kind={kind!r} is not one of {kinds}")
        if kind == "all":
            if ax is not None:
                raise ValueError("kind='all' draws its own figure; pass ax=None or a single kind")
            import matplotlib.pyplot as plt

            _, axes = plt.subplots(1, 3, figsize=(13, 4), constrained_layout=True)
            self._nyquist(axes[0])
            plot_bode(self.frequency_hz, self.z_ohm, ax=axes[1], fit=(self.frequency_hz, self.z_fit_ohm))
            plot_residuals(self.frequency_hz, self.residual_real, self.residual_imag, ax=axes[2])
            return axes[0]
        if kind == "nyquist":
            return self._nyquist(ax)
        if kind == "bode":
            return plot_bode(self.frequency_hz, self.z_ohm, ax=ax, fit=(self.frequency_hz, self.z_fit_ohm))
        return plot_residuals(self.frequency_hz, self.residual_real, self.residual_imag, ax=ax)

    def _nyquist(self, ax):
        from echem.eis.plotting import plot_nyquist

        f = self.frequency_hz
        dense = np.geomspace(f.min(), f.max(), 300)
        ax = plot_nyquist(self.z_ohm, ax=ax, label="data")
        ax.plot(self.predict(dense).real, -self.predict(dense).imag, "-", label=f"fit {self.circuit}")
        ax.legend(fontsize="small")
        return ax

    def summary(self) -> dict:
        """Flat JSON-safe summary; parameter keys carry their unit."""
        out = {"circuit": self.circuit, "success": bool(self.success),
               "chi_square": float(self.chi_square),
               "chi_square_reduced": float(self.chi_square_reduced),
               "weighting": self.weighting, "n_starts": int(self.n_starts),
               "stderr_available": bool(self.stderr_available),
               "rms_residual": float(self.rms_residual), "runs_p_value": float(self.runs_p_value),
               "kk_rms_residual": float(self.kk_rms_residual), "status": self.status,
               "quality_reasons": " ".join(self.quality_reasons)}
        for name, value in self.parameters.items():
            suffix = _UNIT_KEYS.get(self.units[name], self.units[name].replace(" ", "_"))
            key = f"{name}_{suffix}" if suffix else name
            out[key] = float(value)
            out[f"{key}_err"] = float(self.stderr[name])
        return out

    def report(self) -> str:
        """Plain-text table of the parameters."""
        head = (f"circuit {self.circuit}  chi2_red={self.chi_square_reduced:.3g}  "
                f"success={self.success} ({self.message})  status={self.status}")
        lines = [head, *(f"  ! {reason}" for reason in self.quality_reasons)]
        for name, value in self.parameters.items():
            lines.append(f"  {name:>8s} = {value:.5g} ± {self.stderr[name]:.2g} {self.units[name]}")
        return "\n".join(lines)


def _parameter_roles(circuit: Circuit) -> tuple[np.ndarray, list[tuple[str, int]]]:
    """Boolean mask of exponent parameters and (kind, index-in-element) of each."""
    roles = []
    for name, kind in zip(circuit.parameter_names, circuit.element_kinds):
        index = int(name.rsplit("_", 1)[1]) if "_" in name and name.rsplit("_", 1)[1].isdigit() else 0
        roles.append((kind, index))
    return np.array([r in _EXPONENT for r in roles]), roles


def data_guess(circuit: Circuit, frequency_hz, z_ohm, *, valley_index=None) -> np.ndarray:
    """Starting values for any circuit from the spectrum's features.

    Resistances: the first series R takes the high-frequency intercept, the
    others share the arc width (valley Z' minus intercept). Capacitors and
    CPEs inside a parallel group get the arc apex time constant,
    ``Q = 1/(R ω₀^α)``; series ones the low-frequency spike's ``Q`` and
    ``α``. Time constants take ``1/ω₀``, inductances a small value, and
    other parameters 1 (the multi-start step then explores around them).
    ``valley_index`` forces the arc/spike junction to that point.
    """
    feats = spectrum_features(frequency_hz, z_ohm, valley_index=valley_index)
    exponent, roles = _parameter_roles(circuit)
    parallel = circuit.in_parallel
    omega_apex = 2 * np.pi * feats.apex_frequency_hz
    span = max(feats.r_valley_ohm - feats.r_high_ohm, 1e-3 * abs(feats.r_valley_ohm), 1e-12)
    n_r_parallel = max(1, sum(1 for (k, _), par in zip(roles, parallel) if k == "R" and par))
    r_arc = span / n_r_parallel
    f_low = float(np.min(frequency_hz))
    guess = np.ones(len(roles))
    first_series_r = True
    for i, ((kind, index), par) in enumerate(zip(roles, parallel)):
        unit = circuit.parameter_units[i]
        if exponent[i]:
            guess[i] = 0.9 if par else feats.spike_alpha
        elif kind == "R":
            if not par and first_series_r:
                guess[i] = feats.r_high_ohm
                first_series_r = False
            else:
                guess[i] = r_arc
        elif kind == "C":
            guess[i] = 1 / (r_arc * omega_apex) if par else feats.spike_q
        elif kind == "CPE" and index == 0:
            guess[i] = 1 / (r_arc * omega_apex**0.9) if par else feats.spike_q
        elif kind == "L":
            guess[i] = 1e-3 * feats.r_high_ohm / (2 * np.pi * np.max(frequency_hz))
        elif unit == "Ohm":
            guess[i] = r_arc
        elif unit == "sec":
            guess[i] = 1 / omega_apex
        elif unit == "Ohm sec^-1/2":
            guess[i] = abs(z_ohm[np.argmin(frequency_hz)]) * np.sqrt(2 * np.pi * f_low)
    return guess


class _Problem:
    """Residual function in an unbounded space.

    Each parameter maps to ``u`` (log10 of a positive parameter, the value
    itself for an exponent), and ``u`` to an unbounded ``x`` through a
    logistic function between the bounds, so the fast unconstrained
    Levenberg-Marquardt solver (MINPACK) can be used with bounds honoured.
    """

    def __init__(self, circuit: Circuit, f, z, weighting, exponent, lower, upper):
        self.circuit, self.f, self.z, self.exponent = circuit, f, z, exponent
        self.w = 1 / np.abs(z) if weighting == "modulus" else np.ones(z.size)
        self.ulo, self.uhi = self.to_u(lower), self.to_u(upper)

    def to_u(self, p):
        p = np.asarray(p, dtype=float)
        return np.where(self.exponent, p, np.log10(np.where(self.exponent, 1.0, p)))

    def from_u(self, u):
        return np.where(self.exponent, u, 10.0**u)

    def u_of_x(self, x):
        return self.ulo + (self.uhi - self.ulo) * expit(x)

    def x_of_u(self, u):
        width = self.uhi - self.ulo
        t = np.clip((u - self.ulo) / width, 1e-6, 1 - 1e-6)
        return np.log(t / (1 - t))

    def residual_u(self, u):
        model = self.circuit.impedance(self.from_u(u), self.f)
        d = (model - self.z) * self.w
        r = np.concatenate([d.real, d.imag])
        return np.where(np.isfinite(r), r, 1e10)

    def residual(self, x):
        return self.residual_u(self.u_of_x(x))

    def jacobian_u(self, u):
        """Exact Jacobian of the residual with respect to ``u`` (analytic element derivatives)."""
        p = self.from_u(u)
        _, dz = self.circuit.impedance_and_jacobian(p, self.f)
        dz = dz * (self.w * 1.0)[None, :] * np.where(self.exponent, 1.0, p * np.log(10.0))[:, None]
        jac = np.concatenate([dz.real, dz.imag], axis=1).T
        return np.where(np.isfinite(jac), jac, 0.0)

    def jacobian(self, x):
        s = expit(x)
        return self.jacobian_u(self.u_of_x(x)) * ((self.uhi - self.ulo) * s * (1 - s))[None, :]


def _as_vector(value, names, what) -> np.ndarray:
    if isinstance(value, dict):
        missing = [n for n in names if n not in value]
        extra = [k for k in value if k not in names]
        if missing or extra:
            raise ValueError(f"{what}: missing {missing}, unknown {extra}; parameters are {list(names)}")
        return np.array([float(value[n]) for n in names])
    vec = np.asarray(value, dtype=float)
    if vec.shape != (len(names),):
        raise ValueError(f"{what} needs {len(names)} values for {list(names)}, got shape {vec.shape}")
    return vec


def _bounds(bounds, circuit, exponent, z_max_ohm):
    names = circuit.parameter_names
    lower = np.where(exponent, 0.0, 1e-20)
    upper = np.where(exponent, 1.0, 1e20)
    # A resistance far above every measured |Z| cannot be determined (a
    # parallel R -> infinity is a degenerate minimum): cap at 100 max|Z|.
    upper[np.array(circuit.parameter_units) == "Ohm"] = 100.0 * z_max_ohm
    if bounds is not None:
        if isinstance(bounds, dict):
            for name, (lo, hi) in bounds.items():
                if name not in names:
                    raise ValueError(f"bounds: unknown parameter {name!r}; parameters are {list(names)}")
                lower[names.index(name)], upper[names.index(name)] = lo, hi
        else:
            lower = _as_vector(bounds[0], names, "bounds[0]")
            upper = _as_vector(bounds[1], names, "bounds[1]")
    if bounds is None and np.any(lower >= upper):
        raise ValueError(f"data: max |Z| = {z_max_ohm:.3g} Ohm is below the default parameter range "
                         f"({lower[~exponent].min():g} ... 100 max|Z| Ohm); pass bounds= for such data")
    if np.any(lower >= upper) or np.any((~exponent) & (lower <= 0)):
        raise ValueError("bounds: need lower < upper, and lower > 0 for non-exponent parameters")
    return lower, upper


def _local_fit(problem, u0, budget=100):
    x0 = problem.x_of_u(u0)
    res = least_squares(problem.residual, x0, jac=problem.jacobian, method="lm", x_scale=1.0,
                        max_nfev=budget * (x0.size + 1))
    return res, problem.u_of_x(res.x)


def fit_circuit(data: EISData, circuit: str, *, initial_guess=None, bounds=None,
                weighting: str = "modulus", n_starts: int = 6, seed: int = 0) -> CircuitFit:
    """Fit an equivalent circuit to an impedance spectrum.

    Parameters
    ----------
    data : EISData
        One sweep (see :meth:`EISData.select_sweep`) of at least p + 1 points.
    circuit : str
        impedance.py circuit string, e.g. ``"R0-p(R1,CPE1)-CPE2"``.
    initial_guess : dict or sequence of float, optional
        Starting values (parameter units); None reads them off the spectrum
        and runs a multi-start search.
    bounds : dict or (lower, upper), optional
        ``{name: (lo, hi)}`` or two sequences; defaults: (1e-20, 1e20) for
        positive parameters, [0, 1] for CPE-type exponents.
    weighting : {"modulus", "unit"}
        Residual weights: ``1/|Z|`` (default) or 1.
    n_starts : int
        Number of local fits without ``initial_guess``: the first starts from
        the spectrum's features, about two thirds of the rest from the same
        rules with the arc/spike junction moved to points spread over the
        spectrum, the others from seeded random perturbations (±1 decade,
        exponents in [0.5, 1]); the lowest minimum is kept.
    seed : int
        Seed of the multi-start perturbations (results are deterministic).

    Returns
    -------
    CircuitFit

    Raises
    ------
    ValueError
        Circuit string that does not parse (saying where), bad option,
        too few points, multi-sweep data.
    FitError
        When no local fit could be carried out (model not finite anywhere).

    Examples
    --------
    >>> from echem.eis import spectrum
    >>> from echem.eis.circuits import parse_circuit
    >>> f = np.geomspace(1e6, 1e-1, 50)
    >>> z = parse_circuit("R0-p(R1,CPE1)-CPE2").impedance([20, 80, 1e-8, 0.9, 1e-6, 0.85], f)
    >>> fit = fit_circuit(spectrum(f, z), "R0-p(R1,CPE1)-CPE2")
    >>> round(fit.parameters["R0"] + fit.parameters["R1"], 3)
    100.0
    """
    if weighting not in WEIGHTINGS:
        raise ValueError(f"weighting={weighting!r} is not one of {WEIGHTINGS}")
    parsed = parse_circuit(circuit)
    names = parsed.parameter_names
    require_single_sweep(data, min_points=max(3, (len(names) + 2) // 2))
    guesses = None
    if initial_guess is not None:
        guess = _as_vector(initial_guess, names, "initial_guess")
        if np.any((~_parameter_roles(parsed)[0]) & (guess <= 0)):
            raise ValueError("initial_guess: non-exponent parameters must be > 0")
        guesses = [guess]
    return fit_starts(data, circuit, guesses, bounds=bounds, weighting=weighting,
                      n_starts=n_starts if initial_guess is None else 0, seed=seed)


def fit_starts(data: EISData, circuit: str, guesses, *, bounds=None, weighting: str = "modulus",
               n_starts: int = 6, seed: int = 0, kk_rms: float | None = None,
               accept_rms: float = 0.0, budget: int = 100, agree: float = 1e-6,
               max_fits: int | None = None) -> CircuitFit:
    """The fit of :func:`fit_circuit` from given starting vectors first.

    Local fits run from each of ``guesses`` (parameter units, may be None),
    then from :func:`fit_circuit`'s own ``n_starts`` starts, keeping the
    lowest minimum; the search stops as soon as one fit's RMS relative
    residual is at most ``accept_rms`` or two fits agree (see
    :func:`_multistart`). ``kk_rms`` is the Lin-KK residual level of the
    data when the caller has it (computed here when needed); ``budget``
    times (parameters + 1) bounds the evaluations of each local fit,
    ``agree`` is the relative cost difference within which two minima count
    as the same, and ``max_fits`` caps the number of local fits.
    """
    parsed = parse_circuit(circuit)
    f, z = data.frequency_hz, data.z_ohm
    exponent, _ = _parameter_roles(parsed)
    lo, hi = _bounds(bounds, parsed, exponent, float(np.max(np.abs(z))))
    problem = _Problem(parsed, f, z, weighting, exponent, lo, hi)
    starts = [problem.to_u(np.clip(np.asarray(g, dtype=float), lo, hi)) for g in guesses or ()]
    if n_starts > 0:
        starts += _starts(parsed, problem, n_starts, seed)
    if max_fits is not None:
        starts = starts[:max_fits]
    best, best_u, best_start, runs = _multistart(problem, starts, accept=_acceptor(z, accept_rms, weighting),
                                                 budget=budget, agree=agree)
    if best is None:
        raise FitError(f"circuit {parsed.text!r}: no local fit could be carried out")
    return _result(circuit, parsed, problem, best, best_u, best_start, weighting, runs,
                   kk_rms if kk_rms is not None else (lambda: kk_level(data)))


def kk_level(data: EISData) -> float:
    """RMS relative residual of the Lin-KK test on ``data`` (NaN if it cannot run)."""
    from echem.eis.kramers_kronig import lin_kk

    try:
        return float(lin_kk(data).rms_residual)
    except (ValueError, np.linalg.LinAlgError):
        return float("nan")


def _acceptor(z, accept_rms: float, weighting: str):
    """Test of a local fit "at the noise level": RMS relative residual at most
    ``accept_rms`` and residual signs random (runs test p >= 0.01), or below
    :data:`NOISE_FLOOR`; None when ``accept_rms`` is 0."""
    if accept_rms <= 0:
        return None
    n = z.size
    scale = 1.0 if weighting == "modulus" else np.abs(z)

    def accept(res) -> bool:
        rel = res.fun[:n] * scale, res.fun[n:] * scale
        rms = float(np.sqrt(np.mean(np.concatenate(rel) ** 2)))
        return rms <= NOISE_FLOOR or (rms <= accept_rms and runs_test(*rel)[2] >= 0.01)

    return accept


def _multistart(problem, starts, *, agree: float = 1e-6, accept=None, budget: int = 100):
    """Local fits from ``starts`` in order, keeping the lowest minimum.

    The search stops early once two successful local fits have reached the
    same minimum (costs within ``agree`` relative): two starts converging
    to one point are taken as evidence that it is the global one, so the
    remaining starts are run only when the first ones fail or disagree.
    """
    best, best_u, best_start, runs, minima = None, None, None, 0, []
    for u0 in starts:
        try:
            res, u = _local_fit(problem, u0, budget)
        except (ValueError, FloatingPointError, np.linalg.LinAlgError):
            continue
        runs += 1
        if not np.isfinite(res.cost):
            continue
        if best is None or res.cost < best.cost:
            best, best_u, best_start = res, u, u0
        if accept is not None and accept(res):
            break
        if res.success:
            if any(abs(res.cost - c) <= agree * max(c, 1e-300) + 1e-28 for c in minima) \
                    and abs(best.cost - res.cost) <= agree * max(res.cost, 1e-300) + 1e-28:
                break
            minima.append(res.cost)
    return best, best_u, best_start, runs


def _starts(circuit, problem, n_starts, seed) -> list[np.ndarray]:
    """Starting points (u-space): the detected features, then alternative
    arc/spike junctions spread over the spectrum, then random perturbations."""
    f, z = problem.f, problem.z
    lo, hi = problem.from_u(problem.ulo), problem.from_u(problem.uhi)
    starts = [problem.to_u(np.clip(data_guess(circuit, f, z), lo, hi))]
    n_alt = max(0, (n_starts - 1) * 2 // 3)
    for index in np.unique(np.linspace(0, f.size - 1, n_alt + 2).round().astype(int))[1:-1]:
        guess = data_guess(circuit, f, z, valley_index=int(index))
        starts.append(problem.to_u(np.clip(guess, lo, hi)))
    rng = np.random.default_rng(seed)
    while len(starts) < n_starts:
        u = starts[0] + np.where(problem.exponent, 0.0, rng.normal(0.0, 1.0, starts[0].size))
        starts.append(np.where(problem.exponent, rng.uniform(0.5, 1.0, u.size), u))
    return starts[:max(1, n_starts)]


def runs_test(residual_real, residual_imag) -> tuple[int, float, float]:
    """Wald-Wolfowitz runs test on the signs of fit residuals.

    The real and imaginary residuals, each in frequency order, are two
    sequences of signs; a model that describes the data leaves signs that
    change at random, a model that misses a process leaves long runs. The
    runs of both sequences are counted and compared with their expectation
    under randomness, E = 1 + 2 n₊n₋/n and
    Var = 2 n₊n₋(2 n₊n₋ − n)/(n²(n − 1)) per sequence (Wald & Wolfowitz,
    Ann. Math. Stat. 11 (1940) 147, doi:10.1214/aoms/1177731909).

    Returns
    -------
    runs : int
        Number of runs observed (both sequences).
    expected : float
        Their expected number for random signs.
    p_value : float
        One-sided p-value of so few runs (normal approximation); 1 when the
        test cannot be made (fewer than 2 points of each sign).
    """
    from scipy.stats import norm

    runs, mean, var = 0, 0.0, 0.0
    for seq in (np.asarray(residual_real), np.asarray(residual_imag)):
        signs = np.sign(seq[seq != 0])
        n = signs.size
        n_pos = int(np.sum(signs > 0))
        n_neg = n - n_pos
        if n < 3 or n_pos == 0 or n_neg == 0:
            runs += 1 if n else 0
            mean += 1 if n else 0
            continue
        runs += 1 + int(np.sum(signs[1:] != signs[:-1]))
        mean += 1 + 2 * n_pos * n_neg / n
        var += 2 * n_pos * n_neg * (2 * n_pos * n_neg - n) / (n * n * (n - 1))
    if var <= 0:
        return runs, mean, 1.0
    return runs, mean, float(norm.cdf((runs - mean) / np.sqrt(var)))


def fit_quality(success: bool, message: str, rms: float, runs: tuple[int, float, float],
                kk_rms: float, stderr_available: bool) -> tuple[str, tuple[str, ...]]:
    """Status ("ok", "warning", "poor") and reasons of a circuit fit.

    * the optimiser did not converge: poor;
    * residual RMS above twice the Lin-KK level (Schönleber et al.,
      Electrochim. Acta 131 (2014) 20, doi:10.1016/j.electacta.2014.01.034),
      i.e. clearly worse than a KK-consistent model of the same data:
      warning, poor above five times it with systematic signs;
    * residual signs systematic (runs test p < 0.001): warning;
    * standard errors unavailable: warning.

    Residuals below :data:`NOISE_FLOOR` count as exact and are not judged.
    """
    status, reasons = 0, []
    if not success:
        status = 2
        reasons.append(f"The optimiser stopped without converging ({message}).")
    n_runs, expected, p_runs = runs
    systematic = p_runs < 1e-3
    if rms > NOISE_FLOOR:
        if np.isfinite(kk_rms) and rms > 2 * max(kk_rms, NOISE_FLOOR):
            status = max(status, 2 if (rms > 5 * max(kk_rms, NOISE_FLOOR) and systematic) else 1)
            reasons.append(f"The residual RMS ({100 * rms:.2g} % of |Z|) is {rms / max(kk_rms, 1e-300):.1f} "
                           f"times the Lin-KK level ({100 * kk_rms:.2g} %): the circuit misses "
                           "part of the spectrum.")
        if systematic:
            status = max(status, 1)
            reasons.append(f"The residuals are systematic: their signs form {n_runs} runs where "
                           f"{expected:.0f} are expected for noise (runs test p = {p_runs:.1g}).")
    if not stderr_available:
        status = max(status, 1)
        reasons.append("Standard errors could not be estimated (singular Jacobian: some parameter "
                       "is not determined by the data).")
    return FIT_STATUSES[status], tuple(reasons)


def _pinned(problem, u, names, margin: float = 1e-4) -> list[str]:
    """Names of the positive (non-exponent) parameters within ``margin`` of a bound, in log10 space.

    An exponent at 1 is an ideal capacitor, a legitimate answer; a resistance at 100 max|Z| or a
    capacitance at 1e-20 F is the optimiser leaning on a wall.
    """
    position = (np.asarray(u, dtype=float) - problem.ulo) / (problem.uhi - problem.ulo)
    at_bound = (~problem.exponent) & ((position < margin) | (position > 1 - margin))
    return [name for name, hit in zip(names, at_bound) if hit]


#: Kinds of single elements with a time constant of their own (finite diffusion, Gerischer, ...).
_TIMED_ELEMENTS = {"Ws", "Wo", "G", "GFW", "Gs", "Zarc", "TLMQ", "K", "T"}
#: Angular frequencies 2π·10^(-15 … 15) over which a member's -Z'' maximum is sought (20 per decade).
_ORDER_OMEGA = _Omega(2 * np.pi * np.logspace(-15, 15, 601))


def _signature(node):
    if isinstance(node, _Element):
        return node.kind
    return node.kind, tuple(_signature(child) for child in node.children)


def _indices(node) -> list[int]:
    if isinstance(node, _Element):
        return list(range(node.start, node.start + node.count))
    return [i for child in node.children for i in _indices(child)]


def _processes(circuit: Circuit) -> list:
    """The circuit's processes: its top-level series members with a time scale of their own (parallel
    groups, finite diffusion and Gerischer elements, ...); the whole circuit when it is no series chain."""
    tree = circuit.tree
    members = list(tree.children) if isinstance(tree, _Group) and tree.kind == "s" else [tree]
    return [m for m in members if isinstance(m, _Group) or m.kind in _TIMED_ELEMENTS]


def _peak_position(member, p) -> float | None:
    """Position of a member's -Z'' maximum on the :data:`_ORDER_OMEGA` grid (grid steps, 20 per
    decade of ω, refined between points), None when the maximum lies at the grid's edge."""
    with np.errstate(all="ignore"):
        z = _evaluate(member, p, _ORDER_OMEGA, False)[0]
    y = np.where(np.isfinite(z), -z.imag, -np.inf)
    i = int(np.argmax(y))
    if i in (0, y.size - 1):
        return None
    # vertex of the parabola through the three top points: sub-step position, so
    # arcs whose time constants differ by less than a grid step still order right
    curvature = y[i - 1] - 2 * y[i] + y[i + 1]
    shift = 0.5 * (y[i - 1] - y[i + 1]) / curvature if np.isfinite(curvature) and curvature < 0 else 0.0
    return i + float(np.clip(shift, -0.5, 0.5))


def process_frequencies_hz(circuit: Circuit, parameters) -> np.ndarray:
    """Frequencies (Hz) of the -Z'' maxima of the circuit's processes, descending.

    The processes are the top-level series members with a time scale of
    their own (parallel groups, finite diffusion and Gerischer elements), as
    in :func:`canonical_order`; members whose maximum is outside 1e-15 …
    1e15 rad/s are left out.
    """
    p = np.asarray(parameters, dtype=float)
    positions = [_peak_position(m, p) for m in _processes(circuit)]
    steps = np.array([q for q in positions if q is not None])
    return np.sort(10.0 ** (-15 + steps / 20))[::-1]  # the grid is omega = 2 pi 10^(-15 + step/20)


def canonical_order(circuit: Circuit, parameters) -> np.ndarray:
    """Permutation that puts interchangeable circuit members in order of increasing time constant.

    Members of the top-level series chain with the same structure (two
    ``p(R,CPE)`` arcs, two Gerischer elements, ...) can trade parameters
    without changing Z, so a fit may return them in either order. Each such
    member's time scale is read as the angular frequency of the maximum of
    its -Z'' (ω = 1/τ for R||C and R||CPE arcs, √3/τ for a Gerischer
    element), found on a 30-decade grid (20 points per decade) and refined
    between grid points by the vertex of the parabola through the three
    highest points (arcs 0.6 % apart in τ are told apart); members are then ordered by
    decreasing frequency (increasing τ) in the order they are written.
    Members whose maximum lies at the grid's edge (no time scale, e.g. a
    resistor) are left in place.

    Parameters
    ----------
    circuit : Circuit
        The parsed circuit.
    parameters : ndarray, shape (p,)
        Parameter values.

    Returns
    -------
    ndarray of int, shape (p,)
        ``parameters[perm]`` is the canonical vector (the identity when
        nothing moves).

    Examples
    --------
    >>> c = parse_circuit("R0-p(R1,C1)-p(R2,C2)")
    >>> p = np.array([10.0, 500.0, 1e-3, 100.0, 1e-9])   # slow arc written first
    >>> p[canonical_order(c, p)].tolist()
    [10.0, 100.0, 1e-09, 500.0, 0.001]
    """
    p = np.asarray(parameters, dtype=float)
    perm = np.arange(p.size)
    families: dict = {}
    for member in _processes(circuit):  # a circuit that is no series chain is one process: nothing moves
        families.setdefault(_signature(member), []).append(member)
    for members in families.values():
        if len(members) < 2:
            continue
        peaks = [_peak_position(member, p) for member in members]
        if any(peak is None for peak in peaks):
            continue
        order = np.argsort(-np.asarray(peaks), kind="stable")
        for slot, source in zip(members, (members[k] for k in order)):
            perm[_indices(slot)] = _indices(source)
    return perm


def _result(text, parsed, problem, res, u, u0, weighting, runs, kk_rms) -> CircuitFit:
    names = parsed.parameter_names
    perm = canonical_order(parsed, problem.from_u(u))
    if np.array_equal(problem.ulo[perm], problem.ulo) and np.array_equal(problem.uhi[perm], problem.uhi):
        u, u0 = np.asarray(u)[perm], np.asarray(u0)[perm]  # user bounds that differ keep the fitted order
    p = problem.from_u(u)
    z, f = problem.z, problem.f
    z_fit = parsed.impedance(p, f)
    m, n = 2 * z.size, p.size
    dof = m - n
    chi2 = float(np.sum(problem.residual_u(u) ** 2))
    cov = np.full((n, n), np.nan)
    ok = False
    if dof > 0:
        jac = problem.jacobian_u(u)
        jtj = jac.T @ jac
        try:
            if np.linalg.cond(jtj) < 1e14:
                scale = np.where(problem.exponent, 1.0, p * np.log(10.0))
                # residual variance, not below the rounding level of the data
                floor = NOISE_FLOOR**2 * float(np.mean((np.abs(z) * problem.w) ** 2))
                cov = np.linalg.inv(jtj) * max(chi2 / dof, floor) * np.outer(scale, scale)
                ok = bool(np.all(np.isfinite(cov)) and np.all(np.diag(cov) >= 0))
        except np.linalg.LinAlgError:
            ok = False
    if not ok:
        cov = np.full((n, n), np.nan)
    err = np.sqrt(np.diag(cov)) if ok else np.full(n, np.nan)
    rel = (z - z_fit) / np.abs(z)
    rms = float(np.sqrt(np.mean(np.concatenate([rel.real, rel.imag]) ** 2)))
    runs_result = runs_test(rel.real[np.argsort(f)], rel.imag[np.argsort(f)])
    if callable(kk_rms):
        # the Lin-KK level is needed only to grade a fit whose residuals look systematic
        kk_rms = kk_rms() if (runs_result[2] < 1e-3 and rms > NOISE_FLOOR) else float("nan")
    status, reasons = fit_quality(bool(res.success), str(res.message), rms, runs_result, kk_rms, ok)
    pinned = _pinned(problem, u, names)
    if pinned:
        status = FIT_STATUSES[max(FIT_STATUSES.index(status), 1)]
        reasons = (*reasons, f"{', '.join(pinned)} ended at a bound of the search (not determined by the "
                             "data, or the data lie outside the default bounds: pass bounds=).")
    return CircuitFit(
        circuit=text,
        parameters={k: float(v) for k, v in zip(names, p)},
        stderr={k: float(v) for k, v in zip(names, err)},
        units=dict(zip(names, parsed.parameter_units)),
        covariance=cov,
        chi_square=chi2,
        chi_square_reduced=chi2 / dof if dof > 0 else float("nan"),
        frequency_hz=f, z_ohm=z, z_fit_ohm=z_fit,
        residual_real=rel.real, residual_imag=rel.imag,
        weighting=weighting, success=bool(res.success), message=str(res.message),
        n_starts=runs, stderr_available=ok,
        initial_guess={k: float(v) for k, v in zip(names, problem.from_u(u0))},
        rms_residual=rms, runs_p_value=runs_result[2], kk_rms_residual=float(kk_rms),
        status=status, quality_reasons=reasons,
    )
