"""Every file in ../shared/data/eds is read with the known answers of its INDEX.md, or refused.

Known answers are those INDEX.md states (rosettasciio's own test-suite values,
rsciio/tests/test_bruker.py, test_jeol.py, test_phenom.py at commit bc254db).
"""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

import eds
from ssbkit.errors import FormatError

BCF_MAPS = [  # file, map shape, beam kV (INDEX.md)
    ("rsciio_bruker_16x16_12bit_packed_8bit.bcf", (16, 16, 2048), 20.0),
    ("rsciio_bruker_P45_the_default_job.bcf", (75, 100, 2048), 20.0),
    ("rsciio_bruker_test_TEM.bcf", (64, 64, 2048), 200.0),
    ("rsciio_bruker_bcf_v2_50x50px.bcf", (50, 50, 2048), 20.0),
    ("rsciio_bruker_bcf-edx-ebsd.bcf", (87, 100, 2048), 20.0),
]


def test_bruker_chevkinite_map_known_answers(shared_data):
    d = eds.read_eds(shared_data / "eds" / "rsciio_bruker_30x30_instructively_packed_16bit_compressed.bcf")
    assert d.counts.shape == (30, 30, 2048)
    assert d.pixel_size_nm == pytest.approx(1667.40910949362, rel=1e-12)  # 1.66740910949362 µm
    assert d.energy_scale_kev == pytest.approx(0.009999, rel=1e-9)
    assert d.energy_offset_kev == pytest.approx(-0.47225277, rel=1e-9)
    assert d.beam_energy_kev == 20.0 and d.microscope == "SEM"
    assert d.elements == tuple("Al C Ca Ce Fe Gd K Mg Na Nd O P Si Sm Th Ti".split())
    assert d.metadata["original_metadata"]["Stage"]["X"] == pytest.approx(66940.81)
    assert d.metadata["metadata"]["General"]["date"] == "2018-10-04"
    assert d.metadata["metadata"]["General"]["time"] == "13:02:07"
    reference = np.load(shared_data / "eds" / "rsciio_bruker_30x30_16bit.npy")
    assert np.array_equal(d.counts[:, :, 222:224], reference)
    assert len(d.images) == 1 and d.images[0].shape == (30, 30)
    assert d.images[0].pixel_size_nm == pytest.approx(1667.40910949362, rel=1e-12)
    assert json.dumps(d.summary()) and "30x30" in d.report()


def test_edsdata_is_frozen(shared_data):
    d = eds.read_eds(shared_data / "eds" / "rsciio_bruker_16x16_12bit_packed_8bit.bcf")
    with pytest.raises(AttributeError):
        d.beam_energy_kev = 10.0
    with pytest.raises(ValueError):
        d.counts[0, 0, 0] = 1
    with pytest.raises(ValueError):
        d.energy_kev[0] = 1.0


@pytest.mark.parametrize("name, shape, kv", BCF_MAPS)
def test_bruker_maps(shared_data, name, shape, kv):
    d = eds.read_eds(shared_data / "eds" / name)
    assert d.counts.shape == shape
    assert d.beam_energy_kev == kv
    assert d.images and all(im.pixel_size_nm > 0 for im in d.images)


def test_bruker_map_details(shared_data):
    tem = eds.read_eds(shared_data / "eds" / "rsciio_bruker_test_TEM.bcf")
    assert tem.microscope == "TEM" and tem.elements == ("Cu", "O", "Pd", "Ti")
    assert tem.images[0].title == "HAADF"
    v2 = eds.read_eds(shared_data / "eds" / "rsciio_bruker_bcf_v2_50x50px.bcf")
    assert v2.elements == ("Ag", "Al", "C", "Cu", "O")
    assert [im.shape for im in v2.images] == [(50, 50), (825, 1100)]
    p45 = eds.read_eds(shared_data / "eds" / "rsciio_bruker_P45_the_default_job.bcf")
    assert [im.shape for im in p45.images] == [(75, 100), (75, 100)]


def test_hitachi_bcf_is_read_uncalibrated(shared_data):
    # rosettasciio's test list reads it; its scan axes are in "pix", so no pixel size is invented
    d = eds.read_eds(shared_data / "eds" / "rsciio_bruker_Hitachi_TM3030Plus.bcf")
    assert d.counts.shape == (240, 320, 2048) and d.pixel_size_nm is None
    assert d.beam_energy_kev == 15.0 and d.elements == ("Al", "Cu")


def test_not_a_bcf_is_refused_naming_the_file(shared_data):
    path = shared_data / "eds" / "rsciio_bruker_Nope.bcf"
    with pytest.raises(FormatError, match="rsciio_bruker_Nope.bcf"):
        eds.read_eds(path)


def test_bruker_spectra(shared_data):
    nano = eds.read_eds(shared_data / "eds" / "rsciio_bruker_bruker_nano.spx")
    assert nano.counts.shape == (4096,) and nano.pixel_size_nm is None
    assert nano.elements == ("Fe", "S", "Cu")
    assert nano.live_time_s == pytest.approx(7.385)
    extracted = eds.read_eds(shared_data / "eds" / "rsciio_bruker_extracted_from_bcf.spx")
    assert extracted.counts.shape == (1548,)


def test_jeol_spectrum(shared_data):
    d = eds.read_eds(shared_data / "eds" / "rsciio_jeol_met03.EDS")
    assert d.counts.shape == (2048,) and d.beam_energy_kev == 200.0
    assert d.energy_resolution_ev == pytest.approx(138.0) and d.live_time_s == pytest.approx(30.0)


def test_jeol_pts_map_stays_lazy(shared_data):
    folder = shared_data / "eds" / "rsciio_jeol_Sample" / "00_View000"
    d = eds.read_eds(folder / "View000_0000006.pts")
    assert d.counts.shape == (512, 512, 4096) and d.is_lazy
    assert d.pixel_size_nm == pytest.approx(8.69140625)  # 0.00869140625 µm (rosettasciio 0.15)
    assert d.beam_energy_kev == 200.0
    assert [im.shape for im in d.images] == [(512, 512)]  # View000_0000000.img beside it


def test_phenom_elid(shared_data):
    path = shared_data / "eds" / "rsciio_phenom_Elid2Version3.elid"
    d = eds.read_eds(path)
    assert d.metadata["n_eds_datasets"] + len(d.images) == 11  # 11 datasets (INDEX.md)
    assert d.counts.shape == (16, 16, 2048) and d.title == "Image 1, Map 3"  # the first map by default
    assert d.pixel_size_nm == pytest.approx(1219.7240748650153)  # as rosettasciio 0.15 reads it
    assert d.beam_energy_kev == pytest.approx(15.0)
    assert d.metadata["metadata"]["General"]["date"] == "2019-08-07"
    assert d.metadata["metadata"]["General"]["time"] == "09:37:31"
    image = eds.read_image(path)
    assert image.shape == (16, 20) and image.pixel_size_nm == pytest.approx(975.779, rel=1e-6)
    assert eds.read_eds(path, index=0).counts.shape == (2048,)  # "Image 1, Spot 1"


def test_velox_emd_with_eds(shared_data, tmp_path):
    with zipfile.ZipFile(shared_data / "eels" / "rsciio_velox_EELS_EDS.zip") as archive:
        archive.extractall(tmp_path)
    d = eds.read_eds(tmp_path / "example_velox_EELS_EDS.emd")
    assert d.counts.shape == (128, 128, 4096)  # the spectrum image, not the summed spectra (rosettasciio 0.15)
    assert d.pixel_size_nm == pytest.approx(158.65803795969113)
    assert d.beam_energy_kev == pytest.approx(300.0) and d.elements == ("Co", "Fe", "O")


def test_fei_and_imagej_tiff_pixel_size(shared_data, tmp_path):
    with zipfile.ZipFile(shared_data / "eds" / "rsciio_tiff_tiff_FEI_Helios.zip") as archive:
        archive.extractall(tmp_path)
    fei = eds.read_image(tmp_path / "FEI-Helios-Ebeam-8bits.tif")
    assert fei.shape == (471, 512)
    assert fei.pixel_size_nm == pytest.approx(3372.4)  # 3.3724e-06 m from the FEI tags (rosettasciio 0.15)
    assert fei.beam_energy_kev == pytest.approx(5.0)  # fei_metadata Beam.HV = 5000 V
    uncalibrated = eds.read_image(tmp_path / "FEI-Helios-navcam-with-no-IRBeam.tif")
    assert uncalibrated.pixel_size_nm is None
    imagej = eds.read_image(shared_data / "eds" / "rsciio_tiff_test_loading_image_saved_with_imageJ.tif")
    assert imagej.shape == (68, 68)
    assert imagej.pixel_size_nm == pytest.approx(168.67471098853332)  # 0.1687 µm, ImageJ tags


def test_images_plot_with_scale_bar(shared_data):
    from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

    image = eds.read_image(shared_data / "eds" / "rsciio_bruker_test_TEM.bcf")
    ax = image.plot()
    bars = [a for a in ax.artists if isinstance(a, AnchoredSizeBar)]
    assert len(bars) == 1  # 64 px × 0.771 nm: a 5 nm bar
    assert bars[0].txt_label.get_text() == "5 nm"


def test_unsupported_formats_say_what_to_export(tmp_path):
    path = tmp_path / "map.h5oina"
    path.write_bytes(b"\x89HDF\r\n\x1a\n")
    with pytest.raises(FormatError, match=r"map\.h5oina.*Ripple"):
        eds.read_eds(path)
    with pytest.raises(FormatError, match="no such file"):
        eds.read_eds(tmp_path / "missing.bcf")
    other = tmp_path / "notes.txt"
    other.write_text("x")
    with pytest.raises(FormatError, match="unsupported extension"):
        eds.read_eds(other)


def test_from_arrays_and_bad_axes():
    d = eds.EDSData(np.zeros((3, 10)), np.linspace(0, 1, 10))
    assert d.navigation_shape == (3,) and d.pixel_size_nm is None
    with pytest.raises(FormatError, match="strictly increasing"):
        eds.EDSData(np.zeros(10), np.zeros(10))
    with pytest.raises(FormatError, match="do not end with"):
        eds.EDSData(np.zeros((3, 9)), np.linspace(0, 1, 10))


def test_file_without_eds_or_images_says_what_it_holds(shared_data, tmp_path):
    import tifffile

    path = tmp_path / "plain.tif"
    tifffile.imwrite(path, np.zeros((4, 5), np.uint8))
    with pytest.raises(FormatError, match=r"holds no EDS datasets \(found: .*\(4, 5\)"):
        eds.read_eds(path)
    with pytest.raises(ValueError, match="index=3"):
        eds.read_image(path, index=3)
    with pytest.raises(FormatError, match="holds no 2-D electron images"):
        eds.read_image(shared_data / "eds" / "rsciio_bruker_bruker_nano.spx")


@pytest.mark.parametrize("suffix", [".hspy", ".zspy", ".rpl"])
def test_write_and_read_back(tmp_path, suffix):
    truth = eds.simulate_interface_map((24, 20), n_channels=256, energy_scale_kev=0.04, pore_fraction=0.0, seed=1)
    path = eds.write_eds(tmp_path / f"map{suffix}", truth.data)
    back = eds.read_eds(path)
    assert np.array_equal(np.asarray(back.counts), np.asarray(truth.data.counts))
    assert np.allclose(back.energy_kev, truth.data.energy_kev)
    assert back.pixel_size_nm == pytest.approx(50.0) and back.beam_energy_kev == pytest.approx(15.0)
    assert back.microscope == "SEM"
    if suffix != ".rpl":  # Ripple keeps no element list
        assert back.elements == truth.data.elements
    with pytest.raises(FileExistsError):
        eds.write_eds(path, truth.data)


@pytest.mark.parametrize("suffix", [".tif", ".hspy"])
def test_write_image_reads_back_in_eds_and_stem(tmp_path, suffix):
    import stem

    image = eds.ElectronImage(np.arange(30, dtype=np.uint16).reshape(5, 6), 2.5, 200.0, "HAADF")
    path = eds.write_image(tmp_path / f"haadf{suffix}", image)
    back = eds.read_image(path)
    assert np.array_equal(back.data, image.data) and back.pixel_size_nm == pytest.approx(2.5)
    assert stem.read_image(path).pixel_size_nm == pytest.approx(2.5)


def test_zeiss_sem_tiff_scale_and_voltage(tmp_path):
    # a Zeiss CZ_SEM tag (34118) built as Zeiss writes it: unnamed SI values first, the 4th being the pixel
    # size in m at 1024 px width (rosettasciio's _axes_zeiss), then named parameters such as the EHT
    import tifffile

    text = "\r\n".join(["0", "0", "0", "2.5e-09", "AP_ACTUALKV", "EHT = 15.00 kV"]) + "\r\n"
    path = tmp_path / "zeiss.tif"
    tifffile.imwrite(path, np.zeros((4, 512), np.uint8), extratags=[(34118, "s", 0, text, True)])
    image = eds.read_image(path)
    assert image.pixel_size_nm == pytest.approx(2.5 * 1024 / 512)  # 2.5 nm at 1024 px → 5 nm at 512 px
    assert image.beam_energy_kev == pytest.approx(15.0)


def test_jeol_img_electron_image(shared_data):
    # the view's electron image: 512 × 512, 0.00869140625 µm pixels, 200 kV (rosettasciio 0.15)
    image = eds.read_image(shared_data / "eds" / "rsciio_jeol_Sample" / "00_View000" / "View000_0000000.img")
    assert image.shape == (512, 512) and image.pixel_size_nm == pytest.approx(8.69140625)
    assert image.beam_energy_kev == pytest.approx(200.0)


def test_velox_image_by_title(shared_data, tmp_path):
    with zipfile.ZipFile(shared_data / "eels" / "rsciio_velox_EELS_EDS.zip") as archive:
        archive.extractall(tmp_path)
    path = tmp_path / "example_velox_EELS_EDS.emd"
    image = eds.read_image(path, title="DF-S")
    assert image.title == "DF-S" and image.beam_energy_kev == pytest.approx(300.0)
    assert image.pixel_size_nm == pytest.approx(158.65803795969113)  # rosettasciio 0.15
    with pytest.raises(FormatError, match="titled 'HAADF'"):
        eds.read_image(path, title="HAADF")


def test_directories_and_pipes_are_refused(tmp_path):
    import os

    folder = tmp_path / "map.bcf"
    folder.mkdir()
    with pytest.raises(FormatError, match="directory"):
        eds.read_eds(folder)
    fifo = tmp_path / "pipe.bcf"
    os.mkfifo(fifo)
    with pytest.raises(FormatError, match="not a regular file"):
        eds.read_eds(fifo)
