"""Acceptance: a synthetic cycler record with known per-cycle capacities, written in
every supported text format, reads back to the same capacities and efficiencies.

The truth is built here: cycle k charges Q_c(k) = 1.40 mAh * (1 - 0.002 (k - 1))
at a constant 0.28 mA (0.2 C for 10 mg at 140 mAh/g) and discharges
Q_d(k) = CE(k) * Q_c(k) with CE = 0.90 in cycle 1 and 0.99 after, with rests
between; each half-cycle is sampled at 25 evenly spaced records including its
start and end, so the trapezoid rule and the vendor counters are both exact.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import echem
from ssbkit.errors import FormatError

N_CYCLES = 100
CURRENT_MA = 0.28
Q1_MAH = 1.40
FADE = 0.002
POINTS = 25


def truth(n_cycles: int = N_CYCLES):
    k = np.arange(1, n_cycles + 1)
    q_charge = Q1_MAH * (1 - FADE * (k - 1))
    ce = np.where(k == 1, 0.90, 0.99)
    return q_charge, ce * q_charge, ce


def make_record(n_cycles: int = N_CYCLES) -> pd.DataFrame:
    """Rows of a charge-first cycling run in canonical units plus vendor counters."""
    q_charge, q_discharge, _ = truth(n_cycles)
    rows = []
    t = 0.0
    signed = 0.0
    for k in range(n_cycles):
        # (vendor step, kind, capacity): rest, charge, rest, discharge
        for step, kind, q in (
            (1, "rest", 0.0),
            (2, "charge", q_charge[k]),
            (3, "rest", 0.0),
            (4, "discharge", q_discharge[k]),
        ):
            if kind == "rest":
                times = np.array([0.0, 30.0, 60.0])
                current = 0.0
            else:
                duration = q / CURRENT_MA * 3600.0
                times = np.linspace(0.0, duration, POINTS)
                current = CURRENT_MA if kind == "charge" else -CURRENT_MA
            for tau in times:
                passed = abs(current) * tau / 3600.0
                frac = passed / max(q, 1e-12)
                volt = {"rest": 3.9, "charge": 3.75 + 0.5 * frac, "discharge": 4.2 - 0.55 * frac}[kind]
                rows.append(
                    (
                        t + tau,
                        volt,
                        current,
                        k + 1,
                        step,
                        kind,
                        passed if kind == "charge" else 0.0,
                        passed if kind == "discharge" else 0.0,
                        signed + (passed if kind == "charge" else -passed),
                        tau,
                    )
                )
            t += times[-1] + 1.0
            signed = rows[-1][8]
    frame = pd.DataFrame(
        rows,
        columns=[
            "time_s",
            "voltage_v",
            "current_ma",
            "cycle",
            "step",
            "kind",
            "step_charge_mah",
            "step_discharge_mah",
            "signed_mah",
            "step_time_s",
        ],
    )
    frame["cycle_charge_mah"] = frame.groupby("cycle")["step_charge_mah"].transform(
        lambda s: s.where(frame.loc[s.index, "kind"] == "charge").ffill().fillna(0.0)
    )
    frame["cycle_discharge_mah"] = frame.groupby("cycle")["step_discharge_mah"].transform(
        lambda s: s.where(frame.loc[s.index, "kind"] == "discharge").ffill().fillna(0.0)
    )
    return frame


def _clock(seconds: np.ndarray) -> list[str]:
    s = np.rint(seconds).astype(int)
    return [f"{v // 3600:02d}:{(v // 60) % 60:02d}:{v % 60:02d}" for v in s]


def write_mpt(frame, path):
    table = pd.DataFrame(
        {
            "mode": 1,
            "ox/red": (frame.current_ma > 0).astype(int),
            "error": 0,
            "Ns": frame.step - 1,
            "time/s": frame.time_s,
            "Ewe/V": frame.voltage_v,
            "I/mA": frame.current_ma,
            "(Q-Qo)/mA.h": frame.signed_mah,
            "cycle number": frame.cycle - 1,
        }
    )
    header = ["EC-Lab ASCII FILE", "Nb header lines : 5", "", "Galvanostatic Cycling with Potential Limitation"]
    body = table.to_csv(sep="\t", index=False, float_format="%.9E", lineterminator="\n")
    path.write_text("\n".join(header) + "\n" + body.replace(".", ","), encoding="latin-1")


def write_neware_csv(frame, path):
    kinds = {"rest": "Rest", "charge": "CC Chg", "discharge": "CC DChg"}
    table = _neware_table(frame, kinds)
    table.to_csv(path, index=False, float_format="%.8f")


def _neware_table(frame, kinds):
    return pd.DataFrame(
        {
            "DataPoint": np.arange(1, len(frame) + 1),
            "Cycle Index": frame.cycle,
            "Step Index": frame.step,
            "Step Type": frame.kind.map(kinds),
            "Time": _clock(frame.step_time_s),
            "Cumulative Time": _clock(frame.time_s),
            "Current(A)": frame.current_ma / 1e3,
            "Voltage(V)": frame.voltage_v,
            "Capacity(Ah)": (frame.step_charge_mah + frame.step_discharge_mah) / 1e3,
            "Chg. Cap.(Ah)": frame.step_charge_mah / 1e3,
            "DChg. Cap.(Ah)": frame.step_discharge_mah / 1e3,
        }
    )


def write_neware_xlsx(frame, path):
    kinds = {"rest": "Rest", "charge": "CC Chg", "discharge": "CC DChg"}
    _neware_table(frame, kinds).to_excel(path, index=False, sheet_name="record")


def write_arbin_csv(frame, path):
    pd.DataFrame(
        {
            "Data_Point": np.arange(1, len(frame) + 1),
            "Test_Time(s)": frame.time_s,
            "Step_Time(s)": frame.step_time_s,
            "Step_Index": frame.step,
            "Cycle_Index": frame.cycle,
            "Current(A)": frame.current_ma / 1e3,
            "Voltage(V)": frame.voltage_v,
            "Charge_Capacity(Ah)": frame.cycle_charge_mah / 1e3,
            "Discharge_Capacity(Ah)": frame.cycle_discharge_mah / 1e3,
        }
    ).to_csv(path, index=False, float_format="%.9g")


def write_maccor(frame, path):
    state = frame.kind.map({"rest": "R", "charge": "C", "discharge": "D"})
    table = pd.DataFrame(
        {
            "Rec#": np.arange(1, len(frame) + 1),
            "Cyc#": frame.cycle - 1,
            "Step": frame.step,
            "Test (Sec)": frame.time_s,
            "Step (Sec)": frame.step_time_s,
            "Amp-hr": (frame.step_charge_mah + frame.step_discharge_mah) / 1e3,
            "Watt-hr": 0.0,
            "Amps": frame.current_ma.abs() / 1e3,
            "Volts": frame.voltage_v,
            "State": state,
            "ES": 0,
            "DPt Time": "01/01/2024 00:00:00",
        }
    )
    body = table.to_csv(sep="\t", index=False, float_format="%.10f", lineterminator="\n")
    path.write_text("Today's Date 01/01/2024  Date of Test:\t01/01/2024\t Filename:\tsynthetic.001\n" + body)


def write_landt_csv(frame, path):
    table = pd.DataFrame(
        {
            "channel_index": 1,
            "cycle_index": frame.cycle,
            "step_index": frame.step,
            "test_time_s": frame.time_s,
            "step_time_s": frame.step_time_s,
            "current_A": frame.current_ma / 1e3,
            "voltage_V": frame.voltage_v,
            "discharge_capacity_Ah": frame.cycle_discharge_mah / 1e3,
            "charge_capacity_Ah": frame.cycle_charge_mah / 1e3,
        }
    )
    path.write_text("cell model:,\ncell id: synthetic,\n" + table.to_csv(index=False, float_format="%.9g"))


def write_bdf(frame, path):
    pd.DataFrame(
        {
            "test_time_second": frame.time_s,
            "voltage_volt": frame.voltage_v,
            "current_ampere": frame.current_ma / 1e3,
            "cycle_count": frame.cycle,
            "step_index": frame.step,
            "charging_capacity_ah": frame.cycle_charge_mah / 1e3,
            "discharging_capacity_ah": frame.cycle_discharge_mah / 1e3,
        }
    ).to_csv(path, index=False, float_format="%.9g")


def write_bdf_human(frame, path):
    pd.DataFrame(
        {
            "Test Time / h": frame.time_s / 3600.0,
            "Current / A": frame.current_ma / 1e3,
            "Voltage / V": frame.voltage_v,
            "Cycle Count / 1": frame.cycle,
            "Step Index / 1": frame.step,
            "Charge Capacity / Ah": frame.cycle_charge_mah / 1e3,
            "Discharge Capacity / Ah": frame.cycle_discharge_mah / 1e3,
        }
    ).to_csv(path, index=False, float_format="%.12g")


def write_pec(frame, path):
    table = pd.DataFrame(
        {
            "Test": 1,
            "Cell": 1,
            "Rack": "R1",
            "Shelf": 1,
            "Position": 1,
            "Cell ID": "",
            "Step": frame.step,
            "Cycle": frame.cycle - 1,
            "Total Time (Seconds)": frame.time_s,
            "Step Time (Seconds)": frame.step_time_s,
            "Voltage (mV)": frame.voltage_v * 1e3,
            "Current (mA)": frame.current_ma,
            "Charge Capacity (mAh)": frame.cycle_charge_mah,
            "Discharge Capacity (mAh)": frame.cycle_discharge_mah,
        }
    )
    path.write_text("Request Year:,2024\nTest:,1\n\n" + table.to_csv(index=False, float_format="%.9g"))


def write_generic(frame, path):
    """Only time, voltage and current: capacities by integration, cycles from the current sign."""
    table = pd.DataFrame({"t [s]": frame.time_s, "U [V]": frame.voltage_v, "I [uA]": frame.current_ma * 1e3})
    path.write_text("# exported by a home-made rig\n" + table.to_csv(sep=";", index=False, decimal=","))


WRITERS = {
    "biologic_mpt": (write_mpt, ".mpt", {}),
    "neware_export": (write_neware_csv, ".csv", {}),
    "arbin_csv": (write_arbin_csv, ".csv", {}),
    "maccor": (write_maccor, ".001", {}),
    "landt_csv": (write_landt_csv, ".csv", {}),
    "bdf": (write_bdf, ".csv", {}),
    "bdf_human": (write_bdf_human, ".csv", {}),
    "pec_csv": (write_pec, ".csv", {}),
    "csv": (
        write_generic,
        ".txt",
        {"columns": {"time_s": "t [s]", "voltage_v": "U [V]", "current_ma": ("I [uA]", 1e-3)}},
    ),
}


@pytest.fixture(scope="module")
def record():
    return make_record()


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_every_text_format_gives_the_known_capacities(name, record, tmp_path):
    writer, suffix, kwargs = WRITERS[name]
    path = tmp_path / f"synthetic_{name}{suffix}"
    writer(record, path)
    data = echem.read_cycling(path, **kwargs)
    expected_format = "bdf" if name == "bdf_human" else name
    assert data.format == expected_format
    summary = echem.cycle_summary(data, active_mass_mg=10.0)
    q_charge, q_discharge, ce = truth()
    assert summary["cycle"].tolist() == list(range(1, N_CYCLES + 1))
    np.testing.assert_allclose(summary["charge_capacity_mah"], q_charge, rtol=5e-3)
    np.testing.assert_allclose(summary["discharge_capacity_mah"], q_discharge, rtol=5e-3)
    np.testing.assert_allclose(summary["coulombic_efficiency"], ce, atol=1e-3)
    np.testing.assert_allclose(summary["charge_capacity_mah_g"], q_charge / 0.010, rtol=5e-3)
    assert summary["complete"].all()


def test_neware_xlsx_gives_the_known_capacities(tmp_path):
    frame = make_record(10)
    path = tmp_path / "synthetic.xlsx"
    write_neware_xlsx(frame, path)
    summary = echem.cycle_summary(echem.read_cycling(path))
    q_charge, q_discharge, _ = truth(10)
    np.testing.assert_allclose(summary["charge_capacity_mah"], q_charge, rtol=5e-3)
    np.testing.assert_allclose(summary["discharge_capacity_mah"], q_discharge, rtol=5e-3)


def test_generic_csv_records_that_cycles_were_derived(record, tmp_path):
    path = tmp_path / "rig.txt"
    write_generic(record.iloc[: 3 * 56], path)
    data = echem.read_cycling(path, columns=WRITERS["csv"][2]["columns"])
    assert data.cycles_derived
    assert "derived from current sign" in data.metadata["cycle_source"]
    assert data.metadata["capacity_source"].startswith("integrated")


def test_discharge_first_convention_pairs_discharge_with_the_next_charge(record, tmp_path):
    """Cycles derived with first_half_cycle='discharge': the leading charge is cycle 1 on its
    own, then each discharge opens a cycle, so cycle 2 = discharge 1 + charge 2."""
    path = tmp_path / "rig.txt"
    write_generic(record.iloc[: 3 * 56], path)
    data = echem.read_cycling(path, columns=WRITERS["csv"][2]["columns"], first_half_cycle="discharge")
    summary = echem.cycle_summary(data)
    q_charge, q_discharge, _ = truth(3)
    assert summary.loc[0, "discharge_capacity_mah"] == 0.0
    assert not summary.loc[0, "complete"]
    np.testing.assert_allclose(
        summary.loc[1, ["discharge_capacity_mah", "charge_capacity_mah"]].to_numpy(float),
        [q_discharge[0], q_charge[1]],
        rtol=5e-3,
    )
    np.testing.assert_allclose(summary.loc[1, "coulombic_efficiency"], q_charge[1] / q_discharge[0], rtol=5e-3)


def test_truncated_last_cycle_is_flagged_not_dropped(record, tmp_path):
    # stop in the middle of cycle 5's discharge
    cut = record.index[(record.cycle == 5) & (record.kind == "discharge")][10]
    path = tmp_path / "cut.csv"
    write_arbin_csv(record.loc[:cut], path)
    summary = echem.cycle_summary(echem.read_cycling(path))
    assert summary["cycle"].tolist() == [1, 2, 3, 4, 5]
    assert summary["complete"].tolist() == [True, True, True, True, False]
    # and a run stopped during the charge of cycle 5
    cut = record.index[(record.cycle == 5) & (record.kind == "charge")][10]
    write_arbin_csv(record.loc[:cut], path)
    summary = echem.cycle_summary(echem.read_cycling(path))
    assert summary["complete"].tolist() == [True, True, True, True, False]


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "empty"),
        (b"\x00\x01\x02binary junk" * 10, "binary"),
        (b"a,b,c\n1,2,3\n", "unknown cycler format"),
    ],
)
def test_foreign_files_raise_format_error_naming_the_file(tmp_path, content, message):
    path = tmp_path / "foreign.dat"
    path.write_bytes(content)
    with pytest.raises(FormatError, match=message) as info:
        echem.read_cycling(path)
    assert str(path) in str(info.value)


def test_truncated_mpt_raises_format_error(record, tmp_path):
    path = tmp_path / "cut.mpt"
    write_mpt(record.iloc[:50], path)
    text = path.read_text(encoding="latin-1")
    path.write_text(text[:200], encoding="latin-1")
    with pytest.raises(FormatError, match="cut.mpt"):
        echem.read_cycling(path)


def test_non_numeric_cell_raises_format_error(record, tmp_path):
    path = tmp_path / "bad.csv"
    write_arbin_csv(record.iloc[:60], path)
    lines = path.read_text().splitlines()
    fields = lines[10].split(",")
    fields[6] = "n/a?"
    lines[10] = ",".join(fields)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(FormatError, match="non-numeric"):
        echem.read_cycling(path)


def test_bad_options_raise_value_error(record, tmp_path):
    path = tmp_path / "ok.csv"
    write_arbin_csv(record.iloc[:60], path)
    with pytest.raises(ValueError, match="format='nope'"):
        echem.read_cycling(path, format="nope")
    with pytest.raises(ValueError, match="first_half_cycle='up'"):
        echem.read_cycling(path, first_half_cycle="up")
    with pytest.raises(ValueError, match="columns key 'volts'"):
        echem.read_cycling(path, columns={"time_s": "Test_Time(s)", "volts": "Voltage(V)"})


def test_reading_never_changes_the_file(record, tmp_path):
    path = tmp_path / "keep.csv"
    write_arbin_csv(record.iloc[:60], path)
    before = path.read_bytes()
    echem.read_cycling(path)
    assert path.read_bytes() == before


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 10**8), min_size=1, max_size=50))
def test_clock_text_parses_to_its_seconds(seconds):
    """H+:MM:SS text (hours past 24, as Neware writes it) gives back the seconds it was made from."""
    from echem.cycling.readers.tables import clock_seconds

    text = pd.Series([f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in seconds])
    np.testing.assert_array_equal(clock_seconds(text, what="Time"), np.asarray(seconds, dtype=float))
