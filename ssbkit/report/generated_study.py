"""Generated studies of many small measurements, for scale tests and benchmarks.

:func:`write_generated_study` writes a manifest with ``n`` measurements —
impedance spectra of pellets and short cycling records, optionally a few
XRD/XAS measurements copied from the demo generators — spread over samples
of a coating series. Every file is built from a stated truth, so the numbers
a run gives can be checked and two runs (serial, parallel, cached) compared.

* impedance: :func:`echem.eis.synthetic.random_pellet` (R0-p(R1,CPE1)-CPE2,
  1 % proportional noise), written as the canonical ``EISData.to_frame()``
  csv that :func:`echem.read_eis` reads back;
* cycling: ``n_cycles`` constant-current cycles at 1 mA in canonical
  :class:`echem.CyclingData` columns; the discharge capacity of cycle k is
  ``q1 (1 - fade (k - 1))`` mAh with coulombic efficiency ``ce``, the
  voltage a linear ramp between 3.0 and 4.2 V.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import tomli_w

__all__ = ["write_generated_study", "cycling_truth"]

_SAMPLES = ("LCO", "BTO2-LCO", "BTO5-LCO", "BTO8-LCO")
_CURRENT_MA = 1.0


def _sample_tables(n_replicates: int) -> list[dict]:
    tables = []
    for base in _SAMPLES:
        amount = 0 if base == "LCO" else int(base[3])
        for r in range(n_replicates):
            table = {
                "id": f"{base}-cell{r + 1}",
                "cathode": {"material": "LiCoO2", "active_mass_mg": 10.0},
                "electrolyte": {"material": "Li6PS5Cl"},
                "anode": {"material": "In-Li"},
                "cell": {"kind": "assb-pellet", "diameter_cm": 1.0, "thickness_cm": 0.05},
            }
            if amount:
                table["coating"] = {"material": "BaTiO3", "amount": amount, "unit": "at%", "method": "sol-gel"}
            # replicate cells differ in their cathode mass so that every sample is its own
            table["cathode"]["active_mass_mg"] = 10.0 + 0.1 * r
            tables.append(table)
    return tables


def cycling_truth(index: int, n_cycles: int) -> tuple[np.ndarray, np.ndarray]:
    """Charge and discharge capacity (mAh) of every cycle of generated cycling file ``index``."""
    q1 = 1.2 + 0.01 * (index % 17)
    fade = 0.002 + 0.0005 * (index % 5)
    ce = 0.99
    k = np.arange(1, n_cycles + 1)
    discharge = q1 * (1 - fade * (k - 1))
    return discharge / ce, discharge


def _write_cycling(path: Path, index: int, n_cycles: int, points: int = 25) -> None:
    charge_q, discharge_q = cycling_truth(index, n_cycles)
    rows = []
    t, step = 0.0, 0
    for k in range(n_cycles):
        for sign, q in ((1, charge_q[k]), (-1, discharge_q[k])):
            step += 1
            duration = q / _CURRENT_MA * 3600.0
            frac = np.linspace(0.0, 1.0, points)
            volts = 3.0 + 1.2 * (frac if sign > 0 else 1 - frac)
            for f, v in zip(frac, volts):
                rows.append((t + f * duration, v, sign * _CURRENT_MA, k + 1, step,
                             q * f if sign > 0 else 0.0, q * f if sign < 0 else 0.0))
            t += duration + 1.0
    frame = pd.DataFrame(rows, columns=["time_s", "voltage_v", "current_ma", "cycle", "step",
                                        "charge_capacity_mah", "discharge_capacity_mah"])
    frame.to_csv(path, index=False, float_format="%.9g")


def _write_eis(path: Path, rng: np.random.Generator) -> None:
    from echem.eis.synthetic import random_pellet

    data, _ = random_pellet(rng, noise=0.01, frequency_hz=np.geomspace(1e6, 1.0, 31))
    data.to_frame().to_csv(path, index=False, float_format="%.9g")


def _demo_measurements(directory: Path, techniques, seed: int) -> tuple[list[dict], list[dict]]:
    """The demo study's measurements of ``techniques`` (files written into ``directory``) and their samples."""
    import importlib

    from ssbkit.demo.samples import DEMO_SAMPLES

    tables = []
    for technique in techniques:
        module = importlib.import_module(f"ssbkit.demo.generators.{technique}")
        tables += [t for t in module.generate(directory, seed=seed) if t["technique"] == technique]
    used = {t["sample"] for t in tables}
    return tables, [s.to_dict() for s in DEMO_SAMPLES if s.id in used]


def write_generated_study(directory, n_measurements: int, *, eis_fraction: float = 0.5, n_cycles: int = 4,
                          n_replicates: int = 5, seed: int = 0, demo_techniques=()) -> Path:
    """Write a study of ``n_measurements`` generated impedance and cycling measurements.

    Parameters
    ----------
    directory : str or Path
        Target folder (created); the manifest is ``study.toml`` in it.
    n_measurements : int
        Number of measurements, >= 1.
    eis_fraction : float
        Share of impedance measurements (the rest is cycling), in [0, 1].
    n_cycles : int
        Cycles per cycling file.
    n_replicates : int
        Cells per coating amount (samples = 4 × n_replicates).
    seed : int
        Seed of the impedance noise; the same arguments give the same files.
    demo_techniques : sequence of str
        Also add the demo study's measurements of these techniques (e.g.
        ``("xrd", "xas")``) with their samples; they count towards ``n_measurements``.

    Returns
    -------
    Path
        The manifest.
    """
    if n_measurements < 1:
        raise ValueError(f"n_measurements={n_measurements!r} must be >= 1")
    if not 0.0 <= eis_fraction <= 1.0:
        raise ValueError(f"eis_fraction={eis_fraction!r} must be in [0, 1]")
    directory = Path(directory)
    (directory / "eis").mkdir(parents=True, exist_ok=True)
    (directory / "cycling").mkdir(parents=True, exist_ok=True)
    samples = _sample_tables(n_replicates)
    rng = np.random.default_rng([seed, 1818])
    extra, extra_samples = _demo_measurements(directory, demo_techniques, seed) if demo_techniques else ([], [])
    n_generated = max(0, n_measurements - len(extra))
    n_eis = int(round(eis_fraction * n_generated))
    measurements = []
    for i in range(n_generated):
        sample = samples[i % len(samples)]["id"]
        if i < n_eis:
            name = f"eis/pellet_{i:05d}.csv"
            _write_eis(directory / name, rng)
            measurements.append({"sample": sample, "technique": "eis", "file": name, "label": f"EIS {i:05d}",
                                 "parameters": {"method": "fit"}})
        else:
            name = f"cycling/cell_{i:05d}.csv"
            _write_cycling(directory / name, i, n_cycles)
            measurements.append({"sample": sample, "technique": "cycling", "file": name,
                                 "label": f"cycling {i:05d}", "parameters": {"first_half_cycle": "charge"}})
    manifest = {"study": {"name": f"generated study of {n_measurements} measurements"},
                "samples": samples + extra_samples, "measurements": measurements + extra}
    path = directory / "study.toml"
    path.write_text(tomli_w.dumps(manifest), encoding="utf-8")
    return path
