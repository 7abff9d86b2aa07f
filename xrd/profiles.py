"""Peak profiles: area-normalised pseudo-Voigt and fast rendering of stick lists.

The pseudo-Voigt is the weighted sum eta*L + (1-eta)*G of a Lorentzian and a
Gaussian of the same full width at half maximum (Wertheim et al., J. Electron
Spectrosc. 4 (1974) 429; Young & Wiles, J. Appl. Cryst. 15 (1982) 430,
doi:10.1107/S002188988201231X). Widths follow FWHM^2 = U tan^2(theta) + V tan(theta) + W
(Caglioti, Paoletti & Ricci, Nucl. Instrum. 3 (1958) 223, doi:10.1016/0369-643X(58)90029-X).
"""

from __future__ import annotations

import numpy as np

__all__ = ["caglioti_fwhm_deg", "pseudo_voigt", "render_sticks"]

_LN2 = np.log(2.0)


def pseudo_voigt(x, center, fwhm, eta):
    """Area-normalised pseudo-Voigt.

    Parameters
    ----------
    x : array_like
        Abscissa (degrees 2-theta).
    center, fwhm : array_like
        Peak centre and full width at half maximum, same unit as ``x``; broadcast with ``x``.
    eta : float or array_like
        Lorentzian fraction, 0 (Gaussian) to 1 (Lorentzian).

    Returns
    -------
    ndarray
        Profile values; the integral over x is 1.
    """
    # in place on one work array: this runs for every reflection of every refinement step
    work = np.subtract(x, center, dtype=float)
    if np.ndim(work) == 0:  # scalar arguments: a 0-d array, so that the in-place steps apply
        work = np.array(work)
    work /= fwhm
    np.square(work, out=work)  # (Δ/FWHM)^2
    gauss = np.exp(work * (-4.0 * _LN2))
    gauss *= (1.0 - eta) * 2.0 * np.sqrt(_LN2 / np.pi)
    work *= 4.0
    work += 1.0
    np.divide(eta * 2.0 / np.pi, work, out=work)  # the Lorentzian part
    work += gauss
    work /= fwhm
    return work


def caglioti_fwhm_deg(two_theta_deg, u_deg2, v_deg2, w_deg2):
    """FWHM in degrees from the Caglioti relation (see the module docstring)."""
    t = np.tan(np.radians(np.asarray(two_theta_deg)) / 2.0)
    return np.sqrt(np.maximum(u_deg2 * t * t + v_deg2 * t + w_deg2, 1e-8))


def render_sticks(two_theta_deg, positions_deg, areas, fwhm_deg, eta, *, window_fwhm: float = 10.0):
    """Sum of pseudo-Voigt peaks on a sorted 2-theta grid.

    Each peak is evaluated only within ``window_fwhm`` full widths of its
    centre, all peaks at once (one gather, one ``bincount``), so the cost is
    proportional to the number of peaks times the window, not to the grid.

    Parameters
    ----------
    two_theta_deg : ndarray, shape (n,)
        Increasing grid in degrees.
    positions_deg, areas, fwhm_deg : ndarray, shape (m,)
        Peak centres (degrees), integrated areas (intensity x degrees) and widths (degrees).
    eta : float
        Lorentzian fraction of the pseudo-Voigt.
    window_fwhm : float
        Half-width of the evaluation window in units of the FWHM.

    Returns
    -------
    ndarray, shape (n,)
        The rendered pattern (areas are conserved up to the truncated tails).
    """
    x = np.asarray(two_theta_deg, dtype=float)
    out = np.zeros(x.size)
    positions_deg = np.asarray(positions_deg, dtype=float)
    if positions_deg.size == 0:
        return out
    fwhm_deg = np.broadcast_to(np.asarray(fwhm_deg, dtype=float), positions_deg.shape)
    areas = np.broadcast_to(np.asarray(areas, dtype=float), positions_deg.shape)
    half = window_fwhm * fwhm_deg
    lo = np.searchsorted(x, positions_deg - half)
    hi = np.searchsorted(x, positions_deg + half)
    keep = hi > lo
    if not np.any(keep):
        return out
    lo, hi = lo[keep], hi[keep]
    width = int((hi - lo).max())
    idx = lo[:, None] + np.arange(width)[None, :]
    outside = idx >= hi[:, None]
    np.minimum(idx, x.size - 1, out=idx)
    values = pseudo_voigt(x[idx], positions_deg[keep, None], fwhm_deg[keep, None], eta)
    values *= areas[keep, None]
    values[outside] = 0.0  # the padding of shorter windows adds nothing
    return np.bincount(idx.ravel(), weights=values.ravel(), minlength=x.size)
