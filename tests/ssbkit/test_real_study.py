"""A study of real instrument files from ../shared/data with no optional parameters (issue 13).

Run as a user would: a manifest naming the files, ``Study.load`` and
``analyze``; the sample model supplies what the sections need.
"""

from __future__ import annotations

import re
import textwrap
import warnings

import numpy as np
import pytest

import echem
import xrd
import ssbkit
from ssbkit.errors import FormatError

SAMPLE = """
[study]
name = "real files"

[[samples]]
id = "cell"
cathode = {material = "LiCoO2"}
cell = {kind = "coin", diameter_cm = 1.0}
"""


def _manifest(tmp_path, sample: str, measurements: list[tuple[str, str, dict]]):
    lines = [sample]
    for k, (technique, path, params) in enumerate(measurements):
        lines.append(f'[[measurements]]\nsample = "{sample_id(sample)}"\ntechnique = "{technique}"\n'
                     f'file = "{path}"\nlabel = "m{k}"\n')
        if params:
            lines.append("[measurements.parameters]\n" + "".join(f"{key} = {value}\n" for key, value in params.items()))
    path = tmp_path / "study.toml"
    path.write_text(textwrap.dedent("\n".join(lines)))
    return path


def sample_id(sample: str) -> str:
    return sample.split('id = "')[1].split('"')[0]


def _accepted_cycler_files(folder):
    files = []
    for path in sorted(folder.iterdir()):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                echem.read_cycling(path)
        except FormatError:
            continue
        files.append(path)
    return files


def test_every_accepted_cycler_file_gives_a_section(tmp_path, shared_data):
    """Acceptance: no cycling section of a file the reader accepts fails (cycle 1 need not be complete)."""
    files = _accepted_cycler_files(shared_data / "echem/cycling")
    assert len(files) >= 30  # the folder holds 40 files; its INDEX lists the ones the readers refuse
    manifest = _manifest(tmp_path, SAMPLE, [("cycling", path, {}) for path in files])
    results = ssbkit.analyze(ssbkit.Study.load(manifest), figure_dir=tmp_path / "report", progress=False)
    failed = [(r.measurement.files[0].path.name, r.section.error) for r in results.results if r.failed]
    assert failed == []
    statuses = {r.measurement.files[0].path.name: r.section for r in results.results}
    # a file opening with a half cycle is counted from its first complete cycle, and the page says so
    gcpl = statuses["yadg__gcpl.mpr"]
    assert gcpl.summary["reference_cycle"] == 2 and gcpl.parameters["reference_cycle"] == 2
    assert gcpl.origins["reference_cycle"] == "default (first complete cycle)"
    assert any("first complete cycle" in reason for reason in gcpl.reasons)
    # a file without any complete cycle is analysed, its retention said to be undetermined
    cp = statuses["yadg__cp.mpr"]
    assert cp.status == "warning" and "no complete cycle" in " ".join(cp.reasons)


def test_a_specific_capacity_above_the_theoretical_one_is_flagged(tmp_path, shared_data):
    """1 mg of LiCoO2 (274 mAh/g by Faraday's law) cannot hold the Arbin cell's capacity: a mass mistake."""
    sample = SAMPLE.replace('cathode = {material = "LiCoO2"}', 'cathode = {material = "LiCoO2", active_mass_mg = 0.001}')
    path = shared_data / "echem/cycling/navani__arbin_example.res"
    results = ssbkit.analyze(ssbkit.Study.load(_manifest(tmp_path, sample, [("cycling", path, {})])),
                             figure_dir=tmp_path / "r", progress=False)
    section = results.results[0].section
    assert section.status == "warning"
    assert "exceeds the material's theoretical capacity 273.8 mAh/g" in " ".join(section.reasons)
    assert section.origins["theoretical_capacity_mah_g"] == "sample"
    assert "warning" in results.summary_table()["status"].tolist()


def test_theoretical_capacity_is_faradays_law():
    # Q = n F / (3.6 M): LiCoO2 M = 97.87 g/mol, n = 1 -> 273.8 mAh/g; LiFePO4 M = 157.76 -> 169.9 mAh/g;
    # Li2MnO3 with one electron, M = 116.82 -> 229.4 mAh/g
    assert echem.theoretical_capacity_mah_g("LiCoO2") == pytest.approx(273.8, abs=0.1)
    assert echem.theoretical_capacity_mah_g("LiFePO4") == pytest.approx(169.9, abs=0.1)
    assert echem.theoretical_capacity_mah_g("Li2MnO3", electrons_per_formula=1) == pytest.approx(229.4, abs=0.1)
    with pytest.raises(ValueError, match="no Li"):
        echem.theoretical_capacity_mah_g("Co3O4")


def _demo_manifest(tmp_path, modules, samples, edit=lambda table: table):
    """A manifest of the demo generators' files for ``samples``, each table passed through ``edit``."""
    import tomli_w

    tables = [edit(dict(t)) for module in modules for t in module.generate(tmp_path, seed=1)
              if t["sample"] in {s.id for s in samples}]
    manifest = {"study": {"name": "demo subset"}, "samples": [s.to_dict() for s in samples], "measurements": tables}
    path = tmp_path / "study.toml"
    path.write_text(tomli_w.dumps(manifest))
    return path


def test_dpc_thickness_comes_from_the_eels_of_the_same_sample(tmp_path):
    """The cross-technique link: a DPC series without thickness_nm uses the EELS log-ratio thickness."""
    from ssbkit.demo.generators import dpc, eels
    from ssbkit.demo.samples import DEMO_SAMPLES

    def drop_thickness(table):
        if table["technique"] == "dpc":
            table["parameters"] = {k: v for k, v in table["parameters"].items() if k != "thickness_nm"}
        return table

    lco = [s for s in DEMO_SAMPLES if s.id == "LCO"]
    study = ssbkit.Study.load(_demo_manifest(tmp_path, (dpc, eels), lco, drop_thickness), read_files=True)
    dpc_measurement = study.measurements(technique="dpc")[0]
    _, origins = study.parameters(dpc_measurement)
    assert origins["thickness_nm"] == "measurement (eels of the same sample)"
    results = ssbkit.analyze(study, figure_dir=tmp_path / "r", progress=False)
    by_technique = {r.measurement.technique: r.section for r in results.results}
    assert results.failed == ()
    thickness = by_technique["eels"].summary["thickness_nm"]
    assert by_technique["dpc"].parameters["thickness_nm"] == thickness
    assert by_technique["dpc"].origins["thickness_nm"].startswith("measurement LCO")
    assert "eels thickness_nm" in by_technique["dpc"].origins["thickness_nm"]


def test_a_dpc_series_without_thickness_or_eels_is_refused_at_load(tmp_path):
    from ssbkit.demo.generators import dpc
    from ssbkit.demo.samples import DEMO_SAMPLES
    from ssbkit.errors import MetadataError

    def drop_thickness(table):
        table["parameters"] = {k: v for k, v in table["parameters"].items() if k != "thickness_nm"}
        return table

    lco = [s for s in DEMO_SAMPLES if s.id == "LCO"]
    with pytest.raises(MetadataError, match="'thickness_nm' \\[nm\\] is required .*or add a measurement of technique 'eels'"):
        ssbkit.Study.load(_demo_manifest(tmp_path, (dpc,), lco, drop_thickness))


def test_comparison_of_another_coating_material_takes_its_labels_from_the_samples(tmp_path):
    """A generated LiNbO3 (wt%) series: no BaTiO3 or at% label from the reference study anywhere."""
    from ssbkit.demo.generators import cycling, xas
    from ssbkit.demo.samples import DEMO_SAMPLES
    from ssbkit.sample import Sample

    samples = []
    for s in DEMO_SAMPLES:
        data = s.to_dict()
        if data.get("coating"):
            data["coating"] = {"material": "LiNbO3", "amount": data["coating"]["amount"], "unit": "wt%"}
        samples.append(Sample.from_dict(data))
    results = ssbkit.analyze(ssbkit.Study.load(_demo_manifest(tmp_path, (cycling, xas), samples)),
                             figure_dir=tmp_path / "r", progress=False)
    assert results.failed == ()
    ssbkit.write_report(results, tmp_path / "r")
    page = (tmp_path / "r" / "comparison.html").read_text()
    assert "LiNbO3" in page and "BaTiO3" not in page and "at%" not in page
    cycling_page = next(sec for _, sec in results.compare("cycling"))
    labels = [row[0] for row in cycling_page.tables[0].rows]
    assert labels[0] == "LCO (no coating)" and "BTO5-LCO (5 wt% LiNbO3)" in labels


def test_half_cycles_paired_the_wrong_way_are_flagged(shared_data):
    """navani's Neware test file gives 1006 % coulombic efficiency when paired charge-first: flagged."""
    data = echem.read_cycling(shared_data / "echem/cycling/navani__test.nda")
    result = echem.analyze_cycling(data)
    assert result.status == "warning"
    assert any("coulombic efficiency above 105 %" in reason for reason in result.quality_reasons)


def test_series_compares_the_same_cycle_count_and_pools_replicates(shared_data):
    """Two cells of 14 and fewer cycles are compared after the smaller count; a replicate pair gets a std."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        long = echem.analyze_cycling(echem.read_cycling(shared_data / "echem/cycling/yadg__gcpl.mpr"))
        short = echem.analyze_cycling(echem.read_cycling(shared_data / "echem/cycling/cellpy__maccor_001.txt"))
    k = min(a.fade.last_cycle - a.fade.reference_cycle for a in (long, short))
    assert long.fade.last_cycle - long.fade.reference_cycle == 14 and k < 14
    series = echem.cycling_series([long, short, long], ["A", "B", "A"])
    assert series.cycles_compared == k
    assert series.groups == ("A", "B") and list(series.n_replicates) == [2, 1]
    at_k = 100 * long.fade.retention_curve[list(long.fade.cycles).index(long.fade.reference_cycle + k)]
    assert series.retention_pct[0] == pytest.approx(at_k)
    assert series.retention_pct_std[0] == pytest.approx(0.0)  # identical replicates
    assert np.isnan(series.retention_pct_std[1])  # one cell: no spread, not a zero


def test_xrd_searches_the_samples_own_chemistry(tmp_path, shared_data):
    """XERUS LiMn2O4 + Li2MnO3 (weighed mixture) in a sample whose cathode is LiMn2O4, no parameters:
    the search is the sample's elements plus C, H, O, so no foreign phase (the old default said LiCoO2)."""
    from pymatgen.core import Composition

    sample = SAMPLE.replace('cathode = {material = "LiCoO2"}', 'cathode = {material = "LiMn2O4"}')
    path = shared_data / "xrd/xerus_limno_bench/LiMn2O4+Li2MnO3_parsed.csv"
    study = ssbkit.Study.load(_manifest(tmp_path, sample, [("xrd", path, {})]))
    values, origins = study.parameters(study.all_measurements[0])
    assert values["elements"] == ["C", "H", "Li", "Mn", "O"] and origins["elements"] == "sample"
    section = ssbkit.analyze(study, figure_dir=tmp_path / "r", progress=False).results[0].section
    assert section.error is None
    found = {el.symbol for phase in section.result.phases for el in Composition(phase.formula)}
    assert found <= {"C", "H", "Li", "Mn", "O"}
    assert "Li2MnO3" in section.result.formulas and len(section.result.phases) == 2


def test_xrd_section_names_the_candidates_the_pattern_cannot_tell_apart(tmp_path, shared_data):
    """Dara V2O5/NiO (weighed 40.05/60.16 wt%) with rock-salt NiO (AMCSD 17028) and TiO (AMCSD 11427) named:
    they share every peak position (xrd test_isostructural_candidates_the_pattern_cannot_tell_apart_are_flagged),
    so the section's quantities and figure title carry both names, and the orthorhombic V2O5 (AMCSD 13890,
    a 11.51, b 4.37, c 3.56 A) all three cell lengths."""
    sample = SAMPLE.replace('cathode = {material = "LiCoO2"}', 'cathode = {material = "V2O5"}')
    path = shared_data / "xrd/dara_precursor_mixture/V2O5_0p4005-NiO_0p6016--2min.xrdml"
    params = {"candidates": '["amcsd:13890", "amcsd:17028", "amcsd:11427"]'}
    study = ssbkit.Study.load(_manifest(tmp_path, sample, [("xrd", path, params)]))
    section = ssbkit.analyze(study, figure_dir=tmp_path / "r", progress=False).results[0].section
    assert section.error is None and section.status == "warning"
    names = {q.name: q for q in section.quantities}
    pair = next(name for name in names if name.endswith(" weight fraction") and " / " in name)
    assert set(pair.removesuffix(" weight fraction").split(" / ")) == {"NiO", "TiO"}
    assert {"V2O5 a", "V2O5 b", "V2O5 c"} <= set(names)
    assert names["V2O5 b"].value == pytest.approx(4.37, abs=0.03)


def test_xrd_from_a_folder_of_lab_cards(tmp_path, shared_data):
    """Dara's weighed V2O5 + NiO mixture, in a sample whose model names only V2O5, matched against a folder
    of stick-list cards (written from the AMCSD structures of the two phases, each with a lab number); a
    'cards' entry that does not exist is a manifest problem named at load."""
    pattern_path = shared_data / "xrd/dara_precursor_mixture/V2O5_0p4005-NiO_0p6016--2min.xrdml"
    pattern = xrd.read_pattern(pattern_path)
    structures, _ = xrd.candidates_for_materials(["V2O5", "NiO"])
    folder = tmp_path / "cards"
    folder.mkdir()
    for k, candidate in enumerate(structures):
        ref = xrd.reference_pattern(candidate, wavelength_angstrom=pattern.wavelength_angstrom,
                                    two_theta_range=(5, 90))
        card = xrd.write_card(ref, folder / f"{k:03d}.card")
        card.write_text(re.sub(r"^# card:.*$", f"# card: LAB-{k:03d}", card.read_text(), count=1, flags=re.M))
    sample = SAMPLE.replace('cathode = {material = "LiCoO2"}', 'cathode = {material = "V2O5"}')
    manifest = _manifest(tmp_path, sample, [("xrd", pattern_path, {"candidates": f'["{folder}"]'})])
    study = ssbkit.Study.load(manifest, read_files=True)
    results = ssbkit.analyze(study, figure_dir=tmp_path / "r", progress=False)
    section = results.results[0].section
    assert section.error is None, section.error
    assert sorted(section.result.formulas) == ["NiO", "V2O5"]  # the weighed phases (file name)
    assert all(phase.card.startswith("LAB-") for phase in section.result.phases)
    # named candidates are not cut to the sample's elements (V, O, C, H), but a phase outside them is said
    assert section.status == "warning" and any("NiO" in r and "Ni" in r for r in section.reasons)
    # the identification's own verdict ('ok') is a summary number beside the section's status, not over it
    row = results.summary_table().iloc[0]
    assert (row["status"], row["summary_status"]) == ("warning", section.result.status) == ("warning", "ok")
    bad = _manifest(tmp_path, sample, [("xrd", pattern_path, {"cards": '["no-such-folder"]'})])
    with pytest.raises(ssbkit.errors.MetadataError, match="parameter 'cards'.*no-such-folder"):
        ssbkit.Study.load(bad)


def test_headline_of_a_record_starting_mid_cycle_gives_no_first_cycle_capacity(tmp_path, shared_data):
    """yadg's gcpl.mpr opens with a discharge only (cycle 1 incomplete: charge capacity 0 in the file): the
    overview's "1st-cycle" capacities say n/a with the reason instead of a bare 0."""
    path = shared_data / "echem/cycling/yadg__gcpl.mpr"
    sample = SAMPLE.replace('cathode = {material = "LiCoO2"}', 'cathode = {material = "LiMn2O4", active_mass_mg = 8.0}')
    study = ssbkit.Study.load(_manifest(tmp_path, sample, [("cycling", path, {})]))
    section = ssbkit.analyze(study, figure_dir=tmp_path / "r", progress=False).results[0].section
    assert not section.summary["first_cycle_complete"]
    headline = {q.name: q.value for q in section.headline}
    assert headline["1st-cycle charge capacity"] == headline["1st-cycle discharge capacity"] == \
        f"n/a (cycle {section.summary['first_cycle']} incomplete)"


def test_a_conductivity_no_solid_electrolyte_reaches_is_flagged(tmp_path, shared_data):
    """impedance.py's example spectrum is of a Li-ion cell, not a pellet: read as a 0.06 cm x 0.785 cm2 pellet
    its series resistance (~0.03 ohm) gives sigma of several S/cm, over 100 times the best solid Li-ion
    conductor (0.025 S/cm, Kato et al. 2016) -- said, not reported as a conductivity."""
    sample = SAMPLE.replace('cell = {kind = "coin", diameter_cm = 1.0}',
                            'cell = {kind = "assb-pellet", diameter_cm = 1.0, thickness_cm = 0.06}')
    path = shared_data / "echem/eis/impedancepy__exampleData.csv"
    study = ssbkit.Study.load(_manifest(tmp_path, sample, [("eis", path, {})]))
    section = ssbkit.analyze(study, figure_dir=tmp_path / "r", progress=False).results[0].section
    assert section.summary["sigma_s_per_cm"] > 0.05
    assert section.status == "warning" and any("above any known solid Li-ion conductor" in r for r in section.reasons)


def test_a_comparison_carries_the_warnings_of_what_it_compares(tmp_path, shared_data):
    """Two pellets of a coating series, one of them impedance.py's Li-ion-cell example (an implausible
    conductivity, a circuit that misses the data): the conductivity comparison is a warning naming it."""
    eis = shared_data / "echem/eis"
    manifest = tmp_path / "study.toml"
    pellet = 'electrolyte = {material = "Li6PS5Cl"}\ncell = {kind = "assb-pellet", diameter_cm = 1.0, thickness_cm = 0.06}'
    manifest.write_text(textwrap.dedent(f"""
        [study]
        name = "series"
        [[samples]]
        id = "bare"
        cathode = {{material = "LiCoO2"}}
        {pellet}
        [[samples]]
        id = "coated"
        cathode = {{material = "LiCoO2"}}
        coating = {{material = "BaTiO3", amount = 5, unit = "at%"}}
        {pellet}
        [[measurements]]
        sample = "bare"
        technique = "eis"
        file = "{eis / 'pyimpspec__data.dta'}"
        label = "bare-eis"
        [[measurements]]
        sample = "coated"
        technique = "eis"
        file = "{eis / 'impedancepy__exampleData.csv'}"
        label = "coated-eis"
        """))
    results = ssbkit.analyze(ssbkit.Study.load(manifest), figure_dir=tmp_path / "r", progress=False)
    ((_, section),) = results.compare("eis")
    assert section.status == "warning"
    assert any(r.startswith("coated-eis (coated) carries a warning") for r in section.reasons)


def test_xrd_weight_fractions_of_a_round_robin_mixture(tmp_path, shared_data):
    """IUCr CPD round-robin sample 1e (weighed 55.12 / 15.25 / 29.62 wt% corundum / zincite / fluorite,
    Madsen et al. 2001; graphite diffracted-beam monochromator) through a manifest: every phase within
    1.5 wt% (the search's own fractions put zincite 3.4 wt% low)."""
    sample = SAMPLE.replace('cathode = {material = "LiCoO2"}', 'cathode = {material = "Al2O3"}')
    path = shared_data / "xrd/iucr_cpd_qarr/cpd-1e.prn"
    params = {"candidates": '["amcsd:9325", "amcsd:5203", "amcsd:8645"]', "monochromator_two_theta_deg": 26.6}
    study = ssbkit.Study.load(_manifest(tmp_path, sample, [("xrd", path, params)]))
    section = ssbkit.analyze(study, figure_dir=tmp_path / "r", progress=False).results[0].section
    weighed = {"Al2O3": 55.12, "ZnO": 15.25, "CaF2": 29.62}
    found = {p.formula: 100 * p.weight_fraction for p in section.result.phases}
    assert found.keys() == weighed.keys()
    assert all(abs(found[f] - weighed[f]) <= 1.5 for f in weighed), found
    assert section.summary["wfrac_ZnO_pct"] == pytest.approx(found["ZnO"])  # the page's numbers are these


def test_a_lab_card_labels_the_non_stoichiometric_entry_found(tmp_path, shared_data):
    """XERUS LiMn2O4 + Li2MnO3: the structure search finds spinel as an AMCSD Li-rich entry
    (Li9.584Mn14.416O31.776, Fd-3m); a hand-written LiMn2O4 card (Fd-3m, a = 8.247 A) names it."""
    cards = tmp_path / "cards"
    cards.mkdir()
    (cards / "lmo.card").write_text(
        "# formula: LiMn2O4\n# card: PDF#35-0782\n# space_group: Fd-3m\n# cell: 8.247 8.247 8.247 90 90 90\n"
        "d_angstrom, intensity, h, k, l\n4.7616, 100, 1, 1, 1\n2.4862, 45, 3, 1, 1\n2.0617, 40, 4, 0, 0\n")
    sample = SAMPLE.replace('cathode = {material = "LiCoO2"}', 'cathode = {material = "LiMn2O4"}')
    path = shared_data / "xrd/xerus_limno_bench/LiMn2O4+Li2MnO3_parsed.csv"
    study = ssbkit.Study.load(_manifest(tmp_path, sample, [("xrd", path, {"cards": f'["{cards}"]'})]))
    section = ssbkit.analyze(study, figure_dir=tmp_path / "r", progress=False).results[0].section
    spinel = [p for p in section.result.phases if p.space_group == "Fd-3m"]
    assert len(spinel) == 1 and spinel[0].card == "PDF#35-0782"
    assert all(p.card != "PDF#35-0782" for p in section.result.phases if p.space_group != "Fd-3m")


def test_a_warning_repeating_a_reason_is_listed_once(tmp_path, shared_data):
    """Dara In2O3 30.22 / La(OH)3 50.14 / TiO2 20.04 wt%: La(OH)3 has no AMCSD entry and anatase's refined cell
    comes out ~3 % off its reference (xrd test_dara_mixture_with_missing_reference_reports_unexplained_peaks).
    identify_phases warns of it ("<file>: <reason>") and its verdict gives the same reason: the section lists it
    once (other warnings are still listed: test_demo's test_analysis_warnings_are_shown_on_the_page)."""
    sample = SAMPLE.replace('cathode = {material = "LiCoO2"}',
                            'cathode = {material = "In2O3"}\ncoating = {material = "TiO2", amount = 20, unit = "wt%"}')
    path = shared_data / "xrd/dara_precursor_mixture/In2O3_0p3022-La(OH)3_0p5014-TiO2_0p2004--2min.xrdml"
    study = ssbkit.Study.load(_manifest(tmp_path, sample, [("xrd", path, {})]))
    section = ssbkit.analyze(study, figure_dir=tmp_path / "r", progress=False).results[0].section
    strained = [r for r in section.reasons if "differs from its reference" in r]
    assert len(strained) == 1 and strained[0].startswith("the refined cell of TiO2")
    assert section.status in ("warning", "poor")
