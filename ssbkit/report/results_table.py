"""The study's numbers as tables that pandas, polars or DuckDB read: ``results.parquet`` and detail tables.

:func:`results_frame` has one row per measurement: sample, technique, label,
status, reasons, error, every summary number of its section (units in the
column names, as in ``summary.csv``), the files with their SHA-256, the
ssbkit version and code version, whether the section came from the cache,
the analysis time and the run log. :func:`detail_frames` adds long tables
where a technique has natural rows: per-cycle summaries (cycling), fitted
circuit parameters (eis), refined phases (xrd). :func:`write_results_tables`
writes them all as Parquet next to the report.

Examples
--------
>>> import pandas as pd
>>> table = pd.read_parquet("report/results.parquet")        # doctest: +SKIP
>>> table.query("technique == 'eis'")["sigma_s_per_cm"]      # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["add_summary", "results_frame", "detail_frames", "write_results_tables", "RESULTS_NAME"]

#: File name of the one-row-per-measurement table in the report folder.
RESULTS_NAME = "results.parquet"
_BASE = ("sample", "technique", "label", "status", "reasons", "error")


def _is_number(value) -> bool:
    return value is None or (isinstance(value, numbers.Number) and not isinstance(value, (bool, np.bool_, complex)))


def _column(values: list) -> pd.Series:
    """One Parquet-safe column: numbers as float, booleans as boolean, anything else as text."""
    present = [v for v in values if v is not None]
    if all(isinstance(v, (bool, np.bool_)) for v in present):
        return pd.Series(values, dtype="boolean")
    if all(_is_number(v) for v in present):
        return pd.Series([math.nan if v is None else float(v) for v in values], dtype="float64")
    return pd.Series([None if v is None else str(v) for v in values], dtype="object")


def add_summary(row: dict, summary) -> dict:
    """Add a section's summary numbers to a table ``row``; a key the row already has (a result's own
    ``status`` beside the section's) is added as ``summary_<key>`` instead of overwriting it."""
    for key, value in summary.items():
        row[f"summary_{key}" if key in row else key] = value
    return row


def results_frame(results) -> pd.DataFrame:
    """One row per measurement of ``results`` (a :class:`ssbkit.report.StudyResults`), manifest order.

    A summary key that equals a fixed column name (e.g. a result's own
    ``status``) is kept as ``summary_<key>`` (:func:`add_summary`).
    """
    from ssbkit import __version__
    from ssbkit.report.cache import code_version

    rows = []
    for r in results.results:
        m, section = r.measurement, r.section
        row = {"sample": r.sample.id, "technique": m.technique, "label": m.label, "status": section.status,
               "reasons": " | ".join(section.reasons), "error": section.error or ""}
        add_summary(row, section.summary)
        row.update(files=";".join(str(f.path) for f in m.files), file_sha256=";".join(f.sha256 for f in m.files),
                   ssbkit_version=__version__, code_version=code_version(), cached=r.cached,
                   analysis_s=r.seconds, log=r.log)
        rows.append(row)
    columns = list(dict.fromkeys(k for row in rows for k in row)) or list(_BASE)
    return pd.DataFrame({c: _column([row.get(c) for row in rows]) for c in columns})


def _scalars(obj) -> dict:
    """The scalar fields of a dataclass (numbers, strings, booleans), for one table row."""
    out = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if isinstance(value, (str, bool, np.bool_)) or _is_number(value):
            out[f.name] = value.item() if isinstance(value, np.generic) else value
    return out


def _cycling_rows(section) -> pd.DataFrame | None:
    cycles = getattr(section.result, "cycles", None)
    return cycles.reset_index(drop=True) if isinstance(cycles, pd.DataFrame) else None


def _eis_rows(section) -> pd.DataFrame | None:
    fit = getattr(section.result, "fit", None)
    if fit is None or not isinstance(getattr(fit, "parameters", None), dict):
        return None
    return pd.DataFrame({"circuit": fit.circuit, "parameter": list(fit.parameters),
                         "value": [float(v) for v in fit.parameters.values()],
                         "stderr": [float(fit.stderr.get(k, math.nan)) for k in fit.parameters],
                         "unit": [fit.units.get(k) or "" for k in fit.parameters]})


def _xrd_rows(section) -> pd.DataFrame | None:
    phases = getattr(section.result, "phases", None)
    if not phases or not all(dataclasses.is_dataclass(p) for p in phases):
        return None
    return pd.DataFrame([_scalars(p) for p in phases])


#: technique -> (table name, rows of one section)
_DETAILS = {"cycling": ("cycles", _cycling_rows), "eis": ("circuit_parameters", _eis_rows),
            "xrd": ("phases", _xrd_rows)}


def detail_frames(results) -> dict[str, pd.DataFrame]:
    """Per-technique long tables, ``{"<technique>_<table>": frame}``, each row led by sample and label."""
    parts: dict[str, list] = {}
    for r in results.results:
        found = _DETAILS.get(r.measurement.technique)
        if found is None or r.failed or r.section.result is None:
            continue
        name, rows_of = found
        frame = rows_of(r.section)
        if frame is None or frame.empty:
            continue
        frame = frame.copy()
        frame.insert(0, "label", r.measurement.label)
        frame.insert(0, "sample", r.sample.id)
        parts.setdefault(f"{r.measurement.technique}_{name}", []).append(frame)
    out = {}
    for name, frames in parts.items():
        table = pd.concat(frames, ignore_index=True)
        out[name] = table.astype({c: str for c in table.columns if table[c].dtype == object})
    return out


def write_results_tables(results, out) -> list[Path]:
    """Write ``results.parquet`` and ``results_<technique>_<table>.parquet`` into ``out``; return the paths.

    Each file is written to a temporary name and renamed, so a reader never sees half a table.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    tables = {RESULTS_NAME: results_frame(results)}
    tables.update({f"results_{name}.parquet": frame for name, frame in detail_frames(results).items()})
    for name, frame in tables.items():
        tmp = out / f".{name}.tmp"
        frame.to_parquet(tmp, index=False)
        tmp.replace(out / name)
        written.append(out / name)
    return written
