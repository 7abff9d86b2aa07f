"""Tabulated absorption-edge energies and presets for the P and S K-edges.

Edge energies come from xraydb (Elam, Ravel & Sieber tables), e.g. P K
2145.5 eV and S K 2472.0 eV.

References
----------
W. T. Elam, B. D. Ravel, J. R. Sieber, "A new atomic database for X-ray
spectroscopic calculations", Radiat. Phys. Chem. 63, 121 (2002),
doi:10.1016/S0969-806X(01)00227-4.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

__all__ = ["edge_energy", "EdgePreset", "EDGE_PRESETS", "edge_preset", "check_e0"]

#: How far (eV) a measured E0 may lie from the tabulated edge before a warning.
E0_TOLERANCE_EV = 20.0


def edge_energy(element: str, edge: str = "K") -> float:
    """Tabulated absorption-edge energy in eV (xraydb).

    Parameters
    ----------
    element : str
        Element symbol, e.g. ``"S"`` (case-insensitive first letter rules as in xraydb).
    edge : str
        Edge name: ``"K"``, ``"L1"``, ``"L2"``, ``"L3"``, ``"M1"`` ... ``"M5"``, ...

    Returns
    -------
    float
        Edge energy, eV.

    Raises
    ------
    ValueError
        For an unknown element or an edge the element does not have.

    Examples
    --------
    >>> edge_energy("S", "K")
    2472.0
    """
    import xraydb

    try:
        return float(xraydb.xray_edge(element, edge).energy)
    except Exception as exc:  # xraydb raises ValueError/KeyError/AttributeError
        raise ValueError(f"no tabulated {edge!r} edge for element {element!r} ({exc})") from None


@dataclass(frozen=True)
class EdgePreset:
    """Suggested normalization ranges for tender-X-ray XANES of one edge.

    Attributes
    ----------
    element, edge : str
    edge_energy_ev : float
        Tabulated edge energy, eV.
    pre1, pre2, norm1, norm2 : float
        Ranges relative to E0, eV.
    nnorm : int
        Post-edge polynomial degree.
    features_ev : dict
        Named reference energies, eV (e.g. where an oxidised species absorbs).
    """

    element: str
    edge: str
    edge_energy_ev: float
    pre1: float
    pre2: float
    norm1: float
    norm2: float
    nnorm: int
    features_ev: dict

    def ranges(self) -> dict:
        """Keyword arguments for :func:`xas.normalize`."""
        return {"pre1": self.pre1, "pre2": self.pre2, "norm1": self.norm1, "norm2": self.norm2,
                "nnorm": self.nnorm}


def _presets() -> dict[tuple[str, str], EdgePreset]:
    # Ranges: a short pre-edge (tender edges have little flat pre-edge before
    # the pre-peaks) and a short post-edge with a line, as is usual for XANES
    # (Athena's defaults for a ~100 eV scan). Feature energies: PHYSICS.md
    # (sulfide S near 2470 eV, sulfate near 2481 eV; P(V) phosphate/thiophosphate
    # white line near 2150 eV).
    return {
        ("P", "K"): EdgePreset("P", "K", edge_energy("P", "K"), -30.0, -10.0, 15.0, 50.0, 1,
                               {"thiophosphate_ev": 2149.0, "phosphate_ev": 2152.5}),
        ("S", "K"): EdgePreset("S", "K", edge_energy("S", "K"), -30.0, -10.0, 20.0, 50.0, 1,
                               {"sulfide_ev": 2470.0, "sulfate_ev": 2481.0}),
    }


EDGE_PRESETS = _presets()


def edge_preset(element: str, edge: str = "K") -> EdgePreset:
    """The preset for ``element``/``edge`` (P K and S K are defined).

    Raises
    ------
    ValueError
        When no preset exists, naming those that do.
    """
    key = (element.capitalize(), edge.upper())
    if key not in EDGE_PRESETS:
        raise ValueError(f"no preset for {element} {edge}; presets exist for {sorted(EDGE_PRESETS)}")
    return EDGE_PRESETS[key]


def check_e0(e0_ev: float, element: str, edge: str = "K", *, tolerance_ev: float = E0_TOLERANCE_EV) -> bool:
    """True when E0 lies within ``tolerance_ev`` of the tabulated edge; warns otherwise.

    Chemical shifts move E0 by up to ~12 eV (S: sulfide → sulfate), so the
    default tolerance is 20 eV. An unknown element/edge returns True silently.
    """
    try:
        tabulated = edge_energy(element, edge)
    except ValueError:
        return True
    if abs(e0_ev - tabulated) > tolerance_ev:
        warnings.warn(f"E0 = {e0_ev:.1f} eV is {e0_ev - tabulated:+.1f} eV from the tabulated {element} {edge} "
                      f"edge ({tabulated:.1f} eV): wrong element, edge or energy calibration?",
                      RuntimeWarning, stacklevel=3)
        return False
    return True
