"""The cycler-data object that every cycling reader returns."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

__all__ = ["CANONICAL_COLUMNS", "CyclingData"]

#: Columns of :attr:`CyclingData.data`, in order, with their units in the names.
CANONICAL_COLUMNS = (
    "time_s",
    "voltage_v",
    "current_ma",
    "cycle",
    "step",
    "charge_capacity_mah",
    "discharge_capacity_mah",
)


@dataclass(frozen=True)
class CyclingData:
    """A galvanostatic cycling record in canonical columns.

    Attributes
    ----------
    data : pandas.DataFrame
        One row per record with the columns of :data:`CANONICAL_COLUMNS`:
        ``time_s`` (s since the first record), ``voltage_v`` (V),
        ``current_ma`` (mA, positive = charge), ``cycle`` (1-based int),
        ``step`` (1-based running number of the file's steps, int) and
        ``charge_capacity_mah`` / ``discharge_capacity_mah`` (mAh, accumulated
        from zero within each step, never negative).
    source : str
        Path of the file read ("" for data built in memory).
    format : str
        Name of the reader that produced it (e.g. ``"biologic_mpr"``).
    metadata : dict
        Vendor metadata and how the canonical columns were made, including
        ``cycle_source`` (``"file"`` or ``"derived from current sign ..."``),
        ``capacity_source`` and ``first_half_cycle``.
    """

    data: pd.DataFrame
    source: str = ""
    format: str = ""
    metadata: dict = field(default_factory=dict)

    @property
    def n_cycles(self) -> int:
        """Number of distinct cycle numbers in the record."""
        return int(self.data["cycle"].nunique())

    @property
    def cycles_derived(self) -> bool:
        """True when cycle numbers were derived from the current sign."""
        return str(self.metadata.get("cycle_source", "")).startswith("derived")

    def plot(self, ax=None):
        """Plot voltage against time (h).

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw into; a new figure is made when omitted.

        Returns
        -------
        matplotlib.axes.Axes
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        ax.plot(self.data["time_s"].to_numpy() / 3600.0, self.data["voltage_v"].to_numpy(), lw=0.8)
        ax.set_xlabel("time (h)")
        ax.set_ylabel("voltage (V)")
        return ax
