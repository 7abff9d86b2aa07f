"""Every table the library writes, it reads back (issue 14): XRD patterns and XAS spectra.

The EIS and cycling round trips are in tests/echem/test_roundtrip.py. The truth is the
object written: the re-read arrays must equal it to the digits pandas writes (repr of a float).
"""

from __future__ import annotations

import numpy as np

import xas
import xrd


def test_xrd_pattern_csv_reads_back(tmp_path, shared_data):
    pattern = xrd.read_pattern(shared_data / "xrd/powerxrd_sample1.xy")
    path = tmp_path / "pattern.csv"
    pattern.to_frame().to_csv(path, index=False)
    again = xrd.read_pattern(path)
    np.testing.assert_array_equal(again.two_theta_deg, pattern.two_theta_deg)
    np.testing.assert_array_equal(again.intensity, pattern.intensity)


def test_xas_spectrum_csv_reads_back(tmp_path, shared_data):
    spectrum = xas.read_xas(shared_data / "xas/cu_metal_rt.xdi")
    path = tmp_path / "spectrum.csv"
    spectrum.to_frame().to_csv(path, index=False)
    again = xas.read_xas(path)
    np.testing.assert_array_equal(again.energy_ev, spectrum.energy_ev)
    np.testing.assert_array_equal(again.mu, spectrum.mu)
    assert again.metadata["mu_from"] and again.metadata["columns"] == ["energy_ev", "mu"]
