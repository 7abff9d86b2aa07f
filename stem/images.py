"""Calibrated STEM images (HAADF, ADF, BF…) with scale bars, read through rosettasciio.

Formats are those of :mod:`stem.readers` (Velox/EMD, DigitalMicrograph
.dm3/.dm4, TIFF with FEI/Thermo, Zeiss or ImageJ scale tags, HyperSpy
.hspy/.zspy); the pixel size comes from the file's calibrated axes.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from ssbkit._shared.limits import regular_file
from ssbkit.errors import FormatError

from .readers import _beam_energy, _read_signals, _to_nm

__all__ = ["STEMImage", "read_image"]


@dataclass(frozen=True)
class STEMImage:
    """One calibrated image.

    Parameters
    ----------
    data : ndarray, shape (scan_y, scan_x)
        Intensities as stored in the file (read-only).
    pixel_size_nm : float
        Scan step, nm (NaN when the file does not calibrate the image).
    beam_energy_kev : float
        Beam energy, keV (NaN when unknown).
    title : str
        Detector or image title from the file (e.g. "HAADF", "DF-S").
    source : str
        The file read.
    metadata : dict
        Vendor metadata.
    """

    data: np.ndarray
    pixel_size_nm: float
    beam_energy_kev: float
    title: str
    source: str
    metadata: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        view = np.asarray(self.data).view()
        view.setflags(write=False)
        object.__setattr__(self, "data", view)

    def summary(self) -> dict:
        """Flat JSON-safe description."""
        def number(x):
            return float(x) if np.isfinite(x) else None

        return {"title": self.title, "shape_y": int(self.data.shape[0]), "shape_x": int(self.data.shape[1]),
                "pixel_size_nm": number(self.pixel_size_nm), "beam_energy_kev": number(self.beam_energy_kev),
                "source": self.source}

    def plot(self, ax=None, *, cmap: str = "gray", scale_bar: bool = True):
        """The image in pixel coordinates with a 1-2-5 scale bar of about a fifth of its width; returns the Axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        ax.imshow(self.data, cmap=cmap)
        ax.set_title(self.title)
        ax.set_axis_off()
        if scale_bar and np.isfinite(self.pixel_size_nm) and self.pixel_size_nm > 0:
            from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

            target = 0.2 * self.data.shape[1] * self.pixel_size_nm
            step = 10.0 ** math.floor(math.log10(target))
            length = max(m * step for m in (1, 2, 5) if m * step <= target)
            label = f"{length / 1e3:g} µm" if length >= 1e3 else f"{length:g} nm"
            ax.add_artist(AnchoredSizeBar(ax.transData, length / self.pixel_size_nm, label, "lower right",
                                          pad=0.4, color="white", frameon=False))
        return ax


def read_image(path, *, index: int = 0, title: str | None = None) -> STEMImage:
    """Read one 2-D STEM image with its pixel size.

    Parameters
    ----------
    path : str or Path
        .emd, .dm3, .dm4, .tif/.tiff, .hspy or .zspy.
    index : int
        Which image, in file order, when several are stored (after ``title`` filtering).
    title : str, optional
        Regular expression the image title must match (case-insensitive), e.g. ``"HAADF"``.

    Returns
    -------
    STEMImage

    Raises
    ------
    FormatError
        Missing, foreign or broken file, or no matching 2-D image in it.
    """
    path = regular_file(path)
    signals = [s for s in _read_signals(path, lazy=False) if np.ndim(s["data"]) == 2]
    titles = [str(s["metadata"].get("General", {}).get("title") or "") for s in signals]
    if title is not None:
        pattern = re.compile(title, re.IGNORECASE)
        signals = [s for s, t in zip(signals, titles) if pattern.search(t)]
    if not signals:
        raise FormatError(f"holds no 2-D image{'' if title is None else f' titled {title!r}'} (titles: {titles})",
                          path=path)
    if not -len(signals) <= index < len(signals):
        raise ValueError(f"index={index}; {path} holds {len(signals)} matching images")
    signal = signals[index]
    axis = signal["axes"][-1]
    return STEMImage(np.asarray(signal["data"]), _to_nm(axis.get("scale"), axis.get("units")), _beam_energy(signal),
                     str(signal["metadata"].get("General", {}).get("title") or ""), str(path),
                     {"titles": titles, "original_metadata": signal.get("original_metadata", {})})
