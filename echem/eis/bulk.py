"""Bulk (total ionic) resistance of an electrolyte pellet between blocking electrodes.

R_e is the real-axis value where the (partial) high-frequency arc meets the
low-frequency blocking-electrode spike, i.e. R0 + R1 in R0-p(R1,CPE1)-CPE2;
pellet conductivities are reported from it (σ = d / (R_e S); e.g. Kraft et
al., J. Am. Chem. Soc. 139 (2017) 10909, doi:10.1021/jacs.7b06327, for
Li6PS5X). When the arc lies above the frequency window only R0-CPE is seen
and R_e = R0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from echem.eis.data import EISData, require_single_sweep
from echem.eis.features import spectrum_features
from echem.eis.fitting import CircuitFit, fit_circuit

__all__ = ["BULK_METHODS", "PELLET_CIRCUITS", "BulkResistance", "bulk_resistance"]

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
                "err_available": bool(self.err_available)}

    def report(self) -> str:
        """One-line text report."""
        return (f"R_e = {self.resistance_ohm:.5g} ± {self.resistance_err_ohm:.2g} Ohm "
                f"({self.method}{', ' + self.circuit if self.circuit else ''})")


def _aic(fit: CircuitFit) -> float:
    """Akaike information criterion for least squares, m ln(χ²/m) + 2k
    (Akaike, IEEE Trans. Autom. Control 19 (1974) 716, doi:10.1109/TAC.1974.1100705)."""
    m = 2 * fit.frequency_hz.size
    return float(m * np.log(max(fit.chi_square, 1e-300) / m) + 2 * len(fit.parameters))


def bulk_resistance(data: EISData, *, method: str = "fit", circuit: str | None = None,
                    weighting: str = "modulus") -> BulkResistance:
    """Bulk (total ionic) resistance R_e of a pellet spectrum.

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

    Returns
    -------
    BulkResistance

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
    ok = bool(np.isfinite(err))
    message = f"{chosen} chosen by AIC among {candidates}; fit: {fit.message}"
    return BulkResistance(value, err, "fit", chosen, PELLET_CIRCUITS[chosen], fit, aic,
                          data.frequency_hz, data.z_ohm, ok, message)


def _intercept(data: EISData) -> BulkResistance:
    order = np.argsort(data.frequency_hz)[::-1]
    z = data.z_ohm[order]
    feats = spectrum_features(data.frequency_hz, data.z_ohm)
    v = feats.valley_index
    value = float(z.real[v])
    lo, hi = max(v - 1, 0), min(v + 1, z.size - 1)
    err = 0.5 * abs(float(z.real[hi] - z.real[lo])) / max(hi - lo, 1)
    if 0 < v < z.size - 1:
        x, y = z.real[lo : hi + 1], -z.imag[lo : hi + 1]
        a, b, _ = np.polyfit(x, y, 2)
        if a > 0 and x.min() <= -b / (2 * a) <= x.max():
            value = float(-b / (2 * a))
    message = ("Z' at the -Z'' minimum between arc and spike" if feats.arc_visible
               else "no arc in the window: Z' at the high-frequency end of the spike")
    return BulkResistance(value, err, "intercept", "", (), None, {},
                          data.frequency_hz, data.z_ohm, True, message)
