"""What an R‖CPE arc means physically: apex frequency, equivalent capacitance, origin.

For Z = R / (1 + R Q (jω)^α):

* the arc apex lies at ω₀ = (R Q)^(−1/α);
* the equivalent capacitance is C = Q^(1/α) R^((1−α)/α) (Hsu & Mansfeld,
  Corrosion 57 (2001) 747, doi:10.5006/1.3280607), so that ω₀ = 1/(R C);
* the capacitance normalised by the cell constant, C·d/S in F/cm,
  indicates where the arc comes from (Irvine, Sinclair & West, Adv. Mater. 2
  (1990) 132, doi:10.1002/adma.19900020304, Table 1, which assumes a cell
  constant d/S = 1 cm⁻¹): ~1e-12 bulk, 1e-11-1e-8 grain boundary, 1e-9-1e-7
  surface layer, 1e-7-1e-5 sample-electrode interface, ~1e-4
  electrochemical reaction.
"""

from __future__ import annotations

import numpy as np

__all__ = ["capacitance_origin", "cpe_apex_frequency_hz", "cpe_capacitance_f"]


def _check(resistance_ohm, q, alpha):
    r, q, a = float(resistance_ohm), float(q), float(alpha)
    if not (np.isfinite(r) and r > 0 and np.isfinite(q) and q > 0 and 0 < a <= 1):
        raise ValueError(f"need resistance_ohm > 0, q > 0 and 0 < alpha <= 1; got {r}, {q}, {a}")
    return r, q, a


def cpe_apex_frequency_hz(resistance_ohm, q, alpha) -> float:
    """Apex frequency f₀ = (R Q)^(−1/α) / 2π of an R‖CPE arc, Hz.

    Parameters
    ----------
    resistance_ohm : float
        R, Ohm.
    q : float
        CPE coefficient Q, S s^α.
    alpha : float
        CPE exponent, 0 < α <= 1.
    """
    r, q, a = _check(resistance_ohm, q, alpha)
    return float((r * q) ** (-1 / a) / (2 * np.pi))


def cpe_capacitance_f(resistance_ohm, q, alpha) -> float:
    """Equivalent capacitance C = Q^(1/α) R^((1−α)/α) of an R‖CPE arc, F.

    Examples
    --------
    >>> cpe_capacitance_f(100.0, 1e-9, 1.0)
    1e-09
    """
    r, q, a = _check(resistance_ohm, q, alpha)
    return float(q ** (1 / a) * r ** ((1 - a) / a))


_ORIGINS = ((1e-11, "bulk"), (1e-8, "grain boundary"), (1e-7, "surface layer"),
            (1e-5, "sample-electrode interface"))


def capacitance_origin(capacitance_f, thickness_cm, area_cm2) -> tuple[float, str]:
    """Normalised capacitance C·d/S (F/cm) and its likely origin (Irvine et al. 1990).

    Parameters
    ----------
    capacitance_f : float
        Equivalent capacitance, F.
    thickness_cm, area_cm2 : float
        Pellet thickness and electrode area.

    Returns
    -------
    normalised_f_per_cm : float
    origin : str
        ``"bulk"``, ``"grain boundary"``, ``"surface layer"``,
        ``"sample-electrode interface"`` or ``"electrochemical reaction"``.
    """
    c, d, s = float(capacitance_f), float(thickness_cm), float(area_cm2)
    if not (c > 0 and d > 0 and s > 0):
        raise ValueError("capacitance_f, thickness_cm and area_cm2 must be > 0")
    normalised = c * d / s
    origin = next((name for limit, name in _ORIGINS if normalised < limit), "electrochemical reaction")
    return normalised, origin
