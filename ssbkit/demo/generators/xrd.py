"""Demo XRD: powder patterns of the BaTiO3-coated LiCoO2 series and the Li6PS5Cl electrolyte.

Model (known truth, :data:`PHASES`): each pattern is rendered from the built-in
reference structures of :mod:`xrd` (pymatgen intensities per unit cell) with
Hill-Howard scale factors for the weight fractions below, pseudo-Voigt profiles
(well-crystallised LiCoO2 and Li6PS5Cl, broad nanocrystalline BaTiO3), Cu
K-alpha1/K-alpha2, a 0.03 deg zero shift, a curved background and Poisson
noise; no microabsorption (an ideally fine powder: the manifest declares
:data:`FINE_POWDER_UM`, for which Brindley's correction changes no fraction by
more than 0.1 wt%). The BaTiO3 weight fraction follows the coating amount in at% relative
to Co, w = (1 - w_BaCO3) x M(BaTiO3) / (x M(BaTiO3) + (1 - x) M(LiCoO2)), with a little BaCO3
(unreacted carbonate from the sol-gel precursor) growing alongside. Files are
two-column ``.xy`` text with a ``# wavelength`` header, which
:func:`xrd.read_pattern` reads.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ssbkit.demo.samples import COATING_SERIES

__all__ = ["FINE_POWDER_UM", "PHASES", "ZERO_SHIFT_DEG", "generate"]

_SEED_TAG = 5505
ZERO_SHIFT_DEG = 0.03
#: Particle size declared for the demo powders, µm: the patterns are simulated without microabsorption
FINE_POWDER_UM = 0.1
_M_BTO, _M_LCO = 233.19, 97.87  # g/mol
_BACO3_WT = {0.0: 0.0, 2.0: 0.015, 5.0: 0.025, 8.0: 0.035}
#: FWHM^2 = W + U tan^2(theta) per phase, deg^2
_WIDTHS = {"LiCoO2": (0.006, 0.004), "BaTiO3-P4mm": (0.05, 0.01), "BaCO3": (0.01, 0.004),
           "Li6PS5Cl": (0.012, 0.006)}


def _cathode_phases(amount_at_pct: float) -> dict[str, float]:
    x = amount_at_pct / 100.0
    w_baco3 = _BACO3_WT[amount_at_pct]
    w_bto = (1.0 - w_baco3) * x * _M_BTO / (x * _M_BTO + (1 - x) * _M_LCO)
    if w_bto == 0:
        return {"LiCoO2": 1.0}
    return {"LiCoO2": 1.0 - w_bto - w_baco3, "BaTiO3-P4mm": w_bto, "BaCO3": w_baco3}


#: sample id -> {built-in reference name: weight fraction}
PHASES: dict[str, dict[str, float]] = {
    **{sid: _cathode_phases(amount) for sid, amount in COATING_SERIES.items()},
    "LPSCl": {"Li6PS5Cl": 1.0},
}
_CANDIDATES = {
    "cathode": ["LiCoO2", "BaTiO3-P4mm", "BaCO3", "Li2CO3", "Co3O4"],
    "electrolyte": ["Li6PS5Cl", "Li2S", "LiCl", "Li3PO4"],
}


def _write_xy(path: Path, pattern, sample_id: str) -> None:
    header = (
        f"# ssbkit demo powder pattern, sample {sample_id}\n"
        f"# wavelength_angstrom = {pattern.wavelength_angstrom:.6f}\n"
        f"# wavelength2_angstrom = {pattern.wavelength2_angstrom:.6f}\n"
        f"# kalpha2_ratio = {pattern.kalpha2_ratio:.2f}\n"
        "# two_theta_deg counts\n"
    )
    body = "\n".join(f"{x:.3f} {int(y)}" for x, y in zip(pattern.two_theta_deg, pattern.intensity))
    path.write_text(header + body + "\n", encoding="utf-8")


def generate(directory: Path, *, seed: int) -> list[dict]:
    """Write the demo patterns below ``directory / "xrd"``; return manifest tables.

    Parameters
    ----------
    directory : Path
        Study folder.
    seed : int
        Seed of the Poisson noise; the same seed gives the same files.

    Returns
    -------
    list of dict
        One measurement per sample: ``LCO``, ``BTO2-LCO``, ``BTO5-LCO``, ``BTO8-LCO``, ``LPSCl``.
    """
    from xrd import reference_pattern, scales_for_weight_fractions, simulate_pattern

    rng = np.random.default_rng([seed, _SEED_TAG])
    folder = Path(directory) / "xrd"
    folder.mkdir(parents=True, exist_ok=True)
    grid = np.arange(10.0, 80.0 + 1e-9, 0.02)
    measurements = []
    for sample_id, phases in PHASES.items():
        names = list(phases)
        refs = [reference_pattern(n, two_theta_range=(5, 85)) for n in names]  # the range identify_phases uses
        scales = scales_for_weight_fractions(refs, [phases[n] for n in names])
        widths = np.array([_WIDTHS[n] for n in names])
        pattern = simulate_pattern(
            refs, scales, two_theta_deg=grid, fwhm_w_deg2=widths[:, 0], fwhm_u_deg2=widths[:, 1], eta=0.5,
            zero_shift_deg=ZERO_SHIFT_DEG, peak_counts=3e4, rng=rng,
            background=lambda x: 180 + 900 * np.exp(-(x - 10) / 8) + 1.5 * x)
        name = f"{sample_id}_powder.xy"
        _write_xy(folder / name, pattern, sample_id)
        kind = "electrolyte" if sample_id == "LPSCl" else "cathode"
        measurements.append({
            "sample": sample_id, "technique": "xrd", "file": f"xrd/{name}", "label": f"{sample_id} powder XRD",
            "parameters": {"candidates": _CANDIDATES[kind], "max_phases": 4,
                           "particle_size_um": FINE_POWDER_UM},
        })
    return measurements
