"""The EELS data object that every reader returns and every analysis takes.

Counts are stored with the energy-loss axis last, whatever the file order:
a single spectrum is ``(n_channels,)``, a line scan ``(n_x, n_channels)``, a
spectrum image ``(n_y, n_x, n_channels)``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from ssbkit.errors import FormatError

__all__ = ["NavigationAxis", "EELSData", "LENGTH_UNITS_NM", "json_number"]

#: Factor that turns a length in the key's unit into nm.
LENGTH_UNITS_NM = {
    "pm": 1e-3,
    "Å": 0.1,
    "A": 0.1,
    "angstrom": 0.1,
    "nm": 1.0,
    "µm": 1e3,
    "μm": 1e3,
    "um": 1e3,
    "mm": 1e6,
    "m": 1e9,
}


def json_number(value) -> float | None:
    """``float(value)``, or None when it is NaN or infinite (JSON has no NaN)."""
    number = float(value)
    return number if np.isfinite(number) else None


def json_stat(values, reduce=np.mean) -> float | None:
    """``reduce`` over the finite entries of ``values``, or None when there are none (no warning)."""
    array = np.asarray(values, dtype=float)
    finite = array[np.isfinite(array)]
    return json_number(reduce(finite)) if finite.size else None


def _frozen_array(values, dtype=float) -> np.ndarray:
    array = np.array(values, dtype=dtype, copy=True)
    array.setflags(write=False)
    return array


@dataclass(frozen=True)
class NavigationAxis:
    """One scan (navigation) axis of a line scan or spectrum image.

    Parameters
    ----------
    name : str
        Axis name as the file gives it (``"x"``, ``"y"``), may be empty.
    units : str
        Length unit of ``scale`` and ``offset`` (``"nm"``, ``"µm"``...), may be
        empty when the file does not calibrate the scan.
    scale : float
        Step between pixels, in ``units``.
    offset : float
        Position of the first pixel, in ``units``.
    size : int
        Number of pixels.
    """

    name: str
    units: str
    scale: float
    offset: float
    size: int

    @property
    def values(self) -> np.ndarray:
        """Pixel positions in ``units``, shape ``(size,)``."""
        return self.offset + self.scale * np.arange(self.size)

    @property
    def values_nm(self) -> np.ndarray:
        """Pixel positions in nm, shape ``(size,)``.

        Raises
        ------
        ValueError
            When the axis has no length unit that can be converted to nm.
        """
        factor = LENGTH_UNITS_NM.get(self.units.strip())
        if factor is None:
            raise ValueError(
                f"navigation axis {self.name!r} has unit {self.units!r}, which is "
                f"not a length unit ({', '.join(sorted(LENGTH_UNITS_NM))})"
            )
        return self.values * factor


@dataclass(frozen=True)
class EELSData:
    """Calibrated EELS counts: one spectrum, a line scan or a spectrum image.

    Parameters
    ----------
    energy_loss_ev : ndarray, shape (n_channels,)
        Energy loss of each channel, eV, strictly increasing.
    counts : ndarray, shape (*navigation_shape, n_channels)
        Counts per channel, energy last.
    navigation_axes : tuple of NavigationAxis
        One per leading dimension of ``counts`` (empty for one spectrum).
    beam_energy_kev : float, optional
        Incident-beam energy E0, keV.
    convergence_semiangle_mrad : float, optional
        Probe convergence semi-angle α, mrad.
    collection_semiangle_mrad : float, optional
        Spectrometer collection semi-angle β, mrad.
    source : str, optional
        File the data came from.
    title : str
        Title from the file.
    metadata : dict
        Vendor metadata as the reader found it (rosettasciio's ``metadata``
        and ``original_metadata``).

    Raises
    ------
    FormatError
        When the axis is not finite and strictly increasing, the counts are
        not finite, or the shapes of ``counts``, ``energy_loss_ev`` and
        ``navigation_axes`` disagree.
    """

    energy_loss_ev: np.ndarray
    counts: np.ndarray
    navigation_axes: tuple[NavigationAxis, ...] = ()
    beam_energy_kev: float | None = None
    convergence_semiangle_mrad: float | None = None
    collection_semiangle_mrad: float | None = None
    source: str | None = None
    title: str = ""
    metadata: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        energy = _frozen_array(self.energy_loss_ev)
        counts = _frozen_array(self.counts)
        where = self.source
        if energy.ndim != 1 or energy.size < 2:
            raise FormatError(
                f"energy_loss_ev must be 1-D with at least 2 channels, got shape {energy.shape}",
                path=where,
            )
        if not np.all(np.isfinite(energy)) or np.any(np.diff(energy) <= 0):
            raise FormatError("energy-loss axis is not finite and strictly increasing", path=where)
        if counts.ndim < 1 or counts.shape[-1] != energy.size:
            raise FormatError(
                f"counts of shape {counts.shape} do not end with the {energy.size} "
                "energy channels",
                path=where,
            )
        if not np.all(np.isfinite(counts)):
            raise FormatError("counts contain NaN or infinite values", path=where)
        axes = tuple(self.navigation_axes)
        if len(axes) != counts.ndim - 1 or any(
            ax.size != n for ax, n in zip(axes, counts.shape[:-1])
        ):
            raise FormatError(
                f"{len(axes)} navigation axes do not match counts of shape {counts.shape}",
                path=where,
            )
        object.__setattr__(self, "energy_loss_ev", energy)
        object.__setattr__(self, "counts", counts)
        object.__setattr__(self, "navigation_axes", axes)

    @property
    def dispersion_ev_per_channel(self) -> float:
        """Mean channel width, eV."""
        return float((self.energy_loss_ev[-1] - self.energy_loss_ev[0]) / (self.energy_loss_ev.size - 1))

    @property
    def navigation_shape(self) -> tuple[int, ...]:
        """Shape of the scan, ``()`` for a single spectrum."""
        return self.counts.shape[:-1]

    def replace(self, **changes) -> "EELSData":
        """A copy with some fields changed (e.g. ``counts=`` after processing)."""
        return dataclasses.replace(self, **changes)

    def mean_spectrum(self) -> np.ndarray:
        """Counts averaged over all scan positions, shape ``(n_channels,)``."""
        return self.counts.reshape(-1, self.energy_loss_ev.size).mean(axis=0)

    def plot(self, ax=None, *, log=False):
        """Plot the mean spectrum against energy loss.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure is made when omitted.
        log : bool
            Logarithmic count axis.

        Returns
        -------
        matplotlib.axes.Axes
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 4))
        ax.plot(self.energy_loss_ev, self.mean_spectrum(), lw=1)
        if log:
            ax.set_yscale("log")
        ax.set_xlabel("energy loss (eV)")
        ax.set_ylabel("counts" if not self.navigation_shape else "mean counts")
        ax.set_title(self.title or (self.source or ""))
        return ax
