"""From named data columns to energy (eV) and μ(E).

Shared by the XDI and the plain column readers. The measured channels are
turned into μ by the usual definitions (Bunker, *Introduction to XAFS*,
Cambridge 2010, ch. 3, doi:10.1017/CBO9780511809194):

* transmission: μ(E)·t = ln(I0 / It);
* fluorescence: μ(E) ∝ If / I0 (several fluorescence channels are summed);
* electron yield: μ(E) ∝ Iy / I0.
"""

from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np

from ssbkit.errors import FormatError

__all__ = ["MODES", "energy_column", "mu_from_columns", "energy_to_ev"]

MODES = ("auto", "mu", "transmission", "fluorescence", "electron_yield")

_ENERGY_NAMES = ("energy", "energy_ev", "e", "en", "ene", "energy_kev")
_MU_NAMES = ("mu", "xmu", "mutrans", "mufluor", "mu_trans", "mu_fluor", "muey", "mu_ey", "munorm", "norm")
_I0_NAMES = ("i0", "izero", "i_0")
_TRANS_NAMES = ("itrans", "it", "i1", "i_t", "trans")
_FLUOR_NAMES = ("ifluor", "if", "fluor", "ifl", "pfy", "tfy")
_YIELD_NAMES = ("iey", "tey", "ey", "iy", "drain", "sample_current")


def _lookup(labels: Sequence[str], names: Sequence[str]) -> int | None:
    lower = [label.lower() for label in labels]
    for name in names:
        if name in lower:
            return lower.index(name)
    return None


def _named(labels: Sequence[str], name: str, *, path, role: str) -> int:
    lower = [label.lower() for label in labels]
    if name.lower() not in lower:
        raise FormatError(f"no column named {name!r} for {role}; columns are {list(labels)}", path=path)
    return lower.index(name.lower())


def energy_column(labels: Sequence[str], *, name: str | None = None, path=None) -> int:
    """Index of the energy column: ``name`` if given, else by name, else the first."""
    if name is not None:
        return _named(labels, name, path=path, role="energy")
    found = _lookup(labels, _ENERGY_NAMES)
    return 0 if found is None else found


def energy_to_ev(values, *, unit: str | None, path=None) -> tuple[np.ndarray, bool]:
    """Convert an energy column to eV.

    ``unit`` (``"eV"`` or ``"keV"``, case-insensitive) is trusted when given.
    Without a unit an axis whose largest value is below 50 is taken to be in
    keV (no absorption edge analysed here lies below 50 eV), and a
    :class:`UserWarning` says so.

    Returns
    -------
    energy_ev : ndarray
    converted : bool
        True when the values were multiplied by 1000.
    """
    values = np.asarray(values, dtype=float)
    if unit is not None:
        unit_lower = unit.strip().lower()
        if unit_lower == "kev":
            return values * 1000.0, True
        if unit_lower == "ev":
            return values, False
        raise FormatError(f"energy unit {unit!r} is not eV or keV", path=path)
    finite = values[np.isfinite(values)]
    if finite.size and np.max(finite) < 50.0:
        warnings.warn(
            f"energy axis of {path} has no unit and values below 50: read as keV", UserWarning, stacklevel=3
        )
        return values * 1000.0, True
    return values, False


def _ratio(numerator, denominator, *, path, what: str) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = numerator / denominator
    if not np.all(np.isfinite(ratio)):
        raise FormatError(f"{what}: I0 is zero or non-finite at some points", path=path)
    return ratio


def mu_from_columns(
    labels: Sequence[str],
    table: np.ndarray,
    *,
    mode: str = "auto",
    mu: str | None = None,
    i0: str | None = None,
    signal: str | Sequence[str] | None = None,
    path=None,
) -> tuple[np.ndarray, str, str]:
    """Build μ(E) from named columns.

    Parameters
    ----------
    labels : sequence of str
        Column names, one per column of ``table``.
    table : ndarray, shape (n_points, n_columns)
        The data table.
    mode : {"auto", "mu", "transmission", "fluorescence", "electron_yield"}
        How to get μ. ``"auto"`` takes the first μ-like column (``mutrans``,
        ``mufluor``, ``mu``, ...) in file order, else ln(I0/It) when I0 and a
        transmission column exist, else If/I0.
    mu : str, optional
        Column holding μ directly (implies ``mode="mu"``).
    i0 : str, optional
        Name of the incident-intensity column (default: found by name).
    signal : str or sequence of str, optional
        Transmitted, fluorescence or yield column(s); several are summed.
    path : str or Path, optional
        File named in errors.

    Returns
    -------
    mu : ndarray, shape (n_points,)
    mode : str
        The mode actually used.
    description : str
        How μ was made, e.g. ``"ln(i0/itrans)"``.
    """
    if mode not in MODES:
        raise ValueError(f"mode={mode!r} is not one of {MODES}")
    if mu is not None:
        index = _named(labels, mu, path=path, role="mu")
        return table[:, index], "mu", labels[index]
    if mode in ("auto", "mu"):
        lower = [label.lower() for label in labels]
        for index, label in enumerate(lower):
            if label in _MU_NAMES:
                return table[:, index], "mu", labels[index]
        if mode == "mu":
            raise FormatError(f"no μ column among {list(labels)}; name it with mu=", path=path)
    i0_index = (
        _named(labels, i0, path=path, role="I0") if i0 is not None else _lookup(labels, _I0_NAMES)
    )
    if signal is not None:
        names = [signal] if isinstance(signal, str) else list(signal)
        signal_index = [_named(labels, name, path=path, role="signal") for name in names]
    else:
        signal_index = None
    candidates = {
        "transmission": _TRANS_NAMES,
        "fluorescence": _FLUOR_NAMES,
        "electron_yield": _YIELD_NAMES,
    }
    modes = ("transmission", "fluorescence", "electron_yield") if mode == "auto" else (mode,)
    for this_mode in modes:
        index = signal_index
        if index is None:
            found = _lookup(labels, candidates[this_mode])
            index = None if found is None else [found]
        if index is None or i0_index is None:
            continue
        total = table[:, index].sum(axis=1)
        names = "+".join(labels[i] for i in index)
        if this_mode == "transmission":
            ratio = _ratio(table[:, i0_index], total, path=path, what="ln(I0/It)")
            if np.any(ratio <= 0):
                raise FormatError("ln(I0/It): I0/It is not positive at some points", path=path)
            return np.log(ratio), this_mode, f"ln({labels[i0_index]}/{names})"
        ratio = _ratio(total, table[:, i0_index], path=path, what=f"{names}/I0")
        return ratio, this_mode, f"({names})/{labels[i0_index]}"
    raise FormatError(
        f"cannot build μ in mode {mode!r} from columns {list(labels)}: name them with mu=, or i0= and signal=",
        path=path,
    )
