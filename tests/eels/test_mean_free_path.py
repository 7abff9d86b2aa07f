"""Mean free paths against hand calculations written out from the papers' formulas."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eels import effective_atomic_number, mean_free_path

# Atomic numbers written out by hand (not from the code under test).
Z = {"Li": 3, "Co": 27, "O": 8, "P": 15, "S": 16, "Cl": 17, "Ba": 56, "Ti": 22, "Si": 14}


def hand_malis(fractions: dict[str, float], e0_kev: float, beta_mrad: float) -> float:
    """Malis, Cheng & Egerton 1988 written out independently."""
    total = sum(fractions.values())
    num = sum(n / total * Z[el] ** 1.3 for el, n in fractions.items())
    den = sum(n / total * Z[el] ** 0.3 for el, n in fractions.items())
    zeff = num / den
    em = 7.6 * zeff**0.36
    f = (1 + e0_kev / 1022) / (1 + e0_kev / 511) ** 2
    return 106 * f * e0_kev / (em * math.log(2 * beta_mrad * e0_kev / em))


@pytest.mark.parametrize(
    "formula, fractions, e0, beta",
    [
        ("LiCoO2", {"Li": 1, "Co": 1, "O": 2}, 200.0, 10.0),
        ("Li6PS5Cl", {"Li": 6, "P": 1, "S": 5, "Cl": 1}, 300.0, 20.0),
        ("BaTiO3", {"Ba": 1, "Ti": 1, "O": 3}, 80.0, 15.0),
        ("Si", {"Si": 1}, 100.0, 5.0),
    ],
)
def test_malis_matches_hand_calculation(formula, fractions, e0, beta):
    got = mean_free_path(beam_energy_kev=e0, collection_semiangle_mrad=beta, composition=formula)
    assert got == pytest.approx(hand_malis(fractions, e0, beta), rel=1e-9)


def test_malis_licoo2_worked_number():
    # worked by hand: Zeff(LiCoO2) = 26.58 / 1.9525 = 13.61..13.65; E_m = 19.5 eV; F(200 keV) = 0.6177;
    # λ = 106 * 0.6177 * 200 / (19.5 * ln(2 * 10 * 200 / 19.5)) ≈ 126 nm
    assert effective_atomic_number("LiCoO2") == pytest.approx(13.6, abs=0.1)
    assert mean_free_path(beam_energy_kev=200, collection_semiangle_mrad=10, composition="LiCoO2") == pytest.approx(126, rel=0.01)


@settings(max_examples=20, deadline=None)
@given(z=st.integers(1, 92))
def test_zeff_of_an_element_is_its_atomic_number(z):
    from pymatgen.core import Element

    # analytic: Σ f Z^1.3 / Σ f Z^0.3 = Z for one element
    assert effective_atomic_number(Element.from_Z(z).symbol) == pytest.approx(z, rel=1e-12)


def test_zeff_argument_equals_composition():
    zeff = effective_atomic_number("Li6PS5Cl")
    a = mean_free_path(beam_energy_kev=200, collection_semiangle_mrad=10, composition="Li6PS5Cl")
    b = mean_free_path(beam_energy_kev=200, collection_semiangle_mrad=10, zeff=zeff)
    assert a == pytest.approx(b, rel=1e-12)


def hand_iakoubovskii(rho, e0, alpha, beta):
    """Iakoubovskii et al. 2008, written out: θ_C = 20 mrad, θ_E = 5.5 ρ^0.3/(F E0)."""
    f = (1 + e0 / 1022) / (1 + e0 / 511) ** 2
    te = 5.5 * rho**0.3 / (f * e0)
    tc = 20.0
    a2, b2 = alpha**2, beta**2
    arg = (a2 + b2 + 2 * te**2 + abs(a2 - b2)) / (a2 + b2 + 2 * tc**2 + abs(a2 - b2)) * tc**2 / te**2
    return 1 / (11 * rho**0.3 / (200 * f * e0) * math.log(arg))


@pytest.mark.parametrize("rho, e0, alpha, beta", [(5.05, 200, 0, 100), (1.64, 300, 20, 30), (6.02, 80, 10, 5)])
def test_iakoubovskii_matches_hand_calculation(rho, e0, alpha, beta):
    got = mean_free_path(
        beam_energy_kev=e0, collection_semiangle_mrad=beta, method="iakoubovskii",
        density_g_cm3=rho, convergence_semiangle_mrad=alpha,
    )
    assert got == pytest.approx(hand_iakoubovskii(rho, e0, alpha, beta), rel=1e-9)


def test_iakoubovskii_large_angle_limit():
    # PHYSICS.md: for β ≫ θ_C and α = 0, 1/λ = 11 ρ^0.3 / (200 F E0) ln(θ_C²/θ_E²)
    rho, e0 = 5.05, 200.0
    f = (1 + e0 / 1022) / (1 + e0 / 511) ** 2
    te = 5.5 * rho**0.3 / (f * e0)
    limit = 1 / (11 * rho**0.3 / (200 * f * e0) * math.log(20.0**2 / te**2))
    got = mean_free_path(beam_energy_kev=e0, collection_semiangle_mrad=1e4, method="iakoubovskii", density_g_cm3=rho)
    assert got == pytest.approx(limit, rel=1e-4)


def test_mfp_grows_with_beam_energy_and_shrinks_with_beta():
    kwargs = {"composition": "LiCoO2"}
    assert mean_free_path(beam_energy_kev=300, collection_semiangle_mrad=10, **kwargs) > mean_free_path(
        beam_energy_kev=200, collection_semiangle_mrad=10, **kwargs
    )
    assert mean_free_path(beam_energy_kev=200, collection_semiangle_mrad=30, **kwargs) < mean_free_path(
        beam_energy_kev=200, collection_semiangle_mrad=10, **kwargs
    )


def test_bad_inputs():
    with pytest.raises(ValueError, match="method='x'"):
        mean_free_path(beam_energy_kev=200, collection_semiangle_mrad=10, composition="Si", method="x")
    with pytest.raises(ValueError, match="composition or zeff"):
        mean_free_path(beam_energy_kev=200, collection_semiangle_mrad=10)
    with pytest.raises(ValueError, match="beam_energy_kev"):
        mean_free_path(beam_energy_kev=-1, collection_semiangle_mrad=10, composition="Si")
    with pytest.raises(ValueError, match="not a chemical formula"):
        mean_free_path(beam_energy_kev=200, collection_semiangle_mrad=10, composition="Xq2")


def test_malis_warns_when_convergence_exceeds_collection():
    with pytest.warns(UserWarning, match="no convergence correction"):
        mean_free_path(beam_energy_kev=200, collection_semiangle_mrad=10, composition="Si", convergence_semiangle_mrad=25)
