"""Benchmark: low-loss thickness of a thin-to-thick line scan, ssbkit against exspy.

Builds a synthetic low-loss line scan (``--pixels`` spectra, -15..300 eV at
0.1 eV; t/λ from 0.05 to 4 across the scan, zero-loss peak 2 eV FWHM, a
narrow 15 eV Drude plasmon (Γ = 1.5 eV) so that the plasmon is the largest
channel from t/λ ≈ 1.8, Poisson noise, zero-loss offsets up to ±5 eV), then
times, in one run:

* ssbkit: ``eels.relative_thickness`` with the automatic settings, and
  ``eels.kramers_kronig_thickness`` (metal);
* exspy, when ``--exspy-python`` names an interpreter that has it (exspy is
  not a dependency; ``python3 -m venv /tmp/exspy-venv &&
  /tmp/exspy-venv/bin/pip install exspy``): ``align_zero_loss_peak`` +
  ``estimate_elastic_scattering_threshold`` + ``estimate_thickness``, and
  ``fourier_log_deconvolution`` + ``kramers_kronig_analysis`` (n = 1000,
  with ssbkit's cut and the aligned data, so only the arithmetic differs).

Prints the times and the accuracy of each against the truth (t/λ of the
model; thickness = t/λ · λ_Drude).

Run: ``.venv/bin/python benchmarks/bench_eels.py [--pixels N] [--exspy-python PATH]``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

import eels
from eels.synthetic import drude_mean_free_path_nm, low_loss_spectrum

E0, BETA = 200.0, 15.0
MODEL = dict(zlp_fwhm_ev=2.0, plasmon_energy_ev=15.0, plasmon_width_ev=1.5, beam_energy_kev=E0, collection_semiangle_mrad=BETA)

_EXSPY_SCRIPT = r"""
import json, sys, time, warnings, logging
warnings.simplefilter("ignore"); logging.disable(logging.WARNING)
import numpy as np, exspy
args = json.loads(sys.argv[1])
counts = np.load(args["counts"])
def signal(data, offset):
    s = exspy.signals.EELSSpectrum(data)
    ax = s.axes_manager.signal_axes[0]; ax.offset = offset; ax.scale = args["scale"]; ax.units = "eV"
    s.set_microscope_parameters(beam_energy=args["e0"], collection_angle=args["beta"], convergence_angle=0.0)
    return s
s = signal(counts.copy(), args["offset"])
t0 = time.perf_counter()
s.align_zero_loss_peak(subpixel=False, print_stats=False, show_progressbar=False)
th = s.estimate_elastic_scattering_threshold()
tau = s.estimate_thickness(threshold=th).data
t_log = time.perf_counter() - t0
aligned = signal(np.load(args["aligned"]), args["aligned_offset"])
axis = aligned.axes_manager.signal_axes[0].axis
zlp = aligned.deepcopy()
for i, cut in enumerate(args["cuts"]):
    zlp.data[i, axis >= cut - 1e-9] = 0
t0 = time.perf_counter()
ssd = aligned.fourier_log_deconvolution(zlp)
eps, out = ssd.kramers_kronig_analysis(zlp=zlp.integrate1D(-1), n=1000.0, full_output=True)
t_kk = time.perf_counter() - t0
thick = np.ravel(getattr(out["thickness"], "data", out["thickness"]))
print(json.dumps({"version": exspy.__version__, "tau": np.ravel(tau).tolist(), "t_log_s": t_log,
                  "kk_nm": thick.tolist(), "t_kk_s": t_kk}))
"""


def build(pixels: int, seed: int = 0):
    """The synthetic scan: axis, counts (pixels, channels), true t/λ, offsets."""
    rng = np.random.default_rng(seed)
    axis = np.round(np.arange(-15.0, 300.0, 0.1), 6)
    taus = np.linspace(0.05, 4.0, pixels)
    offsets = rng.uniform(-5.0, 5.0, pixels)
    counts = np.stack([
        low_loss_spectrum(axis, t_over_lambda=t, total_counts=1e7, zlp_position_ev=o, rng=rng, **MODEL)
        for t, o in zip(taus, offsets)
    ])
    return axis, counts, taus, offsets


def _deviation(measured, truth, taus) -> str:
    rel = np.abs(np.asarray(measured) / truth - 1)
    bad = taus[rel > 0.03]
    where = f" (t/λ {bad.min():.2f}..{bad.max():.2f})" if bad.size else ""
    return f"median {100 * np.nanmedian(rel):.2f} %, worst {100 * np.nanmax(rel):.1f} %, >3 %: {bad.size}{where}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pixels", type=int, default=60)
    parser.add_argument("--exspy-python", default=None)
    args = parser.parse_args()
    axis, counts, taus, _ = build(args.pixels)
    lam = drude_mean_free_path_nm(plasmon_energy_ev=15.0, plasmon_width_ev=1.5, beam_energy_kev=E0, collection_semiangle_mrad=BETA)
    axis_nm = eels.NavigationAxis("x", "nm", 1.0, 0.0, args.pixels)
    data = eels.EELSData(axis, counts, (axis_nm,), beam_energy_kev=E0, collection_semiangle_mrad=BETA)
    largest = axis[np.argmax(counts, axis=1)]
    print(f"{args.pixels} spectra x {axis.size} channels; t/λ 0.05..4; the largest channel is a plasmon in "
          f"{int(np.sum(largest > 6))} of them")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", eels.ThicknessWarning)
        start = time.perf_counter()
        tau = eels.relative_thickness(data)
        t_log = time.perf_counter() - start
        start = time.perf_counter()
        kk = eels.kramers_kronig_thickness(data, metal=True)
        t_kk = time.perf_counter() - start
    print(f"ssbkit log-ratio t/λ:      {t_log:6.2f} s   {_deviation(tau, taus, taus)}")
    print(f"ssbkit Kramers-Kronig t:   {t_kk:6.2f} s   {_deviation(kk.thickness_nm, taus * lam, taus)}")
    if not args.exspy_python:
        print("exspy: not run (pass --exspy-python PATH)")
        return
    aligned = eels.align_zero_loss(data)
    zlp = eels.zero_loss_peak(aligned)
    with tempfile.TemporaryDirectory() as tmp:
        np.save(Path(tmp) / "counts.npy", counts)
        # per-pixel shift as ssbkit found it, so exspy's KK sees the same aligned spectra and cuts
        np.save(Path(tmp) / "aligned.npy", np.asarray(aligned.counts))
        payload = json.dumps({
            "counts": str(Path(tmp) / "counts.npy"), "aligned": str(Path(tmp) / "aligned.npy"),
            "offset": float(axis[0]), "aligned_offset": float(aligned.energy_loss_ev[0]), "scale": 0.1,
            "e0": E0, "beta": BETA, "cuts": [float(c) for c in zlp.threshold_ev],
        })
        result = subprocess.run([args.exspy_python, "-c", _EXSPY_SCRIPT, payload], capture_output=True, text=True, check=False)
    if result.returncode:
        print("exspy failed:", result.stderr[-2000:])
        return
    out = json.loads(result.stdout.strip().splitlines()[-1])
    print(f"exspy {out['version']} log-ratio t/λ:   {out['t_log_s']:6.2f} s   {_deviation(out['tau'], taus, taus)}")
    print(f"exspy {out['version']} Kramers-Kronig: {out['t_kk_s']:6.2f} s   {_deviation(out['kk_nm'], taus * lam, taus)}"
          "   (on ssbkit's aligned spectra and cuts)")


if __name__ == "__main__":
    main()
