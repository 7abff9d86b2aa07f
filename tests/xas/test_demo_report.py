"""Demo generator + report section: generate(), build() on every measurement, comparison page."""

from __future__ import annotations

import json

import pytest

from ssbkit.demo.generators import xas as demo_xas
from ssbkit.demo import demo_section_input
from ssbkit.demo.samples import DEMO_SAMPLES
from ssbkit.report.registry import SectionInput, comparison_builder, registered_techniques, section_builder


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("xas_demo")
    measurements = demo_xas.generate(folder, seed=3)
    builder = section_builder("xas")
    sections = []
    for m in measurements:
        inp = demo_section_input(folder, m, folder)
        sections.append((m, inp.sample, builder(inp)))
    return folder, measurements, sections


def test_registered():
    assert "xas" in registered_techniques()
    assert comparison_builder("xas") is not None


def test_manifest_tables(built):
    _, measurements, _ = built
    assert {(m["sample"], m["parameters"]["element"]) for m in measurements} == set(demo_xas.TRUTH)
    assert len({m["label"] for m in measurements}) == len(measurements)
    for m in measurements:
        assert m["technique"] == "xas" and len(m["file"]) == 2


def test_verdicts_match_the_generated_truth(built):
    folder, _, sections = built
    for m, sample, section in sections:
        shift, sulfate = demo_xas.TRUTH[(sample.id, m["parameters"]["element"])]
        summary = section.summary
        json.dumps(summary)
        assert summary["changed"] == bool(shift or sulfate), summary["verdict"]
        assert summary["edge_shift_ev"] == pytest.approx(shift, abs=0.05)
        if sulfate:
            # the new sulfate-like peak at 2481.5 eV is the largest difference
            assert summary["max_abs_difference_energy_ev"] == pytest.approx(2481.5, abs=1.5)
        assert (folder / section.figures[0].filename).is_file()
        assert {"edge_shift_ev", "r_factor", "changed", "e0_before_ev"} <= set(summary)


def test_comparison_page(built):
    folder, _, sections = built
    page = comparison_builder("xas")([(s, sec) for _, s, sec in sections], folder, "cmp_")
    assert (folder / page.figures[0].filename).is_file()
    rows = {(r[0], r[1]): r[4] for r in page.tables[0].rows}
    bare, coated = "LCO (no coating)", "BTO5-LCO (5 at% BaTiO3)"  # labels from the demo samples' model
    assert rows == {(bare, "P K"): "changed", (bare, "S K"): "changed",
                    (coated, "P K"): "unchanged", (coated, "S K"): "unchanged"}
    single = comparison_builder("xas")([(s, sec) for _, s, sec in sections if s.id == "LCO"], folder, "one_")
    assert single is None


def test_generate_is_deterministic(tmp_path):
    demo_xas.generate(tmp_path / "a", seed=5)
    demo_xas.generate(tmp_path / "b", seed=5)
    for path in sorted((tmp_path / "a" / "xas").iterdir()):
        assert path.read_bytes() == (tmp_path / "b" / "xas" / path.name).read_bytes()


def test_build_needs_two_files(built):
    folder, measurements, _ = built
    m = measurements[0]
    from ssbkit.errors import MetadataError

    with pytest.raises(MetadataError, match="xas needs 2 file"):
        section_builder("xas")(SectionInput(files=(folder / m["file"][0],), parameters={}, sample=DEMO_SAMPLES[0],
                                            label="x", figure_dir=folder, figure_prefix="bad_"))
