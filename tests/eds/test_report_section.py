"""The report sections "eds" and "image" on the demo generator's files, whose truth is known.

Expected numbers: the truth the demo maps were simulated from (ssbkit.demo.generators.eds: contact
fraction = 1 − pore share, the 10–90 % transition width, the pixel sizes written), checked within the
eds package's stated accuracy (contact within 0.05, width within 15 %; tests/eds/test_contact.py);
line choices by the section's stated rule (most abundant element heavier than O, Kα below 10 keV, else Lα).
"""

from __future__ import annotations

import numpy as np
import pytest

import eds
import ssbkit
from ssbkit.demo import demo_section_input
from ssbkit.demo.generators import eds as demo_eds
from ssbkit.demo.samples import DEMO_SAMPLES
from ssbkit.errors import MetadataError
from ssbkit.report.execution import Task, run_task
from ssbkit.report.registry import comparison_builder, prepare_input, section_builder, section_spec
from ssbkit.report.sections import eds as eds_section

SEED = 0
SAMPLES = {s.id: s for s in DEMO_SAMPLES}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo EDS files and the sections built from them, keyed by (sample, technique)."""
    folder = tmp_path_factory.mktemp("eds-demo")
    tables = demo_eds.generate(folder, seed=SEED)
    report = folder / "report"
    report.mkdir()
    sections = {}
    for index, table in enumerate(tables):
        spec = section_spec(table["technique"])
        inp = prepare_input(spec, demo_section_input(folder, table, report))
        outcome = run_task(Task(index, table["technique"], inp))  # as the report runs it: warnings, parameters used
        assert outcome.section.error is None, outcome.log
        for name, data in outcome.figures.items():
            (report / name).write_bytes(data)
        sections[(table["sample"], table["technique"])] = outcome.section
    return folder, tables, sections


@pytest.mark.parametrize("sample_id", ["LCO", "BTO5-LCO"])
def test_contact_section_recovers_the_generator_truth(demo, sample_id):
    _, _, sections = demo
    section = sections[(sample_id, "eds")]
    contact = section.result.contact
    truth = demo_eds.interface_truth(sample_id, seed=SEED)
    assert section.status == "ok", section.reasons
    # over the stretch the analysis traced, and over the whole chord the generator states
    assert contact.contact_fraction == pytest.approx(truth.contact_fraction_at(contact.trace_xy_px), abs=0.05)
    assert contact.contact_fraction == pytest.approx(demo_eds.CONTACT_FRACTION[sample_id], abs=0.05)
    lo, hi = contact.contact_fraction_range
    assert lo <= contact.contact_fraction <= hi
    assert contact.interdiffusion_width_nm == pytest.approx(demo_eds.WIDTH_NM[sample_id], rel=0.15)
    assert abs((contact.interface_angle_deg - demo_eds.INTERFACES[sample_id]["angle_deg"] + 90) % 180 - 90) < 1.0
    # 15 kV in Li6PS5Cl: a Kanaya-Okayama range of ~4.2 µm, far above both widths -> shown as an upper bound
    assert contact.width_is_upper_bound
    headline = {q.name: q for q in section.headline}
    assert headline["interdiffusion width (10–90 %)"].value.startswith("≤ ")
    assert headline["interdiffusion width (10–90 %)"].unit == "nm"
    assert headline["interface contact fraction"].value.startswith(f"{contact.contact_fraction:.2f} (range ")
    assert any("upper bound" in row[0] for table in section.tables for row in table.rows)  # the notes
    assert section.summary["contact_fraction"] == contact.contact_fraction
    # what came from where: lines from the sample's materials, beam energy from the file
    assert section.parameters["cathode_line"] == "Co_Ka" and section.parameters["electrolyte_line"] == "S_Ka"
    assert section.origins["cathode_line"] == "sample"
    assert section.parameters["beam_energy_kev"] == demo_eds.BEAM_ENERGY_KEV
    assert section.origins["beam_energy_kev"] == "file"
    assert section.origins["cathode_density_g_cm3"] == "default (LiCoO2)"


def test_the_coated_interface_is_in_better_contact_and_narrower(demo):
    _, _, sections = demo
    bare, coated = (sections[(sid, "eds")].result.contact for sid in ("LCO", "BTO5-LCO"))
    # truth: 0.70 vs 0.90 contact, 400 vs 250 nm
    assert coated.contact_fraction_range[0] > bare.contact_fraction_range[1]
    assert coated.interdiffusion_width_nm < bare.interdiffusion_width_nm


def test_section_figures_exist(demo):
    folder, _, sections = demo
    for (_, technique), section in sections.items():
        assert section.figures, technique
        for figure in section.figures:
            assert (folder / "report" / figure.filename).stat().st_size > 0


@pytest.mark.parametrize("sample_id", ["LCO", "BTO5-LCO"])
def test_image_section_reads_the_pixel_sizes_written(demo, sample_id):
    _, _, sections = demo
    section = sections[(sample_id, "image")]
    assert section.status == "ok", section.reasons
    bse, haadf = section.result
    assert bse.pixel_size_nm == pytest.approx(demo_eds.PIXEL_NM, rel=1e-6)
    assert bse.shape == demo_eds.MAP_SHAPE
    assert haadf.pixel_size_nm == pytest.approx(demo_eds.HAADF_PIXEL_NM, rel=1e-6)
    assert haadf.shape == demo_eds.HAADF_SHAPE
    assert "6.4 × 6.4 µm" in section.headline[0].value  # 128 px × 50 nm
    assert "128 × 128 nm" in section.headline[0].value  # 256 px × 0.5 nm


def test_the_haadf_image_shows_the_coating_layer(demo):
    _, _, sections = demo
    bare, coated = (sections[(sid, "image")].result[1].data.astype(float) for sid in ("LCO", "BTO5-LCO"))
    n = demo_eds.HAADF_SHAPE[1] // 2
    layer = slice(n + 1, n + 5)  # 0.5-2.5 nm beyond the cathode surface: BaTiO3 (3 nm) in the coated sample
    assert coated[:, layer].mean() > 1.3 * coated[:, :n - 4].mean()  # BaTiO3 brighter than LiCoO2
    assert bare[:, layer].mean() < 0.6 * bare[:, :n - 4].mean()  # Li6PS5Cl darker


def test_comparison_builds_contact_and_width_against_coating(demo):
    folder, _, sections = demo
    items = [(SAMPLES[sid], sections[(sid, "eds")]) for sid in ("BTO5-LCO", "LCO")]
    section = comparison_builder("eds")(items, folder / "report", "compare-eds-")
    assert section.status == "ok"
    rows = section.tables[0].rows
    assert [row[0] for row in rows] == ["LCO (no coating)", "BTO5-LCO (5 at% BaTiO3)"]  # sorted by coating
    for row, sid in zip(rows, ("LCO", "BTO5-LCO")):
        contact = sections[(sid, "eds")].result.contact
        assert float(row[2]) == pytest.approx(contact.contact_fraction, abs=5e-4)
        assert row[5].startswith("≤ ")
        assert section.summary[f"{sid}_SEM-EDS_contact_fraction_min"] == contact.contact_fraction_range[0]
    assert (folder / "report" / section.figures[0].filename).exists()
    assert comparison_builder("eds")(items[:1], folder / "report", "one-") is None


def _manifest(folder, technique, file, parameters=None):
    path = folder / f"study-{technique}.toml"
    import tomli_w

    path.write_text(tomli_w.dumps({
        "study": {"name": "wrong file"}, "samples": [SAMPLES["LCO"].to_dict()],
        "measurements": [{"sample": "LCO", "technique": technique, "file": file, "label": "m1",
                          "parameters": parameters or {}}]}))
    return path


@pytest.mark.parametrize(("technique", "file", "expected"), [
    ("eds", "eds/LCO_sem_bse.tif", "holds no EDS datasets"),
    ("image", "eds/LCO_map.hspy", "holds no 2-D electron images"),
])
def test_a_wrong_file_is_refused_at_validate_time(demo, technique, file, expected):
    folder, _, _ = demo
    with pytest.raises(MetadataError) as info:
        ssbkit.Study.load(_manifest(folder, technique, file), read_files=True)
    text = str(info.value)
    assert "(m1, sample LCO, " + technique + "): key 'file': cannot be analysed: FormatError" in text
    assert file.split("/")[-1] in text and expected in text
    ssbkit.Study.load(_manifest(folder, technique, file))  # without reading files the manifest itself is fine


def test_a_line_outside_the_spectrum_is_refused_at_validate_time(demo):
    folder, _, _ = demo
    path = _manifest(folder, "eds", "eds/LCO_map.hspy", {"cathode_line": "Ba_Ka"})
    with pytest.raises(MetadataError, match=r"parameter 'cathode_line': Ba_Ka at 32\.\d+ keV lies outside"):
        ssbkit.Study.load(path, read_files=True)


@pytest.mark.parametrize(("formula", "line"), [
    ("LiCoO2", "Co_Ka"), ("Li6PS5Cl", "S_Ka"), ("LiNi0.8Co0.1Mn0.1O2", "Ni_Ka"),
    ("Li7La3Zr2O12", "La_La"),  # La (3 per formula) outnumbers Zr (2); La Kα at 33 keV is too high
    ("Li2O", None), ("not a formula", None), (None, None),
])
def test_default_line_per_material(formula, line):
    assert eds_section._line_of(formula) == line


def test_parameter_problems_name_their_keys(demo):
    folder, tables, _ = demo
    spec = section_spec("eds")
    files = (folder / "eds/LCO_map.hspy",)
    _, _, problems = spec.problems({"cathode_formula": "LiNiO2"}, SAMPLES["LCO"], files)
    assert len(problems) == 1 and "parameter 'cathode_density_g_cm3' [g/cm³] is required" in problems[0]
    assert spec.problems({"cathode_formula": "LiNiO2", "specimen": "thin"}, SAMPLES["LCO"], files)[2] == []
    _, _, problems = spec.problems({"cathode_line": "S_Ka"}, SAMPLES["LCO"], files)
    assert "parameters 'cathode_line' and 'electrolyte_line': both are 'S_Ka'" in problems[0]
    _, _, problems = spec.problems({"cathode_line": "Co_Kz"}, SAMPLES["LCO"], files)
    assert problems[0].startswith("parameter 'cathode_line': X-ray line 'Co_Kz'")
    _, _, problems = spec.problems({"threshold": 0.8}, SAMPLES["LCO"], files)
    assert "parameters 'threshold' and 'threshold_span'" in problems[0]


def test_a_single_spectrum_gives_line_intensities_and_no_contact(tmp_path):
    """A spectrum file: the section passes it to eds.line_intensity unchanged (same numbers)."""
    truth = demo_eds.interface_truth("LCO", seed=SEED)
    spectrum = eds.EDSData(truth.data.sum_spectrum(), truth.data.energy_kev, beam_energy_kev=15.0,
                           elements=truth.data.elements, microscope="SEM")
    eds.write_eds(tmp_path / "spot.hspy", spectrum)
    table = {"sample": "LCO", "technique": "eds", "file": "spot.hspy", "label": "spot"}
    section = section_builder("eds")(demo_section_input(tmp_path, table, tmp_path))
    direct = eds.line_intensity(spectrum, ["Co_Ka", "S_Ka"], warn=False)
    assert section.result.contact is None and section.status == "ok"
    assert section.summary["Co_Ka_net_counts"] == pytest.approx(float(np.sum(direct.map("Co_Ka"))), rel=1e-12)
    assert section.headline[0].value == "n/a (single spectrum)"
