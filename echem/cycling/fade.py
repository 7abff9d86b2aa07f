"""Capacity retention and fade over cycles."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["FADE_MODELS", "FadeResult", "capacity_fade"]

#: Allowed fade models.
FADE_MODELS = ("linear", "exponential")
_CAPACITIES = ("discharge", "charge")


@dataclass(frozen=True)
class FadeResult:
    """Retention and fitted fade of a cycling run.

    Attributes
    ----------
    cycles : numpy.ndarray
        Complete cycles from the reference on (int).
    retention_curve : numpy.ndarray
        Capacity of each of those cycles over the reference cycle's (fraction).
    reference_cycle, last_cycle : int
        The reference cycle and the last complete cycle.
    retention : float
        Retention of the last complete cycle (fraction of the reference).
    capacity : str
        Which capacity was used, ``"discharge"`` or ``"charge"``.
    model : str
        ``"linear"``: r = r0 - a (N - N_ref); ``"exponential"``:
        r = r0 exp(-b (N - N_ref)).
    intercept : float
        Fitted r0 (fraction).
    fade_per_cycle_pct : float
        Fitted loss per cycle in % of the reference capacity: 100 a
        (linear) or 100 (1 - exp(-b)) (exponential, relative per cycle).
    fade_per_cycle_pct_stderr : float
        Its standard error (NaN with ``stderr_available`` False when fewer
        than three cycles were fitted).
    stderr_available : bool
    cycles_to_80pct : float
        Cycle number at which retention falls to 80 %: the first observed
        cycle below 80 % when reached, else the model's extrapolation, NaN
        when the model does not fade.
    cycles_to_80pct_status : str
        ``"reached"``, ``"extrapolated"`` or ``"not fading"``.
    success : bool
        False when there were fewer than two complete cycles to fit.
    message : str
    """

    cycles: np.ndarray
    retention_curve: np.ndarray
    reference_cycle: int
    last_cycle: int
    retention: float
    capacity: str
    model: str
    intercept: float
    fade_per_cycle_pct: float
    fade_per_cycle_pct_stderr: float
    stderr_available: bool
    cycles_to_80pct: float
    cycles_to_80pct_status: str
    success: bool
    message: str

    def fitted(self, cycles) -> np.ndarray:
        """Model retention (fraction) at ``cycles``."""
        dn = np.asarray(cycles, dtype=float) - self.reference_cycle
        if self.model == "linear":
            return self.intercept - self.fade_per_cycle_pct / 100.0 * dn
        rate = -np.log1p(-self.fade_per_cycle_pct / 100.0)
        return self.intercept * np.exp(-rate * dn)

    def plot(self, ax=None, *, label: str | None = None):
        """Retention (%) against cycle number with the fitted model (dashed)."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        (line,) = ax.plot(self.cycles, 100 * self.retention_curve, "o", ms=3, label=label)
        if self.success:
            ax.plot(self.cycles, 100 * self.fitted(self.cycles), "--", color=line.get_color(), lw=1)
        ax.set_xlabel("cycle")
        ax.set_ylabel(f"{self.capacity} capacity retention (%)")
        return ax

    def summary(self) -> dict:
        """Flat key numbers, units in the keys."""
        return {
            "reference_cycle": int(self.reference_cycle),
            "last_cycle": int(self.last_cycle),
            "retention_pct": 100.0 * float(self.retention),
            "fade_model": self.model,
            "fade_per_cycle_pct": float(self.fade_per_cycle_pct),
            "fade_per_cycle_pct_stderr": float(self.fade_per_cycle_pct_stderr),
            "cycles_to_80pct": float(self.cycles_to_80pct),
            "cycles_to_80pct_status": self.cycles_to_80pct_status,
            "fit_success": bool(self.success),
        }


def _fit(dn: np.ndarray, r: np.ndarray, model: str):
    """Least-squares line through (dn, y) with y = r or ln r; returns (r0, fade, stderr)."""
    y = r if model == "linear" else np.log(r)
    design = np.column_stack([np.ones_like(dn), dn])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    stderr = np.nan
    dof = dn.size - 2
    if dof > 0:
        resid = y - design @ coef
        cov = np.linalg.inv(design.T @ design) * (resid @ resid) / dof
        stderr = float(np.sqrt(cov[1, 1]))
    slope = -coef[1]
    if model == "linear":
        return float(coef[0]), 100.0 * slope, 100.0 * stderr
    # relative loss per cycle 1 - exp(-b), error propagated: d/db = exp(-b)
    return float(np.exp(coef[0])), 100.0 * (1 - np.exp(-slope)), 100.0 * np.exp(-slope) * stderr


def capacity_fade(
    summary: pd.DataFrame, *, reference_cycle: int = 1, capacity: str = "discharge", model: str = "linear"
) -> FadeResult:
    """Retention of the last cycle and a fitted fade rate.

    Retention r_N = Q_N / Q_ref of the complete cycles N >= N_ref; the fade
    per cycle is the slope of a least-squares fit of ``model`` to r_N.
    Incomplete cycles (``complete`` False) are left out.

    Parameters
    ----------
    summary : pandas.DataFrame
        Output of :func:`echem.cycle_summary`.
    reference_cycle : int
        Cycle whose capacity is 100 % (e.g. 2 to skip a formation cycle).
    capacity : {"discharge", "charge"}
        Which capacity to follow.
    model : {"linear", "exponential"}
        Fade model fitted to the retention.

    Returns
    -------
    FadeResult

    Raises
    ------
    ValueError
        For bad options, or a reference cycle that is absent, incomplete or
        has zero capacity.
    """
    if model not in FADE_MODELS:
        raise ValueError(f"model={model!r} is not allowed; use one of {FADE_MODELS}")
    if capacity not in _CAPACITIES:
        raise ValueError(f"capacity={capacity!r} is not allowed; use one of {_CAPACITIES}")
    column = f"{capacity}_capacity_mah"
    for needed in ("cycle", column, "complete"):
        if needed not in summary.columns:
            raise ValueError(f"summary has no {needed!r} column; pass the output of cycle_summary()")
    rows = summary[summary["complete"].to_numpy(dtype=bool)]
    ref = rows[rows["cycle"] == reference_cycle]
    if ref.empty:
        raise ValueError(
            f"reference_cycle={reference_cycle} is not a complete cycle of the summary "
            f"(complete cycles: {rows['cycle'].min()}..{rows['cycle'].max()})"
        )
    q_ref = float(ref[column].iloc[0])
    if not q_ref > 0:
        raise ValueError(f"reference cycle {reference_cycle} has no {capacity} capacity")
    rows = rows[rows["cycle"] >= reference_cycle]
    cycles = rows["cycle"].to_numpy(dtype=np.int64)
    retention = rows[column].to_numpy(dtype=float) / q_ref
    last = int(cycles[-1])
    if cycles.size < 2 or (model == "exponential" and np.any(retention <= 0)):
        message = (
            "fewer than two complete cycles to fit" if cycles.size < 2 else "exponential model needs positive retention"
        )
        return FadeResult(
            cycles,
            retention,
            reference_cycle,
            last,
            float(retention[-1]),
            capacity,
            model,
            np.nan,
            np.nan,
            np.nan,
            False,
            np.nan,
            "not fading",
            False,
            message,
        )
    dn = (cycles - reference_cycle).astype(float)
    r0, fade, stderr = _fit(dn, retention, model)
    below = np.flatnonzero(retention < 0.8)
    if below.size:
        n80, status = float(cycles[below[0]]), "reached"
    elif fade > 0:
        if model == "linear":
            n80 = reference_cycle + (r0 - 0.8) / (fade / 100.0)
        else:
            n80 = reference_cycle + np.log(r0 / 0.8) / -np.log1p(-fade / 100.0)
        status = "extrapolated"
    else:
        n80, status = np.nan, "not fading"
    return FadeResult(
        cycles=cycles,
        retention_curve=retention,
        reference_cycle=int(reference_cycle),
        last_cycle=last,
        retention=float(retention[-1]),
        capacity=capacity,
        model=model,
        intercept=r0,
        fade_per_cycle_pct=float(fade),
        fade_per_cycle_pct_stderr=float(stderr),
        stderr_available=bool(np.isfinite(stderr)),
        cycles_to_80pct=float(n80),
        cycles_to_80pct_status=status,
        success=True,
        message=f"{model} fit to {cycles.size} complete cycles",
    )
