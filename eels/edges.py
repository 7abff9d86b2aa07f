"""Table of core-loss ionization edges and their overlaps.

Onsets (eV) follow the values collected in PHYSICS.md, which agree with the
edge table of exspy 0.3 (``exspy.material.elements``) and Ahn & Krivanek's
*EELS Atlas* (Gatan, 1983): Li K 55, Al L2,3 73, P L2,3 132, S L2,3 165,
Cl L2,3 200, C K 284, In M4,5 443, Ti L3/L2 456/462, O K 532, Cr L3 575,
Mn L3 640, Fe L3 708, Co M2,3 59, Co L3/L2 779/794, Ba M5/M4 781/796,
La M5/M4 832/849.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Edge", "EDGES", "get_edge", "edges_between", "overlapping_edges"]


@dataclass(frozen=True)
class Edge:
    """One ionization edge.

    Attributes
    ----------
    element : str
        Element symbol, e.g. ``"Co"``.
    shell : str
        Edge label, e.g. ``"L2,3"``.
    onset_ev : float
        Onset energy, eV (the lower sub-edge for a split edge).
    lines_ev : tuple of float
        Energies of the sub-edges / white lines (e.g. L3, L2), eV.
    signal_width_ev : float
        Default width of the integration window above the onset, eV.
    """

    element: str
    shell: str
    onset_ev: float
    lines_ev: tuple[float, ...] = ()
    signal_width_ev: float = 30.0

    @property
    def name(self) -> str:
        """``"Co L2,3"``."""
        return f"{self.element} {self.shell}"


_TABLE = (
    Edge("Li", "K", 55.0, (55.0,), 20.0),
    Edge("Co", "M2,3", 59.0, (59.0, 60.0), 20.0),
    Edge("Al", "L2,3", 73.0, (73.0,), 20.0),
    Edge("P", "L2,3", 132.0, (132.0,), 25.0),
    Edge("S", "L2,3", 165.0, (165.0,), 25.0),
    Edge("Cl", "L2,3", 200.0, (200.0,), 25.0),
    Edge("C", "K", 284.0, (284.0,), 30.0),
    Edge("In", "M4,5", 443.0, (443.0, 451.0), 30.0),
    Edge("Ti", "L2,3", 456.0, (456.0, 462.0), 25.0),
    Edge("O", "K", 532.0, (532.0,), 30.0),
    Edge("Cr", "L2,3", 575.0, (575.0, 584.0), 30.0),
    Edge("Mn", "L2,3", 640.0, (640.0, 651.0), 30.0),
    Edge("Fe", "L2,3", 708.0, (708.0, 721.0), 35.0),
    Edge("Co", "L2,3", 779.0, (779.0, 794.0), 35.0),
    Edge("Ba", "M4,5", 781.0, (781.0, 796.0), 35.0),
    Edge("La", "M4,5", 832.0, (832.0, 849.0), 35.0),
)

#: Edge name (``"Co L2,3"``) → :class:`Edge`.
EDGES: dict[str, Edge] = {edge.name: edge for edge in _TABLE}


def _key(name: str) -> str:
    return re.sub(r"[\s_,]+", "", name).lower()


_BY_KEY = {_key(name): edge for name, edge in EDGES.items()}


def get_edge(edge) -> Edge:
    """Look an edge up by name.

    Parameters
    ----------
    edge : str or Edge
        ``"Co L2,3"``; spaces, underscores and commas are ignored and case
        does not matter (``"co_l23"`` works).

    Raises
    ------
    ValueError
        When the edge is not in :data:`EDGES` (the message lists them).
    """
    if isinstance(edge, Edge):
        return edge
    found = _BY_KEY.get(_key(str(edge)))
    if found is None:
        raise ValueError(f"edge={edge!r} is not one of {tuple(EDGES)}")
    return found


def edges_between(low_ev: float, high_ev: float, *, elements=None) -> tuple[Edge, ...]:
    """Edges whose onset or a sub-edge lies in ``[low_ev, high_ev]``, optionally only of ``elements``."""
    chosen = []
    for edge in _TABLE:
        if elements is not None and edge.element not in elements:
            continue
        energies = (edge.onset_ev,) + edge.lines_ev
        if any(low_ev <= e <= high_ev for e in energies):
            chosen.append(edge)
    return tuple(chosen)


def overlapping_edges(edge, window_ev: tuple[float, float], *, elements=None) -> tuple[Edge, ...]:
    """Edges of other elements with an onset inside ``window_ev`` (eV).

    Parameters
    ----------
    edge : str or Edge
        The edge being measured.
    window_ev : (float, float)
        From the start of the background window to the end of the signal window, eV.
    elements : iterable of str, optional
        Elements present in the specimen; every table element when omitted.
    """
    edge = get_edge(edge)
    return tuple(
        other
        for other in edges_between(*window_ev, elements=elements)
        if other.element != edge.element
    )
