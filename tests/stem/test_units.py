"""Unit tests: constants, segment factors, potential integration, interface model, input checks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import constants as sc
from scipy import integrate

import stem
from ssbkit.errors import CalibrationError


def test_pv_over_e_matches_physics_md():
    # PHYSICS.md: 343.7 kV at 200 keV, 489.0 kV at 300 keV
    assert stem.pv_over_e_volt(200) / 1e3 == pytest.approx(343.7, abs=0.05)
    assert stem.pv_over_e_volt(300) / 1e3 == pytest.approx(489.0, abs=0.05)


def test_segment_factors_analytic():
    # quadrants 2√2/π, half-planes 4/π (derivation in segment_factor); an inner hole of radius R/2 scales by 1/(1-1/4)
    assert stem.segment_factor() == pytest.approx(2 * np.sqrt(2) / np.pi)
    assert stem.segment_factor(geometry="half-plane") == pytest.approx(4 / np.pi)
    assert stem.segment_factor(inner_radius_ratio=0.5) == pytest.approx(2 * np.sqrt(2) / np.pi / 0.75)
    with pytest.raises(CalibrationError):
        stem.segment_factor(outer_radius_ratio=0.8)
    with pytest.raises(ValueError, match="geometry"):
        stem.segment_factor(geometry="octant")


@settings(max_examples=30, deadline=None)
@given(st.floats(-0.05, 0.05), st.floats(-0.05, 0.05), st.floats(0.0, 0.6))
def test_exact_segment_areas_invert_to_shift_to_second_order(tx, ty, inner):
    # exact disk-segment overlap (numerical) vs the first-order factor: error O((δ/R)^3) relative ≤ 1 %
    seg = stem.simulate_segments(np.array([[tx]]), np.array([[ty]]), convergence_semiangle_mrad=1.0,
                                 inner_radius_ratio=inner, electrons_per_position=None)
    defl = stem.segment_deflection(seg.a, seg.b, seg.c, seg.d, convergence_semiangle_mrad=1.0, pixel_size_nm=1.0,
                                   inner_radius_ratio=inner)
    assert defl.x_mrad[0, 0] == pytest.approx(tx, abs=0.01 * 0.05 + 1e-9)
    assert defl.y_mrad[0, 0] == pytest.approx(ty, abs=0.01 * 0.05 + 1e-9)


@settings(max_examples=20, deadline=None)
@given(st.floats(-0.4, 0.4), st.floats(0, 360), st.booleans())
def test_rotation_roundtrip(theta, rotation, flip):
    from stem.synthetic import _to_detector

    dx, dy = _to_detector(np.array([[theta]]), np.array([[0.3]]), rotation, flip)
    d = stem.Deflection(dx, dy, 1.0).rotated(rotation_deg=rotation, flip=flip)
    assert d.x_mrad[0, 0] == pytest.approx(theta, abs=1e-12)
    assert d.y_mrad[0, 0] == pytest.approx(0.3, abs=1e-12)


def test_electric_field_sign_and_scale():
    # θ = -E t / (pv/e): a field of 1e8 V/m along +x deflects by -1e8*80e-9/343741 rad along x
    tx, ty = stem.deflection_from_field(np.full((2, 2), 1e8), np.zeros((2, 2)), beam_energy_kev=200, thickness_nm=80)
    assert tx[0, 0] == pytest.approx(-1e8 * 80e-9 / stem.pv_over_e_volt(200) * 1e3)
    field = stem.electric_field(stem.Deflection(tx, ty, 1.0), beam_energy_kev=200, thickness_nm=80)
    assert field.ex_v_per_m[0, 0] == pytest.approx(1e8)


def test_projected_potential_of_nonperiodic_field():
    # φ = ramp + Gaussian bump; E = -∇φ analytically; mirror padding keeps the edge from wrapping
    yy, xx = np.indices((40, 56), dtype=float)
    a, b = 0.02, 0.5
    g = np.exp(-((xx - 35) ** 2 + (yy - 18) ** 2) / 40)
    phi = a * xx + b * g
    ex = -(a + b * g * (-(xx - 35) / 20)) / 1e-9
    ey = -(b * g * (-(yy - 18) / 20)) / 1e-9
    pot = stem.projected_potential(stem.FieldMap(ex, ey, 1.0)).potential_v
    assert np.abs(pot - (phi - phi.mean())).max() < 0.02 * np.ptp(phi)
    wrapped = stem.projected_potential(stem.FieldMap(ex, ey, 1.0), mirror=False).potential_v
    assert np.abs(wrapped - (phi - phi.mean())).max() > 0.1 * np.ptp(phi)


def test_interface_model_satisfies_poisson_and_bias():
    for model in ("mott-schottky", "gouy-chapman"):
        m = stem.simulate_interface(bias_v=0.3, coating_thickness_nm=5.0, model=model, step_nm=0.002)
        # potential drops sum to the bias; D continuous: ε_r E equal on both sides of the coating
        assert m.cathode_drop_v + m.coating_drop_v + m.electrolyte_drop_v == pytest.approx(0.3, rel=1e-9)
        i_d = np.searchsorted(m.x_nm, 2.5)
        i_e = np.searchsorted(m.x_nm, 5.0 - 1e-9)  # first electrolyte point, s = 0
        d_d = sc.epsilon_0 * m.relative_permittivity[i_d] * m.field_v_per_m[i_d]
        d_e = sc.epsilon_0 * m.relative_permittivity[i_e] * m.field_v_per_m[i_e]
        assert d_d == pytest.approx(m.displacement_c_per_m2, rel=1e-9)
        assert d_e == pytest.approx(m.displacement_c_per_m2, rel=1e-6)
        # Gauss: ρ = ε0 εr dE/dx inside the electrolyte layer
        x = m.x_nm * 1e-9
        sel = (m.x_nm > 5.5) & (m.x_nm < 7.0)
        drho = sc.epsilon_0 * m.relative_permittivity * np.gradient(m.field_v_per_m, x)
        assert np.allclose(drho[sel], m.rho_c_per_m3[sel], rtol=0.02)
        # Gauss across the whole electrolyte layer: ∫ρ dx = -D
        assert integrate.trapezoid(m.rho_c_per_m3[m.x_nm >= 5.0], x[m.x_nm >= 5.0]) == pytest.approx(
            -m.displacement_c_per_m2, rel=0.02)


def test_space_charge_width_of_mott_schottky_layer():
    # field falls linearly from E0 to 0 over W = 10 nm; fraction f gives (1 - f) W
    x = np.arange(0, 30, 0.1)
    e = np.clip(1 - (x - 5) / 10, 0, 1) * (x >= 5)
    prof = stem.Profile(x, e, np.zeros_like(x), "E", "V/m")
    w = stem.space_charge_layer_width(prof, fraction=0.2)
    assert w.width_nm == pytest.approx(8.0, abs=0.1) and w.success


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="4D"):
        stem.center_of_mass(np.zeros((3, 4, 5)))
    with pytest.raises(ValueError, match="NaN"):
        stem.Deflection(np.full((2, 2), np.nan), np.zeros((2, 2)), 1.0)
    with pytest.raises(ValueError, match="model"):
        stem.simulate_interface(bias_v=1.0, model="stern")
    with pytest.raises(CalibrationError, match="no contrast"):
        stem.register_images(np.ones((16, 16)), np.ones((16, 16)))
    with pytest.raises(CalibrationError, match="no intensity"):
        stem.bright_field_disk(np.zeros((8, 8)))
    field = stem.FieldMap(np.zeros((8, 8)), np.zeros((8, 8)), 1.0)
    with pytest.raises(CalibrationError, match="image"):
        stem.net_field(field, field)


def test_com_numpy_and_dask_agree_and_dask_is_lazy():
    import dask.array as da

    rng = np.random.default_rng(5)
    data = rng.poisson(5.0, size=(6, 7, 9, 11)).astype(np.float32)
    eager = stem.center_of_mass(data, rows_per_block=2)
    lazy = stem.center_of_mass(da.from_array(data, chunks=(2, 3, 9, 11)))
    assert lazy.is_lazy
    done = lazy.compute()
    yy, xx = np.indices((9, 11))
    expect_x = (data * xx).sum(axis=(2, 3)) / data.sum(axis=(2, 3))
    assert np.allclose(eager.com_x, expect_x, rtol=1e-5) and np.allclose(done.com_x, expect_x, rtol=1e-5)
    mask = np.zeros((9, 11))
    mask[2:7, 3:9] = 1
    masked = stem.center_of_mass(data, mask=mask)
    expect_y = (data * mask * yy).sum(axis=(2, 3)) / (data * mask).sum(axis=(2, 3))
    assert np.allclose(masked.com_y, expect_y, rtol=1e-5)


def test_half_plane_segment_area_is_exact():
    # area of a unit disk centred at x = d on the right of x = 0: π/2 + d√(1 − d²) + asin d (geometry)
    d = 0.3
    seg = stem.simulate_segments(np.array([[d]]), np.array([[0.0]]), convergence_semiangle_mrad=1.0,
                                 geometry="half-plane", electrons_per_position=None)
    assert seg.a[0, 0] == pytest.approx(np.pi / 2 + d * np.sqrt(1 - d * d) + np.arcsin(d), rel=1e-12)
    assert seg.a[0, 0] + seg.c[0, 0] == pytest.approx(np.pi, rel=1e-12)


def test_com_accepts_memmap(tmp_path):
    rng = np.random.default_rng(6)
    data = rng.poisson(3.0, size=(4, 5, 6, 7)).astype(np.uint16)
    mm = np.lib.format.open_memmap(tmp_path / "d.npy", mode="w+", dtype=np.uint16, shape=data.shape)
    mm[:] = data
    mm.flush()
    com = stem.center_of_mass(np.load(tmp_path / "d.npy", mmap_mode="r"), rows_per_block=1)
    yy = np.indices((6, 7))[0]
    assert np.allclose(com.com_y, (data * yy).sum(axis=(2, 3)) / data.sum(axis=(2, 3)), rtol=1e-6)


def test_lazy_com_with_mask_and_threshold_matches_eager():
    import dask.array as da

    rng = np.random.default_rng(7)
    data = rng.poisson(4.0, size=(4, 6, 8, 9)).astype(np.uint16)
    mask = np.zeros((8, 9))
    mask[1:7, 2:8] = 1.0
    eager = stem.center_of_mass(data, mask=mask, threshold=3)
    lazy = stem.center_of_mass(da.from_array(data, chunks=(2, 3, 4, 9)), mask=mask, threshold=3)
    assert lazy.is_lazy
    done = lazy.compute()
    kept = np.where(data >= 3, data, 0) * mask
    yy, xx = np.indices((8, 9))
    assert np.allclose(done.com_x, (kept * xx).sum(axis=(2, 3)) / kept.sum(axis=(2, 3)), rtol=1e-6)
    assert np.allclose(done.com_x, eager.com_x, rtol=1e-6)
    assert np.allclose(done.com_y, (kept * yy).sum(axis=(2, 3)) / kept.sum(axis=(2, 3)), rtol=1e-6)


@settings(max_examples=12, deadline=None)
@given(st.floats(-2.5, 2.5), st.floats(-2.5, 2.5))
def test_registration_recovers_any_subpixel_shift_of_a_smooth_image(dy, dx):
    # noise-free smooth random texture evaluated at shifted coordinates (no wrap-around): truth (dy, dx)
    rng = np.random.default_rng(0)
    centres = rng.uniform(6, 42, size=(10, 2))
    widths = rng.uniform(2, 4, size=10)

    def image(sy, sx):
        yy, xx = np.indices((48, 48), dtype=float)
        out = np.tanh((xx - sx - 0.3 * (yy - sy) - 20) / 3)
        for (cy, cx), w in zip(centres, widths):
            out += np.exp(-((yy - sy - cy) ** 2 + (xx - sx - cx) ** 2) / (2 * w * w))
        return out

    found = stem.register_images(image(0.0, 0.0), image(dy, dx))
    assert abs(found.dy_px - dy) < 0.05 and abs(found.dx_px - dx) < 0.05
