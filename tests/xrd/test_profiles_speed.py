"""The fast paths of rendering and refinement against straightforward evaluations."""

import numpy as np
import pytest

from xrd.profiles import render_stick_derivatives, render_sticks
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


def test_stick_derivatives_equal_central_differences_of_the_render():
    # truth: central differences (step 1e-6) of render_sticks itself, on windows wide enough that no peak is cut
    x = np.arange(20.0, 60.0, 0.01)
    pos, areas, fwhm = np.array([30.0, 30.5, 45.2]), np.array([100.0, 50.0, 30.0]), np.array([0.1, 0.15, 0.2])
    slopes = np.array([0.3, -1.0, 2.0])  # a different d(centre)/dq per peak, as a cell parameter gives
    weights = np.zeros((4, 3, 4))
    weights[0, :, 0] = 1.0
    weights[1, :, 1] = areas * slopes
    weights[2, :, 2] = areas
    weights[3, :, 3] = areas
    step = 1e-6
    for eta in (0.0, 0.4, 1.0):
        columns = render_stick_derivatives(x, pos, fwhm, eta, weights, window_fwhm=1e4)

        def render(dq=0.0, dw=0.0, de=0.0):
            return render_sticks(x, pos + slopes * dq, areas, fwhm + dw, eta + de, window_fwhm=1e4)

        np.testing.assert_allclose(columns[:, 0], render_sticks(x, pos, 1.0, fwhm, eta, window_fwhm=1e4),
                                   rtol=0, atol=1e-14)
        for k, shift in ((1, "dq"), (2, "dw"), (3, "de")):
            difference = (render(**{shift: step}) - render(**{shift: -step})) / (2 * step)
            np.testing.assert_allclose(columns[:, k], difference, rtol=0, atol=1e-7 * np.abs(difference).max())
    with pytest.raises(ValueError, match="weights"):
        render_stick_derivatives(x, pos, fwhm, 0.5, np.zeros((3, 3, 1)))


def test_refinement_jacobian_gives_the_gradient_of_the_residual(make_mixture, monkeypatch):
    # Kaufman's variable-projection Jacobian drops a term orthogonal to the residual, so J^T r must equal the
    # gradient of the residual's half-square; truth: central differences of the residual (step 1e-6 relative).
    # The peaks' windows span the whole pattern here: a window's end crossing a grid point within a difference
    # step would make the difference, not the derivative, wrong.
    from functools import partial

    import xrd.refinement
    from xrd.references import reference_pattern
    from xrd.refinement import _Model, _counting_sigma

    monkeypatch.setattr(xrd.refinement, "render_sticks", partial(render_sticks, window_fwhm=1e3))
    monkeypatch.setattr(xrd.refinement, "render_stick_derivatives", partial(render_stick_derivatives, window_fwhm=1e3))

    rng = np.random.default_rng(3)
    pattern, _, _ = make_mixture(("LiCoO2", "Co3O4"), (0.6, 0.4), rng)
    refs = [reference_pattern("LiCoO2"), reference_pattern("Co3O4")]
    model = _Model(pattern, refs, np.full(pattern.two_theta_deg.size, 100.0), 4, _counting_sigma(pattern),
                   orientations=[(0, 0, 1), None])
    q = np.zeros(model.n_params)
    q[0], q[1] = 0.03, 0.4
    for p, (_, _, start) in enumerate(model.ties):
        sl = model.slices[p]
        q[sl] = start * 1.001
        q[sl.stop], q[sl.stop + 1] = 0.012, 0.005
    q[model.po_index[0]] = 0.9
    assert pattern.kalpha2_ratio > 0  # the K-alpha2 peaks are differentiated too
    for broaden in (1.0, 1.5):
        residual = model.residual(q, broaden)
        jacobian = model.jacobian(q, broaden)
        for j in range(q.size):
            h = 1e-6 * max(abs(q[j]), 1e-2)
            up, down = q.copy(), q.copy()
            up[j] += h
            down[j] -= h
            column = (model.residual(up, broaden) - model.residual(down, broaden)) / (2 * h)
            scale = np.linalg.norm(column) * np.linalg.norm(residual)
            assert jacobian[:, j] @ residual == pytest.approx(column @ residual, abs=1e-6 * scale)


def test_strongest_reflections_of_every_reference_in_one_pass():
    # the coarse screen's compiled selection against a per-reference numpy selection: the reflections of at
    # least 1 % of the strongest, the 16 strongest of them, strongest first and of equal ones the earlier
    from xrd.identify import _strongest_kernel

    rng = np.random.default_rng(4)
    sizes = [0, 1, 5, 16, 17, 40, 300]
    intensity = [np.round(rng.uniform(0, 100, n) ** 2, -2) for n in sizes]  # rounded: many equal values
    d = [rng.uniform(0.8, 6.0, n) for n in sizes]
    k = 16
    d_out, intensity_out = np.full((len(sizes), k), np.nan), np.zeros((len(sizes), k))
    _strongest_kernel(np.concatenate(intensity), np.concatenate(d), np.cumsum([0] + sizes), d_out, intensity_out)
    for r, (inten, spacing) in enumerate(zip(intensity, d)):
        keep = np.flatnonzero(inten >= 0.01 * inten.max()) if inten.size else np.zeros(0, int)
        chosen = keep[np.argsort(-inten[keep], kind="stable")][:k]
        np.testing.assert_array_equal(intensity_out[r, :chosen.size], inten[chosen])
        np.testing.assert_array_equal(d_out[r, :chosen.size], spacing[chosen])
        assert not intensity_out[r, chosen.size:].any() and np.isnan(d_out[r, chosen.size:]).all()
