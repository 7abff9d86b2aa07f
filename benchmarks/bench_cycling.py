"""Benchmark: read and summarise a 1,000,000-record cycling file.

Builds (in a temporary folder) a 1,000,000-record BioLogic .mpr by repeating the
records of the real GCPL file ../shared/data/echem/cycling/yadg__gcpl.mpr (time,
charge counter and half-cycle counter continued across repeats), and the same
records as a Neware record-level csv export. Then times, in one run:

* ssbkit: ``echem.cycle_summary`` alone on the 1,000,000 canonical records
  (the acceptance figure: under 2 s), and ``read_cycling`` + ``cycle_summary``
  on the .mpr and on the csv;
* the baseline doing the same work by hand: galvani ``MPRfile`` + plain pandas
  (per-record charge from the (Q-Qo) counter, cycles from EC-Lab's half-cycle
  counter, groupby sums), and ``pandas.read_csv`` + groupby on the Neware
  per-step counters for the csv;
* cellpy (``cellpy.get(..., instrument="neware_txt")``, which loads and
  summarises) on the same csv, when it imports here or when ``--cellpy-python``
  names an interpreter that has it (cellpy 1.0.3 pins pandas < 3, so it lives in
  its own virtual environment; it is not a dependency). cellpy 1.0.3 cannot read
  this .mpr (data-module version 3), hence the csv.

Prints each time (best of ``--repeat``), the ratios, and checks that ssbkit and the
baselines give the same per-cycle capacities (0.5 %).

Run: ``.venv/bin/python benchmarks/bench_cycling.py [--rows N] [--repeat R] [--cellpy-python PATH]``
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import echem

SOURCE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "echem" / "cycling" / "yadg__gcpl.mpr"
_HEADER_V1 = 10 + 25 + 4 + 4 + 8
_HEADER_V2 = 10 + 25 + 4 + 4 + 4 + 4 + 8


def build_big_mpr(source: Path, target: Path, rows: int) -> None:
    """Write ``target``: ``source`` with its data module's records repeated up to ``rows``."""
    from galvani import BioLogic

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mpr = BioLogic.MPRfile(str(source))
    raw = source.read_bytes()
    module = next(m for m in mpr.modules if m["shortname"] == b"VMP data  ")
    records = np.array(mpr.data)
    n = records.size
    before = module["length"] - n * records.dtype.itemsize
    data_start = module["offset"]
    data_end = data_start + module["length"]
    v2 = raw[data_start - _HEADER_V2 + 35 : data_start - _HEADER_V2 + 39] == b"\xff\xff\xff\xff"
    header_start = data_start - (_HEADER_V2 if v2 else _HEADER_V1)

    reps = int(np.ceil(rows / n))
    big = np.tile(records, reps)[:rows]
    rep = (np.arange(rows) // n).astype(float)
    span = records["time/s"][-1] - records["time/s"][0] + 1.0
    big["time/s"] = big["time/s"] + rep * span
    big["(Q-Qo)/mA.h"] = big["(Q-Qo)/mA.h"] + rep * (records["(Q-Qo)/mA.h"][-1] - records["(Q-Qo)/mA.h"][0])
    big["half cycle"] = big["half cycle"] + (rep * (records["half cycle"].max() + 1)).astype(big["half cycle"].dtype)

    prefix = bytearray(raw[data_start : data_start + before])
    prefix[:4] = np.uint32(rows).tobytes()
    payload = bytes(prefix) + big.tobytes()
    header = bytearray(raw[header_start:data_start])
    length_at = 10 + 25 + (4 if v2 else 0)
    header[length_at : length_at + 4] = np.uint32(len(payload)).tobytes()
    target.write_bytes(raw[:header_start] + bytes(header) + payload + raw[data_end:])


def baseline_mpr(path: Path) -> pd.DataFrame:
    """galvani + plain pandas: per-cycle charge and discharge capacity (mAh)."""
    from galvani import BioLogic

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = pd.DataFrame(BioLogic.MPRfile(str(path)).data)
    dq = frame["(Q-Qo)/mA.h"].diff().fillna(0.0)
    cycle = frame["half cycle"] // 2 + 1
    out = pd.DataFrame({"cycle": cycle, "charge": dq.clip(lower=0), "discharge": (-dq).clip(lower=0)})
    return out.groupby("cycle")[["charge", "discharge"]].sum()


def write_neware_csv(frame: pd.DataFrame, path: Path) -> None:
    """The canonical records as a Neware record-level export (per-step counters in Ah)."""
    clock = pd.to_timedelta(np.rint(frame["time_s"]), unit="s")
    step_start = frame.groupby("step")["time_s"].transform("first")
    step_clock = pd.to_timedelta(np.rint(frame["time_s"] - step_start), unit="s")

    def hms(td):
        seconds = td.dt.total_seconds().astype(np.int64)
        return (
            (seconds // 3600).astype(str).str.zfill(2)
            + ":"
            + (seconds // 60 % 60).astype(str).str.zfill(2)
            + ":"
            + (seconds % 60).astype(str).str.zfill(2)
        )

    current = frame["current_ma"].to_numpy()
    kind = np.where(current > 0, "CC Chg", np.where(current < 0, "CC DChg", "Rest"))
    pd.DataFrame(
        {
            "DataPoint": np.arange(1, len(frame) + 1),
            "Cycle Index": frame["cycle"],
            "Step Index": frame["step"],
            "Step Type": kind,
            "Time": hms(step_clock),
            "Cumulative Time": hms(clock),
            "Current(A)": current / 1e3,
            "Voltage(V)": frame["voltage_v"],
            "Capacity(Ah)": (frame["charge_capacity_mah"] + frame["discharge_capacity_mah"]) / 1e3,
            "Chg. Cap.(Ah)": frame["charge_capacity_mah"] / 1e3,
            "DChg. Cap.(Ah)": frame["discharge_capacity_mah"] / 1e3,
            "Date": (pd.Timestamp("2024-01-01") + clock).dt.strftime("%Y-%m-%d %H:%M:%S"),
        }
    ).to_csv(path, index=False, float_format="%.10g")


def baseline_csv(path: Path) -> pd.DataFrame:
    """plain pandas: per-cycle capacities (mAh) from the Neware per-step counters."""
    frame = pd.read_csv(path, usecols=["Cycle Index", "Step Index", "Chg. Cap.(Ah)", "DChg. Cap.(Ah)"])
    per_step = frame.groupby(["Cycle Index", "Step Index"], sort=False)[["Chg. Cap.(Ah)", "DChg. Cap.(Ah)"]].max()
    return per_step.groupby(level=0).sum() * 1e3


_CELLPY_SCRIPT = """
import sys, time, json
import cellpy
start = time.perf_counter()
cell = cellpy.get(sys.argv[1], instrument="neware_txt", mass=1.0)
seconds = time.perf_counter() - start
summary = cell.data.summary
print(json.dumps({"seconds": seconds, "version": cellpy.__version__,
                  "charge_mah": float(summary["charge_capacity"].sum() * 1e3)}))
"""


def time_cellpy(csv_path: Path, python: str | None) -> dict | None:
    """Seconds cellpy takes to load and summarise ``csv_path`` (inside its interpreter), or None."""
    import json
    import subprocess
    import sys

    interpreter = python or sys.executable
    done = subprocess.run(
        [interpreter, "-c", _CELLPY_SCRIPT, str(csv_path)],
        capture_output=True,
        text=True,
        check=False,
        cwd=csv_path.parent,  # cellpy writes log files into the working folder
    )
    if done.returncode != 0:
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def best_of(repeat: int, func, *args):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func(*args)
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cellpy-python", default=None, help="interpreter of a virtual environment with cellpy")
    args = parser.parse_args()
    if not SOURCE.is_file():
        raise SystemExit(f"source file {SOURCE} not found (the ../shared/data folder is needed)")

    with tempfile.TemporaryDirectory() as tmp:
        mpr_path = Path(tmp) / "big.mpr"
        build_big_mpr(SOURCE, mpr_path, args.rows)
        data = echem.read_cycling(mpr_path, first_half_cycle="discharge")
        frame = data.data
        csv_path = Path(tmp) / "csv" / "big.csv"  # cellpy copies its input to the temp folder: keep them apart
        csv_path.parent.mkdir()
        write_neware_csv(frame, csv_path)
        print(
            f"{len(frame):,} records, {frame['cycle'].nunique()} cycles; "
            f"mpr {mpr_path.stat().st_size / 1e6:.0f} MB, csv {csv_path.stat().st_size / 1e6:.0f} MB"
        )

        t_summary, _summary = best_of(args.repeat, echem.cycle_summary, data)
        print(
            f"ssbkit cycle_summary on {len(frame):,} records: {t_summary:.3f} s "
            f"({'PASS' if t_summary < 2.0 else 'FAIL'}: acceptance < 2 s)"
        )

        def ours_mpr():
            return echem.cycle_summary(echem.read_cycling(mpr_path, first_half_cycle="discharge"))

        def ours_csv():
            return echem.cycle_summary(echem.read_cycling(csv_path))

        t_ours_mpr, ours = best_of(args.repeat, ours_mpr)
        t_base_mpr, base = best_of(args.repeat, baseline_mpr, mpr_path)
        print(
            f".mpr read + summary: ssbkit {t_ours_mpr:.3f} s, galvani + pandas {t_base_mpr:.3f} s, "
            f"ratio ssbkit/baseline = {t_ours_mpr / t_base_mpr:.2f}"
        )
        ours_i = ours.set_index("cycle")
        np.testing.assert_allclose(ours_i["charge_capacity_mah"].sum(), base["charge"].sum(), rtol=5e-3)
        np.testing.assert_allclose(ours_i["discharge_capacity_mah"].sum(), base["discharge"].sum(), rtol=5e-3)

        t_ours_csv, ours_c = best_of(args.repeat, ours_csv)
        t_base_csv, base_c = best_of(args.repeat, baseline_csv, csv_path)
        print(
            f"Neware csv read + summary: ssbkit {t_ours_csv:.3f} s, pandas.read_csv + groupby {t_base_csv:.3f} s, "
            f"ratio ssbkit/baseline = {t_ours_csv / t_base_csv:.2f}"
        )
        np.testing.assert_allclose(ours_c["charge_capacity_mah"].sum(), base_c["Chg. Cap.(Ah)"].sum(), rtol=5e-3)
        cellpy_run = time_cellpy(csv_path, args.cellpy_python)
        if cellpy_run is None:
            print("cellpy is not available (no --cellpy-python, and it does not import here): cellpy timing skipped")
        else:
            print(
                f"Neware csv with cellpy {cellpy_run['version']} (get: load + summary): {cellpy_run['seconds']:.3f} s, "
                f"ratio ssbkit/cellpy = {t_ours_csv / cellpy_run['seconds']:.3f}"
            )
            np.testing.assert_allclose(ours_c["charge_capacity_mah"].sum(), cellpy_run["charge_mah"], rtol=5e-3)


if __name__ == "__main__":
    main()
