"""Every table the echem package writes, it reads back (issue 14).

Truth: the data object itself; a written-and-read table must equal it (to the
digits pandas writes, which round-trip float64 exactly).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import echem
from echem.eis.circuits import parse_circuit
from ssbkit.errors import FormatError


def test_eis_frame_written_as_csv_reads_back_without_mapping(tmp_path):
    f = np.geomspace(1e6, 0.1, 40)
    z = parse_circuit("R0-p(R1,CPE1)-CPE2").impedance([10.0, 100.0, 1e-8, 0.9, 1e-5, 0.8], f)
    data = echem.spectrum(f, z)
    path = tmp_path / "spectrum.csv"
    data.to_frame().to_csv(path, index=False)
    back = echem.read_eis(path)
    np.testing.assert_array_equal(back.frequency_hz, f)
    np.testing.assert_array_equal(back.z_ohm, z)
    assert back.n_sweeps == 1


def test_eis_frame_of_two_sweeps_reads_back_as_two_sweeps(tmp_path):
    f = np.geomspace(1e5, 1.0, 20)
    z1 = parse_circuit("R0-p(R1,C1)").impedance([5.0, 50.0, 1e-6], f)
    z2 = parse_circuit("R0-p(R1,C1)").impedance([6.0, 60.0, 1e-6], f)
    data = echem.EISData(np.r_[f, f], np.r_[z1, z2], np.r_[np.zeros(20, int), np.ones(20, int)])
    path = tmp_path / "two.csv"
    data.to_frame().to_csv(path, index=False)
    back = echem.read_eis(path)
    assert back.n_sweeps == 2
    np.testing.assert_array_equal(back.select_sweep(1).z_ohm, z2)


def test_cycling_data_written_as_csv_reads_back(shared_data, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = echem.read_cycling(shared_data / "echem" / "cycling" / "yadg__cp.mpr")
    for index in (False, True):
        path = tmp_path / f"cycling_{index}.csv"
        data.data.to_csv(path, index=index)
        assert echem.sniff_cycling_format(path) == "ssbkit_csv"
        back = echem.read_cycling(path)
        assert back.format == "ssbkit_csv"
        pd.testing.assert_frame_equal(back.data[list(data.data.columns)], data.data, check_dtype=False)


def test_foreign_table_is_still_refused(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(FormatError, match="unknown cycler format"):
        echem.read_cycling(path)
