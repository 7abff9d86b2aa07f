"""``read_eis``: one entry point for every impedance file format.

A registry maps format names to parsers (:mod:`echem.eis.formats`); the
format is found from the file's content (magic bytes, first lines) and then
its extension. The parser's rows are then checked the same way for every
format: rows at zero frequency (the rest/OCV rows some instruments log into
the same table) are dropped and counted in the metadata, NaN/inf or negative
frequencies raise :class:`FormatError` naming the line, and the points are
numbered into frequency sweeps (a new sweep starts where the sweep
direction reverses).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from echem.eis.data import EISData
from echem.eis.formats import (
    RawTable,
    parse_biologic_mpr,
    parse_biologic_mpt,
    parse_gamry,
    parse_ivium_idf,
    parse_table,
    parse_xlsx,
    parse_zview,
)
from ssbkit._shared.finite import ABSURD_MAGNITUDE
from ssbkit._shared.limits import check_size, check_zip, regular_file
from ssbkit.errors import FormatError

__all__ = ["FORMATS", "read_eis"]

#: format name -> parser(path, columns) -> RawTable
FORMATS: dict[str, Callable[[Path, dict | None], RawTable]] = {
    "csv": lambda path, columns: parse_table(path, columns=columns),
    "chi": lambda path, columns: parse_table(path, columns=columns, fmt="chi"),
    "gamry": lambda path, columns: parse_gamry(path),
    "biologic-mpt": lambda path, columns: parse_biologic_mpt(path),
    "biologic-mpr": lambda path, columns: parse_biologic_mpr(path),
    "zview": lambda path, columns: parse_zview(path),
    "autolab": lambda path, columns: parse_zview(path),
    "xlsx": lambda path, columns: parse_xlsx(path, columns=columns),
    "ivium-idf": lambda path, columns: parse_ivium_idf(path),
}

_UNSUPPORTED = {
    ".xls": "legacy Excel .xls is not supported; save as .xlsx or csv",
}


def _sniff(path: Path) -> str:
    with open(path, "rb") as handle:
        head = handle.read(2048)
    suffix = path.suffix.lower()
    if head.startswith(b"BIO-LOGIC MODULAR FILE") or suffix == ".mpr":
        return "biologic-mpr"
    if head.startswith(b"PK\x03\x04") and suffix == ".xlsx":
        return "xlsx"
    if suffix == ".idf":
        return "ivium-idf"
    if suffix in _UNSUPPORTED:
        raise FormatError(_UNSUPPORTED[suffix], path=path)
    text = head.removeprefix(b"\xef\xbb\xbf").decode("latin-1")
    first = text.splitlines()[0].strip().strip('"') if text.strip() else ""
    if first.startswith("EC-Lab ASCII FILE"):
        return "biologic-mpt"
    if first.startswith("EXPLAIN"):
        return "gamry"
    if first.startswith("ZPLOT2 ASCII") or suffix == ".z":
        return "zview"
    if "Data File" in first and "Freq" in text:
        return "autolab"
    if "A.C. Impedance" in "\n".join(text.splitlines()[:3]):
        return "chi"
    if suffix == ".xlsx":
        raise FormatError("not an Excel workbook (no zip signature)", path=path, offset=0)
    return "csv"


def _sweeps(frequency_hz: np.ndarray) -> np.ndarray:
    """Sweep number of each point: a new sweep starts where the direction reverses."""
    sweep = np.zeros(frequency_hz.size, dtype=int)
    if frequency_hz.size < 3:
        return sweep
    steps = np.diff(frequency_hz)
    direction = np.sign(steps[np.nonzero(steps)[0][0]]) if np.any(steps) else 0.0
    current = 0
    for index, step in enumerate(steps, start=1):
        if step * direction < 0:
            current += 1
        sweep[index] = current
    return sweep


def _finish(raw: RawTable, path: Path) -> EISData:
    f, z, line = raw.frequency_hz, raw.z_ohm, raw.line
    metadata = dict(raw.metadata)
    bad = ~(np.isfinite(f) & np.isfinite(z.real) & np.isfinite(z.imag))
    if np.any(bad):
        where = int(np.argmax(bad))
        raise FormatError("NaN or infinite value in frequency or impedance", path=path,
                          line=int(line[where]) or None)
    with np.errstate(over="ignore"):
        absurd = (np.abs(f) >= ABSURD_MAGNITUDE) | (np.abs(z) >= ABSURD_MAGNITUDE)
    if np.any(absurd):
        where = int(np.argmax(absurd))
        raise FormatError(f"absurd value (|value| >= {ABSURD_MAGNITUDE:g}) in frequency or impedance",
                          path=path, line=int(line[where]) or None)
    if np.any(f < 0):
        where = int(np.argmax(f < 0))
        raise FormatError("negative frequency", path=path, line=int(line[where]) or None)
    zero = f == 0
    if np.any(zero):
        metadata["dropped_zero_frequency_rows"] = int(zero.sum())
        f, z, line = f[~zero], z[~zero], line[~zero]
    if f.size == 0:
        raise FormatError("no impedance points (every row is at zero frequency)", path=path)
    if not np.any(z):
        raise FormatError(f"every impedance value is zero ({z.size} points): no measurement", path=path)
    sweep = _sweeps(f)
    for k in np.unique(sweep):
        fk = f[sweep == k]
        if fk.size > 1 and np.any(np.diff(fk) == 0):
            index = int(np.flatnonzero(sweep == k)[np.argmax(np.diff(fk) == 0) + 1])
            metadata.setdefault("repeated_frequency_rows", []).append(int(line[index]))
    metadata["n_sweeps"] = int(sweep.max() + 1)
    return EISData(f, z, sweep, str(path), metadata)


def read_eis(path, *, format: str | None = None, columns: dict | None = None) -> EISData:
    """Read an impedance spectrum from a file of any supported format.

    Parameters
    ----------
    path : str or Path
        The file. It is only read.
    format : {None, "csv", "chi", "gamry", "biologic-mpt", "biologic-mpr", "zview", "autolab", "xlsx", "ivium-idf"}
        Force a format; None detects it from content and extension.
        ``"csv"`` is any delimited text table (also PowerSuite, Parstat,
        pyDRTtools text files); ``"chi"`` is a CH Instruments text export;
        ``"autolab"`` the Z60W text export of Autolab/NOVA; ``"zview"``
        Scribner ZPlot/ZView ``.z``; ``"ivium-idf"`` an IviumSoft ``.idf`` data file.
    columns : dict, optional
        For ``csv``/``xlsx``: which columns hold the data, keys
        ``"frequency_hz"``, ``"z_real_ohm"`` and one of ``"z_imag_ohm"`` /
        ``"minus_z_imag_ohm"``, values column names or 0-based indexes.

    Returns
    -------
    EISData
        ``frequency_hz`` (Hz), ``z_ohm`` (complex, Ohm, ``Z'' < 0`` for a
        capacitive arc whatever the file stored), ``sweep`` numbers,
        ``source`` and ``metadata`` (with ``"format"``).

    Raises
    ------
    FormatError
        Unsupported, foreign, truncated or broken file, naming the file and
        the line (or byte offset); a directory or special file; a file larger
        than ``ssbkit._shared.limits.MAX_FILE_BYTES`` (checked before it is
        read) or a workbook inflating beyond ``MAX_UNCOMPRESSED_BYTES``;
        NaN, infinite or absurd (|value| >= 1e100) numbers; a spectrum whose
        impedance is zero everywhere; a missing file ("no such file"), as every ssbkit reader.
    ValueError
        For an unknown ``format`` or a bad ``columns`` mapping.

    Examples
    --------
    >>> data = read_eis("spectrum.mpt")  # doctest: +SKIP
    >>> data.frequency_hz[0], data.z_ohm[0]  # doctest: +SKIP
    """
    path = Path(path)
    if format is not None and format not in FORMATS:
        raise ValueError(f"format={format!r} is not one of {sorted(FORMATS)} (or None)")
    path = regular_file(path)
    if check_size(path) == 0:  # every format is parsed whole: bounded by limits.MAX_FILE_BYTES
        raise FormatError("file is empty", path=path)
    name = format or _sniff(path)
    if name == "xlsx":
        check_zip(path)  # the workbook's members are inflated whole by openpyxl
    raw = FORMATS[name](path, columns)
    data = _finish(raw, path)
    data.metadata.setdefault("format", name)
    return data
