"""Log-ratio thickness: synthetic truth, exspy 0.3.2 anchors, uncertainty, calibration errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eels import (
    EELSData,
    align_zero_loss,
    mean_free_path,
    read_eels,
    relative_thickness,
    thickness,
    zero_loss_peak,
)
from eels.synthetic import low_loss_spectrum
from ssbkit.errors import CalibrationError

# --- acceptance: synthetic ZLP + Poisson plural plasmon scattering of known t/λ ---------------


@pytest.mark.parametrize("tau", [0.2, 0.35, 0.6, 1.0, 1.5, 2.2, 3.0])
@pytest.mark.parametrize("zlp_method", ["minimum", "exspy"])
def test_synthetic_t_over_lambda_within_2_percent(make_low_loss, tau, zlp_method):
    # truth: the spectrum is built from exactly this t/λ (Poisson statistics of n events)
    data = make_low_loss(tau, seed=int(tau * 100), zlp_position_ev=0.0)
    measured = float(relative_thickness(data, zlp_method=zlp_method))
    assert measured == pytest.approx(tau, rel=0.02)


@settings(max_examples=15, deadline=None)
@given(
    tau=st.floats(0.2, 3.0),
    shift=st.floats(-0.45, 0.45),
    plasmon=st.floats(15.0, 28.0),
    seed=st.integers(0, 2**16),
)
def test_synthetic_t_over_lambda_property(low_loss_axis, tau, shift, plasmon, seed):
    # truth: t/λ of the model; an off-centre ZLP (no alignment needed for "minimum")
    counts = low_loss_spectrum(
        low_loss_axis,
        t_over_lambda=tau,
        total_counts=2e6,
        plasmon_energy_ev=plasmon,
        zlp_position_ev=shift,
        rng=np.random.default_rng(seed),
    )
    measured = float(relative_thickness(EELSData(low_loss_axis, counts)))
    assert measured == pytest.approx(tau, rel=0.02)


@settings(max_examples=10, deadline=None)
@given(factor=st.floats(1e-3, 1e3))
def test_t_over_lambda_invariant_to_count_scale(make_low_loss, factor):
    # invariant: ln(I_t/I_0) does not depend on the detector gain
    data = make_low_loss(0.8, seed=None)
    scaled = data.replace(counts=data.counts * factor)
    assert float(relative_thickness(scaled)) == pytest.approx(float(relative_thickness(data)), rel=1e-9)


def test_line_scan_gives_one_value_per_pixel(low_loss_axis, make_line_scan):
    taus = np.array([0.3, 0.9, 1.8])
    rng = np.random.default_rng(4)
    counts = np.stack([low_loss_spectrum(low_loss_axis, t_over_lambda=t, total_counts=2e6, rng=rng) for t in taus])
    result = relative_thickness(make_line_scan(low_loss_axis, counts))
    assert result.shape == (3,)
    np.testing.assert_allclose(result, taus, rtol=0.02)


# --- acceptance: real spectra against exspy 0.3.2 / hyperspy 2.5.0 (shared/data/eels/INDEX.md) ---
# exspy: s.estimate_thickness(threshold=...) = ln(sum(all channels) / sum(channels below the cut)).


def test_exspy_lowloss_auto_threshold(shared_data):
    # INDEX.md: after align_zero_loss_peak (ZLP max channel to 0 eV), estimate_thickness() with the
    # automatic threshold (estimate_elastic_scattering_threshold defaults) -> 9.0 eV, t/λ = 0.4724
    data = align_zero_loss(read_eels(shared_data / "eels" / "exspy_lowloss_spectrum.msa"), subchannel=False)
    zlp = zero_loss_peak(data, method="exspy")
    assert float(zlp.threshold_ev) == pytest.approx(9.0, abs=0.101)  # within one 0.2 eV channel
    assert float(relative_thickness(data, zlp_method="exspy")) == pytest.approx(0.4724, rel=0.02)


@pytest.mark.parametrize("threshold, expected", [(5.0, 0.496), (3.0, 0.529), (2.0, 0.611)])
def test_exspy_lowloss_fixed_thresholds(shared_data, threshold, expected):
    # INDEX.md: exspy 0.3.2 estimate_thickness(threshold=5/3/2 eV) after alignment -> 0.496/0.529/0.611
    data = align_zero_loss(read_eels(shared_data / "eels" / "exspy_lowloss_spectrum.msa"), subchannel=False)
    assert float(relative_thickness(data, threshold_ev=threshold)) == pytest.approx(expected, rel=0.02)


def test_exspy_cr_lowloss_auto_threshold(shared_data):
    # INDEX.md: exspy_Cr_L_ll.hspy, estimate_thickness() auto threshold 3.6 eV -> t/λ = 0.945
    data = read_eels(shared_data / "eels" / "exspy_Cr_L_ll.hspy")
    zlp = zero_loss_peak(data, method="exspy")
    assert float(zlp.threshold_ev) == pytest.approx(3.6, abs=0.051)  # one 0.1 eV channel
    assert float(relative_thickness(data, zlp_method="exspy")) == pytest.approx(0.945, rel=0.02)


def test_lsmo_lowloss_line_scan_threshold_3ev(shared_data):
    # INDEX.md: LSMO/STO low-loss line scan, estimate_thickness(threshold=3 eV) -> 0.458..0.533, mean 0.499
    data = read_eels(shared_data / "eels" / "hyperspy-demos_LSMO_STO_linescan_low_loss.hspy")
    tau = relative_thickness(data, threshold_ev=3.0)
    assert tau.shape == (10,)
    assert tau.min() == pytest.approx(0.458, rel=0.02)
    assert tau.max() == pytest.approx(0.533, rel=0.02)
    assert tau.mean() == pytest.approx(0.499, rel=0.02)


@pytest.mark.parametrize(
    "name, anchor",
    [("exspy_lowloss_spectrum.msa", 0.4724), ("exspy_Cr_L_ll.hspy", 0.945)],
)
def test_first_minimum_convention_close_to_exspy(shared_data, name, anchor):
    # our default cut (first minimum after the ZLP) against exspy 0.3.2's automatic one (INDEX.md);
    # the two conventions differ by a few channels, so allow 3 %
    data = read_eels(shared_data / "eels" / name)
    assert float(relative_thickness(data)) == pytest.approx(anchor, rel=0.03)


# --- absolute thickness, uncertainty, calibration ----------------------------------------------


def test_thickness_of_known_lamella(make_low_loss):
    # truth: an 80 nm LiCoO2 lamella at 200 keV, β = 10 mrad -> τ = 80 / λ_Malis
    mfp = mean_free_path(beam_energy_kev=200, collection_semiangle_mrad=10, composition="LiCoO2")
    tau = 80.0 / mfp
    data = make_low_loss(tau, seed=3)
    result = thickness(data, composition="LiCoO2", beam_energy_kev=200, collection_semiangle_mrad=10)
    assert float(result.thickness_nm) == pytest.approx(80.0, rel=0.02)
    assert result.mfp_nm == pytest.approx(mfp)
    # error propagation: 20 % on λ dominates the tiny statistical error on τ
    assert float(result.thickness_err_nm) == pytest.approx(0.2 * float(result.thickness_nm), rel=0.05)
    summary = result.summary()
    for key in ("t_over_lambda", "mfp_nm", "thickness_nm", "thickness_err_nm", "zlp_threshold_ev", "zlp_fwhm_ev"):
        assert np.isfinite(summary[key])


def test_t_over_lambda_error_matches_scatter(make_low_loss):
    # the counting part of the error must describe the scatter of repeated Poisson draws
    draws = [make_low_loss(1.0, seed=s, total_counts=2e4) for s in range(40)]
    taus = np.array([float(relative_thickness(d, threshold_ev=4.0)) for d in draws])
    result = thickness(draws[0], composition="LiCoO2", beam_energy_kev=200, collection_semiangle_mrad=10, threshold_ev=4.0)
    assert float(result.t_over_lambda_err) == pytest.approx(taus.std(ddof=1), rel=0.5)
    # analytic counting error for τ = 1: I_in/(I_t I_0) = (1 - 1/e) / (I_t / e) = (e - 1) / I_t
    assert float(result.t_over_lambda_err) >= 0.9 * np.sqrt((np.e - 1) / 2e4)


def test_parameters_from_file_metadata(shared_data):
    # exspy_Cr_L_ll.hspy carries E0 = 200 keV, β = 50 mrad (INDEX.md); Cr metal
    data = read_eels(shared_data / "eels" / "exspy_Cr_L_ll.hspy")
    result = thickness(data, composition="Cr")
    assert result.beam_energy_kev == 200.0
    assert result.collection_semiangle_mrad == 50.0
    assert result.mfp_nm == pytest.approx(mean_free_path(beam_energy_kev=200, collection_semiangle_mrad=50, zeff=24))


def test_missing_calibration_names_what_is_missing(shared_data):
    data = read_eels(shared_data / "eels" / "exspy_lowloss_spectrum.msa")  # no E0 or β in this file
    with pytest.raises(CalibrationError, match="beam_energy_kev and collection_semiangle_mrad"):
        thickness(data, composition="MnO")
    with pytest.raises(CalibrationError, match="collection_semiangle_mrad") as info:
        thickness(data, composition="MnO", beam_energy_kev=300)
    assert "beam_energy_kev" not in str(info.value).split(":")[-1].split("neither")[0]
    # given explicitly (INDEX.md: E0 = 300 keV, β = 13.6 mrad for this pair) it works
    result = thickness(data, composition="MnO", beam_energy_kev=300, collection_semiangle_mrad=13.6)
    assert np.isfinite(float(result.thickness_nm))


def test_iakoubovskii_alternative(make_low_loss):
    data = make_low_loss(0.6, seed=1)
    result = thickness(data, beam_energy_kev=200, collection_semiangle_mrad=10, mfp_method="iakoubovskii", density_g_cm3=5.05)
    assert result.mfp_nm == pytest.approx(
        mean_free_path(beam_energy_kev=200, collection_semiangle_mrad=10, method="iakoubovskii", density_g_cm3=5.05)
    )
    with pytest.raises(ValueError, match="density_g_cm3"):
        thickness(data, beam_energy_kev=200, collection_semiangle_mrad=10, mfp_method="iakoubovskii")


def test_bad_options(make_low_loss):
    data = make_low_loss(0.5, seed=2)
    with pytest.raises(ValueError, match="zlp_method='middle'"):
        relative_thickness(data, zlp_method="middle")
    with pytest.raises(ValueError, match="method='guess'"):
        thickness(data, composition="Si", beam_energy_kev=200, collection_semiangle_mrad=10, mfp_method="guess")


def test_core_loss_data_has_no_zero_loss(shared_data):
    from ssbkit.errors import FitError

    data = read_eels(shared_data / "eels" / "exspy_coreloss_spectrum.msa")
    with pytest.raises(FitError, match="does not contain 0 eV"):
        relative_thickness(data)


def test_plot_and_report(make_low_loss):
    import matplotlib.pyplot as plt

    result = thickness(make_low_loss(0.5), composition="LiCoO2", beam_energy_kev=200, collection_semiangle_mrad=10)
    ax = result.plot()
    assert ax.get_xlabel() == "energy loss (eV)"
    assert "t/λ" in result.report()
    plt.close(ax.figure)
