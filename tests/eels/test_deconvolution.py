"""Fourier-log deconvolution recovers the single-scattering distribution a spectrum was built from."""

from __future__ import annotations

import numpy as np
import pytest

from eels import fourier_log_deconvolution, zero_loss_peak
from eels.synthetic import drude_single_scattering


@pytest.mark.parametrize("tau", [0.3, 1.5, 3.0])
def test_ssd_integral_is_t_over_lambda(make_low_loss, tau):
    # Egerton 2011 §4.2.1: the SSD sums to I0·t/λ
    data = make_low_loss(tau, seed=11, total_counts=1e7, zlp_position_ev=0.33)
    ssd = fourier_log_deconvolution(data)
    i0 = float(zero_loss_peak(data).intensity)
    assert ssd.counts.sum() / i0 == pytest.approx(tau, rel=0.02)


def test_ssd_shape_matches_model(make_low_loss, low_loss_axis):
    tau = 2.0
    data = make_low_loss(tau, seed=12, total_counts=1e7, zlp_position_ev=0.33)
    ssd = fourier_log_deconvolution(data)
    i0 = float(zero_loss_peak(data).intensity)
    # truth: the Drude SSD the spectrum was built from (same defaults as make_low_loss)
    truth = tau * i0 * drude_single_scattering(
        low_loss_axis - 0.33, plasmon_energy_ev=22.0, plasmon_width_ev=6.0,
        beam_energy_kev=200.0, collection_semiangle_mrad=10.0,
    )
    region = (low_loss_axis > 10) & (low_loss_axis < 100)
    assert np.max(np.abs(ssd.counts[region] - truth[region])) < 0.05 * truth.max()
    # and the input itself was far from it (plural scattering): the check can fail
    assert np.max(np.abs(data.counts[region] - truth[region])) > 0.3 * truth.max()
