"""Background, K-alpha2 stripping, peak search, displacement, rebinning and crystallite size,
each checked against an analytic answer or a synthetic input with a known truth."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import xrd
from xrd import (
    crystallite_size,
    displacement_shift_deg,
    find_peaks,
    make_pattern,
    pseudo_voigt,
    rebin,
    render_sticks,
    snip_background,
    strip_kalpha2,
)

X = np.arange(10.0, 90.0, 0.02)


def test_pseudo_voigt_is_area_normalised_with_given_fwhm():
    x = np.linspace(-60, 60, 400001)
    for eta in (0.0, 0.5, 1.0):
        y = pseudo_voigt(x, 0.0, 0.2, eta)
        assert np.trapezoid(y, x) == pytest.approx(1.0, abs=3e-3)
        half = y.max() / 2
        above = x[y >= half]
        assert above[-1] - above[0] == pytest.approx(0.2, abs=1e-3)


def test_render_sticks_conserves_gaussian_area():
    y = render_sticks(X, np.array([30.0, 50.0]), np.array([100.0, 40.0]), np.array([0.1, 0.2]), 0.0)
    assert np.trapezoid(y, X) == pytest.approx(140.0, rel=1e-3)


def test_snip_recovers_smooth_background():
    truth = 200 + 3 * X + 500 * np.exp(-(X - 10) / 10)
    peaks = render_sticks(X, np.array([25.0, 40.0, 41.0, 70.0]), np.array([400, 300, 150, 200.0]), 0.15, 0.5)
    estimate = snip_background(truth + peaks, half_width_points=75)
    assert np.max(np.abs(estimate - truth) / truth) < 0.03
    assert np.all(estimate <= truth + peaks + 1e-9)


def test_strip_kalpha2_removes_the_doublet():
    lam1, lam2 = xrd.CU_KALPHA1_ANGSTROM, xrd.CU_KALPHA2_ANGSTROM
    d = 1.2
    t1 = np.degrees(2 * np.arcsin(lam1 / (2 * d)))
    t2 = np.degrees(2 * np.arcsin(lam2 / (2 * d)))
    alpha1 = render_sticks(X, np.array([t1]), np.array([100.0]), 0.05, 0.0)
    both = alpha1 + render_sticks(X, np.array([t2]), np.array([50.0]), 0.05, 0.0)
    pattern = make_pattern(X, both + 10, wavelength_angstrom=lam1, wavelength2_angstrom=lam2, kalpha2_ratio=0.5)
    stripped = strip_kalpha2(pattern)
    assert stripped.kalpha2_ratio == 0
    assert np.trapezoid(stripped.intensity - 10 / 1.5, X) == pytest.approx(100.0, rel=0.03)
    assert np.max(np.abs(stripped.intensity - 10 / 1.5 - alpha1)) < 0.05 * alpha1.max()


def test_find_peaks_positions_widths_areas():
    rng = np.random.default_rng(0)
    centers = np.array([20.0, 33.3, 47.1, 62.0, 80.5])
    areas = np.array([200.0, 120.0, 90.0, 60.0, 40.0])
    net = render_sticks(X, centers, areas, 0.12, 0.4)
    pattern = make_pattern(X, rng.poisson(net + 100.0).astype(float), wavelength_angstrom=1.5406)
    peaks = find_peaks(pattern)
    assert len(peaks) == 5
    assert peaks.two_theta_deg == pytest.approx(centers, abs=0.01)
    assert peaks.fwhm_deg == pytest.approx(0.12, abs=0.02)
    assert peaks.area == pytest.approx(areas, rel=0.12)
    # Bragg's law for the stated wavelength
    assert peaks.d_spacing_angstrom[0] == pytest.approx(1.5406 / (2 * np.sin(np.radians(10.0))), rel=1e-3)


def test_displacement_shift_formula():
    # -2 s cos(theta) / R: s = 0.1 mm, R = 240 mm at 2theta = 60 deg -> -2*0.1*cos(30)/240 rad
    expected = np.degrees(-2 * 0.1 * np.cos(np.radians(30)) / 240)
    assert displacement_shift_deg(60.0, 0.1, 240.0) == pytest.approx(expected)
    with pytest.raises(ValueError, match="goniometer_radius_mm"):
        displacement_shift_deg(60.0, 0.1, 0.0)


@settings(max_examples=20, deadline=None)
@given(factor=st.integers(1, 5), n=st.integers(20, 200))
def test_rebin_conserves_counts(factor, n):
    x = np.linspace(10, 20, n)
    y = np.arange(n, dtype=float) + 1
    pattern = make_pattern(x, y, wavelength_angstrom=1.5406)
    binned = rebin(pattern, factor) if n // factor >= 10 else None
    if binned is not None:
        kept = (n // factor) * factor
        assert binned.intensity.sum() == pytest.approx(y[:kept].sum())


def test_scherrer_and_williamson_hall_recover_truth():
    # build breadths from tau = 40 nm and eps = 0.002 with Williamson-Hall, then recover them
    tt = np.array([20.0, 35.0, 50.0, 65.0, 80.0])
    theta = np.radians(tt / 2)
    lam_nm = 0.15406
    beta = (0.9 * lam_nm / 40.0 + 4 * 0.002 * np.sin(theta)) / np.cos(theta)
    result = crystallite_size(tt, np.degrees(beta), wavelength_angstrom=1.5406)
    assert result.wh_size_nm == pytest.approx(40.0, rel=1e-6)
    assert result.wh_strain == pytest.approx(0.002, rel=1e-6)
    assert result.success
    # Scherrer alone, no strain: tau = K lambda / (beta cos theta)
    single = crystallite_size([30.0], [0.2], wavelength_angstrom=1.5406)
    assert single.scherrer_size_nm[0] == pytest.approx(0.9 * lam_nm / (np.radians(0.2) * np.cos(np.radians(15))))
    assert not single.success


def test_instrument_broadening_subtraction():
    quad = crystallite_size([30.0], [0.25], instrument_breadth_deg=0.15)
    assert np.degrees(quad.sample_breadth_rad[0]) == pytest.approx(0.2)
    lin = crystallite_size([30.0], [0.25], instrument_breadth_deg=lambda t: 0.05 + 0 * t, correction="linear")
    assert np.degrees(lin.sample_breadth_rad[0]) == pytest.approx(0.2)
    with pytest.raises(ValueError, match="correction='cubic'"):
        crystallite_size([30.0], [0.25], correction="cubic")
    with pytest.raises(ValueError, match="instrumental"):
        crystallite_size([30.0], [0.1], instrument_breadth_deg=0.2)
