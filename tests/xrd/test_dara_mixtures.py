"""Phase identification on the real Dara weighed precursor mixtures (2-min scans).

Truth: the phases and weighed weight fractions written in each file name
(Dara, CederGroupHub/dara @621e38a, dataset/precursor_mixture; see
../shared/data/xrd/INDEX.md), e.g. ``V2O5_0p4005-NiO_0p6016`` = 40.05 wt% V2O5 +
60.16 wt% NiO. Candidates are every built-in and ambient AMCSD structure made of
the mixture's elements (``elements=`` search). Weighed fractions carry the
weighing, texture and microabsorption of a real powder, so they are compared
within 7 wt% here (the 3 wt% acceptance of the issue is checked on synthetic
mixtures in test_identify.py).

TiO2-ZnO and V2O5-ZnO are checked at 3 wt% in test_identify.py.
"""

from __future__ import annotations

import pytest

from xrd import identify_phases, read_pattern

DARA = "xrd/dara_precursor_mixture/"


def _truth(stem):
    """{reduced formula: weighed fraction} from a Dara file name."""
    from pymatgen.core import Composition

    truth = {}
    for part in stem.split("-"):
        name, fraction = part.rsplit("_", 1)
        truth[Composition(name).reduced_formula] = float(fraction.replace("p", "."))
    return truth


def _elements(truth):
    from pymatgen.core import Composition

    return sorted({el.symbol for formula in truth for el in Composition(formula).elements})


def _identify(shared_data, stem):
    truth = _truth(stem)
    pattern = read_pattern(shared_data / DARA / f"{stem}--2min.xrdml")
    return truth, identify_phases(pattern, elements=_elements(truth))


@pytest.mark.parametrize("stem", [
    # rock-salt NiO and TiO share peak positions (a = 4.177 vs 4.18 A); Ti is among the allowed elements
    pytest.param("V2O5_0p3005-NiO_0p4020-TiO2_0p3020", id="NiO-not-TiO"),
    # an extra V metal phase (~6 wt%) absorbing misfits of textured V2O5 must not be accepted
    pytest.param("V2O5_0p8011-ZrO2_0p2012", id="no-extra-V"),
    pytest.param("V2O5_0p4005-NiO_0p6016", id="V2O5-NiO"),
    pytest.param("Li2CO3_0p9001-ZrO2_0p1000", id="Li2CO3-ZrO2"),
    pytest.param("NiO_0p2030-Li2CO3_0p2999-TiO2_0p5025", id="NiO-Li2CO3-TiO2"),
    pytest.param("NiO_0p6007-Bi2O3_0p4008", id="NiO-Bi2O3"),
])
def test_dara_mixture_phases_and_fractions(shared_data, stem):
    truth, result = _identify(shared_data, stem)
    assert sorted(result.formulas) == sorted(truth)  # every weighed phase, no absent one
    for phase in result.phases:
        assert phase.weight_fraction == pytest.approx(truth[phase.formula], abs=0.07), phase.formula


def test_dara_mixture_with_missing_reference_reports_unexplained_peaks(shared_data):
    # In2O3 30.22 + La(OH)3 50.14 + TiO2 20.04 wt% (file name); La(OH)3 has no AMCSD entry
    # (PHYSICS.md), so the others must be found, nothing else, and La(OH)3's peaks left unexplained.
    # Beside the unreferenced La(OH)3 the few weak anatase reflections are not pinned down: its refined c
    # is ~3 % off anatase's 9.51 A (AMCSD 10735), which must be flagged rather than reported silently.
    with pytest.warns(UserWarning, match=r"TiO2 \(amcsd:\d+\) differs from its reference by [2-9]\.\d %"):
        _, result = _identify(shared_data, "In2O3_0p3022-La(OH)3_0p5014-TiO2_0p2004")
    assert sorted(result.formulas) == ["In2O3", "TiO2"]
    in2o3 = result.phases[result.formulas.index("In2O3")]
    assert in2o3.cell_strain < 0.002  # bixbyite In2O3 is well determined (a = 10.117 A, AMCSD 10.118 A)
    assert result.unexplained_peaks_deg.size >= 5
    # La(OH)3 (hexagonal, a ~ 6.52 A) 100 reflection: d = a sqrt(3)/2 = 5.65 A, 2-theta = 15.7 deg at Cu K-alpha1;
    # neither In2O3 nor TiO2 has a reflection below 20 deg
    assert any(abs(result.unexplained_peaks_deg - 15.7) < 0.3)
    # the final refinement models the unexplained peaks as free peaks, so they do not pull the two phases
    free = result.refinement.unindexed_peaks_deg
    assert free.size >= 5 and any(abs(free - 15.7) < 0.3)


def test_dara_mixture_with_dominant_missing_reference_accepts_nothing_absent(shared_data):
    # V2O5 20.12 + La(OH)3 50.04 + MnCO3 30.13 wt% (file name). The unreferenced La(OH)3 dominates the
    # pattern; MnCO3 must be found and no phase that is not in the mixture accepted. (V2O5 is not found
    # yet: see the note of issue 5.)
    truth, result = _identify(shared_data, "V2O5_0p2012-La(OH)3_0p5004-MnCO3_0p3013")
    assert "MnCO3" in result.formulas
    assert set(result.formulas) <= set(truth)
    assert any(abs(result.unexplained_peaks_deg - 15.7) < 0.3)  # La(OH)3 100, as above
