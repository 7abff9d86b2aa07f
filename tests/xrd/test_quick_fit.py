"""Quick linear fits (xrd.quick_fit) and the tie rules of the phase search, against known truths."""

from __future__ import annotations

import numpy as np
import pytest

from xrd.pattern import Pattern
from xrd.profiles import render_sticks
from xrd.quick_fit import linear_fit, stick_curve

X = np.arange(20.0, 60.0, 0.01)
CU_KA1, CU_KA2 = 1.540598, 1.544426


def _pattern(y, ratio=0.5, x=X):
    return Pattern(x, y, wavelength_angstrom=CU_KA1, wavelength2_angstrom=CU_KA2, kalpha2_ratio=ratio)


def test_stick_curve_places_both_lines_by_bragg_and_keeps_their_areas():
    # one reflection at d = 2.0 A: Bragg's law gives 2 theta = 2 asin(lambda / 4) at each wavelength; areas 1 and the
    # K-alpha2 ratio 0.5 (Gaussians, eta = 0, 0.02 deg wide: 0.12 deg apart they do not overlap)
    x = np.arange(40.0, 50.0, 0.001)
    pattern = _pattern(np.ones_like(x), x=x)
    curve = stick_curve(pattern, np.array([2.0]), np.array([1.0]), zero_shift_deg=0.1, fwhm_deg=0.02, eta=0.0)
    t1 = np.degrees(2 * np.arcsin(CU_KA1 / 4.0)) + 0.1
    t2 = np.degrees(2 * np.arcsin(CU_KA2 / 4.0)) + 0.1
    assert curve.sum() * 0.001 == pytest.approx(1.5, rel=1e-4)
    first, second = x < (t1 + t2) / 2, x >= (t1 + t2) / 2
    assert x[first][np.argmax(curve[first])] == pytest.approx(t1, abs=0.0006)
    assert x[second][np.argmax(curve[second])] == pytest.approx(t2, abs=0.0006)
    assert curve[second].sum() / curve[first].sum() == pytest.approx(0.5, rel=1e-4)


def test_stick_curve_width_may_depend_on_angle():
    pattern = _pattern(np.ones_like(X), ratio=0.0)
    d = np.array([3.0, 1.8])
    fixed = stick_curve(pattern, d, np.ones(2), zero_shift_deg=0.0, fwhm_deg=0.08)
    varying = stick_curve(pattern, d, np.ones(2), zero_shift_deg=0.0, fwhm_deg=lambda t: np.full(t.shape, 0.08))
    assert np.allclose(fixed, varying)


def test_linear_fit_recovers_known_scales_and_is_zero_on_an_exact_model():
    # truth: y = background + 300 a + 120 b + 5 (constant) + 2 (linear term), no noise
    a = render_sticks(X, np.array([30.0, 45.0]), np.array([1.0, 0.5]), 0.1, 0.5)
    b = render_sticks(X, np.array([38.0]), np.array([1.0]), 0.2, 0.3)
    background = 50 + 0.2 * (X - 20)
    y = background + 300 * a + 120 * b + 5 + 2 * np.linspace(-1, 1, X.size)
    fit = linear_fit(_pattern(y), background, np.sqrt(y), [a, b])
    assert fit.rwp == pytest.approx(0.0, abs=1e-10)
    assert fit.coefficients == pytest.approx([300, 120, 5, 2], rel=1e-8)
    # without the second phase the fit must be worse; adding it back as one column restores the exact model
    without = linear_fit(_pattern(y), background, np.sqrt(y), [a])
    assert without.rwp > 0.01
    rwp, scale = without.with_column(b)
    assert rwp == pytest.approx(0.0, abs=1e-7)
    assert scale == pytest.approx(120, rel=1e-8)


def test_one_column_more_equals_solving_again():
    # truth: the fit solved again with the column among the others (singular values, numpy.linalg.lstsq's rule)
    rng = np.random.default_rng(5)
    columns = [render_sticks(X, rng.uniform(22, 58, 6), rng.uniform(0.2, 1.0, 6), 0.15, 0.5) for _ in range(4)]
    y = rng.poisson(80 + 400 * columns[0] + 250 * columns[1] + 150 * columns[2] + 90 * columns[3]).astype(float)
    sigma, background = np.sqrt(np.maximum(y, 1)), np.full(X.size, 70.0)
    base = linear_fit(_pattern(y), background, sigma, columns[:3])
    for added in (columns[3], columns[3] - columns[1], -columns[3]):  # scales +90, +90 and -90 in truth
        again = linear_fit(_pattern(y), background, sigma, columns[:3] + [added])
        rwp, scale = base.with_column(added)
        assert rwp == pytest.approx(again.rwp, rel=1e-10)
        assert scale == pytest.approx(again.coefficients[3], rel=1e-9)
    # a column within the fitted span (a multiple of a fitted one, or zero) changes nothing
    assert base.with_column(2 * columns[0]) == (base.rwp, 0.0)
    assert base.with_column(np.zeros(X.size)) == (base.rwp, 0.0)


def test_simpler_prefers_a_random_powder_fit_then_a_cell_closer_to_its_reference():
    from xrd.identify import _simpler

    # Rwp (fraction), cell strain (fraction) of the alternative, then of the current phase
    assert _simpler(0.050, 0.010, 0.052, 0.000)       # random-powder Rwp lower by 3.8 % > 1 %
    assert not _simpler(0.052, 0.000, 0.050, 0.010)   # higher by 4 %
    assert _simpler(0.0501, 0.001, 0.0500, 0.012)     # within 1 %, cell 1.1 % closer
    assert not _simpler(0.0501, 0.008, 0.0500, 0.012)  # within 1 %, only 0.4 % closer


def test_close_compositions_by_atomic_fraction():
    from xrd.identify import close_compositions

    # atomic fractions by hand: Li2.68Ti1.32O4 -> Li 0.335, Ti 0.165, O 0.5; Li2TiO3 -> 1/3, 1/6, 1/2
    assert close_compositions("Li2.68Ti1.32O4", "Li2TiO3")
    # Li9.584Mn14.416O31.776 -> Li 0.171, Mn 0.257, O 0.567; LiMn2O4 -> 1/7, 2/7, 4/7: largest difference 0.029
    assert close_compositions("Li9.584Mn14.416O31.776", "LiMn2O4")
    assert not close_compositions("Li9.584Mn14.416O31.776", "LiMn2O4", tolerance=0.02)
    assert not close_compositions("NiO", "TiO")  # other elements
    assert not close_compositions("Li4Ti7O16", "Li2TiO3")  # Li 0.148 against 0.333
