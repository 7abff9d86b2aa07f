"""Benchmark: normalise 10,000 XANES spectra with xas.normalize_many vs xraylarch's pre_edge.

The spectra are synthetic P K-edges (arctangent edge + white line +
resonances, random edge position, step, linear background and noise) on a
common non-uniform grid. ssbkit normalises them in one vectorised call;
xraylarch's ``pre_edge`` (if installed; it is optional and not a test
dependency) does them one by one in a loop in the same run, with default
parameters. Printed: wall times, the speed ratio, and the largest
differences in E0, edge step and normalised curve.

Run: ``python benchmarks/bench_xas.py [--n 10000] [--larch-n N]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import xas


def make_spectra(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` synthetic P K-edge spectra on one grid (eV): known edge positions ± 2 eV."""
    rng = np.random.default_rng(seed)
    energy = np.concatenate([np.arange(2100.0, 2135.0, 1.0), np.arange(2135.0, 2175.0, 0.2),
                             np.arange(2175.0, 2250.01, 0.75)])
    centre = 2147.8 + rng.uniform(-2.0, 2.0, n)[:, None]
    step = rng.uniform(0.3, 2.0, n)[:, None]
    x = energy[None, :] - centre
    edge = 0.5 + np.arctan(x / 0.7) / np.pi + 1.6 * np.exp(-0.5 * ((x - 1.7) / 0.75) ** 2) \
        + 0.25 * np.exp(-0.5 * ((x - 6.5) / 1.8) ** 2) + 0.18 * np.exp(-0.5 * ((x - 14.0) / 4.0) ** 2)
    background = rng.uniform(0.0, 0.3, n)[:, None] - rng.uniform(0, 2e-3, n)[:, None] * (energy - 2100.0)
    mu = background + step * (edge + rng.normal(0.0, 0.004, (n, energy.size)))
    return energy, mu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="number of spectra")
    parser.add_argument("--larch-n", type=int, default=None, help="spectra for the larch loop (default: all)")
    args = parser.parse_args()
    energy, mu = make_spectra(args.n)
    print(f"{args.n} spectra x {energy.size} points")

    start = time.perf_counter()
    batch = xas.normalize_many(energy, mu, progress=False)
    t_ssbkit = time.perf_counter() - start
    print(f"xas.normalize_many: {t_ssbkit:.2f} s ({1e3 * t_ssbkit / args.n:.3f} ms/spectrum)")

    try:
        from larch import Group
        from larch.xafs import pre_edge
    except ImportError:
        print("xraylarch not installed: skipping the comparison (pip install xraylarch)")
        return
    import larch

    count = args.n if args.larch_n is None else min(args.larch_n, args.n)
    e0, step, norm_rms = np.empty(count), np.empty(count), np.empty(count)
    start = time.perf_counter()
    for row in range(count):
        group = Group()
        pre_edge(energy, mu[row], group=group)
        e0[row], step[row] = group.e0, group.edge_step
        norm_rms[row] = np.sqrt(np.mean((group.norm - batch.norm[row]) ** 2))
    t_larch = time.perf_counter() - start
    per_larch = t_larch / count
    print(f"xraylarch {larch.__version__} pre_edge loop over {count}: {t_larch:.2f} s "
          f"({1e3 * per_larch:.3f} ms/spectrum)")
    print(f"speed ratio (larch / ssbkit, per spectrum): {per_larch / (t_ssbkit / args.n):.1f}x")
    print(f"largest |E0 difference|: {np.max(np.abs(e0 - batch.e0_ev[:count])):.3f} eV")
    print(f"largest relative edge-step difference: {np.max(np.abs(batch.edge_step[:count] / step - 1)):.2e}")
    print(f"largest RMS difference of norm: {np.max(norm_rms):.2e}")
    print(f"spectra with E0 different: {int(np.sum(e0 != batch.e0_ev[:count]))} of {count}")


if __name__ == "__main__":
    main()
