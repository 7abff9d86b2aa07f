"""Quantitative phase analysis against the IUCr CPD round robin (weighed truth) and known answers."""

from __future__ import annotations

import json

import numpy as np
import pytest

from xrd import (
    microabsorption_check,
    monochromator_polarization,
    quantify_phases,
    read_pattern,
    reference_pattern,
    refine_phases,
)

RR = "xrd/iucr_cpd_qarr/"
# AMCSD entries of the round-robin phases (iucr_cpd_qarr/INDEX.md): corundum, zincite, fluorite, brucite
CORUNDUM, ZINCITE, FLUORITE, BRUCITE = "amcsd:9325", "amcsd:5203", "amcsd:8645", "amcsd:3999"
# graphite 002 (d = 3.354 A) with Cu K-alpha1: 2 asin(1.5406 / 6.708) = 26.55 deg (diffracted-beam monochromator)
GRAPHITE_2THETA_DEG = 26.55

# weighed wt% (Madsen et al., J. Appl. Cryst. 34 (2001) 409, Table 1; INDEX.md): corundum, zincite, fluorite
SAMPLE1 = {"1a": (1.15, 4.04, 94.81), "1c": (5.04, 93.59, 1.36), "1e": (55.12, 15.25, 29.62),
           "1g": (31.37, 34.21, 34.42)}


@pytest.mark.parametrize("sample", sorted(SAMPLE1))
def test_round_robin_sample1(shared_data, sample):
    pattern = read_pattern(shared_data / RR / f"cpd-{sample}.prn")
    qpa = quantify_phases(pattern, [CORUNDUM, ZINCITE, FLUORITE], monochromator_two_theta_deg=GRAPHITE_2THETA_DEG)
    assert [p.formula for p in qpa.phases] == ["Al2O3", "ZnO", "CaF2"]
    for phase, weighed in zip(qpa.phases, SAMPLE1[sample]):
        found = 100 * phase.weight_fraction
        # measured here: largest deviation 0.94 wt% (corundum of 1e; 1g: +0.84 / -0.49 / -0.35); the participants
        # of the round robin scattered by several wt% (Madsen 2001, Fig. 2)
        assert found == pytest.approx(weighed, abs=1.0), phase.formula
        # the stated error (statistical + systematic) is a real error: the truth within 2.5 of them
        assert abs(found - weighed) <= 2.5 * 100 * phase.weight_fraction_error + 0.2, phase.formula
    assert not qpa.absorption.flagged  # fine powders: Brindley contrast below 0.1 (assumed 5 um particles)
    json.dumps(qpa.summary())


def test_round_robin_sample2_with_texture(shared_data):
    # sample 2 adds platy brucite Mg(OH)2 (weighed 21.27 / 19.94 / 22.53 / 36.26 wt%; Scarlett 2002)
    pattern = read_pattern(shared_data / RR / "cpd-2.prn")
    qpa = quantify_phases(pattern, [CORUNDUM, ZINCITE, FLUORITE, BRUCITE], monochromator_two_theta_deg=GRAPHITE_2THETA_DEG,
                          preferred_orientation=[None, None, None, (0, 0, 1)])
    for phase, weighed in zip(qpa.phases, (21.27, 19.94, 22.53, 36.26)):
        assert 100 * phase.weight_fraction == pytest.approx(weighed, abs=3.0), phase.formula
    brucite = qpa.phases[3]
    assert brucite.orientation_hkl == (0, 0, 1) and brucite.march_dollase_r < 1  # platelets on the holder


def test_intensity_corrections_matter_for_zincite(shared_data):
    # without anomalous dispersion (Zn f' = -1.6 e at Cu K-alpha) zincite of 1g comes out ~6 wt% low
    pattern = read_pattern(shared_data / RR / "cpd-1g.prn")
    plain = quantify_phases(pattern, [CORUNDUM, ZINCITE, FLUORITE], intensity_corrections=False)
    corrected = quantify_phases(pattern, [CORUNDUM, ZINCITE, FLUORITE], monochromator_two_theta_deg=GRAPHITE_2THETA_DEG)
    assert 100 * plain.phases[1].weight_fraction < 34.21 - 4
    assert abs(100 * corrected.phases[1].weight_fraction - 34.21) < 0.6  # measured: -0.49 wt%


def test_zincite_displacement_parameters_read_as_beta(shared_data):
    # AMCSD 5203 (zincite, Kihara & Donnay 1985) labels beta_ij as U_ij. Read as beta: U11 = 0.0182 / (2 pi^2 a*^2)
    # with a* = 2 / (sqrt(3) a), a = 3.2494 A -> 0.0073 A^2; U33 = 0.0054 c^2 / (2 pi^2) with c = 5.2038 A ->
    # 0.0074 A^2; B = 8 pi^2 (2 U11 + U33) / 3 = 0.579 A^2 (hexagonal Ueq with U12 = U11 / 2)
    from xrd.references import _amcsd_cif_text, _cif_b_iso

    a, c = 3.2494, 5.2038
    u11 = 0.0182 * 3 * a ** 2 / (4 * 2 * np.pi ** 2)
    u33 = 0.0054 * c ** 2 / (2 * np.pi ** 2)
    b_zn = _cif_b_iso(_amcsd_cif_text(5203))["Zn"]
    assert b_zn == pytest.approx(8 * np.pi ** 2 * (2 * u11 + u33) / 3, rel=1e-6)
    assert b_zn == pytest.approx(0.579, abs=0.001)
    assert _cif_b_iso(_amcsd_cif_text(9325))["Al"] == pytest.approx(0.2248, abs=1e-4)  # corundum: true U, unchanged
    # the physical check without the weighed answer: the round robin's pure zincite pattern fits better with the
    # beta reading (Rwp 10.41 %) than with the CIF's labels (11.68 %, measured before the fix)
    pattern = read_pattern(shared_data / RR / "zincite.prn")
    ref = reference_pattern(ZINCITE, wavelength_angstrom=pattern.wavelength_angstrom, two_theta_range=(4, 151),
                            intensity_corrections=True, monochromator_two_theta_deg=GRAPHITE_2THETA_DEG)
    assert 100 * refine_phases(pattern, [ref]).rwp < 10.6


def test_sample4_flagged_for_microabsorption():
    # round-robin sample 4: corundum 50.46, magnetite 19.64, zircon 29.90 wt% (Scarlett 2002), with
    # microabsorption beyond Brindley's model; magnetite's mu (~1150 cm^-1 at Cu K-alpha) is nine times corundum's
    refs = [reference_pattern(f"amcsd:{i}", two_theta_range=(10, 80)) for i in (9325, 945, 237)]
    check = microabsorption_check(refs, [0.5046, 0.1964, 0.2990])
    assert check.flagged and check.size_assumed
    assert check.linear_absorption_per_cm[1] / check.linear_absorption_per_cm[0] > 8
    assert "microabsorption" in check.message() and "Fe3O4" in check.message()
    # sample 1g (corundum, zincite, fluorite) is not flagged, nor sample 4 ground to 1 um
    fine = [reference_pattern(f"amcsd:{i}", two_theta_range=(10, 80)) for i in (9325, 5203, 8645)]
    assert not microabsorption_check(fine, [0.3137, 0.3421, 0.3442]).flagged
    assert not microabsorption_check(refs, [0.5046, 0.1964, 0.2990], particle_size_um=1.0).flagged
    with pytest.raises(ValueError, match="particle_size_um"):
        microabsorption_check(refs, [0.5, 0.2, 0.3], particle_size_um=0)


def test_monochromator_polarization_known_values():
    # analytic: 1 without monochromator; at 2-theta = 90 deg the unpolarised factor is 1/2 and the
    # monochromated one 1 / (1 + cos^2 2theta_M)
    x = np.array([20.0, 90.0, 140.0])
    assert monochromator_polarization(x, 0.0) == pytest.approx(np.ones(3))
    cm = np.cos(np.radians(26.55)) ** 2
    assert monochromator_polarization(90.0, 26.55) == pytest.approx(2 / (1 + cm))


def test_quantify_refuses_unknown_candidate(shared_data):
    pattern = read_pattern(shared_data / RR / "cpd-1a.prn")
    with pytest.raises(ValueError, match="corundum"):
        quantify_phases(pattern, ["corundum"])


def _sphere_tau_by_quadrature(b):
    """Brindley's tau = (1/V) int exp(-b x / R) dV over a sphere of radius R = 1, x the chord along the beam,
    integrated numerically over the distance rho from the centre (dV = x 2 pi rho d rho) - independent of
    the closed form under test."""
    from scipy.integrate import quad

    def integrand(rho):
        chord = 2 * np.sqrt(1 - rho ** 2)
        return np.exp(-b * chord) * chord * 2 * np.pi * rho

    return quad(integrand, 0, 1, epsabs=1e-13, epsrel=1e-13)[0] / (4 * np.pi / 3)


@pytest.mark.parametrize("mu_r", [-0.5, -0.05, -0.004, 0.0, 0.003, 0.0099, 0.0101, 0.1, 0.385, 2.0])
def test_brindley_tau_equals_the_sphere_integral(mu_r):
    from xrd import brindley_tau

    assert float(brindley_tau(mu_r)) == pytest.approx(_sphere_tau_by_quadrature(mu_r), abs=1e-9)


def test_brindley_tau_known_values():
    from xrd import brindley_tau

    # analytic: tau(0) = 1; for small (mu - mu_bar) R the first-order loss is (mu - mu_bar) times the
    # volume-averaged chord of a sphere, 3R/2
    assert brindley_tau(0.0) == 1.0
    assert brindley_tau(1e-6) == pytest.approx(1 - 1.5e-6, abs=2e-12)  # second order: 6b^2/5 = 1.2e-12
    # closed form at b = 0.1: 3 / (8 b^3) [2 - e^(-2b) (2 + 4b + 4b^2)] = 375 (2 - 2.44 e^-0.2) = 0.861361
    assert brindley_tau(0.1) == pytest.approx(375 * (2 - 2.44 * np.exp(-0.2)), rel=1e-12)
    assert np.all(np.diff(brindley_tau(np.linspace(-1, 1, 41))) < 0)  # more absorbing -> less intensity


def _sample4_references():
    # round-robin sample 4 (INDEX.md): corundum, magnetite, zircon
    return [reference_pattern(f"amcsd:{i}", two_theta_range=(10, 80)) for i in (9325, 945, 237)]


def test_brindley_correction_recovers_a_known_composition():
    # synthetic from a known truth: the weighed sample-4 composition (Scarlett 2002; INDEX.md) and particle
    # diameters of 1, 10 and 3 um; the apparent fractions a refinement would give are W_i tau_i / sum W tau,
    # with mu from xraydb (Chantler) and the cell densities, computed here independently of the code's mu
    import xraydb

    from xrd import brindley_correction, brindley_tau

    refs = _sample4_references()
    truth = np.array([0.5046, 0.1964, 0.2990])
    size_um = np.array([1.0, 10.0, 3.0])
    rho = np.array([r.cell_mass_amu / r.volume_a3 * 1.66053906660 for r in refs])
    mu = np.array([xraydb.material_mu(r.formula, 12398.419843 / r.wavelength_angstrom, density=d)
                   for r, d in zip(refs, rho)])
    volume = (truth / rho) / np.sum(truth / rho)
    tau = brindley_tau((mu - volume @ mu) * size_um / 2 * 1e-4)
    apparent = truth * tau / np.sum(truth * tau)
    assert apparent[1] < truth[1] - 0.03  # coarse magnetite is seen several wt% low
    corrected = brindley_correction(refs, apparent, size_um)
    assert corrected.weight_fraction == pytest.approx(truth, abs=1e-9)
    assert corrected.tau == pytest.approx(tau, rel=1e-9)
    assert corrected.linear_absorption_per_cm == pytest.approx(mu, rel=1e-9)
    assert not corrected.very_coarse  # |mu - mu_bar| D of magnetite: about 770 cm^-1 x 1e-3 cm = 0.8 < 1
    json.dumps(corrected.summary())
    with pytest.raises(ValueError, match="particle_size_um"):
        brindley_correction(refs, apparent, [1.0, 2.0])
    with pytest.raises(ValueError, match="particle_size_um"):
        brindley_correction(refs, apparent, [1.0, -2.0, 3.0])


def test_quantify_with_particle_sizes_applies_brindley(shared_data):
    # sample 1g: corundum, zincite, fluorite weighed 31.37 / 34.21 / 34.42 wt% (Madsen 2001). With equal
    # sizes the correction moves weakly absorbing corundum (mu ~ 126 cm^-1) down and the others up; at 1 um
    # the fine-powder limit leaves every fraction within 0.5 wt% of the uncorrected one.
    pattern = read_pattern(shared_data / RR / "cpd-1g.prn")
    candidates = [CORUNDUM, ZINCITE, FLUORITE]
    qpa = quantify_phases(pattern, candidates, monochromator_two_theta_deg=GRAPHITE_2THETA_DEG,
                          particle_size_um=[1.0, 1.0, 1.0])
    plain = np.array([p.weight_fraction for p in qpa.phases])
    assert qpa.brindley is not None and qpa.status == "ok"
    assert np.sum(qpa.weight_fractions) == pytest.approx(1.0)
    assert qpa.weight_fractions[0] < plain[0] and np.all(np.abs(qpa.weight_fractions - plain) < 0.005)
    coarse = quantify_phases(pattern, candidates, monochromator_two_theta_deg=GRAPHITE_2THETA_DEG,
                             particle_size_um=20.0)
    assert coarse.weight_fractions[0] < qpa.weight_fractions[0]  # the larger, the stronger the correction
    summary = coarse.summary()
    assert summary["microabsorption_corrected"] and "brindley_tau_Al2O3" in summary
    json.dumps(summary)
    assert "Brindley" in coarse.report()
    with pytest.raises(ValueError, match="particle_size_um"):
        quantify_phases(pattern, candidates, particle_size_um=[1.0, 1.0])
