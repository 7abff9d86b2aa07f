"""The same center_of_mass call runs on a dask.distributed cluster (a local one here)."""

import numpy as np
import pytest

import stem

distributed = pytest.importorskip("dask.distributed")
da = pytest.importorskip("dask.array")


def test_center_of_mass_on_a_distributed_cluster():
    # Truth: a single bright pixel per pattern at a known (y, x) that varies over the scan.
    rng = np.random.default_rng(7)
    scan, det = (6, 5), (9, 11)
    ys = rng.integers(0, det[0], size=scan)
    xs = rng.integers(0, det[1], size=scan)
    data = np.zeros(scan + det, dtype=np.float32)
    iy, ix = np.indices(scan)
    data[iy, ix, ys, xs] = 3.0
    lazy = da.from_array(data, chunks=(2, 5, 9, 11))
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=1, dashboard_address=None):
        com = stem.center_of_mass(lazy)
        assert com.is_lazy
        result = com.compute()
    np.testing.assert_allclose(result.com_x, xs, atol=1e-6)
    np.testing.assert_allclose(result.com_y, ys, atol=1e-6)
