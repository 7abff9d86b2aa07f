"""The demo generator and the report section: files readable, truths recovered, figures written."""

from __future__ import annotations

import numpy as np
import pytest

import eels
from eels.synthetic import low_loss_spectrum
from ssbkit.demo.generators import eels as demo_eels
from ssbkit.demo import demo_section_input
from ssbkit.demo.samples import DEMO_SAMPLES
from ssbkit.report.registry import comparison_builder, section_builder


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    directory = tmp_path_factory.mktemp("demo")
    return directory, demo_eels.generate(directory, seed=0)


def _build(directory, measurement, figure_dir):
    return section_builder("eels")(demo_section_input(directory, measurement, figure_dir))


def test_generate_is_deterministic(demo, tmp_path):
    directory, measurements = demo
    again = demo_eels.generate(tmp_path, seed=0)
    assert again == measurements
    for m in measurements:
        for f in m["file"]:
            assert (tmp_path / f).read_bytes() == (directory / f).read_bytes()
    assert {m["sample"] for m in measurements} == {"LCO", "BTO5-LCO"}


def test_build_recovers_demo_truth(demo, tmp_path):
    directory, measurements = demo
    sections = {}
    for m in measurements:
        section = _build(directory, m, tmp_path)
        sections[m["sample"]] = section
        s = section.summary
        # truth: the study's lamellae, 131 nm (LCO) and 270 nm (BTO5-LCO),
        # t/λ = t / λ_Malis(LiCoO2, 200 keV, 15 mrad) = 1.12 and 2.30
        assert s["t_over_lambda"] == pytest.approx(demo_eels.true_t_over_lambda(m["sample"]), rel=0.02)
        assert s["thickness_nm"] == pytest.approx(demo_eels.LAMELLA_THICKNESS_NM[m["sample"]], rel=0.02)
        assert 0 < s["thickness_err_nm"] < 0.3 * s["thickness_nm"]
        assert s["mfp_nm"] == pytest.approx(
            eels.mean_free_path(beam_energy_kev=200, collection_semiangle_mrad=demo_eels.COLLECTION_MRAD, composition="LiCoO2")
        )
        for fig in section.figures:
            assert (tmp_path / fig.filename).stat().st_size > 0
    # truth: Co diffuses 3 nm into the bare sample's electrolyte (erfc, 90-10 width 2·1.2816·√2·3 ≈ 10.9 nm)
    # but is only blurred by the 0.8 nm probe in the coated one (≈ 2.1 nm)
    bare = sections["LCO"].summary["co_l23_width_90_10_nm"]
    coated = sections["BTO5-LCO"].summary["co_l23_width_90_10_nm"]
    assert bare == pytest.approx(10.9, rel=0.25)
    assert coated < 0.5 * bare
    # the coated sample has Ba M4,5 under Co L2,3: the section shows the warning and its remedies
    captions = [t.caption for t in sections["BTO5-LCO"].tables]
    assert "Edge overlap warnings and remedies" in captions
    # the comparison page overlays both samples
    pairs = [(next(s for s in DEMO_SAMPLES if s.id == sid), sec) for sid, sec in sections.items()]
    comparison = comparison_builder("eels")(pairs, tmp_path, "cmp_")
    assert (tmp_path / comparison.figures[0].filename).is_file()
    assert comparison.summary["LCO_thickness_nm"] == pytest.approx(131.0, rel=0.02)


def test_missing_calibration_fails_the_section(demo, tmp_path):
    """A low-loss file without E0 and β is refused naming the manifest keys (also at validate time)."""
    from ssbkit.errors import MetadataError

    directory, measurements = demo
    energy = np.arange(-5.0, 100.0, 0.1)
    counts = low_loss_spectrum(energy, t_over_lambda=0.5, total_counts=1e5)
    from rsciio import msa

    path = tmp_path / "bare.msa"
    msa.file_writer(str(path), {
        "data": counts,
        "axes": [{"name": "E", "units": "eV", "scale": 0.1, "offset": -5.0, "size": energy.size, "navigate": False}],
        "metadata": {"General": {"title": "no calibration"}, "Signal": {"signal_type": "EELS"}},
        "original_metadata": {},
    })
    m = {"sample": "LCO", "label": "uncalibrated", "parameters": {}, "file": [path.name]}
    with pytest.raises(MetadataError, match="'beam_energy_kev' \\[keV\\] and 'collection_semiangle_mrad' \\[mrad\\]"):
        _build(tmp_path, m, tmp_path)
