"""Core-loss edge profiles: synthetic edges on a known power law, the LSMO/STO line scan, overlaps."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.special import erfc

from eels import (
    EDGES,
    EdgeOverlapWarning,
    edge_profile,
    edge_profiles,
    edge_ratio,
    fit_overlapping_edges,
    fit_power_law,
    get_edge,
    read_eels,
)
from eels.synthetic import core_loss_edge, power_law

ENERGY = np.arange(380.0, 700.0, 0.5)
STEP = 3000.0  # edge height at the onset, counts per channel


def _scan(make_line_scan, fractions, *, rng=None, amplitude=1e12, exponent=3.0):
    """Ti L2,3 line scan: A·E^-r background plus a Ti edge scaled by ``fractions``."""
    edge = core_loss_edge(ENERGY, 456.0, white_lines_ev=(458.0, 463.5), white_line_strength=2.0)
    expected = power_law(ENERGY, amplitude, exponent)[None, :] + STEP * np.asarray(fractions)[:, None] * edge[None, :]
    counts = expected if rng is None else rng.poisson(expected).astype(float)
    return make_line_scan(ENERGY, counts, scale_nm=0.5), STEP * edge


def test_power_law_fit_recovers_parameters():
    # truth: noise-free A·E^-r
    energy = np.linspace(300, 450, 151)
    fit = fit_power_law(energy, power_law(energy, 3.2e11, 2.7)[None, :])
    assert fit.exponent[0] == pytest.approx(2.7, rel=1e-9)
    assert fit.amplitude[0] == pytest.approx(3.2e11, rel=1e-8)


def test_noise_free_edge_integral(make_line_scan):
    fractions = np.array([1.0, 0.5, 0.0])
    data, edge = _scan(make_line_scan, fractions)
    window = (456.0, 486.0)
    profile = edge_profile(data, "Ti L2,3", signal_window_ev=window, background_window_ev=(400.0, 450.0), elements=("Ti", "O"))
    inside = (ENERGY >= window[0]) & (ENERGY < window[1])
    # truth: the edge counts put into the window (the background's tail under the onset is small)
    truth = fractions * edge[inside].sum()
    np.testing.assert_allclose(profile.intensity, truth, rtol=0.01, atol=0.01 * truth.max())


def test_error_bars_describe_the_scatter(make_line_scan):
    rng = np.random.default_rng(7)
    fractions = np.full(200, 0.4)
    data, edge = _scan(make_line_scan, fractions, rng=rng)
    profile = edge_profile(data, "Ti L2,3", elements=("Ti",))
    reference = edge_profile(_scan(make_line_scan, fractions)[0], "Ti L2,3", elements=("Ti",)).intensity
    pulls = (profile.intensity - reference) / profile.intensity_err
    assert np.std(pulls) == pytest.approx(1.0, abs=0.25)
    assert abs(np.mean(pulls)) < 0.3


def test_profile_crossing_and_width(make_line_scan):
    # truth: a diffusion profile 0.5·erfc((x - x0)/(√2 σ)) -> 50 % at x0, 90-10 width 2·1.2816·σ
    x = 0.5 * np.arange(80)
    x0, sigma = 20.0, 2.0
    fractions = 0.5 * erfc((x - x0) / (np.sqrt(2) * sigma))
    data, _ = _scan(make_line_scan, fractions)
    profile = edge_profile(data, "Ti L2,3", elements=("Ti",))
    assert profile.crossing_nm(0.5) == pytest.approx(x0, abs=0.1)
    assert profile.width_nm(0.9, 0.1) == pytest.approx(2 * 1.2816 * sigma, rel=0.05)


def test_lsmo_sto_ti_profile(shared_data):
    # INDEX.md (exspy 0.3.2): Ti L2,3 power-law bg 405-448 eV, integrate 448-480 eV:
    # ~2.4e6 at px 0-2, 1.09e6 at px 3, ~0 (±1.4e5) at px 4-9 -> interface between px 3 and 4
    data = read_eels(shared_data / "eels" / "hyperspy-demos_LSMO_STO_linescan.hspy")
    profile = edge_profile(
        data, "Ti L2,3", background_window_ev=(405, 448), signal_window_ev=(448, 480),
        elements=("La", "Sr", "Mn", "Ti", "O"),
    )
    np.testing.assert_allclose(profile.intensity[:3], 2.4e6, rtol=0.08)
    assert profile.intensity[3] == pytest.approx(1.09e6, rel=0.05)
    assert np.all(np.abs(profile.intensity[4:]) < 1.4e5)
    pixel = 3.152239680290222
    # px 3 holds about half the plateau, so the 50 % point lies next to it and the profile
    # has fallen to a quarter only between px 3 and 4
    assert 2.5 * pixel < profile.crossing_nm(0.5) < 3.5 * pixel
    assert 3 * pixel < profile.crossing_nm(0.25) < 4 * pixel
    assert np.all(profile.intensity_err > 0)


def test_li_k_warns_about_co_m23_with_remedies(make_line_scan):
    energy = np.arange(30.0, 120.0, 0.25)
    counts = power_law(energy, 1e9, 3.0)[None, :] * np.ones((3, 1))
    data = make_line_scan(energy, counts)
    with pytest.warns(EdgeOverlapWarning, match="Co M2,3") as record:
        profile = edge_profile(data, "Li K")
    message = str(record[0].message)
    assert "fit_overlapping_edges" in message
    assert "signal_window_ev=(55, 58)" in message
    assert "edge_ratio" in message
    assert "Co M2,3" in profile.overlaps


def test_co_l23_warns_about_ba_m45_only_when_ba_may_be_present(make_line_scan):
    energy = np.arange(700.0, 850.0, 0.5)
    data = make_line_scan(energy, power_law(energy, 1e12, 3.0)[None, :] * np.ones((2, 1)))
    with pytest.warns(EdgeOverlapWarning, match="Ba M4,5"):
        edge_profile(data, "Co L2,3", elements=("Li", "Co", "O", "Ba", "Ti"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        profile = edge_profile(data, "Co L2,3", elements=("Li", "Co", "O"))
    assert profile.overlaps == ()


def test_edge_table_and_lookup():
    for name in ("Li K", "Co L2,3", "Co M2,3", "O K", "P L2,3", "S L2,3", "Cl L2,3", "Ti L2,3", "Ba M4,5", "In M4,5"):
        assert name in EDGES
    # onsets from PHYSICS.md / exspy 0.3 edge table
    assert get_edge("co_l23").onset_ev == 779.0
    assert get_edge("BA M4,5").onset_ev == 781.0
    assert get_edge("Li K").onset_ev == 55.0
    with pytest.raises(ValueError, match="edge='Xx K'"):
        get_edge("Xx K")


def test_profiles_ratio_and_plot(make_line_scan):
    import matplotlib.pyplot as plt

    data, _ = _scan(make_line_scan, np.linspace(1.0, 0.2, 6))
    profiles = edge_profiles(data, ["Ti L2,3", "O K"], elements=("Ti", "O"),
                             windows={"O K": ((480.0, 528.0), (532.0, 560.0))})
    ratio = edge_ratio(profiles["Ti L2,3"], profiles["Ti L2,3"])
    np.testing.assert_allclose(ratio.ratio, 1.0)
    ax = profiles.plot(interface_nm=1.0)
    assert ax.get_xlabel() == "distance from interface (nm)"
    assert "ti_l23_x50_nm" in profiles.summary()
    plt.close(ax.figure)


def test_bad_arguments(make_line_scan):
    data, _ = _scan(make_line_scan, [1.0, 0.5])
    with pytest.raises(ValueError, match="background='linear'"):
        edge_profile(data, "Ti L2,3", background="linear")
    with pytest.raises(ValueError, match="outside the data's axis"):
        edge_profile(data, "Ti L2,3", background_window_ev=(300, 450))
    with pytest.raises(ValueError, match="low < high"):
        edge_profile(data, "Ti L2,3", signal_window_ev=(480, 460))
    single = data.replace(counts=data.counts[0], navigation_axes=())
    with pytest.raises(ValueError, match="line scan"):
        edge_profile(single, "Ti L2,3")


def test_fitted_overlap_separates_co_l23_from_ba_m45(make_line_scan):
    # truth: Co fraction falls 1 -> 0 while Ba rises 0 -> 1 across 20 pixels; the two edges overlap
    energy = np.arange(700.0, 860.0, 0.5)
    co_shape = core_loss_edge(energy, 779.0, white_lines_ev=(779.5, 794.5), white_line_strength=3.0)
    ba_shape = core_loss_edge(energy, 781.0, white_lines_ev=(782.0, 797.0), white_line_strength=4.0)
    co = np.linspace(1.0, 0.0, 20)
    ba = 1.0 - co
    expected = power_law(energy, 1e12, 3.0)[None, :] + 800 * co[:, None] * co_shape + 800 * ba[:, None] * ba_shape
    rng = np.random.default_rng(21)
    data = make_line_scan(energy, rng.poisson(expected).astype(float))
    window = (775.0, 840.0)
    fitted = fit_overlapping_edges(
        data, {"Co L2,3": 800 * co_shape, "Ba M4,5": 800 * ba_shape},
        background_window_ev=(720.0, 770.0), fit_window_ev=window,
    )
    inside = (energy >= window[0]) & (energy < window[1])
    for name, fraction, shape in (("Co L2,3", co, co_shape), ("Ba M4,5", ba, ba_shape)):
        truth = 800 * fraction * shape[inside].sum()
        profile = fitted[name]
        pulls = (profile.intensity - truth) / profile.intensity_err
        assert np.all(np.abs(pulls) < 4.5)
        np.testing.assert_allclose(profile.intensity, truth, atol=0.06 * truth.max())
    # the plain window integral of Co L2,3 would keep rising with Ba: the remedy matters
    with pytest.warns(EdgeOverlapWarning):
        naive = edge_profile(data, "Co L2,3", background_window_ev=(720.0, 770.0), signal_window_ev=window)
    assert naive.intensity[-1] > 0.5 * naive.intensity[0]
