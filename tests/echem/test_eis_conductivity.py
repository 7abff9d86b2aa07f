"""Conductivity, error propagation and Arrhenius fits.

Truths: the issue's number conductivity(50, 0.1, 0.785) = 2.548e-3 S/cm
(0.1 / (50 * 0.785) by hand), a Monte-Carlo estimate of the propagated error,
and conductivities generated from a known Arrhenius law.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import echem

KB = 8.617333262e-5  # eV/K, CODATA 2018


def test_issue_value():
    c = echem.conductivity(50, 0.1, 0.785)
    assert c.sigma_s_per_cm == pytest.approx(2.548e-3, rel=2e-4)
    assert c.sigma_err_s_per_cm == 0.0


def test_error_propagation_matches_monte_carlo():
    r, dr, d, dd, s, ds = 50.0, 1.0, 0.1, 0.002, 0.785, 0.01
    c = echem.conductivity(r, d, s, resistance_err_ohm=dr, thickness_err_cm=dd, area_err_cm2=ds)
    rng = np.random.default_rng(0)
    n = 200_000
    samples = rng.normal(d, dd, n) / (rng.normal(r, dr, n) * rng.normal(s, ds, n))
    # first-order propagation vs Monte Carlo: agree to ~1 % for these 1-2 % input errors
    assert c.sigma_err_s_per_cm == pytest.approx(np.std(samples), rel=0.02)
    assert c.sigma_s_per_cm == pytest.approx(np.mean(samples), rel=1e-3)


def test_round_pellet_matches_area_form():
    a = echem.conductivity_round_pellet(50, 0.1, 1.0, resistance_err_ohm=0.5, diameter_err_cm=0.01)
    b = echem.conductivity(50, 0.1, np.pi / 4, resistance_err_ohm=0.5, area_err_cm2=np.pi * 1.0 * 0.01 / 2)
    assert a.sigma_s_per_cm == pytest.approx(b.sigma_s_per_cm)
    assert a.sigma_err_s_per_cm == pytest.approx(b.sigma_err_s_per_cm)
    assert a.area_cm2 == pytest.approx(0.7853981634)


@settings(max_examples=50, deadline=None)
@given(r=st.floats(1e-3, 1e9), d=st.floats(1e-4, 10), s=st.floats(1e-4, 100), k=st.floats(0.1, 10))
def test_scaling_invariants(r, d, s, k):
    base = echem.conductivity(r, d, s).sigma_s_per_cm
    assert echem.conductivity(k * r, d, s).sigma_s_per_cm == pytest.approx(base / k)
    assert echem.conductivity(r, k * d, s).sigma_s_per_cm == pytest.approx(base * k)


@pytest.mark.parametrize("args", [(0, 0.1, 0.785), (50, -0.1, 0.785), (50, 0.1, np.nan)])
def test_bad_inputs(args):
    with pytest.raises(ValueError):
        echem.conductivity(*args)
    with pytest.raises(ValueError, match="resistance_err_ohm"):
        echem.conductivity(50, 0.1, 0.785, resistance_err_ohm=-1)


@pytest.mark.parametrize("form", ["sigma_t", "sigma"])
def test_arrhenius_recovers_known_law(form):
    t = np.array([273.15, 298.15, 323.15, 348.15, 373.15])
    y = 2.0e3 * np.exp(-0.35 / (KB * t))
    sigma = y / t if form == "sigma_t" else y
    act = echem.arrhenius(t, sigma, form=form)
    assert act.ea_ev == pytest.approx(0.35, rel=1e-9)
    assert act.prefactor == pytest.approx(2.0e3, rel=1e-9)
    assert act.prefactor_unit == ("S K/cm" if form == "sigma_t" else "S/cm")
    np.testing.assert_allclose(act.predict(t), sigma, rtol=1e-9)


def test_arrhenius_noise_and_errors():
    rng = np.random.default_rng(4)
    t = np.linspace(280, 380, 8)
    sigma = 1e3 / t * np.exp(-0.4 / (KB * t))
    rel = 0.02
    noisy = sigma * (1 + rel * rng.normal(size=t.size))
    act = echem.arrhenius(t, noisy, sigma_err_s_per_cm=rel * noisy)
    # truth within 3 standard errors; the error is the textbook weighted-LSQ one
    assert abs(act.ea_ev - 0.4) < 3 * act.ea_err_ev
    x = 1 / t
    expected = KB * rel / np.sqrt(np.sum((x - x.mean()) ** 2))
    assert act.ea_err_ev == pytest.approx(expected, rel=1e-6)
    summary = act.summary()
    assert summary["form"] == "sigma_t" and summary["ea_ev"] == act.ea_ev
    import matplotlib.pyplot as plt

    act.plot()
    plt.close("all")


def test_arrhenius_checks():
    with pytest.raises(ValueError, match="form='ln'"):
        echem.arrhenius([300, 310], [1e-3, 2e-3], form="ln")
    with pytest.raises(ValueError, match="equal"):
        echem.arrhenius([300, 300], [1e-3, 2e-3])
    two = echem.arrhenius([300, 350], [1e-3, 3e-3])
    assert np.isnan(two.ea_err_ev)  # two points, no scatter: no error estimate
