"""Synthetic SEM-EDS maps of a cathode | electrolyte interface built from a known truth.

The map is what an SEM records across a LiCoO2 | Li6PS5Cl interface: two
phases meeting along a straight line at any angle, pores (voids) sitting on
the interface over a known share of its length, every phase boundary blurred
by the X-ray generation volume (a Gaussian whose 10–90 % width is the
"transition width"), characteristic lines on a Kramers bremsstrahlung
continuum, and Poisson counting noise. The truth travels with the map, so an
analysis can be checked against it (the scikit-image way: apply a known
change, recover it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.ndimage import gaussian_filter

from eds.data import EDSData, ElectronImage
from eds.lines import detector_fwhm_kev, line_energy_kev

__all__ = ["SyntheticInterface", "simulate_interface_map", "ERF_10_90"]

#: 10–90 % width of a Gaussian-blurred step in units of the Gaussian σ: 2 √2 erf⁻¹(0.8).
ERF_10_90 = 2.0 * math.sqrt(2.0) * 0.9061938024368232

#: Counts per pixel of each line in the dense phase at the default dose (relative line strengths of a 15 kV map).
CATHODE_LINES = {"Co_Ka": 40.0, "Co_Kb": 5.5, "Co_La": 12.0, "O_Ka": 8.0}
ELECTROLYTE_LINES = {"S_Ka": 45.0, "S_Kb": 3.0, "P_Ka": 10.0, "Cl_Ka": 10.0}


@dataclass(frozen=True)
class SyntheticInterface:
    """A synthetic interface map and the truth it was built from.

    Attributes
    ----------
    data : EDSData
        The map, (n_y, n_x, n_channels) Poisson counts, with a backscattered-electron
        image (mean-Z contrast: LiCoO2 brighter than Li6PS5Cl, pores dark) in ``data.images``.
    contact_fraction : float
        Share of the interface length (inside the image) not covered by pores.
    width_nm : float
        10–90 % width of the Co → S transition.
    angle_deg : float
        Direction of the interface line from the +x (column) axis towards +y (row), degrees in [0, 180).
    normal_xy : tuple of float
        Unit normal (x, y) pointing from the cathode into the electrolyte.
    center_xy_px : tuple of float
        A point of the interface line, pixels (x, y).
    pores_v_px : ndarray, shape (n_pores, 2)
        Start and end of each pore along the interface, pixels from ``center_xy_px`` along the line.
    pore_depth_px : float
        Extent of each pore across the interface, pixels.
    cathode_fraction, electrolyte_fraction : ndarray, shape (n_y, n_x)
        Blurred phase fractions (the noise-free truth of the normalised maps).
    """

    data: EDSData
    contact_fraction: float
    width_nm: float
    angle_deg: float
    normal_xy: tuple[float, float]
    center_xy_px: tuple[float, float]
    pores_v_px: np.ndarray
    pore_depth_px: float
    cathode_fraction: np.ndarray = field(repr=False)
    electrolyte_fraction: np.ndarray = field(repr=False)

    def along_px(self, xy_px) -> np.ndarray:
        """Position along the interface (pixels from ``center_xy_px``) of points (x, y)."""
        xy = np.atleast_2d(np.asarray(xy_px, dtype=float)) - np.asarray(self.center_xy_px)
        tangent = np.array([-self.normal_xy[1], self.normal_xy[0]])
        return xy @ tangent

    def contact_fraction_at(self, xy_px) -> float:
        """True contact share over the given interface points (e.g. an analysis' traced interface)."""
        v = self.along_px(xy_px)
        in_pore = np.zeros(v.shape, bool)
        for start, end in self.pores_v_px:
            in_pore |= (v >= start) & (v <= end)
        return float(1.0 - in_pore.mean())


def _chord_px(shape, center, tangent) -> tuple[float, float]:
    """Range of v for which center + v·tangent lies inside the image."""
    lo, hi = -np.inf, np.inf
    for c, t, n in ((center[0], tangent[0], shape[1]), (center[1], tangent[1], shape[0])):
        if abs(t) < 1e-12:
            continue
        a, b = (-0.5 - c) / t, (n - 0.5 - c) / t
        lo, hi = max(lo, min(a, b)), min(hi, max(a, b))
    return float(lo), float(hi)


def _pores(rng, chord, pore_fraction, n_pores, margin_px) -> np.ndarray:
    """Equal pores spread evenly (with jitter) over the chord, covering ``pore_fraction`` of it."""
    if pore_fraction <= 0 or n_pores == 0:
        return np.zeros((0, 2))
    lo, hi = chord
    length = hi - lo
    pore = pore_fraction * length / n_pores
    cell = length / n_pores
    gap = cell - pore
    starts = lo + cell * np.arange(n_pores) + gap / 2 + rng.uniform(-0.4, 0.4, n_pores) * gap
    return np.stack([starts, starts + pore], axis=1)


def _continuum(energy_kev, beam_energy_kev, mean_z):
    """Kramers continuum Z (E0 − E)/E with a detector-window absorption roll-off below ~1 keV."""
    e = np.clip(energy_kev, 0.05, None)
    kramers = mean_z * np.clip(beam_energy_kev - e, 0, None) / e
    return kramers * (1 - np.exp(-((e / 0.9) ** 3)))


def _phase_spectrum(energy_kev, lines, continuum_counts, beam_energy_kev, mean_z, resolution_ev):
    scale = energy_kev[1] - energy_kev[0]
    spectrum = _continuum(energy_kev, beam_energy_kev, mean_z)
    spectrum *= continuum_counts / spectrum.sum()
    for line, counts in lines.items():
        e0 = line_energy_kev(line)
        sigma = detector_fwhm_kev(e0, resolution_ev) / (2 * math.sqrt(2 * math.log(2)))
        spectrum = spectrum + counts * scale / (sigma * math.sqrt(2 * math.pi)) * np.exp(
            -0.5 * ((energy_kev - e0) / sigma) ** 2)
    return spectrum


def _poisson_rows(rng, c_frac, s_frac, spec_c, spec_s) -> np.ndarray:
    mean = c_frac[..., None].astype(np.float32) * spec_c.astype(np.float32) + \
        s_frac[..., None].astype(np.float32) * spec_s.astype(np.float32)
    return rng.poisson(mean).astype(np.uint16)


def _lazy_counts(c_frac, s_frac, spec_c, spec_s, seed, rows_per_chunk: int = 8):
    """Dask array of Poisson counts, each block of rows drawn from its own seeded generator when computed."""
    import dask.array as da

    ny, nx = c_frac.shape
    n = spec_c.size

    def block(block_id=None):
        start = block_id[0] * rows_per_chunk
        stop = min(start + rows_per_chunk, ny)
        rng = np.random.default_rng([seed, block_id[0]])
        return _poisson_rows(rng, c_frac[start:stop], s_frac[start:stop], spec_c, spec_s)

    chunks = ((rows_per_chunk,) * (ny // rows_per_chunk) + ((ny % rows_per_chunk,) if ny % rows_per_chunk else ()),
              (nx,), (n,))
    return da.map_blocks(block, chunks=chunks, dtype=np.uint16, meta=np.empty((0, 0, 0), np.uint16))


def simulate_interface_map(shape=(128, 128), *, angle_deg: float = 0.0, offset_px: float = 0.0, bow_px: float = 0.0,
                           width_nm: float = 250.0, pixel_size_nm: float = 50.0, pore_fraction: float = 0.2,
                           n_pores: int = 4, pore_depth_nm: float | None = None, dose: float = 1.0,
                           beam_energy_kev: float = 15.0, n_channels: int = 1024,
                           energy_scale_kev: float = 0.01, resolution_ev: float = 130.0,
                           seed: int = 0, lazy: bool = False) -> SyntheticInterface:
    """Simulate an SEM-EDS map of a LiCoO2 | Li6PS5Cl interface with pores, from a known truth.

    Parameters
    ----------
    shape : (int, int)
        Map size (n_y, n_x), pixels.
    angle_deg : float
        Direction of the interface from the +x axis towards +y, degrees; the
        cathode lies on the side the normal (sin θ, −cos θ) points away from.
    offset_px : float
        Shift of the interface from the image centre along its normal, pixels.
    bow_px : float
        Curvature: the interface is a parabola bulging this far into the electrolyte at the
        image centre, relative to where it meets the image edges (0: straight).
    width_nm : float
        10–90 % width of the Co → S transition (X-ray generation blur and interdiffusion), nm.
    pixel_size_nm : float
        Pixel size, nm.
    pore_fraction : float
        Share of the interface length covered by pores, in [0, 1).
    n_pores : int
        Number of pores (equal length, spread evenly with jitter).
    pore_depth_nm : float, optional
        Extent of a pore across the interface (default 3 × the transition width).
    dose : float
        Multiplies every count rate (1: Co Kα ≈ 40 and S Kα ≈ 45 counts per pixel in the dense phases).
    beam_energy_kev : float
        Beam energy for the continuum, keV.
    n_channels, energy_scale_kev : int, float
        Energy axis, starting at 0 keV.
    resolution_ev : float
        Detector FWHM at Mn Kα, eV.
    seed : int
        Random seed (pore jitter and Poisson noise).
    lazy : bool
        Return the counts as a dask array drawn block by block when computed (maps larger
        than memory, e.g. 512 × 512 × 4096 for benchmarks); the same seed gives the same map.

    Returns
    -------
    SyntheticInterface

    References
    ----------
    H. A. Kramers, Phil. Mag. 46 (1923) 836, doi:10.1080/14786442308565244 (continuum).
    """
    if not 0 <= pore_fraction < 1:
        raise ValueError(f"pore_fraction={pore_fraction!r}; expected a value in [0, 1)")
    for name, value in (("width_nm", width_nm), ("pixel_size_nm", pixel_size_nm), ("dose", dose)):
        if not value > 0:
            raise ValueError(f"{name}={value!r}; expected a positive number")
    rng = np.random.default_rng(seed)
    ny, nx = shape
    theta = math.radians(angle_deg)
    tangent = np.array([math.cos(theta), math.sin(theta)])
    normal = np.array([math.sin(theta), -math.cos(theta)])  # cathode → electrolyte
    center = np.array([(nx - 1) / 2, (ny - 1) / 2]) + offset_px * normal
    sigma_px = width_nm / ERF_10_90 / pixel_size_nm
    depth_px = (pore_depth_nm if pore_depth_nm is not None else 3 * width_nm) / pixel_size_nm
    chord = _chord_px(shape, center, tangent)
    pores = _pores(rng, chord, pore_fraction, n_pores, depth_px)

    # sharp phases on a padded, 4× oversampled grid, averaged to pixels, then blurred by the generation volume
    pad = int(math.ceil(4 * sigma_px)) + 2
    over = 4
    sub = (np.arange(over) + 0.5) / over - 0.5
    ys = (np.arange(-pad, ny + pad)[:, None] + sub[None, :]).ravel()
    xs = (np.arange(-pad, nx + pad)[:, None] + sub[None, :]).ravel()
    dx, dy = xs[None, :] - center[0], ys[:, None] - center[1]
    u = dx * normal[0] + dy * normal[1]
    v = dx * tangent[0] + dy * tangent[1]
    half = (chord[1] - chord[0]) / 2
    u = u - bow_px * (1 - ((v - (chord[0] + chord[1]) / 2) / half) ** 2)  # distance from the (bowed) interface
    in_pore = np.zeros(u.shape, bool)
    for start, end in pores:
        in_pore |= (v >= start) & (v <= end) & (np.abs(u) <= depth_px / 2)
    cathode = ((u < 0) & ~in_pore).astype(float)
    electrolyte = ((u >= 0) & ~in_pore).astype(float)

    def to_pixels(fine):
        coarse = fine.reshape(ny + 2 * pad, over, nx + 2 * pad, over).mean(axis=(1, 3))
        return gaussian_filter(coarse, sigma_px, mode="nearest")[pad:-pad, pad:-pad]

    c_frac, s_frac = to_pixels(cathode), to_pixels(electrolyte)

    energy = np.arange(n_channels) * energy_scale_kev
    spec_c = _phase_spectrum(energy, CATHODE_LINES, 60.0, beam_energy_kev, 19.1, resolution_ev) * dose
    spec_s = _phase_spectrum(energy, ELECTROLYTE_LINES, 50.0, beam_energy_kev, 14.0, resolution_ev) * dose
    if lazy:
        counts = _lazy_counts(c_frac, s_frac, spec_c, spec_s, seed)
    else:
        counts = np.empty((ny, nx, n_channels), dtype=np.uint16)
        for row in range(ny):  # row by row keeps the float work array small
            counts[row] = _poisson_rows(rng, c_frac[row:row + 1], s_frac[row:row + 1], spec_c, spec_s)[0]
    contact = 1.0 - float(np.sum(pores[:, 1] - pores[:, 0])) / (chord[1] - chord[0]) if len(pores) else 1.0
    # backscattered-electron image acquired with the map: yield rising with the mean atomic number, pores dark
    bse = rng.poisson(np.clip(c_frac * 19.1 + s_frac * 14.0, 0, None) * 50.0).astype(np.uint16)
    image = ElectronImage(bse, pixel_size_nm, beam_energy_kev, "BSE (synthetic)")
    data = EDSData(counts, energy, pixel_size_nm=pixel_size_nm, beam_energy_kev=beam_energy_kev, images=(image,),
                   elements=("Li", "Co", "O", "P", "S", "Cl"), title="synthetic LiCoO2 | Li6PS5Cl interface",
                   microscope="SEM", energy_resolution_ev=resolution_ev,
                   metadata={"synthetic": {"angle_deg": angle_deg, "width_nm": width_nm, "seed": seed,
                                           "pore_fraction": pore_fraction, "n_pores": n_pores}})
    angle = angle_deg % 180.0
    return SyntheticInterface(data, contact, float(width_nm), angle, (float(normal[0]), float(normal[1])),
                              (float(center[0]), float(center[1])), pores, float(depth_px), c_frac, s_frac)
