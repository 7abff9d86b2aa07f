"""Reading EDS spectra, spectrum images and electron images through rosettasciio.

The registry :data:`READERS` is built from rosettasciio's own ``IO_PLUGINS``
table (name → extensions → module), restricted to the formats that carry EDS
data or SEM/STEM images. Every parser failure becomes a
:class:`ssbkit.errors.FormatError` naming the file. Beam energy, live time and
detector resolution come from rosettasciio's mapped metadata where it has them,
else from the vendor tags (Velox ``Optics``, Phenom ``acquisition.scan``, FEI
``Beam.HV``, Zeiss ``ap_actualkv``).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ssbkit._shared.limits import regular_file
from ssbkit._shared.rsciio_bridge import nested_get as _get
from ssbkit.errors import FormatError

from eds.data import EDSData, ElectronImage, length_nm

__all__ = ["READERS", "read_eds", "read_image", "write_eds", "write_image"]

#: rosettasciio plug-ins read here (their ``IO_PLUGINS`` names), in the order an extension is claimed.
_PLUGINS = ("Bruker", "JEOL", "Phenom", "EMD", "EDAX", "HSPY", "ZSPY", "MSA", "Ripple", "DigitalMicrograph",
            "TIFF")

#: Formats rosettasciio cannot read, and the export that works instead.
_UNSUPPORTED = {
    ".h5oina": "Oxford AZtec .h5oina is not read by rosettasciio; export the map from AZtec as "
               "Ripple (.rpl + .raw) or the spectra as EMSA (.msa), which read_eds reads",
    ".oip": "Oxford AZtec project files (.oip) are not read by rosettasciio; export the map from AZtec as "
            "Ripple (.rpl + .raw) or the spectra as EMSA (.msa), which read_eds reads",
}


def _build_registry() -> dict[str, tuple[str, tuple[str, ...]]]:
    from rsciio import IO_PLUGINS

    table = {p["name"]: p for p in IO_PLUGINS}
    return {name: (table[name]["api"], tuple(sorted({"." + e.lower() for e in table[name]["file_extensions"]})))
            for name in _PLUGINS if name in table}


#: format name -> (rosettasciio module, lower-case extensions), from rosettasciio's IO_PLUGINS
READERS: dict[str, tuple[str, tuple[str, ...]]] = _build_registry()


def _module_for(path: Path):
    suffix = path.suffix.lower()
    if suffix in _UNSUPPORTED:
        raise FormatError(_UNSUPPORTED[suffix], path=path)
    for _, (module, extensions) in READERS.items():
        if suffix in extensions:
            import importlib

            return importlib.import_module(module)
    known = " ".join(sorted({e for _, exts in READERS.values() for e in exts}))
    raise FormatError(f"unsupported extension {suffix!r}; read_eds/read_image read {known}", path=path)


def _read_signals(path: Path, *, lazy: bool, **options) -> list[dict]:
    if not (path.is_dir() and path.suffix.lower() == ".zspy"):  # a .zspy is a folder
        regular_file(path)  # missing, a directory, or a pipe/device that could block the reader
    module = _module_for(path)
    try:
        try:
            return list(module.file_reader(str(path), lazy=lazy, **options))
        except (NotImplementedError, TypeError) as err:
            if "lazy" not in str(err) and not isinstance(err, NotImplementedError):
                raise
            return list(module.file_reader(str(path), **options))
    except FormatError:
        raise
    except ImportError as err:
        raise FormatError(f"reading this format needs the package {err.name!r}, which is not installed",
                          path=path) from None
    except Exception as err:  # noqa: BLE001 - any parser failure becomes a FormatError naming the file
        message = str(err)
        if "imagecodecs" in message:
            message += " (pip install imagecodecs)"
        raise FormatError(f"rosettasciio could not read it ({type(err).__name__}: {message})", path=path) from None


def _positive(value, factor: float = 1.0) -> float | None:
    try:
        number = abs(float(value)) * factor
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) and number > 0 else None


def _microscope(signal: dict) -> str | None:
    acquisition = _get(signal, "metadata", "Acquisition_instrument") or {}
    kind = str(_get(signal, "metadata", "Signal", "signal_type") or "")
    if kind in ("EDS_TEM", "EDS_SEM"):  # the signal type decides (Ripple files file SEM data under TEM)
        return kind[4:]
    if "TEM" in acquisition:
        return "TEM"
    if "SEM" in acquisition:
        return "SEM"
    return None


def _instrument_value(signal: dict, *keys):
    for scope in ("SEM", "TEM"):
        value = _get(signal, "metadata", "Acquisition_instrument", scope, *keys)
        if value is not None:
            return value
    return None


def _beam_energy_kev(signal: dict) -> float | None:
    value = _positive(_instrument_value(signal, "beam_energy"))
    if value is not None:
        return value
    original = signal.get("original_metadata") or {}
    candidates = (
        (_get(original, "Optics", "AccelerationVoltage"), 1e-3),  # Velox, V
        (_get(original, "acquisition", "scan", "highVoltage", "value"), 1.0),  # Phenom, kV (negative)
        (_get(original, "fei_metadata", "Beam", "HV"), 1e-3),  # FEI/Thermo TIFF, V
        (_get(original, "fei_metadata", "EBeam", "HV"), 1e-3),
    )
    for raw, factor in candidates:
        value = _positive(raw, factor)
        if value is not None:
            return value
    zeiss = _get(original, "CZ_SEM", "ap_actualkv")  # Zeiss TIFF: ('EHT', 20.0, 'kV')
    if isinstance(zeiss, (tuple, list)) and len(zeiss) >= 3:
        return _positive(zeiss[1], 1.0 if str(zeiss[2]).lower() == "kv" else 1e-3)
    return None


def _live_time_s(signal: dict) -> float | None:
    value = _positive(_instrument_value(signal, "Detector", "EDS", "live_time"))
    if value is not None:
        return value
    original = signal.get("original_metadata") or {}
    value = _positive(_get(original, "acquisition", "scan", "detectors", "EDS", "live_time"))  # Phenom
    if value is not None:
        return value
    detectors = _get(original, "Detectors") or {}  # Velox: one LiveTime per detector, all equal
    times = [_positive(d.get("LiveTime")) for d in detectors.values() if isinstance(d, dict)]
    times = [t for t in times if t is not None]
    return max(times) if times else None


def _elements(signal: dict) -> tuple[str, ...]:
    found = _get(signal, "metadata", "Sample", "elements")
    if found:
        return tuple(str(e) for e in found)
    # Velox: atomic numbers of the quantification's element selection
    settings = _get(signal, "original_metadata", "SharedProperties", "EDSSpectrumQuantificationSettings") or {}
    for value in settings.values():
        numbers = value.get("elementSelection") if isinstance(value, dict) else None
        if numbers:
            import xraydb

            return tuple(sorted(xraydb.atomic_symbol(int(z)) for z in numbers))
    return ()


def _title(signal: dict) -> str:
    return str(_get(signal, "metadata", "General", "title") or "")


def _is_energy_axis(axis: dict) -> bool:
    return str(axis.get("units") or "").strip().lower() in ("kev", "ev")


def _is_eds(signal: dict) -> bool:
    kind = str(_get(signal, "metadata", "Signal", "signal_type") or "")
    if kind.startswith("EDS"):
        return True
    axes = signal.get("axes") or []
    return bool(axes) and _is_energy_axis(axes[-1]) and not kind.startswith("EELS")


def _is_image(signal: dict) -> bool:
    return not _is_eds(signal) and np.ndim(signal["data"]) == 2 and not str(
        _get(signal, "metadata", "Signal", "signal_type") or "").startswith("EELS")


def _pixel_size_nm(axes: list[dict]) -> float | None:
    """Pixel size from the last navigation/image axis (x); None when uncalibrated."""
    return length_nm(axes[-1].get("scale"), axes[-1].get("units")) if axes else None


def _image(signal: dict, path: Path) -> ElectronImage:
    data = signal["data"]
    data = np.asarray(data.compute() if hasattr(data, "compute") else data)
    return ElectronImage(data, _pixel_size_nm(signal["axes"]), _beam_energy_kev(signal), _title(signal), str(path),
                         {"metadata": signal.get("metadata", {}), "original_metadata": signal.get("original_metadata", {})})


def _sibling_images(path: Path) -> list[ElectronImage]:
    """JEOL: the electron images (.img) saved in the same view folder as a .pts map."""
    images = []
    for img in sorted(path.parent.glob("*.img")):
        try:
            images.extend(_image(s, img) for s in _read_signals(img, lazy=False) if _is_image(s))
        except FormatError:
            continue
    return images


def _energy_axis_kev(axis: dict, n: int, path: Path) -> np.ndarray:
    units = str(axis.get("units") or "").strip().lower()
    factor = {"kev": 1.0, "ev": 1e-3}.get(units)
    if factor is None:
        raise FormatError(f"the spectral axis has unit {axis.get('units')!r}, not keV or eV", path=path)
    return (float(axis.get("offset", 0.0)) + float(axis.get("scale", 1.0)) * np.arange(n)) * factor


def _pick(candidates: list[dict], signals: list[dict], index, what: str, path: Path) -> dict:
    """``candidates[index]``; a FormatError listing what the file holds when there is none."""
    if not candidates:
        found = ", ".join(f"{_title(s) or 'untitled'} {tuple(np.shape(s['data']))}" for s in signals) or "nothing"
        raise FormatError(f"holds no {what} (found: {found})", path=path)
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
        raise ValueError(f"index={index!r}; expected an int")
    if not -len(candidates) <= index < len(candidates):
        raise ValueError(f"index={index}; {path} holds {len(candidates)} {what}")
    return candidates[index]


def read_eds(path, *, index: int | None = None, lazy: bool | None = None, max_eager_mib: float = 256.0) -> EDSData:
    """Read an EDS spectrum, line scan or spectrum image (map) with its electron images.

    Through rosettasciio: Bruker .bcf (map + images) and .spx, JEOL .pts
    (map; the .img electron images of the same view folder are attached)
    and .eds, Thermo Fisher Phenom .elid, Velox .emd with EDS, EDAX
    .spd/.spc, HyperSpy .hspy/.zspy EDS signals, EMSA .msa and Ripple .rpl.
    Oxford AZtec .h5oina/.oip are refused with the export that works.

    Parameters
    ----------
    path : str or Path
        The file.
    index : int, optional
        Which EDS dataset, in file order, when the file holds several (Phenom
        .elid holds spot, region, line and map datasets; Velox one spectrum
        image plus spectra). Default: the first of those with the most scan
        dimensions (the map). ``metadata["eds_datasets"]`` lists them all.
    lazy : bool or None
        True keeps the counts as a dask array, False loads them; None (default)
        loads them when they take at most ``max_eager_mib`` MiB and stays lazy
        otherwise (the JEOL .pts map of 512 × 512 × 4096 is 2 GiB as uint16).
    max_eager_mib : float
        Size limit for ``lazy=None``.

    Returns
    -------
    EDSData

    Raises
    ------
    FormatError
        Missing, foreign, broken or unsupported file, or one without EDS data.
    """
    path = Path(path)
    signals = _read_signals(path, lazy=lazy is not False)
    eds = [s for s in signals if _is_eds(s)]
    if index is None and eds:
        index = int(np.argmax([np.ndim(s["data"]) for s in eds]))  # first of the highest-dimensional
    signal = _pick(eds, signals, index, "EDS datasets", path)
    counts = signal["data"]
    axes = list(signal["axes"])
    if not _is_energy_axis(axes[-1]):
        raise FormatError(f"the last axis of {_title(signal)!r} is not an energy axis", path=path)
    if hasattr(counts, "compute") and lazy is not True:
        if lazy is False or counts.nbytes <= max_eager_mib * 2**20:
            counts = counts.compute()
    images = [_image(s, path) for s in signals if _is_image(s)]
    if path.suffix.lower() == ".pts":
        images.extend(_sibling_images(path))
    nav_axes = axes[:-1]
    pixel = _pixel_size_nm(nav_axes) if len(nav_axes) == 2 else None
    resolution = _positive(_instrument_value(signal, "Detector", "EDS", "energy_resolution_MnKa"))
    metadata = {"metadata": signal.get("metadata", {}), "original_metadata": signal.get("original_metadata", {}),
                "axes": [{k: a.get(k) for k in ("name", "scale", "offset", "units", "size")} for a in axes],
                "n_eds_datasets": len(eds), "titles": [_title(s) for s in signals],
                "eds_datasets": [f"{_title(s) or 'untitled'} {tuple(np.shape(s['data']))}" for s in eds]}
    return EDSData(counts, _energy_axis_kev(axes[-1], counts.shape[-1], path), pixel_size_nm=pixel,
                   beam_energy_kev=_beam_energy_kev(signal), live_time_s=_live_time_s(signal),
                   elements=_elements(signal), images=tuple(images), source=str(path), title=_title(signal),
                   microscope=_microscope(signal), energy_resolution_ev=resolution, metadata=metadata)




def read_image(path, *, index: int = 0, title: str | None = None) -> ElectronImage:
    """Read one electron image (SEM SE/BSE, STEM HAADF…) with its pixel size.

    Vendor TIFF with FEI/Thermo, Zeiss or ImageJ scale metadata, DigitalMicrograph
    .dm3/.dm4, Velox .emd, and the images inside a Bruker .bcf, a JEOL .img or a
    Phenom .elid, all through rosettasciio.

    Parameters
    ----------
    path : str or Path
        The file.
    index : int
        Which image when the file holds several (in file order, after ``title`` filtering).
    title : str, optional
        Regular expression the image title must match (case-insensitive), e.g. ``"HAADF|DF-S"``;
        Velox files also store element maps as 2-D images.

    Returns
    -------
    ElectronImage
        ``pixel_size_nm`` is None when the file does not calibrate the image.

    Raises
    ------
    FormatError
        Missing, foreign or broken file, or one without a 2-D image.
    """
    path = Path(path)
    signals = _read_signals(path, lazy=False)
    images = [s for s in signals if _is_image(s)]
    what = "2-D electron images"
    if title is not None:
        pattern = re.compile(title, re.IGNORECASE)
        images = [s for s in images if pattern.search(_title(s))]
        what += f" titled {title!r}"
    return _image(_pick(images, signals, index, what, path), path)


#: Formats written by :func:`write_eds` and :func:`write_image` -> rosettasciio module.
_WRITERS = {".hspy": "rsciio.hspy", ".zspy": "rsciio.zspy", ".rpl": "rsciio.ripple", ".tif": "rsciio.tiff",
            ".tiff": "rsciio.tiff"}


def _signal_dict(data, axes, metadata) -> dict:
    return {"data": data, "axes": axes, "metadata": metadata, "original_metadata": {}, "attributes": {"_lazy": False},
            "tmp_parameters": {}, "package_info": {"name": "ssbkit"}, "learning_results": {}, "models": {}}


def _write(path, signal, allowed) -> Path:
    import importlib

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in allowed:
        raise ValueError(f"path={str(path)!r}: extension {suffix!r}; allowed: {', '.join(allowed)}")
    if path.exists():
        raise FileExistsError(f"{path} exists; ssbkit does not overwrite files")
    importlib.import_module(_WRITERS[suffix]).file_writer(str(path), signal)
    return path


def write_eds(path, data: EDSData) -> Path:
    """Write an EDS map or spectrum as HyperSpy .hspy/.zspy or Ripple .rpl (+ .raw), through rosettasciio.

    The files keep the energy calibration, pixel size, beam energy, live time,
    detector resolution and elements, and read back with :func:`read_eds` (and
    with HyperSpy/exspy as an EDS signal). Electron images are not written; write
    them with :func:`write_image`. An existing file is never overwritten.

    Parameters
    ----------
    path : str or Path
        Target file (.hspy, .zspy or .rpl).
    data : EDSData
        The data (a lazy map is computed).

    Returns
    -------
    Path
    """
    energy = data.energy_kev
    if not np.allclose(np.diff(energy), data.energy_scale_kev, rtol=1e-6, atol=1e-9):
        raise ValueError("write_eds needs a uniform energy axis")
    counts = data.counts.compute() if data.is_lazy else np.asarray(data.counts)
    axes = []
    for name, size in zip(("y", "x") if counts.ndim == 3 else ("x",), counts.shape[:-1]):
        scale, units = (data.pixel_size_nm, "nm") if data.pixel_size_nm is not None else (1.0, "px")
        axes.append({"name": name, "size": int(size), "scale": float(scale), "offset": 0.0, "units": units,
                     "navigate": True})
    axes.append({"name": "Energy", "size": int(energy.size), "scale": data.energy_scale_kev,
                 "offset": data.energy_offset_kev, "units": "keV", "navigate": False})
    scope = data.microscope or "SEM"
    detector = {k: v for k, v in (("live_time", data.live_time_s), ("energy_resolution_MnKa", data.energy_resolution_ev))
                if v is not None}
    instrument = {"Detector": {"EDS": detector}}
    if data.beam_energy_kev is not None:
        instrument["beam_energy"] = data.beam_energy_kev
    metadata = {"General": {"title": data.title}, "Signal": {"signal_type": f"EDS_{scope}",
                                                              "quantity": "X-rays (Counts)"},
                "Acquisition_instrument": {scope: instrument}, "Sample": {"elements": list(data.elements)}}
    return _write(path, _signal_dict(counts, axes, metadata), (".hspy", ".zspy", ".rpl"))


def write_image(path, image: ElectronImage) -> Path:
    """Write an electron image as TIFF (scale in the tags) or HyperSpy .hspy, through rosettasciio.

    Reads back with :func:`read_image` and ``stem.read_image`` with its pixel
    size. An existing file is never overwritten.

    Parameters
    ----------
    path : str or Path
        Target file (.tif, .tiff or .hspy).
    image : ElectronImage

    Returns
    -------
    Path
    """
    scale, units = (image.pixel_size_nm, "nm") if image.pixel_size_nm is not None else (1.0, "px")
    axes = [{"name": name, "size": int(n), "scale": float(scale), "offset": 0.0, "units": units, "navigate": False}
            for name, n in zip(("y", "x"), image.shape)]
    metadata = {"General": {"title": image.title}, "Signal": {}}
    if image.beam_energy_kev is not None:
        metadata["Acquisition_instrument"] = {"SEM": {"beam_energy": image.beam_energy_kev}}
    return _write(path, _signal_dict(np.array(image.data), axes, metadata), (".tif", ".tiff", ".hspy"))
