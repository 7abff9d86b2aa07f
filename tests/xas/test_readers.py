"""Readers: XDI, Athena projects, column files, the Perl-literal parser, bad input."""

from __future__ import annotations

import gzip
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import xas
from ssbkit.errors import FormatError
from xas.readers.perl_data import parse_statement

# BadFiles.txt of the XDI repository (shared/data/xas/xdi_baddata) lists which
# files a conforming reader must reject with an error message ("error msg")
# and which it reads, possibly with a warning ("file read").
XDI_MUST_FAIL = ["bad_01", "bad_13", "bad_14", "bad_15", "bad_16", "bad_17", "bad_18", "bad_19", "bad_20",
                 "bad_21", "bad_22", "bad_24"]
XDI_READABLE = ["bad_00", "bad_02", "bad_03", "bad_04", "bad_05", "bad_06", "bad_07", "bad_08", "bad_09",
                "bad_10", "bad_11", "bad_23", "bad_25", "bad_26", "bad_27", "bad_28", "bad_29", "bad_30",
                "bad_31", "bad_32", "bad_33", "bad_34", "bad_35"]


def test_xdi_cu_metal(shared_data):
    spec = xas.read_xas(shared_data / "xas" / "cu_metal_rt.xdi")
    assert (spec.element, spec.edge) == ("Cu", "K")
    assert spec.metadata["mu_from"] == "mutrans"
    # first data row of the file: "8779.0 149013.7 550643.089065 -1.3070486"
    assert spec.energy_ev[0] == 8779.0
    assert spec.mu[0] == pytest.approx(-1.3070486)
    assert spec.energy_ev.size == 408
    assert spec.metadata["Mono.d_spacing"] == "3.13553"


def test_xdi_transmission_from_raw_channels(shared_data):
    path = shared_data / "xas" / "cu_metal_rt.xdi"
    spec = xas.read_xas(path, mode="transmission")
    table = np.loadtxt(path)
    # the file's own mutrans column is ln(i0/itrans) to its printed precision
    np.testing.assert_allclose(spec.mu, np.log(table[:, 1] / table[:, 2]), rtol=1e-12)
    np.testing.assert_allclose(spec.mu, table[:, 3], atol=1e-6)


@pytest.mark.parametrize("name", XDI_MUST_FAIL)
def test_bad_xdi_raises(shared_data, name):
    with pytest.raises(FormatError) as info:
        xas.read_xas(shared_data / "xas" / "xdi_baddata" / f"{name}.xdi")
    assert f"{name}.xdi" in str(info.value)


@pytest.mark.parametrize("name", XDI_READABLE)
def test_bad_xdi_readable(shared_data, name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        spec = xas.read_xas(shared_data / "xas" / "xdi_baddata" / f"{name}.xdi")
    assert spec.energy_ev.size == 12  # each file keeps the 12 data rows of bad_00.xdi (8779-8889 eV)


def test_bad_xdi_warns_on_invalid_element(shared_data):
    with pytest.warns(UserWarning, match="not an element"):
        spec = xas.read_xas(shared_data / "xas" / "xdi_baddata" / "bad_05.xdi")
    assert spec.element is None


def test_angle_without_d_spacing_is_an_error(shared_data):
    # bad_12: an angle axis but no Mono.d_spacing; energy cannot be computed
    with pytest.raises(FormatError, match="d_spacing"):
        xas.read_xas(shared_data / "xas" / "xdi_baddata" / "bad_12.xdi")


def test_non_energy_axis_rejected(shared_data):
    with pytest.raises(FormatError, match="mm"), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        xas.read_xas(shared_data / "xas" / "nonxafs_1d.xdi")


def test_athena_lists_groups(shared_data):
    labels = xas.list_athena_groups(shared_data / "xas" / "P_CAMD.prj")
    assert len(labels) == 15  # INDEX.md: P K-edge standards of the CAMD library
    assert "AlPO4" in labels


def test_athena_group_matches_larch(shared_data):
    # larch_reference_PK_AlPO4.csv: energy and mu of the group as Larch 2026.3.1's read_athena gives them
    ref = pd.read_csv(shared_data / "xas" / "larch_reference_PK_AlPO4.csv", comment="#")
    spec = xas.read_xas(shared_data / "xas" / "P_CAMD.prj", group="AlPO4")
    assert (spec.element, spec.edge) == ("P", "K")
    np.testing.assert_allclose(spec.energy_ev, ref["energy"], atol=1e-6)
    np.testing.assert_allclose(spec.mu, ref["mu"], rtol=1e-6)
    # Athena-stored parameters (INDEX.md: e0=2148.08 pre1=-32.1 nor2=55.5)
    assert float(spec.metadata["athena"]["bkg_e0"]) == pytest.approx(2148.08)
    assert float(spec.metadata["athena"]["bkg_nor2"]) == pytest.approx(55.532)


def test_athena_group_by_larch_name(shared_data):
    spec = xas.read_xas(shared_data / "xas" / "S_CAMD.prj", group="CaSO4_Gypsum_pure_6")
    assert spec.label == "CaSO4 Gypsum pure (6+)"


def test_athena_group_required_and_checked(shared_data):
    with pytest.raises(ValueError, match="choose one"):
        xas.read_xas(shared_data / "xas" / "P_CAMD.prj")
    with pytest.raises(ValueError, match="not found"):
        xas.read_xas(shared_data / "xas" / "P_CAMD.prj", group="unobtainium")


def test_athena_plain_text_project(shared_data):
    # FeS2.prj is an uncompressed project with one group
    spec = xas.read_xas(shared_data / "xas" / "FeS2.prj")
    assert spec.element == "Fe" and spec.energy_ev.size > 100


def test_every_athena_project_parses(shared_data):
    for path in sorted((shared_data / "xas").glob("*.prj")):
        groups = xas.read_athena_project(path)
        assert all(g.arrays["x"].size == g.arrays["y"].size for g in groups)


def test_truncated_athena_project(shared_data, tmp_path):
    raw = (shared_data / "xas" / "P_CAMD.prj").read_bytes()
    broken = tmp_path / "broken.prj"
    broken.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(FormatError, match="broken.prj"):
        xas.read_xas(broken, group=0)


def test_athena_record_without_end(tmp_path):
    path = tmp_path / "cut.prj"
    text = "# Athena project file -- Demeter version 0.9.25\n$old_group = 'abcd';\n@x = ('1','2');\n"
    path.write_bytes(gzip.compress(text.encode()))
    with pytest.raises(FormatError, match="ends inside a record"):
        xas.read_athena_project(path)


def test_columns_file_raw_channels(shared_data):
    path = shared_data / "xas" / "fexanes_a.001"
    trans = xas.read_xas(path, mode="transmission", i0="I0", signal="I1")
    assert trans.metadata["mu_from"] == "ln(I0/I1)"
    fluor = xas.read_xas(path, mode="fluorescence", signal=["Fe_Ka_mca1", "Fe_Ka_mca2"])
    assert fluor.metadata["mode"] == "fluorescence"
    table = np.loadtxt(path)
    order = np.argsort(table[:, 0])
    # columns 3 (I0) and 23, 24 (Fe_Ka_mca1, Fe_Ka_mca2) of the header line
    expected = (table[order, 22] + table[order, 23]) / table[order, 2]
    np.testing.assert_allclose(fluor.mu[:20], expected[:20], rtol=1e-12)


def test_kev_axis_is_converted(tmp_path):
    path = tmp_path / "kev.dat"
    energy_kev = np.linspace(2.40, 2.55, 40)
    np.savetxt(path, np.column_stack([energy_kev, np.linspace(0, 1, 40)]), header="energy mu")
    with pytest.warns(UserWarning, match="keV"):
        spec = xas.read_xas(path)
    np.testing.assert_allclose(spec.energy_ev, energy_kev * 1000.0)


def test_unsorted_and_duplicate_points(tmp_path):
    path = tmp_path / "messy.dat"
    rows = [(2401.0, 1.0), (2400.0, 0.0), (2402.0, 2.0), (2402.0, 4.0), (2403.0, 5.0), (2404.0, 6.0),
            (2405.0, 7.0)]
    path.write_text("# energy mu\n" + "\n".join(f"{e} {m}" for e, m in rows) + "\n")
    before = path.read_bytes()
    with pytest.warns(UserWarning) as record:
        spec = xas.read_xas(path)
    messages = " ".join(str(w.message) for w in record)
    assert "sorted" in messages and "merged" in messages
    np.testing.assert_array_equal(spec.energy_ev, [2400, 2401, 2402, 2403, 2404, 2405])
    assert spec.mu[2] == 3.0  # mean of the two 2402 eV points
    assert path.read_bytes() == before  # never modifies the user's file


def test_bad_options(shared_data):
    path = shared_data / "xas" / "cu_metal_rt.xdi"
    with pytest.raises(ValueError, match="format"):
        xas.read_xas(path, format="hdf5")
    with pytest.raises(ValueError, match="mode"):
        xas.read_xas(path, mode="absorbance")
    with pytest.raises(FormatError, match="no such file"):
        xas.read_xas(path.with_name("nope.xdi"))


def test_perl_literals():
    assert parse_statement(r"@a = ('it\'s', 'back\\slash', -1.5e3, undef, [1, 'x']);") == (
        "a", ["it's", "back\\slash", -1500.0, None, [1, "x"]])
    name, value = parse_statement("$xdi = bless( {'m' => {'Element' => {'symbol' => 'P'}}}, 'Xray::XDI' );")
    assert value["m"]["Element"]["symbol"] == "P"


@pytest.mark.parametrize("line", ["@x = (system('ls'));", "@x = `ls`;", "$x = 1 + 2;", "@x = ('a',"])
def test_perl_code_is_rejected(line):
    with pytest.raises(FormatError):
        parse_statement(line)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12),
                          st.integers(-10**6, 10**6)), max_size=10))
def test_perl_list_round_trip(items):
    def quote(value):
        if isinstance(value, int):
            return str(value)
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

    line = "@args = (" + ",".join(quote(v) for v in items) + ");"
    assert parse_statement(line) == ("args", items)


def test_electron_yield_columns(tmp_path):
    path = tmp_path / "tey.txt"
    energy = np.linspace(2440.0, 2520.0, 50)
    i0 = np.linspace(1e5, 0.9e5, 50)
    ratio = 0.01 + 0.02 * (energy > 2472)
    np.savetxt(path, np.column_stack([energy, i0, ratio * i0]), header="energy i0 tey")
    spec = xas.read_xas(path)
    assert spec.metadata["mode"] == "electron_yield"
    np.testing.assert_allclose(spec.mu, ratio, rtol=1e-6)
