"""Per-cycle summary: capacities, coulombic efficiency, energies, mean voltages."""

from __future__ import annotations

import numpy as np
import pandas as pd

from echem.cycling.canonical import check_first_half_cycle
from echem.cycling.data import CANONICAL_COLUMNS, CyclingData
from ssbkit.errors import FormatError

__all__ = ["cycle_summary", "record_increments"]


def _frame(data) -> pd.DataFrame:
    frame = data.data if isinstance(data, CyclingData) else data
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"expected CyclingData or a DataFrame, got {type(data).__name__}")
    missing = [c for c in CANONICAL_COLUMNS if c not in frame.columns]
    if missing:
        raise FormatError(f"cycling data lacks the canonical columns {missing}")
    if frame.empty:
        raise FormatError("cycling data has no records")
    return frame


def record_increments(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Charge and discharge capacity (mAh) passed at each record.

    Undoes the within-step accumulation of ``charge_capacity_mah`` and
    ``discharge_capacity_mah``: the first record of a step keeps its value,
    every later one the difference to the record before.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Charge and discharge increments, both shape (n,), mAh, >= 0.
    """
    step = frame["step"].to_numpy()
    first = np.r_[True, step[1:] != step[:-1]]
    out = []
    for column in ("charge_capacity_mah", "discharge_capacity_mah"):
        acc = frame[column].to_numpy(dtype=float)
        inc = np.empty_like(acc)
        inc[0] = acc[0]
        inc[1:] = acc[1:] - acc[:-1]
        inc[first] = acc[first]
        out.append(np.maximum(inc, 0.0))
    return out[0], out[1]


def _last_cycle_closed(codes, n, dq_charge, dq_discharge, voltage, sign) -> bool:
    """Whether the last cycle ends its closing half-cycle where the cycle before did.

    The closing half is the discharge for a charge-first cycle. It counts as
    unfinished when the last record passing charge is in the opening
    direction, or when its voltage is more than 50 mV from the end voltage of
    the previous cycle's closing half (the run stopped before the cut-off).
    """
    closing = dq_discharge if sign > 0 else dq_charge
    opening = dq_charge if sign > 0 else dq_discharge
    last = codes == n - 1
    moving = np.flatnonzero(last & ((closing > 0) | (opening > 0)))
    if moving.size == 0 or not closing[moving[-1]] > opening[moving[-1]]:
        return False
    if n < 2:
        return True
    before = np.flatnonzero((codes == n - 2) & (closing > 0))
    if before.size == 0:
        return True
    return bool(abs(voltage[moving[-1]] - voltage[before[-1]]) <= 0.05)


def cycle_summary(data, *, active_mass_mg: float | None = None, first_half_cycle: str | None = None) -> pd.DataFrame:
    """One row per cycle: capacities, coulombic efficiency, energies, mean voltages.

    Capacity of a half-cycle is Q = ∫|I| dt (the sum of the records' charge
    or discharge increments), energy E = ∫ V dQ (trapezoid in V between
    records), mean voltage = E / Q. For a cathode cycled charge-first the
    coulombic efficiency is Q_discharge / Q_charge of the same cycle; for an
    electrode cycled discharge-first it is Q_charge / Q_discharge
    (PHYSICS.md, echem - cycling; Bard & Faulkner, *Electrochemical Methods*,
    2nd ed., 2001, ch. 1).

    Parameters
    ----------
    data : CyclingData or pandas.DataFrame
        Canonical cycling data (:func:`echem.read_cycling`).
    active_mass_mg : float, optional
        Active-material mass (mg); adds ``charge_capacity_mah_g`` and
        ``discharge_capacity_mah_g`` (mAh per g of active material).
    first_half_cycle : {"charge", "discharge"}, optional
        Which half opens a cycle; default from ``data.metadata`` (else
        ``"charge"``). Sets the direction of the efficiency ratio.

    Returns
    -------
    pandas.DataFrame
        Columns ``cycle``, ``charge_capacity_mah``, ``discharge_capacity_mah``,
        ``coulombic_efficiency`` (fraction; NaN when the opening half has no
        capacity), ``charge_energy_mwh``, ``discharge_energy_mwh``,
        ``mean_charge_voltage_v``, ``mean_discharge_voltage_v``,
        ``n_records``, ``complete`` and, with a mass, the two ``..._mah_g``
        columns. ``complete`` is False for a cycle that lacks its charge or
        its discharge, and for a last cycle that stops in its opening half
        or ends its closing half more than 50 mV away from the voltage at
        which the cycle before ended it (a run stopped before the cut-off);
        such rows are kept, flagged.

    Raises
    ------
    FormatError
        For data without the canonical columns or without records.
    ValueError
        For a non-positive mass or a bad ``first_half_cycle``.

    Examples
    --------
    >>> summary = cycle_summary(read_cycling("cell.mpr"), active_mass_mg=10.0)  # doctest: +SKIP
    """
    frame = _frame(data)
    if first_half_cycle is None:
        first_half_cycle = (
            data.metadata.get("first_half_cycle", "charge") if isinstance(data, CyclingData) else "charge"
        )
    sign = check_first_half_cycle(first_half_cycle)
    if active_mass_mg is not None and not (np.isfinite(active_mass_mg) and active_mass_mg > 0):
        raise ValueError(f"active_mass_mg must be a positive number of mg, got {active_mass_mg!r}")

    codes, cycles = pd.factorize(frame["cycle"], sort=True)
    n = len(cycles)
    dq_charge, dq_discharge = record_increments(frame)
    voltage = frame["voltage_v"].to_numpy(dtype=float)
    step = frame["step"].to_numpy()
    v_mid = voltage.copy()
    same = np.r_[False, step[1:] == step[:-1]]
    v_mid[same] = 0.5 * (voltage[same] + voltage[np.flatnonzero(same) - 1])

    q_c = np.bincount(codes, weights=dq_charge, minlength=n)
    q_d = np.bincount(codes, weights=dq_discharge, minlength=n)
    e_c = np.bincount(codes, weights=dq_charge * v_mid, minlength=n)
    e_d = np.bincount(codes, weights=dq_discharge * v_mid, minlength=n)
    count = np.bincount(codes, minlength=n)
    with np.errstate(divide="ignore", invalid="ignore"):
        ce = np.where(sign > 0, q_d / q_c, q_c / q_d)
        ce = np.where((q_c > 0) & (q_d > 0), ce, np.nan)
        v_c = np.where(q_c > 0, e_c / q_c, np.nan)
        v_d = np.where(q_d > 0, e_d / q_d, np.nan)

    complete = (q_c > 0) & (q_d > 0)
    if n:
        complete[-1] = complete[-1] and _last_cycle_closed(codes, n, dq_charge, dq_discharge, voltage, sign)
    summary = pd.DataFrame(
        {
            "cycle": np.asarray(cycles, dtype=np.int64),
            "charge_capacity_mah": q_c,
            "discharge_capacity_mah": q_d,
            "coulombic_efficiency": ce,
            "charge_energy_mwh": e_c,
            "discharge_energy_mwh": e_d,
            "mean_charge_voltage_v": v_c,
            "mean_discharge_voltage_v": v_d,
            "n_records": count.astype(np.int64),
            "complete": complete,
        }
    )
    if active_mass_mg is not None:
        grams = active_mass_mg / 1000.0
        summary["charge_capacity_mah_g"] = q_c / grams
        summary["discharge_capacity_mah_g"] = q_d / grams
    summary.attrs["first_half_cycle"] = first_half_cycle
    return summary
