"""Interface contact on synthetic SEM-EDS maps built from a known truth (issue acceptance).

Every expected number is the truth the map was simulated from (eds.simulate_interface_map):
the pore share of the interface, the 10–90 % transition width and the interface angle;
the maps carry Poisson noise on a Kramers continuum.
"""

from __future__ import annotations

import json

import matplotlib.pyplot as plt
import numpy as np
import pytest

import eds
from ssbkit.errors import FitError

CASES = [  # angle (deg), pore share, number of pores, 10–90 % width (nm), dose, seed
    (0.0, 0.20, 4, 250.0, 1.0, 0),
    (30.0, 0.25, 3, 250.0, 1.0, 1),
    (90.0, 0.30, 4, 400.0, 1.0, 2),
    (135.0, 0.15, 3, 250.0, 0.5, 3),
    (200.0, 0.40, 4, 150.0, 2.0, 4),
    (287.0, 0.10, 2, 500.0, 1.0, 5),
]


@pytest.mark.parametrize("angle, share, n_pores, width, dose, seed", CASES)
def test_contact_and_width_from_a_known_truth(angle, share, n_pores, width, dose, seed):
    truth = eds.simulate_interface_map((128, 128), angle_deg=angle, pore_fraction=share, n_pores=n_pores,
                                       width_nm=width, dose=dose, seed=seed)
    r = eds.interface_contact(truth.data)
    # the truth over the same stretch of interface the analysis traced (whole chord minus the band at the edges)
    assert r.contact_fraction == pytest.approx(truth.contact_fraction_at(r.trace_xy_px), abs=0.05)
    assert r.contact_fraction_range[0] <= r.contact_fraction <= r.contact_fraction_range[1]
    assert r.interdiffusion_width_nm == pytest.approx(width, rel=0.15)
    assert abs((r.interface_angle_deg - truth.angle_deg + 90) % 180 - 90) < 1.0
    assert np.dot(r.normal_xy, truth.normal_xy) > 0.99  # cathode → electrolyte, the right way round
    assert r.success and r.quality in ("ok", "warning")


@pytest.mark.parametrize("angle, seed", [(0.0, 10), (47.0, 11), (120.0, 12), (255.0, 13)])
def test_pore_free_interface_is_in_full_contact(angle, seed):
    truth = eds.simulate_interface_map((128, 128), angle_deg=angle, pore_fraction=0.0, seed=seed)
    r = eds.interface_contact(truth.data)
    assert r.contact_fraction == pytest.approx(1.0, abs=0.02)
    assert r.void_fraction < 0.02
    assert r.quality == "ok", r.reasons
    assert r.width_is_upper_bound and "upper bound" in r.notes[0]  # 250 nm ≪ 4.2 µm Kanaya–Okayama at 15 kV


def test_void_fraction_of_the_band():
    # pores 3 widths deep fill the ±band across their whole length: void share ≈ pore share (blur at their ends)
    truth = eds.simulate_interface_map((128, 128), angle_deg=15.0, pore_fraction=0.3, n_pores=3, seed=21)
    r = eds.interface_contact(truth.data)
    assert r.void_fraction == pytest.approx(1 - truth.contact_fraction_at(r.trace_xy_px), abs=0.05)


def test_width_below_the_generation_range_is_an_upper_bound():
    truth = eds.simulate_interface_map((96, 96), angle_deg=10.0, pore_fraction=0.0, seed=3, beam_energy_kev=15.0)
    r = eds.interface_contact(truth.data)
    # Kanaya–Okayama in Li6PS5Cl (1.64 g/cm³) at 15 kV, the wider of the two phases
    assert r.generation_range_nm == pytest.approx(
        eds.kanaya_okayama_range_nm(15.0, 1.64, formula="Li6PS5Cl"))
    assert r.width_is_upper_bound and "upper bound" in r.report()
    thin = eds.interface_contact(truth.data, specimen="thin")
    assert thin.generation_range_nm is None and not thin.width_is_upper_bound


def test_kanaya_okayama_range():
    # the formula by hand: 0.0276 A E^1.67 / (Z^0.889 ρ) µm; Au at 20 kV ≈ 0.86 µm (Goldstein et al. 2018)
    value = eds.kanaya_okayama_range_nm(20.0, 19.3, atomic_number=79, atomic_mass=196.97)
    assert value == pytest.approx(1e3 * 0.0276 * 196.97 * 20**1.67 / (79**0.889 * 19.3))
    assert value == pytest.approx(860, rel=0.01)
    # LiCoO2: mass-weighted Z = 19.1 and A = 41.2 (Li 7.1 %, Co 60.2 %, O 32.7 % by mass)
    assert eds.kanaya_okayama_range_nm(15.0, 5.06, formula="LiCoO2") == pytest.approx(1504, rel=0.01)
    with pytest.raises(ValueError, match="formula"):
        eds.kanaya_okayama_range_nm(15.0, 5.0)


def test_summary_report_and_plot():
    truth = eds.simulate_interface_map((96, 96), angle_deg=60.0, pore_fraction=0.25, n_pores=2, seed=7)
    r = eds.interface_contact(truth.data)
    s = r.summary()
    json.dumps(s)
    assert s["contact_fraction_min"] <= s["contact_fraction"] <= s["contact_fraction_max"]
    assert "contact fraction" in r.report()
    axes = r.plot()
    assert len(axes) == 4 and axes[2].collections  # the traced interface is drawn
    plt.close("all")


def test_precomputed_line_intensities_give_the_same_answer():
    truth = eds.simulate_interface_map((96, 96), angle_deg=100.0, pore_fraction=0.2, n_pores=2, seed=8)
    lines = eds.line_intensity(truth.data, ["Co_Ka", "S_Ka"])
    a = eds.interface_contact(truth.data)
    b = eds.interface_contact(lines, beam_energy_kev=15.0)
    assert a.contact_fraction == b.contact_fraction
    assert a.interdiffusion_width_nm == b.interdiffusion_width_nm


def test_one_phase_only_is_refused():
    truth = eds.simulate_interface_map((64, 64), pore_fraction=0.0, seed=9)
    counts = np.array(truth.data.counts)
    counts[:] = counts[:1, :1]  # the first pixel everywhere: pure cathode
    with pytest.raises(FitError, match="interface"):
        eds.interface_contact(truth.data.replace(counts=counts))


def test_bad_arguments():
    truth = eds.simulate_interface_map((64, 64), pore_fraction=0.0, seed=9)
    with pytest.raises(ValueError, match="specimen"):
        eds.interface_contact(truth.data, specimen="foil")
    with pytest.raises(ValueError, match="threshold"):
        eds.interface_contact(truth.data, threshold=0.9)
    spectrum = eds.EDSData(np.ones(100), np.arange(100) * 0.1)
    with pytest.raises(ValueError, match="map"):
        eds.interface_contact(spectrum)


def test_lazy_map_gives_a_lazy_dataset_and_the_same_kind_of_answer():
    truth = eds.simulate_interface_map((96, 96), angle_deg=40.0, pore_fraction=0.25, n_pores=2, seed=5, lazy=True)
    assert truth.data.is_lazy
    first = np.asarray(truth.data.counts[:8].compute())
    assert np.array_equal(first, np.asarray(truth.data.counts[:8].compute()))  # seeded per block: reproducible
    r = eds.interface_contact(truth.data)
    assert r.contact_fraction == pytest.approx(truth.contact_fraction_at(r.trace_xy_px), abs=0.05)
    assert r.interdiffusion_width_nm == pytest.approx(truth.width_nm, rel=0.15)


def test_synthetic_map_carries_a_bse_image_and_plots():
    truth = eds.simulate_interface_map((64, 64), angle_deg=0.0, pore_fraction=0.0, seed=2)
    (bse,) = truth.data.images
    assert bse.shape == (64, 64) and bse.pixel_size_nm == 50.0
    # angle 0: normal (0, −1) points from the cathode (bottom rows) into the electrolyte (top rows)
    electrolyte, cathode = bse.data[5].mean(), bse.data[-5].mean()
    assert cathode / electrolyte == pytest.approx(19.1 / 14.0, rel=0.05)  # mean-Z contrast of the simulation
    ax = truth.data.plot()
    assert ax.get_xlabel() == "energy (keV)"
    axes = eds.line_intensity(truth.data, ["Co_Ka", "S_Ka"]).plot()
    assert len(axes) == 2
    plt.close("all")


def test_bowed_interface_needs_a_curved_trace_and_says_so():
    # parabola bulging 8 px: the default quadratic trace follows it; a straight trace is flagged
    truth = eds.simulate_interface_map((128, 128), angle_deg=20.0, bow_px=8.0, pore_fraction=0.2, n_pores=3, seed=4)
    curved = eds.interface_contact(truth.data)
    assert curved.contact_fraction == pytest.approx(truth.contact_fraction_at(curved.trace_xy_px), abs=0.05)
    assert curved.interdiffusion_width_nm == pytest.approx(truth.width_nm, rel=0.15)
    assert curved.quality == "ok", curved.reasons
    straight = eds.interface_contact(truth.data, trace_degree=1)
    assert straight.quality == "warning" and "trace_degree=2" in straight.reasons[0]


def test_pores_smaller_than_the_resolution_are_not_a_confident_full_contact():
    # 1 µm transition (20 px) and pores ~8 px long: the pores cannot be resolved, the total signal dips
    truth = eds.simulate_interface_map((128, 128), angle_deg=20.0, width_nm=1000.0, pore_fraction=0.2, n_pores=3,
                                       seed=4, dose=0.2)
    r = eds.interface_contact(truth.data)
    assert r.quality != "ok" and any("dips" in reason for reason in r.reasons)


def test_a_map_without_one_of_the_lines_is_refused_not_traced(shared_data):
    """A Bruker SEM map that holds neither Mn nor S (P45 default job): tracing an "interface" between two
    noise maps gave a contact fraction of 0.05 and an angle with only a quality warning; now FitError."""
    data = eds.read_eds(shared_data / "eds/rsciio_bruker_P45_the_default_job.bcf")
    with pytest.raises(FitError, match="Mn_Ka is not above the noise in this map"):
        eds.interface_contact(data, cathode_line="Mn_Ka", electrolyte_line="S_Ka", cathode_formula="LiMn2O4",
                              cathode_density_g_cm3=4.28)
