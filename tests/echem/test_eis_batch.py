"""Batch fitting in worker processes; truths are synthetic pellets with known R_e."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import echem


def _write_mpt_like_csv(path, data):
    lines = ["freq/Hz,Re(Z)/Ohm,-Im(Z)/Ohm"]
    lines += [f"{float(f)!r},{float(z.real)!r},{float(-z.imag)!r}" for f, z in zip(data.frequency_hz, data.z_ohm)]
    path.write_text("\n".join(lines) + "\n")


def test_batch_folder_in_worker_processes(tmp_path):
    rng = np.random.default_rng(21)
    truths = []
    for i in range(3):
        data, truth = echem.random_pellet(rng, noise=0.005)
        _write_mpt_like_csv(tmp_path / f"pellet_{i}.csv", data)
        truths.append(truth.resistance_ohm)
    (tmp_path / "pellet_9_broken.csv").write_text("freq,Z',Z''\n1,2\n")
    frame = echem.fit_batch(tmp_path, max_workers=2, progress=False, thickness_cm=0.1, area_cm2=0.785,
                            temperature_k=[300, 310, 320, 330])
    assert isinstance(frame, pd.DataFrame)
    assert list(frame["source"]) == sorted(str(p) for p in tmp_path.iterdir())
    assert list(frame["temperature_k"]) == [300, 310, 320, 330]
    assert list(frame["success"]) == [True, True, True, False]
    assert "FormatError" in frame["message"].iloc[3]
    np.testing.assert_allclose(frame["resistance_ohm"].iloc[:3], truths, rtol=0.02)
    expected_sigma = 0.1 / (frame["resistance_ohm"].iloc[:3] * 0.785)
    np.testing.assert_allclose(frame["sigma_s_per_cm"].iloc[:3], expected_sigma)
    assert np.isnan(frame["sigma_s_per_cm"].iloc[3])


def test_batch_in_process_with_circuit_and_sweeps():
    f = np.geomspace(1e5, 1, 30)
    z1 = 10 + 40 / (1 + 1j * 2 * np.pi * f * 1e-3)
    z2 = 12 + 50 / (1 + 1j * 2 * np.pi * f * 1e-3)
    two_sweeps = echem.EISData(np.r_[f, f], np.r_[z1, z2], np.r_[np.zeros(30, int), np.ones(30, int)])
    frame = echem.fit_batch([two_sweeps], circuit="R0-p(R1,C1)", max_workers=1, progress=False)
    assert list(frame["sweep"]) == [0, 1]
    np.testing.assert_allclose(frame["R1_ohm"], [40, 50], rtol=1e-6)
    np.testing.assert_allclose(frame["C1_F"], [1e-3 / 40, 1e-3 / 50], rtol=1e-6)


def test_batch_checks_arguments(tmp_path):
    with pytest.raises(ValueError, match="folder"):
        echem.fit_batch(tmp_path / "nothing", progress=False)
    with pytest.raises(ValueError, match="temperature_k"):
        echem.fit_batch([echem.spectrum([1e3, 1e2, 1e1, 1, 0.1], [1, 2, 3, 4, 5])],
                        temperature_k=[1, 2], progress=False)
    with pytest.raises(ValueError, match="method"):
        echem.fit_batch([], method="x", progress=False)
