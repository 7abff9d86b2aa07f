"""Reading EELS files through rosettasciio: real files (shared/data/eels), broken files."""

from __future__ import annotations

import hashlib
import zipfile

import numpy as np
import pytest

from eels import EELSData, NavigationAxis, read_eels, sniff_format
from ssbkit.errors import FormatError


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_msa_single_spectrum(shared_data):
    # INDEX.md: 2048 channels, -40..369.4 eV, 0.2 eV/channel
    path = shared_data / "eels" / "exspy_lowloss_spectrum.msa"
    before = _digest(path)
    data = read_eels(path)
    assert data.counts.shape == (2048,)
    assert data.navigation_shape == ()
    assert data.energy_loss_ev[0] == pytest.approx(-40.0)
    assert data.energy_loss_ev[-1] == pytest.approx(369.4)
    assert data.dispersion_ev_per_channel == pytest.approx(0.2)
    assert data.beam_energy_kev is None and data.collection_semiangle_mrad is None
    assert data.source == str(path)
    assert _digest(path) == before  # never modifies the user's file


def test_hspy_spectrum_with_instrument_metadata(shared_data):
    # INDEX.md: Cr L low loss -20..183 eV, E0 = 200 keV, α = 21, β = 50 mrad; 2035 channels of 0.1 eV
    data = read_eels(shared_data / "eels" / "exspy_Cr_L_ll.hspy")
    assert data.counts.shape == (2035,)
    assert data.energy_loss_ev[0] == pytest.approx(-20.0)
    assert data.energy_loss_ev[-1] == pytest.approx(-20.0 + 0.1 * 2034)
    assert data.beam_energy_kev == 200.0
    assert data.convergence_semiangle_mrad == 21.0
    assert data.collection_semiangle_mrad == 50.0


def test_hspy_line_scan(shared_data):
    # INDEX.md: 10 px x 3.152 nm, 395..906 eV, E0 = 200 keV, α = 27.1, β = 33.1 mrad
    data = read_eels(shared_data / "eels" / "hyperspy-demos_LSMO_STO_linescan.hspy")
    assert data.counts.shape == (10, 512)
    (axis,) = data.navigation_axes
    assert axis.units == "nm" and axis.scale == pytest.approx(3.152, abs=1e-3)
    np.testing.assert_allclose(axis.values_nm, 3.152239680290222 * np.arange(10))
    assert data.energy_loss_ev[0] == pytest.approx(395.0)
    assert data.energy_loss_ev[-1] == pytest.approx(906.0)
    assert (data.beam_energy_kev, data.convergence_semiangle_mrad, data.collection_semiangle_mrad) == (200.0, 27.1, 33.1)


def test_dm4_spectrum_image_energy_moved_last(shared_data):
    # INDEX.md: 2x2 SI, 300..2347 eV at 1 eV/ch, E0 = 200 keV, α = 21, β = 62 mrad (DM ImageTags)
    data = read_eels(shared_data / "eels" / "rsciio_EELS_SI.dm4")
    assert data.counts.shape == (2, 2, 2048)
    assert data.energy_loss_ev[0] == pytest.approx(300.0)
    assert data.energy_loss_ev[-1] == pytest.approx(2347.0)
    assert data.beam_energy_kev == 200.0
    assert data.convergence_semiangle_mrad == 21.0
    assert data.collection_semiangle_mrad == 62.0
    assert [ax.units for ax in data.navigation_axes] == ["µm", "µm"]
    assert data.navigation_axes[0].values_nm[1] == pytest.approx(1.992, abs=1e-3)


def test_velox_emd_from_zip(shared_data, tmp_path):
    pytest.importorskip("sparse", reason="rosettasciio needs 'sparse' for the EDS part of Velox files")
    with zipfile.ZipFile(shared_data / "eels" / "rsciio_velox_EELS_EDS.zip") as archive:
        archive.extractall(tmp_path)
    (path,) = tmp_path.glob("*.emd")
    # INDEX.md: three EELS SIs 16x20x2048 at 0.169 eV/ch, 300 keV
    data = read_eels(path)
    assert data.metadata["n_eels_signals"] == 3
    assert data.counts.shape == (16, 20, 2048)
    assert data.dispersion_ev_per_channel == pytest.approx(0.1692, abs=1e-4)
    assert data.beam_energy_kev == 300.0
    low = read_eels(path, index=2)
    assert low.energy_loss_ev[0] == pytest.approx(-21.5026, abs=1e-3)
    with pytest.raises(FormatError, match="index=3"):
        read_eels(path, index=3)


def test_sniffing_by_content(shared_data, tmp_path):
    copy = tmp_path / "spectrum.dat"
    copy.write_bytes((shared_data / "eels" / "exspy_lowloss_spectrum.msa").read_bytes())
    assert sniff_format(copy) == "msa"
    assert read_eels(copy).counts.shape == (2048,)
    h5 = tmp_path / "scan.h5"
    h5.write_bytes((shared_data / "eels" / "hyperspy-demos_LSMO_STO_linescan.hspy").read_bytes())
    assert sniff_format(h5) == "hspy"


@pytest.mark.parametrize(
    "name, keep_bytes, match",
    [
        ("exspy_lowloss_spectrum.msa", 3000, "NPOINTS = 2048"),
        ("hyperspy-demos_LSMO_STO_linescan.hspy", 20000, "cannot be read as hspy"),
        ("rsciio_EELS_SI.dm4", 100000, "cannot be read as digitalmicrograph"),
    ],
)
def test_truncated_files_raise_format_error(shared_data, tmp_path, name, keep_bytes, match):
    broken = tmp_path / name
    broken.write_bytes((shared_data / "eels" / name).read_bytes()[:keep_bytes])
    with pytest.raises(FormatError, match=match) as info:
        read_eels(broken)
    assert str(broken) in str(info.value)


def test_foreign_and_empty_files(tmp_path):
    text = tmp_path / "notes.dm3"
    text.write_text("hello")
    with pytest.raises(FormatError, match="digitalmicrograph"):
        read_eels(text)
    empty = tmp_path / "empty.msa"
    empty.write_bytes(b"")
    with pytest.raises(FormatError, match="empty"):
        read_eels(empty)
    unknown = tmp_path / "data.xyz"
    unknown.write_bytes(b"\x01\x02\x03")
    with pytest.raises(FormatError, match="not an EELS format"):
        read_eels(unknown)
    with pytest.raises(FormatError, match="no such file"):
        read_eels(tmp_path / "missing.msa")


def test_data_object_validates_input():
    energy = np.arange(10.0)
    with pytest.raises(FormatError, match="strictly increasing"):
        EELSData(energy[::-1], np.ones(10))
    with pytest.raises(FormatError, match="energy channels"):
        EELSData(energy, np.ones(9))
    with pytest.raises(FormatError, match="navigation axes"):
        EELSData(energy, np.ones((3, 10)))
    axis = NavigationAxis("x", "px", 1.0, 0.0, 3)
    data = EELSData(energy, np.ones((3, 10)), (axis,))
    with pytest.raises(ValueError, match="not a length unit"):
        _ = axis.values_nm
    assert not data.counts.flags.writeable


def test_nan_counts_are_rejected():
    counts = np.ones(10)
    counts[3] = np.nan
    with pytest.raises(FormatError, match="NaN"):
        EELSData(np.arange(10.0), counts)
