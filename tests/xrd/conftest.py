"""Fixtures of the xrd tests: a private reference cache and synthetic mixtures with a known truth."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest


@pytest.fixture(scope="session", autouse=True)
def xrd_cache(tmp_path_factory):
    """Point the reference cache at a temporary folder for the whole test session."""
    path = tmp_path_factory.mktemp("xrd_cache")
    previous = os.environ.get("SSBKIT_CACHE_DIR")
    os.environ["SSBKIT_CACHE_DIR"] = str(path)
    yield path
    if previous is None:
        os.environ.pop("SSBKIT_CACHE_DIR", None)
    else:
        os.environ["SSBKIT_CACHE_DIR"] = previous


def strained_structure(name, rng, max_strain=0.005):
    """A built-in structure with every independent cell length strained by up to ``max_strain``."""
    from pymatgen.core import Lattice

    from xrd.references import load_structure

    structure, _ = load_structure(name)
    structure = structure.copy()
    lat = structure.lattice
    lengths = np.array(lat.abc)
    factors = 1 + rng.uniform(-max_strain, max_strain, 3)
    # lengths equal by symmetry (tetragonal, hexagonal, cubic) share one factor
    for i in range(3):
        for j in range(i):
            if abs(lengths[i] - lengths[j]) < 1e-6 * lengths[j]:
                factors[i] = factors[j]
    new = lengths * factors
    structure.lattice = Lattice.from_parameters(*new, *lat.angles)
    return structure


def mixture(names, weight_fractions, rng, *, zero_shift_deg=None, widths=None, peak_counts=2e4):
    """Poisson-noisy pattern of a weighed mixture of strained built-in phases.

    The scale of each phase is derived here from first principles, not from the code
    under test: pymatgen intensities are per unit cell, so the diffracted power of
    phase p is proportional to its volume fraction divided by the squared cell volume
    (Klug & Alexander 1974, ch. 7): S_p ~ v_p / V_p^2 with v_p = (w_p / rho_p) / sum(w / rho).

    Returns
    -------
    pattern, structures (the strained truth), zero shift (deg)
    """
    from xrd.references import reference_pattern
    from xrd.synthetic import simulate_pattern

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        structures = [strained_structure(n, rng) for n in names]
        refs = [reference_pattern(s) for s in structures]
    w = np.asarray(weight_fractions, dtype=float)
    rho = np.array([s.density for s in structures])
    volume_fraction = (w / rho) / np.sum(w / rho)
    scales = volume_fraction / np.array([s.volume for s in structures]) ** 2
    zero = rng.uniform(-0.08, 0.08) if zero_shift_deg is None else zero_shift_deg
    if widths is None:
        widths = rng.uniform(0.004, 0.02, len(names))
    pattern = simulate_pattern(refs, scales, fwhm_w_deg2=widths, fwhm_u_deg2=0.004, eta=0.5, zero_shift_deg=zero,
                               peak_counts=peak_counts, rng=rng,
                               background=lambda x: 120 + 500 * np.exp(-(x - 10) / 12) + 0.8 * x)
    return pattern, structures, zero


@pytest.fixture
def make_mixture():
    return mixture
