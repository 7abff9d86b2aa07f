"""Turn a cycler's columns into the canonical :class:`CyclingData` frame.

Every reader pulls time, voltage, current, cycle and step numbers and
whatever capacity counter the vendor writes out of its file and hands them to
:func:`build_cycling_data`, which makes the canonical columns the same way
for all formats:

* capacity per record comes from the vendor's counter when there is one (a
  signed cumulative charge such as EC-Lab's ``(Q-Qo)``, separate charge and
  discharge counters that restart per step or cycle, or one unsigned counter
  with a charge/discharge state), else from integrating the current,
  Q = ∫ I dt, with the trapezoid rule inside each step;
* charge and discharge capacity are then accumulated from zero within each
  step, so both columns mean the same thing whatever the vendor did.

References
----------
Capacity as the time integral of current per half-cycle and coulombic
efficiency as the ratio of the half-cycle charges: A. J. Bard and
L. R. Faulkner, *Electrochemical Methods*, 2nd ed., Wiley (2001), ch. 1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from echem.cycling.data import CANONICAL_COLUMNS, CyclingData
from ssbkit._shared.finite import drop_nonfinite_rows
from ssbkit.errors import FormatError

__all__ = ["FIRST_HALF_CYCLES", "build_cycling_data", "derive_cycles"]

#: Allowed values of ``first_half_cycle``.
FIRST_HALF_CYCLES = ("charge", "discharge")

#: Largest cycle or step number taken from a file (beyond it the value is absurd and its record dropped).
_MAX_INDEX = 2.0**53

#: A current below this fraction of the largest |current| counts as rest.
_REST_FRACTION = 1e-3


def check_first_half_cycle(value: str) -> int:
    """Return +1 for ``"charge"``, -1 for ``"discharge"``; ValueError otherwise."""
    if value not in FIRST_HALF_CYCLES:
        raise ValueError(f"first_half_cycle={value!r} is not allowed; use one of {FIRST_HALF_CYCLES}")
    return 1 if value == "charge" else -1


def _direction(current_ma: np.ndarray, tolerance_ma: float | None) -> np.ndarray:
    """Per record +1 (charge), -1 (discharge) or 0 (rest) from the current sign."""
    finite = np.abs(current_ma[np.isfinite(current_ma)])
    if tolerance_ma is None:
        tolerance_ma = _REST_FRACTION * (finite.max() if finite.size else 0.0)
    direction = np.zeros(current_ma.shape, dtype=np.int8)
    direction[current_ma > tolerance_ma] = 1
    direction[current_ma < -tolerance_ma] = -1
    return direction


def derive_cycles(
    current_ma,
    *,
    first_half_cycle: str = "charge",
    tolerance_ma: float | None = None,
) -> np.ndarray:
    """Number cycles from the sign of the current.

    A cycle is one half-cycle in the ``first_half_cycle`` direction followed
    by one in the other direction; rests belong to the half-cycle before
    them (leading rests to the first one). A record that starts with the
    opposite direction gets that half-cycle as cycle 1 on its own.

    Parameters
    ----------
    current_ma : array_like, shape (n,)
        Current in mA, positive = charge.
    first_half_cycle : {"charge", "discharge"}
        Which half-cycle opens a cycle: ``"charge"`` for a cathode cycled
        charge-first (e.g. LiCoO2 vs In-Li), ``"discharge"`` for an anode
        half-cell.
    tolerance_ma : float, optional
        |current| (mA) at or below which a record counts as rest; default
        1e-3 of the largest |current|.

    Returns
    -------
    numpy.ndarray of int64, shape (n,)
        1-based cycle number of every record.

    Examples
    --------
    >>> derive_cycles([0, 1, 1, -1, -1, 0, 1, -1]).tolist()
    [1, 1, 1, 1, 1, 1, 2, 2]
    """
    sign = check_first_half_cycle(first_half_cycle)
    direction = _direction(np.asarray(current_ma, dtype=float), tolerance_ma)
    return _cycles_from_direction(direction, sign)


def _cycles_from_direction(direction: np.ndarray, sign: int) -> np.ndarray:
    """1-based cycle numbers from per-record direction (+1, -1, 0 = rest)."""
    held = pd.Series(np.where(direction == 0, np.nan, direction.astype(float)))
    held = held.ffill().bfill().fillna(sign).to_numpy()
    starts = np.zeros(held.shape, dtype=bool)
    starts[1:] = held[1:] != held[:-1]
    return np.cumsum(starts & (held == sign), dtype=np.int64) + 1


def _step_direction(inc: np.ndarray, runs: np.ndarray) -> np.ndarray:
    """Per record, the direction of its step's net charge (0 for steps that pass
    less than 0.1 % of the largest step's charge: rests and read-out noise)."""
    net = np.bincount(runs - 1, weights=inc)
    limit = 1e-3 * np.max(np.abs(net)) if net.size else 0.0
    step_dir = np.where(net > limit, 1, np.where(net < -limit, -1, 0)).astype(np.int8)
    return step_dir[runs - 1]


def _runs(*keys: np.ndarray) -> np.ndarray:
    """1-based running number that increases whenever any key changes."""
    n = keys[0].shape[0]
    change = np.zeros(n, dtype=bool)
    for key in keys:
        if n > 1:
            change[1:] |= key[1:] != key[:-1]
    return np.cumsum(change, dtype=np.int64) + 1


def _counter_increments(counter: np.ndarray) -> np.ndarray:
    """Per-record increase of a non-negative counter that restarts from zero.

    A drop to below half the previous value is taken as a restart (the new
    value is all new charge); a smaller drop is read-out noise and counts 0.
    The first record's value counts in full (charge passed in that step or
    cycle before the file's first record).
    """
    counter = np.nan_to_num(np.abs(counter), nan=0.0)
    inc = np.empty_like(counter)
    if counter.size == 0:
        return inc
    inc[0] = counter[0]
    diff = np.diff(counter)
    restart = counter[1:] < 0.5 * counter[:-1]
    inc[1:] = np.where(restart, counter[1:], np.maximum(diff, 0.0))
    return inc


def _within_step_sum(values: np.ndarray, step: np.ndarray) -> np.ndarray:
    """Cumulative sum of ``values`` restarted at every change of ``step``."""
    total = np.cumsum(values)
    if values.size == 0:
        return total
    first = np.flatnonzero(np.r_[True, step[1:] != step[:-1]])
    before = np.r_[0.0, total[first[1:] - 1]]
    return total - np.repeat(before, np.diff(np.r_[first, values.size]))


def _integrated_increments(time_s, current_ma, step) -> np.ndarray:
    """Signed charge (mAh) per record by the trapezoid rule inside each step."""
    inc = np.zeros_like(current_ma)
    if current_ma.size > 1:
        dt = np.diff(time_s)
        inc[1:] = 0.5 * (current_ma[1:] + current_ma[:-1]) * dt / 3600.0
        inc[1:][step[1:] != step[:-1]] = 0.0
    return inc


def build_cycling_data(
    *,
    time_s,
    voltage_v,
    source: str = "",
    format: str = "",
    metadata: dict | None = None,
    current_ma=None,
    cycle=None,
    cycle_base: int = 1,
    step=None,
    signed_capacity_mah=None,
    charge_counter_mah=None,
    discharge_counter_mah=None,
    capacity_counter_mah=None,
    first_half_cycle: str = "charge",
) -> CyclingData:
    """Make a :class:`CyclingData` from a cycler's columns.

    Parameters
    ----------
    time_s, voltage_v : array_like, shape (n,)
        Test time (s) and cell voltage (V). Records where either is NaN are
        dropped and counted in ``metadata["dropped_records"]``. Records with
        ±inf or an absurd magnitude in any column (|value| >= 1e100, cycle or
        step >= 2**53) are dropped too, with a
        :class:`ssbkit._shared.NonFiniteWarning` saying how many and which
        data rows, and counted in ``metadata["dropped_nonfinite_records"]``.
    source, format : str
        File path and reader name, stored on the result.
    metadata : dict, optional
        Vendor metadata to keep.
    current_ma : array_like, shape (n,), optional
        Current in mA, positive = charge. When omitted it is derived from the
        capacity increments (I = dQ/dt).
    cycle : array_like, shape (n,), optional
        The vendor's cycle numbers; ``cycle_base`` is the number of the first
        cycle in the vendor's convention (0 for EC-Lab and Maccor). Missing
        values take the previous record's cycle. When omitted, cycles are
        derived as in :func:`derive_cycles`, from the sign of each step's net
        charge (so that an impedance scan inside a step does not split it).
    step : array_like, shape (n,), optional
        The vendor's step (or sequence) index; the canonical ``step`` is a
        running number that increases whenever it or the cycle changes.
        When omitted, steps are the runs of rest/charge/discharge.
    signed_capacity_mah : array_like, optional
        A cumulative signed charge counter (mAh), increasing on charge.
    charge_counter_mah, discharge_counter_mah : array_like, optional
        Separate non-negative counters (mAh) that restart per step or cycle.
    capacity_counter_mah : array_like, optional
        One non-negative counter (mAh) restarting per step; its sign is taken
        from the current.
    first_half_cycle : {"charge", "discharge"}
        Convention for derived cycle numbers.

    Returns
    -------
    CyclingData

    Raises
    ------
    FormatError
        When no record has both a time and a voltage, or a column's length
        differs from the time column's. The returned frame is finite.
    """
    check_first_half_cycle(first_half_cycle)
    meta = dict(metadata or {})
    time = np.asarray(time_s, dtype=float)
    voltage = np.asarray(voltage_v, dtype=float)
    n = time.shape[0]
    columns = {"time_s": time, "voltage_v": voltage, "current_ma": current_ma, "cycle": cycle, "step": step,
               "signed_capacity_mah": signed_capacity_mah, "charge_counter_mah": charge_counter_mah,
               "discharge_counter_mah": discharge_counter_mah, "capacity_counter_mah": capacity_counter_mah}
    for name, values in columns.items():
        if values is not None and np.shape(values)[:1] != (n,):
            raise FormatError(f"{name} column of length {len(values)} beside {n} time values", path=source or None)
    # ±inf and absurd magnitudes anywhere drop the record with a warning naming the rows; a missing
    # (NaN) time or voltage drops it silently (blank and comment rows), counted in dropped_records
    sane = drop_nonfinite_rows(
        columns, path=source or "cycling data", allow_nan=set(columns),
        magnitude={"cycle": _MAX_INDEX, "step": _MAX_INDEX},
    )
    keep = sane & np.isfinite(time) & np.isfinite(voltage)
    all_kept = bool(keep.all())
    meta["dropped_nonfinite_records"] = int((~sane).sum())

    def take(values, dtype=float):
        if values is None:
            return None
        arr = np.asarray(values, dtype=dtype)
        return arr if all_kept else arr[keep]

    current = take(current_ma)
    vendor_cycle = take(cycle)
    vendor_step = take(step)
    signed = take(signed_capacity_mah)
    charge_counter = take(charge_counter_mah)
    discharge_counter = take(discharge_counter_mah)
    counter = take(capacity_counter_mah)
    time = time[keep]
    voltage = voltage[keep]
    if time.size == 0:
        raise FormatError("no record with both a time and a voltage", path=source or None)
    meta["dropped_records"] = int(n - time.size)
    time = time - time[0]

    # signed charge per record (mAh), positive on charge
    if signed is not None:
        signed = np.nan_to_num(signed, nan=0.0)
        inc = np.r_[0.0, np.diff(signed)]
        meta["capacity_source"] = "signed cumulative charge counter"
    elif charge_counter is not None and discharge_counter is not None:
        inc = _counter_increments(charge_counter) - _counter_increments(discharge_counter)
        meta["capacity_source"] = "charge/discharge capacity counters"
    elif counter is not None:
        if current is None:
            raise FormatError("a capacity counter without a current has no sign", path=source or None)
        inc = _counter_increments(counter) * _direction(np.nan_to_num(current), None)
        meta["capacity_source"] = "capacity counter with current sign"
    else:
        inc = None
        meta["capacity_source"] = "integrated current (trapezoid within steps)"

    if current is None:
        if inc is None:
            raise FormatError("neither a current nor a capacity column", path=source or None)
        dt = np.r_[np.nan, np.diff(time)]
        with np.errstate(divide="ignore", invalid="ignore"):
            current = np.where(dt > 0, inc * 3600.0 / dt, 0.0)
        current[0] = current[1] if current.size > 1 else 0.0
        meta["current_source"] = "derived from capacity increments"
    current = np.nan_to_num(current, nan=0.0)
    if inc is not None and float(np.sum(current * inc)) < 0.0:
        # the vendor counts discharge current as positive (e.g. BattMo output):
        # make it charge-positive so that it agrees with the capacity counters
        current = -current
        meta["current_sign_flipped"] = True
    direction = _direction(current, None)
    if vendor_step is not None and np.isfinite(vendor_step).any():
        vendor_step = pd.Series(vendor_step).ffill().bfill().to_numpy()
        runs = _runs(vendor_step)
    else:
        vendor_step = None
        runs = _runs(direction)
    if inc is None:
        inc = _integrated_increments(time, current, runs)

    if vendor_cycle is not None and np.isfinite(vendor_cycle).any():
        filled = pd.Series(vendor_cycle).ffill().bfill().to_numpy()
        cycles = np.maximum(np.rint(filled - cycle_base + 1), 1).astype(np.int64)
        meta["cycle_source"] = "file"
    else:
        sign = check_first_half_cycle(first_half_cycle)
        cycles = _cycles_from_direction(_step_direction(inc, runs), sign)
        meta["cycle_source"] = f"derived from current sign (first half-cycle: {first_half_cycle})"
    meta["first_half_cycle"] = first_half_cycle
    steps = _runs(runs, cycles)
    frame = pd.DataFrame(
        {
            "time_s": time,
            "voltage_v": voltage,
            "current_ma": current,
            "cycle": cycles,
            "step": steps,
            "charge_capacity_mah": _within_step_sum(np.maximum(inc, 0.0), steps),
            "discharge_capacity_mah": _within_step_sum(np.maximum(-inc, 0.0), steps),
        },
        columns=list(CANONICAL_COLUMNS),
    )
    if not np.isfinite(frame.to_numpy(dtype=float)).all():  # cannot happen with inputs below the magnitude limits
        raise FormatError("the capacities overflow (absurd values in the file)", path=source or None)
    return CyclingData(data=frame, source=str(source), format=format, metadata=meta)
