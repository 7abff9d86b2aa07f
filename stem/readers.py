"""Readers for 4D-STEM datasets and segmented-detector DPC images.

Formats go through rosettasciio (https://hyperspy.org/rosettasciio) where it
has a plugin; ``.npy`` through numpy (memory-mapped). A registry maps file
extensions (and, for HDF5, content) to parser functions. Everything a parser
raises is turned into :class:`ssbkit.errors.FormatError` naming the file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ssbkit._shared.limits import read_text, regular_file
from ssbkit.errors import FormatError

__all__ = ["FourDSTEM", "SegmentImages", "lazy_memmap", "read_4dstem", "read_segments"]

_LENGTH_TO_NM = {"nm": 1.0, "pm": 1e-3, "å": 0.1, "a": 0.1, "angstrom": 0.1, "um": 1e3, "µm": 1e3, "m": 1e9}


@dataclass(frozen=True)
class FourDSTEM:
    """A 4D-STEM dataset, indexed (scan_y, scan_x, detector_y, detector_x).

    Parameters
    ----------
    data : ndarray, numpy.memmap or dask.array.Array
        The patterns; lazy (dask) where the file allows.
    scan_pixel_size_nm : float
        Scan step, nm (NaN when the file does not say).
    detector_pixel_size : float
        Detector pixel size in ``detector_units`` (NaN when unknown).
    detector_units : str
        Unit of the detector calibration as written in the file (e.g. "1 / nm", "mrad").
    beam_energy_kev : float
        Beam energy, keV (NaN when unknown).
    source : str
        The file read.
    metadata : dict
        Vendor metadata (original axes, selection made, titles).
    """

    data: Any
    scan_pixel_size_nm: float
    detector_pixel_size: float
    detector_units: str
    beam_energy_kev: float
    source: str
    metadata: dict = field(default_factory=dict)

    @property
    def is_lazy(self) -> bool:
        """True when ``data`` is a dask array."""
        return type(self.data).__module__.startswith("dask.")


@dataclass(frozen=True)
class SegmentImages:
    """The four segment images of a segmented DPC detector.

    Parameters
    ----------
    a, b, c, d : ndarray, shape (scan_y, scan_x)
        Segments counter-clockwise from the detector's +x axis (see
        :func:`stem.segment_deflection`).
    image : ndarray or None
        Simultaneous ADF/HAADF image when present.
    pixel_size_nm : float
        Scan step, nm (NaN when unknown).
    beam_energy_kev : float
        Beam energy, keV (NaN when unknown).
    source : str
        File(s) read.
    metadata : dict
        Vendor metadata.
    """

    a: np.ndarray
    b: np.ndarray
    c: np.ndarray
    d: np.ndarray
    image: np.ndarray | None
    pixel_size_nm: float
    beam_energy_kev: float
    source: str
    metadata: dict = field(default_factory=dict)


def _to_nm(scale, units) -> float:
    if units is None or scale is None:
        return float("nan")
    factor = _LENGTH_TO_NM.get(str(units).strip().lower())
    return float(scale) * factor if factor is not None else float("nan")


def _rsciio_reader(path: Path):
    ext = path.suffix.lower()
    if ext in {".emd", ".h5", ".hdf5"}:
        from rsciio import emd

        try:
            import h5py

            with h5py.File(path, "r") as handle:
                if "entry" in handle and "instrument" in handle["entry"]:
                    from rsciio import arina

                    return arina.file_reader
        except Exception as err:  # noqa: BLE001 - h5py raises OSError, KeyError, RuntimeError on corrupt files
            raise FormatError(f"not a readable HDF5 file ({type(err).__name__}: {err})", path=path) from None
        return emd.file_reader
    if ext == ".blo":
        from rsciio import blockfile

        return blockfile.file_reader
    if ext in {".mib", ".hdr"}:
        from rsciio import quantumdetector

        return quantumdetector.file_reader
    if ext == ".hspy":
        from rsciio import hspy

        return hspy.file_reader
    if ext == ".zspy":
        from rsciio import zspy

        return zspy.file_reader
    if ext in {".dm3", ".dm4"}:
        from rsciio import digitalmicrograph

        return digitalmicrograph.file_reader
    if ext in {".tif", ".tiff"}:
        from rsciio import tiff

        return tiff.file_reader
    raise FormatError(
        f"unsupported extension {ext!r}; expected one of .emd .h5 .hdf5 .blo .mib .hspy .zspy .npy "
        "(4D-STEM) or .emd .dm3 .dm4 .tif .npy (segments)", path=path)


def _read_signals(path: Path, *, lazy: bool):
    try:
        reader = _rsciio_reader(path)
    except ImportError as err:
        raise FormatError(f"reading this format needs the package {err.name!r}, which is not installed",
                          path=path) from None
    try:
        try:
            return reader(str(path), lazy=lazy)
        except NotImplementedError:
            return reader(str(path), lazy=False)
    except FormatError:
        raise
    except Exception as err:  # noqa: BLE001 - any parser failure becomes a FormatError naming the file
        raise FormatError(f"rosettasciio could not read it ({type(err).__name__}: {err})", path=path) from None


def _axis_letter(axis) -> str:
    name = str(axis.get("name") or "").strip().lower()
    match = re.search(r"([xy])$", name)
    return match.group(1) if match else ""


def _canonical_4d(signal, path, depth_index):
    data = signal["data"]
    axes = list(signal["axes"])
    meta = {"original_axes": [str(a.get("name")) for a in axes], "title": signal["metadata"].get("General", {}).get("title")}
    if data.ndim == 5:
        data = data[depth_index]
        meta["depth_axis"] = str(axes[0].get("name"))
        meta["depth_index"] = int(depth_index)
        axes = axes[1:]
    if data.ndim != 4:
        raise FormatError(f"expected a 4D dataset (scan_y, scan_x, detector_y, detector_x), found shape {data.shape}",
                          path=path)
    order = [0, 1, 2, 3]
    for pair in ((0, 1), (2, 3)):
        letters = (_axis_letter(axes[pair[0]]), _axis_letter(axes[pair[1]]))
        if letters == ("x", "y"):
            order[pair[0]], order[pair[1]] = pair[1], pair[0]
    if order != [0, 1, 2, 3]:
        data = data.transpose(order)
        axes = [axes[i] for i in order]
        meta["transposed_to_yx"] = True
    return data, axes, meta


def _probe_last_pattern(data, path):
    """Read the last pattern now, so a truncated file fails here and not deep inside a computation."""
    try:
        np.asarray(data[-1, -1])
    except Exception as err:  # noqa: BLE001
        raise FormatError(f"the data end before the last pattern; truncated? ({type(err).__name__}: {err})",
                          path=path) from None


def _real_space_signal(signal) -> bool:
    """True when the last two axes are named as real-space (R_x/R_y): a map stack, not patterns."""
    names = [str(a.get("name") or "") for a in signal["axes"][-2:]]
    return all(re.fullmatch(r"r[_ ]?[xy]", n, re.IGNORECASE) for n in names)


def _beam_energy(signal) -> float:
    meta = signal.get("metadata", {})
    voltage = meta.get("Acquisition_instrument", {}).get("TEM", {}).get("beam_energy")
    if voltage is not None:
        return float(voltage)
    optics = signal.get("original_metadata", {}).get("Optics", {})
    if "AccelerationVoltage" in optics:
        return float(optics["AccelerationVoltage"]) / 1e3
    return float("nan")


class _MemmapSlices:
    """Array-like view of a memory map that dask can slice without copying it.

    ``dask.array.from_array`` copies inputs that have a ``copy`` method
    (dask ≥ 2025), which for a memory map reads the whole file into memory;
    this wrapper exposes only shape, dtype and slicing.
    """

    def __init__(self, memmap):
        self._memmap = memmap
        self.shape = memmap.shape
        self.dtype = memmap.dtype
        self.ndim = memmap.ndim

    def __getitem__(self, index):
        return np.asarray(self._memmap[index])


def lazy_memmap(memmap, *, chunk_bytes: int = 2**23, name: str | None = None):
    """A dask array over a numpy memory map, chunked along the first axis, never copied whole.

    Parameters
    ----------
    memmap : numpy.memmap or ndarray
        The mapped data (e.g. ``np.load(path, mmap_mode="r")``).
    chunk_bytes : int
        Target chunk size in bytes (default 8 MiB).
    name : str, optional
        Identity of the data for dask's graph (default: from the file name).

    Returns
    -------
    dask.array.Array
    """
    import dask.array as da
    from dask.base import tokenize

    row_bytes = max(1, int(np.prod(memmap.shape[1:])) * memmap.dtype.itemsize)
    rows = max(1, int(chunk_bytes) // row_bytes)
    ident = name or str(getattr(memmap, "filename", id(memmap)))
    return da.from_array(_MemmapSlices(memmap), chunks=(rows,) + tuple(memmap.shape[1:]), asarray=True,
                         name="memmap-" + tokenize(ident, memmap.shape, str(memmap.dtype)))


def _read_npy(path: Path, *, lazy: bool):
    try:
        data = np.load(path, mmap_mode="r", allow_pickle=False)
    except Exception as err:  # noqa: BLE001
        raise FormatError(f"not a readable .npy file ({type(err).__name__}: {err})", path=path) from None
    sidecar = path.with_suffix(".json")
    meta = {}
    if sidecar.exists():
        try:
            meta = json.loads(read_text(sidecar, errors="strict"))
        except (ValueError, RecursionError) as err:
            raise FormatError(f"metadata sidecar is not valid JSON ({type(err).__name__}: {err})",
                              path=sidecar) from None
        if not isinstance(meta, dict):
            raise FormatError(f"metadata sidecar must hold a JSON object, not {type(meta).__name__}", path=sidecar)
        for key in ("scan_pixel_size_nm", "detector_pixel_size", "beam_energy_kev", "pixel_size_nm"):
            if key in meta:
                try:
                    meta[key] = float(meta[key])
                except (TypeError, ValueError, OverflowError):
                    raise FormatError(f"{key} = {meta[key]!r} is not a number", path=sidecar) from None
    if lazy:
        data = lazy_memmap(data, name=f"{path.resolve()}-{path.stat().st_mtime_ns}")
    return data, meta


def read_4dstem(path, *, lazy: bool = True, depth_index: int = -1) -> FourDSTEM:
    """Read a 4D-STEM dataset as (scan_y, scan_x, detector_y, detector_x).

    Supported: EMD (Velox/Prismatic/py4DSTEM/NCEM, via rosettasciio's
    ``emd`` reader), Dectris Arina HDF5 master files, NanoMegas blockfiles
    (.blo), Quantum Detectors Merlin .mib (+ .hdr), HyperSpy .hspy/.zspy,
    and .npy (memory-mapped; calibrations from a same-named .json sidecar
    with ``scan_pixel_size_nm``, ``detector_pixel_size``, ``detector_units``,
    ``beam_energy_kev``). Axis pairs named (…x, …y) in the file (Prismatic,
    py4DSTEM, Arina) are transposed so that y comes first. A simulation
    with a depth axis (5D) is cut at ``depth_index``.

    Parameters
    ----------
    path : str or Path
        The file.
    lazy : bool
        Return a dask array where the format allows.
    depth_index : int
        Depth (slice) to keep from a 5D simulation output.

    Returns
    -------
    FourDSTEM

    Raises
    ------
    FormatError
        Missing, truncated or foreign file, or one without a 4D dataset.
    """
    path = regular_file(path)
    if path.suffix.lower() == ".npy":
        data, meta = _read_npy(path, lazy=lazy)
        if data.ndim != 4:
            raise FormatError(f"expected a 4D array (scan_y, scan_x, detector_y, detector_x), found shape {data.shape}",
                              path=path)
        return FourDSTEM(data, float(meta.get("scan_pixel_size_nm", np.nan)),
                         float(meta.get("detector_pixel_size", np.nan)), str(meta.get("detector_units", "")),
                         float(meta.get("beam_energy_kev", np.nan)), str(path), meta)
    signals = _read_signals(path, lazy=lazy)
    four = [s for s in signals if s["data"].ndim in (4, 5) and not _real_space_signal(s)]
    if not four:
        found = ", ".join(f"{s['metadata'].get('General', {}).get('title')!s} {tuple(s['data'].shape)}" for s in signals)
        raise FormatError(f"holds no 4D-STEM dataset (found: {found})", path=path)
    signal = four[0]
    data, axes, meta = _canonical_4d(signal, path, depth_index)
    _probe_last_pattern(data, path)
    meta["titles"] = [s["metadata"].get("General", {}).get("title") for s in signals]
    return FourDSTEM(data, _to_nm(axes[1].get("scale"), axes[1].get("units")), float(axes[3].get("scale", np.nan)),
                     str(axes[3].get("units") or ""), _beam_energy(signal), str(path), meta)


_SEGMENT_TITLE = re.compile(r"(?:^|[-_ ])([A-D])$", re.IGNORECASE)  # "DF4-A", "Segment_B", "C"
_IMAGE_TITLE = re.compile(r"HAADF|ADF|DF2|DF-S|BF", re.IGNORECASE)


def _segments_from_signals(signals, path):
    by_title = {}
    for s in signals:
        title = str(s["metadata"].get("General", {}).get("title") or "")
        if s["data"].ndim == 2:
            by_title[title] = s
    by_letter = {}
    for title in by_title:
        match = _SEGMENT_TITLE.search(title)
        if match and not re.fullmatch(r"[A-D]\s*[-+]\s*[A-D]", title, re.IGNORECASE):  # not "A-C" differences
            by_letter.setdefault(match.group(1).upper(), []).append(title)
    if sorted(by_letter) != list("ABCD") or any(len(t) != 1 for t in by_letter.values()):
        raise FormatError(f"expected one image per segment A–D; titles found: {sorted(by_title)}", path=path)
    picked = [by_title[by_letter[letter][0]] for letter in "ABCD"]
    image_titles = [t for t in by_title if _IMAGE_TITLE.search(t) and not _SEGMENT_TITLE.search(t)]
    image = np.asarray(by_title[image_titles[0]]["data"], float) if image_titles else None
    first = picked[0]
    axis = first["axes"][-1]
    meta = {"titles": sorted(by_title), "image_title": image_titles[0] if image_titles else None}
    return ([np.asarray(p["data"], float) for p in picked], image, _to_nm(axis.get("scale"), axis.get("units")),
            _beam_energy(first), meta)


def read_segments(paths_or_path) -> SegmentImages:
    """Read the four segment images of a segmented DPC detector.

    Accepts one file holding all segments — a Velox/EMD file with images
    titled ``…A``…``…D`` (e.g. ``DF4-A``), or a .npy stack of shape
    (4 or 5, scan_y, scan_x) ordered a, b, c, d[, ADF] with an optional
    same-named .json sidecar (``pixel_size_nm``, ``beam_energy_kev``) — or a
    list of four (or five, the last an ADF/HAADF image) single-image files
    (.dm3/.dm4/.tif/.npy/.emd) in the order a, b, c, d.

    Parameters
    ----------
    paths_or_path : str, Path or sequence of them

    Returns
    -------
    SegmentImages

    Raises
    ------
    FormatError
        Missing or unreadable files, missing segments, or shape mismatch.
    """
    if isinstance(paths_or_path, (str, Path)):
        path = regular_file(paths_or_path)
        if path.suffix.lower() == ".npy":
            stack, meta = _read_npy(path, lazy=False)
            if stack.ndim != 3 or stack.shape[0] not in (4, 5):
                raise FormatError(f"expected a (4 or 5, scan_y, scan_x) stack, found shape {stack.shape}", path=path)
            stack = np.asarray(stack, float)
            image = stack[4] if stack.shape[0] == 5 else None
            return SegmentImages(*stack[:4], image, float(meta.get("pixel_size_nm", np.nan)),
                                 float(meta.get("beam_energy_kev", np.nan)), str(path), meta)
        segs, image, pixel, energy, meta = _segments_from_signals(_read_signals(path, lazy=False), path)
        return SegmentImages(*segs, image, pixel, energy, str(path), meta)
    paths = [Path(p) for p in paths_or_path]
    if len(paths) not in (4, 5):
        raise FormatError(f"expected 4 segment files (and an optional ADF image), got {len(paths)}")
    images, pixel, energy = [], float("nan"), float("nan")
    for p in paths:
        regular_file(p)
        if p.suffix.lower() == ".npy":
            arr, _ = _read_npy(p, lazy=False)
            arr = np.asarray(arr, float)
        else:
            signals = [s for s in _read_signals(p, lazy=False) if s["data"].ndim == 2]
            if not signals:
                raise FormatError("holds no 2D image", path=p)
            arr = np.asarray(signals[0]["data"], float)
            if np.isnan(pixel):
                pixel = _to_nm(signals[0]["axes"][-1].get("scale"), signals[0]["axes"][-1].get("units"))
                energy = _beam_energy(signals[0])
        if arr.ndim != 2:
            raise FormatError(f"expected a 2D image, found shape {arr.shape}", path=p)
        if images and arr.shape != images[0].shape:
            raise FormatError(f"image shape {arr.shape} differs from the first segment's {images[0].shape}", path=p)
        images.append(arr)
    image = images[4] if len(images) == 5 else None
    return SegmentImages(*images[:4], image, pixel, energy, ";".join(str(p) for p in paths), {})
