"""``ssbkit report`` with --workers, --scheduler local, the result cache and results.parquet."""

import pandas as pd
import pytest

from ssbkit.cli import main
from ssbkit.report.generated_study import write_generated_study


@pytest.fixture(scope="module")
def manifest(tmp_path_factory):
    return write_generated_study(tmp_path_factory.mktemp("cli-study"), 2, eis_fraction=1.0, n_replicates=1)


def _table(out):
    return pd.read_parquet(out / "results.parquet")


def test_report_with_workers_then_from_the_cache(manifest, tmp_path):
    out = tmp_path / "report"
    assert main(["--quiet", "report", str(manifest), "--out", str(out), "--workers", "2"]) == 0
    first = _table(out)
    assert list(first["label"]) == ["EIS 00000", "EIS 00001"] and not first["cached"].any()
    assert (out / ".ssbkit-cache").is_dir() and (out / "summary.csv").is_file()
    assert main(["--quiet", "report", str(manifest), "--out", str(out)]) == 0
    again = _table(out)
    assert again["cached"].all()
    pd.testing.assert_series_equal(again["resistance_ohm"], first["resistance_ohm"])
    assert main(["--quiet", "report", str(manifest), "--out", str(out), "--no-cache"]) == 0
    assert not _table(out)["cached"].any()


def test_report_on_a_local_dask_cluster(manifest, tmp_path):
    pytest.importorskip("distributed")
    out = tmp_path / "report"
    cache = tmp_path / "elsewhere"
    assert main(["--quiet", "report", str(manifest), "--out", str(out), "--scheduler", "local", "--workers", "2",
                 "--cache-dir", str(cache)]) == 0
    assert len(list(cache.glob("*/*.pkl"))) == 2 and not (out / ".ssbkit-cache").exists()
    assert list(_table(out)["status"]) == ["ok", "ok"]


def test_workers_must_be_a_positive_integer(manifest, tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["report", str(manifest), "--out", str(tmp_path), "--workers", "0"])
    assert "must be a positive integer" in capsys.readouterr().err
