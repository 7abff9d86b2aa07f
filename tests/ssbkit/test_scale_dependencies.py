"""Measurements whose results fill other measurements' parameters run first, in every execution mode.

The demo's DPC measurement takes its specimen thickness from the EELS
thickness of the same sample (``from_measurement=("eels", "thickness_nm")``);
the manifest lists the DPC measurement first.
"""

import sys

import pandas as pd
import pytest
import tomli_w

import ssbkit
from ssbkit.demo import write_demo_study
from ssbkit.report.execution import analysis_stages

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@pytest.fixture(scope="module")
def eels_then_dpc(tmp_path_factory):
    """The demo's LCO DPC and EELS measurements only, DPC first as in the demo manifest."""
    folder = tmp_path_factory.mktemp("demo-dpc-eels")
    manifest = write_demo_study(folder)
    data = tomllib.loads(manifest.read_text(encoding="utf-8"))
    data["samples"] = [s for s in data["samples"] if s["id"] == "LCO"]
    data["measurements"] = [m for m in data["measurements"]
                            if m["sample"] == "LCO" and m["technique"] in ("dpc", "eels")]
    assert [m["technique"] for m in data["measurements"]] == ["dpc", "eels"]
    for m in data["measurements"]:
        m.get("parameters", {}).pop("thickness_nm", None)
    small = folder / "dpc-eels.toml"
    small.write_text(tomli_w.dumps(data), encoding="utf-8")
    return ssbkit.Study.load(small)


def test_stages_put_the_provider_first(eels_then_dpc):
    stages = analysis_stages(eels_then_dpc)
    assert [[m.technique for m in stage] for stage in stages] == [["eels"], ["dpc"]]


def test_dpc_gets_the_eels_thickness_serially_and_in_two_workers(eels_then_dpc, tmp_path):
    serial = ssbkit.analyze(eels_then_dpc, figure_dir=tmp_path / "s", progress=False)
    parallel = ssbkit.analyze(eels_then_dpc, figure_dir=tmp_path / "p", progress=False, workers=2)
    for results in (serial, parallel):
        dpc, eels = results.results
        assert not results.failed
        assert dpc.section.parameters["thickness_nm"] == eels.section.summary["thickness_nm"]
        assert dpc.section.origins["thickness_nm"].startswith("measurement LCO EELS (eels thickness_nm)")
    pd.testing.assert_frame_equal(serial.summary_table(), parallel.summary_table())
