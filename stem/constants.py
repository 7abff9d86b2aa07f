"""Electron-optical constants of the beam: relativistic momentum times velocity.

An electron crossing a thin specimen with an in-plane field E (averaged along
the path of length t) is deflected by θ = e E t / (γ m₀ v²) = E t / (p v / e)
(small-angle impulse approximation; Reimer & Kohl, *Transmission Electron
Microscopy*, 5th ed., Springer 2008, doi:10.1007/978-0-387-40093-8;
Lubk & Zweck, Phys. Rev. A 91, 023805 (2015), doi:10.1103/PhysRevA.91.023805).
"""

from __future__ import annotations

import numpy as np
from scipy import constants as sc

__all__ = ["pv_over_e_volt"]

_REST_ENERGY_KEV = sc.m_e * sc.c**2 / sc.e / 1e3  # 510.999 keV


def pv_over_e_volt(beam_energy_kev: float) -> float:
    """Relativistic p·v/e of the beam electrons, in volt.

    p v / e = γ m₀ c² β² / e with γ = 1 + E_kin / (m₀c²) and β² = 1 − 1/γ²
    (Reimer & Kohl 2008, doi:10.1007/978-0-387-40093-8).

    Parameters
    ----------
    beam_energy_kev : float
        Kinetic energy of the beam electrons, keV (acceleration voltage / 1000).

    Returns
    -------
    float
        p v / e in V (343.7 kV at 200 keV, 489.0 kV at 300 keV).

    Examples
    --------
    >>> round(pv_over_e_volt(200.0) / 1e3, 1)
    343.7
    """
    energy = float(beam_energy_kev)
    if not np.isfinite(energy) or energy <= 0:
        raise ValueError(f"beam_energy_kev must be a positive number, got {beam_energy_kev!r}")
    gamma = 1.0 + energy / _REST_ENERGY_KEV
    beta2 = 1.0 - 1.0 / gamma**2
    return gamma * _REST_ENERGY_KEV * 1e3 * beta2
