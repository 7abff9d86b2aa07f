"""Charge and discharge voltage-capacity curves per cycle."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from echem.cycling.summary import _frame, record_increments

__all__ = ["VoltageProfile", "VoltageProfiles", "half_cycle_curve", "voltage_profiles"]

_DIRECTIONS = ("charge", "discharge")


@dataclass(frozen=True)
class VoltageProfile:
    """One half-cycle's V-Q curve.

    Attributes
    ----------
    cycle : int
    direction : str
        ``"charge"`` or ``"discharge"``.
    capacity : numpy.ndarray
        Capacity passed since the half-cycle began: mAh, mAh/g (with a mass)
        or a 0-1 fraction (normalized).
    voltage_v : numpy.ndarray
        Cell voltage, V.
    total_capacity_mah : float
        Capacity of the whole half-cycle, mAh.
    """

    cycle: int
    direction: str
    capacity: np.ndarray
    voltage_v: np.ndarray
    total_capacity_mah: float


@dataclass(frozen=True)
class VoltageProfiles:
    """V-Q curves of several cycles.

    Attributes
    ----------
    curves : tuple of VoltageProfile
        Charge then discharge curve of each requested cycle that has one.
    capacity_unit : str
        ``"mAh"``, ``"mAh/g"`` or ``"fraction"`` (normalized).
    normalized : bool
    """

    curves: tuple[VoltageProfile, ...]
    capacity_unit: str
    normalized: bool

    def curve(self, cycle: int, direction: str) -> VoltageProfile:
        """The curve of ``cycle`` in ``direction``; KeyError when absent."""
        for item in self.curves:
            if item.cycle == cycle and item.direction == direction:
                return item
        raise KeyError(f"no {direction} curve for cycle {cycle}")

    def plot(self, ax=None, *, label_prefix: str = ""):
        """Voltage against capacity; one colour per cycle, charge solid, discharge dashed."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        colours = {}
        for item in self.curves:
            colour = colours.setdefault(item.cycle, f"C{len(colours) % 10}")
            label = f"{label_prefix}cycle {item.cycle}" if item.direction == "charge" else None
            ax.plot(
                item.capacity,
                item.voltage_v,
                "-" if item.direction == "charge" else "--",
                color=colour,
                lw=1.2,
                label=label,
            )
        ax.set_xlabel("normalized capacity" if self.normalized else f"capacity ({self.capacity_unit})")
        ax.set_ylabel("voltage (V)")
        return ax

    def summary(self) -> dict:
        """Flat key numbers: each curve's total capacity (mAh)."""
        return {f"cycle{c.cycle}_{c.direction}_capacity_mah": float(c.total_capacity_mah) for c in self.curves}


def half_cycle_curve(frame, increments: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative capacity (mAh) and voltage (V) of the records in ``mask`` that pass charge.

    The curve starts at zero capacity at the voltage of the record before
    the first one passing charge (the start of the half-cycle).
    """
    idx = np.flatnonzero(mask & (increments > 0))
    if idx.size == 0:
        return np.empty(0), np.empty(0)
    voltage = frame["voltage_v"].to_numpy(dtype=float)
    start = idx[0] - 1 if idx[0] > 0 and mask[idx[0] - 1] else idx[0]
    capacity = np.r_[0.0, np.cumsum(increments[idx])]
    return capacity, np.r_[voltage[start], voltage[idx]]


def voltage_profiles(data, *, cycles, normalize: bool = False, active_mass_mg: float | None = None) -> VoltageProfiles:
    """Charge and discharge V-Q curves of the given cycles.

    Capacity runs from zero at the start of each half-cycle (all of the
    cycle's charge records, CC and CV together, for the charge curve).
    With ``normalize=True`` it is divided by the half-cycle's total so that
    it runs 0-1, the "normalized charge-discharge curves" on which
    polarization growth shows regardless of capacity loss.

    Parameters
    ----------
    data : CyclingData or pandas.DataFrame
        Canonical cycling data.
    cycles : int or sequence of int
        Cycle numbers (1-based). Cycles absent from the data raise.
    normalize : bool
        Divide each curve by its half-cycle capacity.
    active_mass_mg : float, optional
        Give capacities in mAh/g of active material (ignored when normalized).

    Returns
    -------
    VoltageProfiles

    Raises
    ------
    ValueError
        For a cycle that is not in the data or a non-positive mass.
    """
    frame = _frame(data)
    wanted = [int(cycles)] if np.ndim(cycles) == 0 else [int(c) for c in cycles]
    present = set(np.unique(frame["cycle"].to_numpy()).tolist())
    missing = [c for c in wanted if c not in present]
    if missing:
        raise ValueError(f"cycles {missing} are not in the data (cycles {min(present)}..{max(present)})")
    if active_mass_mg is not None and not active_mass_mg > 0:
        raise ValueError(f"active_mass_mg must be positive, got {active_mass_mg!r}")
    dq = dict(zip(_DIRECTIONS, record_increments(frame), strict=True))
    cycle_col = frame["cycle"].to_numpy()
    curves = []
    for cycle in wanted:
        in_cycle = cycle_col == cycle
        for direction in _DIRECTIONS:
            capacity, voltage = half_cycle_curve(frame, dq[direction], in_cycle)
            if capacity.size < 2:
                continue
            total = float(capacity[-1])
            if normalize:
                capacity = capacity / total
            elif active_mass_mg is not None:
                capacity = capacity / (active_mass_mg / 1000.0)
            curves.append(VoltageProfile(cycle, direction, capacity, voltage, total))
    unit = "fraction" if normalize else ("mAh/g" if active_mass_mg is not None else "mAh")
    return VoltageProfiles(tuple(curves), unit, bool(normalize))
