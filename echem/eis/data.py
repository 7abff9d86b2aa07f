"""The impedance-spectrum data object that every reader returns.

Sign convention: ``z_ohm = Z' + j Z''`` with the physics convention, so a
capacitive arc has ``Z'' < 0`` (it is plotted as ``-Z''`` upwards in a
Nyquist plot). Readers convert files that store ``-Z''`` or ``-Im(Z)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ssbkit._shared.finite import ABSURD_MAGNITUDE

__all__ = ["EISData", "spectrum"]


@dataclass(frozen=True)
class EISData:
    """One file's impedance data, in canonical units.

    Parameters
    ----------
    frequency_hz : ndarray, shape (n,)
        Excitation frequencies, Hz, finite and > 0.
    z_ohm : ndarray of complex, shape (n,)
        Impedance ``Z' + j Z''``, Ohm (physics sign convention).
    sweep : ndarray of int, shape (n,)
        Index (0-based) of the frequency sweep each point belongs to; files
        holding several sweeps number them in file order.
    source : str
        Path of the file the data came from (``""`` for in-memory data).
    metadata : dict
        Vendor metadata (header key/value pairs, the format name, rows
        dropped and why).

    Notes
    -----
    Analysis functions accept one sweep only; use :meth:`select_sweep` or
    :meth:`split_sweeps` on files with several.
    """

    frequency_hz: np.ndarray
    z_ohm: np.ndarray
    sweep: np.ndarray
    source: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def n_sweeps(self) -> int:
        """Number of frequency sweeps in the data."""
        return int(np.unique(self.sweep).size)

    @property
    def angular_frequency_rad_s(self) -> np.ndarray:
        """ω = 2πf, rad/s."""
        return 2.0 * np.pi * self.frequency_hz

    def select_sweep(self, index: int) -> EISData:
        """The points of sweep ``index`` (0-based) as a one-sweep :class:`EISData`."""
        keep = self.sweep == index
        if not np.any(keep):
            raise IndexError(f"sweep {index} not in data with {self.n_sweeps} sweep(s)")
        meta = dict(self.metadata, sweep_selected=int(index))
        return EISData(
            self.frequency_hz[keep], self.z_ohm[keep], np.zeros(int(keep.sum()), dtype=int),
            self.source, meta,
        )

    def split_sweeps(self) -> list[EISData]:
        """Every sweep as its own :class:`EISData`, in file order."""
        return [self.select_sweep(int(k)) for k in np.unique(self.sweep)]

    def to_frame(self):
        """The data as a pandas DataFrame (``frequency_hz``, ``z_real_ohm``, ``z_imag_ohm``, ``sweep``)."""
        import pandas as pd

        return pd.DataFrame(
            {
                "frequency_hz": self.frequency_hz,
                "z_real_ohm": self.z_ohm.real,
                "z_imag_ohm": self.z_ohm.imag,
                "sweep": self.sweep,
            }
        )


def spectrum(frequency_hz, z_ohm, *, source: str = "", metadata=None) -> EISData:
    """Build a one-sweep :class:`EISData` from arrays, checking them.

    Parameters
    ----------
    frequency_hz : array_like, shape (n,)
        Frequencies, Hz; finite, > 0, strictly monotonic.
    z_ohm : array_like of complex, shape (n,)
        Impedance ``Z' + jZ''``, Ohm, finite.
    source : str, optional
        Where the data came from.
    metadata : dict, optional
        Free metadata.

    Returns
    -------
    EISData

    Raises
    ------
    ValueError
        On shape mismatch, empty input, NaN/inf, non-positive or
        non-monotonic frequencies.

    Examples
    --------
    >>> d = spectrum([1e3, 1e2], [10 - 1j, 12 - 3j])
    >>> d.n_sweeps
    1
    """
    f = np.asarray(frequency_hz, dtype=float)
    z = np.asarray(z_ohm, dtype=complex)
    if f.ndim != 1 or z.shape != f.shape:
        raise ValueError(f"frequency_hz {f.shape} and z_ohm {z.shape} must be 1-D of equal length")
    if f.size == 0:
        raise ValueError("empty spectrum: no points")
    if not (np.all(np.isfinite(f)) and np.all(np.isfinite(z))):
        raise ValueError("frequency_hz and z_ohm must be finite (NaN or inf found)")
    if np.any(f <= 0):
        raise ValueError("frequency_hz must be > 0")
    if f.size > 1:
        d = np.diff(f)
        if not (np.all(d > 0) or np.all(d < 0)):
            raise ValueError("frequency_hz must be strictly monotonic (one sweep)")
    return EISData(f, z, np.zeros(f.size, dtype=int), str(source), dict(metadata or {}))


def require_single_sweep(data: EISData, *, min_points: int = 1) -> EISData:
    """Check that ``data`` is one sweep of at least ``min_points`` points.

    Raises
    ------
    ValueError
        Naming the source and how to select a sweep; on NaN/inf values; on a
        point with ``Z = 0`` (every analysis weights by ``1/|Z|``) or a
        frequency or ``|Z|`` outside ``[1e-100, 1e100)`` (the readers refuse
        such numbers too; analyses overflow on them); fewer than
        ``max(min_points, 2)`` distinct frequencies.
    """
    if not isinstance(data, EISData):
        raise TypeError(f"expected EISData, got {type(data).__name__}")
    name = data.source or "<in-memory data>"
    if data.n_sweeps > 1:
        raise ValueError(
            f"{name}: holds {data.n_sweeps} sweeps; analyse one at a time "
            "(data.select_sweep(k) or data.split_sweeps())"
        )
    if not (np.all(np.isfinite(data.frequency_hz)) and np.all(np.isfinite(data.z_ohm))
            and np.all(data.frequency_hz > 0)):
        raise ValueError(f"{name}: frequencies and impedances must be finite, frequencies > 0")
    with np.errstate(over="ignore"):
        modulus = np.abs(data.z_ohm)
    if not np.any(modulus):
        raise ValueError(f"{name}: z_ohm is zero at every point: nothing was measured")
    outside = ((modulus < 1 / ABSURD_MAGNITUDE) | (modulus >= ABSURD_MAGNITUDE)
               | (data.frequency_hz < 1 / ABSURD_MAGNITUDE) | (data.frequency_hz >= ABSURD_MAGNITUDE))
    if np.any(outside):
        i = int(np.argmax(outside))
        raise ValueError(
            f"{name}: point {i} (f = {data.frequency_hz[i]:.3g} Hz, |Z| = {modulus[i]:.3g} Ohm) is outside "
            f"[{1 / ABSURD_MAGNITUDE:g}, {ABSURD_MAGNITUDE:g}): zero or absurd frequency_hz or z_ohm"
        )
    if data.frequency_hz.size < min_points:
        raise ValueError(
            f"{name}: {data.frequency_hz.size} point(s), at least {min_points} needed"
        )
    distinct = np.unique(data.frequency_hz).size
    if distinct < max(min_points, 2):
        raise ValueError(f"{name}: frequency_hz holds {distinct} distinct value(s), at least "
                         f"{max(min_points, 2)} needed (a spectrum spans frequencies)")
    return data


def require_arrays(frequency_hz, z_ohm, *, min_points: int = 1) -> None:
    """The checks of :func:`require_single_sweep` on bare arrays (any frequency order).

    Raises
    ------
    ValueError
        Shapes that differ or are not 1-D, and every case of :func:`require_single_sweep`.
    """
    f = np.asarray(frequency_hz, dtype=float)
    z = np.asarray(z_ohm, dtype=complex)
    if f.ndim != 1 or z.shape != f.shape:
        raise ValueError(f"frequency_hz {f.shape} and z_ohm {z.shape} must be 1-D of equal length")
    require_single_sweep(EISData(f, z, np.zeros(f.size, dtype=int)), min_points=min_points)


def source_name(data: EISData) -> str:
    """The data's source path, or a placeholder for in-memory data."""
    return Path(data.source).name if data.source else "<in-memory data>"
