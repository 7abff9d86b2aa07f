"""Every real DPC / 4D-STEM file in ../shared/data/stem is read or refused with a FormatError.

Expected shapes and calibrations are those stated in shared/data/stem/INDEX.md
(rosettasciio 0.15 test-suite values), with axis pairs named (x, y) in the
file transposed to our (y, x) order.
"""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

import stem
from ssbkit.errors import FormatError


def test_velox_four_segment_dpc(shared_data):
    seg = stem.read_segments(shared_data / "stem" / "rsciio_fei_example_dpc_titles.emd")
    assert seg.a.shape == (2, 2)
    assert seg.pixel_size_nm == pytest.approx(0.0996199, rel=1e-5)  # 99.6 pm (INDEX.md)
    assert seg.beam_energy_kev == pytest.approx(300.0)  # Titan at 300 keV (INDEX.md)
    defl = stem.segment_deflection(seg.a, seg.b, seg.c, seg.d, convergence_semiangle_mrad=1.0,
                                   pixel_size_nm=seg.pixel_size_nm)
    assert np.all(np.isfinite(defl.x_mrad))


def test_velox_segments_match_the_files_own_difference_images(shared_data):
    # INDEX.md (verified with rosettasciio 0.15): the file's "A-C" image equals DF4-A − DF4-C exactly
    from rsciio import emd

    path = shared_data / "stem" / "rsciio_fei_example_dpc_titles.emd"
    images = {s["metadata"]["General"]["title"]: np.asarray(s["data"]) for s in emd.file_reader(str(path))}
    seg = stem.read_segments(path)
    assert np.array_equal(seg.a - seg.c, images["A-C"])
    assert np.array_equal(seg.b - seg.d, images["B-D"])


def test_segments_from_four_tif_files(tmp_path):
    import tifffile

    rng = np.random.default_rng(2)
    stack = rng.integers(100, 200, size=(4, 6, 8)).astype(np.uint16)
    paths = []
    for name, image in zip("abcd", stack):
        paths.append(tmp_path / f"{name}.tif")
        tifffile.imwrite(paths[-1], image)
    seg = stem.read_segments(paths)
    assert np.array_equal(seg.d, stack[3]) and seg.image is None
    with pytest.raises(FormatError, match="expected 4 segment files"):
        stem.read_segments(paths[:3])


def test_velox_file_has_no_4d_data(shared_data):
    with pytest.raises(FormatError, match="no 4D-STEM dataset"):
        stem.read_4dstem(shared_data / "stem" / "rsciio_fei_example_dpc_titles.emd")


def test_prismatic_com_file_refused_clearly(shared_data):
    with pytest.raises(FormatError, match="DPC_CoM"):
        stem.read_4dstem(shared_data / "stem" / "rsciio_Si100_2D_3D_DPC_potential_2slices.emd")


def test_prismatic_4d(shared_data):
    data = stem.read_4dstem(shared_data / "stem" / "rsciio_Si100_4D.emd")
    assert data.data.shape == (11, 11, 8, 8)  # 2 depths x 11x11 x 8x8, last depth kept
    assert data.scan_pixel_size_nm == pytest.approx(0.5)
    assert data.detector_pixel_size == pytest.approx(0.18416205, rel=1e-6)
    com = stem.center_of_mass(data.data).compute()
    assert np.all(np.isfinite(com.com_x))


def test_py4dstem_h5(shared_data):
    data = stem.read_4dstem(shared_data / "stem" / "rsciio_py4DSTEM_size2x3x4x5.h5")
    assert data.data.shape == (3, 2, 5, 4)  # (Rx, Ry, Qx, Qy) = (2, 3, 4, 5) transposed to y-first
    assert data.scan_pixel_size_nm == pytest.approx(0.126796875)


def test_blockfile(shared_data):
    data = stem.read_4dstem(shared_data / "stem" / "rsciio_blockfile_test1.blo")
    assert data.data.shape == (3, 2, 144, 144)
    assert data.is_lazy
    com = stem.center_of_mass(data.data).compute()  # uint8 patterns, reduced lazily
    assert com.com_x.shape == (3, 2) and np.all((com.com_x >= 0) & (com.com_x <= 143))


def test_arina(shared_data):
    data = stem.read_4dstem(shared_data / "stem" / "rsciio_arina" / "test_00_master.h5")
    assert data.data.shape == (4, 4, 192, 192)


def test_merlin_mib_from_zip(shared_data, tmp_path):
    with zipfile.ZipFile(shared_data / "stem" / "rsciio_Merlin_navigation4x2_ROI.zip") as archive:
        archive.extractall(tmp_path)
    full = stem.read_4dstem(tmp_path / "001_4x2_6bit.mib")
    roi = stem.read_4dstem(tmp_path / "002_4x2_6bit_roi128.mib")
    assert full.data.shape[-2:] == (256, 256) and int(np.prod(full.data.shape[:2])) == 8
    assert roi.data.shape[-2:] == (128, 256)


def test_truncated_and_foreign_files_raise_format_error(shared_data, tmp_path):
    original = (shared_data / "stem" / "rsciio_blockfile_test1.blo").read_bytes()
    cut = tmp_path / "cut.blo"
    cut.write_bytes(original[:5000])
    with pytest.raises(FormatError, match="cut.blo"):
        stem.read_4dstem(cut)
    foreign = tmp_path / "notes.emd"
    foreign.write_text("not an HDF5 file")
    with pytest.raises(FormatError, match="notes.emd"):
        stem.read_4dstem(foreign)
    with pytest.raises(FormatError, match="unsupported extension"):
        stem.read_4dstem(tmp_path.joinpath("x.xyz").with_suffix(".xyz") if False else _touch(tmp_path / "x.xyz"))
    with pytest.raises(FormatError, match="no such file"):
        stem.read_segments(tmp_path / "missing.emd")


def _touch(path):
    path.write_bytes(b"\0")
    return path


def test_npy_with_sidecar_roundtrip(tmp_path):
    arr = np.zeros((2, 3, 4, 5), np.float32)
    np.save(tmp_path / "d.npy", arr)
    (tmp_path / "d.json").write_text(json.dumps({"scan_pixel_size_nm": 1.5, "beam_energy_kev": 200}))
    data = stem.read_4dstem(tmp_path / "d.npy")
    assert data.is_lazy and data.data.shape == (2, 3, 4, 5)
    assert data.scan_pixel_size_nm == 1.5 and data.beam_energy_kev == 200
    stack = np.arange(5 * 2 * 2, dtype=float).reshape(5, 2, 2)
    np.save(tmp_path / "s.npy", stack)
    seg = stem.read_segments(tmp_path / "s.npy")
    assert np.array_equal(seg.c, stack[2]) and np.array_equal(seg.image, stack[4])
    np.save(tmp_path / "bad.npy", np.zeros((3, 2, 2)))
    with pytest.raises(FormatError, match="stack"):
        stem.read_segments(tmp_path / "bad.npy")
