"""Arbin files: MITS Pro csv exports and ``.res`` (MS Access) databases.

Arbin counts current positive on charge; ``Charge_Capacity`` and
``Discharge_Capacity`` are counters (Ah) that restart every cycle and
``Cycle_Index`` is 1-based. ``.res`` files are read with the pure-Python
``access-parser`` package (table ``Channel_Normal_Table``).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from echem.cycling.canonical import build_cycling_data
from echem.cycling.data import CyclingData
from echem.cycling.readers.tables import head_lines, numeric, read_table, unit_factor
from ssbkit.errors import FormatError

__all__ = ["is_arbin_header", "is_arbin_metadata", "read_arbin_csv", "read_arbin_res"]

_ACCESS_MAGIC = b"Standard Jet DB"
_RES_COLUMNS = ("Data_Point", "Test_Time", "Step_Index", "Cycle_Index", "Current", "Voltage", "Charge_Capacity",
                "Discharge_Capacity")
#: canonical key -> (Arbin column stem, unit when the column name has none)
_COLUMNS = {
    "time_s": ("Test_Time", "s"),
    "voltage_v": ("Voltage", "V"),
    "current_ma": ("Current", "A"),
    "charge": ("Charge_Capacity", "Ah"),
    "discharge": ("Discharge_Capacity", "Ah"),
}
_NAME = re.compile(r"^(?P<stem>[A-Za-z_]+?)\s*(?:\((?P<unit>[^()]*)\))?$")


def is_arbin_header(line: str) -> bool:
    """True for the header line of an Arbin record export."""
    return "Data_Point" in line and "Cycle_Index" in line and "Voltage" in line


def is_arbin_metadata(line: str) -> bool:
    """True for the header of an Arbin ``*_Metadata.csv`` side file."""
    lower = line.lower()
    return "test_id" in lower and "schedule_file_name" in lower and "voltage" not in lower


def _columns(frame: pd.DataFrame, path) -> dict[str, np.ndarray]:
    found: dict[str, np.ndarray] = {}
    for column in frame.columns:
        match = _NAME.match(column)
        if not match:
            continue
        for key, (stem, default_unit) in _COLUMNS.items():
            if match["stem"] == stem and key not in found:
                factor = unit_factor(match["unit"] or default_unit, path=path)
                found[key] = numeric(frame[column], what=column, path=path) * factor
    missing = [stem for key, (stem, _) in _COLUMNS.items() if key not in found]
    if missing:
        raise FormatError(f"Arbin columns missing: {', '.join(missing)}", path=path)
    return found


def _build(frame: pd.DataFrame, path: Path, fmt: str, metadata: dict, first_half_cycle: str) -> CyclingData:
    cols = _columns(frame, path)
    return build_cycling_data(
        time_s=cols["time_s"],
        voltage_v=cols["voltage_v"],
        current_ma=cols["current_ma"],
        cycle=numeric(frame["Cycle_Index"], what="Cycle_Index", path=path),
        cycle_base=1,
        step=numeric(frame["Step_Index"], what="Step_Index", path=path) if "Step_Index" in frame else None,
        charge_counter_mah=cols["charge"],
        discharge_counter_mah=cols["discharge"],
        source=str(path),
        format=fmt,
        metadata=metadata,
        first_half_cycle=first_half_cycle,
    )


def read_arbin_csv(path: Path, *, first_half_cycle: str = "charge") -> CyclingData:
    """Read an Arbin csv export (columns ``Test_Time(s)``, ``Current(A)``, ... or unit-less).

    Parameters
    ----------
    path : Path
        The file (only read).
    columns : dict
        Canonical key -> column name or (name, factor); see :func:`read_mapped`.
    first_half_cycle : {"charge", "discharge"}
        Which half-cycle opens a cycle where cycle numbers are derived.

    Returns
    -------
    CyclingData
    """
    lines = head_lines(path, 20)
    header = next((i for i, line in enumerate(lines) if is_arbin_header(line)), -1)
    if header < 0:
        if lines and is_arbin_metadata(lines[0]):
            raise FormatError(
                "this is an Arbin *_Metadata.csv side file, not a data record; read the data csv", path=path
            )
        raise FormatError("no Arbin header (Data_Point, Cycle_Index, Voltage)", path=path)
    frame = read_table(path, header=header, sep=",")
    return _build(frame, path, "arbin_csv", {"vendor": "Arbin"}, first_half_cycle)


def read_arbin_res(path: Path, *, first_half_cycle: str = "charge") -> CyclingData:
    """Read an Arbin ``.res`` file (MS Access) through ``access-parser``.

    Parameters
    ----------
    path : Path
        The file (only read).
    first_half_cycle : {"charge", "discharge"}
        Which half-cycle opens a cycle where cycle numbers are derived.

    Returns
    -------
    CyclingData
    """
    with open(path, "rb") as handle:
        head = handle.read(32)
    if _ACCESS_MAGIC not in head:
        raise FormatError("not an MS Access (.res) file", path=path, offset=0)
    page = 2048 if head[0x14] == 0 else 4096  # Jet 3 pages are 2 KiB, Jet 4 and later 4 KiB
    size = path.stat().st_size
    if size % page:
        # access-parser would read the pages that are left and return part of the records silently
        raise FormatError(f"the database is {size} bytes, not a whole number of {page}-byte pages: truncated",
                          path=path, offset=size - size % page)
    try:
        from access_parser import AccessParser
    except ImportError as exc:
        raise FormatError(
            "reading Arbin .res needs the access-parser package (pip install access-parser)", path=path
        ) from exc
    try:
        database = AccessParser(str(path))
        table = database.parse_table("Channel_Normal_Table")
    except Exception as exc:  # access-parser raises bare errors on broken databases
        raise FormatError(f"cannot read Channel_Normal_Table ({type(exc).__name__}: {exc})", path=path) from exc
    wanted = {k: v for k, v in table.items() if k in _RES_COLUMNS}
    lengths = {k: len(v) if isinstance(v, (list, tuple, np.ndarray)) else -1 for k, v in wanted.items()}
    if -1 in lengths.values():
        raise FormatError("Channel_Normal_Table holds no readable records (truncated file?)", path=path)
    if len(set(lengths.values())) > 1:
        raise FormatError(f"Channel_Normal_Table columns differ in length {lengths} (truncated file?)", path=path)
    frame = pd.DataFrame(wanted)
    if frame.empty or "Data_Point" not in frame:
        raise FormatError("Channel_Normal_Table holds no records", path=path)
    frame = frame.sort_values("Data_Point", kind="stable").reset_index(drop=True)
    return _build(frame, path, "arbin_res", {"vendor": "Arbin", "reader": "access-parser"}, first_half_cycle)
