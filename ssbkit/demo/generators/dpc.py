"""Demo DPC-STEM bias series of the LiCoO2 | Li6PS5Cl interface, bare and BaTiO3-coated.

Truth: the field of :func:`stem.simulate_interface` (Mott–Schottky layers,
cathode | optional BaTiO3 | electrolyte) for the built-in potential plus each
bias, laid across a 64×64 scan along an inclined interface, converted to the
four quadrant images of a segmented detector (exact disk–segment overlap,
Poisson noise, a 12° scan–detector rotation) with a simultaneous ADF image,
and a small random drift between scans. Files: one ``.npy`` stack
(a, b, c, d, ADF) per bias with a JSON sidecar, read by :func:`stem.read_segments`.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

import stem

BIASES_V = (0.0, 1.0, 1.2, 1.4, 1.6, 1.8, 2.0, 2.2)
SCAN = (64, 64)
PIXEL_NM = 1.0
ALPHA_MRAD = 0.5
BEAM_KEV = 200.0
THICKNESS_NM = 80.0
ROTATION_DEG = 12.0
BUILT_IN_V = 0.3
INTERFACE_ANGLE_DEG = 10.0  # interface normal, from +x towards +y
CATHODE_SURFACE_PX = (32.0, 26.0)  # (y, x) of a point on the cathode surface
# assumed constants (see stem.simulate_interface); the coating's is an *effective* ε_r of a
# nanoparticulate BaTiO3 layer, far below bulk BaTiO3, so that it takes a visible share of the bias
MATERIALS = {"cathode_relative_permittivity": 10.0, "electrolyte_relative_permittivity": 20.0,
             "coating_relative_permittivity": 25.0}
SAMPLES = {"LCO": 0.0, "BTO5-LCO": 12.0}  # coating thickness, nm
PROFILE_BEFORE_NM, PROFILE_AFTER_NM = 22.0, 30.0  # profile from the cathode surface, nm


def _normal_distance_nm(dy, dx):
    yy, xx = np.indices(SCAN, dtype=float)
    beta = np.radians(INTERFACE_ANGLE_DEG)
    y0, x0 = CATHODE_SURFACE_PX
    return ((xx - dx - x0) * np.cos(beta) + (yy - dy - y0) * np.sin(beta)) * PIXEL_NM, beta


def _along(distance_nm):
    """[y, x] pixel of the point ``distance_nm`` along the interface normal from the cathode surface."""
    beta = np.radians(INTERFACE_ANGLE_DEG)
    y0, x0 = CATHODE_SURFACE_PX
    return [float(y0 + distance_nm / PIXEL_NM * np.sin(beta)), float(x0 + distance_nm / PIXEL_NM * np.cos(beta))]


def _adf(dy, dx, rng, texture):
    s, _ = _normal_distance_nm(dy, dx)
    yy, xx = np.indices(SCAN, dtype=float)
    image = 1.0 - 0.45 * np.tanh(s / 2.0)
    for cy, cx, width, amp in texture:
        image += amp * np.exp(-((yy - dy - cy) ** 2 + (xx - dx - cx) ** 2) / (2 * width**2))
    return rng.poisson(600.0 * image).astype(float)


def generate(directory: Path, *, seed: int) -> list[dict]:
    """Write the DPC bias series of LCO and BTO5-LCO; return their manifest tables."""
    rng = np.random.default_rng([seed, 8008])
    out = Path(directory) / "dpc"
    out.mkdir(parents=True, exist_ok=True)
    texture = [(rng.uniform(4, 60), rng.uniform(4, 60), rng.uniform(2, 4), rng.uniform(0.3, 0.7)) for _ in range(9)]
    tables = []
    for sample, coating_nm in SAMPLES.items():
        files = []
        for bias in BIASES_V:
            model = stem.simulate_interface(bias_v=bias, built_in_potential_v=BUILT_IN_V,
                                            coating_thickness_nm=coating_nm, **MATERIALS)
            dy, dx = rng.uniform(-1.5, 1.5, size=2)
            s, beta = _normal_distance_nm(dy, dx)
            e = model.field_at(s)
            tx, ty = stem.deflection_from_field(e * np.cos(beta), e * np.sin(beta), beam_energy_kev=BEAM_KEV,
                                                thickness_nm=THICKNESS_NM)
            seg = stem.simulate_segments(tx, ty, convergence_semiangle_mrad=ALPHA_MRAD, electrons_per_position=2e5,
                                         rotation_deg=ROTATION_DEG, rng=rng)
            stack = np.stack([seg.a, seg.b, seg.c, seg.d, _adf(dy, dx, rng, texture)]).astype(np.float32)
            name = f"{sample}_bias_{bias:.1f}V.npy"
            np.save(out / name, stack)
            (out / name).with_suffix(".json").write_text(json.dumps(
                {"pixel_size_nm": PIXEL_NM, "beam_energy_kev": BEAM_KEV, "bias_v": bias,
                 "segments": "a,b,c,d (counter-clockwise from +x), ADF", "true_drift_px": [float(dy), float(dx)]}), encoding="utf-8")
            files.append(f"dpc/{name}")
        tables.append({
            "sample": sample, "technique": "dpc", "file": files, "label": f"{sample} DPC bias series",
            "parameters": {
                "bias_v": list(BIASES_V), "beam_energy_kev": BEAM_KEV, "thickness_nm": THICKNESS_NM,
                "convergence_semiangle_mrad": ALPHA_MRAD, "pixel_size_nm": PIXEL_NM,
                "scan_rotation_deg": ROTATION_DEG, "scan_flip": False,
                "profile_start_px": _along(-PROFILE_BEFORE_NM), "profile_end_px": _along(PROFILE_AFTER_NM),
                "profile_width_px": 20,
                "coating_thickness_nm": coating_nm, "built_in_potential_v": BUILT_IN_V,
                **MATERIALS,
            },
        })
    return tables
