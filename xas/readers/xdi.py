"""Reader for XAS Data Interchange (XDI 1.0) files.

The format: a first line ``# XDI/1.0 [Application/version ...]``, header
lines ``# Family.Key: Value`` (``Column.N: name [unit]`` names the columns,
``Element.symbol`` / ``Element.edge`` the absorber), an optional block of
user comments opened by ``# ///`` and closed by ``#----``, an optional line
of column labels, then a whitespace-separated numeric table.

Departures from the specification that lose no information (missing
recommended fields, invalid element or edge names, bad date stamps, lines
with a foreign comment character in the header) are read with a
:class:`UserWarning`; anything that would make the numbers ambiguous (no
version line, malformed header field, ragged or non-numeric table, NaN,
angle axis without d-spacing, a non-energy axis) raises
:class:`~ssbkit.errors.FormatError`.

References
----------
XAS Data Interchange format, version 1.0, specification,
https://github.com/XraySpectroscopy/XAS-Data-Interchange (2013);
B. Ravel, M. Newville, et al., "XDI: a format for the exchange of XAS data"
(International X-ray Absorption Society Standards and Criteria committee).
"""

from __future__ import annotations

import re
import warnings
from datetime import datetime
from pathlib import Path

import numpy as np

from ssbkit._shared.limits import read_text
from ssbkit.errors import FormatError
from xas.readers.channels import energy_column, energy_to_ev, mu_from_columns
from xas.readers.table import parse_table
from xas.spectrum import XASSpectrum, clean_energy_axis

__all__ = ["read_xdi", "VALID_EDGES"]

VALID_EDGES = ("K", "L", "L1", "L2", "L3", "M", "M1", "M2", "M3", "M4", "M5",
               "N", "N1", "N2", "N3", "N4", "N5", "N6", "N7", "O", "O1", "O2", "O3",
               "O4", "O5", "O6", "O7", "P", "P1", "P2", "P3")
_FIELD = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z0-9_]+)\s*:\s*(.*?)\s*$")
#: hc in eV·Å (CODATA 2018), for the Bragg law E = hc / (2 d sin θ).
HC_EV_ANGSTROM = 12398.419843320026


def _field_problem(text: str) -> str:
    if ":" not in text:
        return "header field has no ':' (expected 'Family.Key: Value')"
    name, _, value = text.partition(":")
    name = name.strip()
    if ":" in value:
        return "header field has more than one ':'"
    if "." not in name:
        return "header field name has no '.' (expected 'Family.Key')"
    if name.count(".") > 1:
        return "header field name has more than one '.'"
    if not re.match(r"[A-Za-z_]", name):
        return "header family name must start with a letter"
    if not value.strip():
        return "header field has no value"
    return "header field is malformed"


def _is_element(symbol: str) -> bool:
    import xraydb

    try:
        xraydb.atomic_number(symbol)
    except Exception:  # xraydb raises several types for unknown symbols
        return False
    return True


def _read_header(lines: list[str], path):
    first = lines[0].strip() if lines else ""
    match = re.match(r"#\s*XDI/(\S+)\s*(.*)$", first)
    if match is None:
        raise FormatError("first line must be '# XDI/1.0 ...' (not an XDI file)", path=path, line=1)
    fields: dict[str, str] = {"XDI.version": match.group(1), "XDI.applications": match.group(2)}
    comments: list[str] = []
    label_line: list[str] | None = None
    state = "fields"
    for number, raw in enumerate(lines[1:], start=2):
        line = raw.strip()
        if not line:
            continue
        if not line.startswith("#"):
            if re.match(r"^[-+.\d]", line) or state == "labels":
                return fields, comments, label_line, number - 1
            warnings.warn(f"{path}, line {number}: not a comment line in the header; ignored",
                          UserWarning, stacklevel=4)
            continue
        text = line.lstrip("#").strip()
        if state == "labels":
            label_line = text.split()
            state = "data"
            continue
        if re.fullmatch(r"-{2,}.*", text):
            state = "labels"
            continue
        if text.startswith("///"):
            state = "comments"
            continue
        if state == "comments" or state == "data":
            comments.append(text)
            continue
        if not text:
            continue
        field = _FIELD.match(text)
        if field is None or not field.group(3):
            raise FormatError(_field_problem(text), path=path, line=number)
        fields[f"{field.group(1)}.{field.group(2)}"] = field.group(3)
    return fields, comments, label_line, len(lines)


def _columns(fields: dict[str, str], n_columns: int, label_line, path):
    names, units = [], []
    declared = {}
    for key, value in fields.items():
        family, _, index = key.partition(".")
        if family.lower() == "column" and index.isdigit():
            declared[int(index)] = value.split()
    if declared and set(declared) != set(range(1, len(declared) + 1)):
        warnings.warn(f"{path}: Column.N indices are not continuous", UserWarning, stacklevel=4)
    if len(declared) != n_columns:
        warnings.warn(
            f"{path}: {len(declared)} Column.N labels for {n_columns} data columns", UserWarning, stacklevel=4
        )
    for index in range(1, n_columns + 1):
        words = declared.get(index)
        if words is None and label_line is not None and len(label_line) == n_columns:
            words = [label_line[index - 1]]
        names.append(words[0] if words else f"col{index}")
        units.append(words[1] if words and len(words) > 1 else None)
    return names, units


def _check_metadata(fields: dict[str, str], path) -> tuple[str | None, str | None]:
    element = fields.get("Element.symbol")
    edge = fields.get("Element.edge")
    if element is None or edge is None:
        warnings.warn(f"{path}: Element.symbol or Element.edge missing", UserWarning, stacklevel=4)
    if element is not None and not _is_element(element):
        warnings.warn(f"{path}: Element.symbol {element!r} is not an element", UserWarning, stacklevel=4)
        element = None
    if edge is not None and edge not in VALID_EDGES:
        warnings.warn(f"{path}: Element.edge {edge!r} is not an edge name", UserWarning, stacklevel=4)
        edge = None
    stamp = fields.get("Scan.start_time")
    if stamp is not None:
        try:
            datetime.fromisoformat(stamp)
        except ValueError:
            warnings.warn(f"{path}: Scan.start_time {stamp!r} is not ISO 8601", UserWarning, stacklevel=4)
    return element, edge


def read_xdi(path, *, mode: str = "auto", mu=None, i0=None, signal=None, energy=None) -> XASSpectrum:
    """Read an XDI 1.0 file into an :class:`~xas.spectrum.XASSpectrum`.

    Parameters
    ----------
    path : str or Path
        The ``.xdi`` file (read only, never modified).
    mode, mu, i0, signal : optional
        How μ is built from the columns; see
        :func:`xas.readers.channels.mu_from_columns`.
    energy : str, optional
        Name of the energy column (default: ``energy``, or an ``angle``
        column converted with ``Mono.d_spacing`` by the Bragg law).

    Returns
    -------
    XASSpectrum
        ``metadata`` holds every header field under its ``Family.Key`` name,
        the user comments, ``element``, ``edge``, ``mode`` and ``mu_from``.

    Raises
    ------
    FormatError
        When the file breaks the format in a way that changes the numbers.

    Examples
    --------
    >>> spec = read_xdi("cu_metal_rt.xdi")  # doctest: +SKIP
    >>> spec.element, spec.edge  # doctest: +SKIP
    ('Cu', 'K')
    """
    path = Path(path)
    lines = read_text(path).splitlines()  # bounded by limits.MAX_FILE_BYTES
    fields, comments, label_line, data_start = _read_header(lines, path)
    table = parse_table(lines, data_start, path=path)
    names, units = _columns(fields, table.shape[1], label_line, path)
    element, edge = _check_metadata(fields, path)
    lower = [name.lower() for name in names]
    if energy is None and "energy" not in lower and "angle" in lower:
        index = lower.index("angle")
        spacing = fields.get("Mono.d_spacing")
        try:
            d_angstrom = float(spacing)
        except (TypeError, ValueError):
            raise FormatError("angle column given but no valid Mono.d_spacing to convert it to energy",
                              path=path) from None
        theta = np.deg2rad(table[:, index]) if (units[index] or "deg").lower().startswith("deg") \
            else table[:, index]
        energy_ev = HC_EV_ANGSTROM / (2.0 * d_angstrom * np.sin(theta))
    else:
        index = energy_column(names, name=energy, path=path)
        unit = units[index]
        if unit is not None and unit.lower() not in ("ev", "kev"):
            raise FormatError(f"column {names[index]!r} is in {unit!r}, not an energy in eV or keV", path=path)
        energy_ev, _ = energy_to_ev(table[:, index], unit=unit, path=path)
    mu_values, used_mode, mu_from = mu_from_columns(names, table, mode=mode, mu=mu, i0=i0, signal=signal,
                                                    path=path)
    energy_ev, mu_values = clean_energy_axis(energy_ev, mu_values, path=path)
    metadata = dict(fields)
    metadata.update(element=element, edge=edge, mode=used_mode, mu_from=mu_from,
                    columns=names, comments="\n".join(comments), format="xdi")
    return XASSpectrum(energy_ev, mu_values, source=str(path),
                       label=fields.get("Sample.name", path.stem), metadata=metadata)
