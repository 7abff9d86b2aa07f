"""Benchmark: bulk resistance of random pellet spectra, echem vs impedance.py.

Draws N (default 200) random pellet-like R0-p(R1,CPE1)-CPE2 spectra with 1 %
noise (:func:`echem.random_pellet`: R1 10 Ω-100 kΩ, R0/R1 0.01-3, arc apex
300 Hz-3 MHz, spike crossover 1 Hz to apex/100, 61 points 1 MHz-0.1 Hz) and
fits each twice in the same run:

* ``echem.fit_circuit`` with no initial guess (defaults: modulus weighting,
  starting values from the spectrum, multi-start);
* impedance.py's ``CustomCircuit.fit`` from one fixed naive initial guess,
  with modulus weighting as well (``weight_by_modulus=True``) and at most
  ``IMPEDANCE_PY_MAXFEV`` model evaluations (its default, 1e5, lets a lost
  fit run for minutes; a fit that hits the limit counts as a miss).

It prints, for both, the share of fits whose R_e = R0 + R1 is within 1 % and
2 % of the truth, and the median wall time per fit. Run from the repository
root::

    .venv/bin/python benchmarks/bench_eis.py [--n 200] [--seed 0]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

import echem

CIRCUIT = "R0-p(R1,CPE1)-CPE2"
#: A fixed "naive" start a user might type: 10 Ω, 100 Ω, 1 µF-ish CPEs.
NAIVE_GUESS = [10.0, 100.0, 1e-6, 0.9, 1e-5, 0.8]
IMPEDANCE_PY_MAXFEV = 5000


def _fit_impedance_py(data):
    from impedance.models.circuits import CustomCircuit

    model = CustomCircuit(CIRCUIT, initial_guess=list(NAIVE_GUESS))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(data.frequency_hz, data.z_ohm, weight_by_modulus=True, maxfev=IMPEDANCE_PY_MAXFEV)
    return model.parameters_[0] + model.parameters_[1]


def _fit_echem(data):
    fit = echem.fit_circuit(data, CIRCUIT)
    return fit.parameters["R0"] + fit.parameters["R1"]


def _run(fitter, spectra):
    errors, times = [], []
    for data, truth in spectra:
        start = time.perf_counter()
        try:
            r_e = fitter(data)
        except Exception:  # an anchor-tool failure counts as a miss  # noqa: BLE001
            r_e = np.nan
        times.append(time.perf_counter() - start)
        errors.append(abs(r_e / truth.resistance_ohm - 1) if np.isfinite(r_e) else np.inf)
    return np.asarray(errors), np.asarray(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="number of spectra (default 200)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    spectra = [echem.random_pellet(rng, noise=0.01) for _ in range(args.n)]
    rows = [("echem.fit_circuit (no guess)", _fit_echem)]
    try:
        import impedance

        rows.append((f"impedance.py {impedance.__version__} (naive guess)", _fit_impedance_py))
        print(f"impedance.py: fixed guess {NAIVE_GUESS}, weight_by_modulus, maxfev {IMPEDANCE_PY_MAXFEV}")
    except ImportError:
        print("impedance.py not installed: anchor comparison skipped")
    print(f"{args.n} random pellet spectra, 1 % noise, seed {args.seed}")
    print(f"{'fitter':<40s} {'R_e within 1 %':>15s} {'within 2 %':>11s} {'median s/fit':>13s}")
    results = {}
    for name, fitter in rows:
        errors, times = _run(fitter, spectra)
        results[name] = (np.mean(errors < 0.01), np.median(times))
        print(f"{name:<40s} {np.mean(errors < 0.01):>15.1%} {np.mean(errors < 0.02):>11.1%} "
              f"{np.median(times):>13.4f}")
    if len(results) == 2:
        (ours_share, ours_t), (ref_share, ref_t) = results.values()
        print(f"ratio echem/impedance.py: share within 1 % {ours_share / max(ref_share, 1e-12):.2f}x, "
              f"median time {ours_t / ref_t:.2f}x")


if __name__ == "__main__":
    main()
