"""One cell's galvanostatic cycling analysed end to end, with a quality verdict.

:func:`analyze_cycling` chains the per-cycle summary, the capacity fade from the
first complete cycle (or a chosen one), the first-cycle and normalized voltage
profiles and dQ/dV, and checks the result against what the cell can physically
give: a specific capacity above the active material's theoretical capacity
(:func:`theoretical_capacity_mah_g`) is a mass or unit mistake, and is flagged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.constants import physical_constants

from echem.cycling.data import CyclingData
from echem.cycling.dqdv import DQDVResult, dqdv
from echem.cycling.fade import FadeResult, capacity_fade
from echem.cycling.profiles import VoltageProfiles, voltage_profiles
from echem.cycling.summary import cycle_summary

__all__ = ["CyclingAnalysis", "analyze_cycling", "theoretical_capacity_mah_g"]


def theoretical_capacity_mah_g(formula: str, *, electrons_per_formula: float | None = None) -> float:
    """Theoretical specific capacity of an electrode material, mAh/g.

    Faraday's law: Q = n F / (3.6 M), with n the electrons (Li⁺) exchanged
    per formula unit, F in C/mol and M in g/mol; the 3.6 converts C/g to
    mAh/g (Huggins, *Advanced Batteries*, Springer 2009, ch. 2,
    doi:10.1007/978-0-387-76424-5). LiCoO2 gives 274 mAh/g.

    Parameters
    ----------
    formula : str
        Chemical formula, e.g. ``"LiCoO2"``.
    electrons_per_formula : float, optional
        n; default the number of Li atoms in the formula (every Li extracted),
        an upper bound for a lithium-ion cathode.

    Returns
    -------
    float
        mAh/g.

    Raises
    ------
    ValueError
        When the formula does not parse, or has no Li and no ``n`` is given.

    Examples
    --------
    >>> round(theoretical_capacity_mah_g("LiCoO2"), 1)
    273.8
    """
    from pymatgen.core import Composition

    try:
        composition = Composition(formula)
    except Exception as exc:  # pymatgen raises several types for a bad formula
        raise ValueError(f"formula={formula!r} is not a chemical formula ({exc})") from None
    n = composition["Li"] if electrons_per_formula is None else float(electrons_per_formula)
    if not n > 0:
        raise ValueError(f"formula={formula!r} has no Li; give electrons_per_formula")
    return n * physical_constants["Faraday constant"][0] / (3.6 * composition.weight)


@dataclass(frozen=True)
class CyclingAnalysis:
    """What :func:`analyze_cycling` found for one cell.

    Parameters
    ----------
    data : CyclingData
        The analysed records.
    cycles : pandas.DataFrame
        Per-cycle table (:func:`echem.cycle_summary`).
    fade : FadeResult or None
        Retention and fade from ``fade.reference_cycle``; None when the file
        holds no complete cycle (a single half-cycle, a rest, a CP step).
    first_cycle : VoltageProfiles
        Voltage against capacity of the first cycle in the file.
    normalized : VoltageProfiles
        Normalized curves of ``profile_cycles``.
    dqdv : DQDVResult or None
        dQ/dV of ``dqdv_cycle`` (None when that cycle is too short).
    active_mass_mg : float or None
        Mass used for specific capacities, mg.
    theoretical_capacity_mah_g : float or None
        The active material's theoretical capacity the result was checked against.
    status : {"ok", "warning"}
        ``"warning"`` when a check failed; see ``quality_reasons``.
    quality_reasons : tuple of str
        One sentence per failed check, and what the defaults chose.
    """

    data: CyclingData
    cycles: pd.DataFrame
    fade: FadeResult | None
    first_cycle: VoltageProfiles
    normalized: VoltageProfiles
    dqdv: DQDVResult | None
    active_mass_mg: float | None
    theoretical_capacity_mah_g: float | None
    status: str
    quality_reasons: tuple[str, ...]

    @property
    def capacity_unit(self) -> str:
        """``"mAh/g"`` with a mass, else ``"mAh"``."""
        return "mAh/g" if self.active_mass_mg else "mAh"

    @property
    def capacity_key(self) -> str:
        """Suffix of the capacity columns and summary keys in :attr:`capacity_unit`: ``"mah_g"`` or ``"mah"``."""
        return "mah_g" if self.active_mass_mg else "mah"

    @property
    def retention_determined(self) -> bool:
        """True when there are complete cycles after the reference cycle to give a retention."""
        return self.fade is not None and self.fade.last_cycle > self.fade.reference_cycle

    def summary(self) -> dict:
        """Flat, JSON-safe key numbers, units in the keys."""
        table, unit = self.cycles, self.capacity_key
        first = table.iloc[0]
        complete = table.loc[table["complete"], ["cycle", "coulombic_efficiency"]]
        after_first = complete["coulombic_efficiency"].iloc[1:]
        out = {
            f"first_charge_capacity_{unit}": float(first[f"charge_capacity_{unit}"]),
            f"first_discharge_capacity_{unit}": float(first[f"discharge_capacity_{unit}"]),
            "first_coulombic_efficiency_pct": 100.0 * float(first["coulombic_efficiency"]),
            "first_cycle": int(first["cycle"]),
            "first_cycle_complete": bool(first["complete"]),
            "n_cycles": int(table["cycle"].nunique()),
            "n_complete_cycles": int(table["complete"].sum()),
            "mean_coulombic_efficiency_after_first_pct": 100.0 * float(after_first.mean())
            if len(after_first) else float("nan"),
            "status": self.status,
        }
        if self.fade is not None:
            out.update(self.fade.summary())
        return out

    def plot(self, ax=None):
        """Retention against cycle with the fitted fade (:meth:`FadeResult.plot`), or the first-cycle
        curves when there is no complete cycle; returns the Axes."""
        return self.fade.plot(ax) if self.fade is not None else self.first_cycle.plot(ax)

    def report(self) -> str:
        """A few lines of text: key numbers and the quality verdict."""
        lines = [f"{k}: {v}" for k, v in self.summary().items()]
        lines += [f"note: {r}" for r in self.quality_reasons]
        return "\n".join(lines)


def _efficiency_check(table: pd.DataFrame) -> list[str]:
    """Coulombic efficiencies above 105 % mean the half-cycles are paired the wrong way round."""
    complete = table.loc[table["complete"]]
    high = complete.loc[complete["coulombic_efficiency"] > 1.05, "cycle"].astype(int).tolist()
    if not high:
        return []
    shown = ", ".join(map(str, high[:5])) + (" …" if len(high) > 5 else "")
    return [f"coulombic efficiency above 105 % in cycle(s) {shown}: the half-cycles are probably paired the "
            "wrong way round (set first_half_cycle to the half the cell opens with) or the file's cycle "
            "numbering is off"]


def _capacity_check(table: pd.DataFrame, theoretical: float | None, mass: float | None) -> list[str]:
    if theoretical is None or not mass:
        return []
    peak = float(np.nanmax(table[["charge_capacity_mah_g", "discharge_capacity_mah_g"]].to_numpy()))
    if peak <= 1.05 * theoretical:
        return []
    return [f"specific capacity {peak:.4g} mAh/g exceeds the material's theoretical capacity "
            f"{theoretical:.4g} mAh/g: check the active mass ({mass:g} mg) and the file's current unit"]


def analyze_cycling(data, *, active_mass_mg: float | None = None, reference_cycle: int | None = None,
                    fade_model: str = "linear", dqdv_cycle: int | None = None,
                    profile_cycles=None, theoretical_capacity_mah_g: float | None = None) -> CyclingAnalysis:
    """Summary, fade, profiles and dQ/dV of one cell, checked for plausibility.

    Parameters
    ----------
    data : CyclingData
        From :func:`echem.read_cycling`.
    active_mass_mg : float, optional
        Active mass, mg; capacities in mAh/g when given.
    reference_cycle : int, optional
        Cycle taken as 100 % retention; default the first complete cycle
        (a file that opens with a half cycle, e.g. a rest or a discharge of a
        fresh cell, starts its retention at cycle 2), said in ``quality_reasons``.
    fade_model : {"linear", "exponential"}
        Passed to :func:`echem.capacity_fade`.
    dqdv_cycle : int, optional
        Cycle for dQ/dV; default the reference cycle.
    profile_cycles : sequence of int, optional
        Cycles drawn normalized; default first complete, reference and last complete.
    theoretical_capacity_mah_g : float, optional
        The active material's theoretical capacity, mAh/g
        (:func:`theoretical_capacity_mah_g`); a measured specific capacity above
        1.05 × it gives ``status="warning"``, as does a coulombic efficiency
        above 105 % (half-cycles paired the wrong way round).

    Returns
    -------
    CyclingAnalysis

    Raises
    ------
    ValueError
        When a chosen cycle is not a complete cycle of the file.
    """
    table = cycle_summary(data, active_mass_mg=active_mass_mg)
    reasons: list[str] = []
    complete = table.loc[table["complete"], "cycle"].to_numpy()
    opening = int(table["cycle"].iloc[0])
    fade = None
    if complete.size == 0:
        reasons.append("the file holds no complete cycle (a charge and a discharge): retention and fade "
                       "are not determined")
        reference_cycle, complete = opening, np.array([opening])
    else:
        if reference_cycle is None:
            reference_cycle = int(complete[0])
            if reference_cycle != opening:
                reasons.append(f"cycle {opening} is incomplete; retention is counted from cycle "
                               f"{reference_cycle}, the first complete cycle")
        fade = capacity_fade(table, reference_cycle=reference_cycle, model=fade_model)
    cycles = sorted({int(complete[0]), int(reference_cycle), int(complete[-1])}) if profile_cycles is None \
        else [int(c) for c in profile_cycles]
    first = voltage_profiles(data, cycles=[opening], active_mass_mg=active_mass_mg)
    normalized = voltage_profiles(data, cycles=cycles, normalize=True)
    dqdv_cycle = reference_cycle if dqdv_cycle is None else dqdv_cycle
    try:
        differential = dqdv(data, cycle=dqdv_cycle, active_mass_mg=active_mass_mg)
    except ValueError as exc:
        differential = None
        reasons.append(f"no dQ/dV for cycle {dqdv_cycle}: {exc}")
    problems = _capacity_check(table, theoretical_capacity_mah_g, active_mass_mg) + _efficiency_check(table)
    status = "warning" if problems or fade is None else "ok"
    return CyclingAnalysis(data, table, fade, first, normalized, differential, active_mass_mg,
                           theoretical_capacity_mah_g, status, tuple(problems + reasons))
