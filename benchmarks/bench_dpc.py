"""Benchmark: centre of mass of a 128×128-scan × 128×128-detector float32 dataset (1 GiB).

1. In memory (numpy): patterns per second of ``stem.center_of_mass`` and, when
   installed, of py4DSTEM's CoM on the same array in the same run (optional
   import; skipped with a message when absent).
2. From a memory map through dask (``stem.read_4dstem(..npy, lazy=True)``):
   patterns per second and peak traced memory (tracemalloc, in this process)
   — the memory-mapped pages themselves are page cache and not counted.

Run: ``.venv/bin/python benchmarks/bench_dpc.py [--scan 128] [--det 128]``. The
dataset is generated once (a shifted disk per pattern), used, and freed; the
memory map is written to a temporary folder and deleted.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

import stem


def make_data(scan, det, out=None):
    data = np.empty((scan, scan, det, det), np.float32) if out is None else out
    yy, xx = np.indices((det, det), dtype=np.float32)
    for i in range(scan):
        shift = 3.0 * np.sin(np.arange(scan) / 9.0 + i / 13.0)
        r = np.hypot(yy[None] - det / 2, xx[None] - det / 2 - shift[:, None, None])
        data[i] = np.clip(det / 6 - r, 0, 1)
    return data


def time_it(func, repeat=3):
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - t0)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scan", type=int, default=128)
    parser.add_argument("--det", type=int, default=128)
    args = parser.parse_args()
    n = args.scan**2
    data = make_data(args.scan, args.det)
    print(f"dataset {data.shape} float32, {data.nbytes / 2**30:.2f} GiB")
    t = time_it(lambda: stem.center_of_mass(data))
    print(f"stem.center_of_mass (numpy):   {t:7.3f} s  {n / t:10.0f} patterns/s")
    try:
        import py4DSTEM
        from py4DSTEM.process.utils import get_CoM
    except ImportError:
        print("py4DSTEM (with py4DSTEM.process.utils.get_CoM) not installed: anchor comparison skipped")
    else:
        def anchor():
            out = np.empty((args.scan, args.scan, 2))
            for i in range(args.scan):
                for j in range(args.scan):
                    out[i, j] = get_CoM(data[i, j])
            return out

        t0 = time.perf_counter()
        ref = anchor()
        ta = time.perf_counter() - t0
        mine = stem.center_of_mass(data)
        diff = max(np.abs(ref[..., 0] - mine.com_y).max(), np.abs(ref[..., 1] - mine.com_x).max())
        print(f"py4DSTEM {py4DSTEM.__version__} get_CoM loop: {ta:7.3f} s  {n / ta:10.0f} patterns/s  "
              f"(ratio {ta / t:.1f}x; max |ΔCoM| {diff:.2e} px)")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.npy"
        mm = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=data.shape)
        mm[:] = data
        mm.flush()
        del mm
        data = None  # free the in-memory copy before the memory-mapped run
        import dask.array  # noqa: F401  (imported before tracing: module objects are not the computation's memory)

        tracemalloc.start()
        t0 = time.perf_counter()
        lazy = stem.read_4dstem(path, lazy=True)
        com = stem.center_of_mass(lazy.data).compute(scheduler="threads")
        tm = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"memmap + dask (threads):       {tm:7.3f} s  {n / tm:10.0f} patterns/s  "
              f"peak traced memory {peak / 2**20:.1f} MiB (dataset {path.stat().st_size / 2**20:.0f} MiB)")
        del com, lazy


if __name__ == "__main__":
    main()
