"""The data object every XAS reader returns: one absorption spectrum μ(E)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ssbkit._shared.finite import ABSURD_MAGNITUDE
from ssbkit.errors import FormatError

__all__ = ["XASSpectrum", "clean_energy_axis"]

#: Two energies closer than this (eV) are treated as the same point.
DUPLICATE_TOLERANCE_EV = 5.0e-4


@dataclass(frozen=True)
class XASSpectrum:
    """One X-ray absorption spectrum on a strictly increasing energy axis.

    Parameters
    ----------
    energy_ev : ndarray, shape (n,)
        Incident photon energy, eV, strictly increasing.
    mu : ndarray, shape (n,)
        Absorption μ(E) in arbitrary units (ln(I0/It), If/I0, Iy/I0 or as
        stored in the file).
    source : str, optional
        Path of the file it was read from.
    label : str
        Name of the spectrum (sample name, Athena group label, ...).
    metadata : dict
        Vendor metadata. Keys always present: ``element`` and ``edge`` (str
        or None), ``mode`` (``"transmission"``, ``"fluorescence"``,
        ``"electron_yield"``, ``"mu"`` as stored, or ``"unknown"``).
    """

    energy_ev: np.ndarray
    mu: np.ndarray
    source: str | None = None
    label: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        energy = np.asarray(self.energy_ev, dtype=float)
        mu = np.asarray(self.mu, dtype=float)
        if energy.ndim != 1 or mu.shape != energy.shape:
            raise ValueError(
                f"energy_ev and mu must be 1-D of equal length, got {energy.shape} and {mu.shape}"
            )
        if energy.size < 5:
            raise ValueError(f"a spectrum needs at least 5 points, got {energy.size}")
        if not (np.all(np.isfinite(energy)) and np.all(np.isfinite(mu))):
            raise ValueError("energy_ev and mu must be finite (no NaN or inf)")
        if np.any(np.diff(energy) <= 0):
            raise ValueError("energy_ev must be strictly increasing (use clean_energy_axis)")
        energy.setflags(write=False)
        mu.setflags(write=False)
        object.__setattr__(self, "energy_ev", energy)
        object.__setattr__(self, "mu", mu)
        meta = {"element": None, "edge": None, "mode": "unknown"}
        meta.update(self.metadata)
        object.__setattr__(self, "metadata", meta)

    def to_frame(self):
        """The spectrum as a pandas DataFrame with columns ``energy_ev`` and ``mu``.

        Written with ``to_csv(path, index=False)`` it reads back with
        :func:`xas.read_xas` unchanged.
        """
        import pandas as pd

        return pd.DataFrame({"energy_ev": self.energy_ev, "mu": self.mu})

    @property
    def element(self) -> str | None:
        """Absorbing element symbol from the metadata, or None."""
        return self.metadata.get("element")

    @property
    def edge(self) -> str | None:
        """Absorption edge (``"K"``, ``"L3"``, ...) from the metadata, or None."""
        return self.metadata.get("edge")

    def summary(self) -> dict:
        """Flat, JSON-safe description: label, element, edge, range and size."""
        return {
            "label": self.label,
            "source": self.source,
            "element": self.element,
            "edge": self.edge,
            "mode": self.metadata.get("mode"),
            "n_points": int(self.energy_ev.size),
            "energy_min_ev": float(self.energy_ev[0]),
            "energy_max_ev": float(self.energy_ev[-1]),
        }

    def plot(self, ax=None):
        """Plot μ(E); returns the matplotlib Axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        ax.plot(self.energy_ev, self.mu, label=self.label or None)
        ax.set_xlabel("Energy (eV)")
        ax.set_ylabel("μ(E) (arb. units)")
        if self.label:
            ax.legend()
        return ax


def clean_energy_axis(energy_ev, mu, *, path=None) -> tuple[np.ndarray, np.ndarray]:
    """Sort by energy and merge repeated energies, warning when it does either.

    Repeated energies (closer than 0.5 meV) are merged into one point whose
    μ is the mean of the repeats.

    Parameters
    ----------
    energy_ev : array_like, shape (n,)
        Energies, eV, in file order.
    mu : array_like, shape (n,)
        Absorption values in the same order.
    path : str or Path, optional
        File named in the warning and errors.

    Returns
    -------
    energy_ev, mu : ndarray
        Strictly increasing energies and their μ.

    Raises
    ------
    FormatError
        On non-finite or absurd values (``|value| >=``
        :data:`ssbkit._shared.finite.ABSURD_MAGNITUDE`) or fewer than 5 distinct energies.
    """
    energy = np.asarray(energy_ev, dtype=float)
    mu = np.asarray(mu, dtype=float)
    with np.errstate(invalid="ignore", over="ignore"):
        bad = ~(np.isfinite(energy) & np.isfinite(mu)) | (np.abs(energy) >= ABSURD_MAGNITUDE) \
            | (np.abs(mu) >= ABSURD_MAGNITUDE)
    if np.any(bad):
        raise FormatError(
            f"{int(bad.sum())} non-finite or absurd (|value| >= {ABSURD_MAGNITUDE:g}) energy or μ value(s), "
            f"first at data row {int(np.argmax(bad)) + 1}",
            path=path,
        )
    where = f" in {path}" if path is not None else ""
    if np.any(np.diff(energy) < 0):
        warnings.warn(f"energies{where} are not monotonic; sorted them", UserWarning, stacklevel=3)
        order = np.argsort(energy, kind="stable")
        energy, mu = energy[order], mu[order]
    steps = np.diff(energy)
    if np.any(steps < DUPLICATE_TOLERANCE_EV):
        starts = np.concatenate(([True], steps >= DUPLICATE_TOLERANCE_EV))
        group = np.cumsum(starts) - 1
        counts = np.bincount(group)
        merged = int(energy.size - counts.size)
        warnings.warn(
            f"{merged} repeated energy point(s){where} merged (μ averaged)", UserWarning, stacklevel=3
        )
        energy = np.bincount(group, weights=energy) / counts
        mu = np.bincount(group, weights=mu) / counts
    if energy.size < 5:
        raise FormatError(f"only {energy.size} distinct energy points", path=path)
    return energy, mu
