"""Candidate references for a sample's declared materials and the usual impurities of their chemistry.

A phase search is only as honest as its candidate list: searching every structure of the
elements present lets a misfit be "explained" by an exotic entry, while searching the named
materials alone cannot report the impurities a battery powder typically carries.
:func:`candidates_for_materials` builds the middle ground a referee expects: the structures of
the named materials, plus the impurity phases commonly reported for their chemistry, restricted
to the elements of those materials plus C, H and O (air exposure: carbonates, hydroxides).

The impurity table (``IMPURITIES``), keyed by an element of a material, and its sources:

* Li (layered and spinel oxides, garnets): Li2CO3, LiOH, Li2O — residual lithium and its
  reaction with air (Jung et al., J. Electrochem. Soc. 165 (2018) A132, doi:10.1149/2.0401802jes).
* Co: Co3O4, CoO, CoOOH — precursor, decomposition and delithiation products of LiCoO2
  (Antolini, Solid State Ionics 170 (2004) 159, doi:10.1016/j.ssi.2004.04.003).
* Ni, Mn, Fe: their binary oxides (and MnCO3, Ni(OH)2 precursors) — unreacted precursors of
  NMC, LMO and LFP syntheses (same sources).
* Ba, Ti: BaCO3, TiO2 — unreacted precursors of a BaTiO3 coating made from BaCO3/acetate and TiO2/alkoxide.
* S, P, Cl, Br, I (argyrodite and thiophosphate electrolytes): Li2S, LiCl, LiBr, LiI (unreacted
  precursors), Li3PS4 and Li4P2S6/Li4P2S7 (P2S5-derived thiophosphates), elemental S, and Li3PO4 and
  Li2SO4 from oxidation or hydrolysis (Kraft et al., J. Am. Chem. Soc. 139 (2017) 10909,
  doi:10.1021/jacs.7b06327; Muramatsu et al., Solid State Ionics 182 (2011) 116,
  doi:10.1016/j.ssi.2010.10.013).
* La, Zr, Al, Nb, Ta (garnet electrolytes, coatings): La2O3, La(OH)3, La2Zr2O7, ZrO2, Li2ZrO3, Al2O3,
  LiAlO2, LiNbO3, Nb2O5, Ta2O5.

Entries with no structure among the built-ins or the AMCSD simply add nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from xrd.references import _amcsd_connect, _amcsd_non_ambient, builtin_references

__all__ = ["IMPURITIES", "candidates_for_materials"]

#: element of a material -> impurity phases commonly reported for its chemistry (see the module docstring)
IMPURITIES: dict[str, tuple[str, ...]] = {
    "Li": ("Li2CO3", "LiOH", "Li2O"),
    "Co": ("Co3O4", "CoO", "CoOOH"),
    "Ni": ("NiO", "Ni(OH)2"),
    "Mn": ("Mn3O4", "Mn2O3", "MnO2", "MnO", "MnCO3"),
    "Fe": ("Fe2O3", "Fe3O4"),
    "Ba": ("BaCO3",),
    "Ti": ("TiO2",),
    "S": ("Li2S", "S", "Li3PS4", "Li2SO4"),
    "P": ("Li3PO4", "Li3PS4", "Li4P2S6", "Li4P2S7"),
    "Cl": ("LiCl",),
    "Br": ("LiBr",),
    "I": ("LiI",),
    "La": ("La2O3", "La(OH)3", "La2Zr2O7"),
    "Zr": ("ZrO2", "Li2ZrO3"),
    "Al": ("Al2O3", "LiAlO2"),
    "Nb": ("LiNbO3", "Nb2O5"),
    "Ta": ("Ta2O5",),
}
_AIR = frozenset({"C", "H", "O"})


def _composition(formula: str):
    from pymatgen.core import Composition

    try:
        composition = Composition(formula)
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"material {formula!r} is not a chemical formula (e.g. 'LiCoO2', 'Li6PS5Cl'): {exc}") \
            from None
    from pymatgen.core import Element

    if not composition.elements or not all(isinstance(el, Element) for el in composition.elements):
        raise ValueError(f"material {formula!r} is not a chemical formula (e.g. 'LiCoO2', 'Li6PS5Cl')")
    return composition


@lru_cache(maxsize=1)
def _amcsd_formulas() -> dict[int, str]:
    """AMCSD id -> reduced formula, for the ambient entries whose formula pymatgen can read."""
    from pymatgen.core import Composition

    excluded = _amcsd_non_ambient()
    with _amcsd_connect() as connection:
        rows = connection.execute("SELECT id, formula FROM cif").fetchall()
    out = {}
    for cif_id, formula in rows:
        if int(cif_id) in excluded:
            continue
        try:
            out[int(cif_id)] = Composition((formula or "").replace(" ", "")).reduced_formula
        except (ValueError, KeyError):
            continue
    return out


def candidates_for_materials(formulas: Sequence[str], *, impurities: bool = True,
                             database: bool = True) -> tuple[list[str], list[str]]:
    """Search list for a sample made of the given materials.

    Parameters
    ----------
    formulas : sequence of str
        Chemical formulas of the sample's materials (cathode, coating, electrolyte...), e.g.
        ``["LiCoO2", "BaTiO3"]``.
    impurities : bool
        Add the usual impurity phases of those chemistries (``IMPURITIES``), restricted to the
        elements of the materials plus C, H and O.
    database : bool
        Add the ambient AMCSD entries of the same reduced formulas (polymorphs and other
        refinements of the same phases) to the built-ins.

    Returns
    -------
    candidates : list of str
        Built-in names and ``"amcsd:<id>"`` entries, for :func:`xrd.identify_phases`.
    elements : list of str
        The chemical symbols those candidates are made of (pass as ``elements=``).

    Raises
    ------
    ValueError
        No formula, or one that is not a chemical formula.

    Examples
    --------
    >>> candidates, elements = candidates_for_materials(["LiCoO2"])  # doctest: +SKIP
    >>> "LiCoO2" in candidates and "Li2CO3" in candidates  # doctest: +SKIP
    True
    """
    if isinstance(formulas, str):
        formulas = [formulas]
    compositions = [_composition(f) for f in formulas]
    if not compositions:
        raise ValueError("formulas is empty; name at least one material, e.g. ['LiCoO2']")
    material_elements = {el.symbol for c in compositions for el in c.elements}
    targets = {c.reduced_formula for c in compositions}
    if impurities:
        allowed = material_elements | _AIR
        for element in sorted(material_elements):
            for formula in IMPURITIES.get(element, ()):
                composition = _composition(formula)
                if {el.symbol for el in composition.elements} <= allowed:
                    targets.add(composition.reduced_formula)
    candidates = [name for name, info in builtin_references().items()
                  if _composition(info["formula"]).reduced_formula in targets]
    if database:
        candidates += [f"amcsd:{i}" for i, formula in _amcsd_formulas().items() if formula in targets]
    elements = sorted({el.symbol for t in targets for el in _composition(t).elements})
    return candidates, elements
