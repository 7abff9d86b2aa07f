"""Zero-loss peak: position, resolution, cut and alignment on spectra built from a known truth."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eels import (
    EELSData,
    align_zero_loss,
    zero_loss_intensity,
    zero_loss_peak,
    zero_loss_position,
    zero_loss_threshold,
)
from eels.synthetic import low_loss_spectrum


@settings(max_examples=20, deadline=None)
@given(shift=st.floats(-2.0, 2.0), fwhm=st.floats(0.5, 2.0))
def test_position_and_fwhm_of_a_gaussian_peak(shift, fwhm):
    # truth: a noise-free Gaussian of known centre and FWHM on a 0.05 eV grid
    energy = np.arange(-10, 10, 0.05)
    sigma = fwhm / (2 * np.sqrt(2 * np.log(2)))
    data = EELSData(energy, 1e5 * np.exp(-0.5 * ((energy - shift) / sigma) ** 2))
    assert float(zero_loss_position(data)) == pytest.approx(shift, abs=0.005)
    assert float(zero_loss_peak(data, threshold_ev=5.0).fwhm_ev) == pytest.approx(fwhm, rel=0.01)


def test_intensity_counts_channels_below_the_cut():
    # analytic: ones everywhere, axis -5..4.5 at 0.5 eV -> channels below 0 eV are 10
    energy = np.arange(-5.0, 5.0, 0.5)
    data = EELSData(energy, np.ones(energy.size))
    assert float(zero_loss_intensity(data, 0.0)) == 10
    assert float(zero_loss_intensity(data, 0.2)) == 10  # 0.2 eV rounds to the 0 eV channel
    assert float(zero_loss_intensity(data, 0.3)) == 11


def test_threshold_lies_between_peak_and_plasmon(make_low_loss):
    data = make_low_loss(1.0, seed=5)
    for method in ("minimum", "exspy"):
        cut = float(zero_loss_threshold(data, method=method))
        assert 1.0 < cut < 10.0  # ZLP FWHM 1 eV, plasmon at 22 eV in the model


def test_align_line_scan_with_known_shifts(low_loss_axis, make_line_scan):
    # truth: the same spectrum drifted by known sub-channel shifts
    shifts = np.array([-0.73, 0.0, 0.41, 1.18])
    counts = np.stack([low_loss_spectrum(low_loss_axis, t_over_lambda=0.7, total_counts=1e6, zlp_position_ev=s) for s in shifts])
    data = make_line_scan(low_loss_axis, counts)
    np.testing.assert_allclose(zero_loss_position(data), shifts, atol=0.01)
    aligned = align_zero_loss(data)
    np.testing.assert_allclose(zero_loss_position(aligned), 0.0, atol=0.02)
    # cropped to the range every shifted spectrum covers: the shifts about their mean run from
    # -0.945 to +0.965 eV, so 10 channels of 0.1 eV go at each end
    assert aligned.energy_loss_ev.size == low_loss_axis.size - 20


def test_align_single_spectrum_recalibrates_axis(make_low_loss):
    data = make_low_loss(0.4, seed=None, zlp_position_ev=0.62)
    aligned = align_zero_loss(data)
    np.testing.assert_array_equal(aligned.counts, data.counts)
    assert float(zero_loss_position(aligned)) == pytest.approx(0.0, abs=1e-9)
    whole = align_zero_loss(data, subchannel=False)
    assert float(zero_loss_position(whole)) == pytest.approx(0.62 - 0.6, abs=0.02)  # max channel is at 0.6 eV


def test_bad_method(make_low_loss):
    with pytest.raises(ValueError, match="zlp_method='fit'"):
        zero_loss_threshold(make_low_loss(0.5), method="fit")
