"""Demo EIS: a cold-pressed Li6PS5Cl pellet between ion-blocking electrodes.

Model (known truth): the pellet (thickness and diameter from the ``LPSCl``
demo sample's cell) has a total ionic conductivity following the hopping
Arrhenius law σT = A exp(-E_a / k_B T) with :data:`EA_EV` and
:data:`SIGMA_25C_S_PER_CM` at 25 °C, so R_e = d / (σ S). R_e splits into a
bulk part (its arc lies above the 7 MHz window, as usual for
argyrodites) and a grain-boundary part R1 whose R‖CPE arc shows at the top
of the window; the blocking electrodes give a CPE spike. The spectrum is
R0-p(R1,CPE1)-CPE2 with 0.5 % proportional complex noise, written as
BioLogic EC-Lab text exports (``.mpt``): one at 25 °C and a series at 25,
40, 55 and 70 °C for the Arrhenius plot.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ssbkit.demo.samples import DEMO_SAMPLES

__all__ = [
    "BULK_FRACTION",
    "EA_EV",
    "SIGMA_25C_S_PER_CM",
    "TEMPERATURES_K",
    "generate",
    "true_resistance_ohm",
]

_SEED_TAG = 3303
#: Activation energy of σT, eV (truth; argyrodite Li6PS5Cl is typically 0.3-0.4 eV).
EA_EV = 0.36
#: Total ionic conductivity at 25 °C, S/cm (truth; cold-pressed Li6PS5Cl ~ 1-3 mS/cm).
SIGMA_25C_S_PER_CM = 2.5e-3
#: Fraction of R_e that is bulk (R0); the rest is grain boundary (R1).
BULK_FRACTION = 0.7
TEMPERATURES_K = (298.15, 313.15, 328.15, 343.15)
NOISE = 0.005
_KB_EV = 8.617333262e-5
_Q_GB, _ALPHA_GB = 6.0e-8, 0.85  # S s^a: puts the 25 °C grain-boundary apex near 2 MHz
_Q_EL, _ALPHA_EL = 2.0e-6, 0.88  # blocking electrodes, S s^a
_FREQUENCY_HZ = np.geomspace(7e6, 1.0, 55)


def _pellet():
    sample = next(s for s in DEMO_SAMPLES if s.id == "LPSCl")
    return sample.id, sample.cell.thickness_cm, sample.cell.electrode_area_cm2


def true_resistance_ohm(temperature_k: float) -> float:
    """R_e (Ohm) of the demo pellet at ``temperature_k`` (K): the generator's truth."""
    _, thickness, area = _pellet()
    t0 = 298.15
    sigma = SIGMA_25C_S_PER_CM * (t0 / temperature_k) * np.exp(
        -EA_EV / _KB_EV * (1 / temperature_k - 1 / t0))
    return float(thickness / (sigma * area))


def _impedance(temperature_k: float) -> np.ndarray:
    w = 2 * np.pi * _FREQUENCY_HZ
    r_e = true_resistance_ohm(temperature_k)
    r0, r1 = BULK_FRACTION * r_e, (1 - BULK_FRACTION) * r_e
    arc = 1 / (1 / r1 + _Q_GB * (1j * w) ** _ALPHA_GB)
    spike = 1 / (_Q_EL * (1j * w) ** _ALPHA_EL)
    return r0 + arc + spike


def _write_mpt(path: Path, z: np.ndarray, temperature_k: float) -> None:
    header = [
        "EC-Lab ASCII FILE",
        "Nb header lines : 8",
        "",
        "Potentio Electrochemical Impedance Spectroscopy",
        "",
        f"Comments : ssbkit demo, Li6PS5Cl pellet, T = {temperature_k:.2f} K",
        "Electrode material : stainless steel (blocking)",
    ]
    columns = ["freq/Hz", "Re(Z)/Ohm", "-Im(Z)/Ohm", "|Z|/Ohm", "Phase(Z)/deg", "time/s", "cycle number"]
    lines = header + ["\t".join(columns)]
    for i, (f, zi) in enumerate(zip(_FREQUENCY_HZ, z)):
        values = (f, zi.real, -zi.imag, abs(zi), np.angle(zi, deg=True), 2.0 * i, 1.0)
        lines.append("\t".join(f"{v:.7E}" for v in values))
    path.write_text("\n".join(lines) + "\n", encoding="latin-1")


def generate(directory: Path, *, seed: int) -> list[dict]:
    """Write the demo pellet spectra below ``directory / "eis"``; return manifest tables.

    Parameters
    ----------
    directory : Path
        Study folder.
    seed : int
        Seed of the noise; the same seed gives the same files.

    Returns
    -------
    list of dict
        Two measurements of sample ``LPSCl``: the 25 °C spectrum and the
        temperature series.
    """
    rng = np.random.default_rng([seed, _SEED_TAG])
    sample_id, thickness, area = _pellet()
    folder = Path(directory) / "eis"
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for t in TEMPERATURES_K:
        z = _impedance(t)
        z = z + NOISE * np.abs(z) * (rng.normal(size=z.size) + 1j * rng.normal(size=z.size))
        name = f"LPSCl_pellet_{t - 273.15:.0f}C.mpt"
        _write_mpt(folder / name, z, t)
        files.append(f"eis/{name}")
    geometry = {"thickness_cm": thickness, "area_cm2": area, "thickness_err_cm": 0.002}
    return [
        {"sample": sample_id, "technique": "eis", "file": files[0], "label": "LPSCl pellet EIS 25 °C",
         "parameters": {**geometry, "temperature_k": TEMPERATURES_K[0], "method": "fit"}},
        {"sample": sample_id, "technique": "eis", "file": files,
         "label": "LPSCl pellet EIS 25-70 °C",
         "parameters": {**geometry, "temperature_k": list(TEMPERATURES_K), "method": "fit"}},
    ]
