"""Centre of mass of a memory-mapped dataset 4x larger than the memory allowed, through dask.

Peak memory is measured in a fresh subprocess with tracemalloc, which counts
the allocations numpy and dask make (numpy reports its buffers to
tracemalloc); the pages of the memory-mapped file itself are page cache that
the kernel can drop, so they are not counted (ru_maxrss would count them as
they are touched).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np

SHAPE = (32, 64, 128, 128)  # float32: 128 MiB
BOUND_BYTES = 32 * 2**20  # 32 MiB, a quarter of the dataset

SCRIPT = textwrap.dedent(
    """
    import json, sys, tracemalloc
    import dask.array, dask.threaded  # imported first: their module objects are not the computation's memory
    import stem
    tracemalloc.start()
    data = stem.read_4dstem(sys.argv[1], lazy=True)
    com = stem.center_of_mass(data.data)
    lazy = com.is_lazy
    done = com.compute(scheduler="threads", num_workers=2)
    peak = tracemalloc.get_traced_memory()[1]
    print(json.dumps({"peak": peak, "lazy": lazy, "x": float(done.com_x[7, 9]), "y": float(done.com_y[7, 9]),
                      "x_last": float(done.com_x[-1, -1]), "y_last": float(done.com_y[-1, -1])}))
    """
)


def test_com_of_memmap_4x_larger_than_bound_stays_under_bound(tmp_path):
    path = tmp_path / "big.npy"
    data = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=SHAPE)
    for row in range(SHAPE[0]):
        # one bright pixel whose position encodes the scan row: CoM known exactly
        frame = np.zeros(SHAPE[1:], np.float32)
        frame[:, 40 + row % 7, 60] = 5.0
        frame[:, 20, 10] = 1.0
        data[row] = frame
    data.flush()
    del data
    assert path.stat().st_size > 4 * BOUND_BYTES
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(path)], capture_output=True, text=True, timeout=120,
                         check=False)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["lazy"] is True
    assert result["peak"] < BOUND_BYTES, result
    # CoM of weight 5 at (y, x) = (40 + row % 7, 60) and weight 1 at (20, 10): x = (5·60 + 10)/6,
    # y = (5·(40 + row % 7) + 20)/6; rows 7 and 31 (the last) give row % 7 = 0 and 3
    assert abs(result["x"] - (5 * 60 + 10) / 6) < 1e-4
    assert abs(result["y"] - (5 * 40 + 20) / 6) < 1e-4
    assert abs(result["x_last"] - (5 * 60 + 10) / 6) < 1e-4
    assert abs(result["y_last"] - (5 * 43 + 20) / 6) < 1e-4
