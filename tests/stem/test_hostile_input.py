"""Issue 17 regressions for stem readers: corrupt HDF5, directories, hostile .npy sidecars."""

from __future__ import annotations

import numpy as np
import pytest

import stem
from ssbkit.errors import FormatError


def _corrupt(shared_data, tmp_path, name, out):
    raw = bytearray((shared_data / "stem" / name).read_bytes())
    # overwrite the superblock's object headers: h5py then raises KeyError/RuntimeError, not OSError
    raw[96:4096] = bytes((b * 7 + 3) % 256 for b in raw[96:4096])
    path = tmp_path / out
    path.write_bytes(bytes(raw))
    return path


@pytest.mark.parametrize("name, out", [("rsciio_arina/test_00_master.h5", "master.h5"),
                                       ("rsciio_Si100_4D.emd", "si.emd")])
def test_corrupt_hdf5_is_a_format_error(shared_data, tmp_path, name, out):
    path = _corrupt(shared_data, tmp_path, name, out)
    for reader in (stem.read_4dstem, stem.read_segments, stem.read_image):
        with pytest.raises(FormatError, match=out):
            reader(path)


def test_directory_is_named_as_such(tmp_path):
    for reader in (stem.read_4dstem, stem.read_segments, stem.read_image):
        with pytest.raises(FormatError, match="is a directory"):
            reader(tmp_path)


@pytest.mark.parametrize("sidecar, message", [
    ("[1, 2]", "must hold a JSON object"),
    ('{"scan_pixel_size_nm": "wide"}', "scan_pixel_size_nm = 'wide' is not a number"),
    ("[" * 100000 + "]" * 100000, "not valid JSON"),
    ('{"beam_energy_kev": 2', "not valid JSON"),
])
def test_hostile_npy_sidecar(tmp_path, sidecar, message):
    path = tmp_path / "scan.npy"
    np.save(path, np.zeros((2, 2, 3, 3)))
    path.with_suffix(".json").write_text(sidecar)
    with pytest.raises(FormatError, match=message):
        stem.read_4dstem(path)


def test_valid_sidecar_numbers_are_read(tmp_path):
    path = tmp_path / "scan.npy"
    np.save(path, np.zeros((2, 2, 3, 3)))
    path.with_suffix(".json").write_text('{"scan_pixel_size_nm": "0.5", "beam_energy_kev": 300}')
    data = stem.read_4dstem(path, lazy=False)
    assert data.scan_pixel_size_nm == 0.5 and data.beam_energy_kev == 300.0
