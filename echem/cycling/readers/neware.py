"""Neware BTS files: binary ``.nda``/``.ndax`` (through NewareNDA) and csv/xlsx exports.

Neware counts current positive on charge; its ``Chg. Cap.``/``DChg. Cap.``
(csv) and ``Charge_Capacity``/``Discharge_Capacity`` (NewareNDA) counters
restart at every step.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import pandas as pd

from echem.cycling.canonical import build_cycling_data, check_first_half_cycle
from echem.cycling.data import CyclingData
from echem.cycling.readers.tables import (
    clock_seconds,
    head_lines,
    numeric,
    pick,
    read_table,
    require,
    split_fields,
    unit_factor,
)
from ssbkit.errors import FormatError

__all__ = [
    "read_neware_nested_export",
    "is_neware_export",
    "is_neware_nested_export",
    "read_neware_binary",
    "read_neware_export",
]

_UNIT = re.compile(r"^(?P<name>.*?)\s*\((?P<unit>[^()]*)\)\s*$")


def read_neware_binary(path: Path, *, first_half_cycle: str = "charge") -> CyclingData:
    """Read a Neware ``.nda`` or ``.ndax`` file with the NewareNDA package.

    NewareNDA renumbers cycles itself; it is asked to open cycles on the
    ``first_half_cycle`` direction (its ``cycle_mode``).

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
    sign = check_first_half_cycle(first_half_cycle)
    try:
        import NewareNDA
    except ImportError as exc:  # pragma: no cover - NewareNDA is a dependency
        raise FormatError("reading Neware .nda/.ndax needs the NewareNDA package", path=path) from exc
    try:
        frame = NewareNDA.read(str(path), cycle_mode="chg" if sign > 0 else "dchg", log_level="ERROR")
    except Exception as exc:  # NewareNDA raises bare exceptions of many kinds on foreign files
        raise FormatError(f"NewareNDA cannot read this file ({type(exc).__name__}: {exc})", path=path) from exc
    if frame.empty:
        raise FormatError("the Neware file holds no records", path=path)
    metadata = {"vendor": "Neware", "reader": f"NewareNDA {getattr(NewareNDA, '__version__', '')}".strip()}
    data = build_cycling_data(
        time_s=frame["Time"].to_numpy(dtype=float),
        voltage_v=frame["Voltage"].to_numpy(dtype=float),
        current_ma=frame["Current(mA)"].to_numpy(dtype=float),
        cycle=frame["Cycle"].to_numpy(dtype=float),
        cycle_base=1,
        step=frame["Step"].to_numpy(dtype=float),
        charge_counter_mah=frame["Charge_Capacity(mAh)"].to_numpy(dtype=float),
        discharge_counter_mah=frame["Discharge_Capacity(mAh)"].to_numpy(dtype=float),
        source=str(path),
        format="neware_binary",
        metadata=metadata,
        first_half_cycle=first_half_cycle,
    )
    mode = "chg" if sign > 0 else "dchg"
    return dataclasses.replace(data, metadata={**data.metadata, "cycle_source": f"file (NewareNDA cycle_mode={mode})"})


def is_neware_export(header: str) -> bool:
    """True for the header line of a Neware record-level csv export."""
    return ("Cycle Index" in header or "Cycle ID" in header) and "Voltage(" in header and "Step Type" in header


def is_neware_nested_export(first_line: str) -> bool:
    """True for the first line of Neware's nested cycle/step/record export."""
    return first_line.startswith(("Cycle Index,Chg. Cap.(", "Cycle ID,Cap_Chg("))


def _scaled(frame: pd.DataFrame, stem: str, *, path) -> np.ndarray | None:
    """Values of the column ``stem(unit)`` converted to the canonical unit, or None."""
    for column in frame.columns:
        match = _UNIT.match(column)
        if match and match["name"].strip().lower() == stem.lower():
            return numeric(frame[column], what=column, path=path) * unit_factor(match["unit"], path=path)
    return None


def _export_frame(path: Path) -> pd.DataFrame:
    if path.suffix.lower() in (".xlsx", ".xls"):
        try:
            sheets = pd.read_excel(path, sheet_name=None)
        except (ValueError, OSError, KeyError) as exc:
            raise FormatError(f"cannot open the workbook ({exc})", path=path) from exc
        for frame in sheets.values():
            frame.columns = [str(c).strip() for c in frame.columns]
            if is_neware_export(",".join(frame.columns)):
                return frame
        raise FormatError("no sheet with Neware record columns (Cycle Index, Step Type, Voltage(V))", path=path)
    lines = head_lines(path, 5)
    header = next((i for i, line in enumerate(lines) if is_neware_export(line)), -1)
    if header < 0:
        raise FormatError("no Neware record header (Cycle Index, Step Type, Voltage(V))", path=path)
    # parse only the columns used: text columns (dates, step names) dominate the parse time
    wanted = [name for name in split_fields(lines[header], ",") if _is_used_column(name)]
    return read_table(path, header=header, sep=",", usecols=wanted)


_USED_STEMS = ("voltage", "current", "chg. cap.", "dchg. cap.")
_USED_NAMES = (
    "cumulative time",
    "total time",
    "total time(s)",
    "test time(s)",
    "cycle index",
    "cycle id",
    "step index",
    "step id",
    "step number",
)


def _is_used_column(name: str) -> bool:
    lower = name.strip().lower()
    match = _UNIT.match(name)
    return lower in _USED_NAMES or bool(match and match["name"].strip().lower() in _USED_STEMS)


def read_neware_export(path: Path, *, first_half_cycle: str = "charge") -> CyclingData:
    """Read a Neware BTS record-level export (``.csv`` or ``.xlsx``).

    Test time is the ``Cumulative Time``/``Total Time`` column (``HH:MM:SS``
    with hours past 24, or seconds); capacities are the ``Chg. Cap.`` and
    ``DChg. Cap.`` counters in the unit given in the column name.

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
    frame = _export_frame(path)
    cols = frame.columns
    time_col = require(cols, "test time", "Cumulative Time", "Total Time", "Total Time(s)", "Test Time(s)", path=path)
    raw_time = frame[time_col]
    if pd.api.types.is_numeric_dtype(raw_time.dtype):
        time_s = raw_time.to_numpy(dtype=float)
    else:
        time_s = clock_seconds(raw_time, what=time_col, path=path)
    voltage = _scaled(frame, "Voltage", path=path)
    current = _scaled(frame, "Current", path=path)
    if voltage is None or current is None:
        raise FormatError("no Voltage(V) or Current(A/mA) column", path=path)
    charge = _scaled(frame, "Chg. Cap.", path=path)
    discharge = _scaled(frame, "DChg. Cap.", path=path)
    cycle_col = require(cols, "cycle", "Cycle Index", "Cycle ID", path=path)
    step_col = pick(cols, "Step Index", "Step ID", "Step Number")
    return build_cycling_data(
        time_s=time_s,
        voltage_v=voltage,
        current_ma=current,
        cycle=numeric(frame[cycle_col], what=cycle_col, path=path),
        cycle_base=1,
        step=None if step_col is None else numeric(frame[step_col], what=step_col, path=path),
        charge_counter_mah=charge,
        discharge_counter_mah=discharge if charge is not None else None,
        source=str(path),
        format="neware_export",
        metadata={"vendor": "Neware", "export": path.suffix.lower().lstrip(".")},
        first_half_cycle=first_half_cycle,
    )


def read_neware_nested_export(path: Path, *, first_half_cycle: str = "charge") -> CyclingData:
    """Read Neware's nested "regular" csv export (cycle, step and record layers in one table).

    Line 1 heads the cycle rows (``Cycle Index, Chg. Cap.(Ah), ...``), line 2
    the step rows (one leading empty field) and line 3 the records (two
    leading empty fields); rows follow in that nesting. A step row glued to
    the end of its cycle row (as BTS writes the first one) is split off.
    Records carry an unsigned per-step ``Capacity(Ah)``; its sign comes from
    the current. The vendor's per-cycle capacities (Ah) are kept in
    ``metadata["vendor_cycles"]``.

    Parameters
    ----------
    path : Path
        The export.
    first_half_cycle : {"charge", "discharge"}
        Recorded convention (the file carries cycle numbers).

    Returns
    -------
    CyclingData

    Raises
    ------
    FormatError
        For a file without the three header lines or with a malformed row.
    """
    with open(path, encoding="utf-8-sig", errors="replace") as handle:
        lines = handle.read().splitlines()
    if len(lines) < 4 or not is_neware_nested_export(lines[0]):
        raise FormatError("not a Neware nested export (no cycle/step/record header lines)", path=path, line=1)
    cycle_head = [f.strip() for f in lines[0].split(",")]
    step_head = [f.strip() for f in lines[1].split(",")][1:]
    record_head = [f.strip() for f in lines[2].split(",")][2:]
    if "Step Number" not in step_head and "Step Index" not in step_head:
        raise FormatError("the step header names no Step Number/Step Index", path=path, line=2)
    step_key = step_head.index("Step Number" if "Step Number" in step_head else "Step Index")
    cycle, step, records, steps, cycles, vendor = None, None, [], [], [], []
    for number, line in enumerate(lines[3:], start=4):
        fields = line.split(",")
        if fields[0].strip():
            cycle = fields[0].strip()
            vendor.append(dict(zip(cycle_head, fields[: len(cycle_head)], strict=False)))
            rest = fields[len(cycle_head) :]
            if len(rest) > step_key and rest[step_key].strip():
                step = rest[step_key].strip()
        elif len(fields) > 1 and fields[1].strip():
            step = fields[1 + step_key].strip() if len(fields) > 1 + step_key else None
        elif line.strip(", "):
            if cycle is None or step is None:
                raise FormatError("a record before any cycle and step row", path=path, line=number)
            records.append(fields[2 : 2 + len(record_head)])
            cycles.append(cycle)
            steps.append(step)
    if not records:
        raise FormatError("the export holds no record rows", path=path)
    frame = pd.DataFrame(records, columns=record_head[: max(len(r) for r in records)])
    time_col = require(frame.columns, "test time", "Total Time", "Cumulative Time", path=path)
    voltage = _scaled(frame, "Voltage", path=path)
    current = _scaled(frame, "Current", path=path)
    capacity = _scaled(frame, "Capacity", path=path)
    if voltage is None or current is None or capacity is None:
        raise FormatError("records lack Voltage(V), Current(A) or Capacity(Ah)", path=path, line=3)
    return build_cycling_data(
        time_s=clock_seconds(frame[time_col], what=time_col, path=path),
        voltage_v=voltage,
        current_ma=current,
        cycle=numeric(pd.Series(cycles), what="Cycle Index", path=path),
        cycle_base=1,
        step=numeric(pd.Series(steps), what="Step Number", path=path),
        capacity_counter_mah=capacity,
        source=str(path),
        format="neware_nested_export",
        metadata={"vendor": "Neware", "export": "nested csv", "vendor_cycles": vendor},
        first_half_cycle=first_half_cycle,
    )
