"""The demo's low-loss spectra follow the reference study's lamellae (issue 15), read back through the public API."""

from __future__ import annotations

import warnings

import pytest

import eels
from ssbkit.demo.generators import eels as demo_eels


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    directory = tmp_path_factory.mktemp("demo_lamellae")
    return directory, demo_eels.generate(directory, seed=0)


def test_study_lambda_and_thickness_ratio():
    # the study: λ ≈ 117.4 nm, t/λ ≈ 1.1 and 2.3 for 131 and 270 nm; Malis λ(LiCoO2, 200 keV, 15 mrad) = 117.3 nm
    mfp = eels.mean_free_path(beam_energy_kev=200, collection_semiangle_mrad=demo_eels.COLLECTION_MRAD, composition="LiCoO2")
    assert mfp == pytest.approx(117.4, abs=0.5)
    assert demo_eels.LAMELLA_THICKNESS_NM == {"LCO": 131.0, "BTO5-LCO": 270.0}


@pytest.mark.parametrize("sample, tau", [("LCO", 1.116), ("BTO5-LCO", 2.301)])
def test_log_ratio_and_kramers_kronig_recover_the_lamella(demo, sample, tau):
    directory, measurements = demo
    m = next(x for x in measurements if x["sample"] == sample)
    assert demo_eels.true_t_over_lambda(sample) == pytest.approx(tau, abs=0.001)
    data = eels.read_eels(directory / m["file"][0])
    with warnings.catch_warnings():
        warnings.simplefilter("error", eels.ThicknessWarning)  # neither lamella is beyond the method's range
        log_ratio = eels.thickness(data, composition="LiCoO2")
    truth = demo_eels.LAMELLA_THICKNESS_NM[sample]
    # measured (this commit): LCO 130.8 nm, BTO5-LCO 269.6 nm
    assert float(log_ratio.thickness_nm) == pytest.approx(truth, rel=0.02)
    assert log_ratio.quality == "ok"
    # the Drude plasmon of the demo has the Malis λ, so the sum rule (metal) gives the same thickness:
    # measured 131.3 and 268.0 nm, ratio to the log-ratio 1.004 and 0.994
    kk = eels.kramers_kronig_thickness(data, metal=True)
    assert float(kk.thickness_nm) == pytest.approx(truth, rel=0.02)
    assert kk.compare(log_ratio)["kk_over_log_ratio"] == pytest.approx(1.0, abs=0.02)


def test_coated_lamella_axis_is_uncalibrated(demo):
    # truth: the BTO5-LCO zero-loss peak was put at -1.8 eV; its 270 nm plural scattering is not taken for it
    directory, measurements = demo
    m = next(x for x in measurements if x["sample"] == "BTO5-LCO")
    data = eels.read_eels(directory / m["file"][0])
    assert float(eels.zero_loss_position(data)) == pytest.approx(-1.8, abs=0.05)
