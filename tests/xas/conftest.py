"""Helpers for the xas tests: synthetic edges built from a known truth."""

from __future__ import annotations

import numpy as np
import pytest


def _model_edge(energy_ev, centre_ev, *, step=1.0, feature=0.0, feature_ev=2481.0):
    """Arctangent edge + white line + resonance (+ optional Gaussian feature), no background."""
    energy_ev = np.asarray(energy_ev, dtype=float)
    mu = step * (0.5 + np.arctan((energy_ev - centre_ev) / 0.6) / np.pi)
    mu += step * 0.8 * np.exp(-0.5 * ((energy_ev - centre_ev - 1.5) / 0.9) ** 2)
    mu += step * 0.2 * np.exp(-0.5 * ((energy_ev - centre_ev - 12.0) / 3.0) ** 2)
    mu += step * feature * np.exp(-0.5 * ((energy_ev - feature_ev) / 1.0) ** 2)
    return mu


@pytest.fixture
def s_grid():
    """A non-uniform S K-edge scan grid, eV (coarse pre/post-edge, 0.25 eV across the edge)."""
    return np.concatenate([np.arange(2430.0, 2460.0, 1.0), np.arange(2460.0, 2500.0, 0.25),
                           np.arange(2500.0, 2540.0, 0.5)])


@pytest.fixture
def model_edge():
    """The synthetic edge model ``f(energy_ev, centre_ev, *, step, feature, feature_ev)``."""
    return _model_edge
