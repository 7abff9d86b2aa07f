"""Acceptance tests of issue 8: field and charge of a known 1D space-charge layer
through the 4D centre-of-mass path and the quadrant path, scan rotation and flip,
drift registration, and 4D axis order.

Truth: an analytic double layer (built here, independent of stem): a
Mott–Schottky layer in the cathode (field rising linearly over W, uniform
ρ = ε₀E₀/W) and an exponentially screened layer in the electrolyte
(E = E₀ e^{−s/λ}, ρ = −ε₀E₀/λ e^{−s/λ}). The detector data are simulated
from it (disk shift θ = −E t/(p v/e), Poisson noise).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import constants as sc

import stem

E0 = 2.0e8  # V/m
X0, W, LAM = 24.0, 8.0, 5.0  # interface column, cathode layer width, screening length (pixels of 1 nm)
SHAPE = (24, 64)
ALPHA = 0.5  # mrad
ROT, FLIP = 17.0, True
BEAM, THICK = 200.0, 80.0


def truth():
    x = np.arange(SHAPE[1], dtype=float)
    e = np.where((x >= X0 - W) & (x < X0), E0 * (1 - (X0 - x) / W), 0.0)
    e = np.where(x >= X0, E0 * np.exp(-(x - X0) / LAM), e)
    rho = np.where((x > X0 - W) & (x < X0), sc.epsilon_0 * E0 / (W * 1e-9), 0.0)
    rho = np.where(x > X0, -sc.epsilon_0 * E0 / (LAM * 1e-9) * np.exp(-(x - X0) / LAM), rho)
    return x, e, rho


def field_free_mask():
    x = np.arange(SHAPE[1])
    cols = (x < X0 - W - 3) | (x > X0 + 6 * LAM)
    return np.broadcast_to(cols, SHAPE)


def theta_truth():
    _, e, _ = truth()
    ex = np.tile(e, (SHAPE[0], 1))
    return stem.deflection_from_field(ex, 0 * ex, beam_energy_kev=BEAM, thickness_nm=THICK)


def check_field_and_charge(field):
    """Row-averaged field within 5 % and charge within 10 % where the truth is sizeable."""
    x, e_true, rho_true = truth()
    prof = stem.interface_profile(field, start=(SHAPE[0] / 2 - 0.5, 0), end=(SHAPE[0] / 2 - 0.5, SHAPE[1] - 1),
                                  width_px=SHAPE[0] - 2)
    sel = np.abs(e_true) >= 0.3 * E0
    rel = np.abs(prof.value[sel] - e_true[sel]) / np.abs(e_true[sel])
    assert rel.max() < 0.05, rel
    rho = stem.charge_density(field, smoothing_px=1.0)
    rprof = stem.interface_profile(rho, start=(SHAPE[0] / 2 - 0.5, 0), end=(SHAPE[0] / 2 - 0.5, SHAPE[1] - 1),
                                   width_px=SHAPE[0] - 2)
    # away (≥ 2 px) from the two jumps of ρ, which any finite derivative must blur
    jumps = np.minimum(np.abs(x - X0), np.abs(x - (X0 - W)))
    sel = (np.abs(rho_true) >= 0.3 * np.abs(rho_true).max()) & (jumps >= 2)
    assert sel.sum() >= 5
    rel = np.abs(rprof.value[sel] - rho_true[sel]) / np.abs(rho_true[sel])
    assert rel.max() < 0.10, rel
    return prof, rprof


@pytest.fixture(scope="module")
def com_field():
    tx, ty = theta_truth()
    rng = np.random.default_rng(8)
    yy, xx = np.indices(SHAPE)
    descan = np.stack([15.5 + 0.01 * yy, 15.5 + 0.02 * xx - 0.01 * yy], axis=-1)  # (y, x) centre drifts with scan
    data = stem.simulate_4dstem(tx, ty, convergence_semiangle_mrad=ALPHA, detector_shape=(32, 32),
                                disk_radius_px=10.0, center_px=descan, electrons_per_pattern=1e5,
                                rotation_deg=ROT, flip=FLIP, rng=rng)
    disk = stem.bright_field_disk(data.mean(axis=(0, 1)), convergence_semiangle_mrad=ALPHA)
    com = stem.center_of_mass(data)
    raw = com.to_deflection(mrad_per_pixel=disk.mrad_per_pixel, pixel_size_nm=1.0, background="plane",
                            background_mask=field_free_mask())
    rot = stem.find_scan_rotation(raw, field_direction_deg=0.0)
    defl = raw.rotated(rotation_deg=rot.rotation_deg, flip=rot.flip)
    return stem.electric_field(defl, beam_energy_kev=BEAM, thickness_nm=THICK), disk


def test_4d_com_path_field_within_5_and_charge_within_10_percent(com_field):
    field, disk = com_field
    # disk radius 10 px was simulated; the pixel-count estimate is good to ~1 %
    assert disk.radius_px == pytest.approx(10.0, rel=0.015)
    check_field_and_charge(field)


def test_quadrant_path_field_within_5_and_charge_within_10_percent():
    tx, ty = theta_truth()
    seg = stem.simulate_segments(tx, ty, convergence_semiangle_mrad=ALPHA, electrons_per_position=1e5,
                                 rotation_deg=ROT, flip=FLIP, rng=np.random.default_rng(9))
    raw = stem.segment_deflection(seg.a, seg.b, seg.c, seg.d, convergence_semiangle_mrad=ALPHA, pixel_size_nm=1.0)
    rot = stem.find_scan_rotation(raw, field_direction_deg=0.0)
    field = stem.electric_field(raw.rotated(rotation_deg=rot.rotation_deg, flip=rot.flip),
                                beam_energy_kev=BEAM, thickness_nm=THICK)
    check_field_and_charge(field)


def test_half_plane_path_field_within_5_percent():
    tx, ty = theta_truth()
    seg = stem.simulate_segments(tx, ty, convergence_semiangle_mrad=ALPHA, geometry="half-plane",
                                 electrons_per_position=1e5, rng=np.random.default_rng(10))
    raw = stem.segment_deflection(seg.a, seg.b, seg.c, seg.d, convergence_semiangle_mrad=ALPHA,
                                  pixel_size_nm=1.0, geometry="half-plane")
    field = stem.electric_field(raw, beam_energy_kev=BEAM, thickness_nm=THICK)
    _, e_true, _ = truth()
    prof = stem.interface_profile(field, start=(11.5, 0), end=(11.5, 63), width_px=22)
    sel = np.abs(e_true) >= 0.3 * E0
    assert np.max(np.abs(prof.value[sel] / e_true[sel] - 1)) < 0.05


def gradient_field(shape=(48, 48)):
    """A curl-free 2D deflection: the gradient of two Gaussian potentials (no symmetry axis)."""
    yy, xx = np.indices(shape, dtype=float)
    phi = np.exp(-((xx - 20) ** 2 + (yy - 26) ** 2) / 60) + 0.5 * np.exp(-((xx - 34) ** 2 + (yy - 12) ** 2) / 30)
    gy, gx = np.gradient(phi)
    # plus a uniform deflection (curl- and divergence-free) so that the mean direction is defined
    return -0.05 * gx / np.abs(gx).max() + 0.01, -0.05 * gy / np.abs(gx).max() - 0.005


@pytest.mark.parametrize("rotation_deg, flip", [(17.0, True), (17.0, False), (243.0, True), (101.0, False)])
def test_scan_rotation_and_flip_recovered_within_1_degree(rotation_deg, flip):
    tx, ty = gradient_field()
    data = stem.simulate_4dstem(tx, ty, convergence_semiangle_mrad=0.5, detector_shape=(24, 24), disk_radius_px=8,
                                electrons_per_pattern=2e5, rotation_deg=rotation_deg, flip=flip,
                                rng=np.random.default_rng(3))
    com = stem.center_of_mass(data)
    # the true mean deflection direction is known here; the field points opposite
    mean_dir = np.degrees(np.arctan2(ty.mean(), tx.mean())) + 180.0
    rot = stem.find_scan_rotation(com, field_direction_deg=mean_dir)
    assert rot.flip is flip
    diff = (rot.rotation_deg - rotation_deg + 180.0) % 360.0 - 180.0
    assert abs(diff) < 1.0
    assert rot.curl_fraction < 0.2 * rot.curl_fraction_other_flip


def test_scan_rotation_unresolved_reports_both_candidates():
    tx, ty = gradient_field()
    from stem.synthetic import _to_detector

    dx, dy = _to_detector(tx, ty, 200.0, False)
    rot = stem.find_scan_rotation(stem.Deflection(dx, dy, 1.0))
    assert not rot.resolved
    assert 0 <= rot.rotation_deg < 180
    assert min(abs(rot.rotation_deg - 20.0), abs(rot.alternative_rotation_deg - 200.0)) < 1.0


def adf_image(shape, dy, dx, rng, dose=400.0):
    """ADF of an interface (bright cathode) with particles, displaced by (dy, dx), Poisson noise."""
    yy, xx = np.indices(shape, dtype=float)
    yy, xx = yy - dy, xx - dx
    f = 1.0 - 0.5 * np.tanh((xx - 0.2 * yy - 28) / 2.5)
    for cy, cx, s in [(10, 40, 3), (45, 12, 4), (30, 50, 2.5), (50, 45, 3), (20, 15, 3), (55, 30, 2)]:
        f += 0.8 * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * s * s))
    return rng.poisson(f * dose).astype(float)


@pytest.mark.parametrize("drift", [(0.37, -1.23), (2.71, 3.4), (-0.5, 0.5), (-3.2, -2.9)])
def test_drift_registered_within_0p1_px(drift):
    rng = np.random.default_rng(11)
    ref = adf_image((64, 64), 0.0, 0.0, rng)
    mov = adf_image((64, 64), *drift, rng)
    dy, dx = stem.register_images(ref, mov)
    assert abs(dy - drift[0]) < 0.1 and abs(dx - drift[1]) < 0.1


def test_net_field_removes_drift_and_unbiased_field():
    rng = np.random.default_rng(12)
    x = np.arange(64.0)
    shape = (64, 64)

    def field_map(bias_scale, dy, dx):
        yy, xx = np.indices(shape, dtype=float)
        e = 1e8 * (1 + bias_scale) * np.exp(-np.abs((xx - dx) - 0.2 * (yy - dy) - 28) / 6)
        return stem.FieldMap(e, 0 * e, 1.0, image=adf_image(shape, dy, dx, rng, dose=2000))

    unbiased = field_map(0.0, 0.0, 0.0)
    biased = field_map(1.0, 1.3, -0.8)
    net = stem.net_field(biased, unbiased)
    assert net.registration.dy_px == pytest.approx(1.3, abs=0.1)
    assert net.registration.dx_px == pytest.approx(-0.8, abs=0.1)
    inner = (slice(8, -8), slice(8, -8))
    # truth: the extra field (bias_scale 1) on the unbiased grid
    assert np.allclose(net.ex_v_per_m[inner], unbiased.ex_v_per_m[inner], rtol=0.05, atol=2e6)
    assert x.size == 64


def test_4d_axes_are_scan_y_scan_x_det_y_det_x():
    # a deflection only along scan x, only at one scan column, must move the disk along detector axis -1
    tx = np.zeros((3, 5))
    tx[:, 2] = 0.1
    data = stem.simulate_4dstem(tx, 0 * tx, convergence_semiangle_mrad=1.0, detector_shape=(16, 20),
                                disk_radius_px=5, electrons_per_pattern=None)
    assert data.shape == (3, 5, 16, 20)
    com = stem.center_of_mass(data)
    assert com.com_x[1, 2] - com.com_x[1, 0] == pytest.approx(0.5, abs=0.02)  # 0.1/1.0 * 5 px
    assert com.com_y[1, 2] - com.com_y[1, 0] == pytest.approx(0.0, abs=0.02)
