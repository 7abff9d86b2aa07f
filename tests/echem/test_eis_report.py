"""The "eis" report section and the demo generator.

Truth: the generator's model (ssbkit.demo.generators.eis: R_e(T) from the stated
conductivity and activation energy, geometry from the LPSCl demo sample).
"""

from __future__ import annotations

import json

import pytest

from ssbkit.demo.generators import eis as generator
from ssbkit.demo import demo_section_input
from ssbkit.demo.samples import DEMO_SAMPLES
from ssbkit.errors import MetadataError
from ssbkit.report.registry import (
    Section,
    SectionInput,
    comparison_builder,
    section_builder,
)


def _inputs(directory, measurements):
    for m in measurements:
        inp = demo_section_input(directory, m, directory)
        yield inp.sample, inp


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    directory = tmp_path_factory.mktemp("demo")
    measurements = generator.generate(directory, seed=0)
    built = [(sample, section_builder("eis")(inp), inp) for sample, inp in _inputs(directory, measurements)]
    return directory, measurements, built


def test_generator_is_deterministic(tmp_path, demo):
    directory, measurements, _ = demo
    again = generator.generate(tmp_path, seed=0)
    assert again == measurements
    for m in measurements[1]["file"]:
        assert (tmp_path / m).read_bytes() == (directory / m).read_bytes()
    other = generator.generate(tmp_path / "other", seed=1)
    assert (tmp_path / "other" / other[0]["file"]).read_bytes() != (directory / measurements[0]["file"]).read_bytes()


def test_manifest_tables(demo):
    _, measurements, _ = demo
    labels = [m["label"] for m in measurements]
    assert len(set(labels)) == len(labels)
    for m in measurements:
        assert m["sample"] == "LPSCl" and m["technique"] == "eis"
        assert m["parameters"]["thickness_cm"] == 0.1  # the LPSCl sample's cell
        assert m["parameters"]["area_cm2"] == pytest.approx(0.7853981634)


def test_sections_recover_the_generator_truth(demo):
    directory, _, built = demo
    single, series = built[0][1], built[1][1]
    for section in (single, series):
        assert isinstance(section, Section) and section.technique == "eis"
        r_true = generator.true_resistance_ohm(298.15)
        assert section.summary["resistance_ohm"] == pytest.approx(r_true, rel=0.01)
        sigma_true = generator.SIGMA_25C_S_PER_CM
        assert section.summary["sigma_s_per_cm"] == pytest.approx(sigma_true, rel=0.01)
        assert 0 < section.summary["sigma_err_s_per_cm"] < 0.05 * sigma_true
        json.dumps(section.summary)
        json.dumps(section.parameters)
        for figure in section.figures:
            assert (directory / figure.filename).is_file()
        assert section.tables and section.tables[0].columns[0] == "parameter"
    assert series.summary["ea_ev"] == pytest.approx(generator.EA_EV, abs=0.02)
    # the generator's grain-boundary arc: C = Q^(1/a) R1^((1-a)/a), d/S = 0.1/0.785 /cm,
    # about 7e-10 F/cm: "grain boundary" in Irvine et al.'s table
    origin = next(q.value for q in single.quantities if q.name.startswith("C1"))
    assert origin == "grain boundary"
    assert len(series.figures) == 2


def test_missing_geometry_and_temperatures_raise(tmp_path, demo):
    built = demo[2]
    sample, _, inp = built[1]
    params = {k: v for k, v in inp.parameters.items() if k != "temperature_k"}
    with pytest.raises(MetadataError, match="temperature_k"):
        section_builder("eis")(SectionInput(inp.files, params, sample, inp.label, tmp_path, "a_"))
    bare = sample.model_copy(update={"cell": None})
    params = {k: v for k, v in built[0][2].parameters.items() if k not in ("thickness_cm", "area_cm2")}
    with pytest.raises(MetadataError, match="thickness_cm"):
        section_builder("eis")(SectionInput(built[0][2].files, params, bare, "x", tmp_path, "b_"))


def test_comparison(tmp_path, demo):
    _, _, built = demo
    compare = comparison_builder("eis")
    assert compare([(s, sec) for s, sec, _ in built], tmp_path, "c_") is None  # one sample only
    other = next(s for s in DEMO_SAMPLES if s.id == "LCO")
    section = compare([(built[0][0], built[0][1]), (other, built[0][1])], tmp_path, "c_")
    assert section is not None and (tmp_path / section.figures[0].filename).is_file()
