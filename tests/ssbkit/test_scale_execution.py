"""Serial, local worker processes and a dask.distributed LocalCluster give the same study results.

The study is generated (:func:`ssbkit.report.generated_study.write_generated_study`):
impedance spectra from known pellet circuits and short cycling records with
known capacities. Its size is ``SSBKIT_SCALE_N`` measurements (default 24: every
measurement draws its figures, 1-5 s each on a loaded 2-core machine; the
issue's acceptance run uses 100).
"""

import os
import shutil

import numpy as np
import pandas as pd
import pytest

import ssbkit
from ssbkit.report.generated_study import cycling_truth, write_generated_study

N = int(os.environ.get("SSBKIT_SCALE_N", "24"))


def _numbers(results) -> pd.DataFrame:
    """The summary table without the run-dependent columns."""
    return results.summary_table()


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    manifest = write_generated_study(tmp_path_factory.mktemp("scale-study"), N, eis_fraction=0.75, n_cycles=2,
                                     n_replicates=2)
    return ssbkit.Study.load(manifest)


@pytest.fixture(scope="module")
def serial(study, tmp_path_factory):
    out = tmp_path_factory.mktemp("serial")
    return ssbkit.analyze(study, figure_dir=out / "figures", progress=False, cache=out / "cache")


def test_serial_run_gives_the_generated_truth(serial):
    assert [r.measurement.index for r in serial.results] == list(range(N))
    assert not serial.failed
    cycling = [r for r in serial.results if r.measurement.technique == "cycling"]
    assert cycling
    for r in cycling:
        index = int(r.measurement.label.split()[-1])
        _, discharge = cycling_truth(index, 2)
        # the file holds the truth to 9 significant digits
        np.testing.assert_allclose(r.section.result.cycles["discharge_capacity_mah"], discharge, rtol=1e-8)


def test_two_workers_give_the_serial_numbers_in_manifest_order(study, serial, tmp_path):
    parallel = ssbkit.analyze(study, figure_dir=tmp_path, progress=False, workers=2)
    pd.testing.assert_frame_equal(_numbers(parallel), _numbers(serial))
    assert {p.name for p in tmp_path.iterdir()} == {p.name for p in serial.figure_dir.iterdir()}
    # the work really left this process
    assert {r.log.split(" pid ")[1].split()[0] for r in parallel.results} - {str(os.getpid())}


def test_a_dask_local_cluster_gives_the_serial_numbers(study, serial, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        on_cluster = ssbkit.analyze(study, figure_dir=tmp_path, progress=False, client=client)
    pd.testing.assert_frame_equal(_numbers(on_cluster), _numbers(serial))


def test_an_unchanged_rerun_comes_from_the_cache_with_the_same_figures(study, serial, tmp_path):
    cache = serial.figure_dir.parent / "cache"
    again = ssbkit.analyze(study, figure_dir=tmp_path, progress=False, cache=cache)
    assert all(r.cached for r in again.results)
    pd.testing.assert_frame_equal(_numbers(again), _numbers(serial))
    for path in serial.figure_dir.iterdir():
        assert (tmp_path / path.name).read_bytes() == path.read_bytes()
    # the result objects the comparisons use came back too
    assert [type(r.section.result) for r in again.results] == [type(r.section.result) for r in serial.results]


def test_workers_must_be_positive(study):
    with pytest.raises(ValueError, match="workers=0"):
        ssbkit.analyze(study, workers=0, progress=False)


def test_changing_one_file_and_one_parameter_recomputes_only_those(small_generated_study, tmp_path):
    folder = tmp_path / "study"
    shutil.copytree(small_generated_study.parent, folder)
    manifest = folder / "study.toml"
    first = ssbkit.analyze(ssbkit.Study.load(manifest), figure_dir=tmp_path / "a", progress=False,
                           cache=tmp_path / "cache")
    # another pellet spectrum in file 0, another method for measurement 1
    spectrum = folder / "eis" / "pellet_00000.csv"
    frame = pd.read_csv(spectrum)
    frame[["z_real_ohm", "z_imag_ohm"]] *= 2.0
    frame.to_csv(spectrum, index=False, float_format="%.9g")
    text = manifest.read_text()
    manifest.write_text(text.replace('label = "EIS 00001"\n\n[measurements.parameters]\nmethod = "fit"',
                                     'label = "EIS 00001"\n\n[measurements.parameters]\nmethod = "intercept"'))
    second = ssbkit.analyze(ssbkit.Study.load(manifest), figure_dir=tmp_path / "b", progress=False,
                            cache=tmp_path / "cache")
    assert [r.cached for r in second.results] == [False, False] + [True] * (len(second.results) - 2)
    a, b = _numbers(first), _numbers(second)
    # doubling Z doubles R_e (known answer) and halves σ
    np.testing.assert_allclose(b.loc[0, "resistance_ohm"], 2 * a.loc[0, "resistance_ohm"], rtol=1e-3)
    np.testing.assert_allclose(b.loc[0, "sigma_s_per_cm"], a.loc[0, "sigma_s_per_cm"] / 2, rtol=1e-3)
    assert second.results[1].section.parameters["method"] == "intercept"
    pd.testing.assert_frame_equal(a.iloc[2:].reset_index(drop=True), b.iloc[2:].reset_index(drop=True))
