"""results.parquet and the per-technique detail tables round-trip through pandas with the run's numbers."""

import numpy as np
import pandas as pd
import pytest

import ssbkit
from ssbkit.report.generated_study import cycling_truth
from ssbkit.report.results_table import RESULTS_NAME, results_frame, write_results_tables

pytest.importorskip("pyarrow")


@pytest.fixture(scope="module")
def run(small_generated_study, tmp_path_factory):
    out = tmp_path_factory.mktemp("results-table")
    results = ssbkit.analyze(ssbkit.Study.load(small_generated_study), figure_dir=out, progress=False)
    return results, write_results_tables(results, out)


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype(object).where(frame.notna(), None)


def test_results_parquet_round_trips(run):
    results, paths = run
    table = pd.read_parquet(paths[0])
    assert paths[0].name == RESULTS_NAME
    # text columns may come back as pandas' string dtype (missing = NaN) rather than object (missing = None):
    # the values are compared here, the number columns' types below
    pd.testing.assert_frame_equal(_plain(table), _plain(results_frame(results)))
    assert list(table["label"]) == [r.measurement.label for r in results.results]
    assert list(table["file_sha256"]) == [r.measurement.files[0].sha256 for r in results.results]
    summary = results.summary_table()
    for column in ("resistance_ohm", "sigma_s_per_cm", "sigma_err_s_per_cm"):
        np.testing.assert_array_equal(table[column].to_numpy(), summary[column].to_numpy(dtype=float))
    assert table["resistance_ohm"].dtype == np.float64
    assert set(table["status"]) <= {"ok", "warning"}
    assert "summary_status" in table.columns          # a section's own "status" key, kept apart
    assert (table["ssbkit_version"] == ssbkit.__version__).all()
    assert table["code_version"].str.startswith(ssbkit.__version__ + "+").all()


def test_cycling_detail_table_holds_the_generated_capacities(run):
    _, paths = run
    cycles = pd.read_parquet(next(p for p in paths if p.name == "results_cycling_cycles.parquet"))
    assert set(cycles["label"]) == {"cycling 00006", "cycling 00007"}
    for label, rows in cycles.groupby("label"):
        charge, discharge = cycling_truth(int(label.split()[-1]), 3)   # written to 9 significant digits
        np.testing.assert_allclose(rows["discharge_capacity_mah"], discharge, rtol=1e-8)
        np.testing.assert_allclose(rows["charge_capacity_mah"], charge, rtol=1e-8)


def test_eis_detail_table_lists_the_fitted_circuit_parameters(run):
    results, paths = run
    fits = pd.read_parquet(next(p for p in paths if p.name == "results_eis_circuit_parameters.parquet"))
    first = results.results[0].section.result.fit
    rows = fits[fits["label"] == "EIS 00000"]
    assert list(rows["parameter"]) == list(first.parameters)
    np.testing.assert_array_equal(rows["value"].to_numpy(), np.array(list(first.parameters.values()), float))
