"""Several cells compared like for like: same cycle count, replicates pooled.

:func:`cycling_series` takes analysed cells (:class:`echem.CyclingAnalysis`)
grouped by sample, compares every cell after the same number of cycles from
its own reference cycle (the largest number all cells reached), and gives each
group's mean and sample standard deviation over its replicate cells.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from echem.cycling.analysis import CyclingAnalysis

__all__ = ["CyclingSeries", "cycling_series"]


@dataclass(frozen=True)
class CyclingSeries:
    """Per-group statistics of a set of cycled cells.

    Parameters
    ----------
    groups : tuple of str
        Group names (e.g. sample ids), in the order given.
    n_replicates : numpy.ndarray
        Cells per group (int).
    cycles_compared : int
        Cycles after each cell's reference cycle at which retention is compared
        (the smallest number of cycles any cell completed after its reference).
    capacity_unit : str
        ``"mAh/g"`` when every cell has a mass, else ``"mAh"``.
    retention_pct, retention_pct_std : numpy.ndarray
        Mean retention after ``cycles_compared`` cycles, % of the reference
        cycle, and the sample standard deviation over replicates (NaN for one cell).
    fade_per_cycle_pct, fade_per_cycle_pct_std : numpy.ndarray
        Mean fitted fade per cycle (%/cycle) and its replicate standard deviation.
    first_discharge_capacity, first_discharge_capacity_std : numpy.ndarray
        First-cycle discharge capacity in ``capacity_unit``.
    first_coulombic_efficiency_pct, first_coulombic_efficiency_pct_std : numpy.ndarray
        First-cycle coulombic efficiency, %.
    replicate_retention_pct : tuple of numpy.ndarray
        Every cell's retention after ``cycles_compared`` cycles, per group.
    """

    groups: tuple[str, ...]
    n_replicates: np.ndarray
    cycles_compared: int
    capacity_unit: str
    retention_pct: np.ndarray
    retention_pct_std: np.ndarray
    fade_per_cycle_pct: np.ndarray
    fade_per_cycle_pct_std: np.ndarray
    first_discharge_capacity: np.ndarray
    first_discharge_capacity_std: np.ndarray
    first_coulombic_efficiency_pct: np.ndarray
    first_coulombic_efficiency_pct_std: np.ndarray
    replicate_retention_pct: tuple[np.ndarray, ...]

    def summary(self) -> dict:
        """Flat, JSON-safe numbers, one key per group and quantity (units in the keys)."""
        unit = "mah_g" if self.capacity_unit == "mAh/g" else "mah"
        out: dict = {"cycles_compared": int(self.cycles_compared)}
        for k, name in enumerate(self.groups):
            out[f"{name}_n_replicates"] = int(self.n_replicates[k])
            out[f"{name}_retention_pct"] = float(self.retention_pct[k])
            out[f"{name}_retention_pct_std"] = float(self.retention_pct_std[k])
            out[f"{name}_fade_per_cycle_pct"] = float(self.fade_per_cycle_pct[k])
            out[f"{name}_first_discharge_capacity_{unit}"] = float(self.first_discharge_capacity[k])
            out[f"{name}_first_coulombic_efficiency_pct"] = float(self.first_coulombic_efficiency_pct[k])
        return out

    def plot(self, ax=None, *, x=None, xlabel: str = ""):
        """Retention after ``cycles_compared`` cycles per group: mean ± std and every replicate.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
        x : sequence of float, optional
            Position of each group (e.g. coating amount); default 0, 1, 2 …
            with the group names as tick labels.
        xlabel : str
            Label of the x axis.

        Returns
        -------
        matplotlib.axes.Axes
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        positions = np.arange(len(self.groups), dtype=float) if x is None else np.asarray(x, dtype=float)
        for pos, points in zip(positions, self.replicate_retention_pct):
            ax.plot(np.full(points.size, pos), points, "o", color="0.6", ms=4, zorder=1)
        ax.errorbar(positions, self.retention_pct, yerr=np.nan_to_num(self.retention_pct_std), fmt="s-",
                    capsize=3, zorder=2)
        if x is None:
            ax.set_xticks(positions, self.groups)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(f"retention after {self.cycles_compared} cycles (%)")
        return ax


def _retention_after(analysis: CyclingAnalysis, k: int) -> float:
    fade = analysis.fade
    at = np.flatnonzero(fade.cycles == fade.reference_cycle + k)
    return 100.0 * float(fade.retention_curve[at[0]]) if at.size else float("nan")


def _mean_std(values) -> tuple[float, float]:
    values = np.asarray(values, dtype=float)
    return float(np.mean(values)), float(np.std(values, ddof=1)) if values.size > 1 else float("nan")


def cycling_series(analyses: Sequence[CyclingAnalysis], groups: Sequence[str]) -> CyclingSeries:
    """Compare cells like for like: same cycle count, replicates pooled per group.

    Retention of each cell is read after the same number k of cycles from
    its own reference cycle, k being the largest every cell reached (so a
    cell cycled 100 times is not compared at cycle 100 with one cycled 5
    times at cycle 5). Cells with the same group name are replicates: mean
    and sample standard deviation (n − 1) per group.

    Parameters
    ----------
    analyses : sequence of CyclingAnalysis
        One per cell.
    groups : sequence of str
        Group (sample) of each cell, same length.

    Returns
    -------
    CyclingSeries

    Raises
    ------
    ValueError
        When the lengths differ or no cell is given.
    """
    if len(analyses) != len(groups) or not analyses:
        raise ValueError(f"need one group per analysis and at least one; got {len(analyses)} analyses, "
                         f"{len(groups)} groups")
    k = min(a.fade.last_cycle - a.fade.reference_cycle for a in analyses)
    per_g = all(a.active_mass_mg for a in analyses)
    unit_key = "mah_g" if per_g else "mah"
    names = tuple(dict.fromkeys(groups))
    columns: dict[str, list] = {key: [] for key in ("n", "ret", "fade", "q1", "ce1", "points")}
    for name in names:
        members = [a for a, g in zip(analyses, groups) if g == name]
        retention = np.array([_retention_after(a, k) for a in members])
        first = [a.cycles.iloc[0] for a in members]
        columns["n"].append(len(members))
        columns["ret"].append(_mean_std(retention))
        columns["fade"].append(_mean_std([a.fade.fade_per_cycle_pct for a in members]))
        columns["q1"].append(_mean_std([row[f"discharge_capacity_{unit_key}"] for row in first]))
        columns["ce1"].append(_mean_std([100.0 * row["coulombic_efficiency"] for row in first]))
        columns["points"].append(retention)

    def split(key):
        pairs = np.array(columns[key], dtype=float).reshape(-1, 2)
        return pairs[:, 0], pairs[:, 1]

    return CyclingSeries(names, np.array(columns["n"]), int(k), "mAh/g" if per_g else "mAh",
                         *split("ret"), *split("fade"), *split("q1"), *split("ce1"), tuple(columns["points"]))
