"""Maccor text files: raw ``.0NN`` data files and txt exports.

Three layouts are known: ``Rec#  Cyc#  Step  Test (Sec) ...`` (raw files,
times in s), ``Rec#  Cyc#  Step  TestTime ...`` (times as ``Nd HH:MM:SS``)
and ``Rec  Cycle P  Cycle C  Step  TestTime ...`` (KIT/SIMBA exports, times
in minutes, decimal commas possible). ``Amps`` may be unsigned; the ``State``
(``Md``) letter C/D gives the sign. ``Amp-hr`` restarts every step.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from echem.cycling.canonical import build_cycling_data
from echem.cycling.data import CyclingData
from echem.cycling.readers.tables import (
    clock_seconds,
    head_lines,
    numeric,
    pick,
    read_table,
    require,
)
from ssbkit.errors import FormatError

__all__ = ["is_maccor_header", "read_maccor"]


def is_maccor_header(line: str) -> bool:
    """True for the column-header line of a Maccor data file."""
    fields = [f.strip() for f in line.split("\t")]
    return len(fields) > 5 and fields[0] in ("Rec#", "Rec") and ("Cyc#" in fields or "Cycle C" in fields)


def _time_seconds(frame: pd.DataFrame, path: Path, metadata: dict) -> np.ndarray:
    column = require(frame.columns, "test time", "Test (Sec)", "TestTime", "Test Time", path=path)
    raw = frame[column]
    if not pd.api.types.is_numeric_dtype(raw.dtype) and raw.astype("string").str.contains(":").any():
        return clock_seconds(raw, what=column, path=path)
    values = numeric(raw, what=column, path=path)
    if column == "Test (Sec)":
        return values
    # numeric TestTime without a unit: scale it to the wall clock of 'DPT Time'
    stamp_col = pick(frame.columns, "DPT Time", "DPt Time")
    if stamp_col is None:
        raise FormatError(f"{column} has no unit and no DPT Time column to infer it from", path=path)
    stamps = pd.to_datetime(frame[stamp_col], errors="coerce", format="mixed", dayfirst=False)
    span_clock = (stamps.max() - stamps.min()).total_seconds()
    span_values = np.nanmax(values) - np.nanmin(values)
    if not span_values > 0 or not span_clock > 0:
        raise FormatError(f"cannot infer the unit of {column} (no elapsed time)", path=path)
    ratio = span_clock / span_values
    unit, factor = min((("s", 1.0), ("min", 60.0), ("h", 3600.0)), key=lambda item: abs(np.log(ratio / item[1])))
    metadata["test_time_unit"] = f"{unit} (inferred from {stamp_col})"
    return values * factor


def read_maccor(path: Path, *, first_half_cycle: str = "charge") -> CyclingData:
    """Read a Maccor raw data file (``.0NN``) or txt export.

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
    lines = head_lines(path, 40)
    header = next((i for i, line in enumerate(lines) if is_maccor_header(line)), -1)
    if header < 0:
        raise FormatError("no Maccor column header (Rec#/Rec, Cyc#/Cycle C, Step, ...)", path=path)
    data_line = next((line for line in lines[header + 1 :] if line.strip()), "")
    decimal = "," if any("," in f and "/" not in f for f in data_line.split("\t")) else "."
    frame = read_table(path, header=header, sep="\t", decimal=decimal)
    metadata = {"vendor": "Maccor", "header": " | ".join(s.strip() for s in lines[:header] if s.strip())[:500]}
    time_s = _time_seconds(frame, path, metadata)
    volt_col = require(frame.columns, "voltage", "Volts", "Voltage [V]", path=path)
    amp_col = require(frame.columns, "current", "Amps", "Current [A]", path=path)
    cap_col = require(frame.columns, "capacity", "Amp-hr", "Cap. [Ah]", path=path)
    state_col = require(frame.columns, "state", "State", "Md", path=path)
    cycle_col = require(frame.columns, "cycle", "Cyc#", "Cycle C", path=path)
    state = frame[state_col].astype("string").str.strip().str[:1].to_numpy(dtype=object, na_value="")
    sign = np.where(state == "C", 1.0, np.where(state == "D", -1.0, 0.0))
    current_ma = np.abs(numeric(frame[amp_col], what=amp_col, path=path)) * 1e3 * sign
    cycle = numeric(frame[cycle_col], what=cycle_col, path=path)
    return build_cycling_data(
        time_s=time_s,
        voltage_v=numeric(frame[volt_col], what=volt_col, path=path),
        current_ma=current_ma,
        cycle=cycle,
        cycle_base=0 if np.any(cycle == 0) else 1,
        step=numeric(frame["Step"], what="Step", path=path) if "Step" in frame else None,
        capacity_counter_mah=numeric(frame[cap_col], what=cap_col, path=path) * 1e3,
        source=str(path),
        format="maccor",
        metadata=metadata,
        first_half_cycle=first_half_cycle,
    )
