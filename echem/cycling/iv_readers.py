"""Readers of current-voltage sweeps: EC-Lab ``.mpr``/``.mpt``, Gamry ``.dta``, mapped csv."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from echem.cycling.readers.biologic import open_mpr, open_mpt
from echem.cycling.readers.tables import head_lines, numeric, pick, read_table, split_fields
from ssbkit._shared.finite import drop_nonfinite_rows
from ssbkit._shared.limits import check_size, regular_file
from ssbkit.errors import FormatError

__all__ = ["IV_FORMATS", "IVData", "read_iv"]

IV_FORMATS = ("biologic_mpr", "biologic_mpt", "gamry_dta", "csv")
_IV_KEYS = ("voltage_v", "current_a", "time_s")


@dataclass(frozen=True)
class IVData:
    """A current-voltage record.

    Attributes
    ----------
    voltage_v : numpy.ndarray
        Applied or measured voltage, V, in record order.
    current_a : numpy.ndarray
        Current, A.
    time_s : numpy.ndarray or None
        Time, s, when the file has it.
    source, format : str
    metadata : dict
    """

    voltage_v: np.ndarray
    current_a: np.ndarray
    time_s: np.ndarray | None = None
    source: str = ""
    format: str = ""
    metadata: dict = field(default_factory=dict)


def _biologic(columns, get, path, fmt, metadata) -> IVData:
    volt = pick(columns, "Ewe/V", "<Ewe>/V", "Ecell/V", "control/V")
    current = pick(columns, "I/mA", "<I>/mA")
    if volt is None or current is None:
        raise FormatError("no Ewe/V and I/mA columns for an I-V record", path=path)
    time = pick(columns, "time/s")
    return IVData(get(volt), get(current) / 1000.0, None if time is None else get(time), str(path), fmt, metadata)


def _read_mpr(path: Path) -> IVData:
    data, metadata = open_mpr(path)
    return _biologic(data.dtype.names, lambda n: np.asarray(data[n], dtype=float), path, "biologic_mpr", metadata)


def _read_mpt(path: Path) -> IVData:
    frame, metadata = open_mpt(path)
    return _biologic(
        list(frame.columns), lambda n: numeric(frame[n], what=n, path=path), path, "biologic_mpt", metadata
    )


def _read_gamry(path: Path) -> IVData:
    """Gamry EXPLAIN ``.dta``: every ``CURVEn TABLE`` block, concatenated (T s, Vf V, Im A)."""
    with open(path, encoding="latin-1") as handle:
        lines = handle.read().splitlines()
    if not lines or lines[0].strip() != "EXPLAIN":
        raise FormatError("not a Gamry EXPLAIN .dta file (first line is not 'EXPLAIN')", path=path, line=1)
    rows, header, metadata = [], None, {"vendor": "Gamry"}
    index = 0
    while index < len(lines):
        fields = lines[index].split("\t")
        if len(fields) >= 2 and fields[0].startswith("CURVE") and fields[1] == "TABLE":
            names = [f.strip() for f in lines[index + 1].split("\t")[1:]]
            if header is None:
                header = names
            elif names != header:
                raise FormatError("curve tables with different columns", path=path, line=index + 2)
            index += 3
            while index < len(lines) and lines[index].startswith("\t"):
                rows.append((index + 1, lines[index].split("\t")[1:]))
                index += 1
            continue
        if len(fields) >= 3 and fields[0] in ("TAG", "DATE", "TIME", "SCANRATE", "VLIMIT1", "VLIMIT2"):
            metadata[fields[0].lower()] = fields[2] if fields[1] in ("LABEL", "POTEN", "QUANT") else fields[1]
        index += 1
    if header is None or not rows:
        raise FormatError("no CURVE TABLE with data", path=path)
    try:
        cols = {name: header.index(name) for name in ("T", "Vf", "Im")}
    except ValueError as exc:
        raise FormatError(f"curve table lacks T, Vf or Im (has {header})", path=path) from exc
    values = np.empty((len(rows), 3))
    for k, (line_no, fields) in enumerate(rows):
        try:
            values[k] = [float(fields[cols[name]]) for name in ("T", "Vf", "Im")]
        except (ValueError, IndexError) as exc:
            raise FormatError(f"bad data row ({exc})", path=path, line=line_no) from exc
    return IVData(values[:, 1], values[:, 2], values[:, 0], str(path), "gamry_dta", metadata)


def _read_csv(path: Path, columns: dict) -> IVData:
    if not isinstance(columns, dict) or not {"voltage_v", "current_a"} <= set(columns):
        raise ValueError("format='csv' needs columns={'voltage_v': name, 'current_a': name[, 'time_s': name]}")
    bad = set(columns) - set(_IV_KEYS)
    if bad:
        raise ValueError(f"columns keys {sorted(bad)} are not allowed; use {_IV_KEYS}")
    spec = {k: (v, 1.0) if isinstance(v, str) else (v[0], float(v[1])) for k, v in columns.items()}
    names = [name for name, _ in spec.values()]
    lines = head_lines(path, 100)
    for index, line in enumerate(lines):
        for sep in (",", ";", "\t"):
            if set(names) <= set(split_fields(line, sep)):
                frame = read_table(path, header=index, sep=sep)
                frame.columns = [c.strip('"') for c in frame.columns]
                got = {k: numeric(frame[n], what=n, path=path) * f for k, (n, f) in spec.items()}
                return IVData(
                    got["voltage_v"],
                    got["current_a"],
                    got.get("time_s"),
                    str(path),
                    "csv",
                    {"columns": {k: list(v) for k, v in spec.items()}},
                )
    raise FormatError(f"no header line holding the columns {names}", path=path)


def read_iv(path, *, format: str | None = None, columns: dict | None = None) -> IVData:
    """Read a current-voltage sweep (LSV, CV or an in-situ bias sweep).

    Parameters
    ----------
    path : str or path-like
        The file (never changed).
    format : {"biologic_mpr", "biologic_mpt", "gamry_dta", "csv"}, optional
        Judged from the content when omitted.
    columns : dict, optional
        For ``format="csv"``: ``voltage_v``, ``current_a`` (and optionally
        ``time_s``) -> column name or ``(name, factor to V / A / s)``.

    Returns
    -------
    IVData

    Raises
    ------
    FormatError
        For a missing file, a directory, a foreign or broken file, one above
        ``ssbkit._shared.limits.MAX_FILE_BYTES``, or one without a single
        finite record.
    ValueError
        For a bad ``format`` or ``columns``.

    Warns
    -----
    ssbkit._shared.NonFiniteWarning
        When records holding NaN, ±inf or absurd numbers were dropped (how
        many and which; counted in ``metadata["dropped_nonfinite_records"]``).

    Notes
    -----
    Reader contract (all ssbkit readers): the file is only read, never
    written; memory is bounded by the documented limits of
    :mod:`ssbkit._shared.limits`; the returned arrays are finite, or
    :class:`~ssbkit.errors.FormatError` is raised.
    """
    if format is not None and format not in IV_FORMATS:
        raise ValueError(f"format={format!r} is not supported; use one of {IV_FORMATS}")
    path = regular_file(path)
    check_size(path)  # every I-V format is parsed whole: bounded by limits.MAX_FILE_BYTES
    if columns is not None or format == "csv":
        return _finite_records(_read_csv(path, columns), path)
    with open(path, "rb") as handle:
        head = handle.read(64)
    if format == "biologic_mpr" or head.startswith(b"BIO-LOGIC MODULAR FILE"):
        data = _read_mpr(path)
    elif format == "biologic_mpt" or head.startswith(b"EC-Lab ASCII FILE"):
        data = _read_mpt(path)
    elif format == "gamry_dta" or head.startswith(b"EXPLAIN"):
        data = _read_gamry(path)
    else:
        raise FormatError(f"unknown I-V format; give format= one of {IV_FORMATS}", path=path)
    return _finite_records(data, path)


def _finite_records(data: IVData, path: Path) -> IVData:
    """``data`` without the records holding NaN, ±inf or absurd values (with a NonFiniteWarning)."""
    keep = drop_nonfinite_rows(
        {"voltage_v": data.voltage_v, "current_a": data.current_a, "time_s": data.time_s}, path=path, what="record"
    )
    if not keep.any():
        raise FormatError("no record with a finite voltage and current", path=path)
    if keep.all():
        return data
    return dataclasses.replace(
        data,
        voltage_v=np.asarray(data.voltage_v)[keep],
        current_a=np.asarray(data.current_a)[keep],
        time_s=None if data.time_s is None else np.asarray(data.time_s)[keep],
        metadata={**data.metadata, "dropped_nonfinite_records": int((~keep).sum())},
    )
