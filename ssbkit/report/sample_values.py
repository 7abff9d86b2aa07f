"""What a sample's model implies for the parameters of its measurements.

The one place where the study layer unpacks :class:`ssbkit.sample.Sample`
into plain values (a mass, a thickness, a formula, a list of elements); the
report sections name these functions in their parameter declarations
(``Param(from_sample=...)``) and never read the sample model themselves.
Every function returns None when the sample does not say.
"""

from __future__ import annotations

__all__ = [
    "cathode_active_mass_mg",
    "cathode_formula",
    "cell_area_cm2",
    "cell_thickness_cm",
    "coating_thickness_nm",
    "electrolyte_formula",
    "material_formulas",
    "sample_elements",
]

_PARTS = ("cathode", "coating", "electrolyte")


def _part(sample, name):
    return getattr(sample, name, None) if sample is not None else None


def cathode_active_mass_mg(sample) -> float | None:
    """``cathode.active_mass_mg``, mg."""
    cathode = _part(sample, "cathode")
    return None if cathode is None else cathode.active_mass_mg


def cathode_formula(sample) -> str | None:
    """``cathode.material``."""
    cathode = _part(sample, "cathode")
    return None if cathode is None else cathode.material


def electrolyte_formula(sample) -> str | None:
    """``electrolyte.material``."""
    electrolyte = _part(sample, "electrolyte")
    return None if electrolyte is None else electrolyte.material


def cell_thickness_cm(sample) -> float | None:
    """``cell.thickness_cm``, cm."""
    cell = _part(sample, "cell")
    return None if cell is None else cell.thickness_cm


def cell_area_cm2(sample) -> float | None:
    """``cell.area_cm2``, else π d²/4 from ``cell.diameter_cm``, cm²."""
    cell = _part(sample, "cell")
    return None if cell is None else cell.electrode_area_cm2


def coating_thickness_nm(sample) -> float | None:
    """``coating.amount`` when the coating's unit is nm."""
    coating = _part(sample, "coating")
    return coating.amount if coating is not None and coating.unit == "nm" else None


def material_formulas(sample, parts=_PARTS) -> list[str] | None:
    """Formulas of the sample's materials (cathode, coating, electrolyte by default).

    Hyphenated alloys (``"In-Li"``) are split into their parts.
    """
    formulas = []
    for name in parts:
        item = _part(sample, name)
        if item is not None and item.material:
            formulas.extend(part for part in item.material.split("-") if part)
    return formulas or None


def sample_elements(sample, parts=_PARTS) -> list[str] | None:
    """Chemical symbols of the sample's materials, sorted."""
    from pymatgen.core import Composition

    formulas = material_formulas(sample, parts)
    if not formulas:
        return None
    return sorted({el.symbol for formula in formulas for el in Composition(formula)})
