"""The fast paths of rendering and refinement against straightforward evaluations."""

import numpy as np

from xrd.profiles import render_sticks
from xrd.refinement import _remember


def _brute_force_render(x, positions, areas, fwhm, eta, window_fwhm=10.0):
    """Each peak written out on its window [c - 10 FWHM, c + 10 FWHM) of the grid, one at a time."""
    out = np.zeros(x.size)
    for c, a, f in zip(positions, areas, fwhm):
        inside = (x >= c - window_fwhm * f) & (x < c + window_fwhm * f)
        u = (x[inside] - c) / f
        gauss = 2 / f * np.sqrt(np.log(2) / np.pi) * np.exp(-4 * np.log(2) * u ** 2)
        lorentz = 2 / (np.pi * f) / (1 + 4 * u ** 2)
        out[inside] += a * (eta * lorentz + (1 - eta) * gauss)
    return out


def test_render_sticks_equals_peak_by_peak_sum_with_reused_work_arrays():
    x = np.arange(10.0, 80.0, 0.02)
    rng = np.random.default_rng(1)
    many = np.sort(rng.uniform(5.0, 85.0, 400))  # some windows cut by the grid's ends, some off the grid
    fwhm = 0.05 + 0.1 * rng.random(many.size)  # windows of different lengths: padded rows
    areas = rng.uniform(1.0, 100.0, many.size)
    few = np.array([10.001, 44.4, 79.99])
    # a large render leaves large work arrays behind; the small render after it must use only its part
    for pos, area, width, eta in ((many, areas, fwhm, 0.3), (few, areas[:3], fwhm[:3], 0.8),
                                  (many[::7], areas[::7], fwhm[::7], 0.0)):
        expected = _brute_force_render(x, pos, area, width, eta)
        np.testing.assert_allclose(render_sticks(x, pos, area, width, eta), expected, rtol=1e-12,
                                   atol=1e-12 * expected.max())
    assert not render_sticks(x, np.array([100.0]), np.array([1.0]), 0.1, 0.5).any()
    assert not render_sticks(x, np.zeros(0), np.zeros(0), np.zeros(0), 0.5).any()


def test_remember_computes_once_and_drops_least_recently_used(monkeypatch):
    import xrd.refinement

    monkeypatch.setattr(xrd.refinement, "_MEMO_SIZE", 2)
    memo, calls = {}, []

    def value(key):
        return _remember(memo, key, lambda: calls.append(key) or key * 10)

    assert [value(1), value(2), value(1)] == [10, 20, 10]  # 1 is now the most recent
    assert calls == [1, 2]
    value(3)  # drops 2, the least recently used
    assert sorted(memo) == [1, 3]
    value(2)
    assert calls == [1, 2, 3, 2]
