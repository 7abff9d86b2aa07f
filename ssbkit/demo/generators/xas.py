"""Demo XANES: P and S K-edges of Li6PS5Cl before and after 100 cycles.

Model (known truth): each spectrum is an arctangent edge plus Gaussian
white-line and resonance peaks (positions for the PS4³⁻ unit of argyrodite
Li6PS5Cl: P K white line near 2149.5 eV, S K main peak near 2472.5 eV),
on a sloping pre-edge background, scaled by a per-measurement edge jump,
with white noise, measured in fluorescence (If/I0) with a decaying I0.

After 100 cycles against bare LiCoO2 the electrolyte is partly oxidised:
the S K-edge gains a sulfate-like peak at 2481.5 eV of
:data:`SULFATE_FRACTION` of the edge step and the P edge moves by
:data:`P_SHIFT_EV`. Against BaTiO3-coated LiCoO2 nothing changes (new
noise only). Files are XDI 1.0.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["generate", "TRUTH", "P_SHIFT_EV", "SULFATE_FRACTION"]

_SEED_TAG = 6106
#: Edge shift of the P K-edge after cycling against bare LCO, eV (truth).
P_SHIFT_EV = 0.45
#: Height of the sulfate peak after cycling against bare LCO, fraction of the edge step (truth).
SULFATE_FRACTION = 0.07
NOISE = 0.004  # per-point noise of μ, fraction of the edge step

_EDGES = {
    # edge centre, arctan width, peaks (offset from centre eV, height, sigma eV), grid
    "P": {"centre": 2147.8, "width": 0.7,
          "peaks": ((1.7, 1.6, 0.75), (6.5, 0.25, 1.8), (14.0, 0.18, 4.0)),
          "grid": ((2110.0, 2135.0, 1.0), (2135.0, 2175.0, 0.2), (2175.0, 2200.01, 0.6))},
    "S": {"centre": 2471.0, "width": 0.7,
          "peaks": ((1.5, 1.3, 0.8), (5.0, 0.35, 1.2), (13.0, 0.2, 4.0)),
          "grid": ((2435.0, 2460.0, 1.0), (2460.0, 2500.0, 0.2), (2500.0, 2525.01, 0.6))},
}

#: (sample, edge) -> (edge shift eV, sulfate fraction) after cycling; before is always (0, 0).
TRUTH = {
    ("LCO", "P"): (P_SHIFT_EV, 0.0), ("LCO", "S"): (0.0, SULFATE_FRACTION),
    ("BTO5-LCO", "P"): (0.0, 0.0), ("BTO5-LCO", "S"): (0.0, 0.0),
}


def _grid(segments) -> np.ndarray:
    return np.concatenate([np.arange(lo, hi, step) for lo, hi, step in segments])


def _mu(energy: np.ndarray, element: str, shift_ev: float, sulfate: float) -> np.ndarray:
    spec = _EDGES[element]
    centre = spec["centre"] + shift_ev
    mu = 0.5 + np.arctan((energy - centre) / spec["width"]) / np.pi
    for offset, height, sigma in spec["peaks"]:
        mu += height * np.exp(-0.5 * ((energy - centre - offset) / sigma) ** 2)
    if sulfate:
        mu += sulfate * np.exp(-0.5 * ((energy - 2481.5) / 0.9) ** 2)
    return mu


def _write_xdi(path: Path, energy, i0, ifluor, *, element: str, sample: str, state: str) -> None:
    header = [
        "# XDI/1.0 ssbkit-demo/0.1",
        "# Column.1: energy eV",
        "# Column.2: i0",
        "# Column.3: ifluor",
        f"# Element.symbol: {element}",
        "# Element.edge: K",
        "# Mono.name: Si 111",
        "# Facility.name: demo",
        "# Beamline.name: tender-xas",
        f"# Sample.name: {sample} Li6PS5Cl {state}",
        "# ///",
        f"# Li6PS5Cl from the {sample} cell, {state} 100 cycles; generated (ssbkit demo)",
        "#----",
        "# energy i0 ifluor",
    ]
    rows = [f"{e:.3f} {a:.1f} {b:.3f}" for e, a, b in zip(energy, i0, ifluor)]
    path.write_text("\n".join(header + rows) + "\n", encoding="utf-8")


def generate(directory: Path, *, seed: int) -> list[dict]:
    """Write the demo XDI files under ``directory/"xas"`` and return manifest tables.

    Parameters
    ----------
    directory : Path
        Study folder.
    seed : int
        Seed; the same seed gives the same files.

    Returns
    -------
    list of dict
        One measurement per sample and edge, ``file`` = [before, after].
    """
    rng = np.random.default_rng([seed, _SEED_TAG])
    folder = Path(directory) / "xas"
    folder.mkdir(parents=True, exist_ok=True)
    measurements = []
    for sample in ("LCO", "BTO5-LCO"):
        for element in ("P", "S"):
            energy = _grid(_EDGES[element]["grid"])
            files = []
            for state in ("before", "after"):
                shift, sulfate = TRUTH[(sample, element)] if state == "after" else (0.0, 0.0)
                step = rng.uniform(0.6, 1.2)
                background = rng.uniform(0.05, 0.15) - rng.uniform(0.0, 1.5e-3) * (energy - energy[0])
                mu = background + step * (_mu(energy, element, shift, sulfate)
                                          + rng.normal(0.0, NOISE, energy.size))
                i0 = 2.0e5 * np.exp(-(energy - energy[0]) / 2000.0) * rng.uniform(0.9, 1.1)
                name = f"{sample}_{element}K_{state}.xdi"
                _write_xdi(folder / name, energy, i0, mu * i0, element=element, sample=sample, state=state)
                files.append(f"xas/{name}")
            measurements.append({
                "sample": sample,
                "technique": "xas",
                "file": files,
                "label": f"{sample} {element} K-edge XANES before/after 100 cycles",
                "parameters": {"element": element, "edge": "K", "cycles": 100},
            })
    return measurements
