"""Demo generator + report sections "cycling" and "iv": every generated measurement builds,
and the numbers come back to the generator's known truth (ssbkit.demo.generators.cycling)."""

from __future__ import annotations

import numpy as np
import pytest

from ssbkit.demo.generators import cycling as generator
from ssbkit.demo import demo_section_input
from ssbkit.demo.samples import DEMO_SAMPLES
from ssbkit.report.registry import comparison_builder, section_builder
from ssbkit.report.sections import cycling as cycling_section
from ssbkit.report.sections import iv as iv_section

BUILDERS = {"cycling": cycling_section, "iv": iv_section}

SAMPLES = {s.id: s for s in DEMO_SAMPLES}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    figures = tmp_path_factory.mktemp("report")
    measurements = generator.generate(root, seed=7)
    sections = []
    for m in measurements:
        inp = demo_section_input(root, m, figures)
        sections.append((m, BUILDERS[m["technique"]].build(inp)))
    return measurements, sections, figures


def test_generate_is_deterministic(tmp_path):
    a = generator.generate(tmp_path / "a", seed=3)
    b = generator.generate(tmp_path / "b", seed=3)
    assert a == b
    for m in a:
        assert (tmp_path / "a" / m["file"]).read_bytes() == (tmp_path / "b" / m["file"]).read_bytes()
    labels = [m["label"] for m in a]
    assert len(set(labels)) == len(labels)
    assert {m["sample"] for m in a if m["technique"] == "iv"} == {"LCO", "BTO5-LCO"}


def test_cycling_sections_recover_the_generator_truth(built):
    _measurements, sections, figures = built
    for m, section in sections:
        if m["technique"] != "cycling":
            continue
        truth = generator.CYCLING_TRUTH[m["sample"]]
        charge, discharge = generator.truth_capacities(m["sample"])
        s = section.summary
        # capacities carry 0.2 % generator jitter (1 sigma): allow 1 %
        assert s["first_charge_capacity_mah_g"] == pytest.approx(charge[0], rel=0.01)
        assert s["first_discharge_capacity_mah_g"] == pytest.approx(discharge[0], rel=0.01)
        assert s["first_coulombic_efficiency_pct"] == pytest.approx(100 * truth["ce1"], abs=0.6)
        assert s["fade_per_cycle_pct"] == pytest.approx(truth["fade_pct"], abs=0.02)
        assert s["retention_pct"] == pytest.approx(100 * discharge[-1] / discharge[1], abs=1.5)
        assert 130 <= s["first_discharge_capacity_mah_g"] <= 150
        for figure in section.figures:
            assert (figures / figure.filename).stat().st_size > 1000
        # dQ/dV main charge peak at the LiCoO2 3.93 V feature plus the ohmic shift I R (cycle 2, 0.2 C)
        eta = 0.2 * 140 * 10 / 1000 * 1e-3 * truth["r_ohm"] * (1 + truth["r_growth"])
        assert section.result.dqdv.summary()["charge_main_peak_v"] == pytest.approx(3.93 + eta, abs=0.01)


def test_iv_sections_recover_onset_and_hysteresis(built):
    _measurements, sections, _ = built
    for m, section in sections:
        if m["technique"] != "iv":
            continue
        p = generator.IV_TRUTH[m["sample"]]
        threshold = m["parameters"]["onset_current_a"]
        # analytic onset: I_dc(V) = threshold  ->  V = n V_t ln(1 + I/I0) + I R_s
        vt = 1.380649e-23 * 298.15 / 1.602176634e-19
        onset = p["ideality"] * vt * np.log1p(threshold / p["i0_a"]) + threshold * p["rs_ohm"]
        assert section.summary["onset_voltage_v"] == pytest.approx(onset, abs=0.02)
        # capacitive hysteresis: |I_up - I_down| = 2 C dV/dt
        assert section.summary["hysteresis_current_a"] == pytest.approx(
            2 * p["c_f"] * generator.IV_SWEEP_RATE_V_S, rel=0.1
        )


def test_coated_sample_beats_bare_and_comparisons_build(built, tmp_path):
    _measurements, sections, _ = built
    by_tech = {}
    for m, section in sections:
        by_tech.setdefault(m["technique"], []).append((SAMPLES[m["sample"]], section))
    cyc = cycling_section.compare(by_tech["cycling"], tmp_path, "cmp_")
    assert cyc.summary["BTO5-LCO_retention_pct"] > cyc.summary["LCO_retention_pct"]
    assert cyc.summary["LCO_fade_per_cycle_pct"] > cyc.summary["BTO5-LCO_fade_per_cycle_pct"]
    assert len(cyc.figures) == 4 and all((tmp_path / f.filename).is_file() for f in cyc.figures)
    iv = iv_section.compare(by_tech["iv"], tmp_path, "cmp_")
    assert iv.summary["BTO5-LCO_onset_voltage_v"] < iv.summary["LCO_onset_voltage_v"]
    assert cycling_section.compare(by_tech["cycling"][:1], tmp_path, "one_") is None


def test_sections_are_registered():
    assert section_builder("cycling") is cycling_section.build
    assert section_builder("iv") is iv_section.build
    assert comparison_builder("cycling") is cycling_section.compare
    assert comparison_builder("iv") is iv_section.compare
