"""Bulk (total ionic) resistance of an electrolyte pellet between blocking electrodes.

R_e is the real-axis value where the (partial) high-frequency arc meets the
low-frequency blocking-electrode spike, i.e. R0 + R1 in R0-p(R1,CPE1)-CPE2;
pellet conductivities are reported from it (σ = d / (R_e S); e.g. Kraft et
al., J. Am. Chem. Soc. 139 (2017) 10909, doi:10.1021/jacs.7b06327, for
Li6PS5X). When the arc lies above the frequency window only R0-CPE is seen
and R_e = R0.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from echem.eis.circuits import _Element, _Group, parse_circuit
from echem.eis.data import EISData, require_single_sweep
from echem.eis.features import spectrum_features
from echem.eis.fitting import NOISE_FLOOR, CircuitFit, fit_circuit
from echem.eis.selection import information_criteria

__all__ = ["BULK_METHODS", "PELLET_CIRCUITS", "BulkResistance", "bulk_arc", "bulk_resistance"]

#: Candidate pellet circuits and the resistors whose sum is R_e.
PELLET_CIRCUITS: dict[str, tuple[str, ...]] = {
    "R0-p(R1,CPE1)-CPE2": ("R0", "R1"),
    "R0-CPE1": ("R0",),
    "R0-p(R1,CPE1)": ("R0", "R1"),
}
BULK_METHODS = ("fit", "intercept")


@dataclass(frozen=True)
class BulkResistance:
    """Result of :func:`bulk_resistance`.

    Attributes
    ----------
    resistance_ohm : float
        R_e, Ohm.
    resistance_err_ohm : float
        One standard uncertainty, Ohm (NaN when the fit covariance is
        unavailable, see ``err_available``).
    method : str
        ``"fit"`` or ``"intercept"``.
    circuit : str
        The circuit used (``""`` for the intercept method).
    resistors : tuple of str
        Parameters summed into R_e.
    fit : CircuitFit or None
        The chosen fit (method ``"fit"``).
    aic : dict
        Akaike information criterion of each candidate circuit tried.
    z_ohm, frequency_hz : ndarray
        The data.
    err_available : bool
        Whether ``resistance_err_ohm`` is a number.
    message : str
        How the value was obtained.
    status : {"ok", "warning", "poor"}
        Quality verdict: "ok" when the model describes the data (residuals
        at the noise level, without systematic signs), "warning" when R_e
        came from another circuit than the pellet models or is uncertain,
        "poor" when no circuit tried describes the data — R_e may then be
        wrong.
    quality_reasons : tuple of str
        Sentences saying why the status is not "ok".
    model_choice_reason : str
        Which circuit gave R_e and why.
    selection : CircuitSelection or None
        The ranking of :func:`~echem.eis.selection.select_circuit` when the
        pellet models left systematic residuals.
    """

    resistance_ohm: float
    resistance_err_ohm: float
    method: str
    circuit: str
    resistors: tuple[str, ...]
    fit: CircuitFit | None
    aic: dict
    frequency_hz: np.ndarray
    z_ohm: np.ndarray
    err_available: bool
    message: str
    status: str = "ok"
    quality_reasons: tuple = ()
    model_choice_reason: str = ""
    selection: object = None

    def plot(self, ax=None):
        """Nyquist plot with the fit (if any) and R_e marked on the real axis."""
        from echem.eis.plotting import plot_nyquist

        if self.fit is not None:
            ax = self.fit.plot(ax=ax, kind="nyquist")
        else:
            ax = plot_nyquist(self.z_ohm, ax=ax)
        ax.axvline(self.resistance_ohm, color="k", ls=":", lw=1,
                   label=f"R_e = {self.resistance_ohm:.4g} Ω")
        ax.legend(fontsize="small")
        return ax

    def summary(self) -> dict:
        """Flat JSON-safe summary."""
        return {"resistance_ohm": float(self.resistance_ohm),
                "resistance_err_ohm": float(self.resistance_err_ohm),
                "method": self.method, "circuit": self.circuit,
                "resistors": "+".join(self.resistors),
                "err_available": bool(self.err_available), "status": self.status,
                "quality_reasons": " ".join(self.quality_reasons),
                "model_choice_reason": self.model_choice_reason}

    def report(self) -> str:
        """One-line text report."""
        head = (f"R_e = {self.resistance_ohm:.5g} ± {self.resistance_err_ohm:.2g} Ohm "
                f"({self.method}{', ' + self.circuit if self.circuit else ''}) [{self.status}]")
        lines = [head] + ([f"  {self.model_choice_reason}"] if self.model_choice_reason else [])
        return "\n".join(lines + [f"  ! {r}" for r in self.quality_reasons])


def _aic(fit: CircuitFit) -> float:
    """Akaike information criterion for least squares, m ln(S/m) + 2k, with S floored at the
    rounding level of the data (:func:`echem.eis.selection.information_criteria`)."""
    return information_criteria(fit.chi_square, 2 * fit.frequency_hz.size, len(fit.parameters))["aic"]


def bulk_resistance(data: EISData, *, method: str = "fit", circuit: str | None = None,
                    weighting: str = "modulus", select: bool = True) -> BulkResistance:
    """Bulk (total ionic) resistance R_e of a pellet spectrum, with a quality verdict.

    Parameters
    ----------
    data : EISData
        One sweep of a blocking-electrode pellet spectrum.
    method : {"fit", "intercept"}
        ``"fit"``: fit the candidate pellet circuits (:data:`PELLET_CIRCUITS`:
        R0-p(R1,CPE1)-CPE2, R0-CPE1 when the arc is outside the window,
        R0-p(R1,CPE1) when there is no spike; it is skipped when -Z'' rises at
        the low-frequency end) without initial guesses and keep
        the one with the lowest AIC (the simplest among those within 2 AIC
        units of it); R_e is the sum of its resistors, the error
        from the fit covariance. ``"intercept"``: Z' at the minimum of -Z''
        between arc and spike, refined by a parabola through the three points
        around it; the error is half the Z' step between neighbouring points.
    circuit : str, optional
        With ``method="fit"``, use this one of :data:`PELLET_CIRCUITS` only.
    weighting : {"modulus", "unit"}
        Passed to :func:`fit_circuit`.
    select : bool
        When the chosen pellet circuit leaves systematic residuals (worse
        than twice the Lin-KK level, or a failed runs test), rank the
        default circuit library with :func:`~echem.eis.selection.select_circuit`
        and take R_e from the chosen circuit: its series resistance plus the
        resistance of its fastest R||C, R||CPE or R||W arc (the bulk arc).
        The status is then "warning" and ``model_choice_reason`` says so.

    Returns
    -------
    BulkResistance
        With ``status`` ("ok", "warning", "poor"), ``quality_reasons`` and
        ``model_choice_reason``: a value whose model does not describe the
        data is never returned without a flag.

    Raises
    ------
    ValueError
        Bad option, multi-sweep data, fewer than 5 points.
    """
    if method not in BULK_METHODS:
        raise ValueError(f"method={method!r} is not one of {BULK_METHODS}")
    if circuit is not None and circuit not in PELLET_CIRCUITS:
        raise ValueError(f"circuit={circuit!r} is not one of {tuple(PELLET_CIRCUITS)}")
    require_single_sweep(data, min_points=5)
    if method == "intercept":
        return _intercept(data)
    if circuit:
        candidates = [circuit]
    elif spectrum_features(data.frequency_hz, data.z_ohm).spike_visible:
        # a low-frequency spike is there: the spike-less circuit cannot win
        candidates = [c for c in PELLET_CIRCUITS if c != "R0-p(R1,CPE1)"]
    else:
        candidates = list(PELLET_CIRCUITS)
    fits = {c: fit_circuit(data, c, weighting=weighting) for c in candidates}
    aic = {c: _aic(fit) for c, fit in fits.items()}
    # Akaike weights: fits within 2 AIC units are equally supported; take the
    # one with fewest parameters among them (Burnham & Anderson, Model
    # Selection and Multimodel Inference, 2nd ed., Springer 2002, sec. 2.6).
    best = min(aic.values())
    chosen = min((c for c in aic if aic[c] <= best + 2.0), key=lambda c: len(fits[c].parameters))
    fit = fits[chosen]
    value, err = fit.parameter_sum(PELLET_CIRCUITS[chosen])
    message = f"{chosen} chosen by AIC among {candidates}; fit: {fit.message}"
    reason = f"pellet circuit {chosen}, the lowest AIC among {', '.join(candidates)}"
    status, reasons = fit.status, list(fit.quality_reasons)
    if status != "ok" and _misfit(fit) and select and circuit is None:
        return _from_selection(data, fit, chosen, value, err, aic, weighting)
    status, reasons = _uncertainty_check(status, reasons, value, err)
    return BulkResistance(value, err, "fit", chosen, PELLET_CIRCUITS[chosen], fit, aic,
                          data.frequency_hz, data.z_ohm, bool(np.isfinite(err)), message,
                          status, tuple(reasons), reason, None)


def _misfit(fit: CircuitFit) -> bool:
    """Whether the fit's residuals are systematic (not just unavailable errors)."""
    return fit.rms_residual > NOISE_FLOOR and (
        fit.runs_p_value < 1e-3
        or (np.isfinite(fit.kk_rms_residual) and fit.rms_residual > 2 * fit.kk_rms_residual))


def _uncertainty_check(status, reasons, value, err):
    if np.isfinite(err) and value > 0 and err > 0.1 * value:
        reasons = reasons + [f"R_e is uncertain by {100 * err / value:.0f} % (one standard error)."]
        status = "warning" if status == "ok" else status
    if not value > 0:
        reasons = reasons + ["R_e is not positive."]
        status = "poor"
    return status, reasons


def bulk_arc(fit: CircuitFit) -> tuple[tuple[str, ...], float]:
    """The resistors of R_e in any circuit: its top-level series resistances plus the
    resistance of its fastest R||C, R||CPE or R||W arc, and that arc's time constant (s;
    τ = RC, (RQ)^(1/α) or (R/A_w)²; NaN without an arc)."""
    parsed = parse_circuit(fit.circuit)
    tree = parsed.tree
    members = list(tree.children) if isinstance(tree, _Group) and tree.kind == "s" else [tree]
    p = fit.parameters
    series = [m.name for m in members if isinstance(m, _Element) and m.kind == "R"]
    arcs = []
    for m in members:
        if not (isinstance(m, _Group) and m.kind == "p" and len(m.children) == 2
                and all(isinstance(c, _Element) for c in m.children)):
            continue
        kinds = {c.kind: c.name for c in m.children}
        if "R" not in kinds:
            continue
        r = p[kinds["R"]]
        if "C" in kinds:
            tau = r * p[kinds["C"]]
        elif "CPE" in kinds:
            q, alpha = p[kinds["CPE"] + "_0"], p[kinds["CPE"] + "_1"]
            tau = (r * q) ** (1 / alpha) if alpha > 0 else np.inf
        elif "W" in kinds:
            tau = (r / p[kinds["W"]]) ** 2
        else:
            continue
        arcs.append((tau, kinds["R"]))
    if not arcs:
        return tuple(series), float("nan")
    tau, name = min(arcs)
    return tuple(series) + (name,), float(tau)


def _from_selection(data, fit, chosen, value, err, aic, weighting) -> BulkResistance:
    """R_e from the circuit :func:`select_circuit` chooses when the pellet circuit misfits."""
    from echem.eis.selection import select_circuit

    first = " ".join(fit.quality_reasons)
    selection = select_circuit(data, weighting=weighting)
    best = selection.best
    resistors, tau = bulk_arc(best)
    if not resistors:
        reasons = [f"The pellet circuit {chosen} does not describe the data: {first}",
                   f"The best circuit of the library, {best.circuit}, has no series resistance or "
                   "R||C-type arc to take R_e from; R_e is the pellet fit's value and may be wrong."]
        return BulkResistance(value, err, "fit", chosen, PELLET_CIRCUITS[chosen], fit, aic,
                              data.frequency_hz, data.z_ohm, bool(np.isfinite(err)),
                              "pellet circuit misfits; no usable alternative", "poor", tuple(reasons),
                              f"pellet circuit {chosen} (no better circuit gives a bulk arc)", selection)
    new_value, new_err = best.parameter_sum(resistors)
    reasons = [f"The pellet circuit {chosen} does not describe the data (R_e would be {value:.4g} Ω): "
               f"{first}"]
    status = "warning"
    if best.status != "ok":
        status = "poor"
        reasons.append(f"The selected circuit {best.circuit} does not describe the data either: "
                       + " ".join(best.quality_reasons))
    arc = f"its fastest arc (τ = {tau:.3g} s)" if np.isfinite(tau) else "no arc"
    reason = (f"{best.circuit}, chosen by select_circuit over {len(selection.table)} circuits "
              f"({selection.reason}) because {chosen} left systematic residuals; "
              f"R_e = {' + '.join(resistors)}: its series resistance and {arc}")
    status, reasons = _uncertainty_check(status, reasons, new_value, new_err)
    aic = dict(aic, **{best.circuit: float(selection.table.loc[0, "aic"])})
    return BulkResistance(new_value, new_err, "fit", best.circuit, resistors, best, aic,
                          data.frequency_hz, data.z_ohm, bool(np.isfinite(new_err)),
                          f"{best.circuit} chosen by select_circuit; fit: {best.message}", status,
                          tuple(reasons), reason, selection)


def _intercept(data: EISData) -> BulkResistance:
    order = np.argsort(data.frequency_hz)[::-1]
    z = data.z_ohm[order]
    feats = spectrum_features(data.frequency_hz, data.z_ohm)
    v = feats.valley_index
    value = float(z.real[v])
    lo, hi = max(v - 1, 0), min(v + 1, z.size - 1)
    err = 0.5 * abs(float(z.real[hi] - z.real[lo])) / max(hi - lo, 1)
    if 0 < v < z.size - 1:
        # the parabola through the three points around the valley, in coordinates centred on the middle
        # point and scaled by the spread of Z' (so that its vertex does not depend on the unit: at
        # |Z| ~ 1e-90 Ohm, or next to a 1e95 Ohm point, a squared column underflowed, LAPACK got a NaN
        # and numpy's lstsq hung)
        x0, y0 = z.real[v], -z.imag[v]
        spread = float(np.ptp(z.real[lo : hi + 1]))
        if spread > 0 and np.unique(z.real[lo : hi + 1]).size == 3:
            with np.errstate(all="ignore"):
                x = (z.real[lo : hi + 1] - x0) / spread
                y = (-z.imag[lo : hi + 1] - y0) / spread
            if np.all(np.isfinite(x)) and np.all(np.isfinite(y)):
                with warnings.catch_warnings():  # nearly collinear points: the vertex check below decides
                    warnings.simplefilter("ignore", np.exceptions.RankWarning)
                    a, b, _ = np.polyfit(x, y, 2)
                if a > 0 and x.min() <= -b / (2 * a) <= x.max():
                    value = float(x0 + (-b / (2 * a)) * spread)
    message = ("Z' at the -Z'' minimum between arc and spike" if feats.arc_visible
               else "no arc in the window: Z' at the high-frequency end of the spike")
    status, reasons = "ok", []
    if not (feats.arc_visible and feats.spike_visible):
        status = "warning"
        reasons.append("No clear valley between an arc and a spike: the intercept is only an estimate "
                       "of R_e (use method='fit').")
    if not value > 0:
        status = "poor"
        reasons.append(f"The intercept Z' = {value:.3g} Ohm is not positive: no bulk resistance can be read "
                       "off this spectrum.")
    return BulkResistance(value, err, "intercept", "", (), None, {},
                          data.frequency_hz, data.z_ohm, True, message, status, tuple(reasons),
                          "real-axis intercept at the -Z'' minimum", None)
