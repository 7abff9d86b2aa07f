"""Readers: every real pattern in ../shared/data/xrd is read with the wavelength its file states,
and broken files raise FormatError naming the file.

Expected values are copied by hand from the files' own text (header elements, first data
records), or from ../shared/data/xrd/INDEX.md.
"""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest

from ssbkit.errors import FormatError
from xrd import read_pattern

PATTERN_SUFFIXES = {".xrdml", ".xy", ".xye", ".csv", ".ras", ".rasx", ".xra", ".cwn", ".uxd", ".prn"}


def _pattern_files(root: Path):
    return sorted(p for p in (root / "xrd").rglob("*") if p.suffix.lower() in PATTERN_SUFFIXES)


def test_every_real_pattern_is_read(shared_data):
    files = _pattern_files(shared_data)
    assert len(files) >= 60  # INDEX.md lists 40 Dara xrdml, 5 Xerus csv, 8 round-robin .prn and 11 others
    for path in files:
        pattern = read_pattern(path)
        assert len(pattern) > 150, path  # the shortest, xylib's empyrean.xrdml, has 196 points
        assert np.all(np.diff(pattern.two_theta_deg) > 0), path
        assert pattern.source == str(path)


@pytest.mark.parametrize("name, k1, k2, assumed", [
    # PANalytical usedWavelength element of the Dara files (INDEX.md: Ka1 1.540598 / Ka2 1.544426, ratio 0.5)
    ("dara_precursor_mixture/Li2CO3_0p9001-ZrO2_0p1000--2min.xrdml", 1.540598, 1.544426, False),
    # Rigaku RAS header *HW_XG_WAVE_LENGTH_ALPHA1 "1.540593", ALPHA2 "1.544414"
    ("xerus_HoB21.ras", 1.540593, 1.544414, False),
    # Rigaku rasx MesurementConditions0.xml WavelengthKalpha1/2
    ("dara_RM20220915Si01.rasx", 1.540593, 1.544414, False),
    # plain two-column files state no wavelength: Cu Ka assumed and flagged
    ("dara_BiFeO3.xy", 1.540598, 1.544426, True),
    ("xu_LaB6_d500_si_psd.xye", 1.540598, 1.544426, True),
])
def test_wavelength_from_file(shared_data, name, k1, k2, assumed):
    pattern = read_pattern(shared_data / "xrd" / name)
    assert pattern.wavelength_angstrom == pytest.approx(k1, abs=1e-7)
    assert pattern.wavelength2_angstrom == pytest.approx(k2, abs=1e-7)
    assert pattern.wavelength_assumed is assumed


def test_xrdml_axis_and_counts(shared_data):
    # <startPosition>10.02173288, first counts "2434 2406", last count 948 (read off the file)
    pattern = read_pattern(shared_data / "xrd/dara_precursor_mixture/Li2CO3_0p9001-ZrO2_0p1000--2min.xrdml")
    assert pattern.two_theta_deg[0] == pytest.approx(10.02173288)
    assert pattern.intensity[:2].tolist() == [2434, 2406]
    assert pattern.intensity[-1] == 948
    assert pattern.kalpha2_ratio == 0.5


def test_gsas_std_and_neutron_title(shared_data):
    # BANK 1 6001 601 CONST 1000 2.5 -> 10.00 deg start, 0.025 deg step; first record "179 147 ..."
    xra = read_pattern(shared_data / "xrd/gsas2_PBSO4.XRA")
    assert len(xra) == 6001
    assert xra.two_theta_deg[[0, 1, -1]] == pytest.approx([10.0, 10.025, 160.0])
    assert xra.intensity[:3].tolist() == [179, 147, 165]
    assert xra.wavelength_assumed
    # title "PbSO4 1.909A neutron data": the wavelength the file states
    cwn = read_pattern(shared_data / "xrd/gsas2_PBSO4.CWN")
    assert cwn.wavelength_angstrom == pytest.approx(1.909)
    assert cwn.kalpha2_ratio == 0
    assert cwn.metadata["radiation"] == "neutron"


def test_csv_and_xye_columns(shared_data):
    csv = read_pattern(shared_data / "xrd/xerus_limno_bench/MnF2+TiO2_parsed.csv")
    assert csv.two_theta_deg[:2] == pytest.approx([10.0, 10.01])  # first lines "10.0,1756.0", "10.01,1800.0"
    assert csv.intensity[:2].tolist() == [1756.0, 1800.0]
    xye = read_pattern(shared_data / "xrd/xu_LaB6_d500_si_psd.xye")
    assert xye.sigma is not None and xye.sigma[0] == pytest.approx(548.589)  # "4.57208 950.18403 548.58900"


def test_ras_attenuation_and_range(shared_data):
    ras = read_pattern(shared_data / "xrd/xerus_HoB21.ras")
    assert ras.two_theta_deg[[0, -1]] == pytest.approx([10.0, 70.0])  # "10.0000 17.0000 1.0000" ... "70.0000 55.0000"
    assert ras.intensity[0] == 17 and ras.intensity[-1] == 55


def test_xy_header_wavelength(tmp_path):
    path = tmp_path / "mo.xy"
    x = np.linspace(5, 40, 200)
    body = "\n".join(f"{a:.4f} {b:.1f}" for a, b in zip(x, 100 + x))
    path.write_text("# sample: test\n# wavelength_angstrom = 0.7093\n" + body)
    pattern = read_pattern(path)
    assert pattern.wavelength_angstrom == pytest.approx(0.7093)
    assert not pattern.wavelength_assumed
    assert pattern.kalpha2_ratio == 0


@pytest.mark.parametrize("content, fragment", [
    ("", "empty file"),
    ("# only a header\n# nothing else\n", "no numeric data"),
    ("10 1\n10.1 2\nabc def\n", "non-numeric"),
    ("\n".join(f"{10 + (i if i != 5 else 1):.1f} {i}" for i in range(20)), "not strictly increasing"),
    ("\n".join(f"{10 + i * 0.1:.1f} {'nan' if i == 3 else i}" for i in range(20)), "non-finite"),
    ("1 2\n3 4\n", "at least 10"),
])
def test_broken_xy_raises_format_error(tmp_path, content, fragment):
    path = tmp_path / "broken.xy"
    path.write_text(content)
    with pytest.raises(FormatError, match=fragment) as info:
        read_pattern(path)
    assert str(path) in str(info.value)


def test_truncated_vendor_files(tmp_path, shared_data):
    source = shared_data / "xrd/dara_precursor_mixture/TiO2_0p4009-ZnO_0p6010--2min.xrdml"
    cut = tmp_path / "cut.xrdml"
    cut.write_bytes(source.read_bytes()[:5000])
    with pytest.raises(FormatError, match="XML"):
        read_pattern(cut)
    ras = shared_data / "xrd/xerus_HoB21.ras"
    cut_ras = tmp_path / "cut.ras"
    cut_ras.write_bytes(ras.read_bytes()[:20000])
    with pytest.raises(FormatError, match="RAS_INT"):
        read_pattern(cut_ras)
    bad_zip = tmp_path / "bad.rasx"
    bad_zip.write_bytes(b"not a zip at all" * 10)
    with pytest.raises(FormatError, match="zip"):
        read_pattern(bad_zip)
    gsas = shared_data / "xrd/gsas2_PBSO4.XRA"
    cut_gsas = tmp_path / "cut.gsa"
    cut_gsas.write_text("\n".join(gsas.read_text().splitlines()[:100]))
    with pytest.raises(FormatError, match="truncated"):
        read_pattern(cut_gsas)


def test_brml_read(tmp_path):
    # a minimal DIFFRAC.SUITE archive: Datum rows "time,used,2theta,theta,counts"
    rows = "".join(f"<Datum>1,1,{20 + 0.02 * i:.2f},{10 + 0.01 * i:.3f},{100 + i}</Datum>" for i in range(50))
    xml = ("<RawData><FixedInformation><Instrument><PrimaryTracks><TrackInfoData><MountedOptics><InfoData>"
           "<Tube><WaveLengthAlpha1 Value=\"1.5406\"/><WaveLengthAlpha2 Value=\"1.54439\"/>"
           "<WaveLengthRatio Value=\"0.5\"/></Tube></InfoData></MountedOptics></TrackInfoData></PrimaryTracks>"
           f"</Instrument></FixedInformation><DataRoutes><DataRoute>{rows}</DataRoute></DataRoutes></RawData>")
    brml = tmp_path / "scan.brml"
    with zipfile.ZipFile(brml, "w") as archive:
        archive.writestr("Experiment0/RawData0.xml", xml)
    pattern = read_pattern(brml)
    assert pattern.two_theta_deg[[0, -1]] == pytest.approx([20.0, 20.98])
    assert pattern.intensity[-1] == 149
    assert pattern.wavelength_angstrom == 1.5406 and pattern.wavelength2_angstrom == 1.54439


def test_bad_format_option_and_missing_file(tmp_path):
    with pytest.raises(ValueError, match="format='pdf'"):
        read_pattern(tmp_path / "x.xy", format="pdf")
    with pytest.raises(FormatError, match="missing.xy: no such file"):  # one error shape for every reader
        read_pattern(tmp_path / "missing.xy")


def test_reader_never_modifies_file(shared_data):
    path = shared_data / "xrd/xerus_La1.75Sr0.25CuO4.ras"
    before = path.read_bytes()
    read_pattern(path)
    assert path.read_bytes() == before


def test_bruker_raw_equals_its_uxd_export(shared_data):
    # xylib samples: BT86.raw (RAW1.01) and BT86_.UXD, its text export by Bruker's XCH (INDEX.md)
    raw = read_pattern(shared_data / "xrd/xylib_BT86.raw")
    uxd = read_pattern(shared_data / "xrd/xylib_BT86_.UXD")
    assert len(raw) == len(uxd) == 2374
    np.testing.assert_array_equal(raw.intensity, uxd.intensity)  # point for point, the same counts
    # UXD prints 2-theta with 4 significant digits ("3.016", "39.94"): equal to within half a printed unit
    printed = [line.split()[0] for line in (shared_data / "xrd/xylib_BT86_.UXD").read_text().splitlines()
               if line[:1].isdigit()]
    half_unit = np.array([0.5 * 10.0 ** -len(s.split(".")[1]) for s in printed])
    assert np.all(np.abs(raw.two_theta_deg - uxd.two_theta_deg) <= half_unit + 1e-9)
    # header values of the UXD export: _START=3.000000, _STEPSIZE=0.015592, _WL1/_WL2/_WLRATIO, _STEPTIME
    assert raw.two_theta_deg[0] == pytest.approx(3.0)
    assert raw.step_deg == pytest.approx(0.015592, abs=1e-6)
    for pattern in (raw, uxd):
        assert pattern.wavelength_angstrom == pytest.approx(1.5406)
        assert pattern.wavelength2_angstrom == pytest.approx(1.54439)
        assert pattern.kalpha2_ratio == pytest.approx(0.5)
        assert not pattern.wavelength_assumed
        assert pattern.metadata["time_per_step_s"] == pytest.approx(0.5)
        assert pattern.metadata["sample_id"] == "BT86"


def test_every_bruker_raw_is_read_or_refused_clearly(shared_data):
    files = sorted((shared_data / "xrd").glob("*.raw"))
    assert len(files) == 4  # INDEX.md: BT86, Cu3Au-1, Cu3Au-2, format1
    for path in files:
        try:
            pattern = read_pattern(path)
        except FormatError as exc:
            # format1.raw holds three ranges of different steps (10-20 deg, 30-35 deg, 40-45 deg)
            assert "range_index" in str(exc) and str(path) in str(exc)
            continue
        assert pattern.metadata["format"] == "bruker_raw" and len(pattern) > 1000
    cu3au = read_pattern(shared_data / "xrd/xylib_Cu3Au-1.raw")
    assert cu3au.two_theta_deg[[0, -1]] == pytest.approx([22.0, 100.0])  # 3901 steps of 0.02 deg from 22 deg
    parts = [read_pattern(shared_data / "xrd/xylib_format1.raw", range_index=k) for k in range(3)]
    assert [len(p) for p in parts] == [101, 26, 51]
    assert [p.two_theta_deg[0] for p in parts] == pytest.approx([10.0, 30.0, 40.0])
    with pytest.raises(ValueError, match="3 range"):
        read_pattern(shared_data / "xrd/xylib_format1.raw", range_index=3)


def _raw_v1_bytes(start, step, counts, k1, k2):
    """A one-range DIFFRAC-AT "RAW " file laid out as documented (steps, time/step, step, mode, -, start,
    theta/khi/phi, 32-byte sample name, K-alpha1/2, 72 unused bytes, following-range flag, counts)."""
    header = struct.pack("<Iff I 4x f fff 32s ff 72x I", len(counts), 1.0, step, 0, start, -1e6, -1e6, -1e6,
                         b"synthetic", k1, k2, 0)
    return b"RAW " + header + np.asarray(counts, "<f4").tobytes()


def _raw_v2_bytes(start, step, counts, k1, k2, ratio):
    """A one-range "RAW2" file: uint16 range count, 256-byte file header with the wavelengths at 190,
    a 64-byte range header (uint16 length and steps, time/step, step and start), counts."""
    head = bytearray(256)
    head[:4] = b"RAW2"
    struct.pack_into("<H", head, 4, 1)
    struct.pack_into("<2s3f", head, 188, b"Cu", k1, k2, ratio)
    rng = bytearray(64)
    struct.pack_into("<HH4x3f", rng, 0, 64, len(counts), 1.0, step, start)
    return bytes(head) + bytes(rng) + np.asarray(counts, "<f4").tobytes()


def test_older_raw_layouts_round_trip(tmp_path):
    # synthetic files written from the documented layouts: the reader must give back what was written
    counts = np.arange(100, 160, dtype=float)
    path = tmp_path / "v1.raw"
    path.write_bytes(_raw_v1_bytes(10.0, 0.05, counts, 1.78897, 1.79285))  # Co K-alpha1/2
    v1 = read_pattern(path)
    assert v1.two_theta_deg[[0, -1]] == pytest.approx([10.0, 10.0 + 0.05 * 59])
    np.testing.assert_array_equal(v1.intensity, counts)
    assert v1.wavelength_angstrom == pytest.approx(1.78897) and v1.metadata["raw_version"] == "RAW"
    path2 = tmp_path / "v2.raw"
    path2.write_bytes(_raw_v2_bytes(5.0, 0.02, counts, 1.5406, 1.54439, 0.5))
    v2 = read_pattern(path2)
    assert v2.two_theta_deg[[0, -1]] == pytest.approx([5.0, 5.0 + 0.02 * 59])
    np.testing.assert_array_equal(v2.intensity, counts)
    assert v2.wavelength2_angstrom == pytest.approx(1.54439) and v2.kalpha2_ratio == pytest.approx(0.5)
    truncated = tmp_path / "cut.raw"
    truncated.write_bytes(path2.read_bytes()[:-40])
    with pytest.raises(FormatError, match="truncated"):
        read_pattern(truncated)
    with pytest.raises(FormatError, match="truncated|range count"):
        (tmp_path / "short.raw").write_bytes(b"RAW1.01" + bytes(200))
        read_pattern(tmp_path / "short.raw")


def test_uxd_counts_only_layout(tmp_path):
    # the _COUNTS form: 2-theta from _START and _STEPSIZE
    path = tmp_path / "scan.uxd"
    body = "\n".join(" ".join(str(100 + 4 * i + j) for j in range(4)) for i in range(5))
    path.write_text("; test\n_WL1=1.540600\n_WL2=1.544390\n_WLRATIO=0.5\n_START=20.0\n_STEPSIZE=0.02\n"
                    "_STEPTIME=1.0\n_COUNTS\n" + body + "\n")
    pattern = read_pattern(path)
    assert len(pattern) == 20 and pattern.two_theta_deg[-1] == pytest.approx(20.38)
    assert pattern.intensity[[0, -1]].tolist() == [100, 119]


@pytest.mark.parametrize("name", ["xylib_D1A5.dat", "xylib_PSI_DMC.dat"])
def test_neutron_block_layouts_refused_clearly(shared_data, name):
    # ILL D1A and PSI DMC text: ten counts per row after a header (INDEX.md), not 2-theta/intensity columns
    with pytest.raises(FormatError, match="block layout") as info:
        read_pattern(shared_data / "xrd" / name)
    assert name in str(info.value)
