"""Inelastic mean free path λ for the log-ratio thickness.

Two parameterizations:

* Malis, Cheng & Egerton, J. Electron Microsc. Tech. 8 (1988) 193,
  doi:10.1002/jemt.1060080206 — from the mean atomic number;
* Iakoubovskii, Mitsuishi, Nakayama & Furuya, Microsc. Res. Tech. 71 (2008)
  626, doi:10.1002/jemt.20597 — from the density, with a correction for the
  convergence semi-angle.
"""

from __future__ import annotations

import warnings

import numpy as np

from ssbkit._shared.checks import check_positive

__all__ = [
    "MFP_METHODS",
    "relativistic_factor",
    "atomic_fractions",
    "effective_atomic_number",
    "mean_free_path",
]

MFP_METHODS = ("malis", "iakoubovskii")

#: θ_C of Iakoubovskii et al. (2008), mrad.
_THETA_C_MRAD = 20.0


def relativistic_factor(beam_energy_kev: float) -> float:
    """F = (1 + E0/1022) / (1 + E0/511)², E0 in keV (Malis et al. 1988)."""
    return (1.0 + beam_energy_kev / 1022.0) / (1.0 + beam_energy_kev / 511.0) ** 2


def atomic_fractions(composition) -> dict[int, float]:
    """Atomic number → atomic fraction of a composition.

    Parameters
    ----------
    composition : str or Mapping[str, float]
        A formula understood by pymatgen (``"LiCoO2"``) or element → amount.

    Returns
    -------
    dict
        ``{Z: fraction}``, fractions summing to 1.

    Raises
    ------
    ValueError
        When the composition cannot be parsed or is empty.
    """
    from pymatgen.core import Composition, Element

    try:
        comp = Composition(composition)
    except Exception as exc:  # pymatgen raises several types
        raise ValueError(f"composition={composition!r} is not a chemical formula ({exc})") from None
    if comp.num_atoms <= 0 or any(amount < 0 for amount in comp.values()):
        raise ValueError(f"composition={composition!r} has no atoms or a negative amount")
    unknown = [str(el) for el in comp if not isinstance(el, Element)]
    if unknown:
        raise ValueError(f"composition={composition!r} is not a chemical formula (unknown {unknown})")
    return {el.Z: comp.get_atomic_fraction(el) for el in comp}


def effective_atomic_number(composition) -> float:
    """Z_eff = Σ f_i Z_i^1.3 / Σ f_i Z_i^0.3 over atomic fractions f_i (Malis et al. 1988)."""
    fractions = atomic_fractions(composition)
    z = np.array(list(fractions), dtype=float)
    f = np.array(list(fractions.values()), dtype=float)
    return float(np.sum(f * z**1.3) / np.sum(f * z**0.3))


def _malis(e0: float, beta: float, zeff: float) -> float:
    em = 7.6 * zeff**0.36
    argument = 2.0 * beta * e0 / em
    if argument <= 1.0:
        raise ValueError(
            f"2βE0/E_m = {argument:.3g} ≤ 1: the Malis formula needs a larger collection angle"
        )
    return 106.0 * relativistic_factor(e0) * e0 / (em * np.log(argument))


def _iakoubovskii(e0: float, beta: float, alpha: float, density: float) -> float:
    f = relativistic_factor(e0)
    theta_e = 5.5 * density**0.3 / (f * e0)
    a2, b2 = alpha**2, beta**2
    spread = abs(a2 - b2)
    ratio = (a2 + b2 + 2 * theta_e**2 + spread) / (a2 + b2 + 2 * _THETA_C_MRAD**2 + spread)
    inverse = 11.0 * density**0.3 / (200.0 * f * e0) * np.log(ratio * _THETA_C_MRAD**2 / theta_e**2)
    return 1.0 / inverse


def mean_free_path(
    *,
    beam_energy_kev: float,
    collection_semiangle_mrad: float,
    composition=None,
    zeff: float | None = None,
    method: str = "malis",
    density_g_cm3: float | None = None,
    convergence_semiangle_mrad: float = 0.0,
) -> float:
    """Total inelastic mean free path λ, nm.

    ``method="malis"`` (Malis, Cheng & Egerton 1988,
    doi:10.1002/jemt.1060080206)::

        λ = 106 F E0 / (E_m ln(2 β E0 / E_m)),   E_m = 7.6 Z_eff^0.36 eV,
        F = (1 + E0/1022) / (1 + E0/511)²,
        Z_eff = Σ f_i Z_i^1.3 / Σ f_i Z_i^0.3.

    The formula has no convergence correction: when α > β a warning says
    so (use ``"iakoubovskii"`` then).

    ``method="iakoubovskii"`` (Iakoubovskii et al. 2008, doi:10.1002/jemt.20597)::

        θ_E = 5.5 ρ^0.3 / (F E0) mrad,  θ_C = 20 mrad,
        1/λ = 11 ρ^0.3 / (200 F E0) ·
              ln[(α² + β² + 2θ_E² + |α² − β²|) / (α² + β² + 2θ_C² + |α² − β²|) · θ_C² / θ_E²],

    which tends to 11 ρ^0.3/(200 F E0) · ln(θ_C²/θ_E²) for β ≫ θ_C, α = 0.

    Parameters
    ----------
    beam_energy_kev : float
        E0, keV.
    collection_semiangle_mrad : float
        β, mrad.
    composition : str or Mapping, optional
        Formula (``"LiCoO2"``); Malis needs it or ``zeff``.
    zeff : float, optional
        Effective atomic number, instead of ``composition``.
    method : {"malis", "iakoubovskii"}
        Parameterization.
    density_g_cm3 : float, optional
        Density ρ, g/cm³; required by ``"iakoubovskii"``.
    convergence_semiangle_mrad : float
        α, mrad (used by ``"iakoubovskii"``).

    Returns
    -------
    float
        λ, nm.

    Raises
    ------
    ValueError
        On a bad method, a missing composition/zeff (Malis) or density
        (Iakoubovskii), or non-positive angles and energies.

    Examples
    --------
    >>> from eels import mean_free_path
    >>> round(mean_free_path(beam_energy_kev=200, collection_semiangle_mrad=10,
    ...                      composition="LiCoO2"), 1)
    126.3
    """
    if method not in MFP_METHODS:
        raise ValueError(f"method={method!r} is not one of {MFP_METHODS}")
    e0 = check_positive(beam_energy_kev, "beam_energy_kev")
    beta = check_positive(collection_semiangle_mrad, "collection_semiangle_mrad")
    alpha = float(convergence_semiangle_mrad or 0.0)
    if not np.isfinite(alpha) or alpha < 0:
        raise ValueError(f"convergence_semiangle_mrad={convergence_semiangle_mrad!r} must be >= 0")
    if method == "iakoubovskii":
        if density_g_cm3 is None:
            raise ValueError("method='iakoubovskii' needs density_g_cm3")
        return float(_iakoubovskii(e0, beta, alpha, check_positive(density_g_cm3, "density_g_cm3")))
    if zeff is None:
        if composition is None:
            raise ValueError("method='malis' needs composition or zeff")
        zeff = effective_atomic_number(composition)
    zeff = check_positive(zeff, "zeff")
    if alpha > beta:
        warnings.warn(
            f"convergence semi-angle {alpha:g} mrad exceeds the collection semi-angle "
            f"{beta:g} mrad; the Malis formula has no convergence correction, "
            "method='iakoubovskii' has one",
            UserWarning,
            stacklevel=2,
        )
    return float(_malis(e0, beta, zeff))
