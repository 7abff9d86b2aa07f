"""Real cycler files (../shared/data/echem/cycling, listed in its INDEX.md): every file
is read or refused with a FormatError, and per-cycle capacities agree with galvani (datalab-org fork 0.6),
NewareNDA 2026.6.11, cellpy's golden summary (cellpy@c5d74b9) or the vendor's own
capacity columns within 0.5 %."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import echem
from ssbkit.errors import FormatError

#: file -> format name it must be read as, or the start of the FormatError text it must raise
EXPECTED = {
    "bdf__DLR_LiLNMO_POCV_Basytec.bdf.csv": "bdf",
    "bdf__SINTEF_LiGrR2032_Landt.bdf.csv": "bdf",
    "bdf__SINTEF_LiGrR2032_Landt.raw.csv": "landt_csv",
    "beep__2017-05-09_test-TC-contact_CH33.csv": "arbin_csv",
    "beep__2017-05-09_test-TC-contact_CH33_Metadata.csv": "refused: an Arbin *_Metadata.csv",
    "beep__FastCharge_000025_CH8.csv": "arbin_csv",
    "beep__FastCharge_000025_CH8_Metadata.csv": "refused: an Arbin *_Metadata.csv",
    "beep__PreDiag_000229_000229_truncated.034": "maccor",
    "beep__PredictionDiagnostics_000109_tztest.010": "maccor",
    "cellpy__20160805_test001_45_cc_01.res": "arbin_res",
    "cellpy__20260302_IFE_BTS85_2_9_8_1.ndax": "neware_binary",
    "cellpy__batmo_bdf.csv": "bdf",
    "cellpy__biol.mpr": "biologic_mpr",
    "cellpy__custom_data_001.csv": "refused: unknown cycler format",
    "cellpy__maccor_001.txt": "maccor",
    "cellpy__maccor_002.txt": "maccor",
    "cellpy__maccor_two.txt": "maccor",
    "cellpy__neware_uio.csv": "neware_export",
    "cellpy__nw_regular_export_ife_example.csv": "neware_nested_export",
    "cellpy__pec.csv": "pec_csv",
    "navani__00_test_04_MB_C01.mpr": "biologic_mpr",
    "navani__arbin_example.res": "arbin_res",
    "navani__test.nda": "neware_binary",
    "navani__test.ndax": "neware_binary",
    "newarenda__TestFile.nda": "neware_binary",
    "newarenda__TestFile.reference.ftr": "refused: an Arrow/Feather table",
    "newarenda__Unit27_Example.ndax": "neware_binary",
    "newarenda__Unit27_Example.reference.ftr": "refused: an Arrow/Feather table",
    "yadg__cp.mpr": "biologic_mpr",
    "yadg__cp.mpt": "biologic_mpt",
    "yadg__gcpl.issue_149.mpr": "biologic_mpr",
    "yadg__gcpl.issue_149.mpt": "biologic_mpt",
    "yadg__gcpl.issue_211.mpr": "biologic_mpr",
    "yadg__gcpl.issue_211.mpt": "biologic_mpt",
    "yadg__gcpl.issue_230.mpr": "biologic_mpr",
    "yadg__gcpl.mpr": "biologic_mpr",
    "yadg__gcpl.pr_182.1.mpr": "biologic_mpr",
    "yadg__mb.issue_223.mpr": "biologic_mpr",
    "yadg__mb.issue_223.mpt": "biologic_mpt",
    "yadg__mb.mpr": "biologic_mpr",
}


@pytest.fixture(scope="module")
def folder(shared_data):
    return shared_data / "echem" / "cycling"


def _read(path, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # galvani warns about unknown flags in old files
        return echem.read_cycling(path, **kwargs)


def test_every_real_file_is_read_or_refused_clearly(folder):
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(EXPECTED), "the folder changed: update EXPECTED"
    for name in names:
        expected = EXPECTED[name]
        if expected.startswith("refused: "):
            with pytest.raises(FormatError) as info:
                _read(folder / name)
            text = str(info.value)
            assert name in text and expected[len("refused: ") :] in text, text
        else:
            data = _read(folder / name)
            assert data.format == expected, name
            frame = data.data
            assert list(frame.columns) == list(echem.CANONICAL_COLUMNS)
            assert frame["cycle"].min() >= 1
            assert (frame["charge_capacity_mah"] >= 0).all() and (frame["discharge_capacity_mah"] >= 0).all()
            assert np.all(np.isfinite(frame["time_s"])) and np.all(np.isfinite(frame["voltage_v"]))


@pytest.mark.parametrize(
    "name, rows",
    [
        # cellpy golden loader metrics (ground_truth/cellpy_golden__loader_*__metrics.json)
        ("cellpy__biol.mpr", 23561),
        ("cellpy__batmo_bdf.csv", 21206),
        ("cellpy__maccor_001.txt", 6704),
        ("cellpy__neware_uio.csv", 9065),
        ("cellpy__pec.csv", 16255),
    ],
)
def test_record_counts_match_cellpy_goldens(folder, name, rows):
    data = _read(folder / name)
    assert len(data.data) + data.metadata["dropped_records"] == rows


def test_mpr_with_columns_galvani_does_not_know_matches_its_mpt_export(folder):
    # EC-Lab 11.6 Modulo Bat file with column IDs unknown to galvani (880): the records read from the .mpr
    # equal EC-Lab's own .mpt export of the same run (7 significant digits). Cycles are not compared: the
    # .mpt carries EC-Lab's loop counter ("cycle number", one loop here), the .mpr has none, so cycles are
    # derived from the current sign there (recorded in the metadata).
    mpr = _read(folder / "yadg__mb.issue_223.mpr")
    mpt = _read(folder / "yadg__mb.issue_223.mpt")
    assert len(mpr.data) == len(mpt.data) == 108
    assert mpr.metadata["cycle_source"].startswith("derived") and mpt.metadata["cycle_source"] == "file"
    for column in ("time_s", "voltage_v", "current_ma", "charge_capacity_mah", "discharge_capacity_mah"):
        np.testing.assert_allclose(mpr.data[column], mpt.data[column], rtol=1e-6, atol=1e-7, err_msg=column)


def test_mpr_with_two_unknown_columns_reads_the_columns_around_them(folder):
    # EC-Lab GCPL file with two column IDs galvani does not know (883, 884), read as 8-byte floats: the
    # columns before them agree with each other (the running sum of the dq column equals the (Q-Qo)
    # counter) and the last column, after them, is a plausible step clock (0 at each step start, never
    # beyond the test time), which a wrong width of the unknown columns would scramble.
    from galvani import BioLogic

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with open(folder / "yadg__gcpl.issue_230.mpr", "rb") as handle:
            raw = BioLogic.MPRfile(handle).data
    counter = raw["(Q-Qo)/mA.h"] - raw["(Q-Qo)/mA.h"][0]
    np.testing.assert_allclose(np.cumsum(raw["dq/mA.h"]) - raw["dq/mA.h"][0], counter, atol=1e-6)
    step_time, time = raw["step time/s"], raw["time/s"] - raw["time/s"][0]
    assert np.all(step_time >= 0) and np.all(step_time <= time + 1e-6)
    assert np.count_nonzero(step_time == 0) >= len(np.unique(raw["Ns"]))
    # cycles derived from the current sign agree with EC-Lab's own half-cycle counter (two per cycle)
    data = _read(folder / "yadg__gcpl.issue_230.mpr")
    assert data.data["cycle"].max() == int(raw["half cycle"].max()) // 2 + 1


def test_custom_file_reads_through_a_column_mapping(folder):
    # cellpy golden loader_custom: 2444 rows
    data = _read(
        folder / "cellpy__custom_data_001.csv",
        columns={
            "time_s": "test_time",
            "voltage_v": "voltage",
            "current_ma": "current",
            "cycle": "cycle",
            "step": "step",
        },
    )
    assert len(data.data) + data.metadata["dropped_records"] == 2444


def test_arbin_res_matches_cellpy_golden_summary(shared_data, folder):
    """cellpy@c5d74b9 goldens: 10261 records (loader_arbin_res); 18 cycles, cycle 1 ends at data
    point 1457 and the per-cycle charge/discharge capacity (mAh, *_absolute columns) of this
    Si half-cell (pipeline_smoke summary)."""
    golden = pd.read_parquet(
        shared_data
        / "echem"
        / "ground_truth"
        / "cellpy_golden__pipeline_smoke_summary__20160805_test001_45_cc_01.parquet"
    )
    data = _read(folder / "cellpy__20160805_test001_45_cc_01.res", first_half_cycle="discharge")
    assert len(data.data) + data.metadata["dropped_records"] == 10261
    summary = echem.cycle_summary(data)
    assert len(summary) == 18
    assert summary["n_records"].iloc[0] == 1457
    np.testing.assert_allclose(summary["charge_capacity_mah"], golden["charge_capacity_absolute"], rtol=5e-3)
    np.testing.assert_allclose(summary["discharge_capacity_mah"], golden["discharge_capacity_absolute"], rtol=5e-3)
    # the last cycle has a discharge only: cellpy writes CE 0 there, ssbkit NaN and flags it incomplete
    np.testing.assert_allclose(
        100 * summary["coulombic_efficiency"][:-1], golden["coulombic_efficiency"][:-1], rtol=5e-3
    )
    assert np.isnan(summary["coulombic_efficiency"].iloc[-1]) and not summary["complete"].iloc[-1]


def _galvani_half_cycles(path):
    """Per EC-Lab half-cycle, in order: (direction, |Q| at its end) from galvani's
    'Q charge/discharge/mA.h' column, which restarts every half-cycle."""
    from galvani import BioLogic

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = pd.DataFrame(BioLogic.MPRfile(str(path)).data)
    last = frame.groupby("half cycle", sort=True)["Q charge/discharge/mA.h"].last()
    return [(np.sign(q), abs(q)) for q in last.to_numpy()]


def test_biologic_mpr_matches_galvani_half_cycles(folder):
    path = folder / "yadg__gcpl.mpr"
    halves = _galvani_half_cycles(path)
    assert halves[0][0] < 0  # this file starts with a discharge
    summary = echem.cycle_summary(_read(path, first_half_cycle="discharge"))
    complete = summary[summary["complete"]]
    for _, row in complete.iterrows():
        k = int(row["cycle"])
        (s_d, q_d), (s_c, q_c) = halves[2 * k - 2], halves[2 * k - 1]
        assert s_d < 0 < s_c
        np.testing.assert_allclose(row["discharge_capacity_mah"], q_d, rtol=5e-3)
        np.testing.assert_allclose(row["charge_capacity_mah"], q_c, rtol=5e-3)
    assert len(complete) >= 15


@pytest.mark.parametrize("stem", ["yadg__gcpl.issue_149", "yadg__gcpl.issue_211", "yadg__cp"])
def test_mpr_and_mpt_twins_agree(folder, stem):
    a = echem.cycle_summary(_read(folder / f"{stem}.mpr"))
    b = echem.cycle_summary(_read(folder / f"{stem}.mpt"))
    np.testing.assert_allclose(a["charge_capacity_mah"], b["charge_capacity_mah"], rtol=5e-3, atol=1e-9)
    np.testing.assert_allclose(a["discharge_capacity_mah"], b["discharge_capacity_mah"], rtol=5e-3, atol=1e-9)


def _per_cycle_from_step_counters(frame, cycle, step, charge, discharge):
    by_step = frame.groupby([cycle, step], sort=False)[[charge, discharge]].max()
    return by_step.groupby(level=0, sort=True).sum()


def test_neware_nda_matches_newarenda_reference(folder):
    """newarenda__TestFile.reference.ftr is NewareNDA's own expected output (NewareNDA@8f98ca7 tests)."""
    reference = pd.read_feather(folder / "newarenda__TestFile.reference.ftr")
    expected = _per_cycle_from_step_counters(
        reference, "Cycle", "Step", "Charge_Capacity(mAh)", "Discharge_Capacity(mAh)"
    )
    summary = echem.cycle_summary(_read(folder / "newarenda__TestFile.nda")).set_index("cycle")
    np.testing.assert_allclose(summary["charge_capacity_mah"], expected["Charge_Capacity(mAh)"], rtol=5e-3)
    np.testing.assert_allclose(summary["discharge_capacity_mah"], expected["Discharge_Capacity(mAh)"], rtol=5e-3)


def test_neware_csv_matches_its_own_capacity_columns(folder):
    raw = pd.read_csv(folder / "cellpy__neware_uio.csv")
    expected = _per_cycle_from_step_counters(raw, "Cycle Index", "Step Index", "Chg. Cap.(Ah)", "DChg. Cap.(Ah)") * 1e3
    summary = echem.cycle_summary(_read(folder / "cellpy__neware_uio.csv")).set_index("cycle")
    np.testing.assert_allclose(summary["charge_capacity_mah"], expected["Chg. Cap.(Ah)"], rtol=5e-3)
    np.testing.assert_allclose(summary["discharge_capacity_mah"], expected["DChg. Cap.(Ah)"], rtol=5e-3)


def test_arbin_csv_matches_its_own_capacity_columns(folder):
    raw = pd.read_csv(folder / "beep__2017-05-09_test-TC-contact_CH33.csv")
    summary = echem.cycle_summary(_read(folder / "beep__2017-05-09_test-TC-contact_CH33.csv"))
    # one cycle; Arbin's counters are per cycle, so their last values are the cycle's capacities (Ah)
    np.testing.assert_allclose(summary["charge_capacity_mah"].iloc[0], raw["Charge_Capacity"].max() * 1e3, rtol=5e-3)


def test_maccor_matches_its_own_step_counters(folder):
    path = folder / "beep__PreDiag_000229_000229_truncated.034"
    raw = pd.read_csv(path, sep="\t", skiprows=1, index_col=False)
    raw["dir"] = raw["State"].str.strip().str[:1]
    per_step = raw[raw["dir"].isin(["C", "D"])].groupby(["Cyc#", "Step", "dir"])["Amp-hr"].max()
    expected = per_step.groupby(level=["Cyc#", "dir"]).sum().unstack() * 1e3
    summary = echem.cycle_summary(_read(path)).set_index("cycle")
    np.testing.assert_allclose(summary["charge_capacity_mah"].to_numpy(), expected["C"].fillna(0).to_numpy(), rtol=5e-3)
    np.testing.assert_allclose(
        summary["discharge_capacity_mah"].to_numpy(), expected["D"].fillna(0).to_numpy(), rtol=5e-3
    )


def test_pec_matches_its_own_capacity_columns(folder):
    path = folder / "cellpy__pec.csv"
    header = next(i for i, line in enumerate(path.read_text().splitlines()) if line.startswith("Test,Cell,Rack"))
    raw = pd.read_csv(path, skiprows=header, index_col=False)
    # PEC's capacity columns count up through a whole cycle
    expected = raw.groupby("Cycle")[["Charge Capacity (mAh)", "Discharge Capacity (mAh)"]].max()
    summary = echem.cycle_summary(_read(path))
    np.testing.assert_allclose(
        summary["charge_capacity_mah"].to_numpy(), expected["Charge Capacity (mAh)"].to_numpy(), rtol=5e-3
    )
    np.testing.assert_allclose(
        summary["discharge_capacity_mah"].to_numpy(), expected["Discharge Capacity (mAh)"].to_numpy(), rtol=5e-3
    )


def test_bdf_conversion_and_raw_landt_export_agree(folder):
    """The BDF file is the battery-data-format project's reference conversion of the raw export;
    it has no cycle column, so its cycles are derived (graphite half-cell: discharge first)."""
    a = echem.cycle_summary(_read(folder / "bdf__SINTEF_LiGrR2032_Landt.raw.csv", first_half_cycle="discharge"))
    b_data = _read(folder / "bdf__SINTEF_LiGrR2032_Landt.bdf.csv", first_half_cycle="discharge")
    assert b_data.cycles_derived
    b = echem.cycle_summary(b_data)
    np.testing.assert_allclose(a["charge_capacity_mah"], b["charge_capacity_mah"], rtol=5e-3)
    np.testing.assert_allclose(a["discharge_capacity_mah"], b["discharge_capacity_mah"], rtol=5e-3)


def test_batmo_discharge_positive_current_is_made_charge_positive(folder):
    """BattMo writes discharge current as positive; the capacity counters decide the sign."""
    data = _read(folder / "cellpy__batmo_bdf.csv")
    assert data.metadata["current_sign_flipped"] is True
    frame = data.data
    discharging = frame["discharge_capacity_mah"].diff() > 0
    assert (frame.loc[discharging, "current_ma"] < 0).mean() > 0.99


def test_neware_nested_export_matches_its_own_cycle_rows(folder):
    """The nested export's cycle rows (lines starting with the cycle number) hold Neware's
    own per-cycle Chg. Cap.(Ah) and DChg. Cap.(Ah)."""
    path = folder / "cellpy__nw_regular_export_ife_example.csv"
    rows = [line.split(",") for line in path.read_text().splitlines()[3:] if line[:1].isdigit()]
    expected = pd.DataFrame(
        {
            "cycle": [int(r[0]) for r in rows],
            "charge": [float(r[1]) * 1e3 for r in rows],
            "discharge": [float(r[2]) * 1e3 for r in rows],
        }
    )
    summary = echem.cycle_summary(_read(path))
    assert summary["cycle"].tolist() == expected["cycle"].tolist()
    # the vendor rounds to 10 uAh: compare within 0.5 % or 0.01 mAh
    np.testing.assert_allclose(summary["charge_capacity_mah"], expected["charge"], rtol=5e-3, atol=0.01)
    np.testing.assert_allclose(summary["discharge_capacity_mah"], expected["discharge"], rtol=5e-3, atol=0.01)


def test_neware_csv_matches_cellpy(folder):
    """cellpy 1.0.3 ``cellpy.get(path, instrument="neware_txt").data.summary`` charge_capacity and
    discharge_capacity (Ah, here in mAh to 6 decimals), run on this file in a separate environment."""
    cellpy_charge = [4.24934, 4.24668, 7.83477, 1.43796]
    cellpy_discharge = [5.08628, 4.36841, 7.97423, 3.31516]
    summary = echem.cycle_summary(_read(folder / "cellpy__neware_uio.csv"))
    np.testing.assert_allclose(summary["charge_capacity_mah"], cellpy_charge, rtol=5e-3)
    np.testing.assert_allclose(summary["discharge_capacity_mah"], cellpy_discharge, rtol=5e-3)
