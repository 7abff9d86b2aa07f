"""Bulk resistance, Lin-KK and DRT.

Truths: synthetic spectra from known circuits (echem.eis.synthetic), and the
pyDRTtools 1ZARC tutorial spectrum whose generating values INDEX.md lists
(R_inf = 10 Ohm, R_ct = 50 Ohm, tau = 0.1 s, phi = 0.8, noise sigma 0.5 Ohm).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

import echem

F = np.geomspace(1e6, 0.1, 61)


def _pellet(r0, r1, q1, a1, q2, a2, *, noise=0.0, seed=0, f=F):
    truth = echem.PelletTruth(r0, r1, q1, a1, q2, a2)
    z = echem.pellet_impedance(truth, f)
    rng = np.random.default_rng(seed)
    z = z + noise * np.abs(z) * (rng.normal(size=f.size) + 1j * rng.normal(size=f.size))
    return echem.spectrum(f, z), truth


def test_bulk_fit_full_pellet():
    data, truth = _pellet(30, 70, 1e-9, 0.9, 1e-6, 0.85, noise=0.01)
    result = echem.bulk_resistance(data)
    assert result.circuit == "R0-p(R1,CPE1)-CPE2"
    assert result.resistance_ohm == pytest.approx(truth.resistance_ohm, rel=0.01)
    # error is consistent with the deviation (within 4 sigma) and small
    assert abs(result.resistance_ohm - 100) < 4 * result.resistance_err_ohm
    assert 0 < result.resistance_err_ohm < 2
    # the spike is visible, so the spike-less candidate is not tried
    assert set(result.aic) == {"R0-p(R1,CPE1)-CPE2", "R0-CPE1"}
    assert result.summary()["resistance_ohm"] == result.resistance_ohm


def test_bulk_fit_arc_outside_window_uses_r_cpe():
    # arc apex at ~1e10 Hz: only R0 + spike are seen, R0-CPE1 must win the AIC
    f = np.geomspace(1e6, 1, 50)
    z = 50 + 1 / (2e-6 * (2j * np.pi * f) ** 0.85)
    rng = np.random.default_rng(1)
    z = z * (1 + 0.005 * (rng.normal(size=f.size) + 1j * rng.normal(size=f.size)))
    result = echem.bulk_resistance(echem.spectrum(f, z))
    assert result.circuit == "R0-CPE1"
    assert result.resistance_ohm == pytest.approx(50, rel=0.01)


def test_bulk_fit_without_spike_uses_r_rcpe():
    # non-blocking electrodes: R0 + R1 || CPE1 only; R_e is the low-frequency limit R0 + R1
    f = np.geomspace(1e6, 1, 50)
    z = 20 + 80 / (1 + 80 * 1e-7 * (2j * np.pi * f) ** 0.9)
    result = echem.bulk_resistance(echem.spectrum(f, z))
    assert result.circuit == "R0-p(R1,CPE1)"
    assert result.resistance_ohm == pytest.approx(100, rel=1e-3)


def test_bulk_intercept_close_to_truth_when_arc_separated():
    # well separated arc (apex ~16 kHz) and spike: the -Z'' minimum lies within a
    # few % of R0 + R1 (the spike's own real part shifts it slightly to the right)
    data, truth = _pellet(10, 90, 1e-7, 1.0, 1e-4, 0.9)
    result = echem.bulk_resistance(data, method="intercept")
    assert result.method == "intercept" and result.fit is None
    assert result.resistance_ohm == pytest.approx(truth.resistance_ohm, rel=0.05)
    assert result.resistance_ohm >= truth.resistance_ohm * 0.99


def test_bulk_options_checked():
    data, _ = _pellet(30, 70, 1e-9, 0.9, 1e-6, 0.85)
    with pytest.raises(ValueError, match="method='guess'"):
        echem.bulk_resistance(data, method="guess")
    with pytest.raises(ValueError, match="circuit="):
        echem.bulk_resistance(data, circuit="R0-C1")
    result = echem.bulk_resistance(data, circuit="R0-p(R1,CPE1)-CPE2")
    assert list(result.aic) == ["R0-p(R1,CPE1)-CPE2"]
    ax = result.plot()
    plt.close(ax.figure)


def test_lin_kk_passes_valid_spectrum():
    data, _ = _pellet(30, 70, 1e-9, 0.9, 1e-6, 0.85, noise=0.002)
    kk = echem.lin_kk(data)
    assert kk.passed and kk.mu_reached and kk.mu < kk.c == 0.85
    assert kk.rms_residual < 0.005  # noise is 0.2 % per component
    assert 2 <= kk.n_elements <= data.frequency_hz.size // 2


def test_lin_kk_fails_inconsistent_spectrum():
    # Make the data violate KK: the imaginary part of the lower half of the
    # spectrum is scaled by 1.3 while the real part is kept (drift-like artefact).
    f = np.geomspace(1e5, 1, 50)
    z = 10 + 90 / (1 + 1j * 2 * np.pi * f * 1e-3)
    z = z.real + 1j * z.imag * np.where(f < 100, 1.3, 1.0)
    kk = echem.lin_kk(echem.spectrum(f, z), capacitance=False, inductance=False)
    assert not kk.passed
    assert kk.rms_residual > kk.threshold


def test_lin_kk_options_and_presentation():
    data, _ = _pellet(30, 70, 1e-9, 0.9, 1e-6, 0.85)
    with pytest.raises(ValueError, match="c must"):
        echem.lin_kk(data, c=1.5)
    kk = echem.lin_kk(data, threshold=0.05)
    assert kk.summary()["threshold"] == 0.05
    assert "pass" in kk.report()
    ax = kk.plot()
    plt.close(ax.figure)


def test_drt_recovers_zarc_of_pydrttools_tutorial(shared_data):
    data = echem.read_eis(shared_data / "echem" / "eis" / "pydrttools__1ZARC.csv")
    result = echem.drt(data)
    assert result.regularization_auto
    assert result.r_inf_ohm == pytest.approx(10.0, abs=0.5)
    assert result.polarization_ohm == pytest.approx(50.0, rel=0.05)
    main = int(np.argmax(result.peak_resistance_ohm))
    # the ZARC DRT is symmetric about tau = 0.1 s; GCV on noisy data keeps it within 30 %
    assert result.peak_tau_s[main] == pytest.approx(0.1, rel=0.3)
    assert result.peak_resistance_ohm[main] > 0.8 * 50


def test_drt_noise_free_rc_peak():
    # one RC element: DRT is a single peak at tau = RC carrying R
    f = np.geomspace(1e5, 1e-1, 61)
    z = 5 + 40 / (1 + 1j * 2 * np.pi * f * 2e-3)
    result = echem.drt(echem.spectrum(f, z), regularization=1e-4)
    main = int(np.argmax(result.peak_resistance_ohm))
    assert result.peak_tau_s[main] == pytest.approx(2e-3, rel=0.15)
    assert result.r_inf_ohm == pytest.approx(5, abs=0.2)
    assert result.polarization_ohm == pytest.approx(40, rel=0.03)
    assert "peak1_tau_s" in result.summary()
    assert "tau=" in result.report()
    ax = result.plot()
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="regularization"):
        echem.drt(echem.spectrum(f, z), regularization=-1)


def test_cpe_apex_and_capacitance():
    # For alpha = 1 the CPE is a capacitor: f0 = 1/(2 pi R C), C = Q.
    assert echem.cpe_apex_frequency_hz(100, 1e-9, 1.0) == pytest.approx(1 / (2 * np.pi * 1e-7))
    assert echem.cpe_capacitance_f(100, 1e-9, 1.0) == pytest.approx(1e-9)
    # Hsu-Mansfeld: omega0 = 1/(R C) for any alpha; check against the -Z'' maximum.
    r, q, a = 50.0, 2e-7, 0.8
    f = np.geomspace(1e2, 1e8, 4001)
    z = r / (1 + r * q * (2j * np.pi * f) ** a)
    f_apex = f[np.argmax(-z.imag)]
    assert echem.cpe_apex_frequency_hz(r, q, a) == pytest.approx(f_apex, rel=0.01)
    c = echem.cpe_capacitance_f(r, q, a)
    assert 1 / (2 * np.pi * r * c) == pytest.approx(f_apex, rel=0.01)
    # Irvine et al. 1990 ranges, for a cell constant d/S = 1 /cm
    assert echem.capacitance_origin(2e-12, 1, 1) == (2e-12, "bulk")
    assert echem.capacitance_origin(1e-9, 1, 1)[1] == "grain boundary"
    assert echem.capacitance_origin(1e-6, 1, 1)[1] == "sample-electrode interface"
    with pytest.raises(ValueError):
        echem.cpe_capacitance_f(10, 1e-9, 1.5)
