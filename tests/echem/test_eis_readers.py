"""Readers: every real file in ../shared/data/echem/eis is read or refused with FormatError;
broken copies raise FormatError; sign conventions and column detection.

Expected values come from ../shared/data/echem/INDEX.md (the pyimpspec 'control'
spectrum: 29 points, 1 Hz-10 kHz, Z' 109-645 Ohm, identical in every format) and
from impedance.py 1.7.1's own readers (``impedance.preprocessing.readFile``) run
on the same files.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import echem
from ssbkit.errors import FormatError

EIS = ("echem", "eis")

# Files that are not impedance spectra or not a supported format (INDEX.md):
REFUSED = {
    "pydrttools__gamma_data.csv",  # a DRT gamma(tau) table, no frequency/impedance
}


def _eis_dir(shared_data):
    return shared_data.joinpath(*EIS)


def test_every_real_file_read_or_refused(shared_data):
    files = sorted(p for p in _eis_dir(shared_data).iterdir() if p.is_file())
    assert len(files) >= 30
    for path in files:
        if path.name in REFUSED:
            with pytest.raises(FormatError) as info:
                echem.read_eis(path)
            assert path.name in str(info.value)
            continue
        data = echem.read_eis(path)
        assert data.frequency_hz.ndim == 1 and data.frequency_hz.size >= 1, path.name
        assert np.all(data.frequency_hz > 0), path.name
        assert np.iscomplexobj(data.z_ohm) and np.all(np.isfinite(data.z_ohm)), path.name
        assert data.source == str(path)
        assert "format" in data.metadata


CONTROL = [
    "pyimpspec__data-comma-decimal-separator.csv",
    "pyimpspec__data.dta",
    "pyimpspec__data.mpt",
    "pyimpspec__data.xlsx",
    "pyimpspec__data.z",
]


@pytest.mark.parametrize("name", CONTROL)
def test_pyimpspec_control_spectrum_same_in_every_format(shared_data, name):
    # INDEX.md: 29 pts 1 Hz-10 kHz, Re 109-645 Ohm; pyimpspec asserts every format
    # parses to the same impedances. The .mpt (7 significant digits) is the reference.
    ref = echem.read_eis(_eis_dir(shared_data) / "pyimpspec__data.mpt")
    data = echem.read_eis(_eis_dir(shared_data) / name)
    assert data.frequency_hz.size == 29
    assert data.frequency_hz.max() == pytest.approx(1e4) and data.frequency_hz.min() == pytest.approx(1.0)
    assert 109 < data.z_ohm.real.min() < 110 and 645 < data.z_ohm.real.max() < 646
    np.testing.assert_allclose(data.z_ohm, ref.z_ohm, rtol=1e-6)
    # capacitive sample: Z'' < 0 in the physics convention, whatever the file stored
    assert np.all(data.z_ohm.imag < 0)


@pytest.mark.parametrize(
    "name",
    [
        "impedancepy__exampleData.csv",
        "impedancepy__exampleDataAutolab.txt",
        "impedancepy__exampleDataBioLogic.mpt",
        "impedancepy__exampleDataCHInstruments.txt",
        "impedancepy__exampleDataGamry.DTA",
        "impedancepy__exampleDataParstat.txt",
        "impedancepy__exampleDataPowersuite.txt",
        "impedancepy__exampleDataZPlot.z",
        "impedancepy__Circuit1_EIS_1.z",
    ],
)
def test_matches_impedance_py_readers(shared_data, name):
    # Anchor: impedance.py 1.7.1 readFile(instrument) on the same file (its tests
    # require these stored f/Z arrays).
    from impedance.preprocessing import readFile

    instrument = {
        "exampleData.csv": None, "Autolab": "autolab", "BioLogic": "biologic",
        "CHInstruments": "chinstruments", "Gamry": "gamry", "Parstat": "parstat",
        "Powersuite": "powersuite", "ZPlot": "zplot", "Circuit1": "zplot",
    }
    key = next(k for k in instrument if k in name)
    f_ref, z_ref = readFile(str(_eis_dir(shared_data) / name), instrument=instrument[key])
    data = echem.read_eis(_eis_dir(shared_data) / name)
    np.testing.assert_allclose(data.frequency_hz, f_ref, rtol=1e-12)
    np.testing.assert_allclose(data.z_ohm, z_ref, rtol=1e-12)


def test_gamry_aborted_run_equals_full_run(shared_data):
    # INDEX.md: the aborted file must parse identically to exampleDataGamry.DTA
    full = echem.read_eis(_eis_dir(shared_data) / "impedancepy__exampleDataGamry.DTA")
    aborted = echem.read_eis(_eis_dir(shared_data) / "impedancepy__exampleDataGamryABORT.DTA")
    assert aborted.metadata["aborted"] is True and full.metadata["aborted"] is False
    np.testing.assert_array_equal(aborted.frequency_hz, full.frequency_hz)
    np.testing.assert_array_equal(aborted.z_ohm, full.z_ohm)


@pytest.mark.parametrize("stem", ["yadg__peis", "yadg__peis.issue_149", "yadg__geis", "yadg__zir"])
def test_biologic_mpr_agrees_with_mpt(shared_data, stem):
    # INDEX.md: .mpr/.mpt pairs must agree (yadg tests); .mpt holds 7-8 significant digits
    binary = echem.read_eis(_eis_dir(shared_data) / f"{stem}.mpr")
    text = echem.read_eis(_eis_dir(shared_data) / f"{stem}.mpt")
    assert binary.metadata["format"] == "biologic-mpr"
    np.testing.assert_allclose(binary.frequency_hz, text.frequency_hz, rtol=1e-6)
    np.testing.assert_allclose(binary.z_ohm, text.z_ohm, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(binary.sweep, text.sweep)


def test_peis_mpr_known_shape(shared_data):
    # INDEX.md: PEIS binary, 32 points, 1 Hz - 200 kHz, one sweep
    data = echem.read_eis(_eis_dir(shared_data) / "yadg__peis.mpr")
    assert data.frequency_hz.size == 32 and data.n_sweeps == 1
    assert data.frequency_hz.max() == pytest.approx(2e5, rel=1e-3)
    assert data.frequency_hz.min() == pytest.approx(1.0, rel=1e-3)


def test_multiple_spectra_split_into_sweeps(shared_data):
    # pyimpspec test file: three repeats of the 29-point control sweep
    data = echem.read_eis(_eis_dir(shared_data) / "pyimpspec__case-multiple-spectra.mpt")
    assert data.n_sweeps == 3
    sweeps = data.split_sweeps()
    assert [s.frequency_hz.size for s in sweeps] == [29, 29, 29]
    with pytest.raises(ValueError, match="sweeps"):
        echem.fit_circuit(data, "R0-p(R1,C1)")


def test_parstat_zero_frequency_rows_dropped(shared_data):
    # INDEX.md: 31 EIS points 10 Hz-10 kHz after the OCV rows at f = 0
    data = echem.read_eis(_eis_dir(shared_data) / "impedancepy__exampleDataParstat.txt")
    assert data.frequency_hz.size == 31
    assert data.metadata["dropped_zero_frequency_rows"] > 0


# ---------- broken files (made in tmp_path, never touching the shared copies) ----------


def test_ivium_idf_holds_the_control_spectrum(shared_data):
    # the same pyimpspec 'control' spectrum, stored by IviumSoft with 6 significant digits
    ref = echem.read_eis(_eis_dir(shared_data) / "pyimpspec__data.mpt")
    data = echem.read_eis(_eis_dir(shared_data) / "pyimpspec__data.idf")
    assert data.metadata["format"] == "ivium-idf" and data.metadata["Method"] == "Impedance"
    np.testing.assert_allclose(data.frequency_hz, ref.frequency_hz, rtol=1e-5)
    np.testing.assert_allclose(data.z_ohm, ref.z_ohm, rtol=1e-5)
    assert np.all(data.z_ohm.imag < 0)


@pytest.mark.parametrize("keep_rows", [0, 12])
def test_truncated_ivium_idf_raises_format_error(shared_data, tmp_path, keep_rows):
    lines = (_eis_dir(shared_data) / "pyimpspec__data.idf").read_bytes().splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.strip() == b"primary_data")
    broken = tmp_path / "cut.idf"
    broken.write_bytes(b"".join(lines[: start + 3 + keep_rows]))
    with pytest.raises(FormatError, match="declares 29 rows") as info:
        echem.read_eis(broken)
    assert info.value.path == str(broken)


@pytest.mark.parametrize(
    "name", ["pyimpspec__data.mpt", "pyimpspec__data.dta", "impedancepy__exampleDataAutolab.txt",
             "impedancepy__exampleDataCHInstruments.txt", "pyimpspec__data-comma-decimal-separator.csv"]
)
def test_truncated_text_files_raise_format_error(shared_data, tmp_path, name):
    raw = (_eis_dir(shared_data) / name).read_bytes()
    lines = raw.splitlines(keepends=True)
    # cut in the middle of the last-but-two data line
    cut = sum(len(line) for line in lines[:-3]) + len(lines[-3]) // 2
    broken = tmp_path / name
    broken.write_bytes(raw[:cut])
    with pytest.raises(FormatError) as info:
        echem.read_eis(broken)
    assert info.value.path == str(broken)
    assert info.value.line is not None


@pytest.mark.parametrize("name", ["yadg__peis.mpr", "pyimpspec__data.xlsx"])
@pytest.mark.parametrize("fraction", [0.05, 0.5, 0.9])
def test_truncated_binary_files_raise_format_error(shared_data, tmp_path, name, fraction):
    raw = (_eis_dir(shared_data) / name).read_bytes()
    broken = tmp_path / name
    broken.write_bytes(raw[: int(len(raw) * fraction)])
    with pytest.raises(FormatError):
        echem.read_eis(broken)


def test_header_only_mpt_raises(shared_data, tmp_path):
    lines = (_eis_dir(shared_data) / "pyimpspec__data.mpt").read_bytes().splitlines(keepends=True)
    broken = tmp_path / "header.mpt"
    broken.write_bytes(b"".join(lines[:30]))
    with pytest.raises(FormatError, match="truncated"):
        echem.read_eis(broken)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(blob=st.binary(min_size=1, max_size=400),
       suffix=st.sampled_from([".csv", ".txt", ".mpt", ".mpr", ".DTA", ".z", ".xlsx", ".idf"]))
def test_garbage_raises_format_error_only(tmp_path, blob, suffix):
    path = tmp_path / f"garbage{suffix}"
    path.write_bytes(blob)
    try:
        echem.read_eis(path)
    except FormatError:
        pass  # the only allowed failure


@pytest.mark.parametrize("text", [
    "hello world\nthis is not a spectrum\n",
    "EC-Lab ASCII FILE\nNb header lines : 3\n\nfreq/Hz\tEwe/V\n1\t2\n",
    "EXPLAIN\nTAG\tCV\n",
    "f,Z',Z''\n1000,10,-1\n100,abc,-2\n",
    "f,Z',Z''\n1000,10,-1\n100,nan,-2\n",
])
def test_foreign_or_broken_text_raises(tmp_path, text):
    path = tmp_path / "x.txt"
    path.write_text(text)
    with pytest.raises(FormatError):
        echem.read_eis(path)


def test_minus_imag_column_detected(tmp_path):
    path = tmp_path / "minus.csv"
    path.write_text("Freq (Hz);Z' (Ohm);-Z'' (Ohm)\n1000;10,5;2,5\n100;12,0;4,0\n10;15,0;6,0\n")
    data = echem.read_eis(path)
    np.testing.assert_allclose(data.z_ohm, [10.5 - 2.5j, 12 - 4j, 15 - 6j])


def test_explicit_column_mapping(tmp_path):
    path = tmp_path / "cols.csv"
    path.write_text("a,b,c,d\n1,1000,10,2\n2,100,11,3\n3,10,12,4\n")
    data = echem.read_eis(path, columns={"frequency_hz": "b", "z_real_ohm": "c",
                                        "minus_z_imag_ohm": 3})
    np.testing.assert_allclose(data.frequency_hz, [1000, 100, 10])
    np.testing.assert_allclose(data.z_ohm, [10 - 2j, 11 - 3j, 12 - 4j])
    with pytest.raises(ValueError, match="columns"):
        echem.read_eis(path, columns={"frequency_hz": "b"})


def test_bad_format_option_and_missing_file(tmp_path):
    with pytest.raises(ValueError, match="format='nova'"):
        echem.read_eis(tmp_path / "x.csv", format="nova")
    with pytest.raises(FormatError, match="absent.csv: no such file"):  # one error shape for every reader
        echem.read_eis(tmp_path / "absent.csv")


def test_spectrum_checks_inputs():
    with pytest.raises(ValueError, match="monotonic"):
        echem.spectrum([1, 10, 5], [1, 2, 3])
    with pytest.raises(ValueError, match="finite"):
        echem.spectrum([1, 2], [1, np.nan])
    with pytest.raises(ValueError, match="empty"):
        echem.spectrum([], [])
