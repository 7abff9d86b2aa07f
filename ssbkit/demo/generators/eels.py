"""Demo EELS data of the in-situ lamellae (LCO and BTO5-LCO), generated from physical models.

For each of the two samples:

* ``eels/<id>_lowloss.msa`` — a low-loss spectrum of the lamella, as thick
  as the reference study's: 131 nm for bare LCO and 270 nm for BTO5-LCO, at
  200 keV and β = 15 mrad, where the Malis λ of LiCoO2 is 117.3 nm (the
  study's λ ≈ 117.4 nm), so t/λ = 1.12 and 2.30. A Gaussian zero-loss peak
  (0.9 eV FWHM; 0.15 eV off zero for LCO, −1.8 eV for BTO5-LCO, an
  uncalibrated axis) convolved with Poisson plural scattering of a Drude
  plasmon (Γ = 7 eV) whose E_p (22.5 eV) is chosen so that the Drude λ
  (:func:`eels.synthetic.drude_mean_free_path_nm`) equals the Malis λ: the
  Kramers–Kronig thickness of a metal-like medium (``metal=True``) and the
  log-ratio thickness then both recover the true thickness. −10..290 eV,
  Poisson noise.
* ``eels/<id>_linescan.hspy`` — a core-loss line scan, −25..+25 nm across
  the LiCoO2 / Li6PS5Cl interface (x = 0, cathode at x < 0), 40–840 eV: a
  power-law background plus saw-tooth edges (Li K, Co M2,3, P/S/Cl L2,3,
  Ti L2,3, O K, Co L2,3, Ba M4,5) weighted by model concentration profiles.
  Bare LCO: Co diffuses into the electrolyte (erfc, diffusion length 3 nm)
  and Li is depleted on the electrolyte side (space-charge layer, 4 nm).
  BTO5-LCO: a 3 nm BaTiO3 layer at 0 < x < 3 nm, Co confined to the cathode
  (blurred by the 0.8 nm probe only), a weaker Li depletion.

Both files carry E0, α and β in their metadata; the manifest parameters
repeat them with the composition, the edges and the windows used.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.special import erfc

from scipy.optimize import brentq

from eels.mean_free_path import mean_free_path
from eels.synthetic import core_loss_edge, drude_mean_free_path_nm, low_loss_spectrum, power_law

__all__ = ["generate", "true_t_over_lambda", "LAMELLA_THICKNESS_NM", "BEAM_ENERGY_KEV", "COLLECTION_MRAD"]

_SEED_SALT = 7007
#: Lamella thickness of each sample, nm (the reference study's FIB lamellae).
LAMELLA_THICKNESS_NM = {"LCO": 131.0, "BTO5-LCO": 270.0}
#: Where the zero-loss peak lies on each sample's axis, eV (the coated one uncalibrated).
_ZLP_POSITION_EV = {"LCO": 0.15, "BTO5-LCO": -1.8}
BEAM_ENERGY_KEV = 200.0
COLLECTION_MRAD = 15.0
CONVERGENCE_MRAD = 8.0
_PLASMON_WIDTH_EV = 7.0
_PROBE_NM = 0.8

#: edge -> (onset eV, step height per unit concentration at the onset, white lines eV, white-line strength)
_EDGE_MODEL = {
    "Li K": (55.0, 6.0e4, (), 0.0),
    "Co M2,3": (59.0, 4.0e4, (), 0.0),
    "P L2,3": (132.0, 8.0e3, (), 0.0),
    "S L2,3": (165.0, 8.0e3, (), 0.0),
    "Cl L2,3": (200.0, 4.0e3, (), 0.0),
    "Ti L2,3": (456.0, 600.0, (458.0, 463.5), 3.0),
    "O K": (532.0, 400.0, (), 0.0),
    "Co L2,3": (779.0, 250.0, (779.5, 794.5), 3.0),
    "Ba M4,5": (781.0, 250.0, (782.0, 797.0), 4.0),
}
_EDGE_ELEMENT = {name: name.split()[0] for name in _EDGE_MODEL}

_SAMPLES = ("LCO", "BTO5-LCO")


def _smooth_step(x, edge_nm, width_nm):
    """1 below ``edge_nm``, 0 above, blurred by a Gaussian of ``width_nm``."""
    return 0.5 * erfc((x - edge_nm) / (np.sqrt(2.0) * width_nm))


def _concentrations(x: np.ndarray, coated: bool) -> dict[str, np.ndarray]:
    """Atoms per formula-volume of each element along the scan (arbitrary but consistent units)."""
    cathode = _smooth_step(x, 0.0, _PROBE_NM)
    if coated:
        layer = _smooth_step(x, 3.0, _PROBE_NM) - cathode
        electrolyte = 1.0 - cathode - layer
        co = cathode
        depletion = 0.1
        start = 3.0
    else:
        layer = np.zeros_like(x)
        electrolyte = 1.0 - cathode
        # Co diffused into the electrolyte: erfc profile of diffusion length 3 nm
        co = 0.5 * erfc(x / (2.0 * 3.0))
        depletion = 0.3
        start = 0.0
    li_sc = 1.0 - depletion * np.exp(-np.clip(x - start, 0.0, None) / 4.0) * (x > start)
    return {
        "Li": 1.0 * cathode + 0.8 * electrolyte * li_sc,
        "Co": co,
        "O": 2.0 * cathode + 3.0 * layer,
        "P": 0.13 * electrolyte,
        "S": 0.65 * electrolyte,
        "Cl": 0.13 * electrolyte,
        "Ba": 1.0 * layer,
        "Ti": 1.0 * layer,
    }


def _metadata(title: str) -> dict:
    return {
        "General": {"title": title},
        "Signal": {"signal_type": "EELS"},
        "Acquisition_instrument": {
            "TEM": {
                "beam_energy": BEAM_ENERGY_KEV,
                "convergence_angle": CONVERGENCE_MRAD,
                "Detector": {"EELS": {"collection_angle": COLLECTION_MRAD}},
            }
        },
    }


def _mfp_nm() -> float:
    """Malis λ of LiCoO2 at the demo's E0 and β, nm (117.3 nm)."""
    return mean_free_path(beam_energy_kev=BEAM_ENERGY_KEV, collection_semiangle_mrad=COLLECTION_MRAD, composition="LiCoO2")


def true_t_over_lambda(sample_id: str) -> float:
    """The t/λ a sample's demo low-loss spectrum is built from (1.116 for LCO, 2.301 for BTO5-LCO)."""
    return LAMELLA_THICKNESS_NM[sample_id] / _mfp_nm()


def _plasmon_energy_ev(mfp_nm: float) -> float:
    """E_p of the Drude plasmon (width Γ) whose mean free path is ``mfp_nm``."""

    def excess(ep):
        return drude_mean_free_path_nm(
            plasmon_energy_ev=ep,
            plasmon_width_ev=_PLASMON_WIDTH_EV,
            beam_energy_kev=BEAM_ENERGY_KEV,
            collection_semiangle_mrad=COLLECTION_MRAD,
        ) - mfp_nm

    return float(brentq(excess, 10.0, 40.0, xtol=1e-6))


def _write_low_loss(path: Path, rng, title: str, sample_id: str) -> None:
    from rsciio import msa

    energy = -10.0 + 0.1 * np.arange(3000)
    tau = true_t_over_lambda(sample_id)
    counts = low_loss_spectrum(
        energy,
        t_over_lambda=tau,
        total_counts=5e6,
        beam_energy_kev=BEAM_ENERGY_KEV,
        collection_semiangle_mrad=COLLECTION_MRAD,
        plasmon_energy_ev=_plasmon_energy_ev(_mfp_nm()),
        plasmon_width_ev=_PLASMON_WIDTH_EV,
        zlp_fwhm_ev=0.9,
        zlp_position_ev=_ZLP_POSITION_EV[sample_id],
        rng=rng,
    )
    signal = {
        "data": counts,
        "axes": [{"name": "Energy loss", "units": "eV", "scale": 0.1, "offset": -10.0, "size": energy.size, "navigate": False}],
        "metadata": _metadata(title),
        "original_metadata": {},
    }
    msa.file_writer(str(path), signal)


def _write_line_scan(path: Path, rng, title: str, coated: bool) -> None:
    from rsciio import hspy

    x = np.arange(-25.0, 25.5, 1.0)
    energy = 40.0 + 0.5 * np.arange(1600)
    conc = _concentrations(x, coated)
    expected = np.broadcast_to(power_law(energy, 2.0e11, 3.0), (x.size, energy.size)).copy()
    for name, (onset, height, lines, strength) in _EDGE_MODEL.items():
        shape = core_loss_edge(energy, onset, white_lines_ev=lines, white_line_strength=strength)
        expected += height * conc[_EDGE_ELEMENT[name]][:, None] * shape[None, :]
    counts = rng.poisson(expected).astype(np.float32)
    signal = {
        "data": counts,
        "axes": [
            {"name": "x", "units": "nm", "scale": 1.0, "offset": float(x[0]), "size": x.size, "navigate": True},
            {"name": "Energy loss", "units": "eV", "scale": 0.5, "offset": 40.0, "size": energy.size, "navigate": False},
        ],
        "metadata": _metadata(title),
        "original_metadata": {},
        "attributes": {"_lazy": False},
        "tmp_parameters": {},
        "package_info": {"name": "ssbkit.demo", "version": "1"},
        "learning_results": {},
        "models": {},
    }
    hspy.file_writer(str(path), signal, show_progressbar=False)


def generate(directory, *, seed: int) -> list[dict]:
    """Write the demo EELS files for LCO and BTO5-LCO; return their manifest tables.

    Parameters
    ----------
    directory : Path
        Study folder; files go to ``directory / "eels"``.
    seed : int
        Seed; the same seed gives the same files.

    Returns
    -------
    list of dict
        One measurement per sample (low-loss spectrum + line scan).
    """
    folder = Path(directory) / "eels"
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, _SEED_SALT])
    measurements = []
    for sample_id in _SAMPLES:
        coated = sample_id != "LCO"
        low = folder / f"{sample_id}_lowloss.msa"
        scan = folder / f"{sample_id}_linescan.hspy"
        _write_low_loss(low, rng, f"{sample_id} low loss, {LAMELLA_THICKNESS_NM[sample_id]:g} nm lamella", sample_id)
        _write_line_scan(scan, rng, f"{sample_id} core-loss line scan", coated)
        edges = ["Li K", "Co L2,3", "O K", "S L2,3"] + (["Ti L2,3", "Ba M4,5"] if coated else [])
        measurements.append(
            {
                "sample": sample_id,
                "technique": "eels",
                "file": [f"eels/{low.name}", f"eels/{scan.name}"],
                "label": f"{sample_id} EELS",
                "parameters": {
                    "beam_energy_kev": BEAM_ENERGY_KEV,
                    "collection_semiangle_mrad": COLLECTION_MRAD,
                    "convergence_semiangle_mrad": CONVERGENCE_MRAD,
                    "composition": "LiCoO2",
                    "edges": edges,
                    # Li K narrowed to end below the Co M2,3 onset (the window remedy of the overlap)
                    "windows": {"Li K": [[44.0, 53.0], [54.0, 58.5]]},
                    "interface_nm": 0.0,
                    # the demo's low loss is a free-electron (Drude) loss function: its Kramers-Kronig
                    # thickness is the metal case
                    "metal": True,
                },
            }
        )
    return measurements
