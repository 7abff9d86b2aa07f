"""Phase identification on the real Li-Mn-Ti-O-F mixtures of the XERUS benchmark.

Truth: the phases named in each file name (XERUS, pedrobcst/Xerus, Examples/data/bench;
Szymanski et al., Chem. Mater. 2021; see ../shared/data/xrd/INDEX.md); their weight fractions
are not given. Candidates are every built-in and ambient AMCSD structure made of the mixture's
elements. The Mn2O3 + Li2TiO3 + TiO2 file is left out: monoclinic Li2TiO3 has no AMCSD entry
(PHYSICS.md), so that mixture cannot be identified from this database.
"""

from __future__ import annotations

import pytest

from xrd import identify_phases, read_pattern

XERUS = "xrd/xerus_limno_bench/"


def _identify(shared_data, stem):
    from pymatgen.core import Composition

    truth = [Composition(name).reduced_formula for name in stem.split("+")]
    elements = sorted({el.symbol for name in truth for el in Composition(name).elements})
    pattern = read_pattern(shared_data / XERUS / f"{stem}_parsed.csv")
    return truth, identify_phases(pattern, elements=elements)


@pytest.mark.parametrize("stem", ["Li2MnO3+MnO+TiO2", "Mn2O3+LiF", "MnF2+TiO2"])
def test_xerus_mixture_phases(shared_data, stem):
    truth, result = _identify(shared_data, stem)
    assert sorted(result.formulas) == sorted(truth)
    assert result.unexplained_peaks_deg.size <= 1


def test_xerus_spinel_and_layered_oxide(shared_data):
    # LiMn2O4 + Li2MnO3. AMCSD also holds Li-rich Li(1+x)Mn(2-x)O4 spinels of the same Fd-3m cell (x = 0.2 for
    # AMCSD 16926), which fit this pattern as well: the same compound to a powder pattern (atomic fractions within
    # 0.05), so the simplest formula is reported, unflagged. LiMn2O4 itself is AMCSD 20312, whose oxygen occupancy
    # of 0.99999 must not turn its formula into Li8Mn16O31.99968.
    _, result = _identify(shared_data, "LiMn2O4+Li2MnO3")
    assert sorted(result.formulas) == ["Li2MnO3", "LiMn2O4"]
    spinel = next(p for p in result.phases if p.formula == "LiMn2O4")
    assert spinel.space_group == "Fd-3m" and spinel.equally_good == ()
    assert not any("cannot tell them apart" in reason for reason in result.quality_reasons)
    assert result.unexplained_peaks_deg.size <= 1
