"""Readers: every real pattern in ../shared/data/xrd is read with the wavelength its file states,
and broken files raise FormatError naming the file.

Expected values are copied by hand from the files' own text (header elements, first data
records), or from ../shared/data/xrd/INDEX.md.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from ssbkit.errors import FormatError
from xrd import read_pattern

PATTERN_SUFFIXES = {".xrdml", ".xy", ".xye", ".csv", ".ras", ".rasx", ".xra", ".cwn"}


def _pattern_files(root: Path):
    return sorted(p for p in (root / "xrd").rglob("*") if p.suffix.lower() in PATTERN_SUFFIXES)


def test_every_real_pattern_is_read(shared_data):
    files = _pattern_files(shared_data)
    assert len(files) >= 50  # INDEX.md lists 40 Dara xrdml, 5 Xerus csv and 9 others
    for path in files:
        pattern = read_pattern(path)
        assert len(pattern) > 1000, path
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


def test_bruker_raw_refused_and_brml_read(tmp_path):
    raw = tmp_path / "scan.raw"
    raw.write_bytes(b"RAW1.01" + bytes(200))
    with pytest.raises(FormatError, match="Bruker binary RAW"):
        read_pattern(raw)
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
    with pytest.raises(FileNotFoundError):
        read_pattern(tmp_path / "missing.xy")


def test_reader_never_modifies_file(shared_data):
    path = shared_data / "xrd/xerus_La1.75Sr0.25CuO4.ras"
    before = path.read_bytes()
    read_pattern(path)
    assert path.read_bytes() == before
