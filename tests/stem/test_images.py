"""stem.read_image: calibrated STEM images with scale bars (known answers from the shared data INDEX files)."""

from __future__ import annotations

import zipfile

import matplotlib.pyplot as plt
import numpy as np
import pytest

import stem
from ssbkit.errors import FormatError


def test_velox_haadf_like_image_with_pixel_size(shared_data, tmp_path):
    # rosettasciio 0.15 reads this Velox file's DF-S image as (16, 20) with 0.15866 µm pixels, 300 kV
    with zipfile.ZipFile(shared_data / "eels" / "rsciio_velox_EELS_EDS.zip") as archive:
        archive.extractall(tmp_path)
    image = stem.read_image(tmp_path / "example_velox_EELS_EDS.emd", title="DF-S")
    assert image.title == "DF-S" and image.data.shape == (16, 20)
    assert image.pixel_size_nm == pytest.approx(158.65803795969113)
    assert image.beam_energy_kev == pytest.approx(300.0)
    with pytest.raises(ValueError):
        image.data[0, 0] = 1


def test_dpc_file_images_and_scale_bar(shared_data):
    # shared/data/stem/INDEX.md: 99.6 pm pixels, 300 keV
    image = stem.read_image(shared_data / "stem" / "rsciio_fei_example_dpc_titles.emd")
    assert image.pixel_size_nm == pytest.approx(0.0996199, rel=1e-5)
    ax = image.plot()
    assert [a.txt_label.get_text() for a in ax.artists] == ["0.02 nm"]  # 2 px × 0.0996 nm → a fifth: 0.02 nm
    plt.close("all")
    assert image.summary()["pixel_size_nm"] == pytest.approx(0.0996199, rel=1e-5)


def test_tiff_without_calibration_and_missing_title(tmp_path):
    import tifffile

    path = tmp_path / "plain.tif"
    tifffile.imwrite(path, np.arange(12, dtype=np.uint16).reshape(3, 4))
    image = stem.read_image(path)
    assert image.data.shape == (3, 4) and np.isnan(image.pixel_size_nm)
    assert not image.plot().artists  # no scale bar on an uncalibrated image
    plt.close("all")
    with pytest.raises(FormatError, match="HAADF"):
        stem.read_image(path, title="HAADF")
