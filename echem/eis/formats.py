"""Parsers of the impedance file formats, one function per format.

Each parser takes a path (and for tables an optional column mapping) and
returns a :class:`RawTable`: frequency, complex impedance in the physics sign
convention, the 1-based file line of each row (0 for binary files) and a
metadata dict. :mod:`echem.eis.readers` picks the parser and finishes the
data object (dropping zero-frequency rows, splitting sweeps).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from echem.eis.text_tables import (
    classify_column,
    guess_delimiter,
    is_number,
    numeric_rows,
    read_lines,
    split_fields,
)
from ssbkit._shared.limits import read_bytes
from ssbkit.errors import FormatError

__all__ = [
    "RawTable",
    "parse_biologic_mpr",
    "parse_biologic_mpt",
    "parse_gamry",
    "parse_ivium_idf",
    "parse_table",
    "parse_xlsx",
    "parse_zview",
]


@dataclass(frozen=True)
class RawTable:
    """What a parser found, before the common checks."""

    frequency_hz: np.ndarray
    z_ohm: np.ndarray
    line: np.ndarray
    metadata: dict[str, Any] = field(default_factory=dict)


def _has_decimal_comma(tokens: list[str]) -> bool:
    return any("," in t and "." not in t for t in tokens if is_number(t))


def _columns_from_names(names: list[str]) -> tuple[int, int, int, float] | None:
    """Indexes of frequency, real, imaginary columns and the sign of the imaginary one."""
    found: dict[str, int] = {}
    for index, name in enumerate(names):
        kind = classify_column(name)
        if kind is not None and kind not in found:
            if kind in ("imag", "minus_imag") and ("imag" in found or "minus_imag" in found):
                continue
            found[kind] = index
    imag_kind = "imag" if "imag" in found else "minus_imag" if "minus_imag" in found else None
    if "frequency" not in found or "real" not in found or imag_kind is None:
        return None
    sign = 1.0 if imag_kind == "imag" else -1.0
    return found["frequency"], found["real"], found[imag_kind], sign


def _mapped_columns(columns: dict, names: list[str] | None, path: Path) -> tuple[int, int, int, float]:
    """Resolve a user's ``columns`` mapping to indexes and the imaginary sign."""
    allowed = {"frequency_hz", "z_real_ohm", "z_imag_ohm", "minus_z_imag_ohm"}
    unknown = set(columns) - allowed
    if unknown:
        raise ValueError(f"columns: unknown key(s) {sorted(unknown)}; allowed {sorted(allowed)}")
    imag_keys = [k for k in ("z_imag_ohm", "minus_z_imag_ohm") if k in columns]
    if "frequency_hz" not in columns or "z_real_ohm" not in columns or len(imag_keys) != 1:
        raise ValueError(
            "columns must map 'frequency_hz', 'z_real_ohm' and exactly one of "
            "'z_imag_ohm' / 'minus_z_imag_ohm' to a column name or 0-based index"
        )

    def resolve(ref):
        if isinstance(ref, int):
            return ref
        if names is None or ref not in names:
            raise FormatError(f"column {ref!r} not found (columns: {names})", path=path)
        return names.index(ref)

    sign = 1.0 if imag_keys[0] == "z_imag_ohm" else -1.0
    return (resolve(columns["frequency_hz"]), resolve(columns["z_real_ohm"]),
            resolve(columns[imag_keys[0]]), sign)


def _is_numeric_line(line: str) -> bool:
    fields = split_fields(line, guess_delimiter(line))
    return len(fields) >= 3 and all(is_number(f) for f in fields if f != "")


def parse_table(path: Path, *, columns: dict | None = None, fmt: str = "csv") -> RawTable:
    """A generic delimited text table (CSV, TSV, white space; point or comma decimals).

    The header line above the numbers names the columns (frequency, ``Z'``,
    ``Z''`` or ``-Z''`` in the usual spellings, e.g. ``Freq/Hz``,
    ``Zre (ohms)``, ``-Im(Z)/Ohm``, ``Z"/ohm``); ``-`` before the imaginary
    name means the file stores ``-Z''``. Without a header, three columns are
    read as ``f, Z', Z''`` (more need ``columns``); when
    more than 80 % of the imaginary values are positive, the column is taken
    to be ``-Z''`` (a passive sample is mostly capacitive) and
    ``metadata["imag_sign_inferred"]`` says so.
    """
    lines = read_lines(path)
    start = next((i for i, line in enumerate(lines) if _is_numeric_line(line)), None)
    if start is None:
        raise FormatError("no table of at least 3 numeric columns found", path=path)
    delimiter = guess_delimiter(lines[start])
    data_fields = split_fields(lines[start], delimiter)
    decimal_comma = delimiter != "," and _has_decimal_comma(data_fields)
    metadata: dict[str, Any] = {"format": fmt}
    header_index = next((i for i in range(start - 1, -1, -1) if lines[i].strip()), None)
    names = None
    if header_index is not None:
        for delim in (delimiter, "\t", ",", ";", None):
            candidate = split_fields(lines[header_index], delim)
            if len(candidate) == len(data_fields):
                names = candidate
                break
    for line in lines[: header_index or 0]:
        for sep in (" = ", " : ", ": ", "\t"):
            if sep in line:
                key, _, value = line.partition(sep)
                if key.strip():
                    metadata[key.strip()] = value.strip()
                break
    if columns is not None:
        f_col, re_col, im_col, sign = _mapped_columns(columns, names, path)
    elif names is not None:
        found = _columns_from_names(names)
        if found is None:
            raise FormatError(f"header {names} does not name frequency, Z' and Z'' columns "
                              "(pass columns=)", path=path, line=header_index + 1)
        f_col, re_col, im_col, sign = found
    elif len(data_fields) == 3:
        f_col, re_col, im_col, sign = 0, 1, 2, 1.0
    else:
        raise FormatError(f"{len(data_fields)} unnamed columns: which are f, Z', Z''? "
                          "(pass columns=)", path=path, line=start + 1)
    values, line_numbers = numeric_rows(
        lines, start, path=path, delimiter=delimiter, decimal_comma=decimal_comma,
        columns=[f_col, re_col, im_col], n_fields=len(data_fields),
    )
    for index in range(int(line_numbers[-1]), len(lines)):
        if lines[index].strip():
            raise FormatError("text after the end of the table", path=path, line=index + 1)
    imag = sign * values[:, 2]
    if names is None and columns is None and np.mean(imag > 0) > 0.8:
        imag = -imag
        metadata["imag_sign_inferred"] = "third column read as -Z'' (mostly positive)"
    if names is not None:
        metadata["columns"] = [names[f_col], names[re_col], names[im_col]]
    return RawTable(values[:, 0], values[:, 1] + 1j * imag, line_numbers, metadata)


def parse_gamry(path: Path) -> RawTable:
    """Gamry Framework ``.DTA`` (EXPLAIN format): the ``ZCURVE`` table.

    Header lines ``KEY<TAB>TYPE<TAB>VALUE`` become metadata. ``Zimag`` is
    already ``Z''`` in the physics convention. Comma decimals are accepted.
    A run stopped early carries ``EXPERIMENTABORTED``; its points up to the
    abort are returned and ``metadata["aborted"]`` is True.
    """
    lines = read_lines(path)
    if not lines[0].strip().startswith("EXPLAIN"):
        raise FormatError("not a Gamry EXPLAIN file (first line is not 'EXPLAIN')", path=path, line=1)
    metadata: dict[str, Any] = {"format": "gamry", "aborted": False}
    table = None
    for index, line in enumerate(lines):
        fields = line.split("\t")
        if fields[0] == "ZCURVE":
            table = index
            break
        if fields[0] and len(fields) >= 3:
            metadata[fields[0]] = fields[2].strip()
    if table is None:
        raise FormatError("no ZCURVE table (not an impedance run)", path=path)
    metadata["aborted"] = any(line.startswith("EXPERIMENTABORTED") for line in lines)
    if table + 3 >= len(lines):
        raise FormatError("ZCURVE table has no rows (truncated file?)", path=path, line=table + 1)
    names = lines[table + 1].split()
    try:
        cols = [names.index("Freq"), names.index("Zreal"), names.index("Zimag")]
    except ValueError:
        raise FormatError(f"ZCURVE columns {names} lack Freq/Zreal/Zimag", path=path,
                          line=table + 2) from None
    first = table + 3
    decimal_comma = _has_decimal_comma(lines[first].split())
    values, line_numbers = numeric_rows(
        lines, first, path=path, delimiter=None, decimal_comma=decimal_comma, columns=cols,
        n_fields=len(names), stop=lambda text: not text[:1].isspace(),
    )
    return RawTable(values[:, 0], values[:, 1] + 1j * values[:, 2], line_numbers, metadata)


def parse_biologic_mpt(path: Path) -> RawTable:
    """BioLogic EC-Lab text export ``.mpt`` (``freq/Hz``, ``Re(Z)/Ohm``, ``-Im(Z)/Ohm``).

    The second line gives the number of header lines; ``key : value`` header
    lines become metadata. ``-Im(Z)`` is negated to ``Z''``.
    """
    lines = read_lines(path)
    if not lines[0].startswith("EC-Lab ASCII FILE"):
        raise FormatError("not an EC-Lab ASCII file", path=path, line=1)
    metadata: dict[str, Any] = {"format": "biologic-mpt"}
    if len(lines) < 2 or "Nb header lines" not in lines[1]:
        raise FormatError("no 'Nb header lines' line", path=path, line=2)
    try:
        n_header = int(lines[1].split(":")[1])
    except (IndexError, ValueError):
        raise FormatError("unreadable 'Nb header lines' count", path=path, line=2) from None
    if n_header < 2 or n_header >= len(lines):
        raise FormatError(f"header of {n_header} lines but the file has {len(lines)} (truncated?)",
                          path=path, line=len(lines))
    for line in lines[2 : n_header - 1]:
        key, sep, value = line.partition(" : ")
        if sep and key.strip():
            metadata[key.strip()] = value.strip()
    names = split_fields(lines[n_header - 1], "\t")
    try:
        cols = [names.index("freq/Hz"), names.index("Re(Z)/Ohm"), names.index("-Im(Z)/Ohm")]
    except ValueError:
        raise FormatError("no freq/Hz, Re(Z)/Ohm, -Im(Z)/Ohm columns (not an impedance run)",
                          path=path, line=n_header) from None
    decimal_comma = _has_decimal_comma(split_fields(lines[n_header], "\t"))
    values, line_numbers = numeric_rows(
        lines, n_header, path=path, delimiter="\t", decimal_comma=decimal_comma, columns=cols,
        n_fields=len(names),
    )
    if line_numbers[-1] < len(lines) and any(s.strip() for s in lines[line_numbers[-1]:]):
        raise FormatError("blank line inside the data table", path=path, line=int(line_numbers[-1]) + 1)
    return RawTable(values[:, 0], values[:, 1] - 1j * values[:, 2], line_numbers, metadata)


def parse_biologic_mpr(path: Path) -> RawTable:
    """BioLogic EC-Lab binary ``.mpr``, opened with galvani by the cycling reader's
    :func:`echem.cycling.readers.biologic.open_mpr` (Kerr et al., galvani).

    Raises
    ------
    FormatError
        Wrong magic bytes, or galvani cannot parse the file (truncation, a layout it cannot
        decode), or no impedance columns.
    """
    from echem.cycling.readers.biologic import open_mpr

    data, opened = open_mpr(path)
    names = data.dtype.names or ()
    missing = [c for c in ("freq/Hz", "Re(Z)/Ohm", "-Im(Z)/Ohm") if c not in names]
    if missing:
        raise FormatError(f"no impedance columns {missing} (not an impedance run)", path=path)
    metadata: dict[str, Any] = {"format": "biologic-mpr", "columns": list(names)}
    metadata.update({k: opened[k] for k in ("startdate", "enddate", "version") if k in opened})
    f = np.asarray(data["freq/Hz"], dtype=float)
    z = np.asarray(data["Re(Z)/Ohm"], dtype=float) - 1j * np.asarray(data["-Im(Z)/Ohm"], dtype=float)
    return RawTable(f, z, np.zeros(f.size, dtype=int), metadata)


def parse_zview(path: Path) -> RawTable:
    """Scribner ZPlot/ZView ``.z`` and the Z60W layout of Autolab/NOVA text exports.

    Columns ``Freq(Hz), Ampl, Bias, Time(Sec), Z'(a), Z''(b), ...``; ``Z''(b)``
    is ``Z''`` (physics convention). The table starts after ``End Comments``
    (ZPlot) or after the header line naming ``Freq``. A Z60W file states its
    number of points, which is checked.
    """
    lines = read_lines(path)
    metadata: dict[str, Any] = {"format": "zview"}
    start = next((i + 1 for i, line in enumerate(lines) if line.strip() == "End Comments"), None)
    declared = None
    if start is None:
        header = next((i for i, line in enumerate(lines) if "Freq" in line and "Z'" in line), None)
        if header is None:
            raise FormatError("no 'End Comments' line and no Freq/Z' header", path=path)
        start = header + 1
        if header >= 1 and lines[header - 1].strip().isdigit():
            declared = int(lines[header - 1].strip())
            metadata["format"] = "autolab"
    for line in lines[:start]:
        key, sep, value = line.partition(":")
        if sep and key.strip() and value.strip():
            metadata[key.strip()] = value.strip()
    if start >= len(lines):
        raise FormatError("no data rows (truncated file?)", path=path, line=len(lines))
    delimiter = "," if "," in lines[start] and "\t" not in lines[start] else "\t"
    values, line_numbers = numeric_rows(
        lines, start, path=path, delimiter=delimiter, decimal_comma=False, columns=[0, 4, 5],
        n_fields=len(split_fields(lines[start], delimiter)),
    )
    if declared is not None and declared != len(values):
        raise FormatError(f"header declares {declared} points, file has {len(values)} (truncated?)",
                          path=path, line=int(line_numbers[-1]))
    return RawTable(values[:, 0], values[:, 1] + 1j * values[:, 2], line_numbers, metadata)


def parse_ivium_idf(path: Path) -> RawTable:
    """IviumSoft data file (``.idf``) of an impedance measurement.

    The file is a ``key=value`` settings header (``Method=Impedance``, ``Title=``, ...), a
    short binary marker, then a ``Data Objects`` block. Its ``primary_data`` object gives the
    number of columns (3), the number of rows, then one row per frequency: ``Z'`` (ohm),
    ``Z''`` (ohm, physics sign: negative for a capacitive response) and the frequency (Hz),
    separated by white space. The row count is checked, so a cut file is refused.
    """
    raw = read_bytes(path)
    if not raw.strip():
        raise FormatError("file is empty", path=path)
    lines = raw.decode("latin-1").replace("\r\r\n", "\n").splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == "primary_data"), None)
    if start is None or start + 2 >= len(lines):
        raise FormatError("no 'primary_data' object: not an Ivium data file, or truncated", path=path)
    metadata: dict[str, Any] = {"format": "ivium-idf"}
    for line in lines[:start]:
        key, sep, value = line.partition("=")
        if sep and key.strip() in ("Method", "Technique", "Title", "starttime", "endtime", "serialnumber",
                                   "software") and value.strip():
            metadata[key.strip()] = value.strip()
    if metadata.get("Method", "Impedance") != "Impedance":
        raise FormatError(f"Ivium method {metadata['Method']!r} is not an impedance measurement", path=path)
    try:
        n_columns, n_rows = int(lines[start + 1]), int(lines[start + 2])
    except ValueError:
        raise FormatError("primary_data does not start with its column and row counts", path=path,
                          line=start + 2) from None
    if n_columns != 3:
        raise FormatError(f"primary_data has {n_columns} columns; an impedance table has 3 (Z', Z'', f)",
                          path=path, line=start + 2)
    first = start + 3
    if first + n_rows > len(lines):
        raise FormatError(f"primary_data declares {n_rows} rows, the file ends after {len(lines) - first}"
                          " (truncated?)", path=path, line=len(lines))
    values, line_numbers = numeric_rows(lines[:first + n_rows], first, path=path, delimiter=None,
                                        decimal_comma=False, columns=[0, 1, 2], n_fields=3)
    if len(values) != n_rows:
        raise FormatError(f"primary_data declares {n_rows} rows, {len(values)} found", path=path,
                          line=int(line_numbers[-1]) + 1)
    return RawTable(values[:, 2], values[:, 0] + 1j * values[:, 1], line_numbers, metadata)


def parse_xlsx(path: Path, *, columns: dict | None = None, sheet=0) -> RawTable:
    """An Excel workbook sheet with named columns (read with pandas/openpyxl)."""
    import pandas as pd

    try:
        frame = pd.read_excel(path, sheet_name=sheet)
    except Exception as exc:  # noqa: BLE001 - openpyxl/zipfile raise many types on bad input
        raise FormatError(f"cannot read workbook: {type(exc).__name__}: {exc}", path=path) from None
    names = [str(c) for c in frame.columns]
    if columns is not None:
        cols = _mapped_columns(columns, names, path)
    else:
        cols = _columns_from_names(names)
        if cols is None:
            raise FormatError(f"sheet columns {names} lack frequency, Z', Z''", path=path)
    f_col, re_col, im_col, sign = cols
    try:
        values = frame.iloc[:, [f_col, re_col, im_col]].to_numpy(dtype=float)
    except (ValueError, TypeError) as exc:
        raise FormatError(f"non-numeric cells: {exc}", path=path) from None
    lines = np.arange(2, len(values) + 2)
    meta = {"format": "xlsx", "sheet": sheet, "columns": [names[f_col], names[re_col], names[im_col]]}
    return RawTable(values[:, 0], values[:, 1] + 1j * sign * values[:, 2], lines, meta)
