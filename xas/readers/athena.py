"""Reader for Athena project files (``.prj``, Demeter/Athena 0.8 and 0.9).

A project is a gzipped (or plain) text file of Perl statements, one record
per data group, each closed by a ``[record]`` line. The statements are
parsed safely by :mod:`xas.readers.perl_data` (never evaluated). Each group
has ``@args`` (Athena's parameters: ``label``, ``bkg_e0``, ``bkg_pre1``,
..., ``is_xmu``, ``is_chi``, ...), ``@x`` (energy, eV) and ``@y`` (μ(E) as
Athena stores it), and optionally ``@i0``, ``@signal`` and ``@stddev``.

As in Larch's ``read_athena``, μ is ``@y`` and the energy is ``@x`` *without*
Athena's stored energy shift ``bkg_eshift``, which is kept in the metadata.

References
----------
B. Ravel, M. Newville, J. Synchrotron Rad. 12, 537 (2005),
doi:10.1107/S0909049505012719.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ssbkit._shared.limits import gunzip, read_bytes
from ssbkit.errors import FormatError
from xas.readers.perl_data import parse_statement
from xas.spectrum import XASSpectrum, clean_energy_axis

__all__ = ["AthenaGroup", "GroupChoiceError", "read_athena_project", "list_athena_groups", "read_athena",
           "athena_normalization"]


class GroupChoiceError(ValueError):
    """The ``group`` argument does not pick one group of an Athena project.

    Parameters
    ----------
    message : str
    groups : sequence of str
        The project's group labels, for a caller that names its own argument.
    """

    def __init__(self, message: str, groups):
        super().__init__(message)
        self.groups = tuple(groups)

_WANTED = ("old_group", "args", "x", "y", "i0", "signal", "stddev", "xdi")
_STATEMENT = re.compile(r"^[$@%](\w+)\s*=")
_NOT_MU = ("is_chi", "is_xmudat", "is_bkg", "is_diff", "is_pixel", "is_rsp", "is_qsp")


@dataclass(frozen=True)
class AthenaGroup:
    """One data group of an Athena project.

    Parameters
    ----------
    key : str
        Athena's internal group name (``$old_group``), e.g. ``"trbj"``.
    label : str
        The label shown in Athena, e.g. ``"AlPO4"``.
    record : int
        0-based position in the project.
    is_mu : bool
        True when the group holds μ(E) (not χ(k), a difference, ...).
    args : dict
        Athena's parameters for the group (``bkg_e0``, ``bkg_pre1``, ...).
    arrays : dict of ndarray
        ``x``, ``y`` and any of ``i0``, ``signal``, ``stddev``.
    xdi : dict
        The group's XDI metadata, when stored.
    """

    key: str
    label: str
    record: int
    is_mu: bool
    args: dict[str, Any]
    arrays: dict[str, np.ndarray]
    xdi: dict[str, Any]


def _open_text(path: Path) -> list[str]:
    raw = read_bytes(path)  # bounded by limits.MAX_FILE_BYTES
    if raw[:2] == b"\x1f\x8b":
        raw = gunzip(raw, path=path)  # streamed, bounded by limits.MAX_UNCOMPRESSED_BYTES
    text = raw.decode("utf-8", errors="replace")
    lines = text.splitlines()
    if not lines or "Athena project file" not in lines[0]:
        raise FormatError("first line must say 'Athena project file' (not an Athena project)", path=path, line=1)
    return lines


def _as_float_array(values, *, path, line: int, name: str) -> np.ndarray:
    try:
        array = np.asarray([float(v) for v in values], dtype=float)
    except (TypeError, ValueError):
        raise FormatError(f"@{name} holds a non-numeric value", path=path, line=line) from None
    return array


def _flag(args: dict, key: str, default: int) -> bool:
    try:
        return bool(int(float(args.get(key, default))))
    except (TypeError, ValueError):
        return bool(default)


def read_athena_project(path) -> tuple[AthenaGroup, ...]:
    """Parse every group of an Athena project.

    Parameters
    ----------
    path : str or Path
        The ``.prj`` file (gzipped or plain; read only).

    Returns
    -------
    tuple of AthenaGroup
        In project order.

    Raises
    ------
    FormatError
        When the file is not an Athena project, a statement cannot be parsed,
        a group lacks ``@x``/``@y`` or they differ in length, or the file ends
        inside a record.
    """
    path = Path(path)
    lines = _open_text(path)
    groups: list[AthenaGroup] = []
    record: dict[str, tuple[Any, int]] = {}
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        if text.startswith("[record]"):
            groups.append(_make_group(record, len(groups), path, number))
            record = {}
            continue
        match = _STATEMENT.match(text)
        if match is None or match.group(1) not in _WANTED:
            continue
        name, value = parse_statement(text, path=path, line_number=number)
        record[name] = (value, number)
    if record:
        raise FormatError("file ends inside a record (truncated project?)", path=path, line=len(lines))
    if not groups:
        raise FormatError("no data groups found", path=path)
    return tuple(groups)


def _make_group(record: dict, index: int, path: Path, line: int) -> AthenaGroup:
    for needed in ("x", "y"):
        if needed not in record:
            raise FormatError(f"record {index + 1} has no @{needed}", path=path, line=line)
    args_list, _ = record.get("args", ([], line))
    if not isinstance(args_list, list) or len(args_list) % 2:
        raise FormatError(f"record {index + 1}: @args is not a list of key/value pairs", path=path, line=line)
    args = {str(args_list[i]): args_list[i + 1] for i in range(0, len(args_list), 2)}
    arrays = {}
    for name in ("x", "y", "i0", "signal", "stddev"):
        if name in record:
            value, where = record[name]
            arrays[name] = _as_float_array(value if isinstance(value, list) else [value],
                                           path=path, line=where, name=name)
    if arrays["x"].size != arrays["y"].size:
        raise FormatError(
            f"record {index + 1}: @x has {arrays['x'].size} points, @y {arrays['y'].size}", path=path, line=line
        )
    key = str(record.get("old_group", (f"group{index + 1}", line))[0])
    is_mu = _flag(args, "is_xmu", 1) and not any(_flag(args, name, 0) for name in _NOT_MU)
    xdi = record.get("xdi", ({}, line))[0]
    return AthenaGroup(key=key, label=str(args.get("label", key)), record=index, is_mu=is_mu,
                       args=args, arrays=arrays, xdi=xdi if isinstance(xdi, dict) else {})


def list_athena_groups(path) -> tuple[str, ...]:
    """Labels of the groups of an Athena project, in project order."""
    return tuple(group.label for group in read_athena_project(path))


def _identifier(label: str) -> str:
    """Label reduced to a Python-identifier-like name, as Larch names groups
    (``"CaSO4 Gypsum pure (6+)"`` -> ``"caso4_gypsum_pure_6"``)."""
    return re.sub(r"[^0-9a-z]+", "_", label.lower()).strip("_")


def _select(groups: tuple[AthenaGroup, ...], group, path) -> AthenaGroup:
    labels = [g.label for g in groups]
    if group is None:
        if len(groups) == 1:
            return groups[0]
        raise GroupChoiceError(f"{path} holds {len(groups)} groups; choose one with group=, one of {labels}", labels)
    if isinstance(group, (int, np.integer)) and not isinstance(group, bool):
        if not -len(groups) <= group < len(groups):
            raise GroupChoiceError(f"group={group} is out of range for {len(groups)} groups in {path}", labels)
        return groups[group]
    for test in (lambda g: g.label == group, lambda g: g.key == group,
                 lambda g: g.label.strip().lower() == str(group).strip().lower(),
                 lambda g: _identifier(g.label) == _identifier(str(group))):
        found = [g for g in groups if test(g)]
        if found:
            return found[0]
    raise GroupChoiceError(f"group={group!r} not found in {path}; groups are {labels}", labels)


def _element_edge(chosen: AthenaGroup) -> tuple[str | None, str | None]:
    meta = chosen.xdi.get("metadata", {}) if isinstance(chosen.xdi, dict) else {}
    element_meta = meta.get("Element", {}) if isinstance(meta, dict) else {}
    element = element_meta.get("symbol") or chosen.args.get("bkg_z") or None
    edge = element_meta.get("edge") or chosen.args.get("fft_edge") or None
    return (str(element) if element else None), (str(edge).upper() if edge else None)


def _to_spectrum(chosen: AthenaGroup, path: Path) -> XASSpectrum:
    """Turn one μ(E) group into an :class:`~xas.spectrum.XASSpectrum`."""
    if not chosen.is_mu:
        raise FormatError(f"group {chosen.label!r} does not hold μ(E) (χ(k), difference or other)", path=path)
    energy, mu = clean_energy_axis(chosen.arrays["x"], chosen.arrays["y"], path=path)
    element, edge = _element_edge(chosen)
    athena = {k: v for k, v in chosen.args.items() if isinstance(v, (str, int, float)) and k.startswith("bkg_")}
    metadata = {
        "element": element, "edge": edge, "mode": "mu", "format": "athena",
        "athena_key": chosen.key, "athena_record": chosen.record,
        "is_normalized": _flag(chosen.args, "is_nor", 0), "athena": athena,
    }
    return XASSpectrum(energy, mu, source=str(path), label=chosen.label, metadata=metadata)


def read_athena(path, *, group=None) -> XASSpectrum:
    """Read one μ(E) group of an Athena project.

    Parameters
    ----------
    path : str or Path
        The ``.prj`` file.
    group : str or int, optional
        Group label (exact, then case-insensitive, then as Larch's group name
        with non-alphanumerics replaced by ``_``, e.g.
        ``"CaSO4_Gypsum_pure_6"``), Athena key, or 0-based index. Required when the project has more than one group; see
        :func:`list_athena_groups`.

    Returns
    -------
    XASSpectrum
        ``metadata["athena"]`` holds Athena's ``bkg_*`` parameters (``bkg_e0``,
        ``bkg_pre1``, ``bkg_nor2``, ``bkg_nnorm`` = Athena's normalization
        *order*, i.e. polynomial degree + 1, ``bkg_eshift``, ...).

    Raises
    ------
    FormatError
        For a broken project or a group that does not hold μ(E).
    ValueError
        When ``group`` is missing (several groups) or not found.

    Examples
    --------
    >>> spec = read_athena("P_CAMD.prj", group="AlPO4")  # doctest: +SKIP
    """
    path = Path(path)
    return _to_spectrum(_select(read_athena_project(path), group, path), path)


def athena_normalization(spectrum) -> dict:
    """Athena's stored normalization of a group, as :func:`xas.normalize` options.

    Athena's "normalization order" is the number of polynomial coefficients
    (order 2 = a line), so ``nnorm`` = ``bkg_nnorm`` − 1; and Athena
    normalises on energies shifted by ``bkg_eshift``. (Larch's
    ``read_athena`` 2026.3.1 passes ``bkg_nnorm`` unchanged as the degree and
    ignores the shift, so its numbers differ from Athena's.)

    Parameters
    ----------
    spectrum : XASSpectrum
        A spectrum read from an Athena project.

    Returns
    -------
    dict
        ``e0``, ``pre1``, ``pre2``, ``norm1``, ``norm2``, ``nnorm`` for
        :func:`xas.normalize`, and ``energy_shift_ev``: add it to
        ``spectrum.energy_ev`` first to reproduce Athena's edge step.

    Raises
    ------
    ValueError
        When the spectrum carries no Athena parameters.
    """
    params = spectrum.metadata.get("athena")
    if not params:
        raise ValueError("spectrum has no Athena parameters (not read from an Athena project)")
    names = {"e0": "bkg_e0", "pre1": "bkg_pre1", "pre2": "bkg_pre2", "norm1": "bkg_nor1", "norm2": "bkg_nor2"}
    try:
        out = {key: float(params[name]) for key, name in names.items()}
        out["nnorm"] = max(int(float(params.get("bkg_nnorm", 2))) - 1, 0)
        out["energy_shift_ev"] = float(params.get("bkg_eshift", 0.0))
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"incomplete Athena parameters ({exc})") from None
    return out
