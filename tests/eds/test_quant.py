"""Cliff–Lorimer composition from intensities built from a known composition."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

import eds


def _intensities(net, sigma=None):
    e = np.arange(1024) * 0.01
    base = eds.line_intensity(eds.EDSData(np.ones(1024), e), ["Co_Ka", "O_Ka", "S_Ka"], warn=False)
    net = np.asarray(net, float)
    return dataclasses.replace(base, net_counts=net, sigma_counts=np.sqrt(net) if sigma is None else sigma)


def test_recovers_a_known_composition():
    # LiCoO2 seen by EDS (Li invisible): Co 58.93 / O 2 × 16.00 by mass; with k_i, I_i = C_i / k_i
    k = {"Co_Ka": 1.6, "O_Ka": 2.1}
    c_co, c_o = 58.933 / (58.933 + 31.998), 31.998 / (58.933 + 31.998)
    r = eds.cliff_lorimer(_intensities([1e4 * c_co / 1.6, 1e4 * c_o / 2.1, 0.0]), k, k_factor_source="test")
    assert r.weight_percent[0] == pytest.approx(100 * c_co)
    assert r.atomic_percent[0] == pytest.approx(100 / 3, rel=1e-4)  # Co : O = 1 : 2 (masses rounded above)
    assert r.method.startswith("Cliff") and not r.semi_quantitative
    json.dumps(r.summary())


def test_error_propagation_matches_monte_carlo():
    rng = np.random.default_rng(3)
    mean = np.array([400.0, 900.0, 0.0])
    draws = rng.poisson(mean[:, None] * np.ones((3, 20000))).astype(float)
    r = eds.cliff_lorimer(_intensities(draws), {"Co_Ka": 1.0, "O_Ka": 1.0}, k_factor_source="test")
    assert r.atomic_percent[0].std() == pytest.approx(np.median(r.atomic_percent_err[0]), rel=0.05)


def test_bulk_is_labelled_semi_quantitative_and_inputs_checked():
    intens = _intensities([100.0, 100.0, 100.0])
    r = eds.cliff_lorimer(intens, {"Co_Ka": 1.0, "S_Ka": 1.0}, k_factor_source="unit", specimen="bulk")
    assert r.semi_quantitative and "semi-quantitative" in r.report()
    with pytest.raises(ValueError, match="k_factor_source"):
        eds.cliff_lorimer(intens, {"Co_Ka": 1.0, "S_Ka": 1.0}, k_factor_source="")
    with pytest.raises(ValueError, match="Fe_Ka"):
        eds.cliff_lorimer(intens, {"Co_Ka": 1.0, "Fe_Ka": 1.0}, k_factor_source="x")
    with pytest.raises(ValueError, match="specimen"):
        eds.cliff_lorimer(intens, {"Co_Ka": 1.0, "S_Ka": 1.0}, k_factor_source="x", specimen="foil")
