"""BioLogic EC-Lab files: binary ``.mpr`` (through galvani) and ``.mpt`` text exports.

EC-Lab column conventions (PHYSICS.md, echem - cycling): ``cycle number``
starts at 0 in GCPL files (1 in CV files), ``(Q-Qo)/mA.h`` is the cumulative
signed charge, ``dq/mA.h`` the per-record increment, ``Ns`` the sequence
(step) index; current is positive on oxidation of the working electrode,
i.e. on charge of a cathode.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from echem.cycling.canonical import build_cycling_data
from echem.cycling.data import CyclingData
from echem.cycling.readers.tables import head_lines, numeric, pick, read_table
from ssbkit.errors import FormatError

__all__ = ["biologic_columns", "read_biologic_mpr", "read_biologic_mpt"]

_MPR_MAGIC = b"BIO-LOGIC MODULAR FILE"


def biologic_columns(columns, get, *, path, format: str, metadata: dict, first_half_cycle: str) -> CyclingData:
    """Canonical data from EC-Lab column names.

    Parameters
    ----------
    columns : sequence of str
        The EC-Lab column names present.
    get : callable
        ``get(name) -> numpy.ndarray`` for a present column.
    path : Path
        The file, for messages and ``source``.
    format, metadata, first_half_cycle
        Passed on to :func:`~echem.cycling.canonical.build_cycling_data`.
    """
    time_col = pick(columns, "time/s")
    volt_col = pick(columns, "Ewe/V", "<Ewe>/V", "Ecell/V", "<Ecell>/V")
    if time_col is None or volt_col is None:
        raise FormatError(
            f"not a cycling record: no time/s or Ewe/V column (columns: {', '.join(map(str, columns))})",
            path=path,
        )
    current = None
    current_col = pick(columns, "I/mA", "<I>/mA", "control/mA")
    if current_col is not None and current_col != "control/mA":
        current = get(current_col)
    capacity = {}
    if (col := pick(columns, "(Q-Qo)/mA.h")) is not None:
        capacity["signed_capacity_mah"] = get(col)
    elif (col := pick(columns, "(Q-Qo)/C")) is not None:
        capacity["signed_capacity_mah"] = get(col) / 3.6
    elif (col := pick(columns, "dq/mA.h", "dQ/mA.h")) is not None:
        capacity["signed_capacity_mah"] = np.nancumsum(get(col))
    elif (col := pick(columns, "dQ/C", "dq/C")) is not None:
        capacity["signed_capacity_mah"] = np.nancumsum(get(col)) / 3.6
    if current is None and not capacity:
        raise FormatError("neither a current nor a charge column", path=path)
    cycle = None
    cycle_base = 1
    if (col := pick(columns, "cycle number")) is not None:
        cycle = get(col)
        cycle_base = 0 if np.any(cycle == 0) else 1
    step_col = pick(columns, "Ns")
    return build_cycling_data(
        time_s=get(time_col),
        voltage_v=get(volt_col),
        current_ma=current,
        cycle=cycle,
        cycle_base=cycle_base,
        step=None if step_col is None else get(step_col),
        source=str(path),
        format=format,
        metadata=metadata,
        first_half_cycle=first_half_cycle,
        **capacity,
    )


def open_mpr(path: Path) -> tuple[np.ndarray, dict]:
    """Records (numpy structured array) and metadata of an EC-Lab ``.mpr`` file, via galvani.

    The datalab-org fork of galvani (0.6) reads columns whose ID it does not know as 8-byte
    floats and warns (``UserWarning``: "Unknown column ID ..."); the original galvani 0.5
    raised instead (its issues #112, #126). A file it still cannot read raises
    :class:`FormatError` advising a ``.mpt`` export.

    Raises
    ------
    FormatError
        For a file without the BioLogic magic bytes, one galvani cannot decode,
        or a broken or truncated file.
    """
    with open(path, "rb") as handle:
        magic = handle.read(len(_MPR_MAGIC))
    if magic != _MPR_MAGIC:
        raise FormatError("not a BioLogic .mpr file (missing 'BIO-LOGIC MODULAR FILE' header)", path=path, offset=0)
    from galvani import BioLogic

    try:
        with open(path, "rb") as handle:  # galvani leaves a file it opened itself unclosed
            mpr = BioLogic.MPRfile(handle)
    except NotImplementedError as exc:
        raise FormatError(
            f"galvani cannot read this EC-Lab version ({exc}); export the file as .mpt from EC-Lab and read that",
            path=path,
        ) from exc
    except Exception as exc:  # galvani raises many types (a bare assert, struct errors) on bad input
        raise FormatError(f"broken or truncated .mpr file ({type(exc).__name__}: {exc})", path=path) from exc
    metadata = {"vendor": "BioLogic", "reader": "galvani"}
    for attr in ("startdate", "enddate", "timestamp", "version"):
        value = getattr(mpr, attr, None)
        if value is not None:
            metadata[attr] = str(value)
    return mpr.data, metadata


def read_biologic_mpr(path: Path, *, first_half_cycle: str = "charge") -> CyclingData:
    """Read an EC-Lab ``.mpr`` file with galvani (see :func:`open_mpr`).

    Parameters
    ----------
    path : Path
        The ``.mpr`` file.
    first_half_cycle : {"charge", "discharge"}
        Convention for cycles derived from the current sign (GCPL files
        carry no cycle number).

    Returns
    -------
    CyclingData
    """
    data, metadata = open_mpr(path)

    def get(name):
        return np.asarray(data[name], dtype=float)

    return biologic_columns(
        data.dtype.names, get, path=path, format="biologic_mpr", metadata=metadata, first_half_cycle=first_half_cycle
    )


def open_mpt(path: Path) -> tuple[pd.DataFrame, dict]:
    """Data table and metadata of an EC-Lab ``.mpt`` text export.

    The header's ``Nb header lines : N`` gives the line of the column names
    (line N); decimals may be ``.`` or ``,``.

    Raises
    ------
    FormatError
        For a file that is not an EC-Lab export, a bad header or no data.
    """
    lines = head_lines(path, 3)
    if not lines or not lines[0].startswith("EC-Lab ASCII FILE"):
        raise FormatError("not an EC-Lab .mpt file (first line is not 'EC-Lab ASCII FILE')", path=path, line=1)
    if len(lines) < 2 or "Nb header lines" not in lines[1]:
        raise FormatError("missing 'Nb header lines' in the .mpt header", path=path, line=2)
    try:
        n_header = int(lines[1].split(":")[1])
    except (IndexError, ValueError) as exc:
        raise FormatError(f"bad header-line count {lines[1]!r}", path=path, line=2) from exc
    header = head_lines(path, n_header + 1)
    if len(header) <= n_header:
        raise FormatError("the .mpt file has a header but no data", path=path, line=n_header)
    metadata = {"vendor": "BioLogic", "technique": header[3].strip() if len(header) > 3 else ""}
    decimal = "," if "," in header[n_header] else "."
    frame = read_table(path, header=n_header - 1, sep="\t", decimal=decimal)
    frame = frame.loc[:, [c for c in frame.columns if not c.startswith("Unnamed")]]
    return frame, metadata


def read_biologic_mpt(path: Path, *, first_half_cycle: str = "charge") -> CyclingData:
    """Read an EC-Lab ``.mpt`` text export (tab-separated, '.' or ',' decimals).

    Parameters
    ----------
    path : Path
        The ``.mpt`` file.
    first_half_cycle : {"charge", "discharge"}
        Convention for cycles derived from the current sign (files without
        a ``cycle number`` column).

    Returns
    -------
    CyclingData
    """
    frame, metadata = open_mpt(path)

    def get(name):
        return numeric(frame[name], what=name, path=path)

    return biologic_columns(
        list(frame.columns), get, path=path, format="biologic_mpt", metadata=metadata, first_half_cycle=first_half_cycle
    )
