"""Demo SEM-EDS maps and electron images of the LiCoO2 | Li6PS5Cl interfaces, bare and BaTiO3-coated.

For each of the two samples (LCO and BTO5-LCO):

* ``eds/<id>_map.hspy`` — an SEM-EDS map (128 × 128 px of 50 nm, 512
  channels of 20 eV, 15 kV) from :func:`eds.simulate_interface_map`: the
  interface at a known angle, pores on it over a known share of its length,
  every phase boundary blurred to a known 10–90 % width, Co/S/P/Cl/O lines
  on a Kramers continuum, Poisson noise. Truth (:data:`INTERFACES`):
  bare LCO 70 % contact (two pores over 30 % of the interface) and a 400 nm
  transition; BTO5-LCO 90 % contact and 250 nm. Both widths lie below the
  Kanaya–Okayama range at 15 kV, so the report gives them as upper bounds.
* ``eds/<id>_sem_bse.tif`` — the backscattered-electron image acquired with
  the map (mean-Z contrast, pores dark), 50 nm/px in the TIFF scale tags.
* ``eds/<id>_haadf.tif`` — a HAADF-STEM image of the lamella interface at
  the scale of the DPC and EELS results (256 × 256 px of 0.5 nm, 200 kV):
  Z-contrast of LiCoO2 (left) and Li6PS5Cl (right), for BTO5-LCO a bright
  3 nm BaTiO3 layer between them (the EELS demo's layer), a FIB wedge
  (thickness falling 15 % from top to bottom), the probe blur and Poisson noise.

The maps are written with :func:`eds.write_eds`, the images with
:func:`eds.write_image`; the truth lives here (:data:`INTERFACES`,
:data:`CONTACT_FRACTION`, :data:`WIDTH_NM`, :func:`interface_truth`), never in
the manifest.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.ndimage import gaussian_filter

import eds

__all__ = ["generate", "interface_truth", "INTERFACES", "CONTACT_FRACTION", "WIDTH_NM", "MAP_SHAPE", "PIXEL_NM",
           "BEAM_ENERGY_KEV", "HAADF_PIXEL_NM", "HAADF_SHAPE"]

_SEED_SALT = 16016
_SAMPLES = ("LCO", "BTO5-LCO")
MAP_SHAPE = (128, 128)
PIXEL_NM = 50.0
BEAM_ENERGY_KEV = 15.0
_N_CHANNELS, _ENERGY_SCALE_KEV = 512, 0.02
#: The truth of each sample's map (arguments of :func:`eds.simulate_interface_map`). Pores are made longer
#: along the interface (≈ 1 µm) than the transition width, which is what an SEM map can resolve.
INTERFACES = {
    "LCO": {"angle_deg": 84.0, "pore_fraction": 0.30, "n_pores": 2, "width_nm": 400.0},
    "BTO5-LCO": {"angle_deg": 97.0, "pore_fraction": 0.10, "n_pores": 2, "width_nm": 250.0},
}
#: Share of the interface (over the whole chord across the map) not covered by pores.
CONTACT_FRACTION = {sid: 1.0 - truth["pore_fraction"] for sid, truth in INTERFACES.items()}
#: 10–90 % width of the Co → S transition, nm.
WIDTH_NM = {sid: truth["width_nm"] for sid, truth in INTERFACES.items()}

HAADF_SHAPE = (256, 256)
HAADF_PIXEL_NM = 0.5
_HAADF_BEAM_KEV = 200.0
_PROBE_FWHM_NM = 0.8
_COATING_NM = {"LCO": 0.0, "BTO5-LCO": 3.0}
#: Assumed HAADF intensity of each phase relative to LiCoO2 at the same thickness (Z-contrast, roughly
#: the mean Z^1.7 per volume: Ba (Z = 56) makes BaTiO3 brightest, Li6PS5Cl is light and less dense).
_HAADF_CONTRAST = {"LiCoO2": 1.0, "Li6PS5Cl": 0.45, "BaTiO3": 1.7}
_HAADF_COUNTS = 400.0


def _map_seed(sample_id: str, seed: int) -> int:
    return _SEED_SALT + 10 * int(seed) + _SAMPLES.index(sample_id)


def interface_truth(sample_id: str, *, seed: int) -> eds.SyntheticInterface:
    """The map of ``sample_id`` that :func:`generate` writes for ``seed``, with its truth.

    Parameters
    ----------
    sample_id : {"LCO", "BTO5-LCO"}
    seed : int
        The seed given to :func:`generate`.

    Returns
    -------
    eds.SyntheticInterface
        ``contact_fraction_at(trace)`` gives the true contact over an analysis' traced interface.
    """
    return eds.simulate_interface_map(MAP_SHAPE, pixel_size_nm=PIXEL_NM, beam_energy_kev=BEAM_ENERGY_KEV,
                                      n_channels=_N_CHANNELS, energy_scale_kev=_ENERGY_SCALE_KEV,
                                      seed=_map_seed(sample_id, seed), **INTERFACES[sample_id])


def _haadf(sample_id: str, rng) -> eds.ElectronImage:
    """Z-contrast image of the lamella across the interface (cathode left of the centre column)."""
    ny, nx = HAADF_SHAPE
    x_nm = (np.arange(nx) - nx / 2) * HAADF_PIXEL_NM
    coating = _COATING_NM[sample_id]
    row = np.where(x_nm < 0, _HAADF_CONTRAST["LiCoO2"],
                   np.where(x_nm < coating, _HAADF_CONTRAST["BaTiO3"], _HAADF_CONTRAST["Li6PS5Cl"]))
    wedge = np.linspace(1.0, 0.85, ny)[:, None]  # FIB lamella thinner towards the bottom
    sigma_px = _PROBE_FWHM_NM / 2.3548 / HAADF_PIXEL_NM
    expected = gaussian_filter(wedge * row[None, :], sigma_px, mode="nearest") * _HAADF_COUNTS
    counts = rng.poisson(expected).astype(np.uint16)
    return eds.ElectronImage(counts, HAADF_PIXEL_NM, _HAADF_BEAM_KEV, f"HAADF {sample_id} interface (synthetic)")


def _fresh(path: Path) -> Path:
    """``path`` after removing a file of the same name this generator wrote before (the writers never overwrite)."""
    path.unlink(missing_ok=True)
    return path


def generate(directory, *, seed: int) -> list[dict]:
    """Write the demo EDS maps and electron images for LCO and BTO5-LCO; return their manifest tables.

    Parameters
    ----------
    directory : Path
        Study folder; files go to ``directory / "eds"``.
    seed : int
        Seed; the same seed gives the same files.

    Returns
    -------
    list of dict
        Per sample one ``eds`` measurement (the map) and one ``image`` measurement (BSE and HAADF images).
    """
    folder = Path(directory) / "eds"
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, _SEED_SALT])
    measurements = []
    for sample_id in _SAMPLES:
        truth = interface_truth(sample_id, seed=seed)
        eds_map = eds.write_eds(_fresh(folder / f"{sample_id}_map.hspy"), truth.data)
        bse = eds.write_image(_fresh(folder / f"{sample_id}_sem_bse.tif"), truth.data.images[0])
        haadf = eds.write_image(_fresh(folder / f"{sample_id}_haadf.tif"), _haadf(sample_id, rng))
        measurements.append({"sample": sample_id, "technique": "eds", "file": f"eds/{eds_map.name}",
                             "label": f"{sample_id} SEM-EDS", "parameters": {}})
        measurements.append({"sample": sample_id, "technique": "image", "file": [f"eds/{bse.name}",
                                                                                 f"eds/{haadf.name}"],
                             "label": f"{sample_id} images", "parameters": {}})
    return measurements
