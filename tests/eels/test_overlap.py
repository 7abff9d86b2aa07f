"""Co L2,3 / Ba M4,5 separated along a line scan (issue 15): synthetic scans of known concentration profiles."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from scipy.special import erfc

from eels import EdgeOverlapWarning, edge_profile, separate_overlapping_edges
from eels.synthetic import core_loss_edge, power_law

ENERGY = np.arange(700.0, 880.0, 0.5)
X_NM = np.arange(-20.0, 21.0, 1.0)
PROBE_NM = 0.8
CO_SHAPE = core_loss_edge(ENERGY, 779.0, white_lines_ev=(779.5, 794.5), white_line_strength=3.0)
BA_SHAPE = core_loss_edge(ENERGY, 781.0, white_lines_ev=(782.0, 797.0), white_line_strength=4.0)


def _step(x, edge):
    return 0.5 * erfc((x - edge) / (np.sqrt(2) * PROBE_NM))


def _scan(make_line_scan, *, layer_nm=3.0, seed=0):
    # truth: Co = cathode below x = 0; Ba = a BaTiO3 layer 0 < x < layer_nm; both blurred by the probe
    co = _step(X_NM, 0.0)
    ba = _step(X_NM, layer_nm) - co if layer_nm else np.zeros_like(X_NM)
    expected = power_law(ENERGY, 2e11, 3.0)[None, :] + 250 * co[:, None] * CO_SHAPE + 250 * ba[:, None] * BA_SHAPE
    counts = np.random.default_rng(seed).poisson(expected).astype(float)
    return make_line_scan(ENERGY, counts, scale_nm=1.0), co, ba


def _shift(data):
    # scan axis from -20 nm: make_line_scan starts at 0, so positions are x + 20
    return data.navigation_axes[0].values_nm - 20.0


def test_coated_scan_co_profile_is_co_only(make_line_scan):
    data, co, ba = _scan(make_line_scan)
    result = separate_overlapping_edges(data)
    x = _shift(data)
    sep = result.profiles["Co L2,3"]
    # truth: the Co 50 % point at the interface (x = 0) and a 90-10 width of the probe, 2·1.2816·0.8 = 2.05 nm
    assert sep.crossing_nm(0.5) - 20.0 == pytest.approx(0.0, abs=0.3)
    assert sep.width_nm() == pytest.approx(2.05, abs=0.6)
    np.testing.assert_allclose(sep.normalized(), co, atol=0.08)
    # the window integral counts Co + Ba: its 50 % point sits at the far side of the 3 nm layer (check can fail)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EdgeOverlapWarning)
        plain = edge_profile(data, "Co L2,3", elements=("Co", "Ba"))
    assert plain.crossing_nm(0.5) - 20.0 > 2.0
    # Ba: the layer, with the reference taken inside it
    ba_profile = result.profiles["Ba M4,5"]
    np.testing.assert_allclose(ba_profile.intensity / np.max(ba_profile.intensity), ba / ba.max(), atol=0.12)
    assert all(0.0 <= p - 20.0 <= 3.0 for p in result.reference_positions_nm["Ba M4,5"])
    assert result.reference_positions_nm["Co L2,3"] == (0.0, 1.0, 2.0)  # the cathode end (x = -20..-18 nm)
    assert result.quality == "ok" and result.reference_source == "scan (automatic)"
    # the Co reference leaves a pure-Ba spectrum about half unexplained (the shapes are 2 eV apart), a Co one not
    assert np.max(result.unexplained_fraction[(x > 0.5) & (x < 2.5)]) > 0.3
    assert np.max(result.unexplained_fraction[x < -3]) < 0.05


def test_given_reference_regions(make_line_scan):
    data, co, _ = _scan(make_line_scan, seed=1)
    result = separate_overlapping_edges(data, reference_positions_nm={"Co L2,3": (0, 5), "Ba M4,5": (21, 22)})
    assert result.reference_source == "scan (given regions)"
    assert result.reference_positions_nm["Ba M4,5"] == (21.0, 22.0)
    np.testing.assert_allclose(result.profiles["Co L2,3"].normalized(), co, atol=0.08)
    summary = result.summary()
    json.dumps(summary)
    assert summary["overlap_fit_edges"] == "Co L2,3 + Ba M4,5"
    assert summary["ba_m45_reference_positions"] == "21, 22"
    assert "co_l23_width_90_10_nm" in summary


def test_uncoated_scan_fits_co_alone_and_says_so(make_line_scan):
    data, co, _ = _scan(make_line_scan, layer_nm=0.0, seed=2)
    result = separate_overlapping_edges(data)
    assert result.quality == "warning"
    assert "no pixel holds a Ba M4,5 signal" in result.quality_reasons[0]
    assert [p.edge.name for p in result.profiles.profiles] == ["Co L2,3"]
    np.testing.assert_allclose(result.profiles["Co L2,3"].normalized(), co, atol=0.08)


def test_bad_arguments(make_line_scan):
    data, _, _ = _scan(make_line_scan, seed=3)
    with pytest.raises(ValueError, match="two different edges"):
        separate_overlapping_edges(data, ("Co L2,3", "Co L2,3"))
    with pytest.raises(ValueError, match="holds no scan position"):
        separate_overlapping_edges(data, reference_positions_nm={"Co L2,3": (0, 3), "Ba M4,5": (100, 110)})
    with pytest.raises(ValueError, match="n_reference"):
        separate_overlapping_edges(data, n_reference=0)


def test_plots(make_line_scan):
    import matplotlib.pyplot as plt

    data, _, _ = _scan(make_line_scan, seed=4)
    result = separate_overlapping_edges(data)
    ax = result.plot_references()
    assert ax.get_xlabel() == "energy loss (eV)"
    plt.close(ax.figure)
    ax = result.plot(interface_nm=20.0)
    assert len(ax.get_lines()) >= 1
    plt.close(ax.figure)
