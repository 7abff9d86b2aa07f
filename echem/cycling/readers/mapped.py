"""Column-mapped text tables: generic CSV, Battery Data Format, LANHE/Landt, PEC.

All of them are delimited tables with a header line somewhere near the top;
they differ only in which column holds which quantity and in what unit,
which is what a *mapping* says: canonical key -> column name, or
``(column name, factor to the canonical unit)``.

Canonical keys: ``time_s``, ``voltage_v``, ``current_ma`` (positive =
charge), ``cycle``, ``step``, ``charge_capacity_mah`` and
``discharge_capacity_mah`` (counters that may restart per step or cycle),
``signed_capacity_mah`` (one cumulative counter rising on charge).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from echem.cycling.canonical import build_cycling_data
from echem.cycling.data import CANONICAL_COLUMNS, CyclingData
from echem.cycling.readers.tables import head_lines, numeric, read_table, split_fields, unit_factor
from ssbkit.errors import FormatError

__all__ = [
    "MAPPING_KEYS",
    "is_bdf_header",
    "is_canonical_header",
    "is_landt_header",
    "is_pec_header",
    "read_bdf",
    "read_canonical_csv",
    "read_generic_csv",
    "read_landt_csv",
    "read_mapped",
    "read_pec_csv",
]

#: Keys a column mapping may use: the canonical columns plus one cumulative counter.
MAPPING_KEYS = (*CANONICAL_COLUMNS, "signed_capacity_mah")
_BUILD_ARGS = {
    "charge_capacity_mah": "charge_counter_mah",
    "discharge_capacity_mah": "discharge_counter_mah",
}


def _normalise(mapping: dict, path) -> dict[str, tuple[str, float]]:
    if not isinstance(mapping, dict) or not mapping:
        raise ValueError("columns must be a non-empty dict mapping canonical keys to column names")
    out = {}
    for key, value in mapping.items():
        if key not in MAPPING_KEYS:
            raise ValueError(f"columns key {key!r} is not allowed; use one of {MAPPING_KEYS}")
        name, factor = (value, 1.0) if isinstance(value, str) else (value[0], float(value[1]))
        out[key] = (str(name), factor)
    for key in ("time_s", "voltage_v"):
        if key not in out:
            raise ValueError(f"columns must name the {key!r} column")
    if "current_ma" not in out and not {"signed_capacity_mah", "charge_capacity_mah"} & set(out):
        raise ValueError("columns must name a 'current_ma' column or a capacity column")
    return out


def read_mapped(
    path: Path,
    mapping: dict,
    *,
    fmt: str = "csv",
    metadata: dict | None = None,
    first_half_cycle: str = "charge",
    cycle_base: int | None = None,
) -> CyclingData:
    """Read a delimited table through a column mapping.

    The header is the first of the top 200 lines that, split on ``,``,
    ``;`` or tab, contains every mapped column name. Decimal commas are
    recognised when the separator is not a comma.

    Parameters
    ----------
    path : Path
        The file.
    mapping : dict
        Canonical key -> column name or ``(column name, factor)``; see the
        module docstring for the keys. ``time_s`` and ``voltage_v`` are
        required, and ``current_ma`` or a capacity counter.
    fmt : str
        Format name stored on the result.
    metadata : dict, optional
        Metadata to keep.
    first_half_cycle : {"charge", "discharge"}
        Convention for cycles derived from the current sign.
    cycle_base : int, optional
        Number of the first cycle in the file's convention; by default 0 when
        the file has a cycle 0, else 1.
    """
    columns = _normalise(mapping, path)
    names = [name for name, _ in columns.values()]
    lines = head_lines(path, 200)
    header, sep = -1, ","
    for index, line in enumerate(lines):
        for candidate in (",", ";", "\t"):
            if set(names) <= set(split_fields(line, candidate)):
                header, sep = index, candidate
                break
        if header >= 0:
            break
    if header < 0:
        raise FormatError(f"no header line holding all of the columns {names}", path=path)
    data_line = lines[header + 1] if len(lines) > header + 1 else ""
    decimal = "," if sep != "," and re.search(r"\d,\d", data_line) else "."
    frame = read_table(path, header=header, sep=sep, decimal=decimal)
    frame.columns = [c.strip('"') for c in frame.columns]
    values = {key: numeric(frame[name], what=name, path=path) * factor for key, (name, factor) in columns.items()}
    cycle = values.pop("cycle", None)
    if cycle_base is None:
        cycle_base = 0 if cycle is not None and np.any(cycle == 0) else 1
    kwargs = {_BUILD_ARGS.get(key, key): value for key, value in values.items()}
    if ("charge_counter_mah" in kwargs) != ("discharge_counter_mah" in kwargs):
        raise ValueError("columns must name both charge_capacity_mah and discharge_capacity_mah, or neither")
    return build_cycling_data(
        cycle=cycle,
        cycle_base=cycle_base,
        source=str(path),
        format=fmt,
        metadata={**(metadata or {}), "columns": {k: list(v) for k, v in columns.items()}},
        first_half_cycle=first_half_cycle,
        **kwargs,
    )


def read_generic_csv(path: Path, *, columns: dict | None = None, first_half_cycle: str = "charge") -> CyclingData:
    """Read any delimited table given a column mapping (``read_cycling(..., format="csv", columns=...)``).

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
    if columns is None:
        raise ValueError("format='csv' needs columns={'time_s': ..., 'voltage_v': ..., 'current_ma': ...}")
    return read_mapped(path, columns, fmt="csv", first_half_cycle=first_half_cycle)


# -- Battery Data Format (battery-data-alliance) -------------------------------------------

_BDF_MACHINE = {
    "test_time_second": ("time_s", 1.0),
    "test_time_hour": ("time_s", 3600.0),
    "voltage_volt": ("voltage_v", 1.0),
    "current_ampere": ("current_ma", 1e3),
    "cycle_count": ("cycle", 1.0),
    "step_index": ("step", 1.0),
    "charging_capacity_ah": ("charge_capacity_mah", 1e3),
    "discharging_capacity_ah": ("discharge_capacity_mah", 1e3),
}
_BDF_HUMAN = {
    "test time": "time_s",
    "voltage": "voltage_v",
    "current": "current_ma",
    "cycle count": "cycle",
    "step index": "step",
    "charging capacity": "charge_capacity_mah",
    "charge capacity": "charge_capacity_mah",
    "discharging capacity": "discharge_capacity_mah",
    "discharge capacity": "discharge_capacity_mah",
}
_HUMAN = re.compile(r"^\s*(?P<label>[^/]+?)\s*/\s*(?P<unit>\S+)\s*$")


def _bdf_mapping(header: list[str], path) -> dict:
    mapping = {}
    for name in header:
        if name in _BDF_MACHINE:
            key, factor = _BDF_MACHINE[name]
            mapping.setdefault(key, (name, factor))
            continue
        match = _HUMAN.match(name)
        if match and match["label"].lower() in _BDF_HUMAN:
            key = _BDF_HUMAN[match["label"].lower()]
            unit = match["unit"]
            factor = 1.0 if unit == "1" else unit_factor(unit, path=path)
            mapping.setdefault(key, (name, factor))
    return mapping


def is_bdf_header(line: str) -> bool:
    """True for a Battery Data Format header (machine or human-readable labels)."""
    fields = split_fields(line, ",")
    return ("test_time_second" in fields and "voltage_volt" in fields) or (
        any(f.startswith("Test Time /") for f in fields) and any(f.startswith("Voltage /") for f in fields)
    )


def read_bdf(path: Path, *, first_half_cycle: str = "charge") -> CyclingData:
    """Read a Battery Data Format csv (battery-data-alliance/battery-data-format).

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
    lines = head_lines(path, 5)
    header = next((i for i, line in enumerate(lines) if is_bdf_header(line)), -1)
    if header < 0:
        raise FormatError("no Battery Data Format header (test_time_second/voltage_volt or 'Test Time / s')", path=path)
    mapping = _bdf_mapping(split_fields(lines[header], ","), path)
    if "charge_capacity_mah" not in mapping or "discharge_capacity_mah" not in mapping:
        mapping.pop("charge_capacity_mah", None)
        mapping.pop("discharge_capacity_mah", None)
    return read_mapped(
        path, mapping, fmt="bdf", metadata={"standard": "Battery Data Format"}, first_half_cycle=first_half_cycle
    )


# -- LANHE / Landt exports in Arbin-like snake-case columns -----------------------------------

_LANDT = {
    "time_s": "test_time_s",
    "voltage_v": "voltage_V",
    "current_ma": ("current_A", 1e3),
    "cycle": "cycle_index",
    "step": "step_index",
    "charge_capacity_mah": ("charge_capacity_Ah", 1e3),
    "discharge_capacity_mah": ("discharge_capacity_Ah", 1e3),
}


def _preamble_metadata(lines, is_header) -> dict:
    """``key: value`` lines above the column header, as a dict (values stripped of commas)."""
    meta = {}
    for line in lines:
        if is_header(line):
            break
        key, _, value = line.partition(":")
        if key.strip():
            meta[key.strip()] = value.strip(" ,")
    return meta


def is_landt_header(line: str) -> bool:
    """True for the column header of a LANHE/Landt snake-case export."""
    fields = split_fields(line, ",")
    return "test_time_s" in fields and "voltage_V" in fields and "cycle_index" in fields


def read_landt_csv(path: Path, *, first_half_cycle: str = "charge") -> CyclingData:
    """Read a LANHE/Landt csv export (metadata lines, then ``cycle_index, ..., voltage_V``).

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
    meta = _preamble_metadata(head_lines(path, 40), is_landt_header)
    return read_mapped(
        path,
        _LANDT,
        fmt="landt_csv",
        metadata={"vendor": "LANHE/Landt", **meta},
        first_half_cycle=first_half_cycle,
        cycle_base=1,
    )


# -- PEC (SBT testers) -----------------------------------------------------------------------

_PEC = {
    "time_s": "Total Time (Seconds)",
    "voltage_v": ("Voltage (mV)", 1e-3),
    "current_ma": "Current (mA)",
    "cycle": "Cycle",
    "step": "Step",
    "charge_capacity_mah": "Charge Capacity (mAh)",
    "discharge_capacity_mah": "Discharge Capacity (mAh)",
}


def is_pec_header(line: str) -> bool:
    """True for the column header of a PEC csv export."""
    return line.startswith("Test,Cell,Rack") and "Voltage (mV)" in line


def read_pec_csv(path: Path, *, first_half_cycle: str = "charge") -> CyclingData:
    """Read a PEC csv export (``Request Year:`` header block, then a data table).

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
    meta = _preamble_metadata(head_lines(path, 60), is_pec_header)
    return read_mapped(path, _PEC, fmt="pec_csv", metadata={"vendor": "PEC", **meta}, first_half_cycle=first_half_cycle)


# -- the library's own table: CyclingData.data written with pandas' to_csv ---------------

def _canonical_fields(line: str) -> list[str] | None:
    for sep in (",", ";", "\t"):
        fields = [f.strip() for f in split_fields(line, sep)]
        if {"time_s", "voltage_v"} <= set(fields) and ("current_ma" in fields or "charge_capacity_mah" in fields):
            return fields
    return None


def is_canonical_header(line: str) -> bool:
    """True for the header of a table of :class:`CyclingData` canonical columns (``time_s, voltage_v, ...``)."""
    return _canonical_fields(line) is not None


def read_canonical_csv(path: Path, *, first_half_cycle: str = "charge") -> CyclingData:
    """Read back a table of canonical columns that this library wrote (``data.data.to_csv(path)``).

    Every canonical column present (:data:`~echem.cycling.data.CANONICAL_COLUMNS`)
    maps to itself with factor 1; a leading index column is ignored.

    Parameters
    ----------
    path : Path
        The file (only read).
    first_half_cycle : {"charge", "discharge"}
        Convention for cycles derived from the current sign when the table
        has no ``cycle`` column.

    Returns
    -------
    CyclingData
    """
    for line in head_lines(path, 5):
        fields = _canonical_fields(line)
        if fields is not None:
            break
    else:
        raise FormatError("no header of canonical columns (time_s, voltage_v, current_ma, ...)", path=path)
    mapping = {key: key for key in CANONICAL_COLUMNS if key in fields}
    return read_mapped(path, mapping, fmt="ssbkit_csv", first_half_cycle=first_half_cycle,
                       cycle_base=1 if "cycle" in mapping else None)
