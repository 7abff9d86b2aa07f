"""Reading EELS files through rosettasciio.

One registry maps formats to rosettasciio plug-ins, chosen by file extension
and, when the extension is unknown, by the first bytes of the file. Every
parser failure is re-raised as :class:`ssbkit.errors.FormatError` naming the
file. Instrument parameters (beam energy, convergence and collection
semi-angles) are taken from rosettasciio's mapped metadata where it has them,
else from the vendor tags (DigitalMicrograph ``ImageTags``, Velox ``Optics``).
"""

from __future__ import annotations

import importlib
import warnings
from pathlib import Path

import numpy as np

from ssbkit._shared.finite import require_finite
from ssbkit._shared.limits import check_size, regular_file
from ssbkit._shared.rsciio_bridge import nested_get as _get
from ssbkit.errors import FormatError

from eels.data import EELSData, NavigationAxis

__all__ = ["read_eels", "READERS", "sniff_format"]

#: format name -> (rosettasciio module, file extensions)
READERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "msa": ("rsciio.msa", (".msa", ".ems", ".mas", ".emsa")),
    "hspy": ("rsciio.hspy", (".hspy", ".hdf5")),
    "zspy": ("rsciio.zspy", (".zspy",)),
    "digitalmicrograph": ("rsciio.digitalmicrograph", (".dm3", ".dm4")),
    "emd": ("rsciio.emd", (".emd",)),
}

_ENERGY_UNITS_EV = {"ev": 1.0, "kev": 1e3}


def sniff_format(path) -> str:
    """Name of the format of ``path`` (a key of :data:`READERS`).

    The extension decides; when it is not known, the first bytes do (EMSA
    text starts with ``#FORMAT``, DigitalMicrograph with version 3 or 4 as a
    big-endian int32, HDF5 with its signature; an HDF5 file is EMD when it
    is HyperSpy when it says so in ``file_format`` or has an ``Experiments``
    group, EMD otherwise).

    Raises
    ------
    FormatError
        When neither the extension nor the content is recognised.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    for name, (_, extensions) in READERS.items():
        if suffix in extensions:
            return name
    try:
        with open(path, "rb") as handle:
            head = handle.read(16)
    except OSError as exc:
        raise FormatError(f"cannot open file ({exc.strerror})", path=path) from None
    if head.lstrip().upper().startswith(b"#FORMAT"):
        return "msa"
    if head[:4] in (b"\x00\x00\x00\x03", b"\x00\x00\x00\x04"):
        return "digitalmicrograph"
    if head[:8] == b"\x89HDF\r\n\x1a\n":
        import h5py

        try:
            with h5py.File(path, "r") as handle:
                hyperspy = handle.attrs.get("file_format") in ("HyperSpy", b"HyperSpy")
                return "hspy" if hyperspy or "Experiments" in handle else "emd"
        except Exception as exc:  # noqa: BLE001 - h5py raises OSError, KeyError, RuntimeError on corrupt files
            raise FormatError(f"not a readable HDF5 file ({type(exc).__name__}: {exc})", path=path) from None
    raise FormatError(
        "not an EELS format that ssbkit reads (expected EMSA .msa, HyperSpy .hspy/.zspy, "
        "DigitalMicrograph .dm3/.dm4 or EMD .emd)",
        path=path,
        offset=0,
    )


def _positive_float(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) and number > 0 else None


def _instrument(signal: dict) -> dict[str, float | None]:
    """Beam energy (keV), convergence and collection semi-angles (mrad)."""
    md = signal.get("metadata", {}) or {}
    om = signal.get("original_metadata", {}) or {}
    tem = _get(md, "Acquisition_instrument", "TEM") or {}
    beam = _positive_float(tem.get("beam_energy"))
    alpha = _positive_float(tem.get("convergence_angle"))
    beta = _positive_float(_get(tem, "Detector", "EELS", "collection_angle"))
    # DigitalMicrograph: ImageList/TagGroupN/ImageTags
    image_list = om.get("ImageList")
    if isinstance(image_list, dict):
        for group in image_list.values():
            tags = _get(group, "ImageTags") or {}
            if beam is None:
                volts = _positive_float(_get(tags, "Microscope Info", "Voltage"))
                beam = volts / 1e3 if volts else None
            conditions = _get(tags, "EELS", "Experimental Conditions") or {}
            alpha = alpha or _positive_float(conditions.get("Convergence semi-angle (mrad)"))
            beta = beta or _positive_float(conditions.get("Collection semi-angle (mrad)"))
    # Velox EMD: Optics/AccelerationVoltage (V), BeamConvergence (rad)
    optics = om.get("Optics")
    if isinstance(optics, dict):
        if beam is None:
            volts = _positive_float(optics.get("AccelerationVoltage"))
            beam = volts / 1e3 if volts else None
        if alpha is None:
            rad = _positive_float(optics.get("BeamConvergence"))
            alpha = rad * 1e3 if rad else None
    return {
        "beam_energy_kev": beam,
        "convergence_semiangle_mrad": alpha,
        "collection_semiangle_mrad": beta,
    }


def _is_energy_axis(axis: dict) -> bool:
    return str(axis.get("units", "")).strip().lower() in _ENERGY_UNITS_EV


def _is_eels(signal: dict) -> bool:
    signal_type = str(_get(signal.get("metadata", {}), "Signal", "signal_type") or "")
    axes = signal.get("axes", [])
    if "EDS" in signal_type.upper():
        return False
    return any(_is_energy_axis(ax) for ax in axes)


def _to_eels_data(signal: dict, path: Path, fmt: str, n_found: int) -> EELSData:
    axes = list(signal["axes"])
    data = np.asarray(signal["data"])
    if data.ndim != len(axes):
        raise FormatError(
            f"data of shape {data.shape} but {len(axes)} axes described", path=path
        )
    energy_dims = [i for i, ax in enumerate(axes) if _is_energy_axis(ax)]
    if len(energy_dims) != 1:
        raise FormatError(
            f"expected exactly one energy axis (unit eV), found {len(energy_dims)}", path=path
        )
    e_dim = energy_dims[0]
    e_axis = axes[e_dim]
    factor = _ENERGY_UNITS_EV[str(e_axis["units"]).strip().lower()]
    size = int(e_axis.get("size", data.shape[e_dim]))
    if "axis" in e_axis:
        energy = np.asarray(e_axis["axis"], dtype=float) * factor
    else:
        with np.errstate(invalid="ignore", over="ignore"):  # an inf/NaN scale is refused by EELSData below
            energy = (float(e_axis.get("offset", 0.0)) + float(e_axis.get("scale", 1.0)) * np.arange(size)) * factor
    counts = require_finite(np.moveaxis(data, e_dim, -1), path=path, what="counts")  # NaN, inf, |x| >= 1e100
    nav = [
        NavigationAxis(
            name=str(ax.get("name", "") or ""),
            units=str(ax.get("units", "") or ""),
            scale=float(ax.get("scale", 1.0)),
            offset=float(ax.get("offset", 0.0)),
            size=int(ax.get("size", n)),
        )
        for i, (ax, n) in enumerate(zip(axes, data.shape))
        if i != e_dim
    ]
    metadata = {
        "format": fmt,
        "n_eels_signals": n_found,
        "metadata": signal.get("metadata", {}),
        "original_metadata": signal.get("original_metadata", {}),
    }
    return EELSData(
        energy_loss_ev=energy,
        counts=counts,
        navigation_axes=tuple(nav),
        source=str(path),
        title=str(_get(signal.get("metadata", {}), "General", "title") or ""),
        metadata=metadata,
        **_instrument(signal),
    )


def _check_msa_length(signal: dict, path: Path) -> None:
    declared = (signal.get("original_metadata") or {}).get("NPOINTS")
    found = np.asarray(signal["data"]).shape[-1]
    if declared is None:
        return
    try:
        number = float(declared)
    except (TypeError, ValueError):
        number = float("nan")
    if not (np.isfinite(number) and number == round(number)):
        raise FormatError(f"header NPOINTS = {declared!r} is not a whole number", path=path)
    if int(number) != found:
        raise FormatError(
            f"header says NPOINTS = {int(number)} but {found} values were found (truncated or edited file)",
            path=path,
        )


def read_eels(path, *, index: int = 0) -> EELSData:
    """Read an EELS spectrum, line scan or spectrum image.

    Parameters
    ----------
    path : str or Path
        EMSA (.msa), HyperSpy (.hspy/.zspy), DigitalMicrograph (.dm3/.dm4) or
        EMD (.emd, Velox or NCEM) file. Read in place, never changed.
    index : int
        Which EELS signal to return when the file holds several (Velox
        files often hold a low-loss and core-loss spectrum image); counted
        over the EELS signals only. ``metadata["n_eels_signals"]`` says how
        many there are.

    Returns
    -------
    EELSData
        Counts with the energy axis last, calibrated axes, the instrument
        parameters found in the file.

    Raises
    ------
    FormatError
        When the file is missing, broken, truncated, of another format, or
        holds no EELS signal (or fewer than ``index + 1``).

    Examples
    --------
    >>> data = read_eels("lowloss.msa")                    # doctest: +SKIP
    >>> data.energy_loss_ev[:2], data.beam_energy_kev      # doctest: +SKIP
    """
    path = regular_file(path)
    if path.stat().st_size == 0:
        raise FormatError("the file is empty", path=path, offset=0)
    fmt = sniff_format(path)
    if fmt == "msa":
        check_size(path)  # EMSA is text, parsed whole: bounded by limits.MAX_FILE_BYTES
    module = importlib.import_module(READERS[fmt][0])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            signals = module.file_reader(str(path))
    except ModuleNotFoundError as exc:
        raise FormatError(
            f"reading this {fmt} file needs the optional package {exc.name!r} "
            f"(pip install {exc.name})",
            path=path,
        ) from None
    except Exception as exc:  # the parsers raise many different types
        raise FormatError(
            f"cannot be read as {fmt} ({type(exc).__name__}: {exc})", path=path
        ) from None
    if fmt == "msa":
        _check_msa_length(signals[0], path)
    eels_signals = [s for s in signals if _is_eels(s)]
    if not eels_signals:
        raise FormatError(f"the {fmt} file holds no signal with an energy-loss axis", path=path)
    if not 0 <= index < len(eels_signals):
        raise FormatError(
            f"index={index} but the file holds {len(eels_signals)} EELS signal(s)", path=path
        )
    return _to_eels_data(eels_signals[index], path, fmt, len(eels_signals))
