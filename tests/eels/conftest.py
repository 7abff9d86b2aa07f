"""Fixtures of the EELS tests: small synthetic spectra of known truth."""

from __future__ import annotations

import numpy as np
import pytest

from eels.data import EELSData, NavigationAxis
from eels.synthetic import low_loss_spectrum


@pytest.fixture(scope="session")
def low_loss_axis():
    """-10..250 eV at 0.1 eV/channel (2600 channels)."""
    return np.arange(-10.0, 250.0, 0.1)


@pytest.fixture(scope="session")
def make_low_loss(low_loss_axis):
    """Factory: one synthetic low-loss spectrum of known t/λ, Poisson noise from ``seed``."""

    def make(t_over_lambda, *, seed=0, zlp_position_ev=0.0, total_counts=2e6, **kwargs):
        rng = None if seed is None else np.random.default_rng(seed)
        counts = low_loss_spectrum(
            low_loss_axis,
            t_over_lambda=t_over_lambda,
            total_counts=total_counts,
            zlp_position_ev=zlp_position_ev,
            rng=rng,
            **kwargs,
        )
        return EELSData(low_loss_axis, counts)

    return make


@pytest.fixture(scope="session")
def make_line_scan():
    """Factory: an EELSData line scan with a calibrated nm axis."""

    def make(energy_ev, counts, *, scale_nm=1.0, **kwargs):
        axis = NavigationAxis("x", "nm", scale_nm, 0.0, counts.shape[0])
        return EELSData(energy_ev, counts, (axis,), **kwargs)

    return make
