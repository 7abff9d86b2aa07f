"""Linear combination fitting and tabulated edges."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

import xas
from xas.spectrum import XASSpectrum


@pytest.fixture
def standards(model_edge, s_grid):
    """Three S K-edge-like standards: sulfide-like, sulfite-like and sulfate-like edge positions."""
    return {name: XASSpectrum(s_grid, model_edge(s_grid, centre), label=name)
            for name, centre in (("sulfide", 2470.0), ("sulfite", 2476.0), ("sulfate", 2481.0))}


def test_lcf_recovers_known_mixture(standards, s_grid):
    rng = np.random.default_rng(5)
    norms = {k: xas.normalize(v) for k, v in standards.items()}
    truth = {"sulfide": 0.65, "sulfate": 0.35}
    mix = truth["sulfide"] * norms["sulfide"].norm + truth["sulfate"] * norms["sulfate"].norm
    target = xas.normalize(XASSpectrum(s_grid, mix + rng.normal(0, 0.002, s_grid.size)))
    result = xas.lcf(target, norms, energy_range=(-20, 40))
    # with noise an extra standard always lowers R a little: its weight must be ~0
    assert result.weights.get("sulfite", 0.0) < 0.02
    for name, weight in truth.items():
        assert result.weights[name] == pytest.approx(weight, abs=0.02)
    errors = dict(zip(result.best.names, result.best.weights_stderr))
    assert all(0 < e < 0.02 for e in errors.values())
    assert result.best.weight_sum == pytest.approx(1.0, abs=1e-12)
    # all 1-, 2- and 3-standard combinations were tried and ranked
    assert len(result.fits) == 7
    feasible = [f.r_factor for f in result.fits if f.feasible]
    assert feasible == sorted(feasible)


def test_lcf_nonnegative_rejects_negative_weights(standards, s_grid):
    norms = {k: xas.normalize(v) for k, v in standards.items()}
    # 1.3·sulfide − 0.3·sulfate: the exact answer has a negative weight
    target = XASSpectrum(s_grid, 1.3 * norms["sulfide"].norm - 0.3 * norms["sulfate"].norm)
    free = xas.lcf(target, norms, nonnegative=False)
    assert min(free.best.weights) < 0
    bounded = xas.lcf(target, norms, nonnegative=True)
    assert min(bounded.best.weights) >= 0
    assert bounded.r_factor > free.r_factor


def test_lcf_without_sum_constraint(standards, s_grid):
    norms = {k: xas.normalize(v) for k, v in standards.items()}
    target = xas.normalize(XASSpectrum(s_grid, 0.5 * norms["sulfite"].norm + 0.5 * norms["sulfide"].norm))
    result = xas.lcf(target, norms, sum_to_one=False, max_standards=2)
    assert result.best.weight_sum == pytest.approx(1.0, abs=0.02)
    json.dumps(result.summary())
    assert result.plot() is not None and result.table(3)
    assert "R-factor" in result.report()


def test_lcf_real_larch_example(shared_data):
    # larch's LCF doc example (INDEX.md): unknown.dat is a combination of the s*.dat standards
    folder = shared_data / "xas" / "lcf_fexanes"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # repeated first energy point in the files
        target = xas.read_xas(folder / "unknown.dat")
        standards = {p.stem: xas.read_xas(p) for p in sorted(folder.glob("s*.dat"))}
    result = xas.lcf(target, standards)
    assert result.best.feasible and 2 <= len(result.best.names) <= 4
    assert result.r_factor < 1e-3


def test_lcf_bad_input(standards):
    with pytest.raises(ValueError, match="no standards"):
        xas.lcf(standards["sulfide"], {})
    with pytest.raises(ValueError, match="max_standards"):
        xas.lcf(standards["sulfide"], standards, max_standards=9)
    with pytest.raises(ValueError, match="array"):
        xas.lcf(standards["sulfide"], standards, array="mu")
    short = XASSpectrum(np.linspace(2480, 2540, 100), np.linspace(0, 1, 100), label="short")
    with pytest.raises(ValueError, match="cover"):
        xas.lcf(standards["sulfide"], [short])


def test_edge_energies():
    # xraydb (Elam, Ravel & Sieber 2002) tabulated values, also quoted in PHYSICS.md
    assert xas.edge_energy("P", "K") == pytest.approx(2145.5)
    assert xas.edge_energy("S", "K") == pytest.approx(2472.0)
    assert xas.edge_preset("s", "k").edge_energy_ev == pytest.approx(2472.0)
    with pytest.raises(ValueError):
        xas.edge_energy("Xx", "K")
    with pytest.raises(ValueError, match="preset"):
        xas.edge_preset("Fe", "K")


def test_check_e0():
    assert xas.check_e0(2481.0, "S", "K")  # sulfate is +9 eV from the tabulated S K edge
    with pytest.warns(RuntimeWarning):
        assert not xas.check_e0(2148.0, "S", "K")
