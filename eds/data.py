"""The EDS data objects every reader returns and every analysis takes.

:class:`EDSData` holds X-ray counts with the energy axis last, whatever the
file order: a single spectrum is ``(n_channels,)``, a line scan
``(n_points, n_channels)``, a spectrum image (map) ``(n_y, n_x, n_channels)``.
Large maps stay lazy (a dask array) until an analysis reduces them.
:class:`ElectronImage` is one SEM/STEM image (SE, BSE, HAADF…) with its own
pixel size; the images acquired with a map travel inside ``EDSData.images``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ssbkit.errors import FormatError

__all__ = ["EDSData", "ElectronImage", "LENGTH_UNITS_NM", "add_scale_bar", "json_number"]

#: Factor that turns a length in the key's unit into nm.
LENGTH_UNITS_NM = {"pm": 1e-3, "å": 0.1, "a": 0.1, "angstrom": 0.1, "nm": 1.0, "µm": 1e3, "μm": 1e3,
                   "um": 1e3, "micron": 1e3, "mm": 1e6, "m": 1e9}


def json_number(value) -> float | None:
    """``float(value)``, or None when it is None, NaN or infinite (JSON has no NaN)."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def length_nm(scale, units) -> float | None:
    """``scale`` in ``units`` as nm; None when the unit is not a length (``"pix"``, ``"points"``, None)."""
    if scale is None or units is None:
        return None
    factor = LENGTH_UNITS_NM.get(str(units).strip().lower())
    if factor is None:
        return None
    value = float(scale) * factor
    return value if math.isfinite(value) and value > 0 else None


def _is_lazy(array) -> bool:
    return type(array).__module__.startswith("dask.")


def _read_only(array):
    """A read-only view of a numpy array (no copy); dask arrays are returned as they are."""
    if _is_lazy(array):
        return array
    view = np.asarray(array).view()
    view.setflags(write=False)
    return view


def _nice_length_nm(target_nm: float) -> float:
    """The largest 1, 2 or 5 × 10^k nm not above ``target_nm``."""
    exponent = math.floor(math.log10(target_nm))
    for mantissa in (5, 2, 1):
        if mantissa * 10**exponent <= target_nm:
            return mantissa * 10.0**exponent
    return 10.0**exponent


def _length_label(length_nm_: float) -> str:
    if length_nm_ >= 1e6:
        return f"{length_nm_ / 1e6:g} mm"
    if length_nm_ >= 1e3:
        return f"{length_nm_ / 1e3:g} µm"
    return f"{length_nm_:g} nm"


def add_scale_bar(ax, pixel_size_nm: float | None, width_px: int, *, fraction: float = 0.2,
                  color: str = "white", location: str = "lower right"):
    """Draw a scale bar on an image shown in pixel coordinates.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Axes holding an ``imshow`` in pixel units.
    pixel_size_nm : float or None
        Pixel size, nm; nothing is drawn when None (uncalibrated image).
    width_px : int
        Image width, pixels.
    fraction : float
        Target bar length as a share of the image width (rounded down to 1, 2 or 5 × 10^k).
    color, location : str
        Bar colour and matplotlib location string.

    Returns
    -------
    matplotlib.offsetbox.AnchoredOffsetbox or None
        The bar artist, None when the image is uncalibrated.
    """
    if pixel_size_nm is None or not np.isfinite(pixel_size_nm) or pixel_size_nm <= 0:
        return None
    from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

    length = _nice_length_nm(fraction * width_px * pixel_size_nm)
    bar = AnchoredSizeBar(ax.transData, length / pixel_size_nm, _length_label(length), location,
                          pad=0.4, color=color, frameon=False, size_vertical=max(1.0, width_px / 150))
    ax.add_artist(bar)
    return bar


@dataclass(frozen=True)
class ElectronImage:
    """One calibrated electron image (SE, BSE, HAADF, ADF, BF…).

    Parameters
    ----------
    data : ndarray, shape (n_y, n_x)
        Intensities as stored in the file.
    pixel_size_nm : float or None
        Pixel size, nm (None when the file does not calibrate the image).
    beam_energy_kev : float or None
        Beam energy, keV.
    title : str
        Detector or image title from the file.
    source : str or None
        File read.
    metadata : dict
        Vendor metadata (rosettasciio's ``metadata`` and ``original_metadata``).
    """

    data: np.ndarray
    pixel_size_nm: float | None = None
    beam_energy_kev: float | None = None
    title: str = ""
    source: str | None = None
    metadata: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        data = np.asarray(self.data)
        if data.ndim != 2:
            raise FormatError(f"an electron image must be 2-D, got shape {data.shape}", path=self.source)
        object.__setattr__(self, "data", _read_only(data))

    @property
    def shape(self) -> tuple[int, int]:
        """(n_y, n_x)."""
        return tuple(self.data.shape)

    @property
    def field_of_view_nm(self) -> tuple[float, float] | None:
        """(height, width) in nm, None when uncalibrated."""
        if self.pixel_size_nm is None:
            return None
        return (self.shape[0] * self.pixel_size_nm, self.shape[1] * self.pixel_size_nm)

    def summary(self) -> dict:
        """Flat JSON-safe description."""
        return {"title": self.title, "shape_y": int(self.shape[0]), "shape_x": int(self.shape[1]),
                "pixel_size_nm": json_number(self.pixel_size_nm),
                "beam_energy_kev": json_number(self.beam_energy_kev), "source": self.source}

    def report(self) -> str:
        """One line: title, shape, pixel size and beam energy."""
        pixel = "uncalibrated" if self.pixel_size_nm is None else f"{self.pixel_size_nm:.4g} nm/px"
        energy = "" if self.beam_energy_kev is None else f", {self.beam_energy_kev:g} kV"
        return f"{self.title or 'image'}: {self.shape[1]} × {self.shape[0]} px, {pixel}{energy}"

    def plot(self, ax=None, *, cmap: str = "gray", scale_bar: bool = True):
        """Show the image with a scale bar (when calibrated); returns the Axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        data = self.data
        if data.dtype.names:  # RGB(A) record arrays (Phenom overview images)
            data = np.stack([data[name] for name in data.dtype.names[:3]], axis=-1)
        ax.imshow(data, cmap=cmap)
        ax.set_axis_off()
        ax.set_title(self.title)
        if scale_bar:
            add_scale_bar(ax, self.pixel_size_nm, self.shape[1])
        return ax


@dataclass(frozen=True)
class EDSData:
    """Calibrated EDS counts: one spectrum, a line scan or a spectrum image.

    Parameters
    ----------
    counts : ndarray or dask.array.Array, shape (..., n_channels)
        X-ray counts, energy last. Kept in the file's dtype; lazy (dask) for
        large maps.
    energy_kev : ndarray, shape (n_channels,)
        Energy of each channel, keV, strictly increasing.
    pixel_size_nm : float or None
        Scan step of a map or line scan, nm; None for a single spectrum or an
        uncalibrated scan.
    beam_energy_kev : float or None
        Accelerating voltage, kV (= beam energy, keV).
    live_time_s : float or None
        Detector live time as the file states it, s.
    elements : tuple of str
        Elements the file (or user) declares present.
    images : tuple of ElectronImage
        Electron images acquired with the spectra, each with its own pixel size.
    source : str or None
        File read.
    title : str
        Dataset title in the file.
    microscope : {"SEM", "TEM"} or None
        Bulk specimen in an SEM, or thin specimen in a (S)TEM.
    energy_resolution_ev : float or None
        Detector FWHM at Mn Kα, eV, when the file states it.
    metadata : dict
        Vendor metadata (rosettasciio's ``metadata`` and ``original_metadata``).

    Raises
    ------
    FormatError
        When the energy axis is not 1-D, finite and strictly increasing, or the
        counts do not end with that many channels.

    Examples
    --------
    >>> import numpy as np
    >>> d = EDSData(np.ones((4, 5, 100)), np.arange(100) * 0.01, pixel_size_nm=50.0)
    >>> d.navigation_shape, d.energy_scale_kev
    ((4, 5), 0.01)
    """

    counts: Any
    energy_kev: np.ndarray
    pixel_size_nm: float | None = None
    beam_energy_kev: float | None = None
    live_time_s: float | None = None
    elements: tuple[str, ...] = ()
    images: tuple[ElectronImage, ...] = ()
    source: str | None = None
    title: str = ""
    microscope: str | None = None
    energy_resolution_ev: float | None = None
    metadata: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        energy = np.array(self.energy_kev, dtype=float, copy=True)
        energy.setflags(write=False)
        where = self.source
        if energy.ndim != 1 or energy.size < 2:
            raise FormatError(f"energy_kev must be 1-D with at least 2 channels, got shape {energy.shape}",
                              path=where)
        if not np.all(np.isfinite(energy)) or np.any(np.diff(energy) <= 0):
            raise FormatError("energy axis is not finite and strictly increasing", path=where)
        counts = self.counts if _is_lazy(self.counts) else np.asarray(self.counts)
        if counts.ndim < 1 or counts.shape[-1] != energy.size:
            raise FormatError(f"counts of shape {counts.shape} do not end with the {energy.size} energy channels",
                              path=where)
        if self.microscope not in (None, "SEM", "TEM"):
            raise ValueError(f"microscope={self.microscope!r}; allowed: 'SEM', 'TEM' or None")
        object.__setattr__(self, "counts", _read_only(counts))
        object.__setattr__(self, "energy_kev", energy)
        object.__setattr__(self, "elements", tuple(str(e) for e in self.elements))
        object.__setattr__(self, "images", tuple(self.images))
        for name in ("pixel_size_nm", "beam_energy_kev", "live_time_s", "energy_resolution_ev"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, float(value))

    @property
    def is_lazy(self) -> bool:
        """True when ``counts`` is a dask array."""
        return _is_lazy(self.counts)

    @property
    def navigation_shape(self) -> tuple[int, ...]:
        """Scan shape, ``()`` for one spectrum."""
        return tuple(self.counts.shape[:-1])

    @property
    def n_channels(self) -> int:
        """Number of energy channels."""
        return int(self.energy_kev.size)

    @property
    def energy_scale_kev(self) -> float:
        """Mean channel width, keV."""
        return float((self.energy_kev[-1] - self.energy_kev[0]) / (self.energy_kev.size - 1))

    @property
    def energy_offset_kev(self) -> float:
        """Energy of channel 0, keV."""
        return float(self.energy_kev[0])

    def replace(self, **changes) -> "EDSData":
        """A copy with some fields changed (e.g. ``counts=`` after binning)."""
        return dataclasses.replace(self, **changes)

    def sum_spectrum(self) -> np.ndarray:
        """Counts summed over all scan positions, shape ``(n_channels,)`` (computed if lazy)."""
        total = self.counts.reshape(-1, self.n_channels).sum(axis=0, dtype=np.float64)
        return np.asarray(total.compute() if _is_lazy(total) else total, dtype=float)

    def summary(self) -> dict:
        """Flat JSON-safe description of the dataset (no counts)."""
        return {"title": self.title, "source": self.source, "microscope": self.microscope,
                "navigation_shape": "x".join(str(n) for n in self.navigation_shape) or "spectrum",
                "n_channels": self.n_channels, "energy_offset_kev": float(self.energy_offset_kev),
                "energy_scale_kev": float(self.energy_scale_kev),
                "pixel_size_nm": json_number(self.pixel_size_nm),
                "beam_energy_kev": json_number(self.beam_energy_kev),
                "live_time_s": json_number(self.live_time_s),
                "energy_resolution_ev": json_number(self.energy_resolution_ev),
                "elements": " ".join(self.elements), "n_images": len(self.images), "lazy": self.is_lazy}

    def report(self) -> str:
        """A few lines on what was read."""
        s = self.summary()
        lines = [f"EDS {s['navigation_shape']} × {s['n_channels']} channels "
                 f"({s['energy_offset_kev']:.4f} keV + {s['energy_scale_kev']:.6f} keV/channel)"]
        if self.pixel_size_nm is not None:
            lines.append(f"pixel size {self.pixel_size_nm:.4g} nm")
        if self.beam_energy_kev is not None:
            lines.append(f"beam {self.beam_energy_kev:g} kV ({self.microscope or 'microscope unknown'})")
        if self.elements:
            lines.append("elements " + " ".join(self.elements))
        lines.extend(image.report() for image in self.images)
        return "\n".join(lines)

    def plot(self, ax=None, *, log: bool = True):
        """Sum spectrum against energy; returns the Axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        ax.plot(self.energy_kev, self.sum_spectrum(), lw=0.8)
        if log:
            ax.set_yscale("symlog", linthresh=1.0)
        ax.set_xlabel("energy (keV)")
        ax.set_ylabel("counts")
        ax.set_title(self.title)
        return ax
