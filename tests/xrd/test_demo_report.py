"""Demo generator and report section: generate() into tmp_path, build() every measurement,
compare the coating series, and check the known truth of the generator."""

from __future__ import annotations

import json

import pytest

from ssbkit.demo import demo_section_input
from ssbkit.demo.generators import xrd as demo_xrd
from ssbkit.report.registry import comparison_builder, section_builder


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo_xrd")
    measurements = demo_xrd.generate(root, seed=0)
    build = section_builder("xrd")
    figures = root / "report"
    figures.mkdir()
    sections = []
    for m in measurements:
        inp = demo_section_input(root, m, figures)
        sections.append((inp.sample, build(inp), m))
    return root, measurements, sections, figures


def test_generate_is_deterministic(tmp_path):
    a = demo_xrd.generate(tmp_path / "a", seed=4)
    b = demo_xrd.generate(tmp_path / "b", seed=4)
    assert a == b
    for m in a:
        assert (tmp_path / "a" / m["file"]).read_bytes() == (tmp_path / "b" / m["file"]).read_bytes()
    assert {m["sample"] for m in a} == {"LCO", "BTO2-LCO", "BTO5-LCO", "BTO8-LCO", "LPSCl"}


def test_sections_recover_generated_phases(built):
    _, _, sections, figures = built
    for sample, section, m in sections:
        truth = demo_xrd.PHASES[sample.id]
        formulas = {name.split("-")[0]: w for name, w in truth.items()}
        found = {p.formula: p.weight_fraction for p in section.result.phases}
        # every generated phase above 3 wt% is found, nothing else is accepted
        assert set(found) <= set(formulas), (sample.id, found)
        for formula, w in formulas.items():
            if w >= 0.03:
                assert found[formula] == pytest.approx(w, abs=0.03), (sample.id, formula)
        assert section.summary["rwp_pct"] < 10
        json.dumps(section.summary)
        for figure in section.figures:
            assert (figures / figure.filename).is_file()
        assert section.tables[0].rows


def test_bto_grows_with_coating_and_comparison(built):
    _, _, sections, figures = built
    by_id = {s.id: sec for s, sec, _ in sections}
    bto = [by_id[i].summary.get("wfrac_BaTiO3_pct", 0.0) for i in ("LCO", "BTO2-LCO", "BTO5-LCO", "BTO8-LCO")]
    assert bto[0] == 0.0 and bto[1] < bto[2] < bto[3]
    compare = comparison_builder("xrd")
    section = compare([(s, sec) for s, sec, _ in sections], figures, "cmp_")
    assert section is not None and len(section.figures) == 2
    for figure in section.figures:
        assert (figures / figure.filename).is_file()
    assert section.summary["wfrac_BaTiO3_BTO8-LCO_pct"] == pytest.approx(bto[3])
    assert compare([(s, sec) for s, sec, _ in sections][:1], figures, "one_") is None


def test_section_lists_the_peaks_no_phase_explains(shared_data, tmp_path):
    # Dara In2O3 30.22 + La(OH)3 50.14 + TiO2 20.04 wt%: La(OH)3 has no AMCSD entry, so its peaks stay
    # unexplained; its 100 reflection (a = 6.52 A) lies at 2-theta 15.7 deg, d = a sqrt(3)/2 = 5.65 A
    from ssbkit.report.registry import SectionInput

    path = shared_data / "xrd/dara_precursor_mixture/In2O3_0p3022-La(OH)3_0p5014-TiO2_0p2004--2min.xrdml"
    inp = SectionInput(files=(path,), parameters={"elements": ["In", "La", "O", "H", "Ti"]}, sample=None,
                       label="In2O3-mix", figure_dir=tmp_path, figure_prefix="mix-")
    with pytest.warns(UserWarning, match="TiO2"):  # its cell is flagged (see test_dara_mixtures)
        section = section_builder("xrd")(inp)
    count = next(q for q in section.quantities if q.name == "peaks no phase explains")
    assert count.value == section.result.unexplained_peaks_deg.size >= 5
    table = section.tables[1]
    assert table.columns == ("2θ [deg]", "d [Å]")
    rows = [(float(t), float(d)) for t, d in table.rows]
    assert any(abs(t - 15.7) < 0.3 and abs(d - 5.65) < 0.1 for t, d in rows)
    assert "Δcell [%]" in section.tables[0].columns
