"""Issue 17 regressions for eels: hostile EMSA headers, corrupt HDF5, zero-loss-only spectra."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

import eels
from eels import EELSData
from eels.data import NavigationAxis
from eels.thickness import ThicknessWarning
from ssbkit.errors import FormatError


@pytest.mark.parametrize("token", ["inf", "nan", "1e400", "12.5"])
def test_emsa_npoints_not_a_whole_number(shared_data, tmp_path, token):
    text = (shared_data / "eels" / "exspy_lowloss_spectrum.msa").read_text()
    path = tmp_path / "low.msa"
    path.write_text(text.replace("#NPOINTS     : 2048.00", f"#NPOINTS     : {token}"))
    with pytest.raises(FormatError, match="low.msa"):  # was OverflowError/ValueError from int(float(...))
        eels.read_eels(path)


def test_absurd_count_refused_naming_the_channel(shared_data, tmp_path):
    lines = (shared_data / "eels" / "exspy_lowloss_spectrum.msa").read_text().splitlines()
    start = lines.index("#SPECTRUM    : ") + 1
    lines[start + 10] = "1e300"  # finite, but sums and logs of it overflow downstream
    path = tmp_path / "absurd.msa"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(FormatError, match=r"absurd.msa: counts holds 1 .* the first at index 10"):
        eels.read_eels(path)


def test_corrupt_hdf5_with_unknown_extension(shared_data, tmp_path):
    raw = bytearray((shared_data / "eels" / "exspy_Cr_L_ll.hspy").read_bytes())
    raw[600:2600] = b"\x00" * 2000
    path = tmp_path / "broken.h5x"  # unknown extension: sniffed by opening it with h5py
    path.write_bytes(bytes(raw))
    with pytest.raises(FormatError, match="broken.h5x"):
        eels.read_eels(path)


def test_directory_and_oversized(tmp_path):
    with pytest.raises(FormatError, match="is a directory"):
        eels.read_eels(tmp_path)
    path = tmp_path / "big.msa"
    with open(path, "wb") as handle:
        handle.write(b"#FORMAT      : EMSA/MAS Spectral Data File\n")
        handle.truncate(20 * 2**30)
    with pytest.raises(FormatError, match="above the reader limit"):
        eels.read_eels(path)


def test_zero_loss_only_spectrum_is_flagged_undetermined():
    # was: t/λ NaN with quality "ok" and no word
    energy = np.arange(-5.0, 100.0, 0.1)
    data = EELSData(energy, 1e6 * np.exp(-0.5 * (energy / 0.5) ** 2), beam_energy_kev=200.0,
                    collection_semiangle_mrad=15.0)
    with pytest.warns(ThicknessWarning, match="t/λ undetermined in 1 of 1 spectra"):
        result = eels.thickness(data, composition="LiCoO2")
    assert result.quality == "poor"
    summary = result.summary()
    assert summary["thickness_nm"] is None and summary["t_over_lambda"] is None
    json.dumps(summary, allow_nan=False)


def test_summary_of_undetermined_scan_raises_no_runtime_warning():
    energy = np.arange(-5.0, 100.0, 0.1)
    counts = np.tile(1e6 * np.exp(-0.5 * (energy / 0.5) ** 2), (3, 1))
    data = EELSData(energy, counts, navigation_axes=(NavigationAxis("x", "nm", 1.0, 0.0, 3),),
                    beam_energy_kev=200.0, collection_semiangle_mrad=15.0)
    with pytest.warns(ThicknessWarning, match="undetermined in 3 of 3"):
        result = eels.thickness(data, composition="LiCoO2")
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        summary = result.summary()
    assert summary["thickness_min_nm"] is None and summary["thickness_max_nm"] is None
