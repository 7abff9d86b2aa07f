"""Issue 17 regressions for xas: bombs, corrupt projects, absurd numbers, degenerate analyses."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

import xas
from ssbkit._shared import limits
from ssbkit.errors import FormatError
from xas import XASSpectrum


def test_gzip_bomb_project_refused_at_the_limit(tmp_path):
    path = tmp_path / "bomb.prj"
    path.write_bytes(gzip.compress(b"# Athena project file -- Demeter version 0.9.26\n" + b" " * (4 * 2**20)))
    with limits.size_limits(max_uncompressed_bytes=2**20):
        with pytest.raises(FormatError, match="bomb.prj: the gzip stream inflates beyond the limit of 1.0 MiB"):
            xas.read_xas(path)


def test_oversized_text_refused_before_reading(tmp_path):
    path = tmp_path / "big.xdi"
    with open(path, "wb") as handle:
        handle.write(b"# XDI/1.0\n")
        handle.truncate(20 * 2**30)  # sparse: 20 GiB on paper
    with pytest.raises(FormatError, match="big.xdi: the file is 20480.0 MiB, above the reader limit"):
        xas.read_xas(path)


def test_corrupt_gzip_project_is_a_format_error(shared_data, tmp_path):
    raw = bytearray((shared_data / "xas" / "fe_athena.prj").read_bytes())
    raw[len(raw) // 2: len(raw) // 2 + 16] = b"\x00" * 16  # was zlib.error: invalid distance too far back
    path = tmp_path / "broken.prj"
    path.write_bytes(bytes(raw))
    with pytest.raises(FormatError, match=r"broken.prj, byte 0: broken gzip stream"):
        xas.read_xas(path, group=0)


def test_directory_is_named_as_such(tmp_path):
    with pytest.raises(FormatError, match="is a directory"):
        xas.read_xas(tmp_path)


def test_absurd_mu_refused_naming_the_row(shared_data, tmp_path):
    lines = (shared_data / "xas" / "fe_metal_rt.xdi").read_text().splitlines()
    first = next(i for i, line in enumerate(lines) if line.strip() and not line.startswith("#"))
    fields = lines[first + 2].split()
    lines[first + 2] = "  ".join([fields[0], "-1e308", *fields[2:]])  # merged with a neighbour, -1e308 overflowed
    path = tmp_path / "absurd.xdi"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(FormatError, match=r"absurd.xdi: 1 non-finite or absurd .* first at data row 3"):
        xas.read_xas(path)


def test_normalize_five_points(model_edge):
    # was IndexError; five points spanning the edge give E0 on the grid and a unit step within the grid's reach
    energy = np.array([2440.0, 2460.0, 2472.0, 2490.0, 2520.0])
    result = xas.normalize(XASSpectrum(energy, model_edge(energy, 2472.0)))
    assert result.e0_ev in energy
    assert np.all(np.isfinite(result.norm)) and np.isfinite(result.edge_step)


@pytest.mark.parametrize("n", range(5, 12))
def test_normalize_short_spectra_never_index_out_of_range(n, model_edge):
    energy = np.linspace(2440.0, 2520.0, n)
    result = xas.normalize(XASSpectrum(energy, model_edge(energy, 2472.0)))
    assert energy[0] <= result.e0_ev <= energy[-1]


@pytest.mark.parametrize("function", [xas.compare, xas.align])
def test_flat_spectrum_has_no_edge_to_compare(function):
    # was: compare said "changed: edge shift +20.00 eV", align shift -20 eV success=True, on constant μ
    energy = np.linspace(2100.0, 2300.0, 400)
    flat = XASSpectrum(energy, np.ones(400), label="flat")
    with pytest.warns(RuntimeWarning, match="edge step is not positive"), \
            pytest.raises(ValueError, match="'flat' has no absorption edge"):
        function(flat, flat)


@pytest.mark.parametrize("energy, mu, message", [
    ([1.0, 2.0], [0.0, 1.0], "at least 5 points"),  # was numpy's "Shape of array too small" ValueError
    (np.arange(10.0), np.ones((2, 10)), "1-D arrays of one length"),  # was "too many values to unpack"
    (np.arange(10.0), np.ones(9), "1-D arrays of one length"),  # was a broadcast error
    (np.arange(10.0), np.full(10, np.nan), "finite"),  # was E0 = 5.0
    (np.arange(10.0)[::-1], np.arange(10.0), "strictly increasing"),  # was E0 = 4.0
    (np.linspace(0.0, 10.0, 50), np.zeros(50), "flat"),  # was E0 = 1.02
])
def test_find_e0_refuses_degenerate_input(energy, mu, message):
    with pytest.raises(ValueError, match=message):
        xas.find_e0(energy, mu)
