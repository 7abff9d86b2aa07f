"""Labels of a coating series, taken from the sample model (never from the reference study)."""

from __future__ import annotations

__all__ = ["coating_axis_label", "coating_label", "sort_by_coating"]


def coating_label(sample) -> str:
    """E.g. ``"LCO (no coating)"`` or ``"BTO5-LCO (5 at% BaTiO3)"``."""
    coating = getattr(sample, "coating", None)
    if coating is None:
        return f"{sample.id} (no coating)"
    return f"{sample.id} ({coating.amount:g} {coating.unit} {coating.material})"


def coating_axis_label(samples) -> str:
    """Axis label of the coating amount of a series, e.g. ``"LiNbO3 coating (wt%)"``.

    A series shares one coating material and unit (see
    :meth:`ssbkit.study.Study.coating_series`); samples of mixed coatings are
    labelled generically.
    """
    kinds = {(s.coating.material, s.coating.unit) for s in samples if getattr(s, "coating", None) is not None}
    if len(kinds) == 1:
        material, unit = kinds.pop()
        return f"{material} coating ({unit})"
    return "coating amount"


def sort_by_coating(items):
    """``(sample, …)`` pairs sorted by coating amount, the uncoated sample first (stable)."""
    return sorted(items, key=lambda pair: float(getattr(pair[0], "coating_amount", 0.0) or 0.0))
